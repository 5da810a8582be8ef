//! Alice's end of a link.

use super::site::{RoundBook, Site};
use super::{Event, LinkSettings, RoundOutcome, Step};
use crate::auth::Credential;
use crate::error::{Error, LinkError};
use crate::msgs::{self, Ready, Route};
use crate::party::{Alice, Config, RoundContext};
use crate::rng::{QkdRng, Seed};

struct Round {
    party: Alice,
    book: RoundBook,
}

/// Alice's side of a link: opens rounds on Bob's Ready, owns her pools and stores.
pub struct LinkAlice {
    site: Site,
    bootstrap: Credential,
    seed: Seed,
    ready: Option<Ready>,
    rounds: u32,
    current: Option<Round>,
}

impl LinkAlice {
    /// Alice's end of link `link` (the relay's room id), with her bootstrap credential. `seed`
    /// draws every random choice: [`Seed::from_entropy`] whenever Bob runs elsewhere.
    pub fn new(link: &str, settings: LinkSettings, bootstrap: Credential, seed: Seed) -> Result<Self, Error> {
        Ok(Self { site: Site::new(link, settings, true)?, bootstrap, seed, ready: None, rounds: 0, current: None })
    }

    /// Whether Bob's fresh nonce arrived, so a round can start.
    pub fn is_ready(&self) -> bool {
        self.ready.is_some()
    }

    /// Whether a round is running.
    pub fn is_running(&self) -> bool {
        self.current.is_some()
    }

    /// The authentication mode of the running round (`psk`, `pool-hmac`...).
    pub fn round_mode(&self) -> Option<&'static str> {
        self.current.as_ref().map(|r| r.book.mode)
    }

    /// The running round's party, for live views.
    pub fn party(&self) -> Option<&Alice> {
        self.current.as_ref().map(|r| &r.party)
    }

    /// Rounds opened so far.
    pub fn rounds(&self) -> u32 {
        self.rounds
    }

    /// The last round committed, 0 if none.
    pub fn last_committed(&self) -> u32 {
        self.site.last_committed
    }

    /// The pools, `[A->B, B->A]`.
    pub fn pools(&self) -> &[super::PoolStream; 2] {
        &self.site.pools
    }

    /// The key stores, `[A->B (master Alice's SAE), B->A]`.
    pub fn stores_mut(&mut self) -> &mut [crate::keystore::KeyStore; 2] {
        &mut self.site.stores
    }

    /// The key stores.
    pub fn stores(&self) -> &[crate::keystore::KeyStore; 2] {
        &self.site.stores
    }

    /// Opens the next round with the last Ready from Bob: takes the round's pool bits and
    /// returns the photon frames and Hello. Fails without a Ready, while a round runs, or when
    /// the pools are exhausted (the link then cannot go on without a new bootstrap).
    pub fn start_round(&mut self, protocol: Config) -> Result<Step, Error> {
        if self.current.is_some() {
            return Err(LinkError::Busy.into());
        }
        protocol.validate()?;
        let ready = self.ready.ok_or(Error::Link(LinkError::NotReady))?;
        let auth = self.site.next_auth(protocol.tags)?;
        let credential = self.site.credential_for(&auth, &self.bootstrap)?;
        let number = self.rounds + 1;
        let before = self.site.available();
        let context = RoundContext {
            link: self.site.link.clone(),
            round: number,
            auth,
            prev_committed: self.site.last_committed,
        };
        let rng: QkdRng = self.seed.rng(&format!("alice round {number}"));
        let mut party = Alice::new(protocol, &credential, context, rng)?;
        let taken = self.site.take(&auth, number)?;
        self.rounds = number;
        self.ready = None;
        let frames = party.handle(&ready.encode())?;
        let avail = self.site.available();
        self.current = Some(Round { party, book: RoundBook { number, mode: credential.mode(), before, taken, avail } });
        Ok(Step { frames, events: Vec::new() })
    }

    /// Takes a frame from Bob (classical) and returns what to send and what happened.
    pub fn handle(&mut self, frame: &[u8]) -> Step {
        if msgs::is_ready(frame) {
            let ready = match Ready::decode(frame) {
                Ok(r) => r,
                Err(e) => return refused(e.into()),
            };
            // Kept for the next round. A Ready that arrives while a round runs does not end it:
            // it may be forged, and a refused Hello is followed by the real one or a timeout.
            self.ready = Some(ready);
            return Step::default();
        }
        if msgs::route(frame) != Ok(Route::Classical) {
            return refused(
                msgs::kind(frame).map_or_else(Error::from, |k| Error::unexpected("a classical frame from Bob", k)),
            );
        }
        let Some(round) = self.current.as_mut() else {
            return refused(Error::Finished);
        };
        match round.party.handle(frame) {
            Ok(frames) => {
                let mut step = Step { frames, events: Vec::new() };
                if round.party.is_finished() || round.party.failure().is_some() {
                    step.events.push(Event::RoundEnded(Box::new(self.end(None))));
                }
                step
            }
            Err(e) => Step { frames: Vec::new(), events: vec![Event::RoundEnded(Box::new(self.end(Some(e))))] },
        }
    }

    /// Ends the running round from outside (a timeout, the peer's unauthenticated abort): it
    /// yields no key and what it took stays burned.
    pub fn abort_round(&mut self, why: &str) -> Option<RoundOutcome> {
        self.current.as_ref()?;
        Some(self.end(Some(LinkError::Aborted(why.into()).into())))
    }

    fn end(&mut self, error: Option<Error>) -> RoundOutcome {
        let mut r = self.current.take().expect("a round runs");
        let error = error.or_else(|| r.party.failure().cloned());
        let key = if error.is_none() { r.party.take_key() } else { None };
        let key_bits = key.as_ref().map_or(0, |k| k.bits.len());
        let committed = match (&key, r.party.session_id()) {
            (Some(key), Some(sid)) => {
                let pads = r.party.auth_pads().map(|(send, recv)| [pad_bits(&send), pad_bits(&recv)]);
                Some(self.site.commit(r.book.number, &sid, &key.bits, r.book.avail, pads))
            }
            _ => None,
        };
        r.book.outcome(error, &r.party, key_bits, committed, self.site.available())
    }
}

pub(super) fn pad_bits(p: &crate::auth::KeyPool) -> crate::bits::BitVec {
    let mut p = p.clone();
    let n = p.len();
    p.take(n).unwrap_or_default()
}

pub(super) fn refused(e: Error) -> Step {
    Step { frames: Vec::new(), events: vec![Event::Refused(e)] }
}
