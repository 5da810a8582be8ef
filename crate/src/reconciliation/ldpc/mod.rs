//! One-way, rate-adaptive LDPC reconciliation: Alice sends syndromes, Bob decodes.
//!
//! - Mother codes are built here, from one fixed public seed, from the BSC-optimized
//!   ensembles of Elkouss, Leverrier, Alléaume and Boutros, "Efficient reconciliation protocol
//!   for discrete-variable quantum key distribution", ISIT 2009, Table I, up to rate 0.7, and
//!   above it from ensembles without degree-2 variables designed with `examples/ldpc_design`
//!   ([`distributions`]); edges avoid 4-cycles, and degree-2 variables avoid short cycles among themselves, which
//!   would be low-weight code words ([`LdpcCode`]). A code depends only on its length (on a
//!   grid, [`LENGTH_GRID`]) and ensemble, so each is built once per process and shared by every
//!   session (`frame`); the session seed draws where key, punctured and shortened bits sit.
//! - Each frame's rate is tuned to the estimated error rate by puncturing and shortening
//!   (Elkouss, Martinez-Mateo, Lancho & Martin, "Rate compatible protocol for information
//!   reconciliation: an application to QKD", ITW 2010; Elkouss, Martinez-Mateo & Martin,
//!   "Information reconciliation for QKD", QIC 11, 2011) ([`LdpcPlan`]).
//! - Mother codes of 65,536 bits and more are quasi-cyclic: a base graph drawn the same way, its
//!   edges lifted to circulants with shifts that break 4-cycles and lengthen cycles of
//!   degree-2 variables ([`Lifting`]).
//! - Bob decodes by layered sum-product belief propagation in fixed point, 16-bit messages ([`decode`]),
//!   a whole base row of a quasi-cyclic code at a time, in vectors,
//!   stopping early on success or when progress stalls; a frame that fails gets one
//!   blind round (Martinez-Mateo, Elkouss & Martin, "Blind reconciliation", QIC 12, 2012):
//!   Alice reveals some punctured bits and Bob tries again.
//!
//! Messages: (1) Alice -> Bob, the syndromes ([`LdpcAlice::syndromes`]); if some frame failed,
//! (2) Bob -> Alice, how many punctured bits per frame ([`LdpcStep::Reveal`]) and (3) Alice ->
//! Bob, their values ([`LdpcAlice::reveal`]). Frames still failing are dropped on both sides
//! ([`LdpcStep::Done`], [`LdpcAlice::drop_frames`]); the failed list travels with Bob's next
//! message. Disclosed bits are counted as `M - p` per syndrome plus every revealed bit
//! (shortened bits are public pseudo-random values, not key).

mod alice;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod bob;
mod code;
mod decoder;
pub mod distributions;
mod frame;
mod layered;
mod lift;
mod plan;
#[cfg(target_arch = "x86_64")]
mod shuffle;

pub use alice::LdpcAlice;
pub use bob::{LdpcBob, LdpcStep, MAX_ITERATIONS};
pub use code::LdpcCode;
pub use decoder::{Decoded, MAX_VAR_DEGREE, STALL, decode};
pub use layered::MAX_LIFTED_DEGREE;
pub use lift::{LIFT, Lifting, MIN_BASE_COLUMNS};
pub use plan::{
    BLIND_RESERVE, FRAME_BITS, FramePlan, LENGTH_GRID, LONG_BLIND_RESERVE, LONG_FIRST_EFFICIENCY, LONG_FRAME_BITS,
    LONG_MAX_QBER, LONG_MIN_QBER, LdpcPlan, MAX_QBER, binary_entropy, blind_reserve, first_efficiency, frame_count,
};

use crate::bits::BitVec;
use crate::error::Error;
use crate::rng::Seed;

/// The outcome of [`reconcile_ldpc`]: both keys after dropped frames, and what it cost.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LdpcReconciled {
    /// Bob's corrected key, failed frames removed.
    #[serde(serialize_with = "crate::bits::serialize_bytes")]
    pub key: BitVec,
    /// Alice's key with the same frames removed.
    #[serde(serialize_with = "crate::bits::serialize_bytes")]
    pub alice_key: BitVec,
    /// Bits disclosed: `M - p` per frame plus revealed punctured bits.
    pub disclosed: u64,
    /// Efficiency `disclosed / (n h(Q))` over the whole key, failed frames included.
    pub efficiency: f64,
    /// Frames the key was split into.
    pub frames: usize,
    /// Frames discarded after both attempts.
    pub failed_frames: Vec<u32>,
    /// Frames that needed the blind reveal.
    pub revealed_frames: usize,
    /// Messages exchanged: 1, or 3 when Bob asked for punctured bits.
    pub messages: usize,
    /// Belief-propagation iterations, over all frames and attempts.
    pub iterations: u64,
    /// The plan used.
    pub plan: LdpcPlan,
}

/// Runs both sides in memory (teaching, tests, benchmarks): Alice's `reference`, Bob's `noisy`
/// copy, estimated error rate `qber`, public `seed`. Alice's punctured bits are drawn from
/// `seed` too (label "ldpc alice"), which is fine for a simulation only.
pub fn reconcile_ldpc(reference: &BitVec, noisy: &BitVec, qber: f64, seed: &[u8; 32]) -> Result<LdpcReconciled, Error> {
    if reference.len() != noisy.len() {
        return Err(Error::invalid(
            "noisy",
            format!("must have as many bits as the reference ({}), got {}", reference.len(), noisy.len()),
        ));
    }
    let plan = LdpcPlan::for_qber(reference.len(), qber)?;
    let mut private = [0u8; 32];
    rand::Rng::fill_bytes(&mut Seed::from_bytes(*seed).rng("ldpc alice"), &mut private);
    let mut alice = LdpcAlice::new(reference, &plan, seed, &private)?;
    let mut bob = LdpcBob::new(noisy.clone(), &plan, seed)?;
    let mut messages = 1;
    let mut revealed_frames = 0;
    let mut step = bob.receive_syndromes(&alice.syndromes())?;
    if let LdpcStep::Reveal(request) = &step {
        revealed_frames = request.iter().filter(|&&r| r > 0).count();
        messages += 2;
        step = bob.receive_reveal(&alice.reveal(request)?)?;
    }
    let LdpcStep::Done { failed } = step else {
        return Err(Error::inconsistent("LDPC: Bob asked twice for punctured bits"));
    };
    let alice_key = alice.drop_frames(&failed)?;
    let nh = reference.len() as f64 * binary_entropy(qber);
    Ok(LdpcReconciled {
        key: bob.key(),
        alice_key,
        disclosed: alice.disclosed(),
        efficiency: if nh > 0.0 { alice.disclosed() as f64 / nh } else { f64::INFINITY },
        frames: plan.frames().len(),
        failed_frames: failed,
        revealed_frames,
        messages,
        iterations: bob.iterations(),
        plan,
    })
}

#[cfg(test)]
mod tests;
