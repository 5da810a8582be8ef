//! The attacks that show why the classical channel must be authenticated, and why breaking the
//! bootstrap credential *later* is harmless while holding it *during* the bootstrap is not.

use crate::amplification::toeplitz_hash;
use crate::auth::{Channel, Credential, Direction, session_id};
use crate::bits::BitVec;
use crate::error::Error;
use crate::msgs::{self, Msg, Ready};
use crate::quantum::random_bits;
use crate::rng::Seed;
use crate::session::{Adversary, Clock, Driver, Passive, Report, SessionConfig};

/// Eve in the middle of everything: she cuts the fiber and the classical channel and runs one
/// QKD session with Alice (posing as Bob) and another with Bob (posing as Alice).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MitmOutcome {
    /// Alice's session, with Eve as her "Bob".
    pub with_alice: Report,
    /// Bob's session, with Eve as his "Alice".
    pub with_bob: Report,
    /// Both sides released a key and the keys differ: each shares its key with Eve only.
    pub keys_differ: bool,
}

impl MitmOutcome {
    /// The key Alice released, if any (Eve holds the same one).
    pub fn alice_key(&self) -> Option<&BitVec> {
        self.with_alice.key_alice.as_ref()
    }

    /// The key Bob released, if any (Eve holds the same one).
    pub fn bob_key(&self) -> Option<&BitVec> {
        self.with_bob.key_bob.as_ref()
    }
}

/// Runs the man-in-the-middle attack. `eve_to_alice` / `eve_to_bob` are the credentials Eve
/// authenticates with on each side: with a leaked PSK both sessions succeed and Alice and Bob
/// end up with different keys, both known to Eve; without it, each side refuses her frames.
pub fn man_in_the_middle(
    config: &SessionConfig,
    alice: &Credential,
    bob: &Credential,
    eve_to_alice: &Credential,
    eve_to_bob: &Credential,
    clock: &dyn Clock,
) -> Result<MitmOutcome, Error> {
    let run = |seed: &str, a: &Credential, b: &Credential| -> Result<Report, Error> {
        let c = SessionConfig { seed: Seed::from_text(seed), ..config.clone() };
        let mut d = Driver::with_credentials(&c, a, b)?;
        while d.step(&mut Passive, clock) {}
        Ok(d.finish())
    };
    let with_alice = run("mitm alice side", alice, eve_to_alice)?;
    let with_bob = run("mitm bob side", eve_to_bob, bob)?;
    let keys_differ = matches!((&with_alice.key_alice, &with_bob.key_bob), (Some(a), Some(b)) if a != b);
    Ok(MitmOutcome { with_alice, with_bob, keys_differ })
}

/// An adversary that records every classical frame and changes nothing ("record now").
#[derive(Debug, Default)]
pub struct Recorder {
    /// The frames, in order, with their direction.
    pub frames: Vec<(Direction, Vec<u8>)>,
}

impl Adversary for Recorder {
    fn on_frame(&mut self, dir: Direction, frame: Vec<u8>) -> Vec<Vec<u8>> {
        self.frames.push((dir, frame.clone()));
        vec![frame]
    }
}

/// What Eve gets from a recorded transcript once the bootstrap credential leaks ("decrypt
/// later"): she can now check every tag, read every public message, and compute her best guess
/// of the final key. She saw no photon, so the reconciled key is uniformly unknown to her apart
/// from the disclosed parities, which privacy amplification removed: her guess is the Toeplitz
/// hash of a uniformly random candidate, and agrees with the real key on about half the bits.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaterBreak {
    /// Frames the leaked credential authenticates: each by its own tag (per-frame tags), or
    /// by the transcript tags that cover it (a complete round ends with Commit's tag over all).
    pub frames_verified: usize,
    /// Eve's guess of the final key (empty if the round made no key).
    #[serde(serialize_with = "crate::bits::serialize_bytes")]
    pub guess: BitVec,
    /// Bits of the guess.
    pub guess_bits: usize,
}

/// A transcript from frames recorded on the wire, in order: each classical frame's direction
/// read from its header (Bob's untagged Ready travels to Alice). Fiber frames are refused.
pub fn transcript_of(frames: Vec<Vec<u8>>) -> Result<Vec<(Direction, Vec<u8>)>, Error> {
    frames
        .into_iter()
        .map(|f| match msgs::frame_info(&f)? {
            msgs::FrameInfo { route: msgs::Route::Classical, direction, .. } => {
                Ok((direction.unwrap_or(Direction::BobToAlice), f))
            }
            _ => Err(Error::invalid("frames", "every frame must be a classical frame")),
        })
        .collect()
}

