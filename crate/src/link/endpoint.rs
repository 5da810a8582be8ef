//! Either end of a link behind one interface, for drivers that pick the role at run time (the
//! JS `Link`, a relay client): the calls both ends answer, and the key stores addressed by SAE
//! id as ETSI GS QKD 014 addresses them.

use super::{Event, LedgerEntry, LinkAlice, LinkBob, LinkSettings, Step};
use crate::auth::Credential;
use crate::error::Error;
use crate::keystore::KeyStore;
use crate::party::{Config, Summary};
use crate::rng::Seed;

/// One side of a link.
pub enum Endpoint {
    /// Alice's end: opens rounds.
    Alice(LinkAlice),
    /// Bob's end: follows.
    Bob(LinkBob),
}

/// The pools as a view shows them: unused bits, cursors and ledgers, `[A->B, B->A]`.
#[derive(Debug, serde::Serialize)]
pub struct PoolsView<'a> {
    /// Unused bits per direction.
    pub available: [u64; 2],
    /// Next unused position per direction.
    pub cursor: [u64; 2],
    /// What each position was used for.
    pub ledger: [&'a [LedgerEntry]; 2],
}

impl Endpoint {
    /// The end `role` ("alice" or "bob") of link `link` (1 to 256 bytes: the room id).
    pub fn new(
        role: &str,
        link: &str,
        settings: LinkSettings,
        bootstrap: Credential,
        seed: Seed,
    ) -> Result<Self, Error> {
        if link.is_empty() || link.len() > 256 {
            return Err(Error::invalid("link", "must be 1 to 256 bytes (the room id)"));
        }
        match role {
            "alice" => Ok(Self::Alice(LinkAlice::new(link, settings, bootstrap, seed)?)),
            "bob" => Ok(Self::Bob(LinkBob::new(link, settings, bootstrap, seed)?)),
            other => Err(Error::invalid("role", format!("must be \"alice\" or \"bob\", got {other:?}"))),
        }
    }

    /// Alice: opens the next round (see [`LinkAlice::start_round`]); Bob cannot.
    pub fn start_round(&mut self, protocol: Config) -> Result<Step, Error> {
        match self {
            Self::Alice(a) => a.start_round(protocol),
            Self::Bob(_) => Err(Error::invalid("role", "only Alice opens rounds")),
        }
    }

    /// Takes one frame from the peer (or the fiber, for Bob).
    pub fn handle(&mut self, frame: &[u8]) -> Step {
        match self {
            Self::Alice(a) => a.handle(frame),
            Self::Bob(b) => b.handle(frame),
        }
    }

    /// Ends the running round from outside: what it took stays burned; a key Bob verified and
    /// waits to commit is kept.
    pub fn abort_round(&mut self, why: &str) -> Step {
        match self {
            Self::Alice(a) => {
                let events = a.abort_round(why).map(|o| Event::RoundEnded(Box::new(o))).into_iter().collect();
                Step { frames: Vec::new(), events }
            }
            Self::Bob(b) => b.abort_round(why),
        }
    }

    /// Bob's Ready frame (his current nonce); Alice has none.
    pub fn ready_frame(&self) -> Option<Vec<u8>> {
        match self {
            Self::Bob(b) => Some(b.ready_frame()),
            Self::Alice(_) => None,
        }
    }

    /// Alice: whether Bob's nonce arrived and no round runs, so one can start.
    pub fn can_start(&self) -> bool {
        matches!(self, Self::Alice(a) if a.is_ready() && !a.is_running())
    }

    /// Whether a round runs on this side (Bob's ends at Done, while he waits for Commit).
    pub fn is_running(&self) -> bool {
        match self {
            Self::Alice(a) => a.is_running(),
            Self::Bob(b) => b.party().is_some_and(|p| !p.awaits_commit()),
        }
    }

    /// The running round's authentication mode.
    pub fn round_mode(&self) -> Option<&'static str> {
        match self {
            Self::Alice(a) => a.round_mode(),
            Self::Bob(b) => b.round_mode(),
        }
    }

    /// The running round's protocol state, or "Idle".
    pub fn state(&self) -> &'static str {
        match self {
            Self::Alice(a) => a.party().map_or("Idle", |p| p.state()),
            Self::Bob(b) => b.party().map_or("Idle", |p| p.state()),
        }
    }

    /// The running round's summary so far.
    pub fn summary(&self) -> Option<&Summary> {
        match self {
            Self::Alice(a) => a.party().map(|p| p.summary()),
            Self::Bob(b) => b.party().map(|p| p.summary()),
        }
    }

    /// Bits Bob has corrected so far in the running round (Bob only: Alice cannot count them).
    pub fn corrections(&self) -> Option<usize> {
        match self {
            Self::Alice(_) => None,
            Self::Bob(b) => b.party().map(|p| p.corrections()),
        }
    }

    /// The running round's view of its first pulses (this side's knowledge only).
    pub fn pulse_view(&self) -> Option<&crate::party::PulseView> {
        match self {
            Self::Alice(a) => a.party().map(|p| p.pulse_view()),
            Self::Bob(b) => b.party().map(|p| p.pulse_view()),
        }
    }

    /// The last round committed on this side, 0 if none.
    pub fn last_committed(&self) -> u32 {
        match self {
            Self::Alice(a) => a.last_committed(),
            Self::Bob(b) => b.last_committed(),
        }
    }

    /// The pools.
    pub fn pools(&self) -> PoolsView<'_> {
        let p = match self {
            Self::Alice(a) => a.pools(),
            Self::Bob(b) => b.pools(),
        };
        PoolsView {
            available: [p[0].available(), p[1].available()],
            cursor: [p[0].cursor(), p[1].cursor()],
            ledger: [p[0].ledger(), p[1].ledger()],
        }
    }

    /// The key stores, `[A->B, B->A]`.
    pub fn stores_mut(&mut self) -> &mut [KeyStore; 2] {
        match self {
            Self::Alice(a) => a.stores_mut(),
            Self::Bob(b) => b.stores_mut(),
        }
    }
}
