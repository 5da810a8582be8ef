//! Arithmetic over GF(2): carry-less multiplication, polynomial products (Karatsuba), middle
//! products (transposed Karatsuba, or an additive FFT over GF(2^16) without a carry-less
//! multiply instruction; for Toeplitz hashing) and the field GF(2^64) used by the verification
//! hash.
//!
//! Polynomials here are slices of `u64` words, LSB first: bit `j % 64` of word `j / 64` is the
//! coefficient of `z^j`.

mod clmul;
mod fft;
mod middle;

pub use clmul::{clmul, portable as clmul_portable, schoolbook_into};
pub use middle::middle_product;

/// Words at or below which products are done by schoolbook multiplication.
const KARATSUBA_THRESHOLD: usize = 24;

/// The product of two GF(2) polynomials; `a.len() + b.len()` words.
pub fn poly_mul(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = vec![0u64; a.len() + b.len()];
    mul_into(a, b, &mut out);
    out
}

/// XORs `a * b` into `out` (at least `a.len() + b.len()` words).
fn mul_into(a: &[u64], b: &[u64], out: &mut [u64]) {
    let (a, b) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    if b.is_empty() {
        return;
    }
    if b.len() <= KARATSUBA_THRESHOLD {
        schoolbook(a, b, out);
    } else if a.len() == b.len() {
        karatsuba(a, b, out);
    } else {
        // Unbalanced: cut the longer operand into pieces as long as the shorter.
        for (i, chunk) in a.chunks(b.len()).enumerate() {
            let off = i * b.len();
            mul_into(chunk, b, &mut out[off..off + chunk.len() + b.len()]);
        }
    }
}

fn schoolbook(a: &[u64], b: &[u64], out: &mut [u64]) {
    schoolbook_into(a, b, out);
}

/// Karatsuba for equal lengths: with `a = a0 + z^h a1`, `a*b = p0 + z^h (pm - p0 - p2) +
/// z^2h p2` where `pm = (a0 + a1)(b0 + b1)`.
fn karatsuba(a: &[u64], b: &[u64], out: &mut [u64]) {
    let n = a.len();
    let h = n.div_ceil(2);
    let (a0, a1) = a.split_at(h);
    let (b0, b1) = b.split_at(h);
    let p0 = poly_mul(a0, b0);
    let p2 = poly_mul(a1, b1);
    let mut sa = a0.to_vec();
    let mut sb = b0.to_vec();
    for (s, x) in sa.iter_mut().zip(a1) {
        *s ^= x;
    }
    for (s, x) in sb.iter_mut().zip(b1) {
        *s ^= x;
    }
    let mut pm = poly_mul(&sa, &sb);
    for (m, x) in pm.iter_mut().zip(&p0) {
        *m ^= x;
    }
    for (m, x) in pm.iter_mut().zip(&p2) {
        *m ^= x;
    }
    for (o, x) in out.iter_mut().zip(&p0) {
        *o ^= x;
    }
    for (o, x) in out[h..].iter_mut().zip(&pm) {
        *o ^= x;
    }
    for (o, x) in out[2 * h..].iter_mut().zip(&p2) {
        *o ^= x;
    }
}

/// Multiplication in GF(2^64) = GF(2)\[z\] / (z^64 + z^4 + z^3 + z + 1).
pub fn gf64_mul(a: u64, b: u64) -> u64 {
    const R: u64 = 0x1b; // z^4 + z^3 + z + 1
    let (lo, hi) = clmul(a, b);
    // hi * z^64 = hi * R; that product overflows by at most 4 bits, folded once more.
    let (l2, h2) = clmul(hi, R);
    let (l3, _) = clmul(h2, R);
    lo ^ l2 ^ l3
}

/// `n` pseudo-random words from `seed` (xorshift), for the module's tests.
#[cfg(test)]
pub(crate) fn test_words(n: usize, seed: u64) -> Vec<u64> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_mul(a: &[u64], b: &[u64]) -> Vec<u64> {
        let mut out = vec![0u64; a.len() + b.len()];
        for i in 0..a.len() * 64 {
            if (a[i / 64] >> (i % 64)) & 1 == 0 {
                continue;
            }
            for j in 0..b.len() * 64 {
                if (b[j / 64] >> (j % 64)) & 1 == 1 {
                    out[(i + j) / 64] ^= 1 << ((i + j) % 64);
                }
            }
        }
        out
    }

    use super::test_words as words;

    #[test]
    fn karatsuba_and_unbalanced_products_equal_the_bitwise_product() {
        for (la, lb) in [(1, 1), (3, 70), (25, 25), (49, 49), (60, 31), (100, 7), (77, 53)] {
            let a = words(la, la as u64 * 31 + lb as u64);
            let b = words(lb, lb as u64 * 17 + 5);
            assert_eq!(poly_mul(&a, &b), naive_mul(&a, &b), "{la} x {lb}");
        }
    }

    #[test]
    fn gf64_multiplication_is_a_field_product() {
        // z^63 * z = z^64 = z^4 + z^3 + z + 1.
        assert_eq!(gf64_mul(1 << 63, 2), 0x1b);
        let (a, b, c) = (0x0123_4567_89ab_cdefu64, 0xfedc_ba98_7654_3210u64, 0x0f0f_1234_5678_9abcu64);
        assert_eq!(gf64_mul(a, b), gf64_mul(b, a));
        assert_eq!(gf64_mul(gf64_mul(a, b), c), gf64_mul(a, gf64_mul(b, c)));
        assert_eq!(gf64_mul(a, b ^ c), gf64_mul(a, b) ^ gf64_mul(a, c));
        assert_eq!(gf64_mul(a, 1), a);
    }
}
