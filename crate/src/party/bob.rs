//! Bob: chooses his measurement bases, announces his clicks, runs Cascade's searches, hashes
//! his key for verification and applies Alice's privacy-amplification seed.

use rand::Rng;

use super::shell::{Cx, Next, Party, Role, cx};
use super::{Config, FinalKey, Summary};
use crate::amplification::toeplitz_hash;
use crate::auth::{Channel, Credential, Direction, session_id};
use crate::bits::BitVec;
use crate::error::Error;
use crate::estimation::{class_counts, error_rate, sample_size, without_sample};
use crate::msgs::{self, Classes, FiberMsg, Kind, Msg, Opening, Route};
use crate::quantum::{Detections, SourceConfig, random_bases};
use crate::reconciliation::ldpc::{LdpcBob, LdpcStep};
use crate::reconciliation::{CascadeBob, CascadeParams, CascadeStep, Layout, Method};
use crate::rng::QkdRng;
use crate::sifting::sifted;
use crate::verification;

/// Bob's protocol states, each named for what it waits for (the names reports and
/// [`super::STATE_STAGES`] use).
#[allow(clippy::enum_variant_names)]
pub enum BobState {
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
        bases_at_clicks: BitVec,
    },
    ExpectReconciliationStart {
        config: Config,
        key: BitVec,
    },
    ExpectParities {
        config: Config,
        cascade: CascadeBob,
    },
    ExpectLdpcReveal {
        config: Config,
        ldpc: Box<LdpcBob>,
    },
    ExpectConfirm {
        config: Config,
        key: BitVec,
        tag: [u64; 2],
    },
    ExpectCommit {
        key: FinalKey,
    },
}

/// Bob's fixed data: the link, the nonce of his Ready, and Hello's opening once it verified.
pub struct BobRole {
    link: String,
    nonce_b: [u8; msgs::NONCE_LEN],
    opening: Option<Opening>,
    corrections: usize,
}

/// The receiver: measures photons and corrects his key towards Alice's.
pub type Bob = Party<BobRole>;

impl Bob {
    /// Bob with the classical channel's credential, the link's id, the nonce of the Ready he
    /// sent for this round and his randomness. He adopts the protocol parameters Alice announces
    /// (after checking them); the session id comes from his nonce and Alice's in Hello.
    pub fn new(credential: &Credential, link: &str, nonce_b: [u8; msgs::NONCE_LEN], rng: QkdRng) -> Self {
        let role = BobRole { link: link.into(), nonce_b, opening: None, corrections: 0 };
        Party::with(cx(role, credential, rng, Summary::default()), BobState::ExpectHello)
    }

    /// Hello's opening, once a Hello verified.
    pub fn opening(&self) -> Option<&Opening> {
        self.cx.role.opening.as_ref()
    }

    /// Bits Bob corrected in Cascade (his side only: Alice cannot count them).
    pub fn corrections(&self) -> usize {
        self.cx.role.corrections
    }

    /// Whether Bob verified the key and sent Done, and waits for Alice's Commit.
    pub fn awaits_commit(&self) -> bool {
        self.uncommitted_key().is_some()
    }

    /// The verified key while Bob waits for Commit, not taken.
    pub fn uncommitted_key(&self) -> Option<&FinalKey> {
        match self.running() {
            Some(BobState::ExpectCommit { key }) => Some(key),
            _ => None,
        }
    }

    /// The verified key while Bob waits for Commit (a link commits it when a later
    /// authenticated Hello says Alice committed the round): taken once.
    pub fn take_uncommitted_key(&mut self) -> Option<FinalKey> {
        match self.take_running_if(|s| matches!(s, BobState::ExpectCommit { .. }))? {
            BobState::ExpectCommit { key } => Some(key),
            _ => unreachable!("taken only in ExpectCommit"),
        }
    }
}

impl Role for BobRole {
    type State = BobState;

