//! The in-memory link driver: both endpoints, a fiber per round and an optional adversary on
//! the classical channel, round after round.

use std::collections::VecDeque;

use super::{Event, LinkAlice, LinkBob, LinkSettings, PoolMac, RoundOutcome, Step};
use crate::auth::{Credential, Direction};
use crate::error::Error;
use crate::keystore::KeyStoreConfig;
use crate::msgs::{self, Route};
use crate::quantum::Fiber;
use crate::rng::Seed;
use crate::session::{Adversary, Clock, Passive, SessionConfig};

/// A link: the rounds' parameters, the bootstrap credentials and the pool policy.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// Per-round parameters; `credential` is Alice's bootstrap credential, `seed` the link's.
    pub round: SessionConfig,
    /// Bob's bootstrap credential (the same PSK, or his own identity under PKI).
    pub bob_bootstrap: Credential,
    /// Authentication after the bootstrap.
    pub after_bootstrap: PoolMac,
    /// Rounds to run.
    pub rounds: usize,
    /// Pool size each direction is refilled to after a round, in bits.
    pub pool_target_bits: usize,
    /// Wegman-Carter pad bits handed to each direction for one round.
    pub pad_budget_bits: usize,
    /// The key stores' description (Alice's site; Bob's mirrors it).
    pub store: KeyStoreConfig,
}

impl LinkConfig {
    /// Under a PKI bootstrap, the safety number the two sides compare out of band.
    pub fn safety_number(&self) -> Option<String> {
        match (&self.round.credential, &self.bob_bootstrap) {
            (Credential::Pki { own: a, .. }, Credential::Pki { own: b, .. }) => {
                Some(crate::auth::safety_number(&a.public(), &b.public()))
            }
            _ => None,
        }
    }
}

/// The link id of the in-memory driver.
pub const MEMORY_LINK: &str = "qkdlab in-memory link";

/// One round, as both sides saw it.
#[derive(Debug, Clone)]
pub struct RoundReport {
    /// Round number, from 1.
    pub round: u32,
    /// Both sides committed the round's key.
    pub ok: bool,
    /// Why not (Alice's view first).
    pub error: Option<Error>,
    /// Alice's outcome.
    pub alice: Option<RoundOutcome>,
    /// Bob's outcome (his verified Hello started it; a late Commit may end it in a later round).
    pub bob: Option<RoundOutcome>,
    /// Pulses Eve intercepted on the fiber.
    pub intercepted: u64,
    /// Classical frames delivered to Alice (Bob-to-Alice flights).
    pub round_trips: usize,
    /// Milliseconds the round took.
    pub ms: f64,
}

