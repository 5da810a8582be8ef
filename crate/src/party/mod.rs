//! Alice and Bob: sans-IO state machines. Each step takes one frame (bytes) and returns the
//! frames to send; a finished party yields its final key once.
//!
//! A round opens with Bob's untagged Ready (his fresh nonce); Alice answers with her photons and
//! Hello (her nonce, the round's place on the link), and every tag from then on covers the
//! session id derived from both nonces. A round closes with Confirm (Alice verified), Done (Bob
//! verified and holds the key) and Commit (Alice released hers): Bob releases only on Commit.
//!
//! A protocol abort that both sides can compute from public data (QBER too high, too few bits,
//! verification mismatch, no secret key) is reached by each side on its own, after sending the
//! frame that lets the other side compute it too. A frame that fails authentication or breaks
//! the protocol ends the party at once with the error and sends nothing.

mod alice;
mod bob;
mod config;

pub use alice::{Alice, RoundContext};
pub use bob::Bob;
pub use config::{Config, MAX_PULSES};

use crate::amplification::FiniteKey;
use crate::bits::BitVec;
use crate::error::Error;

/// Every state name either party reports, with the stage it waits in (`None`: finished).
pub const STATE_STAGES: [(&str, Option<crate::msgs::Stage>); 15] = {
    use crate::msgs::Stage::*;
    [
        ("ExpectReady", Some(Quantum)),
        ("ExpectHello", Some(Quantum)),
        ("ExpectDetections", Some(Quantum)),
        ("ExpectSift", Some(Quantum)),
        ("ExpectSiftReply", Some(Sifting)),
        ("ExpectSampleReply", Some(Sifting)),
        ("ExpectCascadeStart", Some(Estimation)),
        ("ExpectParities", Some(Reconciliation)),
        ("ExpectParityQueryOrReconciled", Some(Reconciliation)),
        ("ExpectConfirm", Some(Verification)),
        ("ExpectDone", Some(Amplification)),
        ("ExpectCommit", Some(Amplification)),
        ("Over", Some(Quantum)),
        ("Failed", Some(Quantum)),
        ("Finished", None),
    ]
};

/// What one side saw of the round, as far as it got. Public data only.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Pulses sent.
    pub pulses: u64,
    /// Detector clicks.
    pub clicks: u64,
    /// Bits left after sifting.
    pub sifted_bits: usize,
    /// Bits disclosed for parameter estimation.
    pub sample_bits: usize,
    /// Error rate in the sample.
    pub qber: f64,
    /// First-pass Cascade block size.
    pub cascade_first_block: usize,
    /// Cascade passes.
    pub cascade_passes: usize,
    /// Parity bits Alice disclosed in Cascade.
    pub cascade_disclosed: u64,
    /// Bits Bob corrected (Bob's side only).
    pub cascade_corrections: usize,
    /// Cascade query round trips (Bob's side only).
    pub cascade_round_trips: usize,
    /// Bits of the verification tag.
    pub verification_bits: u64,
    /// Probability that different keys pass verification.
    pub verification_collision: f64,
    /// The finite-key terms, once computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finite_key: Option<FiniteKey>,
}

/// The key a party releases after both sides verified it.
#[derive(Clone, PartialEq, Eq)]
pub struct FinalKey {
    /// The secret bits.
    pub bits: BitVec,
}

impl core::fmt::Debug for FinalKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "FinalKey({} bits)", self.bits.len())
    }
}

/// Where a party is, beyond its protocol state.
#[derive(Debug)]
pub(crate) enum Status {
    Running,
    Finished(Option<FinalKey>),
    Failed(Error),
}

impl Status {
    /// The party's state name: the protocol state while running.
    pub(crate) fn name(&self, running: &'static str) -> &'static str {
        match self {
            Self::Running => running,
            Self::Finished(_) => "Finished",
            Self::Failed(_) => "Failed",
        }
    }

    pub(crate) fn is_finished(&self) -> bool {
        matches!(self, Self::Finished(_))
    }

    /// The key, once.
    pub(crate) fn take_key(&mut self) -> Option<FinalKey> {
        match self {
            Self::Finished(k) => k.take(),
            _ => None,
        }
    }

    pub(crate) fn failure(&self) -> Option<&Error> {
        match self {
            Self::Failed(e) => Some(e),
            _ => None,
        }
    }
}
