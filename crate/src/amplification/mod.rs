//! Privacy amplification: Toeplitz hashing of the reconciled key down to the length the
//! finite-key bound allows.

mod decoy;
mod finite_key;

pub use decoy::{ClassCounts, DecoyKey, SourceTerms, decoy_key_length};
pub use finite_key::{FiniteKey, binary_entropy, checked_finite_key_length, finite_key_length, statistical_deviation};

use crate::bits::BitVec;
use crate::error::Error;

/// Toeplitz hash of `input` (`n` bits) with `seed` (`n + m - 1` bits) to `m` bits:
/// `y[i] = XOR_j s[i + n - 1 - j] & x[j]`, the Toeplitz matrix `T[i][j] = s[i - j + n - 1]`
/// (shared/DESIGN.md). These are coefficients `n-1 .. n+m-2` of the GF(2) product `S(z) X(z)`,
/// computed alone as a middle product (transposed Karatsuba, [`crate::gf2::middle_product`]):
/// 10^6 bits to 5 * 10^5 take the time of one 5 * 10^5-bit product.
///
/// Toeplitz matrices with a uniform seed form a universal-2 hash family (Krawczyk, CRYPTO
/// 1994), as the leftover hash lemma needs.
///
/// ```
/// use qkdlab::{BitVec, toeplitz_hash};
///
/// // 8 input bits to 4 output bits needs a seed of 8 + 4 - 1 = 11 bits.
/// let seed = BitVec::from_bools(&[true, false, true, true, false, false, true, false, true, true, false]);
/// let input = BitVec::from_bools(&[true, true, false, true, false, false, true, false]);
/// let out = toeplitz_hash(&seed, &input, 4)?;
/// assert_eq!(out.len(), 4);
/// // y[i] = XOR over j of s[i + n - 1 - j] AND x[j] (shared/DESIGN.md), checked for y[0].
/// let y0 = (0..8).filter(|&j| seed.get(7 - j) && input.get(j)).count() % 2 == 1;
/// assert_eq!(out.get(0), y0);
/// assert!(toeplitz_hash(&seed, &input, 5).is_err(), "a seed of the wrong length is refused");
/// # Ok::<(), qkdlab::Error>(())
/// ```
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
    // LSB-first words (bit k of a word is the coefficient of z^k); the seed shifted up by d bits
    // so that coefficient n - 1 of the product lands on bit 0 of word nx: the result is then
    // words nx .. nx + ceil(m / 64) of (z^d S) X, the middle words.
    let x: Vec<u64> = input.words().iter().map(|w| w.reverse_bits()).collect();
    let nx = x.len();
    let d = 64 * nx - (n - 1);
    let (dw, db) = (d / 64, d % 64);
    let mut s = vec![0u64; nx + m.div_ceil(64)];
    for (i, w) in seed.words().iter().enumerate() {
        let w = w.reverse_bits();
        s[i + dw] ^= w << db;
        if db != 0 && i + dw + 1 < s.len() {
            s[i + dw + 1] ^= w >> (64 - db);
        }
    }
    let out = crate::gf2::middle_product(&x, &s).into_iter().map(u64::reverse_bits).collect();
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
