//! Alice's source: a random bit, a random basis and (for a laser) a random intensity per pulse,
//! a word at a time.

use rand::Rng;

use super::bernoulli::fill_bernoulli;
use crate::bits::BitVec;
use crate::error::Error;
use crate::rng::QkdRng;

/// What Alice's source emits, as the round's parameters announce it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum SourceConfig {
    /// An ideal single-photon source: exactly one photon per pulse, bases 50/50.
    #[default]
    SinglePhoton,
    /// A phase-randomised attenuated laser: weak coherent pulses, optionally with decoys.
    WeakCoherent(WeakCoherent),
}

impl serde::Serialize for SourceConfig {
    /// In the options' shape: `{ kind: "single-photon" }` or `{ kind: "weak-coherent", signal,
    /// decoy, vacuum, pSignal, pDecoy, pVacuum, pKeyBasis }`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        match self {
            Self::SinglePhoton => m.serialize_entry("kind", "single-photon")?,
            Self::WeakCoherent(w) => {
                m.serialize_entry("kind", "weak-coherent")?;
                for (k, v) in ["signal", "decoy", "vacuum"].iter().zip(w.intensities) {
                    m.serialize_entry(k, &v)?;
                }
                for (k, v) in ["pSignal", "pDecoy", "pVacuum"].iter().zip(w.probabilities) {
                    m.serialize_entry(k, &v)?;
                }
                m.serialize_entry("pKeyBasis", &w.key_basis_probability)?;
            }
        }
        m.end()
    }
}

/// Largest mean photon number a pulse may have (a weak pulse; it also bounds the fiber's work
/// and memory per pulse when a peer chooses it).
pub const MAX_INTENSITY: f64 = 2.0;

/// Intensity classes of a weak-coherent source, in the order signal, weak decoy, vacuum.
pub const CLASSES: [&str; 3] = ["signal", "decoy", "vacuum"];

/// A weak-coherent source with up to three intensities (the three-intensity decoy method:
/// Lim, Curty, Walenta, Xu, Zbinden, PRA 89, 022307 (2014), with `mu1 > mu2 + mu3`,
/// `mu2 > mu3 >= 0`), and a basis choice that may favour the key basis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeakCoherent {
    /// Mean photon numbers `[mu1 (signal), mu2 (weak decoy), mu3 (vacuum)]`.
    pub intensities: [f64; 3],
    /// Probability of each intensity per pulse; they sum to 1. Decoys off: `[1, 0, 0]`.
    pub probabilities: [f64; 3],
    /// Probability that Alice (and Bob) choose the key basis (rectilinear); the diagonal
    /// basis is the test basis, every bit of it disclosed to estimate the phase error.
    pub key_basis_probability: f64,
}

impl Default for WeakCoherent {
    /// mu = 0.5, nu = 0.1, vacuum, chosen with probabilities 0.7 / 0.2 / 0.1, bases 50/50.
    fn default() -> Self {
        Self { intensities: [0.5, 0.1, 0.0], probabilities: [0.7, 0.2, 0.1], key_basis_probability: 0.5 }
    }
}

impl WeakCoherent {
    /// Whether the decoy intensities are in use (both, or neither: a lone decoy is refused).
    pub fn has_decoys(&self) -> bool {
        self.probabilities[1] > 0.0
    }

    /// Refuses intensities or probabilities the decoy bounds cannot use, naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        let [mu1, mu2, mu3] = self.intensities;
        let [p1, p2, p3] = self.probabilities;
        for (field, v) in [("source.signal", mu1), ("source.decoy", mu2), ("source.vacuum", mu3)] {
            if !(v.is_finite() && (0.0..=MAX_INTENSITY).contains(&v)) {
                return Err(Error::invalid(
                    field,
                    format!("must be a mean photon number in [0, {MAX_INTENSITY}], got {v}"),
                ));
            }
        }
        for (field, v) in [("source.pSignal", p1), ("source.pDecoy", p2), ("source.pVacuum", p3)] {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(Error::invalid(field, format!("must be a probability in [0, 1], got {v}")));
            }
        }
        if (p1 + p2 + p3 - 1.0).abs() > 1e-9 || p1 <= 0.0 {
            return Err(Error::invalid(
                "source.pSignal",
                format!("the probabilities must sum to 1 with pSignal > 0, got {p1} + {p2} + {p3}"),
            ));
        }
        if mu1 <= 0.0 {
            return Err(Error::invalid("source.signal", "must be > 0"));
        }
        if (p2 > 0.0) != (p3 > 0.0) {
            return Err(Error::invalid(
                "source.pVacuum",
                "the decoy bound needs both the weak decoy and the vacuum (or neither)",
            ));
        }
        if p2 > 0.0 && !(mu2 > mu3 && mu1 > mu2 + mu3) {
            return Err(Error::invalid(
                "source.decoy",
                format!("needs signal > decoy + vacuum and decoy > vacuum, got {mu1}, {mu2}, {mu3}"),
            ));
        }
        let q = self.key_basis_probability;
        if !(q.is_finite() && (0.01..=0.99).contains(&q)) {
            return Err(Error::invalid("source.pKeyBasis", format!("must be in [0.01, 0.99], got {q}")));
        }
        Ok(())
    }
}