/// Replays a transcript of one round on link `link` with a credential that leaked after it.
pub fn break_later(
    transcript: &[(Direction, Vec<u8>)],
    leaked: &Credential,
    link: &str,
    seed: &Seed,
) -> Result<LaterBreak, Error> {
    // Eve opens Alice's frames as Bob would, and Bob's as Alice would, once Ready and Hello
    // told her the session id.
    let mut ends: Option<(Channel, Channel)> = None;
    let mut nonce_b = None;
    let (mut sifted, mut sample, mut toeplitz_seed) = (0usize, 0usize, BitVec::default());
    let mut frames_verified = 0;
    for (dir, frame) in transcript {
        if msgs::is_ready(frame) {
            nonce_b = Some(Ready::decode(frame)?.nonce_b);
            continue;
        }
        let (as_bob, as_alice) = match &mut ends {
            Some(e) => e,
            None => {
                let (Msg::Hello(o, config), Some(nb)) = (crate::auth::peek(frame)?, nonce_b) else {
                    return Err(Error::inconsistent("transcript (it must start with Ready and Hello)"));
                };
                let sid = session_id(link, o.round, &o.nonce_a, &nb);
                ends.insert((
                    Channel::with_mode(leaked, Direction::BobToAlice, sid, config.tags),
                    Channel::with_mode(leaked, Direction::AliceToBob, sid, config.tags),
                ))
            }
        };
        let msg = match dir {
            Direction::AliceToBob => {
                as_alice.witness(frame)?;
                as_bob.open(frame)?
            }
            Direction::BobToAlice => {
                as_bob.witness(frame)?;
                as_alice.open(frame)?
            }
        };
        frames_verified += 1;
        match msg {
            Msg::SiftReply { matches, sample: s, .. } => {
                sifted = matches.count_ones();
                sample = s.count_ones();
            }
            Msg::Confirm { toeplitz_seed: s, .. } => toeplitz_seed = s,
            _ => {}
        }
    }
    let n = sifted.saturating_sub(sample);
    // A transcript without a key (or an inconsistent one) leaves nothing to guess.
    let Some(m) = (toeplitz_seed.len() + 1).checked_sub(n).filter(|&m| n > 0 && m > 0) else {
        return Ok(LaterBreak { frames_verified, guess: BitVec::default(), guess_bits: 0 });
    };
    let candidate = random_bits(n, &mut seed.rng("eve later"));
    let guess = toeplitz_hash(&toeplitz_seed, &candidate, m)?;
    Ok(LaterBreak { frames_verified, guess_bits: guess.len(), guess })
}

/// What record-now-break-later gives Eve on one session, measured against the real key.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaterBreakDemo {
    /// Frames whose tags the leaked credential verifies.
    pub frames_verified: usize,
    /// Bits of the real key.
    pub key_bits: usize,
    /// The share of key bits Eve's best guess gets right (about one half).
    pub agreement: f64,
}

/// Runs one session (PSK bootstrap) while Eve records every classical frame, then leaks the
/// PSK to her and measures how much of the key her best guess gets right.
pub fn record_now_break_later(
    config: &SessionConfig,
    bob: &Credential,
    clock: &dyn Clock,
) -> Result<LaterBreakDemo, Error> {
    if !matches!(config.credential, Credential::Psk(_)) {
        return Err(Error::invalid("auth.mode", "the later-leak demo leaks a PSK: use { mode: \"psk\" }"));
    }
    let mut d = Driver::with_credentials(config, &config.credential, bob)?;
    let mut rec = Recorder::default();
    while d.step(&mut rec, clock) {}
    let report = d.finish();
    let key = match (report.key_alice, report.error) {
        (Some(k), _) => k,
        (None, e) => return Err(e.map_or(Error::Finished, |f| f.error)),
    };
    let eve = break_later(&rec.frames, &config.credential, crate::session::SINGLE_LINK, &Seed::from_text("eve later"))?;
    let agreement = 1.0 - eve.guess.hamming_distance(&key) as f64 / key.len() as f64;
    Ok(LaterBreakDemo { frames_verified: eve.frames_verified, key_bits: key.len(), agreement })
}
