//! Session set-ups shared by the integration tests.
#![allow(dead_code)]

use qkdlab::link::{LinkAlice, LinkBob};
use qkdlab::msgs::{self, Kind, Route};
use qkdlab::session::{self, Adversary, NoClock, Passive};
use qkdlab::{ChannelModel, Config, Credential, InterceptResend, Report, Seed, SessionConfig};

/// A short session: 60 000 pulses over a lossless bench-top link at the given error rate, a
/// large sample so a key survives the finite-key bound.
pub fn small(error_rate: f64, seed: &str) -> SessionConfig {
    SessionConfig {
        protocol: Config { pulses: 60_000, batch_size: 8_192, sample_fraction: 0.3, ..Config::default() },
        channel: ChannelModel {
            length_km: 0.0,
            insertion_loss_db: 0.0,
            detector_efficiency: 0.5,
            error_rate,
            ..ChannelModel::default()
        },
        eve: None,
        credential: Credential::psk(&[0x42; 32]).expect("32-byte PSK"),
        seed: Seed::from_text(seed),
    }
}

/// The same, with Eve intercepting a fraction of the photons in random bases.
pub fn with_eve(error_rate: f64, fraction: f64, seed: &str) -> SessionConfig {
    SessionConfig {
        eve: Some(InterceptResend { fraction, basis: Default::default() }.into()),
        ..small(error_rate, seed)
    }
}

/// Runs with no adversary and a zero clock.
pub fn run(config: &SessionConfig) -> Report {
    run_with(config, &mut Passive)
}

/// Runs with `adversary` on the classical channel and a zero clock.
pub fn run_with(config: &SessionConfig, adversary: &mut dyn Adversary) -> Report {
    session::run(config, adversary, &NoClock).expect("valid configuration")
}

/// Runs one round between two link endpoints to its end, every frame delivered at once, the
/// photons through a fiber of `channel`: Bob's nonce first when Alice has none yet.
pub fn link_round(alice: &mut LinkAlice, bob: &mut LinkBob, config: &SessionConfig, fiber_seed: &str) {
    let mut queue: Vec<(bool, Vec<u8>)> = Vec::new();
    if !alice.is_ready() {
        queue.push((true, bob.ready_frame()));
    }
    let mut fiber = qkdlab::Fiber::new(config.channel.clone(), None, &Seed::from_text(fiber_seed)).expect("fiber");
    let mut started = false;
    let start = |alice: &mut LinkAlice, queue: &mut Vec<(bool, Vec<u8>)>, started: &mut bool| {
        if alice.is_ready() && !*started {
            *started = true;
            let s = alice.start_round(config.protocol.clone()).expect("start");
            queue.extend(s.frames.into_iter().map(|f| (false, f)).rev());
        }
    };
    start(alice, &mut queue, &mut started);
    while let Some((to_alice, f)) = queue.pop() {
        let step = if to_alice {
            alice.handle(&f)
        } else if msgs::route(&f) == Ok(Route::Fiber) && msgs::kind(&f) != Ok(Kind::Detections) {
            let out = fiber.handle(&f).expect("fiber");
            queue.extend(out.into_iter().map(|f| (false, f)));
            continue;
        } else {
            bob.handle(&f)
        };
        queue.extend(step.frames.into_iter().map(|f| (msgs::route(&f) == Ok(Route::Classical) && !to_alice, f)).rev());
        start(alice, &mut queue, &mut started);
    }
}
