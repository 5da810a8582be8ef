//! Continuous operation: a QKD link runs round after round, one sans-IO endpoint per side.
//!
//! [`LinkAlice`] and [`LinkBob`] each own their side's per-direction authentication pools
//! ([`PoolStream`]) and its two ETSI GS QKD 014 key stores (one per direction of use). Round 1,
//! and every round until one is committed, authenticates with the bootstrap credential (PSK or
//! PKI); every later round with bits from the pools, which each committed round refills. The
//! rest of each key goes to the stores; key bits leave the core only through them.
//!
//! Invariants (each tested in `tests/link.rs`):
//! - a pool bit is used at most once, on either side, and an aborted round burns what it took;
//! - Bob takes pool bits only for a Hello whose tag verified; Alice's Hello names the positions
//!   it uses, and Bob burns forward to them (never backward), so a lost frame costs one round;
//! - Bob releases a key only on Alice's authenticated Commit, or when a later authenticated
//!   Hello says she committed that round (and discards it when it says she did not), so both
//!   sides' pools and stores hold the same committed rounds;
//! - unauthenticated input (a Ready, an abort, a forged frame) can end a round, never decide
//!   what is burned or committed;
//! - the bootstrap credential is refused once a round was committed (no downgrade).
//!
//! Two endpoints and a fiber, frame by frame, as any transport would carry them (each side
//! draws its randomness from the OS here, as parties that run apart must):
//!
//! ```
//! use std::collections::VecDeque;
//! use qkdlab::link::{Event, LinkAlice, LinkBob, LinkSettings};
//! use qkdlab::msgs::{self, Route};
//! use qkdlab::{ChannelModel, Config, Credential, Fiber, Seed};
//!
//! let psk = Credential::psk(&[7u8; 32])?;
//! let mut alice = LinkAlice::new("room 1", LinkSettings::default(), psk.clone(), Seed::from_entropy()?)?;
//! let mut bob = LinkBob::new("room 1", LinkSettings::default(), psk, Seed::from_entropy()?)?;
//! let mut fiber = Fiber::new(ChannelModel::default(), None, &Seed::from_entropy()?)?;
//!
//! // Bob announces himself; Alice starts a round. Frames for the fiber (Alice's photons, Bob's
//! // bases) pass through it, and what it answers goes to Bob; the rest go to the peer.
//! #[derive(Clone, Copy, PartialEq)]
//! enum Side { Alice, Bob, Fiber }
//! let ready = alice.handle(&bob.ready_frame());
//! assert!(ready.frames.is_empty() && alice.is_ready());
//! let first = alice.start_round(Config { pulses: 1_000_000, ..Config::default() })?.frames;
//! // Each frame with the side that sent it.
//! let mut queue: VecDeque<(Side, Vec<u8>)> = first.into_iter().map(|f| (Side::Alice, f)).collect();
//! let mut ended = Vec::new();
//! while let Some((from, frame)) = queue.pop_front() {
//!     let step = match (from, msgs::route(&frame)?) {
//!         (Side::Fiber, _) => bob.handle(&frame),
//!         (_, Route::Fiber) => {
//!             queue.extend(fiber.handle(&frame)?.into_iter().map(|f| (Side::Fiber, f)));
//!             continue;
//!         }
//!         (Side::Alice, _) => bob.handle(&frame),
//!         (Side::Bob, _) => alice.handle(&frame),
//!     };
//!     let sender = if from == Side::Bob { Side::Alice } else { Side::Bob };
//!     queue.extend(step.frames.into_iter().map(|f| (sender, f)));
//!     ended.extend(step.events);
//! }
//! // Both sides committed round 1 and filed the same keys under the same ids.
//! assert!(ended.iter().all(|e| matches!(e, Event::RoundEnded(o) if o.ok)) && ended.len() == 2);
//! let (a, b) = (&alice.stores()[0], &bob.stores()[0]);
//! assert!(!a.is_empty());
//! assert_eq!(a.ids(), b.ids());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod alice;
mod bob;
mod endpoint;
pub mod pool;
mod run;
mod site;

