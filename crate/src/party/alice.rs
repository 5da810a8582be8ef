//! Alice: prepares the photons, answers sifting, picks the sample, serves Cascade parities,
//! checks Bob's verification tag and chooses the privacy-amplification seed.

use rand::Rng;

use super::shell::{Cx, Next, Party, Role, cx};
use super::{Config, FinalKey, Summary};
use crate::amplification::toeplitz_hash;
use crate::auth::{Channel, Credential, Direction, session_id};
use crate::bits::BitVec;
use crate::error::Error;
use crate::estimation::{MIN_SIFTED_BITS, choose_sample, class_counts, error_rate, sample_size, without_sample};
use crate::msgs::{self, Classes, FiberMsg, Kind, Msg, Opening, Ready, Route};
use crate::quantum::{Emission, Source, SourceConfig};
use crate::reconciliation::ldpc::LdpcAlice;
use crate::reconciliation::{CascadeAlice, CascadeParams, Layout, Method};
use crate::rng::QkdRng;
use crate::sifting::{basis_matches, sifted};
use crate::verification;

/// Alice's protocol states, each named for what it waits for (the names reports and
/// [`super::STATE_STAGES`] use).
#[allow(clippy::enum_variant_names)]
pub enum AliceState {
    ExpectReady,
    ExpectSift { bits: BitVec, bases: BitVec, classes: Option<PulseClasses> },
    ExpectSampleReply { key: BitVec, sample_bits: BitVec, weak: Option<WeakSample> },
    ExpectParityQueryOrReconciled { key: BitVec, cascade: CascadeAlice },
    ExpectLdpcRequestOrReconciled { key: BitVec, ldpc: Box<LdpcAlice> },
    ExpectDone { key: FinalKey },
}

/// The intensity class of every pulse of a weak-coherent round (Alice's secret until the
/// clicks are known).
pub struct PulseClasses {
    decoy: BitVec,
    vacuum: BitVec,
    pulses: [u64; 3],
}

/// What a weak-coherent round's estimation needs after the sift: the announced classes, the
/// matches and the test-basis mask.
pub struct WeakSample {
    classes: Classes,
    matches: BitVec,
    test: BitVec,
}

/// Alice's fixed data: the parameters she announces and the round's place on its link.
pub struct AliceRole {
    config: Config,
    round: RoundContext,
}

/// The sender of the photons and holder of the reference key.
pub type Alice = Party<AliceRole>;

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
        Ok(Party::with(cx(AliceRole { config, round }, credential, rng, summary), AliceState::ExpectReady))
    }
}

impl Role for AliceRole {
    type State = AliceState;

    fn name(state: &AliceState) -> &'static str {
        match state {
            AliceState::ExpectReady => "ExpectReady",
            AliceState::ExpectSift { .. } => "ExpectSift",
            AliceState::ExpectSampleReply { .. } => "ExpectSampleReply",
            AliceState::ExpectParityQueryOrReconciled { .. } => "ExpectParityQueryOrReconciled",
            AliceState::ExpectLdpcRequestOrReconciled { .. } => "ExpectLdpcRequestOrReconciled",
            AliceState::ExpectDone { .. } => "ExpectDone",
        }
    }

    fn step(cx: &mut Cx<Self>, state: AliceState, frame: &[u8]) -> Result<Next<AliceState>, Error> {
        if msgs::route(frame)? != Route::Classical {
            return Err(Error::unexpected("a classical frame", msgs::kind(frame)?));
        }
        if let AliceState::ExpectReady = state {
            return on_ready(cx, &Ready::decode(frame)?);
        }
        if msgs::is_ready(frame) {
            return Err(Error::unexpected(Self::name(&state), Kind::Ready));
        }
        match (state, cx.channel().open(frame)?) {
            (AliceState::ExpectSift { bits, bases, classes }, Msg::Sift { clicks, bases: bob_bases }) => {
                on_sift(cx, &bits, &bases, classes, &clicks, &bob_bases)
            }
            (AliceState::ExpectSampleReply { key, sample_bits, weak }, Msg::SampleReply { sample_bits: bob }) => {
                on_sample_reply(cx, key, &sample_bits, &bob, weak)
            }
            (AliceState::ExpectParityQueryOrReconciled { key, mut cascade }, Msg::ParityQuery(qs)) => {
                let parities = cascade.answer(&qs)?;
                cx.summary.reconciliation_disclosed = cascade.disclosed();
                cx.summary.cascade_round_trips += 1;
                let out = vec![cx.seal(&Msg::Parities(parities))?];
                Ok(Next::Go(AliceState::ExpectParityQueryOrReconciled { key, cascade }, out))
            }
            (AliceState::ExpectParityQueryOrReconciled { key, .. }, Msg::Reconciled { dropped, hash_key, tag }) => {
                if !dropped.is_empty() {
                    return Err(Error::inconsistent("dropped frames after Cascade"));
                }
                on_reconciled(cx, &key, hash_key, tag)
            }
            (AliceState::ExpectLdpcRequestOrReconciled { key, mut ldpc }, Msg::LdpcRequest(counts)) => {
                let bits = ldpc.reveal(&counts)?;
                cx.summary.reconciliation_disclosed = ldpc.disclosed();
                cx.summary.ldpc_messages = 3;
                let out = vec![cx.seal(&Msg::LdpcReveal(bits))?];
                Ok(Next::Go(AliceState::ExpectLdpcRequestOrReconciled { key, ldpc }, out))
            }
            (AliceState::ExpectLdpcRequestOrReconciled { ldpc, .. }, Msg::Reconciled { dropped, hash_key, tag }) => {
                let key = ldpc.drop_frames(&dropped)?;
                cx.summary.ldpc_dropped_frames = dropped.len();
                on_reconciled(cx, &key, hash_key, tag)
            }
            (AliceState::ExpectDone { key }, Msg::Done) => Ok(Next::Finish(key, vec![cx.seal(&Msg::Commit)?])),
            (state, msg) => Err(Error::unexpected(Self::name(&state), msg.kind())),
        }
    }
}

