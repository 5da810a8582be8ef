//! A web of trust (as PGP/GnuPG keep one): an identity is accepted when enough introducers the
//! verifier trusts have vouched for it, each with an Ed25519 signature over the name and key.
//! The threshold is GnuPG's default (`--completes-needed 1`, `--marginals-needed 3`): one
//! signature from a fully trusted introducer, or three from marginally trusted ones. A vouch
//! from an introducer the verifier does not know counts for nothing.

use ed25519_dalek::{Signature, Signer, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::TrustError;
use crate::auth::Identity;
use crate::error::Error;

/// Fully trusted introducers needed (GnuPG's `completes-needed`).
pub const COMPLETES_NEEDED: usize = 1;
/// Marginally trusted introducers needed (GnuPG's `marginals-needed`).
pub const MARGINALS_NEEDED: usize = 3;

/// How far the verifier trusts an introducer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustLevel {
    /// One such vouch suffices.
    Full,
    /// [`MARGINALS_NEEDED`] such vouches suffice.
    Marginal,
}

/// An introducer's signed statement: "this key is `name`'s".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vouch {
    /// The introducer's public key.
    pub introducer: VerifyingKey,
    /// The signature over [`statement`].
    pub signature: Signature,
}

/// The bytes an introducer signs for `name` and `key`.
pub fn statement(name: &str, key: &VerifyingKey) -> Vec<u8> {
    let mut m = b"qkdlab vouch v1\0".to_vec();
    m.extend_from_slice(&(name.len() as u32).to_be_bytes());
    m.extend_from_slice(name.as_bytes());
    m.extend_from_slice(key.as_bytes());
    m
}

/// `introducer` vouches that `key` is `name`'s.
pub fn vouch(introducer: &Identity, name: &str, key: &VerifyingKey) -> Vouch {
    Vouch { introducer: introducer.public(), signature: introducer.signing.sign(&statement(name, key)) }
}

/// Whether `key` is `name`'s for a verifier who trusts `introducers` as given: counts the
/// distinct trusted introducers whose vouch verifies, and refuses with the counts below the
/// threshold.
pub fn verify(
    name: &str,
    key: &VerifyingKey,
    vouches: &[Vouch],
    introducers: &[(VerifyingKey, TrustLevel)],
) -> Result<(), Error> {
    let msg = statement(name, key);
    let (mut full, mut marginal) = (Vec::new(), Vec::new());
    for v in vouches {
        let Some((_, level)) = introducers.iter().find(|(k, _)| *k == v.introducer) else { continue };
        if v.introducer.is_weak() || v.introducer.verify_strict(&msg, &v.signature).is_err() {
            continue;
        }
        let seen = if *level == TrustLevel::Full { &mut full } else { &mut marginal };
        if !seen.contains(&v.introducer) {
            seen.push(v.introducer);
        }
    }
    if full.len() >= COMPLETES_NEEDED || marginal.len() >= MARGINALS_NEEDED {
        Ok(())
    } else {
        Err(TrustError::NotEnoughVouches { full: full.len(), marginal: marginal.len() }.into())
    }
}
