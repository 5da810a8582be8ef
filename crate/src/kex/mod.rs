//! Classical key establishment beside QKD, on the same footing: X25519 (RFC 7748), ML-KEM-768
//! (FIPS 203), their hybrid, and a deliberately tiny Diffie-Hellman group that a browser tab
//! breaks (the "record now, decrypt later" demonstration).
//!
//! Each is a sans-IO exchange like Alice and Bob ([`KeyExchange`], protocol in
//! [`exchange`]), authenticated with the same bootstrap credentials as QKD (PSK-HMAC or
//! Ed25519 signatures over the transcript), and each delivers its keys into the same ETSI GS
//! QKD 014 key stores, so a key consumer does not care where keys came from. What differs is
//! what they rest on: the exchanges on the hardness of a problem (discrete logarithms on
//! Curve25519, module lattices), so an eavesdropper who records them today decrypts them the day
//! the problem falls ([`record`]); QKD keys on physics and privacy amplification, so a recording
//! of a QKD round stays useless whatever falls later.

pub mod exchange;
pub mod primitives;
pub mod record;
pub mod toy;
pub mod wire;

pub use exchange::{KexOutcome, KeyExchange};
pub use record::{Breaks, Recording, Verdict};

use crate::error::Error;

/// A key-establishment method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Ephemeral elliptic-curve Diffie-Hellman on Curve25519 (RFC 7748).
    X25519,
    /// The module-lattice KEM of FIPS 203, parameter set ML-KEM-768.
    MlKem768,
    /// Both, the secrets concatenated into one KDF (X25519MLKEM768, draft-ietf-tls-ecdhe-mlkem).
    Hybrid,
    /// Diffie-Hellman in a 40-bit group ([`toy`]): broken in a second, for the demonstration.
    ToyDh,
}

impl Method {
    /// Every method, in the order the page lists them.
    pub const ALL: [Self; 4] = [Self::X25519, Self::MlKem768, Self::Hybrid, Self::ToyDh];

    /// The method's name (options, reports, the page).
    pub fn name(self) -> &'static str {
        match self {
            Self::X25519 => "x25519",
            Self::MlKem768 => "ml-kem-768",
            Self::Hybrid => "hybrid",
            Self::ToyDh => "toy-dh",
        }
    }

    /// The method of a name, or a typed error naming `field`.
    pub fn parse(field: &'static str, name: &str) -> Result<Self, Error> {
        Self::ALL.into_iter().find(|m| m.name() == name).ok_or_else(|| {
            Error::invalid(field, format!("must be \"x25519\", \"ml-kem-768\", \"hybrid\" or \"toy-dh\", got {name:?}"))
        })
    }

    /// Its byte in a Hello.
    pub fn byte(self) -> u8 {
        match self {
            Self::X25519 => 1,
            Self::MlKem768 => 2,
            Self::Hybrid => 3,
            Self::ToyDh => 4,
        }
    }

    /// The method of a Hello's byte.
    pub fn from_byte(b: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.byte() == b)
    }

    /// Whether it encapsulates with ML-KEM-768.
    pub fn uses_mlkem(self) -> bool {
        matches!(self, Self::MlKem768 | Self::Hybrid)
    }

    /// Whether it runs X25519.
    pub fn uses_x25519(self) -> bool {
        matches!(self, Self::X25519 | Self::Hybrid)
    }
}
