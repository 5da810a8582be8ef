//! 64 x 64 -> 128-bit carry-less multiplication.
//!
//! On x86_64 with PCLMULQDQ (detected once at run time) this is one instruction; elsewhere
//! (wasm32 included) a portable version multiplies integers with four-bit "holes" so carries
//! never reach a bit that is kept (the technique of BearSSL's `ghash_ctmul64`).
//!
//! This is one of three modules with `unsafe` (the others are the LDPC layered decoder's AVX2
//! dispatch, `reconciliation/ldpc/layered.rs`, and its byte-shuffle lookups,
//! `reconciliation/ldpc/shuffle.rs`): calling a `#[target_feature]` function after the
//! feature was detected, and its unaligned 128-bit loads. A word product costs one instruction
//! with PCLMULQDQ and about 32 multiplications without, which is why long middle products
//! without it take the additive FFT of fft.rs instead of Karatsuba.
#![allow(unsafe_code)]

/// The 128-bit carry-less product of `a` and `b`, as `(low, high)` words. Bit `i` of a word is
/// the coefficient of `z^i` (LSB first).
#[inline]
pub fn clmul(a: u64, b: u64) -> (u64, u64) {
    #[cfg(target_arch = "x86_64")]
    {
        if has_pclmulqdq() {
            // SAFETY: the CPU supports PCLMULQDQ and SSE2 (checked just above).
            return unsafe { x86::clmul(a, b) };
        }
    }
    portable(a, b)
}

/// XORs the schoolbook product `a * b` into `out` (`a.len() + b.len()` words at least): the
/// base case of the Karatsuba product, dispatched once per call so the loop inlines the
/// instruction.
pub fn schoolbook_into(a: &[u64], b: &[u64], out: &mut [u64]) {
    assert!(out.len() >= a.len() + b.len(), "product buffer too short");
    #[cfg(target_arch = "x86_64")]
    {
        if has_pclmulqdq() {
            // SAFETY: the CPU supports PCLMULQDQ and SSE2 (checked just above).
            unsafe { x86::schoolbook_into(a, b, out) };
            return;
        }
    }
    for (i, &x) in a.iter().enumerate() {
        for (j, &y) in b.iter().enumerate() {
            let (lo, hi) = portable(x, y);
            out[i + j] ^= lo;
            out[i + j + 1] ^= hi;
        }
    }
}

/// Words at or below which [`middle_base`] ends the middle-product recursion (and twice which,
/// for even sizes, [`middle_split_base`]): with PCLMULQDQ a word product costs about as much as
/// the XORs Karatsuba trades it for, without it ~30 times more.
pub(super) fn middle_threshold(portable_only: bool) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        if !portable_only && has_pclmulqdq() {
            return 16;
        }
    }
    let _ = portable_only;
    PORTABLE_BASE
}

/// Whether word products take one instruction (PCLMULQDQ, detected at run time).
pub(super) fn has_fast_clmul(portable_only: bool) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        if !portable_only && has_pclmulqdq() {
            return true;
        }
    }
    let _ = portable_only;
    false
}

/// Largest base case of the portable middle product (its split operands live on the stack).
const PORTABLE_BASE: usize = 4;

/// The schoolbook middle product: `out[t] ^= sum_i a[i] * b[n - 1 + t - i]` for `t < n =
/// a.len()`, with `b.len() == 2n - 1` and 128-bit word products. `portable_only` skips
/// PCLMULQDQ (tests).
pub(super) fn middle_base(a: &[u64], b: &[u64], out: &mut [u128], portable_only: bool) {
    let n = a.len();
    assert!(b.len() + 1 == 2 * n && out.len() >= n, "middle product shapes");
    #[cfg(target_arch = "x86_64")]
    {
        if !portable_only && has_pclmulqdq() {
            // SAFETY: the CPU supports PCLMULQDQ and SSE2 (checked just above); shapes checked.
            unsafe { x86::middle_base(a, b, out) };
            return;
        }
    }
    let _ = portable_only;
    if n <= PORTABLE_BASE {
        portable_middle_base(a, b, out);
    } else {
        for (t, o) in out[..n].iter_mut().enumerate() {
            *o ^= a.iter().zip(b[t..t + n].iter().rev()).fold(0, |acc, (&x, &y)| acc ^ to_u128(portable(x, y)));
        }
    }
}

