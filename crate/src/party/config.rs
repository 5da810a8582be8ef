//! Protocol parameters of a round.

use crate::amplification::FiniteKey;
use crate::auth::TagMode;
use crate::error::Error;
use crate::estimation::{DEFAULT_QBER_THRESHOLD, DEFAULT_SAMPLE_FRACTION};
use crate::quantum::SourceConfig;
use crate::reconciliation::Method;

/// Most pulses in one round (the fiber keeps every state of a round in memory).
pub const MAX_PULSES: u64 = 1 << 28;
/// Default pulses per photon batch.
pub const DEFAULT_BATCH_SIZE: u32 = 1 << 16;

/// Protocol parameters. Alice announces them in Hello (this type is its payload); Bob checks
/// them and follows. It serializes (camelCase) as the package's `ProtocolOptions`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// Pulses Alice sends this round.
    pub pulses: u64,
    /// Pulses per photon batch (a multiple of 64).
    pub batch_size: u32,
    /// Fraction of sifted bits disclosed to estimate the QBER.
    pub sample_fraction: f64,
    /// QBER above which the round aborts.
    pub qber_threshold: f64,
    /// Secrecy parameter of the final key.
    pub eps_sec: f64,
    /// Correctness parameter of the final key.
    pub eps_cor: f64,
    /// Which classical frames carry a tag: four over the whole transcript, or every frame.
    pub tags: TagMode,
    /// How the keys are reconciled.
    pub reconciliation: Method,
    /// Alice's source: ideal single photons, or weak laser pulses (with or without decoys).
    pub source: SourceConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            pulses: 1_000_000,
            batch_size: DEFAULT_BATCH_SIZE,
            sample_fraction: DEFAULT_SAMPLE_FRACTION,
            qber_threshold: DEFAULT_QBER_THRESHOLD,
            eps_sec: 1e-10,
            eps_cor: 1e-15,
            tags: TagMode::Transcript,
            reconciliation: Method::Cascade,
            source: SourceConfig::SinglePhoton,
        }
    }
}

impl Config {
    /// Refuses parameters outside their ranges, naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        if self.pulses == 0 || self.pulses > MAX_PULSES {
            return Err(Error::invalid("pulses", format!("must be in 1..={MAX_PULSES}, got {}", self.pulses)));
        }
        if self.batch_size == 0 || !self.batch_size.is_multiple_of(64) || self.batch_size > 1 << 24 {
            return Err(Error::invalid(
                "batchSize",
                format!("must be a multiple of 64 up to 2^24, got {}", self.batch_size),
            ));
        }
        let open_unit = |field, v: f64, max: f64| {
            if v.is_finite() && v > 0.0 && v <= max {
                Ok(())
            } else {
                Err(Error::invalid(field, format!("must be in (0, {max}], got {v}")))
            }
        };
        open_unit("sampleFraction", self.sample_fraction, 0.5)?;
        open_unit("qberThreshold", self.qber_threshold, 0.5)?;
        open_unit("epsSec", self.eps_sec, 0.5)?;
        open_unit("epsCor", self.eps_cor, 0.5)?;
        self.source.validate()
    }

    /// Number of photon batches.
    pub fn batches(&self) -> u32 {
        u32::try_from(self.pulses.div_ceil(u64::from(self.batch_size)))
            .expect("pulses <= MAX_PULSES keeps batches in u32")
    }

    /// Pulses in batch `index`.
    pub fn batch_len(&self, index: u32) -> usize {
        let start = u64::from(index) * u64::from(self.batch_size);
        (self.pulses - start).min(u64::from(self.batch_size)) as usize
    }

    /// The parameters as Bob adopts them from Hello: refused (as the peer's inconsistency)
    /// when out of range.
    pub(crate) fn checked_from_peer(self) -> Result<Self, Error> {
        self.validate().map_err(|_| Error::inconsistent("parameters in Hello"))?;
        Ok(self)
    }

    /// The finite-key terms for this round's numbers.
    pub(crate) fn finite_key(&self, n: usize, k: usize, qber: f64, leak: u64) -> FiniteKey {
        crate::amplification::finite_key_length(n, k, qber, leak, self.eps_sec, self.eps_cor)
    }
}
