//! # qkdlab
//!
//! BB84 quantum key distribution, sans-IO: every stage from photons to a verified final key,
//! with honest security accounting.
//!
//! - [`quantum`]: source (single photons or weak pulses with decoys), fiber (loss, misalignment,
//!   two detectors, dark counts), Eve (intercept-resend, photon-number splitting, blinding).
//! - [`keyrate`]: asymptotic key rate against distance; [`eavesdropper`]: what Eve ends up knowing.
//! - [`sifting`], [`estimation`], [`reconciliation`] (Cascade), [`verification`],
//!   [`amplification`] (Toeplitz hashing and the finite-key bound).
//! - [`auth`]: the authenticated classical channel; [`msgs`]: every message's byte codec.
//! - [`party`]: [`Alice`] and [`Bob`] as state machines; [`session`]: the in-memory driver.
//! - [`kex`]: the classical key exchanges QKD is compared with (X25519, ML-KEM-768, hybrid).
//!
//! ```
//! use qkdlab::{session, Config, Credential, Seed, SessionConfig, ChannelModel};
//!
//! let config = SessionConfig {
//!     protocol: Config { pulses: 400_000, ..Config::default() },
//!     channel: ChannelModel { length_km: 5.0, error_rate: 0.02, ..ChannelModel::default() },
//!     eve: None,
//!     credential: Credential::psk(&[7u8; 32])?,
//!     seed: Seed::from_text("42"),
//! };
//! let report = session::run(&config, &mut session::Passive, &session::StdClock::default())?;
//! assert!(report.ok);
//! assert_eq!(report.key_alice, report.key_bob);
//! # Ok::<(), qkdlab::Error>(())
//! ```

pub mod amplification;
pub mod attacks;
pub mod auth;
pub mod bits;
pub mod eavesdropper;
pub mod error;
pub mod estimation;
pub mod gf2;
pub mod kex;
pub mod keyrate;
pub mod keystore;
pub mod link;
pub mod msgs;
pub mod options;
pub mod party;
pub mod quantum;
pub mod reconciliation;
pub mod rng;
pub mod session;
pub mod sifting;
pub mod trust;
pub mod verification;

pub use amplification::toeplitz_hash;
pub use auth::{Credential, hmac_sha256};
pub use bits::BitVec;
pub use error::Error;
pub use party::{Alice, Bob, Config, FinalKey, Summary};
pub use quantum::{Attack, ChannelModel, Fiber, InterceptResend, SourceConfig, WeakCoherent};
pub use rng::Seed;
pub use session::{Report, SessionConfig};

/// The JavaScript bindings, behind the `wasm` feature (the npm build turns it on).
#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
mod wasm;