/// The middle product of even size `n = 2h` (see [`middle_base`]) by one transposed Karatsuba
/// step (middle.rs) whose three half-size products run as schoolbook rows at once, the sums of
/// halves formed in registers: `3h^2` word products and no pass over memory. Returns false
/// (doing nothing) without PCLMULQDQ.
pub(super) fn middle_split_base(a: &[u64], b: &[u64], out: &mut [u128], portable_only: bool) -> bool {
    let n = a.len();
    assert!(n.is_multiple_of(2) && b.len() + 1 == 2 * n && out.len() >= n, "middle product shapes");
    #[cfg(target_arch = "x86_64")]
    {
        if !portable_only && has_pclmulqdq() {
            // SAFETY: the CPU supports PCLMULQDQ and SSE2 (checked just above); shapes checked.
            unsafe { x86::middle_split_base(a, b, out) };
            return true;
        }
    }
    let _ = portable_only;
    false
}

/// The last row and column of a middle product of odd size `n` (see [`middle_base`]):
/// `out[t] ^= a[n - 1] * b[t]` for `t < n - 1` and `out[n - 1] ^= sum_i a[i] * b[2n - 2 - i]`.
pub(super) fn middle_peel(a: &[u64], b: &[u64], out: &mut [u128], portable_only: bool) {
    let n = a.len();
    assert!(n > 0 && b.len() + 1 == 2 * n && out.len() >= n, "middle product shapes");
    #[cfg(target_arch = "x86_64")]
    {
        if !portable_only && has_pclmulqdq() {
            // SAFETY: the CPU supports PCLMULQDQ and SSE2 (checked just above); shapes checked.
            unsafe { x86::middle_peel(a, b, out) };
            return;
        }
    }
    let _ = portable_only;
    let k = n - 1;
    for (o, &y) in out[..k].iter_mut().zip(&b[..k]) {
        *o ^= to_u128(portable(a[k], y));
    }
    out[k] ^= a.iter().zip(b[k..].iter().rev()).fold(0, |acc, (&x, &y)| acc ^ to_u128(portable(x, y)));
}

#[inline]
fn to_u128((lo, hi): (u64, u64)) -> u128 {
    u128::from(lo) | (u128::from(hi) << 64)
}

const M0: u64 = 0x1111_1111_1111_1111;
const M1: u64 = 0x2222_2222_2222_2222;
const M2: u64 = 0x4444_4444_4444_4444;
const M3: u64 = 0x8888_8888_8888_8888;

/// A word and its bit reversal, each cut into the four bit classes of [`low`].
#[inline]
fn split(x: u64) -> [u64; 8] {
    let r = x.reverse_bits();
    [x & M0, x & M1, x & M2, x & M3, r & M0, r & M1, r & M2, r & M3]
}