    fn name(state: &BobState) -> &'static str {
        match state {
            BobState::ExpectHello => "ExpectHello",
            BobState::ExpectDetections { .. } => "ExpectDetections",
            BobState::ExpectSiftReply { .. } => "ExpectSiftReply",
            BobState::ExpectReconciliationStart { .. } => "ExpectReconciliationStart",
            BobState::ExpectLdpcReveal { .. } => "ExpectLdpcReveal",
            BobState::ExpectParities { .. } => "ExpectParities",
            BobState::ExpectConfirm { .. } => "ExpectConfirm",
            BobState::ExpectCommit { .. } => "ExpectCommit",
        }
    }

    fn step(cx: &mut Cx<Self>, state: BobState, frame: &[u8]) -> Result<Next<BobState>, Error> {
        if let BobState::ExpectCommit { key } = state {
            // Only Alice's authenticated Commit ends this state; anything else is refused and
            // leaves the verified key where it is.
            // A frame of another kind is refused before it reaches the channel: it must not
            // move the transcript or the sequence the real Commit is checked against.
            match msgs::kind(frame) {
                Ok(Kind::Commit) => {}
                Ok(other) => {
                    return Ok(Next::Refuse(BobState::ExpectCommit { key }, Error::unexpected("Commit", other)));
                }
                Err(e) => return Ok(Next::Refuse(BobState::ExpectCommit { key }, e.into())),
            }
            return Ok(match cx.channel().open(frame) {
                Ok(Msg::Commit) => Next::Finish(key, Vec::new()),
                Ok(other) => Next::Refuse(BobState::ExpectCommit { key }, Error::unexpected("Commit", other.kind())),
                Err(e) => Next::Refuse(BobState::ExpectCommit { key }, e),
            });
        }
        if msgs::route(frame)? == Route::Fiber {
            return match FiberMsg::decode(frame)? {
                FiberMsg::Detections(d) => on_detections(cx, state, d),
                other => Err(Error::unexpected("Detections", other.kind())),
            };
        }
        if msgs::is_ready(frame) {
            return Err(Error::unexpected(Self::name(&state), Kind::Ready));
        }
        if cx.channel.is_none() {
            // The first frame must be Hello: its opening names the session the tag covers.
            // Hello is tagged in every mode; a changed mode fails its tag.
            let Msg::Hello(opening, config) = crate::auth::peek(frame)? else {
                return Err(Error::unexpected("Hello", msgs::kind(frame)?));
            };
            let sid = session_id(&cx.role.link, opening.round, &opening.nonce_a, &cx.role.nonce_b);
            cx.channel = Some(Channel::with_mode(&cx.credential, Direction::BobToAlice, sid, config.tags));
        }
        match (state, cx.channel().open(frame)?) {
            (BobState::ExpectHello, Msg::Hello(opening, params)) => {
                let config = params.checked_from_peer()?;
                cx.role.opening = Some(opening);
                on_hello(cx, config)
            }
            (
                BobState::ExpectSiftReply { config, clicked_bits, clicks, bases_at_clicks },
                Msg::SiftReply { matches, sample, sample_bits, classes },
            ) => {
                let sift = Sifted { outcomes: &clicked_bits, clicks: &clicks, bases_at_clicks: &bases_at_clicks };
                if let SourceConfig::WeakCoherent(_) = config.source {
                    let classes = classes.ok_or(Error::inconsistent("intensity classes (missing)"))?;
                    return on_weak_sift_reply(cx, config, &sift, &matches, &sample, &sample_bits, &classes);
                }
                if classes.is_some() {
                    return Err(Error::inconsistent("intensity classes (single-photon round)"));
                }
                on_sift_reply(cx, config, &sift, &matches, &sample, &sample_bits)
            }
            (BobState::ExpectReconciliationStart { config, key }, Msg::CascadeStart { seed, parities })
                if config.reconciliation == Method::Cascade =>
            {
                let params = CascadeParams::for_qber(cx.summary.qber, key.len());
                cx.summary.reconciliation = Method::Cascade;
                cx.summary.cascade_first_block = params.first_block;
                cx.summary.cascade_second_block = params.second_block;
                cx.summary.cascade_passes = params.passes;
                let mut cascade = CascadeBob::new(key.clone(), Layout::new(key.len(), params, &seed));
                let step = cascade.start(&parities)?;
                after_cascade_step(cx, config, cascade, step)
            }
            (BobState::ExpectReconciliationStart { config, key }, Msg::LdpcStart { seed, syndromes })
                if config.reconciliation == Method::Ldpc =>
            {
                let plan = super::ldpc_plan(key.len(), cx.summary.qber, cx.summary.sample_bits)?;
                cx.summary.reconciliation = Method::Ldpc;
                cx.summary.ldpc_frames = plan.frames().len();
                cx.summary.ldpc_messages = 1;
                let mut ldpc = Box::new(LdpcBob::new(key, &plan, &seed)?);
                let step = ldpc.receive_syndromes(&syndromes)?;
                after_ldpc_step(cx, config, ldpc, step)
            }
            (BobState::ExpectLdpcReveal { config, mut ldpc }, Msg::LdpcReveal(bits)) => {
                let step = ldpc.receive_reveal(&bits)?;
                after_ldpc_step(cx, config, ldpc, step)
            }
            (BobState::ExpectParities { config, mut cascade }, Msg::Parities(p)) => {
                let step = cascade.receive(&p)?;
                after_cascade_step(cx, config, cascade, step)
            }
            (BobState::ExpectConfirm { key, tag, .. }, Msg::Confirm { tag: alice_tag, toeplitz_seed }) => {
                on_confirm(cx, &key, tag, alice_tag, &toeplitz_seed)
            }
            (state, msg) => Err(Error::unexpected(Self::name(&state), msg.kind())),
        }
    }
}