/// Bob's Ready: picks Alice's nonce, derives the session id, prepares every pulse and returns
/// the photon frames (for the fiber) and Hello (for Bob).
fn on_ready(cx: &mut Cx<AliceRole>, ready: &Ready) -> Result<Next<AliceState>, Error> {
    let mut nonce_a = [0u8; msgs::NONCE_LEN];
    cx.rng.fill_bytes(&mut nonce_a);
    let round = &cx.role.round;
    let sid = session_id(&round.link, round.round, &nonce_a, &ready.nonce_b);
    let opening = Opening { round: round.round, nonce_a, auth: round.auth, prev_committed: round.prev_committed };
    cx.channel = Some(Channel::with_mode(&cx.credential, Direction::AliceToBob, sid, cx.role.config.tags));
    let config = cx.role.config.clone();
    let mut out = Vec::with_capacity(config.batches() as usize + 1);
    out.push(cx.seal(&Msg::Hello(opening, config.clone()))?);
    let source = Source::new(config.source);
    let mut words_bits = Vec::new();
    let mut words_bases = Vec::new();
    let (mut words_decoy, mut words_vacuum) = (Vec::new(), Vec::new());
    for index in 0..config.batches() {
        let batch = source.prepare(index, config.batch_len(index), &mut cx.rng);
        words_bits.extend_from_slice(batch.bits.words());
        words_bases.extend_from_slice(batch.bases.words());
        if let Emission::WeakCoherent { decoy, vacuum, .. } = &batch.emission {
            words_decoy.extend_from_slice(decoy.words());
            words_vacuum.extend_from_slice(vacuum.words());
        }
        out.push(FiberMsg::Photons(batch).encode());
    }
    // Batches are whole words long (batch_size % 64 == 0), so their words concatenate.
    let n = config.pulses as usize;
    let bits = BitVec::from_words(words_bits, n);
    let bases = BitVec::from_words(words_bases, n);
    let classes = matches!(config.source, SourceConfig::WeakCoherent(_)).then(|| {
        let decoy = BitVec::from_words(words_decoy, n);
        let vacuum = BitVec::from_words(words_vacuum, n);
        let (d, v) = (decoy.count_ones() as u64, vacuum.count_ones() as u64);
        PulseClasses { decoy, vacuum, pulses: [config.pulses - d - v, d, v] }
    });
    cx.view = super::PulseView::new(config.pulses);
    cx.view.prepared(&bits, &bases, classes.as_ref().map(|c| (&c.decoy, &c.vacuum)));
    Ok(Next::Go(AliceState::ExpectSift { bits, bases, classes }, out))
}

fn on_sift(
    cx: &mut Cx<AliceRole>,
    bits: &BitVec,
    bases: &BitVec,
    classes: Option<PulseClasses>,
    clicks: &BitVec,
    bob_bases: &BitVec,
) -> Result<Next<AliceState>, Error> {
    if clicks.len() != bits.len() {
        return Err(Error::inconsistent("click mask length"));
    }
    let bases_at_clicks = bases.select(clicks);
    let matches = basis_matches(&bases_at_clicks, bob_bases)?;
    let key = sifted(bits, clicks, &matches)?;
    cx.summary.clicks = clicks.count_ones() as u64;
    cx.summary.sifted_bits = key.len();
    if let Some(pc) = classes {
        // Weak pulses: every test-basis (diagonal) bit is disclosed; the key-basis bits are
        // the key. The classes of the clicks are announced now.
        let classes = Classes { decoy: pc.decoy.select(clicks), vacuum: pc.vacuum.select(clicks), pulses: pc.pulses };
        let test = bases_at_clicks.select(&matches);
        cx.view.sifted(clicks, bob_bases, &matches, &test, None);
        let n_test = test.count_ones();
        let sample_bits = key.select(&test);
        let reply = Msg::SiftReply {
            matches: matches.clone(),
            sample: test.clone(),
            sample_bits: sample_bits.clone(),
            classes: Some(classes.clone()),
        };
        let out = vec![cx.seal(&reply)?];
        if let Some(e) = too_few_weak(key.len(), n_test) {
            return Ok(Next::Abort(e, out));
        }
        cx.summary.sample_bits = n_test;
        let key = without_sample(&key, &test);
        let weak = Some(WeakSample { classes, matches, test });
        return Ok(Next::Go(AliceState::ExpectSampleReply { key, sample_bits, weak }, out));
    }
    let k = match sample_size(key.len(), cx.role.config.sample_fraction) {
        Ok(k) => k,
        Err(e) => {
            // Tell Bob the matches so he reaches the same conclusion.
            let reply = Msg::SiftReply {
                matches,
                sample: BitVec::zeros(key.len()),
                sample_bits: BitVec::zeros(0),
                classes: None,
            };
            return Ok(Next::Abort(e, vec![cx.seal(&reply)?]));
        }
    };
    let sample = choose_sample(key.len(), k, &mut cx.rng);
    cx.view.sifted(clicks, bob_bases, &matches, &sample, None);
    let sample_bits = key.select(&sample);
    cx.summary.sample_bits = k;
    let reply = Msg::SiftReply { matches, sample: sample.clone(), sample_bits: sample_bits.clone(), classes: None };
    let out = vec![cx.seal(&reply)?];
    let key = without_sample(&key, &sample);
    Ok(Next::Go(AliceState::ExpectSampleReply { key, sample_bits, weak: None }, out))
}

