//! Typed errors. Anything that comes from a peer or the network may be hostile: it ends up here,
//! never in a panic.

use core::fmt;

/// Everything that can go wrong in a qkdlab session.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A caller-supplied parameter is outside its allowed range; `field` names it.
    InvalidParameter {
        /// The parameter's name, as the caller spelled it.
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A frame's bytes could not be decoded.
    Decode(DecodeError),
    /// A classical frame failed authentication, or arrived out of sequence.
    Auth(AuthError),
    /// The peer (or the fiber) sent something the protocol does not allow at this point.
    Peer(PeerMisbehaved),
    /// The estimated quantum bit error rate is above the abort threshold: an eavesdropper or a
    /// bad channel; no key can be made.
    QberTooHigh {
        /// Observed error rate in the sample.
        qber: f64,
        /// The configured abort threshold.
        threshold: f64,
    },
    /// A stage had too few bits to go on.
    NotEnoughBits {
        /// The stage that ran short.
        stage: &'static str,
        /// Bits available.
        have: usize,
        /// Bits required.
        need: usize,
    },
    /// The finite-key bound leaves no secret bits (length shown, possibly negative).
    NoSecretKey {
        /// The bound's value before flooring at zero.
        length: i64,
        /// Why, when the bound says more than "too little data" (weak pulses: decoy verdicts).
        why: Option<String>,
    },
    /// Bob's watchdog saw bright light at his detectors (a blinding attack): no key.
    DetectorAlarm,
    /// The keys still differ after reconciliation: the verification hashes did not match.
    VerificationFailed,
    /// A message arrived after the party finished or failed.
    Finished,
    /// Nothing more arrived while a party was still waiting: a frame was dropped or the peer
    /// went away.
    Timeout {
        /// The state that was waiting.
        waiting_for: &'static str,
    },
    /// The operating system's random generator failed.
    Entropy(String),
    /// The authentication key pool ran dry: the session stops rather than reuse key.
    AuthPoolExhausted {
        /// Bits left in the pool.
        have: usize,
        /// Bits needed.
        need: usize,
    },
    /// A link-level refusal: the round's opening, lifecycle or control.
    Link(LinkError),
    /// A trust anchor (a CA certificate chain, a web of trust) did not vouch for a key.
    Trust(crate::trust::TrustError),
}

/// Why a link endpoint refused a round or ended one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkError {
    /// Alice has no fresh nonce from Bob (his Ready) to open a round with.
    NotReady,
    /// The round was ended from outside (a timeout, or an unauthenticated abort): what it took
    /// from the pools is burned.
    Aborted(String),
    /// Bob verified the key but Alice never released it (her Commit and the next Hello say so):
    /// Bob discards it too.
    Uncommitted,
    /// A Hello for a round not after the last one accepted (a replay).
    StaleRound {
        /// The last round accepted.
        last: u32,
        /// The round the Hello named.
        got: u32,
    },
    /// A Hello asked for the bootstrap credential after the link committed a round, or for
    /// another pool authentication than this side's.
    Downgrade,
    /// A Hello asked for the link's own keys, and this side has committed no round, so it holds
    /// none: its state was lost (a reloaded tab starts over from the bootstrap), or the Hello
    /// is not for this link.
    NoPool,
    /// A Hello's pool positions are behind bits already used, or beyond the pool: refused.
    PoolOutOfStep,
    /// A round is already running.
    Busy,
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The frame ended before a field was complete.
    Truncated,
    /// Bytes remained after the last field.
    TrailingBytes,
    /// The version byte is not one this implementation speaks.
    UnknownVersion(u8),
    /// The message type byte is unknown.
    UnknownType(u8),
    /// A length field disagrees with the data it describes.
    BadLength,
    /// Padding bits of a bit string were not zero.
    NonZeroPadding,
    /// A field is larger than the protocol allows.
    TooLarge,
    /// A field holds a value outside its domain (a NaN, an unknown enum tag...).
    BadValue,
}

/// Why a classical frame was not accepted as authentic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// The tag does not match the frame: edited, injected or forged.
    BadTag,
    /// The sequence number is not the next one: a replay, a reorder or a dropped frame.
    Sequence {
        /// The sequence number the receiver expected.
        expected: u32,
        /// The sequence number the frame carried.
        got: u32,
    },
    /// The frame claims to travel in the receiver's own direction (a reflection).
    WrongDirection,
}

/// The peer broke the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerMisbehaved {
    /// A message of another kind was expected in this state.
    UnexpectedMessage {
        /// What the state waits for.
        expected: &'static str,
        /// What arrived: the message type.
        got: crate::msgs::Kind,
    },
    /// A message's contents contradict what was agreed before (a count, a length, an index).
    Inconsistent(&'static str),
}

