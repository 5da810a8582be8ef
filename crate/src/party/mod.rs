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
mod shell;
mod view;

pub use alice::{Alice, AliceRole, RoundContext};
pub use bob::{Bob, BobRole};
pub use config::{Config, MAX_PULSES};
pub use shell::{Party, Role};
pub use view::{PulseView, VIEW_PULSES};

use crate::amplification::{ClassCounts, DecoyKey, FiniteKey, SourceTerms, decoy_key_length};
use crate::bits::BitVec;
use crate::quantum::SourceConfig;
use crate::reconciliation::ldpc::LdpcPlan;

/// Every state name either party reports, with the stage it waits in (`None`: finished).
pub const STATE_STAGES: [(&str, Option<crate::msgs::Stage>); 16] = {
    use crate::msgs::Stage::*;
    [
        ("ExpectReady", Some(Quantum)),
        ("ExpectHello", Some(Quantum)),
        ("ExpectDetections", Some(Quantum)),
        ("ExpectSift", Some(Quantum)),
        ("ExpectSiftReply", Some(Sifting)),
        ("ExpectSampleReply", Some(Sifting)),
        ("ExpectReconciliationStart", Some(Estimation)),
        ("ExpectParities", Some(Reconciliation)),
        ("ExpectParityQueryOrReconciled", Some(Reconciliation)),
        ("ExpectLdpcReveal", Some(Reconciliation)),
        ("ExpectLdpcRequestOrReconciled", Some(Reconciliation)),
        ("ExpectConfirm", Some(Verification)),
        ("ExpectDone", Some(Amplification)),
        ("ExpectCommit", Some(Amplification)),
        ("Failed", Some(Quantum)),
        ("Finished", None),
    ]
};

/// The protocol's stages in order and the stage each state waits in: what a progress view
/// needs, from the core, so a renamed state cannot silently break it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stages {
    /// Stage names, in order.
    pub stages: Vec<&'static str>,
    /// Each state's stage index (one past the last for "Finished").
    pub state_stage: std::collections::BTreeMap<&'static str, usize>,
}

/// The stages and the state-to-stage map.
pub fn stages() -> Stages {
    let all = crate::msgs::Stage::ALL;
    Stages {
        stages: all.iter().map(|s| s.name()).collect(),
        state_stage: STATE_STAGES.iter().map(|(n, s)| (*n, s.map_or(all.len(), |s| s.index()))).collect(),
    }
}

/// The round's agreed record: public data only, and every field one both sides compute, so
/// Alice's and Bob's records are equal once the round ends (while it runs, each holds what
/// it got to).
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
    /// The reconciliation method.
    pub reconciliation: crate::reconciliation::Method,
    /// Bits disclosed in reconciliation: Cascade's parities, or LDPC's syndromes (less the
    /// punctured bits) and revealed bits.
    pub reconciliation_disclosed: u64,
    /// LDPC frames the key was cut into.
    pub ldpc_frames: usize,
    /// LDPC frames Bob could not decode, dropped from both keys.
    pub ldpc_dropped_frames: usize,
    /// LDPC messages (1, or 3 when Bob asked for punctured bits).
    pub ldpc_messages: usize,
    /// First-pass Cascade block size.
    pub cascade_first_block: usize,
    /// Second-pass Cascade block size.
    pub cascade_second_block: usize,
    /// Cascade passes.
    pub cascade_passes: usize,
    /// Cascade query round trips.
    pub cascade_round_trips: usize,
    /// Bits of the verification tag.
    pub verification_bits: u64,
    /// Probability that different keys pass verification.
    pub verification_collision: f64,
    /// The finite-key terms of a single-photon round, once computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finite_key: Option<FiniteKey>,
    /// A weak-coherent round's public counts per intensity class (signal, decoy, vacuum).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_counts: Option<ClassCounts>,
    /// A weak-coherent round's key-length terms, once computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoy_key: Option<DecoyKey>,
}

/// The key length a round's bound allows, whichever bound applies.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KeyLength {
    /// Secret bits.
    pub length: usize,
    /// The bound before flooring.
    pub bound: f64,
    /// Why there is none, when the bound knows.
    pub why: Option<String>,
}

impl KeyLength {
    /// The protocol abort for a zero length.
    pub fn no_key(&self) -> crate::error::Error {
        crate::error::Error::NoSecretKey { length: self.bound.floor() as i64, why: self.why.clone() }
    }
}