/// [`middle_base`] without PCLMULQDQ for `n <= PORTABLE_BASE`: every operand word is split and
/// reversed once, and each output sums the class products before masking (masks and reversal
/// are linear), so a word product costs 32 multiplications and no reversal.
fn portable_middle_base(a: &[u64], b: &[u64], out: &mut [u128]) {
    let n = a.len();
    let mut sa = [[0u64; 8]; PORTABLE_BASE];
    let mut sb = [[0u64; 8]; 2 * PORTABLE_BASE - 1];
    for (s, &x) in sa.iter_mut().zip(a) {
        *s = split(x);
    }
    for (s, &x) in sb.iter_mut().zip(b) {
        *s = split(x);
    }
    let m = u64::wrapping_mul;
    for (t, o) in out[..n].iter_mut().enumerate() {
        let mut z = [0u64; 8];
        for (x, y) in sa[..n].iter().zip(sb[t..t + n].iter().rev()) {
            for h in [0, 4] {
                let (x, y) = (&x[h..h + 4], &y[h..h + 4]);
                z[h] ^= m(x[0], y[0]) ^ m(x[1], y[3]) ^ m(x[2], y[2]) ^ m(x[3], y[1]);
                z[h + 1] ^= m(x[0], y[1]) ^ m(x[1], y[0]) ^ m(x[2], y[3]) ^ m(x[3], y[2]);
                z[h + 2] ^= m(x[0], y[2]) ^ m(x[1], y[1]) ^ m(x[2], y[0]) ^ m(x[3], y[3]);
                z[h + 3] ^= m(x[0], y[3]) ^ m(x[1], y[2]) ^ m(x[2], y[1]) ^ m(x[3], y[0]);
            }
        }
        let lo = (z[0] & M0) | (z[1] & M1) | (z[2] & M2) | (z[3] & M3);
        let hi = ((z[4] & M0) | (z[5] & M1) | (z[6] & M2) | (z[7] & M3)).reverse_bits() >> 1;
        *o ^= u128::from(lo) | (u128::from(hi) << 64);
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn has_pclmulqdq() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| std::arch::is_x86_feature_detected!("pclmulqdq"))
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::{
        __m128i, _mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_loadu_si128, _mm_set_epi64x, _mm_setzero_si128,
        _mm_unpackhi_epi64, _mm_xor_si128,
    };

    #[target_feature(enable = "pclmulqdq,sse2")]
    pub(super) fn clmul(a: u64, b: u64) -> (u64, u64) {
        let x: __m128i = _mm_set_epi64x(0, a as i64);
        let y: __m128i = _mm_set_epi64x(0, b as i64);
        let p = _mm_clmulepi64_si128::<0x00>(x, y);
        let lo = _mm_cvtsi128_si64(p) as u64;
        let hi = _mm_cvtsi128_si64(_mm_unpackhi_epi64(p, p)) as u64;
        (lo, hi)
    }

    /// See [`super::middle_base`]: two word products per pair of 128-bit loads, one 128-bit
    /// accumulator per output.
    #[target_feature(enable = "pclmulqdq,sse2")]
    pub(super) fn middle_base(a: &[u64], b: &[u64], out: &mut [u128]) {
        let n = a.len();
        debug_assert!(b.len() + 1 == 2 * n && out.len() >= n);
        let pa = a.as_ptr();
        for (t, o) in out[..n].iter_mut().enumerate() {
            // The products a[i] * b[n - 1 + t - i]: with w = b[t..t + n], a[i] meets w[n - 1 - i].
            let pw = b[t..t + n].as_ptr();
            let mut acc = _mm_setzero_si128();
            let mut i = 0;
            while i + 2 <= n {
                // SAFETY: i + 1 < n, so a[i..i + 2] and w[n - 2 - i..n - i] are in bounds.
                let (x, y) = unsafe { (_mm_loadu_si128(pa.add(i).cast()), _mm_loadu_si128(pw.add(n - 2 - i).cast())) };
                // x = (a[i], a[i + 1]), y = (w[n - 2 - i], w[n - 1 - i]).
                let p = _mm_xor_si128(_mm_clmulepi64_si128::<0x10>(x, y), _mm_clmulepi64_si128::<0x01>(x, y));
                acc = _mm_xor_si128(acc, p);
                i += 2;
            }
            if i < n {
                let x = _mm_set_epi64x(0, a[i] as i64);
                let y = _mm_set_epi64x(0, b[t] as i64);
                acc = _mm_xor_si128(acc, _mm_clmulepi64_si128::<0x00>(x, y));
            }
            let lo = _mm_cvtsi128_si64(acc) as u64;
            let hi = _mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc)) as u64;
            *o ^= u128::from(lo) | (u128::from(hi) << 64);
        }
    }

    /// See [`super::middle_split_base`]: with `a = a0 + y a1` and `b`'s windows `b0, b1, b2`,
    /// outputs `t < h` get `alpha + beta`, outputs `h + t` get `gamma + beta`, where
    /// `alpha = MP(a1, b0 + b1)`, `beta = MP(a0 + a1, b1)`, `gamma = MP(a0, b1 + b2)`.
    #[target_feature(enable = "pclmulqdq,sse2")]
    pub(super) fn middle_split_base(a: &[u64], b: &[u64], out: &mut [u128]) {
        let h = a.len() / 2;
        debug_assert!(b.len() + 1 == 4 * h && out.len() >= 2 * h);
        let (pa0, pa1) = (a.as_ptr(), a[h..].as_ptr());
        let (o0, o1) = out.split_at_mut(h);
        for (t, (p, q)) in o0.iter_mut().zip(o1.iter_mut()).enumerate() {
            // Window k of b for output t: b[k h + t .. k h + t + h]; a[i] meets its word h - 1 - i.
            let (w0, w1, w2) = (b[t..t + h].as_ptr(), b[h + t..2 * h + t].as_ptr(), b[2 * h + t..3 * h + t].as_ptr());
            let (mut alpha, mut beta, mut gamma) = (_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128());
            let mut i = 0;
            while i + 2 <= h {
                let j = h - 2 - i;
                // SAFETY: i + 1 < h, so a0/a1[i..i + 2] and every window's [j..j + 2] are in bounds.
                let (x0, x1, y0, y1, y2) = unsafe {
                    (
                        _mm_loadu_si128(pa0.add(i).cast()),
                        _mm_loadu_si128(pa1.add(i).cast()),
                        _mm_loadu_si128(w0.add(j).cast()),
                        _mm_loadu_si128(w1.add(j).cast()),
                        _mm_loadu_si128(w2.add(j).cast()),
                    )
                };
                let (xs, y01, y12) = (_mm_xor_si128(x0, x1), _mm_xor_si128(y0, y1), _mm_xor_si128(y1, y2));
                alpha = _mm_xor_si128(
                    alpha,
                    _mm_xor_si128(_mm_clmulepi64_si128::<0x10>(x1, y01), _mm_clmulepi64_si128::<0x01>(x1, y01)),
                );
                beta = _mm_xor_si128(
                    beta,
                    _mm_xor_si128(_mm_clmulepi64_si128::<0x10>(xs, y1), _mm_clmulepi64_si128::<0x01>(xs, y1)),
                );
                gamma = _mm_xor_si128(
                    gamma,
                    _mm_xor_si128(_mm_clmulepi64_si128::<0x10>(x0, y12), _mm_clmulepi64_si128::<0x01>(x0, y12)),
                );
                i += 2;
            }
            if i < h {
                // The last a word meets each window's first word.
                let x0 = _mm_set_epi64x(0, a[i] as i64);
                let x1 = _mm_set_epi64x(0, a[h + i] as i64);
                let (y0, y1, y2) = (b[t], b[h + t], b[2 * h + t]);
                let y01 = _mm_set_epi64x(0, (y0 ^ y1) as i64);
                let y12 = _mm_set_epi64x(0, (y1 ^ y2) as i64);
                alpha = _mm_xor_si128(alpha, _mm_clmulepi64_si128::<0x00>(x1, y01));
                beta = _mm_xor_si128(
                    beta,
                    _mm_clmulepi64_si128::<0x00>(_mm_xor_si128(x0, x1), _mm_set_epi64x(0, y1 as i64)),
                );
                gamma = _mm_xor_si128(gamma, _mm_clmulepi64_si128::<0x00>(x0, y12));
            }
            *p ^= to_u128(_mm_xor_si128(alpha, beta));
            *q ^= to_u128(_mm_xor_si128(gamma, beta));
        }
    }

    #[target_feature(enable = "sse2")]
    fn to_u128(x: __m128i) -> u128 {
        let lo = _mm_cvtsi128_si64(x) as u64;
        let hi = _mm_cvtsi128_si64(_mm_unpackhi_epi64(x, x)) as u64;
        u128::from(lo) | (u128::from(hi) << 64)
    }

    /// See [`super::middle_peel`].
    #[target_feature(enable = "pclmulqdq,sse2")]
    pub(super) fn middle_peel(a: &[u64], b: &[u64], out: &mut [u128]) {
        let k = a.len() - 1;
        for (o, &y) in out[..k].iter_mut().zip(&b[..k]) {
            let (lo, hi) = clmul(a[k], y);
            *o ^= u128::from(lo) | (u128::from(hi) << 64);
        }
        let mut acc = 0;
        for (&x, &y) in a.iter().zip(b[k..].iter().rev()) {
            let (lo, hi) = clmul(x, y);
            acc ^= u128::from(lo) | (u128::from(hi) << 64);
        }
        out[k] ^= acc;
    }

    #[target_feature(enable = "pclmulqdq,sse2")]
    pub(super) fn schoolbook_into(a: &[u64], b: &[u64], out: &mut [u64]) {
        for (i, &x) in a.iter().enumerate() {
            for (j, &y) in b.iter().enumerate() {
                let (lo, hi) = clmul(x, y);
                out[i + j] ^= lo;
                out[i + j + 1] ^= hi;
            }
        }
    }
}