/// Every code [`Error::code`] returns: the package's `ErrorCode` union is this list (a test
/// holds them equal).
pub const ERROR_CODES: [&str; 31] = [
    "invalid_parameter",
    "decode_error",
    "auth_bad_tag",
    "auth_sequence",
    "auth_direction",
    "peer_misbehaved",
    "qber_too_high",
    "not_enough_bits",
    "no_secret_key",
    "detector_alarm",
    "verification_failed",
    "finished",
    "timeout",
    "entropy",
    "auth_pool_exhausted",
    "link_not_ready",
    "aborted",
    "uncommitted",
    "stale_round",
    "auth_downgrade",
    "auth_no_pool",
    "pool_out_of_step",
    "round_running",
    "cert_malformed",
    "cert_expired",
    "cert_revoked",
    "cert_unknown_issuer",
    "cert_not_ca",
    "cert_bad_signature",
    "cert_wrong_name",
    "wot_not_enough",
];

impl Error {
    /// A stable, machine-readable code (also the JS `error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidParameter { .. } => "invalid_parameter",
            Self::Decode(_) => "decode_error",
            Self::Auth(AuthError::BadTag) => "auth_bad_tag",
            Self::Auth(AuthError::Sequence { .. }) => "auth_sequence",
            Self::Auth(AuthError::WrongDirection) => "auth_direction",
            Self::Peer(_) => "peer_misbehaved",
            Self::QberTooHigh { .. } => "qber_too_high",
            Self::NotEnoughBits { .. } => "not_enough_bits",
            Self::NoSecretKey { .. } => "no_secret_key",
            Self::DetectorAlarm => "detector_alarm",
            Self::VerificationFailed => "verification_failed",
            Self::Finished => "finished",
            Self::Timeout { .. } => "timeout",
            Self::Entropy(_) => "entropy",
            Self::AuthPoolExhausted { .. } => "auth_pool_exhausted",
            Self::Link(LinkError::NotReady) => "link_not_ready",
            Self::Link(LinkError::Aborted(_)) => "aborted",
            Self::Link(LinkError::Uncommitted) => "uncommitted",
            Self::Link(LinkError::StaleRound { .. }) => "stale_round",
            Self::Link(LinkError::Downgrade) => "auth_downgrade",
            Self::Link(LinkError::NoPool) => "auth_no_pool",
            Self::Link(LinkError::PoolOutOfStep) => "pool_out_of_step",
            Self::Link(LinkError::Busy) => "round_running",
            Self::Trust(e) => e.code(),
        }
    }

    /// Whether this error means the classical channel was tampered with.
    pub fn is_authentication_failure(&self) -> bool {
        matches!(self, Self::Auth(_))
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidParameter { field, reason: reason.into() }
    }

    pub(crate) fn unexpected(expected: &'static str, got: crate::msgs::Kind) -> Self {
        Self::Peer(PeerMisbehaved::UnexpectedMessage { expected, got })
    }

    pub(crate) fn inconsistent(what: &'static str) -> Self {
        Self::Peer(PeerMisbehaved::Inconsistent(what))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidParameter { field, reason } => write!(f, "invalid parameter `{field}`: {reason}"),
            Self::Decode(e) => write!(f, "malformed frame: {e}"),
            Self::Auth(e) => write!(f, "authentication failed: {e}"),
            Self::Peer(e) => write!(f, "protocol violation: {e}"),
            Self::QberTooHigh { qber, threshold } => write!(
                f,
                "QBER {:.2} % is above the abort threshold {:.2} %: eavesdropping or a bad channel, no key",
                qber * 100.0,
                threshold * 100.0
            ),
            Self::NotEnoughBits { stage, have, need } => {
                write!(f, "{stage}: {have} bits available, at least {need} needed (send more pulses)")
            }
            Self::NoSecretKey { length, why: None } => write!(
                f,
                "the finite-key bound leaves no secret key ({length} bits): send more pulses or lower the error rate"
            ),
            Self::NoSecretKey { length, why: Some(why) } => {
                write!(f, "the finite-key bound leaves no secret key ({length} bits): {why}")
            }
            Self::DetectorAlarm => {
                write!(f, "Bob's watchdog saw bright light at his detectors: a detector-blinding attack, no key")
            }
            Self::VerificationFailed => write!(f, "keys differ after reconciliation: verification hashes do not match"),
            Self::Finished => write!(f, "the party has already finished"),
            Self::Timeout { waiting_for } => {
                write!(
                    f,
                    "no frame arrived while waiting in state {waiting_for} (a frame was dropped or the peer left)"
                )
            }
            Self::Entropy(e) => write!(f, "random generator failed: {e}"),
            Self::AuthPoolExhausted { have, need } => write!(
                f,
                "the authentication key pool is empty ({have} bits left, {need} needed): stopping instead of reusing key"
            ),
            Self::Link(e) => write!(f, "{e}"),
            Self::Trust(e) => write!(f, "{e}"),
        }
    }
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotReady => write!(f, "no fresh nonce from Bob yet (his Ready): wait for Bob"),
            Self::Aborted(why) => write!(f, "the round was ended: {why}"),
            Self::Uncommitted => write!(f, "Alice never released this round's key, so Bob discards it too"),
            Self::StaleRound { last, got } => {
                write!(f, "Hello for round {got}, but round {last} was already accepted (a replay)")
            }
            Self::Downgrade => write!(f, "Hello asks for another authentication than the link allows (a downgrade)"),
            Self::NoPool => write!(
                f,
                "Hello asks for the link's own keys, but this side has none yet (its state was lost, e.g. a reloaded tab)"
            ),
            Self::PoolOutOfStep => write!(f, "Hello names authentication key bits already used or not yet made"),
            Self::Busy => write!(f, "a round is already running"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => write!(f, "truncated"),
            Self::TrailingBytes => write!(f, "trailing bytes after the last field"),
            Self::UnknownVersion(v) => write!(f, "unknown version 0x{v:02x}"),
            Self::UnknownType(t) => write!(f, "unknown message type 0x{t:02x}"),
            Self::BadLength => write!(f, "a length field disagrees with its data"),
            Self::NonZeroPadding => write!(f, "padding bits are not zero"),
            Self::TooLarge => write!(f, "a field exceeds the protocol's limit"),
            Self::BadValue => write!(f, "a field holds a value outside its domain"),
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadTag => write!(f, "the tag does not match (frame edited, injected or forged)"),
            Self::Sequence { expected, got } => {
                write!(f, "sequence number {got} where {expected} was expected (frame replayed, reordered or dropped)")
            }
            Self::WrongDirection => write!(f, "frame sent in the receiver's own direction (reflected)"),
        }
    }
}

