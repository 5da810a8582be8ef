//! Bob's detectors: what a click says, given the photon's state and Bob's basis.

use rand::Rng;

use super::{ChannelModel, PulseBatch, bernoulli::fill_bernoulli};
use crate::bits::BitVec;
use crate::rng::QkdRng;

/// What Bob learns from one batch: which gates clicked and the bit each click gave (zero
/// where there was no click).
#[derive(Clone, PartialEq, Eq)]
pub struct Detections {
    /// Batch number.
    pub index: u32,
    /// One bit per pulse: did a detector click.
    pub clicks: BitVec,
    /// The measured bit at each click.
    pub outcomes: BitVec,
}

impl core::fmt::Debug for Detections {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Detections(#{}, {} clicks of {})", self.index, self.clicks.count_ones(), self.clicks.len())
    }
}

/// Measures the photons of `batch` (already through Eve, if any) in Bob's `bases`.
///
/// A photon survives the fiber and is detected with [`ChannelModel::detection_probability`];
/// measured in its own basis it gives its bit, flipped with the misalignment probability; in
/// the other basis, a uniformly random bit. A dark count (probability per gate) clicks with a
/// uniformly random bit, also when a photon arrived (a double click squashed to a random bit).
pub fn detect(batch: &PulseBatch, bob_bases: &BitVec, model: &ChannelModel, rng: &mut QkdRng) -> Detections {
    let len = batch.len();
    debug_assert_eq!(bob_bases.len(), len, "bases and batch lengths are checked by the fiber");
    let nw = len.div_ceil(64);
    let mut arrived = vec![0u64; nw];
    fill_bernoulli(&mut arrived, len, model.detection_probability(), rng);
    let mut dark = vec![0u64; nw];
    fill_bernoulli(&mut dark, len, model.dark_count_prob, rng);
    let mut flips = vec![0u64; nw];
    fill_bernoulli(&mut flips, len, model.error_rate, rng);

    let mut clicks = vec![0u64; nw];
    let mut outcomes = vec![0u64; nw];
    for w in 0..nw {
        let click = arrived[w] | dark[w];
        if click == 0 {
            continue;
        }
        let same_basis = !(batch.bases.words()[w] ^ bob_bases.words()[w]);
        let random = rng.next_u64();
        let faithful = batch.bits.words()[w] ^ flips[w];
        let photon_bit = (faithful & same_basis) | (random & !same_basis);
        let bit = (photon_bit & !dark[w]) | (random & dark[w]);
        clicks[w] = click;
        outcomes[w] = bit & click;
    }
    Detections {
        index: batch.index,
        clicks: BitVec::from_words(clicks, len),
        outcomes: BitVec::from_words(outcomes, len),
    }
}
