//! Bob's end of a link.

use super::alice::{pad_bits, refused};
use super::site::{RoundBook, Site};
use super::{Event, LinkSettings, Step};
use crate::auth::Credential;
use crate::error::{Error, LinkError};
use crate::msgs::{self, Msg, NONCE_LEN, Opening, Ready, Route};
use crate::party::Bob;
use crate::rng::Seed;

struct Round {
    party: Bob,
    book: RoundBook,
}

/// Bob's side of a link: announces a fresh nonce (Ready) for each round, follows Alice's
/// authenticated Hello, owns his pools and stores.
pub struct LinkBob {
    site: Site,
    bootstrap: Credential,
    seed: Seed,
    nonce: [u8; NONCE_LEN],
    nonces: u64,
    last_round: u32,
    current: Option<Round>,
}

impl LinkBob {
    /// Bob's end of link `link`, with his bootstrap credential. `seed` draws every random
    /// choice: [`Seed::from_entropy`] whenever Alice runs elsewhere.
    pub fn new(link: &str, settings: LinkSettings, bootstrap: Credential, seed: Seed) -> Result<Self, Error> {
        let mut bob = Self {
            site: Site::new(link, settings, false)?,
            bootstrap,
            seed,
            nonce: [0; NONCE_LEN],
            nonces: 0,
            last_round: 0,
            current: None,
        };
        bob.fresh_nonce();
        Ok(bob)
    }

    fn fresh_nonce(&mut self) {
        use rand::Rng;
        self.nonces += 1;
        self.seed.rng(&format!("bob nonce {}", self.nonces)).fill_bytes(&mut self.nonce);
    }

    /// The Ready frame announcing this side's current nonce (send it to Alice on joining; the
    /// endpoint sends a new one after each round).
    pub fn ready_frame(&self) -> Vec<u8> {
        Ready { nonce_b: self.nonce }.encode()
    }

