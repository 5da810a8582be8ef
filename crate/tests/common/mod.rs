//! Session set-ups shared by the integration tests.
#![allow(dead_code)]

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
