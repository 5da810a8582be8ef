//! Long GF(2) middle products without a carry-less multiply instruction (wasm32): an additive FFT
//! over GF(2^16) = GF(2)\[z\] / (z^16 + z^12 + z^3 + z + 1).
//!
//! The bytes of a polynomial are field elements, so a GF(2) polynomial is a polynomial over
//! GF(2^16) in `x = z^8` whose products of coefficients (15 bits) never reduce: the GF(2)
//! product is the GF(2^16) one with its 15-bit coefficients overlapped 8 bits apart.
//! Polynomials of degree below 2^16 over the field are evaluated at all of its elements by the
//! FFT of Lin, Chung and Han in their "novel polynomial basis" (FOCS 2014), one multiplication
//! per butterfly; on the Cantor basis (Cantor, J. Combin. Theory A 50, 1989) that basis is built
//! from subspace polynomials with coefficients 0 and 1 (Gao and Mateer, IEEE Trans. IT 56, 2010),
//! so converting from and to monomials takes only XORs. Products are pointwise, modulo
//! `x^65536 + x`; the middle product is assembled from square blocks of 2^15 bytes.

use std::sync::OnceLock;

/// Bits of a field element; the FFT has 2^K points, the whole field.
const K: usize = 16;
const POINTS: usize = 1 << K;
const ORDER: usize = POINTS - 1;
/// z^16 + z^12 + z^3 + z + 1, primitive.
const POLY: u32 = 0x1_100b;
/// The Cantor basis: `CANTOR[0] = 1`, `CANTOR[i]^2 + CANTOR[i] = CANTOR[i - 1]`.
const CANTOR: [u16; K] = [
    0x0001, 0x015e, 0x001a, 0x1cf2, 0x169a, 0xbbac, 0xfde2, 0x468a, 0x0712, 0x1b76, 0xad6c, 0x4640, 0xa79e, 0xf2b4,
    0xf77a, 0x7fe2,
];
/// The "logarithm" of 0 (real ones are below 65535).
const NO_LOG: u16 = u16::MAX;
/// Bytes per block: an operand block of `HALF` bytes meets a window of `POINTS` bytes of the
/// other operand and yields `HALF` middle coefficients, clear of the wrap of `x^65536 = x`.
const HALF: usize = POINTS / 2;

struct Field {
    log: Box<[u16; POINTS]>,
    /// `exp[i] = z^(i mod 65535)`, twice over so that a sum of two logarithms needs no reduction.
    exp: Box<[u16; 2 * POINTS]>,
    /// Logarithms of the butterfly factors `s_r(w_b)`: layer `r` at `2^(15 - r) - 1 + b` for its
    /// block `b`, where `w_b` is the point at the start of the block.
    twiddle: Vec<u16>,
}

fn field() -> &'static Field {
    static FIELD: OnceLock<Field> = OnceLock::new();
    FIELD.get_or_init(Field::new)
}

impl Field {
    fn new() -> Self {
        let mut log = Box::new([NO_LOG; POINTS]);
        let mut exp = Box::new([0u16; 2 * POINTS]);
        let mut x = 1u32;
        for i in 0..ORDER {
            exp[i] = x as u16;
            exp[i + ORDER] = x as u16;
            log[x as usize] = i as u16;
            x <<= 1;
            if x >> K != 0 {
                x ^= POLY;
            }
        }
        let mut f = Self { log, exp, twiddle: vec![NO_LOG; POINTS - 1] };
        // sv[i] = s_r(v_i) with s_0(x) = x, s_(r+1) = s_r^2 + s_r: the subspace polynomial of
        // span(v_0 .. v_(r-1)), equal to 1 at v_r on the Cantor basis.
        let mut sv = CANTOR;
        let mut factors = vec![0u16; POINTS / 2];
        for r in 0..K {
            let blocks = 1 << (K - 1 - r);
            // The block b starts at the point sum of v_(r+1+t) over the bits t of b; s_r is linear.
            for b in 1..blocks {
                factors[b] = factors[b & (b - 1)] ^ sv[r + 1 + b.trailing_zeros() as usize];
            }
            for (t, &c) in f.twiddle[blocks - 1..].iter_mut().zip(&factors[..blocks]) {
                *t = f.log[usize::from(c)];
            }
            for s in sv.iter_mut() {
                *s = f.mul(*s, *s) ^ *s;
            }
        }
        f
    }

    fn mul(&self, a: u16, b: u16) -> u16 {
        if a == 0 || b == 0 {
            return 0;
        }
        self.exp[usize::from(self.log[usize::from(a)]) + usize::from(self.log[usize::from(b)])]
    }

