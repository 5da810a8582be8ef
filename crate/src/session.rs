//! The in-memory driver: runs Alice, Bob, the fiber and an optional adversary on the classical
//! channel, frame by frame, and reports what happened.

use std::collections::VecDeque;

use crate::auth::{Credential, Direction, KeyPool};
use crate::bits::BitVec;
use crate::eavesdropper::{EveReport, Notebook};
use crate::error::Error;
use crate::msgs::{self, Ready, Route};
use crate::party::{Alice, Bob, Config, RoundContext, Summary};
use crate::quantum::{Attack, ChannelModel, Fiber};
use crate::rng::Seed;

/// Everything one session needs.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Protocol parameters.
    pub protocol: Config,
    /// The physical channel.
    pub channel: ChannelModel,
    /// An eavesdropper on the fiber, if any.
    pub eve: Option<Attack>,
    /// The classical channel's credential.
    pub credential: Credential,
    /// The seed every random choice derives from.
    pub seed: Seed,
}

/// Something sitting on the classical channel. It sees every classical frame and returns what
/// is delivered instead: the frame itself (observe), nothing (drop), an edited frame, the
/// frame twice (replay), or extra frames (inject).
pub trait Adversary {
    /// Called for each classical frame travelling in `dir`.
    fn on_frame(&mut self, dir: Direction, frame: Vec<u8>) -> Vec<Vec<u8>>;
}

/// An adversary that lets everything through.
#[derive(Debug, Default)]
pub struct Passive;

impl Adversary for Passive {
    fn on_frame(&mut self, _dir: Direction, frame: Vec<u8>) -> Vec<Vec<u8>> {
        vec![frame]
    }
}

/// A clock for stage timings. The parties never read it; only the driver does.
pub trait Clock {
    /// Milliseconds since an arbitrary origin.
    fn now_ms(&self) -> f64;
}

/// A clock that always reads zero: reports are then identical byte for byte across runs.
#[derive(Debug, Default)]
pub struct NoClock;

impl Clock for NoClock {
    fn now_ms(&self) -> f64 {
        0.0
    }
}

/// The host's monotonic clock (not available on wasm32; the wasm layer passes its own).
#[cfg(not(target_arch = "wasm32"))]
pub struct StdClock(std::time::Instant);

#[cfg(not(target_arch = "wasm32"))]
impl Default for StdClock {
    fn default() -> Self {
        Self(std::time::Instant::now())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Clock for StdClock {
    fn now_ms(&self) -> f64 {
        self.0.elapsed().as_secs_f64() * 1e3
    }
}

/// Time spent in one protocol stage.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StageTime {
    /// Stage name: quantum, sifting, estimation, reconciliation, verification, amplification.
    pub name: &'static str,
    /// Milliseconds, summed over both parties and the fiber.
    pub ms: f64,
}

/// Bits disclosed on the public channel, per stage.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Disclosed {
    /// Sample bits (each side's), discarded from the key.
    pub estimation: u64,
    /// Cascade parity bits from Alice.
    pub reconciliation: u64,
    /// Verification tag bits.
    pub verification: u64,
}

/// Authentication costs.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthReport {
    /// The mode (e.g. `psk`).
    pub mode: &'static str,
    /// Which frames carry a tag: "transcript" or "per-frame".
    pub tag_mode: crate::auth::TagMode,
    /// Classical frames sent, both directions.
    pub frames: u64,
    /// Tags sent, both directions (four a round over the transcript).
    pub tags: u64,
    /// Tag bits transmitted, both directions.
    pub tag_bits: u64,
    /// Secret key bits spent on authentication: the bootstrap PSK (HMAC reuses it per frame),
    /// or the pool bits of this round (HMAC keys, Wegman-Carter hash points and pads).
    pub key_bits_used: u64,
    /// Wegman-Carter pad bits consumed (each frame's pad counted once).
    pub pad_bits_used: u64,
    /// Summed forgery probability of the accepted frames (information-theoretic tags only).
    pub epsilon: f64,
}