/// What a link did.
pub struct LinkReport {
    /// Every round run.
    pub rounds: Vec<RoundReport>,
    /// Why the link stopped early, if it did.
    pub stopped: Option<Error>,
    /// Alice's endpoint (her pools and stores).
    pub alice: LinkAlice,
    /// Bob's endpoint.
    pub bob: LinkBob,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum To {
    Alice,
    Bob,
    Fiber,
}

fn derive(seed: &Seed, label: &str) -> Seed {
    use rand::Rng;
    let mut b = [0u8; 32];
    seed.rng(label).fill_bytes(&mut b);
    Seed::from_bytes(b)
}

/// Runs the link; `adversary(round)` sits on the classical channel of each round.
pub fn run(
    config: &LinkConfig,
    adversary: &mut dyn FnMut(usize) -> Box<dyn Adversary>,
    clock: &dyn Clock,
) -> Result<LinkReport, Error> {
    config.round.protocol.validate()?;
    let settings = LinkSettings {
        after_bootstrap: config.after_bootstrap,
        pool_target_bits: config.pool_target_bits,
        pad_budget_bits: config.pad_budget_bits,
        store: config.store.clone(),
    };
    let seed = &config.round.seed;
    let mut alice =
        LinkAlice::new(MEMORY_LINK, settings.clone(), config.round.credential.clone(), derive(seed, "alice"))?;
    let mut bob = LinkBob::new(MEMORY_LINK, settings, config.bob_bootstrap.clone(), derive(seed, "bob"))?;
    let mut rounds: Vec<RoundReport> = Vec::new();
    let mut stopped = None;
    let mut queue: VecDeque<(To, Vec<u8>)> = VecDeque::new();
    queue.push_back((To::Alice, bob.ready_frame()));

    for round in 1..=config.rounds {
        let t0 = clock.now_ms();
        let mut adv = adversary(round);
        let mut fiber = Fiber::new(
            config.round.channel.clone(),
            config.round.eve.clone(),
            &derive(seed, &format!("fiber {round}")),
        )?;
        let mut events = Vec::new();
        let mut round_trips = 0;
        if !alice.is_ready() {
            // Ask Bob to announce his nonce again (a lost Ready must not stall the link).
            dispatch(&mut queue, To::Bob, vec![bob.ready_frame()], adv.as_mut());
            deliver(&mut queue, &mut alice, &mut bob, &mut fiber, adv.as_mut(), &mut events, &mut round_trips);
        }
        match alice.start_round(config.round.protocol.clone()) {
            Ok(step) => take(&mut queue, To::Alice, step, adv.as_mut(), &mut events),
            Err(e @ Error::AuthPoolExhausted { .. }) => {
                stopped = Some(e);
                break;
            }
            Err(e) => {
                rounds.push(RoundReport {
                    round: round as u32,
                    ok: false,
                    error: Some(e),
                    alice: None,
                    bob: None,
                    intercepted: 0,
                    round_trips: 0,
                    ms: 0.0,
                });
                continue;
            }
        }
        deliver(&mut queue, &mut alice, &mut bob, &mut fiber, adv.as_mut(), &mut events, &mut round_trips);
        // The channel went quiet: whoever still waits gives up on this round.
        if let Some(o) = alice.abort_round("nothing more arrived (timeout)") {
            events.push((To::Alice, Event::RoundEnded(Box::new(o))));
        }
        take(&mut queue, To::Bob, bob.abort_round("nothing more arrived (timeout)"), adv.as_mut(), &mut events);
        rounds.push(RoundReport {
            round: alice.rounds(),
            ok: false,
            error: None,
            alice: None,
            bob: None,
            intercepted: fiber.stats().intercepted,
            round_trips,
            ms: clock.now_ms() - t0,
        });
        place(&mut rounds, events);
    }
    Ok(LinkReport { rounds, stopped, alice, bob })
}

/// Runs the link with no adversary.
pub fn run_passive(config: &LinkConfig, clock: &dyn Clock) -> Result<LinkReport, Error> {
    run(config, &mut |_| Box::new(Passive), clock)
}

/// Files each round outcome under its round (Bob's may end an earlier round late).
fn place(rounds: &mut [RoundReport], events: Vec<(To, Event)>) {
    for (side, e) in events {
        let Event::RoundEnded(o) = e else { continue };
        let Some(r) = rounds.iter_mut().rev().find(|r| r.round == o.round) else { continue };
        if side == To::Alice {
            r.alice = Some(*o);
        } else {
            r.bob = Some(*o);
        }
        let (a, b) = (r.alice.as_ref(), r.bob.as_ref());
        r.ok = a.is_some_and(|a| a.ok) && b.is_some_and(|b| b.ok);
        r.error = a.and_then(|a| a.error.clone()).or_else(|| b.and_then(|b| b.error.clone()));
    }
}

fn take(
    queue: &mut VecDeque<(To, Vec<u8>)>,
    from: To,
    step: Step,
    adv: &mut dyn Adversary,
    events: &mut Vec<(To, Event)>,
) {
    dispatch(queue, from, step.frames, adv);
    events.extend(step.events.into_iter().map(|e| (from, e)));
}

fn deliver(
    queue: &mut VecDeque<(To, Vec<u8>)>,
    alice: &mut LinkAlice,
    bob: &mut LinkBob,
    fiber: &mut Fiber,
    adv: &mut dyn Adversary,
    events: &mut Vec<(To, Event)>,
    round_trips: &mut usize,
) {
    while let Some((to, frame)) = queue.pop_front() {
        match to {
            To::Fiber => match fiber.handle(&frame) {
                Ok(out) => dispatch(queue, To::Fiber, out, adv),
                Err(e) => events.push((To::Fiber, Event::Refused(e))),
            },
            To::Bob => take(queue, To::Bob, bob.handle(&frame), adv, events),
            To::Alice => {
                *round_trips += 1;
                take(queue, To::Alice, alice.handle(&frame), adv, events);
            }
        }
    }
}

/// Routes an endpoint's output: fiber frames to the fiber (or, from the fiber, to Bob),
/// classical ones through the adversary to the peer.
fn dispatch(queue: &mut VecDeque<(To, Vec<u8>)>, from: To, frames: Vec<Vec<u8>>, adv: &mut dyn Adversary) {
    for f in frames {
        match (from, msgs::route(&f)) {
            (To::Fiber, _) => queue.push_back((To::Bob, f)),
            (_, Ok(Route::Fiber)) => queue.push_back((To::Fiber, f)),
            (To::Alice, _) => {
                for g in adv.on_frame(Direction::AliceToBob, f) {
                    queue.push_back((To::Bob, g));
                }
            }
            (To::Bob, _) => {
                for g in adv.on_frame(Direction::BobToAlice, f) {
                    queue.push_back((To::Alice, g));
                }
            }
        }
    }
}
