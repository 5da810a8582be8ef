//! The middle product: the middle words of a product `a * b`, in the time of a product of the
//! shorter length instead of the full one.
//!
//! With `a` of `n` words, the word coefficients `c[t] = sum_i a[i] * b[n - 1 + t - i]` (128-bit
//! carry-less word products) are the transpose of multiplication by `a`, and transposed
//! Karatsuba computes `n` of them with the three half-size products of Karatsuba (Hanrot,
//! Quercia and Zimmermann, "The Middle Product Algorithm I", AAECC 14, 2004). Here: balanced
//! blocks, one scratch buffer for the whole recursion, an odd size peels its last row and
//! column, and the base cases are the schoolbook middle product of clmul.rs and, with
//! PCLMULQDQ, its fusion with the last Karatsuba step. Without a carry-less multiply
//! instruction (wasm32) long products go to the additive FFT of fft.rs instead.

use super::clmul::{has_fast_clmul, middle_base, middle_peel, middle_split_base, middle_threshold};
use super::fft;

/// Whether the FFT beats portable Karatsuba for `n` and `l` words, by their costs measured in
/// wasm: about 60 ns * s^1.585 for a square block of `s` words, 1.9 ms per transform. The
/// crossover is near s = 700 (5 * 10^4 bits).
fn fft_pays(n: usize, l: usize) -> bool {
    let m = l - n + 1;
    let s = n.min(m);
    let karatsuba = (n.div_ceil(s) * m.div_ceil(s)) as f64 * (s as f64).powf(1.585);
    karatsuba > 30_000.0 * fft::transforms(n, l) as f64
}

/// Words `a.len() .. b.len()` of the product `a * b` (empty when `b` is not longer than `a`):
/// the words where every word of `a` meets a word of `b`.
pub fn middle_product(a: &[u64], b: &[u64]) -> Vec<u64> {
    middle_product_with(a, b, false)
}

/// [`middle_product`]; `portable_only` skips PCLMULQDQ (tests).
pub(super) fn middle_product_with(a: &[u64], b: &[u64], portable_only: bool) -> Vec<u64> {
    let (n, l) = (a.len(), b.len());
    if l <= n {
        return Vec::new();
    }
    if n == 0 {
        return vec![0; l];
    }
    if !has_fast_clmul(portable_only) && fft_pays(n, l) {
        return fft::middle_product(a, b);
    }
    // Product word n - 1 + t is lo(c[t]) ^ hi(c[t - 1]): words n .. l need c[0 .. m].
    let m = l - n + 1;
    // Square blocks of s words: `a` padded below to q blocks (so c is unchanged when `b` keeps
    // its indices), the outputs in u blocks, `b` padded above with zeros.
    let s = n.min(m);
    let (q, u) = (n.div_ceil(s), m.div_ceil(s));
    let mut ap = vec![0u64; q * s];
    ap[q * s - n..].copy_from_slice(a);
    let mut bp = vec![0u64; (q + u) * s - 1];
    bp[..l].copy_from_slice(b);
    let mut c = vec![0u128; u * s];
    let mut scratch = vec![0u64; 2 * s];
    let threshold = middle_threshold(portable_only);
    for (i, ai) in ap.chunks_exact(s).enumerate() {
        for (j, cj) in c.chunks_exact_mut(s).enumerate() {
            let off = (q - 1 - i + j) * s;
            middle(ai, &bp[off..off + 2 * s - 1], cj, &mut scratch, threshold, portable_only);
        }
    }
    c.windows(2).take(m - 1).map(|w| w[1] as u64 ^ (w[0] >> 64) as u64).collect()
}