fn on_hello(cx: &mut Cx<BobRole>, config: Config) -> Result<Next<BobState>, Error> {
    let n = config.pulses as usize;
    let bases = random_bases(n, config.source.key_basis_probability(), &mut cx.rng);
    cx.summary.pulses = config.pulses;
    cx.view = super::PulseView::new(config.pulses);
    cx.view.measured(&bases);
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
    let state = BobState::ExpectDetections {
        config,
        bases,
        clicks: vec![0; words],
        outcomes: vec![0; words],
        seen: vec![false; batches as usize],
        missing: batches,
    };
    Ok(Next::Go(state, out))
}

fn on_detections(cx: &mut Cx<BobRole>, state: BobState, d: Detections) -> Result<Next<BobState>, Error> {
    let BobState::ExpectDetections { config, bases, mut clicks, mut outcomes, mut seen, missing } = state else {
        return Err(Error::unexpected(BobRole::name(&state), Kind::Detections));
    };
    let i = d.index as usize;
    if i >= seen.len() || seen[i] || d.clicks.len() != config.batch_len(d.index) {
        return Err(Error::inconsistent("detection batch"));
    }
    if d.alarm {
        return Ok(Next::Abort(Error::DetectorAlarm, Vec::new()));
    }
    seen[i] = true;
    let first = i * (config.batch_size as usize / 64);
    clicks[first..first + d.clicks.words().len()].copy_from_slice(d.clicks.words());
    outcomes[first..first + d.outcomes.words().len()].copy_from_slice(d.outcomes.words());
    if missing > 1 {
        let state = BobState::ExpectDetections { config, bases, clicks, outcomes, seen, missing: missing - 1 };
        return Ok(Next::Go(state, Vec::new()));
    }
    let n = config.pulses as usize;
    let clicks = BitVec::from_words(clicks, n);
    let outcomes = BitVec::from_words(outcomes, n);
    cx.summary.clicks = clicks.count_ones() as u64;
    cx.view.detected(&clicks, &outcomes);
    let bases_at_clicks = bases.select(&clicks);
    let out = vec![cx.seal(&Msg::Sift { clicks: clicks.clone(), bases: bases_at_clicks.clone() })?];
    Ok(Next::Go(BobState::ExpectSiftReply { config, clicked_bits: outcomes, clicks, bases_at_clicks }, out))
}

