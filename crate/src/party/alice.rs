//! Alice: prepares the photons, answers sifting, picks the sample, serves Cascade parities,
//! checks Bob's verification tag and chooses the privacy-amplification seed.

use rand::Rng;

use super::{Config, FinalKey, Status, Summary};
use crate::amplification::toeplitz_hash;
use crate::auth::{AuthStats, Channel, Credential, Direction, session_id};
use crate::bits::BitVec;
use crate::error::Error;
use crate::estimation::{choose_sample, error_rate, sample_size, without_sample};
use crate::msgs::{self, FiberMsg, Msg, Opening, Ready, Route};
use crate::quantum::Source;
use crate::reconciliation::{CascadeAlice, CascadeParams, Layout};
use crate::rng::QkdRng;
use crate::sifting::{basis_matches, sifted};
use crate::verification;

/// Alice's protocol states, each named for what it waits for.
enum State {
    ExpectReady,
    ExpectSift { bits: BitVec, bases: BitVec },
    ExpectSampleReply { key: BitVec, sample_bits: BitVec },
    ExpectParityQueryOrReconciled { key: BitVec, cascade: CascadeAlice },
    ExpectDone { key: FinalKey },
    Over,
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            Self::ExpectReady => "ExpectReady",
            Self::ExpectSift { .. } => "ExpectSift",
            Self::ExpectSampleReply { .. } => "ExpectSampleReply",
            Self::ExpectParityQueryOrReconciled { .. } => "ExpectParityQueryOrReconciled",
            Self::ExpectDone { .. } => "ExpectDone",
            Self::Over => "Over",
        }
    }
}

/// The sender of the photons and holder of the reference key.
pub struct Alice {
    config: Config,
    credential: Credential,
    round: RoundContext,
    channel: Option<Channel>,
    rng: QkdRng,
    state: State,
    status: Status,
    summary: Summary,
}

/// Where a round sits on its link: what Alice's Hello announces besides the parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundContext {
    /// The link's id (the relay's room id): covered by every tag.
    pub link: String,
    /// Round number on the link, from 1.
    pub round: u32,
    /// How the round is authenticated.
    pub auth: msgs::RoundAuth,
    /// The last round Alice committed, 0 if none.
    pub prev_committed: u32,
}

impl RoundContext {
    /// A lone session: round 1 of link `link`, bootstrap credential.
    pub fn single(link: &str) -> Self {
        Self { link: link.into(), round: 1, auth: msgs::RoundAuth::Bootstrap, prev_committed: 0 }
    }
}

impl Alice {
    /// Alice with protocol parameters, the classical channel's credential, the round's place on
    /// its link and her randomness. She starts when Bob's [`Ready`] arrives.
    pub fn new(config: Config, credential: &Credential, round: RoundContext, rng: QkdRng) -> Result<Self, Error> {
        config.validate()?;
        let summary = Summary { pulses: config.pulses, ..Summary::default() };
        Ok(Self {
            config,
            credential: credential.clone(),
            round,
            channel: None,
            rng,
            state: State::ExpectReady,
            status: Status::Running,
            summary,
        })
    }

    fn channel(&mut self) -> &mut Channel {
        self.channel.as_mut().expect("the channel exists once Ready arrived")
    }

    /// Bob's Ready: picks Alice's nonce, derives the session id, prepares every pulse and
    /// returns the photon frames (for the fiber) and Hello (for Bob).
    fn on_ready(&mut self, ready: &Ready) -> Result<Vec<Vec<u8>>, Error> {
        let mut nonce_a = [0u8; msgs::NONCE_LEN];
        self.rng.fill_bytes(&mut nonce_a);
        let sid = session_id(&self.round.link, self.round.round, &nonce_a, &ready.nonce_b);
        self.channel = Some(Channel::new(&self.credential, Direction::AliceToBob, sid));
        let opening = Opening {
            round: self.round.round,
            nonce_a,
            auth: self.round.auth,
            prev_committed: self.round.prev_committed,
        };
        let source = Source::default();
        let mut out = Vec::with_capacity(self.config.batches() as usize + 1);
        let hello = Msg::Hello(opening, self.config.clone());
        out.push(self.channel().seal(&hello)?);
        let mut words_bits = Vec::new();
        let mut words_bases = Vec::new();
        for index in 0..self.config.batches() {
            let batch = source.prepare(index, self.config.batch_len(index), &mut self.rng);
            words_bits.extend_from_slice(batch.bits.words());
            words_bases.extend_from_slice(batch.bases.words());
            out.push(FiberMsg::Photons(batch).encode());
        }
        // Batches are whole words long (batch_size % 64 == 0), so their words concatenate.
        let n = self.config.pulses as usize;
        let bits = BitVec::from_words(words_bits, n);
        let bases = BitVec::from_words(words_bases, n);
        self.state = State::ExpectSift { bits, bases };
        Ok(out)
    }