    /// `v` times the element of logarithm `lc` (not [`NO_LOG`]).
    #[inline(always)]
    fn mul_log(&self, v: u16, lc: u16) -> u16 {
        let p = self.exp[(usize::from(self.log[usize::from(v)]) + usize::from(lc)) & (2 * POINTS - 1)];
        if v == 0 { 0 } else { p }
    }

    /// Evaluates `d` (coefficients in the novel basis) at every point: `d[u] = D(w_u)`, `w_u` the
    /// sum of `v_i` over the bits `i` of `u`. On a block at `w` of `2^(r+1)` points,
    /// `D = D0 + s_r D1` where `s_r` is `c = s_r(w)` on the first half and `c + 1` on the second.
    fn fft(&self, d: &mut [u16]) {
        for r in (0..K).rev() {
            let half = 1 << r;
            let tw = &self.twiddle[(1 << (K - 1 - r)) - 1..];
            for (block, &lc) in d.chunks_exact_mut(2 * half).zip(tw) {
                let (lo, hi) = block.split_at_mut(half);
                if lc == NO_LOG {
                    for (u, v) in lo.iter().zip(hi) {
                        *v ^= u;
                    }
                } else {
                    for (u, v) in lo.iter_mut().zip(hi) {
                        *u ^= self.mul_log(*v, lc);
                        *v ^= *u;
                    }
                }
            }
        }
    }

    /// The inverse of [`Self::fft`]: the butterflies undone in reverse order.
    fn ifft(&self, d: &mut [u16]) {
        for r in 0..K {
            let half = 1 << r;
            let tw = &self.twiddle[(1 << (K - 1 - r)) - 1..];
            for (block, &lc) in d.chunks_exact_mut(2 * half).zip(tw) {
                let (lo, hi) = block.split_at_mut(half);
                if lc == NO_LOG {
                    for (u, v) in lo.iter().zip(hi) {
                        *v ^= u;
                    }
                } else {
                    for (u, v) in lo.iter_mut().zip(hi) {
                        *v ^= *u;
                        *u ^= self.mul_log(*v, lc);
                    }
                }
            }
        }
    }
}

/// Offsets `2^j` (`j < r`) of the lower terms of `s_r(x) = sum over j in r (as bit sets) of
/// x^(2^j)` (Lucas: the binomial coefficient `C(r, j)` is odd).
fn lower_terms(r: usize) -> impl Iterator<Item = usize> {
    (0..r).filter(move |&j| j & r == j).map(|j| 1 << j)
}

/// One layer of the basis change on elements of `e` bits packed in `buf`: on each block of
/// `2h` elements, element `m - h + t` ^= element `m` for `m` from `2h - 1` down to `h` and each
/// lower term `t` of `s_r` (long division by `s_r`, the quotient left in the top half), or the
/// same steps undone. As `t <= h / 2`, the top quarter's steps read only their own sources, and
/// the third quarter's sources are final once they are done: two passes of disjoint XORs.
fn divide_layer(buf: &mut [u64], e: usize, r: usize, undo: bool) {
    if r == 0 {
        return;
    }
    let h = 1usize << r;
    let block = 2 * h * e;
    let terms: Vec<usize> = lower_terms(r).collect();
    // Passes as (source quarter, destination start minus t), in elements.
    let passes = if undo { [(h, 0), (3 * h / 2, h / 2)] } else { [(3 * h / 2, h / 2), (h, 0)] };
    if block <= 64 {
        // Blocks inside a word: shift the sources down onto the destinations, all blocks at once.
        let rep = (0..64 / block).fold(0u64, |acc, i| acc | 1 << (i * block));
        for (src, dst0) in passes {
            for &t in &terms {
                let dst = dst0 + t;
                let mask = (((1u64 << (h / 2 * e)) - 1) << (dst * e)).wrapping_mul(rep);
                let shift = (src - dst) * e;
                for w in buf.iter_mut() {
                    *w ^= (*w >> shift) & mask;
                }
            }
        }
    } else if block == 128 {
        // The same on word pairs (sources in the high word, as h / 2 * e = 32 and src >= h).
        for (src, dst0) in passes {
            for &t in &terms {
                let dst = dst0 + t;
                let mask = ((1u128 << (h / 2 * e)) - 1) << (dst * e);
                let (m0, m1) = (mask as u64, (mask >> 64) as u64);
                let (shift, from) = ((src - dst) * e, src * e - 64);
                for w in buf.chunks_exact_mut(2) {
                    // Bits of w[1] from `from` on, moved down by `shift`.
                    let v = w[1] >> from;
                    let to = from + 64 - shift;
                    if to >= 64 {
                        w[1] ^= (v << (to - 64)) & m1;
                    } else {
                        w[0] ^= (v << to) & m0;
                        w[1] ^= (v >> (64 - to)) & m1;
                    }
                }
            }
        }
    } else {
        // Sources start on words and span whole words (h / 2 * e is a multiple of 64): each
        // source word lands on two destination words.
        let (words, span) = (block / 64, h / 2 * e / 64);
        for b in (0..buf.len()).step_by(words) {
            for (src, dst0) in passes {
                let s0 = b + src * e / 64;
                for &t in &terms {
                    let d = b * 64 + (dst0 + t) * e;
                    let (d0, sh) = (d / 64, d % 64);
                    for k in 0..span {
                        let v = buf[s0 + k];
                        buf[d0 + k] ^= v << sh;
                        if sh != 0 {
                            buf[d0 + k + 1] ^= v >> (64 - sh);
                        }
                    }
                }
            }
        }
    }
}