/// A weak-coherent round's abort for too few sifted or test-basis bits (both sides check it).
pub(super) fn too_few_weak(sifted: usize, tested: usize) -> Option<Error> {
    if sifted < MIN_SIFTED_BITS {
        return Some(Error::NotEnoughBits { stage: "sifting", have: sifted, need: MIN_SIFTED_BITS });
    }
    (tested == 0 || tested == sifted).then_some(Error::NotEnoughBits {
        stage: "estimation",
        have: tested.min(sifted - tested),
        need: 1,
    })
}

fn on_sample_reply(
    cx: &mut Cx<AliceRole>,
    key: BitVec,
    mine: &BitVec,
    bob: &BitVec,
    weak: Option<WeakSample>,
) -> Result<Next<AliceState>, Error> {
    let qber = error_rate(mine, bob)?;
    cx.summary.qber = qber;
    if let Some(w) = weak {
        let mut errors = mine.clone();
        errors ^= bob;
        cx.summary.class_counts = Some(class_counts(&w.classes, &w.matches, &w.test, &errors)?);
    }
    let threshold = cx.role.config.qber_threshold;
    if qber > threshold {
        return Ok(Next::Abort(Error::QberTooHigh { qber, threshold }, Vec::new()));
    }
    let mut seed = [0u8; 32];
    cx.rng.fill_bytes(&mut seed);
    cx.summary.reconciliation = cx.role.config.reconciliation;
    if cx.role.config.reconciliation == Method::Ldpc {
        let plan = super::ldpc_plan(key.len(), qber, cx.summary.sample_bits)?;
        let mut private = [0u8; 32];
        cx.rng.fill_bytes(&mut private);
        let mut ldpc = LdpcAlice::new(&key, &plan, &seed, &private)?;
        let syndromes = ldpc.syndromes();
        cx.summary.ldpc_frames = plan.frames().len();
        cx.summary.ldpc_messages = 1;
        cx.summary.reconciliation_disclosed = ldpc.disclosed();
        let out = vec![cx.seal(&Msg::LdpcStart { seed, syndromes })?];
        return Ok(Next::Go(AliceState::ExpectLdpcRequestOrReconciled { key, ldpc: Box::new(ldpc) }, out));
    }
    let params = CascadeParams::for_qber(qber, key.len());
    let mut cascade = CascadeAlice::new(&key, Layout::new(key.len(), params, &seed));
    let parities = cascade.top_parities();
    cx.summary.cascade_first_block = params.first_block;
    cx.summary.cascade_second_block = params.second_block;
    cx.summary.cascade_passes = params.passes;
    cx.summary.reconciliation_disclosed = cascade.disclosed();
    let out = vec![cx.seal(&Msg::CascadeStart { seed, parities })?];
    Ok(Next::Go(AliceState::ExpectParityQueryOrReconciled { key, cascade }, out))
}

fn on_reconciled(
    cx: &mut Cx<AliceRole>,
    key: &BitVec,
    points: [u64; 2],
    bob_tag: [u64; 2],
) -> Result<Next<AliceState>, Error> {
    let tag = verification::tag(key, points);
    let fk = cx.summary.verified(&cx.role.config, key.len());
    let no_seed = Msg::Confirm { tag, toeplitz_seed: BitVec::zeros(0) };
    if tag != bob_tag {
        return Ok(Next::Abort(Error::VerificationFailed, vec![cx.seal(&no_seed)?]));
    }
    if fk.length == 0 {
        return Ok(Next::Abort(fk.no_key(), vec![cx.seal(&no_seed)?]));
    }
    let seed = crate::quantum::random_bits(key.len() + fk.length - 1, &mut cx.rng);
    let bits = toeplitz_hash(&seed, key, fk.length)?;
    let out = vec![cx.seal(&Msg::Confirm { tag, toeplitz_seed: seed })?];
    Ok(Next::Go(AliceState::ExpectDone { key: FinalKey { bits } }, out))
}
