//! The classical primitives, each behind a byte-slice interface that checks lengths and
//! returns typed errors: X25519 (RFC 7748, `x25519-dalek`) and ML-KEM-768 (FIPS 203, the
//! RustCrypto `ml-kem` crate). Randomness is always passed in, so known-answer tests and
//! replayed runs use the same code as parties that draw from the OS.

use ml_kem::array::Array;
use ml_kem::kem::{Decapsulate, KeyExport};
use ml_kem::{DecapsulationKey, EncapsulationKey, MlKem768};

use crate::error::Error;

/// Bytes of an X25519 scalar, u-coordinate and shared secret.
pub const X25519_LEN: usize = 32;
/// Bytes of an ML-KEM-768 encapsulation key (FIPS 203, table 3).
pub const MLKEM768_EK_LEN: usize = 1184;
/// Bytes of an ML-KEM-768 decapsulation key in the FIPS 203 encoding.
pub const MLKEM768_DK_LEN: usize = 2400;
/// Bytes of an ML-KEM-768 ciphertext.
pub const MLKEM768_CT_LEN: usize = 1088;
/// Bytes of the seed `d || z` an ML-KEM key pair is generated from (FIPS 203, algorithm 19).
pub const MLKEM_SEED_LEN: usize = 64;
/// Bytes of a shared secret (ML-KEM's `K`, X25519's output).
pub const SHARED_LEN: usize = 32;

fn exact<const N: usize>(field: &'static str, bytes: &[u8]) -> Result<[u8; N], Error> {
    bytes.try_into().map_err(|_| Error::invalid(field, format!("must be {N} bytes, got {}", bytes.len())))
}

/// The X25519 function of RFC 7748 (section 5): `scalar` (clamped as the RFC says) times the
/// point with u-coordinate `u`.
pub fn x25519(scalar: &[u8], u: &[u8]) -> Result<[u8; X25519_LEN], Error> {
    Ok(x25519_dalek::x25519(exact("scalar", scalar)?, exact("u", u)?))
}

/// X25519 of `scalar` and the base point (u = 9): a public key.
pub fn x25519_public(scalar: &[u8; X25519_LEN]) -> [u8; X25519_LEN] {
    x25519_dalek::x25519(*scalar, x25519_dalek::X25519_BASEPOINT_BYTES)
}

/// An ML-KEM-768 key pair from the 64-byte seed `d || z` (FIPS 203, ML-KEM.KeyGen_internal):
/// `(encapsulation key, decapsulation key)` in the FIPS 203 encodings.
pub fn mlkem768_keygen(seed: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let dk = dk_from_seed(seed)?;
    #[allow(deprecated)]
    let expanded = ml_kem::ExpandedKeyEncoding::to_expanded_bytes(&dk);
    Ok((dk.encapsulation_key().to_bytes().to_vec(), expanded.to_vec()))
}

fn dk_from_seed(seed: &[u8]) -> Result<DecapsulationKey<MlKem768>, Error> {
    let seed: [u8; MLKEM_SEED_LEN] = exact("seed", seed)?;
    Ok(DecapsulationKey::<MlKem768>::from_seed(Array::from(seed)))
}

/// ML-KEM-768 encapsulation to `ek` with the 32-byte randomness `m` (FIPS 203,
/// ML-KEM.Encaps_internal): `(ciphertext, shared secret)`. An encapsulation key that fails the
/// FIPS 203 input check (section 7.2) is refused.
pub fn mlkem768_encapsulate(ek: &[u8], m: &[u8]) -> Result<(Vec<u8>, [u8; SHARED_LEN]), Error> {
    let ek: [u8; MLKEM768_EK_LEN] = exact("encapsulationKey", ek)?;
    let m: [u8; 32] = exact("m", m)?;
    let ek = EncapsulationKey::<MlKem768>::new(&Array::from(ek))
        .map_err(|_| Error::invalid("encapsulationKey", "is not a valid ML-KEM-768 key (FIPS 203 modulus check)"))?;
    let (ct, k) = ek.encapsulate_deterministic(&Array::from(m));
    Ok((ct.to_vec(), k.into()))
}

/// ML-KEM-768 decapsulation (FIPS 203, ML-KEM.Decaps): a ciphertext that was tampered with
/// yields the implicit-rejection secret, never an error, as the standard requires.
pub fn mlkem768_decapsulate(dk: &[u8], ct: &[u8]) -> Result<[u8; SHARED_LEN], Error> {
    let dk: [u8; MLKEM768_DK_LEN] = exact("decapsulationKey", dk)?;
    let ct: [u8; MLKEM768_CT_LEN] = exact("ciphertext", ct)?;
    #[allow(deprecated)]
    let dk = <DecapsulationKey<MlKem768> as ml_kem::ExpandedKeyEncoding>::from_expanded_bytes(&Array::from(dk))
        .map_err(|_| {
            Error::invalid("decapsulationKey", "is not a valid ML-KEM-768 decapsulation key (FIPS 203 hash check)")
        })?;
    Ok(decapsulate(&dk, &ct))
}

/// Decapsulation with a key held in memory (the exchange keeps the seed form).
pub(crate) fn decapsulate(dk: &DecapsulationKey<MlKem768>, ct: &[u8; MLKEM768_CT_LEN]) -> [u8; SHARED_LEN] {
    dk.decapsulate(&Array::from(*ct)).into()
}

/// The in-memory decapsulation key and the encapsulation key's bytes, from a seed.
pub(crate) fn mlkem768_pair(seed: &[u8; MLKEM_SEED_LEN]) -> (DecapsulationKey<MlKem768>, Vec<u8>) {
    let dk = DecapsulationKey::<MlKem768>::from_seed(Array::from(*seed));
    let ek = dk.encapsulation_key().to_bytes().to_vec();
    (dk, ek)
}