/// The low 64 bits of the carry-less product, from integer multiplications: each operand is
/// split into four interleaved bit classes so every partial sum stays below 16 and carries
/// land only on bits the final masks discard.
#[inline]
fn low(x: u64, y: u64) -> u64 {
    let (x0, x1, x2, x3) = (x & M0, x & M1, x & M2, x & M3);
    let (y0, y1, y2, y3) = (y & M0, y & M1, y & M2, y & M3);
    let m = u64::wrapping_mul;
    let z0 = m(x0, y0) ^ m(x1, y3) ^ m(x2, y2) ^ m(x3, y1);
    let z1 = m(x0, y1) ^ m(x1, y0) ^ m(x2, y3) ^ m(x3, y2);
    let z2 = m(x0, y2) ^ m(x1, y1) ^ m(x2, y0) ^ m(x3, y3);
    let z3 = m(x0, y3) ^ m(x1, y2) ^ m(x2, y1) ^ m(x3, y0);
    (z0 & M0) | (z1 & M1) | (z2 & M2) | (z3 & M3)
}

/// Portable carry-less multiply: the high half comes from the bit-reversed operands.
#[inline]
pub fn portable(a: u64, b: u64) -> (u64, u64) {
    let lo = low(a, b);
    let hi = low(a.reverse_bits(), b.reverse_bits()).reverse_bits() >> 1;
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: u64, b: u64) -> (u64, u64) {
        let mut r: u128 = 0;
        for i in 0..64 {
            if (b >> i) & 1 == 1 {
                r ^= u128::from(a) << i;
            }
        }
        (r as u64, (r >> 64) as u64)
    }

    #[test]
    fn middle_base_cases_match_the_definition_with_and_without_pclmulqdq() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for n in 1..=12 {
            let a: Vec<u64> = (0..n).map(|_| next()).collect();
            let b: Vec<u64> = (0..2 * n - 1).map(|_| next()).collect();
            let expect: Vec<u128> =
                (0..n).map(|t| (0..n).fold(0, |acc, i| acc ^ to_u128(naive(a[i], b[n - 1 + t - i])))).collect();
            for portable_only in [false, true] {
                let mut out = vec![0u128; n];
                middle_base(&a, &b, &mut out, portable_only);
                assert_eq!(out, expect, "n = {n}, portable only: {portable_only}");
                let mut out = vec![0u128; n];
                if n % 2 == 0 && middle_split_base(&a, &b, &mut out, portable_only) {
                    assert_eq!(out, expect, "split, n = {n}");
                }
                if n % 2 == 1 {
                    // The peel adds the last row and column to the rest.
                    let mut out = vec![0u128; n];
                    middle_peel(&a, &b, &mut out, portable_only);
                    let k = n - 1;
                    for (t, o) in out.iter().enumerate().take(k) {
                        let rest = (0..k).fold(0, |acc, i| acc ^ to_u128(naive(a[i], b[k + t - i])));
                        assert_eq!(o ^ rest, expect[t], "peel, n = {n}, t = {t}");
                    }
                    assert_eq!(out[k], expect[k], "peel, n = {n}");
                }
            }
        }
    }

    #[test]
    fn portable_and_dispatched_products_match_the_shift_and_xor_definition() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut cases = vec![(0, 0), (1, 1), (u64::MAX, u64::MAX), (1 << 63, 1 << 63), (u64::MAX, 1)];
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            cases.push((x, x.rotate_left(29) ^ 0x5555));
        }
        for (a, b) in cases {
            assert_eq!(portable(a, b), naive(a, b), "{a:x} * {b:x}");
            assert_eq!(clmul(a, b), naive(a, b), "{a:x} * {b:x}");
        }
    }
}