/// Bob's record of his detections, as the sift reply is checked against it.
struct Sifted<'a> {
    outcomes: &'a BitVec,
    clicks: &'a BitVec,
    bases_at_clicks: &'a BitVec,
}

/// A weak-coherent round's sift reply: the test-basis bits must be exactly the sifted bits
/// of the diagonal basis, and the classes one per click.
fn on_weak_sift_reply(
    cx: &mut Cx<BobRole>,
    config: Config,
    sift: &Sifted<'_>,
    matches: &BitVec,
    test: &BitVec,
    alice_test: &BitVec,
    classes: &Classes,
) -> Result<Next<BobState>, Error> {
    let key = sifted(sift.outcomes, sift.clicks, matches)?;
    cx.summary.sifted_bits = key.len();
    if *test != sift.bases_at_clicks.select(matches) || alice_test.len() != test.count_ones() {
        return Err(Error::inconsistent("test-basis sample"));
    }
    let total = classes.pulses.iter().try_fold(0u64, |a, &b| a.checked_add(b));
    if total != Some(config.pulses) {
        return Err(Error::inconsistent("pulses per intensity class"));
    }
    if classes.decoy.words().iter().zip(classes.vacuum.words()).any(|(d, v)| d & v != 0) {
        return Err(Error::inconsistent("intensity classes (a click both decoy and vacuum)"));
    }
    if let SourceConfig::WeakCoherent(w) = config.source {
        // Without decoys every pulse is a signal: the multi-photon bound counts them all.
        let none = classes.pulses[1] == 0 && classes.pulses[2] == 0;
        let silent = classes.decoy.count_ones() == 0 && classes.vacuum.count_ones() == 0;
        if !(w.has_decoys() || none && silent) {
            return Err(Error::inconsistent("intensity classes (decoys announced in a round without decoys)"));
        }
    }
    if let Some(e) = super::alice::too_few_weak(key.len(), test.count_ones()) {
        return Ok(Next::Abort(e, Vec::new()));
    }
    answer_sample(cx, config, sift, &key, matches, test, alice_test, Some(classes))
}

fn on_sift_reply(
    cx: &mut Cx<BobRole>,
    config: Config,
    sift: &Sifted<'_>,
    matches: &BitVec,
    sample: &BitVec,
    alice_sample: &BitVec,
) -> Result<Next<BobState>, Error> {
    let key = sifted(sift.outcomes, sift.clicks, matches)?;
    cx.summary.sifted_bits = key.len();
    let k = match sample_size(key.len(), config.sample_fraction) {
        Ok(k) => k,
        Err(e) => return Ok(Next::Abort(e, Vec::new())),
    };
    if sample.len() != key.len() || sample.count_ones() != k || alice_sample.len() != k {
        return Err(Error::inconsistent("estimation sample"));
    }
    answer_sample(cx, config, sift, &key, matches, sample, alice_sample, None)
}

/// Both sift replies end alike once the sample is checked: Bob discloses his sample bits,
/// records the QBER (and a laser round's counts per intensity), and goes on unless it is too
/// high. The key without the sample is computed once, for the view and the next state.
#[allow(clippy::too_many_arguments)]
fn answer_sample(
    cx: &mut Cx<BobRole>,
    config: Config,
    sift: &Sifted<'_>,
    key: &BitVec,
    matches: &BitVec,
    sample: &BitVec,
    alice_sample: &BitVec,
    classes: Option<&Classes>,
) -> Result<Next<BobState>, Error> {
    cx.summary.sample_bits = sample.count_ones();
    let rest = without_sample(key, sample);
    cx.view.sifted(sift.clicks, sift.bases_at_clicks, matches, sample, Some(&rest));
    let mine = key.select(sample);
    let qber = error_rate(alice_sample, &mine)?;
    cx.summary.qber = qber;
    if let Some(classes) = classes {
        let mut errors = mine.clone();
        errors ^= alice_sample;
        cx.summary.class_counts = Some(class_counts(classes, matches, sample, &errors)?);
    }
    let reply = vec![cx.seal(&Msg::SampleReply { sample_bits: mine })?];
    if qber > config.qber_threshold {
        return Ok(Next::Abort(Error::QberTooHigh { qber, threshold: config.qber_threshold }, reply));
    }
    Ok(Next::Go(BobState::ExpectReconciliationStart { config, key: rest }, reply))
}

