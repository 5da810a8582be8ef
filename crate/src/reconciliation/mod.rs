//! Information reconciliation: Bob corrects his key towards Alice's, and what he learns on the
//! way is counted as disclosed. Two methods, the user's choice ([`Method`]):
//!
//! - **Cascade** (`cascade`; Brassard & Salvail, EUROCRYPT '93, with the choices of
//!   Martinez-Mateo, Pacher, Peev, Ciurana and Martin, "Demystifying the information
//!   reconciliation protocol Cascade", QIC 15 (2015)): interactive binary searches, close to the
//!   Shannon limit but with a round trip per search level. Alice is a parity oracle
//!   ([`CascadeAlice`]); Bob runs the searches ([`CascadeBob`]); every query pending in a round
//!   trip goes in one message, and every parity Alice disclosed is reused.
//! - **LDPC** ([`ldpc`]): one-way syndrome decoding, at most three messages; frames that fail
//!   are discarded and counted.

mod cascade;
pub mod ldpc;

/// Which reconciliation a round runs (Alice announces it in Hello).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Cascade: interactive, the least disclosed.
    #[default]
    Cascade,
    /// Rate-adaptive LDPC syndromes: one-way, at most three messages.
    Ldpc,
}

pub use cascade::{CascadeAlice, CascadeBob, CascadeParams, CascadeStep, Layout};

use crate::bits::BitVec;
use crate::error::Error;

/// The outcome of [`reconcile`]: Bob's corrected key and what it cost. It serializes
/// (camelCase, the parameters inline) as the package's `Reconciliation`.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reconciled {
    /// Bob's key after Cascade.
    #[serde(serialize_with = "crate::bits::serialize_bytes")]
    pub key: BitVec,
    /// Parity bits Alice disclosed.
    pub disclosed: u64,
    /// Query round trips (plus the one that carries the top-level parities).
    pub round_trips: usize,
    /// Bits Bob flipped.
    pub corrections: usize,
    /// Block sizes and passes used.
    #[serde(flatten)]
    pub params: CascadeParams,
}

/// [`reconcile`] with the shuffles drawn from a replay seed (teaching and benchmarks).
pub fn reconcile_seeded(
    reference: &BitVec,
    noisy: &BitVec,
    qber: f64,
    seed: &crate::rng::Seed,
) -> Result<Reconciled, Error> {
    let mut shuffle = [0u8; 32];
    rand::Rng::fill_bytes(&mut seed.rng("cascade"), &mut shuffle);
    reconcile(reference, noisy, qber, &shuffle)
}

/// Runs both sides of Cascade in memory on two bit strings (for teaching, tests and
/// benchmarks): Alice's `reference` and Bob's `noisy` copy, at estimated error rate `qber`.
///
/// ```
/// use qkdlab::BitVec;
/// use qkdlab::reconciliation::reconcile;
///
/// // Alice's 10,000 bits and Bob's copy with 100 errors (1 %).
/// let alice = BitVec::from_bools(&(0..10_000).map(|i| (i * 7919) % 13 < 6).collect::<Vec<_>>());
/// let mut bob = alice.clone();
/// (0..100).for_each(|i| bob.flip(i * 97));
/// let r = reconcile(&alice, &bob, 0.01, &[1u8; 32])?;
/// assert_eq!(r.key, alice);
/// assert_eq!(r.corrections, 100);
/// // Every parity Alice sent is counted: close to n h(Q) = 808 bits (Shannon's bound for
/// // random errors; these evenly spaced ones each sit alone in a first-pass block).
/// assert!(r.disclosed > 750 && r.disclosed < 1000, "{}", r.disclosed);
/// # Ok::<(), qkdlab::Error>(())
/// ```
pub fn reconcile(reference: &BitVec, noisy: &BitVec, qber: f64, seed: &[u8; 32]) -> Result<Reconciled, Error> {
    if reference.len() != noisy.len() {
        return Err(Error::invalid(
            "noisy",
            format!("must have as many bits as the reference ({}), got {}", reference.len(), noisy.len()),
        ));
    }
    if !(qber.is_finite() && (0.0..=0.5).contains(&qber)) {
        return Err(Error::invalid("qber", format!("must be in [0, 0.5], got {qber}")));
    }
    let n = reference.len();
    let params = CascadeParams::for_qber(qber, n);
    let mut alice = CascadeAlice::new(reference, Layout::new(n, params, seed));
    let mut bob = CascadeBob::new(noisy.clone(), Layout::new(n, params, seed));
    let mut step = bob.start(&alice.top_parities())?;
    while let CascadeStep::Query(qs) = step {
        step = bob.receive(&alice.answer(&qs)?)?;
    }
    Ok(Reconciled {
        key: bob.key().clone(),
        disclosed: alice.disclosed(),
        round_trips: bob.round_trips() + 1,
        corrections: bob.corrections(),
        params,
    })
}
