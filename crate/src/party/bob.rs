//! Bob: chooses his measurement bases, announces his clicks, runs Cascade's searches, hashes
//! his key for verification and applies Alice's privacy-amplification seed.

use rand::Rng;

use super::{Config, FinalKey, Status, Summary};
use crate::amplification::toeplitz_hash;
use crate::auth::{AuthStats, Channel, Credential, Direction, session_id};
use crate::bits::BitVec;
use crate::error::Error;
use crate::estimation::{error_rate, sample_size, without_sample};
use crate::msgs::{self, FiberMsg, Msg, Opening, Route};
use crate::quantum::{Detections, random_bits};
use crate::reconciliation::{CascadeBob, CascadeParams, CascadeStep, Layout};
use crate::rng::QkdRng;
use crate::sifting::sifted;
use crate::verification;

/// Bob's protocol states, each named for what it waits for.
enum State {
    ExpectHello,
    ExpectDetections {
        config: Config,
        bases: BitVec,
        clicks: Vec<u64>,
        outcomes: Vec<u64>,
        seen: Vec<bool>,
        missing: u32,
    },
    ExpectSiftReply {
        config: Config,
        clicked_bits: BitVec,
        clicks: BitVec,
    },
    ExpectCascadeStart {
        config: Config,
        key: BitVec,
        qber: f64,
    },
    ExpectParities {
        config: Config,
        cascade: CascadeBob,
    },
    ExpectConfirm {
        config: Config,
        key: BitVec,
        tag: [u64; 2],
    },
    ExpectCommit {
        key: FinalKey,
    },
    Over,
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            Self::ExpectHello => "ExpectHello",
            Self::ExpectDetections { .. } => "ExpectDetections",
            Self::ExpectSiftReply { .. } => "ExpectSiftReply",
            Self::ExpectCascadeStart { .. } => "ExpectCascadeStart",
            Self::ExpectParities { .. } => "ExpectParities",
            Self::ExpectConfirm { .. } => "ExpectConfirm",
            Self::ExpectCommit { .. } => "ExpectCommit",
            Self::Over => "Over",
        }
    }
}

/// The receiver: measures photons and corrects his key towards Alice's.
pub struct Bob {
    credential: Credential,
    link: String,
    nonce_b: [u8; msgs::NONCE_LEN],
    opening: Option<Opening>,
    channel: Option<Channel>,
    rng: QkdRng,
    state: State,
    status: Status,
    summary: Summary,
}

impl Bob {
    /// Bob with the classical channel's credential, the link's id, the nonce of the Ready he
    /// sent for this round and his randomness. He adopts the protocol parameters Alice announces
    /// (after checking them); the session id comes from his nonce and Alice's in Hello.
    pub fn new(credential: &Credential, link: &str, nonce_b: [u8; msgs::NONCE_LEN], rng: QkdRng) -> Self {
        Self {
            credential: credential.clone(),
            link: link.into(),
            nonce_b,
            opening: None,
            channel: None,
            rng,
            state: State::ExpectHello,
            status: Status::Running,
            summary: Summary::default(),
        }
    }

    /// Takes one frame (classical from Alice, or Detections from the fiber) and returns the
    /// frames to send (classical for Alice, Measure for the fiber).
    pub fn handle(&mut self, frame: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        if !matches!(self.status, Status::Running) {
            // Still authenticate: a replay after the end is reported as what it is.
            if let (Ok(Route::Classical), false, Some(c)) =
                (msgs::route(frame), msgs::is_ready(frame), &mut self.channel)
            {
                c.open(frame)?;
            }
            return Err(Error::Finished);
        }
        if let State::ExpectCommit { .. } = self.state {
            // Only Alice's authenticated Commit ends this state; anything else is refused and
            // leaves the verified key where it is.
            return match self.channel().open(frame)? {
                Msg::Commit => {
                    let State::ExpectCommit { key } = core::mem::replace(&mut self.state, State::Over) else {
                        unreachable!("matched above");
                    };
                    self.status = Status::Finished(Some(key));
                    Ok(Vec::new())
                }
                other => Err(Error::unexpected("Commit", other.name())),
            };
        }
        match self.step(frame) {
            Ok(out) => Ok(out),
            Err(e) => {
                self.state = State::Over;
                self.status = Status::Failed(e.clone());
                Err(e)
            }
        }
    }