fn after_cascade_step(
    cx: &mut Cx<BobRole>,
    config: Config,
    cascade: CascadeBob,
    step: CascadeStep,
) -> Result<Next<BobState>, Error> {
    cx.summary.reconciliation_disclosed = cascade.disclosed();
    cx.summary.cascade_round_trips = cascade.round_trips();
    cx.role.corrections = cascade.corrections();
    match step {
        CascadeStep::Query(qs) => {
            let out = vec![cx.seal(&Msg::ParityQuery(qs))?];
            Ok(Next::Go(BobState::ExpectParities { config, cascade }, out))
        }
        CascadeStep::Done => verify(cx, config, cascade.key().clone(), Vec::new()),
    }
}

fn after_ldpc_step(
    cx: &mut Cx<BobRole>,
    config: Config,
    ldpc: Box<LdpcBob>,
    step: LdpcStep,
) -> Result<Next<BobState>, Error> {
    cx.summary.reconciliation_disclosed = ldpc.disclosed();
    match step {
        LdpcStep::Reveal(counts) => {
            cx.summary.ldpc_messages = 3;
            let out = vec![cx.seal(&Msg::LdpcRequest(counts))?];
            Ok(Next::Go(BobState::ExpectLdpcReveal { config, ldpc }, out))
        }
        LdpcStep::Done { failed } => {
            cx.summary.ldpc_dropped_frames = failed.len();
            verify(cx, config, ldpc.key(), failed)
        }
    }
}

/// Bob's reconciled key: he hashes it with fresh points and sends the hash, with the frames
/// he dropped, for Alice to compare.
fn verify(cx: &mut Cx<BobRole>, config: Config, key: BitVec, dropped: Vec<u32>) -> Result<Next<BobState>, Error> {
    if dropped.is_empty() {
        cx.view.reconciled(&key);
    }
    let points = [cx.rng.next_u64(), cx.rng.next_u64()];
    let tag = verification::tag(&key, points);
    cx.summary.verified(&config, key.len());
    let out = vec![cx.seal(&Msg::Reconciled { dropped, hash_key: points, tag })?];
    Ok(Next::Go(BobState::ExpectConfirm { config, key, tag }, out))
}

fn on_confirm(
    cx: &mut Cx<BobRole>,
    key: &BitVec,
    tag: [u64; 2],
    alice_tag: [u64; 2],
    seed: &BitVec,
) -> Result<Next<BobState>, Error> {
    if tag != alice_tag {
        return Ok(Next::Abort(Error::VerificationFailed, Vec::new()));
    }
    let fk = cx.summary.key_length().ok_or(Error::inconsistent("Confirm before the key was verified"))?;
    if fk.length == 0 {
        if !seed.is_empty() {
            return Err(Error::inconsistent("privacy amplification seed (no key is possible)"));
        }
        return Ok(Next::Abort(fk.no_key(), Vec::new()));
    }
    if seed.len() != key.len() + fk.length - 1 {
        return Err(Error::inconsistent("privacy amplification seed length"));
    }
    let bits = toeplitz_hash(seed, key, fk.length)?;
    let done = cx.seal(&Msg::Done)?;
    Ok(Next::Go(BobState::ExpectCommit { key: FinalKey { bits } }, vec![done]))
}