/// Monomial coefficients to novel-basis ones, in place (elements of `e` bits packed in `buf`,
/// `2^K` of them): the remainder and quotient by `s_r` on each block of `2^(r+1)`, top layer
/// first.
fn to_novel(buf: &mut [u64], e: usize) {
    for r in (0..K).rev() {
        divide_layer(buf, e, r, false);
    }
}

/// The inverse of [`to_novel`].
fn from_novel(buf: &mut [u64], e: usize) {
    for r in 0..K {
        divide_layer(buf, e, r, true);
    }
}

/// The evaluations of the polynomial whose bytes are `w[start ..]` (words, zero outside `w`),
/// `len` bytes of it.
fn transform(f: &Field, w: &[u64], start: isize, len: usize) -> Vec<u16> {
    let mut packed = vec![0u64; POINTS / 8];
    for (i, p) in packed.iter_mut().enumerate() {
        let j = start + i as isize;
        if j >= 0 {
            *p = w.get(j as usize).copied().unwrap_or(0);
        }
    }
    // Keep the first `len` bytes only.
    if len < POINTS {
        let cut = len * 8;
        for (i, p) in packed.iter_mut().enumerate().skip(cut / 64) {
            let keep = cut.saturating_sub(i * 64);
            *p &= if keep >= 64 { u64::MAX } else { (1u64 << keep) - 1 };
        }
    }
    to_novel(&mut packed, 8);
    let mut d = vec![0u16; POINTS];
    for (chunk, &p) in d.chunks_exact_mut(8).zip(&packed) {
        for (i, x) in chunk.iter_mut().enumerate() {
            *x = ((p >> (8 * i)) & 0xff) as u16;
        }
    }
    f.fft(&mut d);
    d
}

/// Transforms (of 2^16 points) [`middle_product`] takes for `n` and `l` words.
pub(super) fn transforms(n: usize, l: usize) -> usize {
    let blocks_a = (8 * n).div_ceil(HALF);
    let blocks_c = (8 * l + 1 - 8 * n).div_ceil(HALF);
    2 * (blocks_a + blocks_c) - 1
}