/// What a session did. It serializes (camelCase) as the package's `Report`.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Both parties hold the same verified key.
    pub ok: bool,
    /// Why the session ended without a key, and which party stopped first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Failure>,
    /// The round's agreed record (Alice's; Bob's is equal when the round ends, a test holds).
    pub summary: Summary,
    /// The estimated QBER (`summary.qber`, here as the package's minimum contract names it).
    pub qber: f64,
    /// Sifted key bits (`summary.siftedBits`).
    pub sifted_bits: usize,
    /// Secret key bits spent on authentication (`auth.keyBitsUsed`).
    pub auth_bits_used: u64,
    /// The secrecy parameter the final key's length was computed for.
    pub eps_sec: f64,
    /// Pulses Eve intercepted.
    pub intercepted: u64,
    /// What Eve knows at the end, when she was on the fiber.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eve: Option<EveReport>,
    /// Bits Bob corrected in Cascade.
    pub corrections: usize,
    /// Bits disclosed per stage.
    pub disclosed: Disclosed,
    /// Bits an eavesdropper learned about the key from the public discussion: Cascade's parities
    /// and the verification tag (the sample is discarded from the key).
    pub leaked_bits: u64,
    /// Classical round trips (Bob-to-Alice flights).
    pub round_trips: usize,
    /// Bytes of the classical frames Alice and Bob exchanged (photon and detection frames not
    /// counted).
    pub classical_bytes: usize,
    /// Final key length in bits (0 without a key).
    pub final_key_bits: usize,
    /// Alice's key, if both sides verified it.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "key_bytes")]
    pub key_alice: Option<BitVec>,
    /// Bob's key, if both sides verified it.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "key_bytes")]
    pub key_bob: Option<BitVec>,
    /// Authentication costs.
    pub auth: AuthReport,
    /// Time per stage.
    pub stages: Vec<StageTime>,
    /// Each party's view of the first pulses: `[alice, bob]`, each only what that party knows.
    pub pulse_views: [crate::party::PulseView; 2],
    /// Wegman-Carter pads left after the round: Alice's `(A->B, B->A)` and Bob's `(A->B, B->A)`.
    #[serde(skip)]
    pub pads_left: Option<[(KeyPool, KeyPool); 2]>,
}

/// Where a running session is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Alice's state.
    pub alice: &'static str,
    /// Bob's state.
    pub bob: &'static str,
    /// Classical round trips so far.
    pub round_trips: usize,
}

/// A session's failure: the typed error and the party that stopped first.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The error.
    pub error: Error,
    /// `alice`, `bob`, or `driver` (a channel gone quiet).
    pub party: &'static str,
}

impl serde::Serialize for Failure {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Failure", 3)?;
        st.serialize_field("code", self.error.code())?;
        st.serialize_field("message", &self.error.to_string())?;
        st.serialize_field("party", self.party)?;
        st.end()
    }
}

/// Frames as a list of byte strings (`Uint8Array[]` in JS).
pub(crate) fn frame_list<S: serde::Serializer>(frames: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(frames.iter().map(|f| serde_bytes::Bytes::new(f)))
}

fn key_bytes<S: serde::Serializer>(key: &Option<BitVec>, s: S) -> Result<S::Ok, S::Error> {
    match key {
        Some(k) => crate::bits::serialize_bytes(k, s),
        None => s.serialize_none(),
    }
}