    fn step(&mut self, frame: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        if msgs::route(frame)? == Route::Fiber {
            return match FiberMsg::decode(frame)? {
                FiberMsg::Detections(d) => self.on_detections(d),
                other => Err(Error::unexpected("Detections", msgs::type_name(other.encode()[1]))),
            };
        }
        if msgs::is_ready(frame) {
            return Err(Error::unexpected(self.state.name(), "Ready"));
        }
        if self.channel.is_none() {
            // The first frame must be Hello: its opening names the session the tag covers.
            let Msg::Hello(opening, _) = crate::auth::peek(frame)? else {
                return Err(Error::unexpected("Hello", msgs::type_name(frame[1])));
            };
            let sid = session_id(&self.link, opening.round, &opening.nonce_a, &self.nonce_b);
            self.channel = Some(Channel::new(&self.credential, Direction::BobToAlice, sid));
        }
        let msg = self.channel().open(frame)?;
        match (core::mem::replace(&mut self.state, State::Over), msg) {
            (State::ExpectHello, Msg::Hello(opening, params)) => {
                let config = params.checked_from_peer()?;
                self.opening = Some(opening);
                self.on_hello(config)
            }
            (
                State::ExpectSiftReply { config, clicked_bits, clicks },
                Msg::SiftReply { matches, sample, sample_bits },
            ) => self.on_sift_reply(config, &clicked_bits, &clicks, &matches, &sample, &sample_bits),
            (State::ExpectCascadeStart { config, key, qber }, Msg::CascadeStart { seed, parities }) => {
                let params = CascadeParams::for_qber(qber, key.len());
                self.summary.cascade_first_block = params.first_block;
                self.summary.cascade_passes = params.passes;
                let mut cascade = CascadeBob::new(key.clone(), Layout::new(key.len(), params, &seed));
                let step = cascade.start(&parities)?;
                self.after_cascade_step(config, cascade, step)
            }
            (State::ExpectParities { config, mut cascade }, Msg::Parities(p)) => {
                let step = cascade.receive(&p)?;
                self.after_cascade_step(config, cascade, step)
            }
            (State::ExpectConfirm { config, key, tag }, Msg::Confirm { tag: alice_tag, toeplitz_seed }) => {
                self.on_confirm(&config, &key, tag, alice_tag, &toeplitz_seed)
            }
            (state, msg) => Err(Error::unexpected(state.name(), msg.name())),
        }
    }

    fn on_hello(&mut self, config: Config) -> Result<Vec<Vec<u8>>, Error> {
        let n = config.pulses as usize;
        let bases = random_bits(n, &mut self.rng);
        self.summary.pulses = config.pulses;
        let mut out = Vec::with_capacity(config.batches() as usize);
        let per_batch = config.batch_size as usize / 64;
        for index in 0..config.batches() {
            let len = config.batch_len(index);
            let first = index as usize * per_batch;
            let words = bases.words()[first..first + len.div_ceil(64)].to_vec();
            out.push(FiberMsg::Measure { index, bases: BitVec::from_words(words, len) }.encode());
        }
        let words = n.div_ceil(64);
        let batches = config.batches();
        self.state = State::ExpectDetections {
            config,
            bases,
            clicks: vec![0; words],
            outcomes: vec![0; words],
            seen: vec![false; batches as usize],
            missing: batches,
        };
        Ok(out)
    }

    fn on_detections(&mut self, d: Detections) -> Result<Vec<Vec<u8>>, Error> {
        let State::ExpectDetections { config, clicks, outcomes, seen, missing, .. } = &mut self.state else {
            return Err(Error::unexpected(self.state.name(), "Detections"));
        };
        let i = d.index as usize;
        if i >= seen.len() || seen[i] || d.clicks.len() != config.batch_len(d.index) {
            return Err(Error::inconsistent("detection batch"));
        }
        seen[i] = true;
        *missing -= 1;
        let first = i * (config.batch_size as usize / 64);
        clicks[first..first + d.clicks.words().len()].copy_from_slice(d.clicks.words());
        outcomes[first..first + d.outcomes.words().len()].copy_from_slice(d.outcomes.words());
        if *missing > 0 {
            return Ok(Vec::new());
        }
        let State::ExpectDetections { config, bases, clicks, outcomes, .. } =
            core::mem::replace(&mut self.state, State::Over)
        else {
            unreachable!("matched above");
        };
        let n = config.pulses as usize;
        let clicks = BitVec::from_words(clicks, n);
        let outcomes = BitVec::from_words(outcomes, n);
        self.summary.clicks = clicks.count_ones() as u64;
        let sift = Msg::Sift { clicks: clicks.clone(), bases: bases.select(&clicks) };
        self.state = State::ExpectSiftReply { config, clicked_bits: outcomes, clicks };
        Ok(vec![self.channel().seal(&sift)?])
    }

    fn on_sift_reply(
        &mut self,
        config: Config,
        outcomes: &BitVec,
        clicks: &BitVec,
        matches: &BitVec,
        sample: &BitVec,
        alice_sample: &BitVec,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let key = sifted(outcomes, clicks, matches)?;
        self.summary.sifted_bits = key.len();
        let k = match sample_size(key.len(), config.sample_fraction) {
            Ok(k) => k,
            Err(e) => return self.fail_after(Vec::new(), e),
        };
        if sample.len() != key.len() || sample.count_ones() != k || alice_sample.len() != k {
            return Err(Error::inconsistent("estimation sample"));
        }
        self.summary.sample_bits = k;
        let mine = key.select(sample);
        let qber = error_rate(alice_sample, &mine)?;
        self.summary.qber = qber;
        let reply = vec![self.channel().seal(&Msg::SampleReply { sample_bits: mine })?];
        if qber > config.qber_threshold {
            return self.fail_after(reply, Error::QberTooHigh { qber, threshold: config.qber_threshold });
        }
        self.state = State::ExpectCascadeStart { config, key: without_sample(&key, sample), qber };
        Ok(reply)
    }