    /// Takes one classical frame from Bob and returns the frames to send.
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
        if msgs::route(frame)? != Route::Classical {
            return Err(Error::unexpected("a classical frame", msgs::type_name(frame[1])));
        }
        if let State::ExpectReady = self.state {
            let ready = Ready::decode(frame)?;
            return self.on_ready(&ready);
        }
        if msgs::is_ready(frame) {
            return Err(Error::unexpected(self.state.name(), "Ready"));
        }
        let msg = self.channel().open(frame)?;
        match (core::mem::replace(&mut self.state, State::Over), msg) {
            (State::ExpectSift { bits, bases }, Msg::Sift { clicks, bases: bob_bases }) => {
                self.on_sift(&bits, &bases, &clicks, &bob_bases)
            }
            (State::ExpectSampleReply { key, sample_bits }, Msg::SampleReply { sample_bits: bob }) => {
                self.on_sample_reply(key, &sample_bits, &bob)
            }
            (State::ExpectParityQueryOrReconciled { key, mut cascade }, Msg::ParityQuery(qs)) => {
                let parities = cascade.answer(&qs)?;
                self.summary.cascade_disclosed = cascade.disclosed();
                self.state = State::ExpectParityQueryOrReconciled { key, cascade };
                Ok(vec![self.channel().seal(&Msg::Parities(parities))?])
            }
            (State::ExpectParityQueryOrReconciled { key, cascade }, Msg::Reconciled { hash_key, tag }) => {
                self.on_reconciled(&key, &cascade, hash_key, tag)
            }
            (State::ExpectDone { key }, Msg::Done) => {
                let commit = self.channel().seal(&Msg::Commit)?;
                self.status = Status::Finished(Some(key));
                Ok(vec![commit])
            }
            (state, msg) => Err(Error::unexpected(state.name(), msg.name())),
        }
    }

    fn on_sift(
        &mut self,
        bits: &BitVec,
        bases: &BitVec,
        clicks: &BitVec,
        bob_bases: &BitVec,
    ) -> Result<Vec<Vec<u8>>, Error> {
        if clicks.len() != bits.len() {
            return Err(Error::inconsistent("click mask length"));
        }
        let matches = basis_matches(&bases.select(clicks), bob_bases)?;
        let key = sifted(bits, clicks, &matches)?;
        self.summary.clicks = clicks.count_ones() as u64;
        self.summary.sifted_bits = key.len();
        let k = match sample_size(key.len(), self.config.sample_fraction) {
            Ok(k) => k,
            Err(e) => {
                // Tell Bob the matches so he reaches the same conclusion.
                let reply = Msg::SiftReply { matches, sample: BitVec::zeros(key.len()), sample_bits: BitVec::zeros(0) };
                let frame = self.channel().seal(&reply)?;
                return self.fail_after(vec![frame], e);
            }
        };
        let sample = choose_sample(key.len(), k, &mut self.rng);
        let sample_bits = key.select(&sample);
        self.summary.sample_bits = k;
        let reply = Msg::SiftReply { matches, sample: sample.clone(), sample_bits: sample_bits.clone() };
        self.state = State::ExpectSampleReply { key: without_sample(&key, &sample), sample_bits };
        Ok(vec![self.channel().seal(&reply)?])
    }

    fn on_sample_reply(&mut self, key: BitVec, mine: &BitVec, bob: &BitVec) -> Result<Vec<Vec<u8>>, Error> {
        let qber = error_rate(mine, bob)?;
        self.summary.qber = qber;
        if qber > self.config.qber_threshold {
            return self.fail_after(Vec::new(), Error::QberTooHigh { qber, threshold: self.config.qber_threshold });
        }
        let params = CascadeParams::for_qber(qber, key.len());
        let mut seed = [0u8; 32];
        self.rng.fill_bytes(&mut seed);
        let mut cascade = CascadeAlice::new(&key, Layout::new(key.len(), params, &seed));
        let parities = cascade.top_parities();
        self.summary.cascade_first_block = params.first_block;
        self.summary.cascade_passes = params.passes;
        self.summary.cascade_disclosed = cascade.disclosed();
        self.state = State::ExpectParityQueryOrReconciled { key, cascade };
        Ok(vec![self.channel().seal(&Msg::CascadeStart { seed, parities })?])
    }

    fn on_reconciled(
        &mut self,
        key: &BitVec,
        cascade: &CascadeAlice,
        points: [u64; 2],
        bob_tag: [u64; 2],
    ) -> Result<Vec<Vec<u8>>, Error> {
        let tag = verification::tag(key, points);
        let leak = cascade.disclosed() + verification::TAG_BITS;
        let fk = self.config.finite_key(key.len(), self.summary.sample_bits, self.summary.qber, leak);
        self.summary.verification_bits = verification::TAG_BITS;
        self.summary.verification_collision = verification::collision_probability(key.len());
        self.summary.finite_key = Some(fk.clone());
        let no_seed = Msg::Confirm { tag, toeplitz_seed: BitVec::zeros(0) };
        if tag != bob_tag {
            let frame = self.channel().seal(&no_seed)?;
            return self.fail_after(vec![frame], Error::VerificationFailed);
        }
        if fk.length == 0 {
            let frame = self.channel().seal(&no_seed)?;
            return self.fail_after(vec![frame], Error::NoSecretKey { length: fk.bound.floor() as i64 });
        }
        let seed = crate::quantum::random_bits(key.len() + fk.length - 1, &mut self.rng);
        let bits = toeplitz_hash(&seed, key, fk.length)?;
        self.state = State::ExpectDone { key: FinalKey { bits } };
        Ok(vec![self.channel().seal(&Msg::Confirm { tag, toeplitz_seed: seed })?])
    }

    fn fail_after(&mut self, frames: Vec<Vec<u8>>, e: Error) -> Result<Vec<Vec<u8>>, Error> {
        self.state = State::Over;
        self.status = Status::Failed(e);
        Ok(frames)
    }

    /// The name of the state Alice is in.
    pub fn state(&self) -> &'static str {
        self.status.name(self.state.name())
    }

    /// Why Alice stopped, if she failed.
    pub fn failure(&self) -> Option<&Error> {
        self.status.failure()
    }

    /// Whether Alice finished with a verified key.
    pub fn is_finished(&self) -> bool {
        self.status.is_finished()
    }

    /// The final key, once (later calls return `None`).
    pub fn take_key(&mut self) -> Option<FinalKey> {
        self.status.take_key()
    }

    /// What Alice saw of the round.
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
}