fn stage_of(frame: &[u8]) -> usize {
    msgs::row_of(frame).map_or(0, |r| r.stage.index())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum To {
    Alice,
    Bob,
    Fiber,
}

/// Runs a session to its end with `adversary` on the classical channel.
pub fn run(config: &SessionConfig, adversary: &mut dyn Adversary, clock: &dyn Clock) -> Result<Report, Error> {
    let mut driver = Driver::new(config)?;
    while driver.step(adversary, clock) {}
    Ok(driver.finish())
}

/// A session run one turn at a time, so a caller can show progress or yield between turns
/// (a browser page stays responsive). A turn delivers every frame in flight.
///
/// ```
/// use qkdlab::session::{Driver, NoClock, Passive};
/// use qkdlab::{ChannelModel, Config, Credential, Seed, SessionConfig};
///
/// let config = SessionConfig {
///     protocol: Config::default(),
///     channel: ChannelModel::default(),
///     eve: None,
///     credential: Credential::psk(&[1u8; 32])?,
///     seed: Seed::from_text("7"),
/// };
/// let mut driver = Driver::new(&config)?;
/// let mut turns = 0;
/// while driver.step(&mut Passive, &NoClock) {
///     turns += 1; // a page would yield to its event loop here and show `driver.progress()`
/// }
/// assert!(turns > 3 && driver.progress().round_trips > 0);
/// let report = driver.finish();
/// assert!(report.ok && report.key_alice == report.key_bob);
/// # Ok::<(), qkdlab::Error>(())
/// ```
pub struct Driver {
    config: SessionConfig,
    alice: Alice,
    bob: Bob,
    fiber: Fiber,
    queue: VecDeque<(To, Vec<u8>)>,
    times: [f64; 6],
    error: Option<(Error, &'static str)>,
    round_trips: usize,
    classical_bytes: usize,
    started: bool,
    nonce_b: [u8; msgs::NONCE_LEN],
    notebook: Notebook,
}

/// The link id of a lone session (the in-memory driver, `simulate`).
pub const SINGLE_LINK: &str = "qkdlab single session";

impl Driver {
    /// Sets up the parties and the fiber; nothing is sent yet.
    pub fn new(config: &SessionConfig) -> Result<Self, Error> {
        Self::with_credentials(config, &config.credential, &config.credential)
    }

    /// The same, with a credential for each side (PKI: each holds its own identity).
    pub fn with_credentials(config: &SessionConfig, alice: &Credential, bob: &Credential) -> Result<Self, Error> {
        config.protocol.validate()?;
        let mut bob_rng = config.seed.rng("bob");
        let mut nonce_b = [0u8; msgs::NONCE_LEN];
        rand::Rng::fill_bytes(&mut bob_rng, &mut nonce_b);
        Ok(Self {
            alice: Alice::new(
                config.protocol.clone(),
                alice,
                RoundContext::single(SINGLE_LINK),
                config.seed.rng("alice"),
            )?,
            bob: Bob::new(bob, SINGLE_LINK, nonce_b, bob_rng),
            nonce_b,
            fiber: Fiber::new(config.channel.clone(), config.eve.clone(), &config.seed)?.with_eve_records(),
            notebook: Notebook::default(),
            config: config.clone(),
            queue: VecDeque::new(),
            times: [0.0; 6],
            error: None,
            round_trips: 0,
            classical_bytes: 0,
            started: false,
        })
    }

    fn party_failed(&self, to: To) -> bool {
        match to {
            To::Alice => self.alice.failure().is_some(),
            To::Bob => self.bob.failure().is_some(),
            To::Fiber => false,
        }
    }

    /// The state each party is in, as `(alice, bob)`.
    pub fn states(&self) -> (&'static str, &'static str) {
        (self.alice.state(), self.bob.state())
    }

    /// Where the session is: both states and the round trips so far.
    pub fn progress(&self) -> Progress {
        Progress { alice: self.alice.state(), bob: self.bob.state(), round_trips: self.round_trips }
    }

    /// Classical round trips so far.
    pub fn round_trips(&self) -> usize {
        self.round_trips
    }

    /// Runs one turn; returns whether there is more to do.
    pub fn step(&mut self, adversary: &mut dyn Adversary, clock: &dyn Clock) -> bool {
        if !self.started {
            // Bob's Ready opens the round; Alice's photons and Hello answer it.
            self.started = true;
            let ready = Ready { nonce_b: self.nonce_b }.encode();
            dispatch(&mut self.queue, To::Bob, vec![ready], adversary);
            return !self.queue.is_empty();
        }
        if self.queue.is_empty() || self.error.is_some() {
            return false;
        }
        let turn: Vec<_> = self.queue.drain(..).collect();
        let mut to_alice = false;
        for (to, frame) in turn {
            let stage = stage_of(&frame);
            if to != To::Fiber
                && self.config.eve.is_some()
                && let Ok(msg) = crate::auth::peek(&frame)
            {
                self.notebook.overhear(&msg);
            }
            if to != To::Fiber && msgs::route(&frame) == Ok(Route::Classical) {
                self.classical_bytes += frame.len();
            }
            let t = clock.now_ms();
            let result = match to {
                To::Fiber => self.fiber.handle(&frame),
                To::Bob => self.bob.handle(&frame),
                To::Alice => {
                    to_alice = true;
                    self.alice.handle(&frame)
                }
            };
            self.times[stage] += clock.now_ms() - t;
            match result {
                Ok(out) => dispatch(&mut self.queue, to, out, adversary),
                // Frames still in flight to a party that already stopped on its own (Bob's
                // watchdog, a QBER abort): its own failure is the story, not these.
                Err(Error::Finished) if self.party_failed(to) => {}
                Err(e) => {
                    self.error = Some((e, name(to)));
                    break;
                }
            }
        }
        if to_alice {
            self.round_trips += 1;
        }
        !self.queue.is_empty() && self.error.is_none()
    }

    /// Ends the session and reports; keys appear only if both sides verified the same key.
    pub fn finish(mut self) -> Report {
        let (alice, bob) = (&mut self.alice, &mut self.bob);
        let mut error = self.error.take();
        if error.is_none() {
            // A party that stopped by itself (QBER, verification...) or a channel gone quiet.
            error = match (alice.failure(), bob.failure()) {
                (_, Some(e)) => Some((e.clone(), "bob")),
                (Some(e), None) => Some((e.clone(), "alice")),
                (None, None) if !(alice.is_finished() && bob.is_finished()) => {
                    let waiting = if alice.is_finished() { bob.state() } else { alice.state() };
                    Some((Error::Timeout { waiting_for: waiting }, "driver"))
                }
                _ => None,
            };
        }
        let key_alice = alice.take_key().map(|k| k.bits);
        let key_bob = bob.take_key().map(|k| k.bits);
        let ok = error.is_none() && key_alice.is_some() && key_alice == key_bob;
        let (aa, ba) = (alice.auth_stats(), bob.auth_stats());
        let config = &self.config;
        let auth_key_bits = config.credential.key_bits() + (aa.pad_bits_used + ba.pad_bits_used) / 2;
        let summary = alice.summary().clone();
        let disclosed = Disclosed {
            estimation: 2 * summary.sample_bits as u64,
            reconciliation: summary.reconciliation_disclosed,
            verification: summary.verification_bits,
        };
        let eve = config.eve.as_ref().map(|attack| {
            self.notebook.report(
                attack.name(),
                self.fiber.stats().intercepted,
                self.fiber.eve_records(),
                config.protocol.batch_size as usize,
                config.protocol.pulses as usize,
                if ok { key_alice.as_ref() } else { None },
            )
        });
        Report {
            ok,
            error: error.map(|(error, party)| Failure { error, party }),
            intercepted: self.fiber.stats().intercepted,
            eve,
            corrections: bob.corrections(),
            leaked_bits: disclosed.reconciliation + disclosed.verification,
            disclosed,
            qber: summary.qber,
            sifted_bits: summary.sifted_bits,
            auth_bits_used: auth_key_bits,
            eps_sec: config.protocol.eps_sec,
            summary,
            round_trips: self.round_trips,
            classical_bytes: self.classical_bytes,
            final_key_bits: if ok { key_alice.as_ref().map_or(0, BitVec::len) } else { 0 },
            key_alice: if ok { key_alice } else { None },
            key_bob: if ok { key_bob } else { None },
            auth: AuthReport {
                mode: config.credential.mode(),
                tag_mode: config.protocol.tags,
                frames: aa.frames_sent + ba.frames_sent,
                tags: aa.tags_sent + ba.tags_sent,
                tag_bits: aa.tag_bits_sent + ba.tag_bits_sent,
                key_bits_used: auth_key_bits,
                pad_bits_used: (aa.pad_bits_used + ba.pad_bits_used) / 2,
                epsilon: aa.epsilon + ba.epsilon,
            },
            pads_left: match (alice.auth_pads(), bob.auth_pads()) {
                (Some((a_send, a_recv)), Some((b_send, b_recv))) => Some([(a_send, a_recv), (b_recv, b_send)]),
                _ => None,
            },
            stages: msgs::Stage::ALL.iter().zip(self.times).map(|(s, ms)| StageTime { name: s.name(), ms }).collect(),
            pulse_views: [alice.pulse_view().clone(), bob.pulse_view().clone()],
        }
    }
}

fn name(to: To) -> &'static str {
    match to {
        To::Alice => "alice",
        To::Bob => "bob",
        To::Fiber => "fiber",
    }
}

/// Routes a party's output: fiber frames to the fiber (or Bob), classical ones through the
/// adversary to the peer.
fn dispatch(queue: &mut VecDeque<(To, Vec<u8>)>, from: To, frames: Vec<Vec<u8>>, adversary: &mut dyn Adversary) {
    for f in frames {
        let route = msgs::route(&f);
        match (from, route) {
            (To::Fiber, _) => queue.push_back((To::Bob, f)),
            (_, Ok(Route::Fiber)) => queue.push_back((To::Fiber, f)),
            (To::Alice, _) => {
                for g in adversary.on_frame(Direction::AliceToBob, f) {
                    queue.push_back((To::Bob, g));
                }
            }
            (To::Bob, _) => {
                for g in adversary.on_frame(Direction::BobToAlice, f) {
                    queue.push_back((To::Alice, g));
                }
            }
        }
    }
}