impl Summary {
    /// Records verification and the finite-key terms once the keys are reconciled, from the
    /// bits reconciliation disclosed (all of them, dropped LDPC frames' included):
    /// both sides call it on the same public data.
    ///
    /// A single-photon round uses the single-photon bound; a weak-coherent round the decoy
    /// (or, without decoys, the multi-photon) bound: never the single-photon one.
    fn verified(&mut self, config: &Config, key_bits: usize) -> KeyLength {
        let leak = self.reconciliation_disclosed + crate::verification::TAG_BITS;
        self.verification_bits = crate::verification::TAG_BITS;
        self.verification_collision = crate::verification::collision_probability(key_bits);
        match config.source {
            SourceConfig::WeakCoherent(w) => {
                let Some(counts) = &self.class_counts else {
                    // Unreachable in a well-formed round; never fall back to the single-photon bound.
                    return KeyLength { length: 0, bound: 0.0, why: Some("no per-intensity counts".into()) };
                };
                let src = SourceTerms {
                    intensities: w.intensities,
                    probabilities: w.probabilities,
                    key_basis_probability: w.key_basis_probability,
                };
                // LDPC frames dropped after sifting count as disclosed: the bound is on the whole
                // key-basis string, and a part of it has at most that much less entropy.
                let sifted: u64 = counts.key_sifted.iter().sum();
                let dropped = sifted.saturating_sub(key_bits as u64);
                let dk =
                    decoy_key_length(counts, &src, key_bits as u64, leak + dropped, config.eps_sec, config.eps_cor);
                self.decoy_key = Some(dk);
            }
            SourceConfig::SinglePhoton => {
                self.finite_key = Some(config.finite_key(key_bits, self.sample_bits, self.qber, leak));
            }
        }
        self.key_length().expect("just computed")
    }

    /// The key length the round's bound gave, once verified.
    pub(crate) fn key_length(&self) -> Option<KeyLength> {
        if let Some(d) = &self.decoy_key {
            return Some(KeyLength { length: d.length, bound: d.bound, why: d.verdict.clone() });
        }
        self.finite_key.as_ref().map(|f| KeyLength { length: f.length, bound: f.bound, why: None })
    }
}

/// The LDPC plan of a round: the first attempt aims at the sample's estimate `qber`, and the
/// punctured bits held for the blind reveal cover a plan for the estimate raised by
/// [`ldpc_margin`] standard deviations of a binomial estimate from `sample_bits` bits, so that
/// a sample that happened to undercount errors still leaves room for the key. Both sides
/// compute it from the same public numbers.
pub fn ldpc_plan(key_bits: usize, qber: f64, sample_bits: usize) -> Result<LdpcPlan, crate::error::Error> {
    let max = crate::reconciliation::ldpc::MAX_QBER;
    let sigma = (qber.max(1e-3) * (1.0 - qber) / sample_bits.max(1) as f64).sqrt();
    LdpcPlan::for_estimate(key_bits, qber.min(max), (qber + ldpc_margin(qber) * sigma).min(max))
}

/// Standard deviations above the estimated QBER `q` the reveal of an LDPC plan covers: linear
/// between the points of [`LDPC_MARGIN`], flat beyond them.
pub fn ldpc_margin(q: f64) -> f64 {
    let [(q0, m0), (q1, m1)] = LDPC_MARGIN;
    m0 + (m1 - m0) * ((q - q0) / (q1 - q0)).clamp(0.0, 1.0)
}

/// `(QBER, margin)`, chosen for the most key per round, failed rounds counted as none. On 300
/// sessions of 10^6 pulses over 5 km (a sample of about 6,000 bits, keys of about 57,000) per
/// point (`cargo bench -p qkdlab --bench figures -- --only ldpc_sessions`, with each margin),
/// rounds that dropped an LDPC frame (so kept no key) and the mean key per round were:
///
/// | margin | 1 % | 2 % | 5 % |
/// |---|---|---|---|
/// | 1.5 | 14 dropped, 24,692 bits | 7, 19,781 | 2, 6,276 |
/// | 2.0 | 5, 25,345 | 2, 19,950 | 1, 6,095 |
/// | 2.5 | 1, 25,538 | 0, 19,805 | 1, 5,820 |
///
/// A larger reserve punctures more of the first attempt's code, so more first attempts fail
/// and pay for the reveal: at 5 %, where the estimate is rarely far off, that costs more key
/// than the rare dropped frame saves; at 1 % a dropped frame is the larger loss. These points
/// give 2 / 0 / 1 dropped and 25,438 / 19,941 / 6,264 bits a round.
pub const LDPC_MARGIN: [(f64, f64); 2] = [(0.01, 2.5), (0.05, 1.5)];

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
