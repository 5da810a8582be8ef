//! Alice's source: a random bit and a random basis per pulse, a word at a time.

use rand::Rng;

use crate::bits::BitVec;
use crate::rng::QkdRng;

/// What one pulse carries. Only ideal single photons exist today; a weak-coherent source with
/// decoy intensities adds a variant here (a per-pulse intensity class, chosen by Alice and
/// announced after detection) and the fiber's detection probability then depends on the
/// photon number, without changing the batch, sifting or later stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Emission {
    /// Exactly one photon per pulse.
    #[default]
    SinglePhoton,
}

/// The prepared states of one batch of pulses. Only Alice and the fiber ever hold this.
#[derive(Clone, PartialEq, Eq)]
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
    /// What each pulse carries.
    pub emission: Emission,
}

impl Source {
    /// Prepares `len` pulses with uniformly random bits and bases.
    pub fn prepare(&self, index: u32, len: usize, rng: &mut QkdRng) -> PulseBatch {
        PulseBatch { index, bits: random_bits(len, rng), bases: random_bits(len, rng), emission: self.emission }
    }
}

/// `len` uniformly random bits.
pub fn random_bits(len: usize, rng: &mut QkdRng) -> BitVec {
    let words = (0..len.div_ceil(64)).map(|_| rng.next_u64()).collect();
    BitVec::from_words(words, len)
}