impl fmt::Display for PeerMisbehaved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnexpectedMessage { expected, got } => write!(f, "expected {expected}, got {}", got.name()),
            Self::Inconsistent(what) => write!(f, "inconsistent {what}"),
        }
    }
}

impl std::error::Error for Error {}

impl std::error::Error for DecodeError {}

/// Reports and events carry errors as `{ code, message }`: the stable code and the readable
/// text.
impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Error", 2)?;
        st.serialize_field("code", self.code())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}

impl From<LinkError> for Error {
    fn from(e: LinkError) -> Self {
        Self::Link(e)
    }
}

impl From<AuthError> for Error {
    fn from(e: AuthError) -> Self {
        Self::Auth(e)
    }
}

#[cfg(test)]
mod codes {
    use super::*;

    #[test]
    fn every_variant_has_a_code_in_the_published_list_and_the_list_has_nothing_else() {
        let all = [
            Error::invalid("x", "y"),
            Error::Decode(DecodeError::Truncated),
            Error::Auth(AuthError::BadTag),
            Error::Auth(AuthError::Sequence { expected: 1, got: 2 }),
            Error::Auth(AuthError::WrongDirection),
            Error::inconsistent("x"),
            Error::QberTooHigh { qber: 0.2, threshold: 0.11 },
            Error::NotEnoughBits { stage: "x", have: 1, need: 2 },
            Error::NoSecretKey { length: 0, why: None },
            Error::DetectorAlarm,
            Error::VerificationFailed,
            Error::Finished,
            Error::Timeout { waiting_for: "x" },
            Error::Entropy("x".into()),
            Error::AuthPoolExhausted { have: 0, need: 1 },
            Error::Link(LinkError::NotReady),
            Error::Link(LinkError::Aborted("x".into())),
            Error::Link(LinkError::Uncommitted),
            Error::Link(LinkError::StaleRound { last: 1, got: 1 }),
            Error::Link(LinkError::Downgrade),
            Error::Link(LinkError::NoPool),
            Error::Link(LinkError::PoolOutOfStep),
            Error::Link(LinkError::Busy),
        ];
        use crate::trust::TrustError as T;
        let trust = [
            T::Malformed("x".into()),
            T::Expired { name: "x".into(), now: 0 },
            T::Revoked { name: "x".into(), serial: 1 },
            T::UnknownIssuer("x".into()),
            T::NotCa("x".into()),
            T::BadSignature("x".into()),
            T::WrongName { expected: "x".into(), got: "y".into() },
            T::NotEnoughVouches { full: 0, marginal: 0 },
        ];
        let all: Vec<Error> = all.into_iter().chain(trust.into_iter().map(Error::Trust)).collect();
        let mut codes: Vec<&str> = all.iter().map(Error::code).collect();
        codes.sort_unstable();
        codes.dedup();
        let mut list = ERROR_CODES.to_vec();
        list.sort_unstable();
        assert_eq!(codes, list);
    }
}