    /// The authentication mode of the running round (`psk`, `pool-hmac`...).
    pub fn round_mode(&self) -> Option<&'static str> {
        self.current.as_ref().map(|r| r.book.mode)
    }

    /// The running round's party, for live views.
    pub fn party(&self) -> Option<&Bob> {
        self.current.as_ref().map(|r| &r.party)
    }

    /// The last round whose Hello verified.
    pub fn last_round(&self) -> u32 {
        self.last_round
    }

    /// The last round committed, 0 if none.
    pub fn last_committed(&self) -> u32 {
        self.site.last_committed
    }

    /// The pools, `[A->B, B->A]`.
    pub fn pools(&self) -> &[super::PoolStream; 2] {
        &self.site.pools
    }

    /// The key stores, `[A->B, B->A (master Bob's SAE)]`.
    pub fn stores_mut(&mut self) -> &mut [crate::keystore::KeyStore; 2] {
        &mut self.site.stores
    }

    /// The key stores.
    pub fn stores(&self) -> &[crate::keystore::KeyStore; 2] {
        &self.site.stores
    }

    /// Takes a frame (classical from Alice, or the fiber's detections).
    pub fn handle(&mut self, frame: &[u8]) -> Step {
        match msgs::route(frame) {
            Err(e) => return refused(e.into()),
            Ok(Route::Classical) if !msgs::is_ready(frame) => {
                if let Ok(Msg::Hello(opening, _)) = crate::auth::peek(frame) {
                    return self.on_hello(frame, &opening);
                }
            }
            Ok(_) => {}
        }
        let Some(round) = self.current.as_mut() else {
            return refused(msgs::kind(frame).map_or_else(Error::from, |k| Error::unexpected("Hello", k)));
        };
        let was_waiting = round.party.awaits_commit();
        match round.party.handle(frame) {
            Ok(mut frames) => {
                let mut events = Vec::new();
                if round.party.is_finished() {
                    events.push(self.end(None, false));
                } else if round.party.failure().is_some() {
                    events.push(self.end(None, false));
                    self.fresh_nonce();
                    frames.push(self.ready_frame());
                } else if !was_waiting && round.party.awaits_commit() {
                    // Done is out: the next round may open before Commit arrives.
                    self.fresh_nonce();
                    frames.push(self.ready_frame());
                }
                Step { frames, events }
            }
            Err(e) if was_waiting => {
                // A frame after Done that is not Alice's Commit: refused; only authenticated
                // data (Commit, or the next Hello) decides the key's fate.
                refused(e)
            }
            Err(e) => {
                let ended = self.end(Some(e), false);
                self.fresh_nonce();
                Step { frames: vec![self.ready_frame()], events: vec![ended] }
            }
        }
    }

    /// Ends the running round from outside (a timeout, an unauthenticated abort). A key that
    /// waits for Alice's Commit is kept: only authenticated data decides its fate.
    pub fn abort_round(&mut self, why: &str) -> Step {
        match &self.current {
            Some(r) if !r.party.awaits_commit() => {
                let ended = self.end(Some(LinkError::Aborted(why.into()).into()), false);
                self.fresh_nonce();
                Step { frames: vec![self.ready_frame()], events: vec![ended] }
            }
            _ => Step::default(),
        }
    }

    fn on_hello(&mut self, frame: &[u8], opening: &Opening) -> Step {
        if opening.round <= self.last_round {
            let e = LinkError::StaleRound { last: self.last_round, got: opening.round };
            return Step { frames: vec![self.ready_frame()], events: vec![Event::Refused(e.into())] };
        }
        // What the pools would be once the Hello's word on the waiting key is applied.
        let waiting = self.current.as_ref().filter(|r| r.party.awaits_commit()).map(|r| r.book.number);
        let commit_waiting = waiting.is_some_and(|n| n == opening.prev_committed);
        let checked = self.try_hello(frame, opening, commit_waiting);
        let (party, frames, credential) = match checked {
            Ok(x) => x,
            Err(e) => return Step { frames: vec![self.ready_frame()], events: vec![Event::Refused(e)] },
        };
        // The Hello verified: act on it.
        let mut events = Vec::new();
        if self.current.is_some() {
            let resolved = match waiting {
                Some(_) if commit_waiting => self.end(None, true),
                Some(_) => self.end(Some(LinkError::Uncommitted.into()), true),
                None => self.end(Some(LinkError::Aborted("Alice opened a new round".into()).into()), false),
            };
            events.push(resolved);
        }
        let before = self.site.available();
        let taken = match self.site.take(&opening.auth, opening.round) {
            Ok(t) => t,
            Err(e) => return Step { frames: vec![self.ready_frame()], events: vec![Event::Refused(e)] },
        };
        let avail = self.site.available();
        self.last_round = opening.round;
        let book = RoundBook { number: opening.round, mode: credential.mode(), before, taken, avail };
        self.current = Some(Round { party, book });
        Step { frames, events }
    }

    /// Checks a Hello on a copy of the state: the credential it names, and a party that
    /// accepted it with its answer. Nothing of this side changes here.
    fn try_hello(
        &self,
        frame: &[u8],
        opening: &Opening,
        commit_waiting: bool,
    ) -> Result<(Bob, Vec<Vec<u8>>, Credential), Error> {
        // The pools only: the stores play no part in the check (and may be large).
        let mut site = Site {
            link: self.site.link.clone(),
            settings: self.site.settings.clone(),
            pools: self.site.pools.clone(),
            stores: [self.site.stores[0].empty_like(), self.site.stores[1].empty_like()],
            last_committed: self.site.last_committed,
        };
        if commit_waiting {
            let r = self.current.as_ref().expect("a waiting round");
            if let (Some(key), Some(sid)) = (r.party.uncommitted_key(), r.party.session_id()) {
                site.commit(r.book.number, &sid, &key.bits, r.book.avail, waiting_pads(&r.party));
            }
        }
        let credential = site.credential_for(&opening.auth, &self.bootstrap)?;
        let rng = self.seed.rng(&format!("bob round {}", opening.round));
        let mut party = Bob::new(&credential, &self.site.link, self.nonce, rng);
        let frames = party.handle(frame)?;
        Ok((party, frames, credential))
    }

    fn end(&mut self, error: Option<Error>, by_hello: bool) -> Event {
        let mut r = self.current.take().expect("a round runs");
        let error = error.or_else(|| r.party.failure().cloned());
        let key = match (&error, by_hello) {
            (Some(_), _) => None,
            (None, true) => r.party.take_uncommitted_key(),
            (None, false) => r.party.take_key(),
        };
        let key_bits = key.as_ref().map_or(0, |k| k.bits.len());
        let committed = match (&key, r.party.session_id()) {
            (Some(key), Some(sid)) => {
                let pads = if by_hello {
                    waiting_pads(&r.party)
                } else {
                    r.party.auth_pads().map(|(send, recv)| [pad_bits(&recv), pad_bits(&send)])
                };
                Some(self.site.commit(r.book.number, &sid, &key.bits, r.book.avail, pads))
            }
            _ => None,
        };
        let outcome = r.book.outcome(error, &r.party, key_bits, committed, self.site.available());
        Event::RoundEnded(Box::new(outcome))
    }
}

/// Unused pads of a round committed without its Commit frame: the A->B pad is counted as
/// used through Commit (Alice sealed it), so one tag's pad more is skipped than Bob checked.
fn waiting_pads(party: &Bob) -> Option<[crate::bits::BitVec; 2]> {
    party.auth_pads().map(|(send, recv)| {
        let mut recv = recv;
        let _ = recv.take_u64();
        [pad_bits(&recv), pad_bits(&send)]
    })
}
