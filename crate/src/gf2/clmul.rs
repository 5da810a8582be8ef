//! 64 x 64 -> 128-bit carry-less multiplication.
//!
//! On x86_64 with PCLMULQDQ (detected once at run time) this is one instruction; elsewhere
//! (wasm32 included) a portable version multiplies integers with four-bit "holes" so carries
//! never reach a bit that is kept (the technique of BearSSL's `ghash_ctmul64`).
//!
//! This is the only module with `unsafe`: calling a `#[target_feature]` function after the
//! feature was detected. The benchmark measures why: Toeplitz hashing of 10^6 bits takes about
//! ten times longer with the portable multiply.
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

#[cfg(target_arch = "x86_64")]
#[inline]
fn has_pclmulqdq() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| std::arch::is_x86_feature_detected!("pclmulqdq"))
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::{__m128i, _mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_set_epi64x, _mm_unpackhi_epi64};

    #[target_feature(enable = "pclmulqdq,sse2")]
    pub(super) fn clmul(a: u64, b: u64) -> (u64, u64) {
        let x: __m128i = _mm_set_epi64x(0, a as i64);
        let y: __m128i = _mm_set_epi64x(0, b as i64);
        let p = _mm_clmulepi64_si128::<0x00>(x, y);
        let lo = _mm_cvtsi128_si64(p) as u64;
        let hi = _mm_cvtsi128_si64(_mm_unpackhi_epi64(p, p)) as u64;
        (lo, hi)
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
    const M0: u64 = 0x1111_1111_1111_1111;
    const M1: u64 = 0x2222_2222_2222_2222;
    const M2: u64 = 0x4444_4444_4444_4444;
    const M3: u64 = 0x8888_8888_8888_8888;
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