    fn after_cascade_step(
        &mut self,
        config: Config,
        cascade: CascadeBob,
        step: CascadeStep,
    ) -> Result<Vec<Vec<u8>>, Error> {
        self.summary.cascade_disclosed = cascade.disclosed();
        self.summary.cascade_corrections = cascade.corrections();
        self.summary.cascade_round_trips = cascade.round_trips();
        match step {
            CascadeStep::Query(qs) => {
                self.state = State::ExpectParities { config, cascade };
                Ok(vec![self.channel().seal(&Msg::ParityQuery(qs))?])
            }
            CascadeStep::Done => {
                let points = [self.rng.next_u64(), self.rng.next_u64()];
                let key = cascade.key().clone();
                let tag = verification::tag(&key, points);
                self.summary.verification_bits = verification::TAG_BITS;
                self.summary.verification_collision = verification::collision_probability(key.len());
                let leak = cascade.disclosed() + verification::TAG_BITS;
                self.summary.finite_key =
                    Some(config.finite_key(key.len(), self.summary.sample_bits, self.summary.qber, leak));
                self.state = State::ExpectConfirm { config, key, tag };
                Ok(vec![self.channel().seal(&Msg::Reconciled { hash_key: points, tag })?])
            }
        }
    }

    fn on_confirm(
        &mut self,
        config: &Config,
        key: &BitVec,
        tag: [u64; 2],
        alice_tag: [u64; 2],
        seed: &BitVec,
    ) -> Result<Vec<Vec<u8>>, Error> {
        if tag != alice_tag {
            return self.fail_after(Vec::new(), Error::VerificationFailed);
        }
        let fk = self.summary.finite_key.clone().unwrap_or_else(|| config.finite_key(key.len(), 0, 0.0, 0));
        if fk.length == 0 {
            if !seed.is_empty() {
                return Err(Error::inconsistent("privacy amplification seed (no key is possible)"));
            }
            return self.fail_after(Vec::new(), Error::NoSecretKey { length: fk.bound.floor() as i64 });
        }
        if seed.len() != key.len() + fk.length - 1 {
            return Err(Error::inconsistent("privacy amplification seed length"));
        }
        let bits = toeplitz_hash(seed, key, fk.length)?;
        let done = self.channel().seal(&Msg::Done)?;
        self.state = State::ExpectCommit { key: FinalKey { bits } };
        Ok(vec![done])
    }

    fn fail_after(&mut self, frames: Vec<Vec<u8>>, e: Error) -> Result<Vec<Vec<u8>>, Error> {
        self.state = State::Over;
        self.status = Status::Failed(e);
        Ok(frames)
    }

    /// The name of the state Bob is in.
    pub fn state(&self) -> &'static str {
        self.status.name(self.state.name())
    }

    /// Why Bob stopped, if he failed.
    pub fn failure(&self) -> Option<&Error> {
        self.status.failure()
    }

    /// Whether Bob finished with a verified key.
    pub fn is_finished(&self) -> bool {
        self.status.is_finished()
    }

    /// The final key, once (later calls return `None`).
    pub fn take_key(&mut self) -> Option<FinalKey> {
        self.status.take_key()
    }

    /// What Bob saw of the round.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Authentication costs so far.
    pub fn auth_stats(&self) -> AuthStats {
        self.channel.as_ref().map(|c| c.stats().clone()).unwrap_or_default()
    }

    /// The round's session id, once known.
    pub fn session_id(&self) -> Option<[u8; crate::auth::SESSION_ID_LEN]> {
        self.channel.as_ref().map(Channel::session_id)
    }

    /// Wegman-Carter pad bits left, as `(sending, receiving)` pools.
    pub fn auth_pads(&self) -> Option<(crate::auth::KeyPool, crate::auth::KeyPool)> {
        self.channel.as_ref().and_then(Channel::pads_left)
    }

    /// Hello's opening, once a Hello verified.
    pub fn opening(&self) -> Option<&Opening> {
        self.opening.as_ref()
    }

    /// Whether Bob verified the key and sent Done, and waits for Alice's Commit.
    pub fn awaits_commit(&self) -> bool {
        matches!(self.state, State::ExpectCommit { .. })
    }

    /// The verified key while Bob waits for Commit, not taken.
    pub fn uncommitted_key(&self) -> Option<&FinalKey> {
        match &self.state {
            State::ExpectCommit { key } => Some(key),
            _ => None,
        }
    }

    /// The verified key while Bob waits for Commit (a link commits it when a later
    /// authenticated Hello says Alice committed the round): taken once.
    pub fn take_uncommitted_key(&mut self) -> Option<FinalKey> {
        match core::mem::replace(&mut self.state, State::Over) {
            State::ExpectCommit { key } => Some(key),
            other => {
                self.state = other;
                None
            }
        }
    }

    fn channel(&mut self) -> &mut Channel {
        self.channel.as_mut().expect("the channel exists once Hello arrived")
    }
}
