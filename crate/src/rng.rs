//! Injected randomness. Every random choice a party, the fiber or Eve makes comes from a
//! [`QkdRng`] derived from one session seed and a role label, so a session replays exactly.

use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use sha2::{Digest, Sha256};

use crate::error::Error;

/// The generator every component draws from: ChaCha12, whose output is fixed by its seed on
/// every platform (unlike `StdRng`, whose algorithm may change between releases).
pub type QkdRng = ChaCha12Rng;

/// A 32-byte session seed. Each role derives its own stream with [`Seed::rng`].
#[derive(Clone, PartialEq, Eq)]
pub struct Seed([u8; 32]);

impl core::fmt::Debug for Seed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Seed(..)")
    }
}

impl Seed {
    /// A seed from a user's text (a URL hash, a CLI flag): SHA-256 of the UTF-8 bytes.
    pub fn from_text(text: &str) -> Self {
        Self(Sha256::digest(text.as_bytes()).into())
    }

    /// A seed from raw bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A fresh seed from the operating system (getrandom; the JS backend on wasm32).
    pub fn from_entropy() -> Result<Self, Error> {
        let mut b = [0u8; 32];
        getrandom::fill(&mut b).map_err(|e| Error::Entropy(e.to_string()))?;
        Ok(Self(b))
    }

    /// The independent stream for one role ("alice", "bob", "fiber", "eve", ...): ChaCha12
    /// keyed with SHA-256(seed || label).
    pub fn rng(&self, label: &str) -> QkdRng {
        let mut h = Sha256::new();
        h.update(self.0);
        h.update(label.as_bytes());
        QkdRng::from_seed(h.finalize().into())
    }
}

/// A uniform `f64` in `[0, 1)` with 53 random bits.
#[inline]
pub fn unit_f64(rng: &mut QkdRng) -> f64 {
    use rand::Rng;
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;

    #[test]
    fn same_label_same_stream_other_label_other_stream() {
        let s = Seed::from_text("42");
        assert_eq!(s.rng("alice").next_u64(), s.rng("alice").next_u64());
        assert_ne!(s.rng("alice").next_u64(), s.rng("bob").next_u64());
        assert_ne!(Seed::from_text("43").rng("alice").next_u64(), s.rng("alice").next_u64());
    }
}