pub use alice::LinkAlice;
pub use bob::LinkBob;
pub use endpoint::{Endpoint, PoolsView};
pub use pool::{LedgerEntry, PoolStream, PoolUse};
pub use run::{LinkConfig, LinkReport, RoundReport, run, run_passive};
pub use site::{FINGERPRINT_BITS, HMAC_KEY_BITS, WC_POINT_BITS};

use crate::auth::AuthStats;
use crate::error::Error;
use crate::keystore::KeyStoreConfig;
use crate::party::Summary;

/// How rounds after the bootstrap are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PoolMac {
    /// HMAC-SHA256 keyed with 256 pool bits per direction per round (computational security).
    #[default]
    Hmac,
    /// Wegman-Carter: a 64-bit hash point per direction per round and 64 pad bits per frame
    /// (information-theoretic security).
    WegmanCarter,
}

/// A link side's policy (both sides must agree on `after_bootstrap`).
#[derive(Debug, Clone)]
pub struct LinkSettings {
    /// Authentication after the bootstrap.
    pub after_bootstrap: PoolMac,
    /// Unused bits each pool is refilled to after a committed round.
    pub pool_target_bits: usize,
    /// Wegman-Carter pad bits Alice asks for, per direction per round.
    pub pad_budget_bits: usize,
    /// The key stores' description (Alice's site; Bob's mirrors it).
    pub store: KeyStoreConfig,
}

impl Default for LinkSettings {
    fn default() -> Self {
        Self {
            after_bootstrap: PoolMac::Hmac,
            pool_target_bits: 4096,
            pad_budget_bits: 32_768,
            store: KeyStoreConfig::default(),
        }
    }
}

/// How one round ended, on one side. It serializes (camelCase) as the package's `LinkRound`.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoundOutcome {
    /// Round number on the link.
    pub round: u32,
    /// Whether the key was committed (to the pools and stores).
    pub ok: bool,
    /// Why not, otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    /// The authentication mode of the round.
    pub mode: &'static str,
    /// What this side saw (public numbers only).
    pub summary: Summary,
    /// This side's authentication costs.
    pub auth: AuthStats,
    /// Unused pool bits before the round, per direction.
    pub pool_before: [u64; 2],
    /// Pool bits the round took (burned if it failed), per direction.
    pub pool_taken: [u64; 2],
    /// Pool bits added when it was committed, per direction.
    pub pool_added: [u64; 2],
    /// Unused pool bits after it, per direction.
    pub pool_after: [u64; 2],
    /// Bits of the final key (fingerprint included).
    pub key_bits: usize,
    /// The fingerprint: [`FINGERPRINT_BITS`] of the key, shown and discarded, as hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Keys each store received (`[A->B, B->A]`).
    pub stored_keys: [usize; 2],
    /// Bits that went to the stores.
    pub stored_bits: usize,
    /// This side's view of the round's first pulses (what it alone knows).
    pub pulse_view: crate::party::PulseView,
}

/// Something an endpoint reports besides its frames.
#[derive(Debug, Clone)]
pub enum Event {
    /// A round ended (committed or not).
    RoundEnded(Box<RoundOutcome>),
    /// A frame was refused without ending a round (a forged or stale Hello, a stray frame).
    Refused(Error),
}

/// Events serialize as `{ type: "roundEnded", ...outcome }` or `{ type: "refused", error }`.
impl serde::Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        #[serde(tag = "type", rename_all = "camelCase")]
        enum Shape<'a> {
            RoundEnded(&'a RoundOutcome),
            Refused { error: &'a Error },
        }
        match self {
            Self::RoundEnded(o) => Shape::RoundEnded(o),
            Self::Refused(error) => Shape::Refused { error },
        }
        .serialize(s)
    }
}

/// What an endpoint returns for one input: frames to send, and what happened.
#[derive(Debug, Default, serde::Serialize)]
pub struct Step {
    /// Frames to send, in order (classical to the peer, fiber frames to the fiber).
    #[serde(serialize_with = "crate::session::frame_list")]
    pub frames: Vec<Vec<u8>>,
    /// What happened.
    pub events: Vec<Event>,
}