impl SourceConfig {
    /// Checks a weak-coherent source's parameters.
    pub fn validate(&self) -> Result<(), Error> {
        match self {
            Self::SinglePhoton => Ok(()),
            Self::WeakCoherent(w) => w.validate(),
        }
    }

    /// Probability of the key (rectilinear) basis for both parties.
    pub fn key_basis_probability(&self) -> f64 {
        match self {
            Self::SinglePhoton => 0.5,
            Self::WeakCoherent(w) => w.key_basis_probability,
        }
    }
}

/// What the pulses of one batch carry.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Emission {
    /// Exactly one photon per pulse.
    #[default]
    SinglePhoton,
    /// Phase-randomised coherent states: the photon number of a pulse of class `k` is Poisson
    /// with mean `intensities[k]` (a phase-randomised coherent state is exactly that mixture of
    /// Fock states, so the fiber may draw the number when the pulse meets the channel).
    WeakCoherent {
        /// Mean photon numbers of signal, decoy, vacuum.
        intensities: [f64; 3],
        /// Pulses of the weak-decoy class.
        decoy: BitVec,
        /// Pulses of the vacuum class.
        vacuum: BitVec,
    },
}

impl Emission {
    /// The class of pulse `i` (0 signal, 1 decoy, 2 vacuum) and its mean photon number.
    pub fn class_of(&self, i: usize) -> (usize, f64) {
        match self {
            Self::SinglePhoton => (0, 1.0),
            Self::WeakCoherent { intensities, decoy, vacuum } => {
                let k = if decoy.get(i) {
                    1
                } else if vacuum.get(i) {
                    2
                } else {
                    0
                };
                (k, intensities[k])
            }
        }
    }
}

/// The prepared states of one batch of pulses. Only Alice and the fiber ever hold this.
#[derive(Clone, PartialEq)]
pub struct PulseBatch {
    /// Batch number within the round.
    pub index: u32,
    /// Encoded bit of each pulse.
    pub bits: BitVec,
    /// Basis of each pulse (0 rectilinear, 1 diagonal).
    pub bases: BitVec,
    /// What each pulse carries.
    pub emission: Emission,
}

impl core::fmt::Debug for PulseBatch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PulseBatch(#{}, {} pulses)", self.index, self.bits.len())
    }
}

impl PulseBatch {
    /// Number of pulses.
    pub fn len(&self) -> usize {
        self.bits.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }
}

/// Alice's source.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// What it emits.
    pub config: SourceConfig,
}

impl Source {
    /// A source emitting as `config` says.
    pub fn new(config: SourceConfig) -> Self {
        Self { config }
    }

    /// Prepares `len` pulses: uniformly random bits; bases with the key basis's probability;
    /// for a laser, each pulse's intensity class drawn with the class probabilities.
    pub fn prepare(&self, index: u32, len: usize, rng: &mut QkdRng) -> PulseBatch {
        let bits = random_bits(len, rng);
        let bases = random_bases(len, self.config.key_basis_probability(), rng);
        let emission = match self.config {
            SourceConfig::SinglePhoton => Emission::SinglePhoton,
            SourceConfig::WeakCoherent(w) => {
                let nw = len.div_ceil(64);
                let mut decoy = vec![0u64; nw];
                fill_bernoulli(&mut decoy, len, w.probabilities[1], rng);
                let mut vacuum = vec![0u64; nw];
                let rest = 1.0 - w.probabilities[1];
                if rest > 0.0 {
                    fill_bernoulli(&mut vacuum, len, w.probabilities[2] / rest, rng);
                }
                for (v, d) in vacuum.iter_mut().zip(&decoy) {
                    *v &= !d;
                }
                Emission::WeakCoherent {
                    intensities: w.intensities,
                    decoy: BitVec::from_words(decoy, len),
                    vacuum: BitVec::from_words(vacuum, len),
                }
            }
        };
        PulseBatch { index, bits, bases, emission }
    }
}

/// `len` uniformly random bits.
pub fn random_bits(len: usize, rng: &mut QkdRng) -> BitVec {
    let words = (0..len.div_ceil(64)).map(|_| rng.next_u64()).collect();
    BitVec::from_words(words, len)
}

/// `len` bases, each rectilinear (0) with probability `key_basis`: uniform bits at 1/2.
pub fn random_bases(len: usize, key_basis: f64, rng: &mut QkdRng) -> BitVec {
    if key_basis == 0.5 {
        return random_bits(len, rng);
    }
    let mut w = vec![0u64; len.div_ceil(64)];
    fill_bernoulli(&mut w, len, 1.0 - key_basis, rng);
    BitVec::from_words(w, len)
}