/// Words `a.len() .. b.len()` of `a * b` (see [`super::middle_product`]).
pub(super) fn middle_product(a: &[u64], b: &[u64]) -> Vec<u64> {
    let (n, l) = (a.len(), b.len());
    if l <= n || n == 0 {
        return vec![0; l.saturating_sub(n)];
    }
    let f = field();
    // Byte coefficients c[k] = sum_i a[i] b[k - i] for k in 8n - 1 .. 8l: product byte k is the
    // low byte of c[k] and the high bits of c[k - 1].
    let first = 8 * n - 1;
    let count = 8 * l - first;
    let (blocks_a, blocks_c) = ((8 * n).div_ceil(HALF), count.div_ceil(HALF));
    // Block (r, s): bytes [s H, (s + 1) H) of `a` against bytes from first + (r - s - 1) H + 1 of
    // `b` (a window of 2H), whose product holds c[first + r H + t] at t + H - 1 for t < H.
    // Blocks start on word boundaries (8n and H are multiples of 8). A window's last byte is
    // never needed; without it a block product has degree at most 3H - 3, which
    // x^(65536 + i) = x^(1 + i) folds onto degrees up to H - 2, below the coefficients read.
    let words = (HALF / 8) as isize;
    let ta: Vec<Vec<u16>> = (0..blocks_a).map(|s| transform(f, a, s as isize * words, HALF)).collect();
    let window = |d: isize| transform(f, b, n as isize + (d - 1) * words, POINTS - 1);
    let tb: Vec<Vec<u16>> = (0..blocks_a + blocks_c - 1).map(|i| window(i as isize + 1 - blocks_a as isize)).collect();
    let mut out = vec![0u64; l - n];
    let mut acc = vec![0u16; POINTS];
    for r in 0..blocks_c {
        acc.fill(0);
        for (s, xa) in ta.iter().enumerate() {
            let xb = &tb[r + blocks_a - 1 - s];
            for ((p, &u), &v) in acc.iter_mut().zip(xa).zip(xb) {
                *p ^= f.mul(u, v);
            }
        }
        f.ifft(&mut acc);
        let mut packed: Vec<u64> =
            acc.chunks_exact(4).map(|c| c.iter().rev().fold(0, |w, &x| w << 16 | u64::from(x))).collect();
        from_novel(&mut packed, 16);
        for t in 0..HALF {
            let i = HALF - 1 + t;
            let c = (packed[i / 4] >> (16 * (i % 4))) & 0xffff;
            let k = first + r * HALF + t;
            if k >= 8 * l {
                break;
            }
            if k < 8 * n {
                out[0] ^= c >> 8;
                continue;
            }
            let bit = 8 * (k - 8 * n);
            out[bit / 64] ^= c << (bit % 64);
            if bit % 64 > 49 && bit / 64 + 1 < out.len() {
                out[bit / 64 + 1] ^= c >> (64 - bit % 64);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gf2::poly_mul;

    #[test]
    fn the_field_is_built_on_a_primitive_polynomial_and_a_cantor_basis() {
        let f = field();
        let mut seen = vec![false; POINTS];
        for &e in &f.exp[..ORDER] {
            assert!(!seen[usize::from(e)], "z has order below 65535");
            seen[usize::from(e)] = true;
        }
        assert_eq!(CANTOR[0], 1);
        for i in 1..K {
            assert_eq!(f.mul(CANTOR[i], CANTOR[i]) ^ CANTOR[i], CANTOR[i - 1], "v_{i}");
        }
        // The basis spans the field: all 2^16 subset sums differ.
        let mut span = vec![false; POINTS];
        for u in 0..POINTS {
            let w = (0..K).filter(|i| u >> i & 1 == 1).fold(0, |acc, i| acc ^ CANTOR[i]);
            assert!(!span[usize::from(w)]);
            span[usize::from(w)] = true;
        }
    }

    fn eval_monomial(f: &Field, d: &[u16], x: u16) -> u16 {
        d.iter().rev().fold(0, |acc, &c| f.mul(acc, x) ^ c)
    }

    #[test]
    fn the_fft_of_novel_coefficients_evaluates_the_monomial_polynomial_at_every_point() {
        let f = field();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let d: Vec<u16> = (0..POINTS)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Sparse above a low-degree part, so the naive evaluation stays quick.
                if i < 300 || i % 4099 == 0 { x as u16 } else { 0 }
            })
            .collect();
        let pack = |d: &[u16]| -> Vec<u64> {
            d.chunks_exact(4).map(|c| c.iter().rev().fold(0, |w, &x| w << 16 | u64::from(x))).collect()
        };
        let unpack = |p: &[u64]| -> Vec<u16> { (0..POINTS).map(|i| (p[i / 4] >> (16 * (i % 4))) as u16).collect() };
        let mut packed = pack(&d);
        to_novel(&mut packed, 16);
        let mut e = unpack(&packed);
        // Bytes convert alone (the basis change acts on elements as wholes).
        let lows: Vec<u16> = d.iter().map(|x| x & 0xff).collect();
        let mut bytes: Vec<u64> =
            lows.chunks_exact(8).map(|c| c.iter().rev().fold(0, |w, &x| w << 8 | u64::from(x))).collect();
        to_novel(&mut bytes, 8);
        for (i, x) in e.iter().enumerate() {
            assert_eq!((bytes[i / 8] >> (8 * (i % 8))) as u8, *x as u8, "byte {i}");
        }
        from_novel(&mut packed, 16);
        assert_eq!(unpack(&packed), d);
        f.fft(&mut e);
        for u in (0..POINTS).step_by(257).chain([1, 2, 3, POINTS - 1]) {
            let w = (0..K).filter(|i| u >> i & 1 == 1).fold(0, |acc, i| acc ^ CANTOR[i]);
            assert_eq!(e[u], eval_monomial(f, &d, w), "point {u}");
        }
        f.ifft(&mut e);
        let mut packed = pack(&e);
        from_novel(&mut packed, 16);
        assert_eq!(unpack(&packed), d);
    }

    #[test]
    fn fft_middle_words_equal_those_of_the_full_product() {
        for (la, lb) in [(1, 2), (3, 9), (511, 1024), (4096, 4097), (4097, 8300), (9000, 13100), (300, 9000)] {
            let (a, b) = (crate::gf2::test_words(la, la as u64), crate::gf2::test_words(lb, 7 * lb as u64));
            assert_eq!(middle_product(&a, &b), poly_mul(&a, &b)[la..lb], "{la} x {lb}");
        }
    }
}
