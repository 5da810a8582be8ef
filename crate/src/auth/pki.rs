//! Public-key bootstrap: Ed25519 identities (RFC 8032) and the "safety number" two people
//! compare to pin each other's key.

use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::rng::Seed;

/// A party's Ed25519 identity.
#[derive(Clone)]
pub struct Identity {
    /// The private signing key.
    pub signing: SigningKey,
}

impl core::fmt::Debug for Identity {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Identity({})", fingerprint(&self.public()))
    }
}

impl Identity {
    /// An identity drawn from a seed and a label (replayable runs); real use draws the seed from
    /// the operating system ([`Seed::from_entropy`]).
    pub fn from_seed(seed: &Seed, label: &str) -> Self {
        use rand::Rng;
        let mut sk = [0u8; 32];
        seed.rng(&format!("identity {label}")).fill_bytes(&mut sk);
        Self { signing: SigningKey::from_bytes(&sk) }
    }

    /// The public key.
    pub fn public(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }
}

/// An Ed25519 public key from outside: 32 bytes on the curve, or `field`'s typed error.
pub fn verifying_key(field: &'static str, bytes: &[u8]) -> Result<VerifyingKey, crate::error::Error> {
    use crate::error::Error;
    let arr: [u8; 32] = bytes.try_into().map_err(|_| Error::invalid(field, "must be a 32-byte public key"))?;
    let key = VerifyingKey::from_bytes(&arr).map_err(|_| Error::invalid(field, "is not a valid Ed25519 public key"))?;
    // A small-order point: signatures "verify" for it without any secret (RFC 8032 does not
    // forbid it; we do).
    if key.is_weak() {
        return Err(Error::invalid(field, "is a small-order (weak) Ed25519 key"));
    }
    Ok(key)
}

/// A public key's fingerprint: the first 15 bytes of SHA-256, as five groups of five digits.
pub fn fingerprint(key: &VerifyingKey) -> String {
    let d = Sha256::digest(key.as_bytes());
    d[..15]
        .chunks(3)
        .map(|c| format!("{:05}", (u32::from(c[0]) << 16 | u32::from(c[1]) << 8 | u32::from(c[2])) % 100_000))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The safety number of a pair: both fingerprints in a fixed order, so both sides read the same.
pub fn safety_number(a: &VerifyingKey, b: &VerifyingKey) -> String {
    let (x, y) = (fingerprint(a), fingerprint(b));
    if x <= y { format!("{x} {y}") } else { format!("{y} {x}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_compute_the_same_safety_number_and_other_keys_differ() {
        let seed = Seed::from_text("ids");
        let (a, b, m) =
            (Identity::from_seed(&seed, "a"), Identity::from_seed(&seed, "b"), Identity::from_seed(&seed, "m"));
        assert_eq!(safety_number(&a.public(), &b.public()), safety_number(&b.public(), &a.public()));
        assert_ne!(safety_number(&a.public(), &b.public()), safety_number(&m.public(), &b.public()));
        assert_eq!(fingerprint(&a.public()).len(), 29);
    }
}
