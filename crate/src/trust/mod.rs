//! Trust anchors beyond the pre-shared key and the compared safety number: certificates from a
//! certificate authority ([`cert`]) and a web of trust ([`web`]). Each yields the peer's
//! Ed25519 public key, which then authenticates round 1 exactly as a pinned key does; later
//! rounds are authenticated from the key pool, so an anchor's secret leaking after round 1
//! gives nothing, while a certificate presented later is checked again (expired or revoked:
//! refused).

pub mod cert;
pub mod web;

pub use cert::{CertificateInfo, CertificateSpec, TestCa, describe, verify_chain};
pub use web::{TrustLevel, Vouch, verify as verify_web, vouch};

use core::fmt;

/// Why a trust anchor did not vouch for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustError {
    /// Not a certificate this verifier can read (or not Ed25519).
    Malformed(String),
    /// Outside its validity period at the time of the check.
    Expired {
        /// The certificate's subject.
        name: String,
        /// The time of the check (Unix seconds).
        now: i64,
    },
    /// On the revocation list.
    Revoked {
        /// The certificate's subject.
        name: String,
        /// Its serial number.
        serial: u64,
    },
    /// Its issuer is not the next certificate of the chain, nor the trusted root.
    UnknownIssuer(String),
    /// An issuer that is not a CA.
    NotCa(String),
    /// The issuer's signature does not verify.
    BadSignature(String),
    /// The leaf names someone else.
    WrongName {
        /// The name the verifier expects.
        expected: String,
        /// The name in the certificate.
        got: String,
    },
    /// Too few trusted introducers vouched for the key.
    NotEnoughVouches {
        /// Fully trusted introducers that did.
        full: usize,
        /// Marginally trusted ones that did.
        marginal: usize,
    },
}

impl TrustError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "cert_malformed",
            Self::Expired { .. } => "cert_expired",
            Self::Revoked { .. } => "cert_revoked",
            Self::UnknownIssuer(_) => "cert_unknown_issuer",
            Self::NotCa(_) => "cert_not_ca",
            Self::BadSignature(_) => "cert_bad_signature",
            Self::WrongName { .. } => "cert_wrong_name",
            Self::NotEnoughVouches { .. } => "wot_not_enough",
        }
    }
}

impl fmt::Display for TrustError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => write!(f, "not a certificate this verifier accepts: {e}"),
            Self::Expired { name, now } => write!(f, "the certificate of {name:?} is not valid at Unix time {now}"),
            Self::Revoked { name, serial } => write!(f, "the certificate of {name:?} (serial {serial}) is revoked"),
            Self::UnknownIssuer(n) => {
                write!(f, "the certificate of {n:?} was not issued by the next one in the chain or the trusted root")
            }
            Self::NotCa(n) => write!(f, "{n:?} is not a certificate authority"),
            Self::BadSignature(n) => write!(f, "the signature on the certificate of {n:?} does not verify"),
            Self::WrongName { expected, got } => write!(f, "the certificate names {got:?}, not {expected:?}"),
            Self::NotEnoughVouches { full, marginal } => write!(
                f,
                "not enough trusted introducers vouched for this key: {full} fully and {marginal} marginally trusted \
                 (needed: {} or {})",
                web::COMPLETES_NEEDED,
                web::MARGINALS_NEEDED
            ),
        }
    }
}

impl From<TrustError> for crate::error::Error {
    fn from(e: TrustError) -> Self {
        Self::Trust(e)
    }
}
