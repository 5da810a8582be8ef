//! Privacy amplification: Toeplitz hashing of the reconciled key down to the length the
//! finite-key bound allows.

mod finite_key;

pub use finite_key::{FiniteKey, binary_entropy, checked_finite_key_length, finite_key_length, statistical_deviation};

use crate::bits::BitVec;
use crate::error::Error;
use crate::gf2::poly_mul;

/// Toeplitz hash of `input` (`n` bits) with `seed` (`n + m - 1` bits) to `m` bits:
/// `y[i] = XOR_j s[i + n - 1 - j] & x[j]`, the Toeplitz matrix `T[i][j] = s[i - j + n - 1]`
/// (shared/DESIGN.md). Computed as coefficients `n-1 .. n+m-2` of the GF(2) product
/// `S(z) X(z)` with Karatsuba over carry-less word products, so 10^6 bits take milliseconds.
///
/// Toeplitz matrices with a uniform seed form a universal-2 hash family (Krawczyk, CRYPTO
/// 1994), as the leftover hash lemma needs.
pub fn toeplitz_hash(seed: &BitVec, input: &BitVec, output_bits: usize) -> Result<BitVec, Error> {
    let n = input.len();
    let m = output_bits;
    if m == 0 {
        return Ok(BitVec::zeros(0));
    }
    if n == 0 {
        return Err(Error::invalid("inputBits", "must be at least 1 when outputBits > 0"));
    }
    if seed.len() != n + m - 1 {
        return Err(Error::invalid(
            "seed",
            format!("must hold inputBits + outputBits - 1 = {} bits, got {}", n + m - 1, seed.len()),
        ));
    }
    let s: Vec<u64> = seed.words().iter().map(|w| w.reverse_bits()).collect();
    let x: Vec<u64> = input.words().iter().map(|w| w.reverse_bits()).collect();
    let prod = poly_mul(&s, &x);
    // Take coefficients n-1 .. n-1+m as LSB-first words, then back to MSB-first.
    let shift = n - 1;
    let (wo, bo) = (shift / 64, shift % 64);
    let out_words = m.div_ceil(64);
    let mut out = Vec::with_capacity(out_words);
    for i in 0..out_words {
        let lo = prod.get(wo + i).copied().unwrap_or(0) >> bo;
        let hi = if bo == 0 { 0 } else { prod.get(wo + i + 1).copied().unwrap_or(0) << (64 - bo) };
        out.push((lo | hi).reverse_bits());
    }
    Ok(BitVec::from_words(out, m))
}

/// The O(n m) definition, for tests and known answers.
pub fn toeplitz_hash_naive(seed: &BitVec, input: &BitVec, output_bits: usize) -> BitVec {
    let n = input.len();
    let mut y = BitVec::zeros(output_bits);
    for i in 0..output_bits {
        let mut acc = false;
        for j in 0..n {
            acc ^= seed.get(i + n - 1 - j) & input.get(j);
        }
        y.set(i, acc);
    }
    y
}