/// `out[t] ^= sum_i a[i] * b[n - 1 + t - i]` for `t < n = a.len()`, `b.len() == 2n - 1`, by
/// transposed Karatsuba: with halves `a = a0 + y a1` and `b`'s windows `b0, b1, b2` of `2h - 1`
/// words at `0, h, 2h`, the low outputs are `MP(a1, b0) + MP(a0, b1) = alpha + beta` and the high
/// ones `MP(a1, b1) + MP(a0, b2) = gamma + beta`, where `alpha = MP(a1, b0 + b1)`,
/// `beta = MP(a0 + a1, b1)`, `gamma = MP(a0, b1 + b2)`. `scratch` holds at least `2n` words.
fn middle(a: &[u64], b: &[u64], out: &mut [u128], scratch: &mut [u64], threshold: usize, portable_only: bool) {
    let n = a.len();
    debug_assert!(b.len() + 1 == 2 * n && out.len() == n && scratch.len() >= 2 * n);
    if n <= threshold {
        middle_base(a, b, out, portable_only);
        return;
    }
    if n.is_multiple_of(2) && n <= 2 * threshold && middle_split_base(a, b, out, portable_only) {
        return;
    }
    if n % 2 == 1 {
        // The top word of `a` and the last output, by rows; the rest is a middle product of
        // even size n - 1 on b[1 .. 2n - 2].
        let k = n - 1;
        middle(&a[..k], &b[1..2 * k], &mut out[..k], scratch, threshold, portable_only);
        middle_peel(a, b, out, portable_only);
        return;
    }
    let h = n / 2;
    let (a0, a1) = a.split_at(h);
    let (o0, o1) = out.split_at_mut(h);
    let (t, rest) = scratch.split_at_mut(2 * h - 1);
    // beta goes to both halves: (o0, o1) -> (o0 + o1, o1 + beta) -> (o0 + beta, o1 + beta).
    xor_into(o0, o1);
    xor_of(&mut t[..h], a0, a1);
    middle(&t[..h], &b[h..3 * h - 1], o1, rest, threshold, portable_only);
    xor_into(o0, o1);
    xor_of(t, &b[..2 * h - 1], &b[h..3 * h - 1]);
    middle(a1, t, o0, rest, threshold, portable_only);
    xor_of(t, &b[h..3 * h - 1], &b[2 * h..4 * h - 1]);
    middle(a0, t, o1, rest, threshold, portable_only);
}

fn xor_into(dst: &mut [u128], src: &[u128]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= s;
    }
}

fn xor_of(dst: &mut [u64], x: &[u64], y: &[u64]) {
    for ((d, a), b) in dst.iter_mut().zip(x).zip(y) {
        *d = a ^ b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gf2::poly_mul;

    fn words(n: usize, seed: u64) -> Vec<u64> {
        crate::gf2::test_words(n, seed.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    fn mul128(a: u64, b: u64) -> u128 {
        let (lo, hi) = crate::gf2::clmul(a, b);
        u128::from(lo) | (u128::from(hi) << 64)
    }

    /// The definition: the coefficients one word product at a time.
    fn schoolbook_middle(a: &[u64], b: &[u64]) -> Vec<u128> {
        let n = a.len();
        (0..n).map(|t| (0..n).fold(0, |acc, i| acc ^ mul128(a[i], b[n - 1 + t - i]))).collect()
    }

    #[test]
    fn balanced_middle_products_equal_the_schoolbook_definition_around_every_threshold() {
        for portable_only in [false, true] {
            for n in (1..=70).chain([95, 96, 97, 127, 128, 129, 200]) {
                let a = words(n, n as u64);
                let b = words(2 * n - 1, 1000 + n as u64);
                let mut out = words(n, 7).into_iter().map(u128::from).collect::<Vec<_>>();
                let expect: Vec<u128> = schoolbook_middle(&a, &b).iter().zip(&out).map(|(x, y)| x ^ y).collect();
                let mut scratch = vec![0; 2 * n];
                let threshold = middle_threshold(portable_only);
                middle(&a, &b, &mut out, &mut scratch, threshold, portable_only);
                assert_eq!(out, expect, "n = {n}, portable only: {portable_only}");
            }
        }
    }

    #[test]
    fn middle_words_equal_those_of_the_full_product() {
        let mut shapes = vec![(1, 1), (1, 2), (2, 3), (5, 5), (5, 6), (3, 100), (100, 101), (100, 102), (64, 200)];
        shapes.extend([(37, 90), (90, 127), (333, 500), (500, 1300), (17, 1000), (1000, 1017), (129, 257)]);
        // Long enough for the FFT when there is no fast multiply.
        shapes.push((2000, 4001));
        assert!(fft_pays(2000, 4001) && !fft_pays(500, 1300) && !fft_pays(1000, 1017));
        for portable_only in [false, true] {
            for &(la, lb) in &shapes {
                let a = words(la, la as u64 * 3 + lb as u64);
                let b = words(lb, lb as u64 * 5 + 1);
                let full = poly_mul(&a, &b);
                let mid = middle_product_with(&a, &b, portable_only);
                assert_eq!(mid, full[la..lb], "{la} x {lb}, portable only: {portable_only}");
            }
        }
        assert!(middle_product(&[1, 2], &[3, 4]).is_empty());
        assert_eq!(middle_product(&[], &[3, 4]), vec![0, 0]);
    }
}
