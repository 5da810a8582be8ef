//! Detector blinding (Lydersen, Wiechers, Wittmann, Elser, Skaar, Makarov, "Hacking commercial
//! quantum cryptography systems by tailored bright illumination", Nat. Photonics 4, 686 (2010)):
//! continuous bright light turns Bob's avalanche photodiodes into classical linear detectors;
//! Eve measures each pulse in a basis of her choice and sends Bob a bright "faked state" in her
//! basis and result, just above the blinded threshold. It fires Bob's detector only when Bob
//! measures in her basis (in the other basis the light splits and stays below threshold), so
//! every sifted bit is hers, with no error she did not choose to add.
//!
//! The countermeasure modelled is a watchdog at Bob's input that monitors the optical power
//! (the photocurrent monitoring proposed by Yuan, Dynes, Shields, Nat. Photonics 4, 800
//! (2010)): bright light sets an alarm and Bob aborts the round.

use rand::Rng;

use super::bernoulli::fill_bernoulli;
use super::photons::surviving;
use super::{ChannelModel, Detections, Emission, EveRecord, PulseBatch};
use crate::bits::BitVec;
use crate::rng::QkdRng;

/// Eve's faked states for one batch: where she triggers Bob, in which basis, with which bit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakedStates {
    /// Pulses where she sends a trigger.
    pub trigger: Vec<u64>,
    /// Her basis per pulse.
    pub bases: Vec<u64>,
    /// The bit she makes Bob's detector give.
    pub bits: Vec<u64>,
}

/// Eve measures the batch's photons (uniformly random bases) and prepares her faked states,
/// tuned so that Bob's click rate is the fiber's and his error rate the misalignment he expects.
pub fn intercept(batch: &PulseBatch, model: &ChannelModel, rng: &mut QkdRng) -> (FakedStates, EveRecord) {
    let len = batch.len();
    let nw = len.div_ceil(64);
    let at_source = surviving(batch, 1.0, rng);
    let (target, p_photon) = match &batch.emission {
        Emission::SinglePhoton => (model.detection_probability(), 1.0),
        Emission::WeakCoherent { intensities, .. } => {
            let mu = intensities[0];
            (-(-mu * model.detection_probability()).exp_m1(), -(-mu).exp_m1())
        }
    };
    // Her bases are uniform, so Bob's basis agrees with hers half of the time, whatever his bias.
    let rate = (target / (p_photon * 0.5)).min(1.0);
    let bases: Vec<u64> = (0..nw).map(|_| rng.next_u64()).collect();
    let mut trigger = vec![0u64; nw];
    fill_bernoulli(&mut trigger, len, rate, rng);
    let mut flips = vec![0u64; nw];
    fill_bernoulli(&mut flips, len, model.error_rate, rng);
    let mut record = EveRecord::new(len);
    let mut bits = vec![0u64; nw];
    for w in 0..nw {
        let measured = at_source.any[w];
        let same = !(bases[w] ^ batch.bases.words()[w]);
        let result = (batch.bits.words()[w] & same) | (rng.next_u64() & !same);
        record.learn_word(w, measured & same, result);
        if w == 0 {
            for i in 0..len.min(super::eve::EVE_VIEW_PULSES) {
                let b = 1u64 << (63 - i);
                if measured & b != 0 {
                    record.note(i, u8::from(bases[w] & b != 0), u8::from(result & b != 0));
                }
            }
        }
        trigger[w] &= measured;
        bits[w] = (result ^ flips[w]) & trigger[w];
    }
    record.touched = at_source.any.iter().map(|w| u64::from(w.count_ones())).sum();
    (FakedStates { trigger, bases, bits }, record)
}

/// Bob's blinded detectors: a click exactly where Eve triggered in Bob's basis, with her bit; no
/// dark counts (the blinded diodes do not fire on their own). The watchdog, if fitted, sees the
/// blinding light.
pub fn detect(index: u32, len: usize, faked: &FakedStates, bob_bases: &BitVec, model: &ChannelModel) -> Detections {
    let mut clicks = vec![0u64; faked.trigger.len()];
    let mut outcomes = vec![0u64; faked.trigger.len()];
    for (w, (c, o)) in clicks.iter_mut().zip(&mut outcomes).enumerate() {
        *c = faked.trigger[w] & !(faked.bases[w] ^ bob_bases.words()[w]);
        *o = faked.bits[w] & *c;
    }
    Detections {
        index,
        clicks: BitVec::from_words(clicks, len),
        outcomes: BitVec::from_words(outcomes, len),
        alarm: model.watchdog,
    }
}
