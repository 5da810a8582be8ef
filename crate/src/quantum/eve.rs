//! Intercept-resend eavesdropping: Eve measures a chosen fraction of the photons in a basis of
//! her choice and sends on a fresh photon prepared in her result.

use rand::Rng;

use super::{Basis, PulseBatch, bernoulli::fill_bernoulli};
use crate::bits::BitVec;
use crate::error::Error;
use crate::rng::QkdRng;

/// How Eve picks her measurement basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EveBasis {
    /// Uniformly at random per pulse (she then induces a QBER of 25 % on what she touched).
    #[default]
    Random,
    /// Always the same basis.
    Fixed(Basis),
}

/// The intercept-resend attack.
#[derive(Debug, Clone, PartialEq)]
pub struct InterceptResend {
    /// Fraction of pulses Eve intercepts, in `[0, 1]`.
    pub fraction: f64,
    /// Her basis choice.
    pub basis: EveBasis,
}

/// What Eve learned from one batch: the pulses she measured, her bases and her results.
#[derive(Clone, Default)]
pub struct EveRecord {
    /// Pulses she intercepted.
    pub intercepted: BitVec,
    /// Her basis per pulse.
    pub bases: BitVec,
    /// Her result per intercepted pulse.
    pub bits: BitVec,
}

impl InterceptResend {
    /// Refuses a fraction outside `[0, 1]` or NaN.
    pub fn validate(&self) -> Result<(), Error> {
        if self.fraction.is_finite() && (0.0..=1.0).contains(&self.fraction) {
            Ok(())
        } else {
            Err(Error::invalid("interceptFraction", format!("must be in [0, 1], got {}", self.fraction)))
        }
    }

    /// Measures the chosen pulses (collapsing them) and replaces each with a photon prepared in
    /// Eve's basis and result. Measuring in the wrong basis gives a uniformly random bit.
    pub fn intercept(&self, batch: &mut PulseBatch, rng: &mut QkdRng) -> EveRecord {
        let len = batch.len();
        let nw = len.div_ceil(64);
        let mut mask = vec![0u64; nw];
        fill_bernoulli(&mut mask, len, self.fraction, rng);
        let mut bases = vec![0u64; nw];
        let mut bits = vec![0u64; nw];
        for w in 0..nw {
            let m = mask[w];
            if m == 0 {
                continue;
            }
            let eb = match self.basis {
                EveBasis::Random => rng.next_u64(),
                EveBasis::Fixed(b) => b.word(),
            };
            let same = !(eb ^ batch.bases.words()[w]);
            let result = (batch.bits.words()[w] & same) | (rng.next_u64() & !same);
            bases[w] = eb & m;
            bits[w] = result & m;
            let pb = &mut batch.bases.words_mut()[w];
            *pb = (*pb & !m) | (eb & m);
            let pbit = &mut batch.bits.words_mut()[w];
            *pbit = (*pbit & !m) | (result & m);
        }
        batch.bases.clear_tail();
        batch.bits.clear_tail();
        EveRecord {
            intercepted: BitVec::from_words(mask, len),
            bases: BitVec::from_words(bases, len),
            bits: BitVec::from_words(bits, len),
        }
    }
}
