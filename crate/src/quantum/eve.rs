//! Eve on the fiber: the attacks she can run ([`Attack`]) and what she learns ([`EveRecord`]).
//! Intercept-resend lives here: Eve measures a chosen fraction of the pulses in a basis of her
//! choice and sends on a fresh state prepared in her result (the same number of photons).

use rand::Rng;

use super::{Basis, PulseBatch, bernoulli::fill_bernoulli};
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

/// An attack on the fiber.
#[derive(Debug, Clone, PartialEq)]
pub enum Attack {
    /// Measure and re-send a fraction of the pulses (causes errors in the other basis).
    InterceptResend(InterceptResend),
    /// Photon-number splitting: keep one photon of each multi-photon pulse ([`super::pns`]).
    PhotonNumberSplitting,
    /// Blind Bob's detectors and send faked states ([`super::blinding`]).
    Blinding,
}

impl From<InterceptResend> for Attack {
    fn from(a: InterceptResend) -> Self {
        Self::InterceptResend(a)
    }
}

impl Attack {
    /// The attack's name in options and reports.
    pub fn name(&self) -> &'static str {
        match self {
            Self::InterceptResend(_) => "intercept-resend",
            Self::PhotonNumberSplitting => "pns",
            Self::Blinding => "blinding",
        }
    }

    /// Refuses out-of-range parameters.
    pub fn validate(&self) -> Result<(), Error> {
        match self {
            Self::InterceptResend(a) => a.validate(),
            _ => Ok(()),
        }
    }
}

/// What Eve knows for certain about one batch once the bases are public: the pulses whose bit
/// she holds (measured in Alice's basis, or a stored photon she measures after the basis
/// announcement), and those bits. A simulation's record: no party ever sees it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EveRecord {
    /// Pulses whose bit Eve knows.
    pub knows: Vec<u64>,
    /// Her bit at those pulses (zero elsewhere).
    pub bits: Vec<u64>,
    /// Pulses she measured or split (a count, for the statistics).
    pub touched: u64,
    /// Her own view of the batch's first pulses (her tab's pulse table): per pulse her basis
    /// (0 rectilinear, 1 diagonal; 2 untouched; 3 a photon stored, not yet measured) and her
    /// result (0/1; 2 none). Only what she measured: a stored photon's bit is not hers until she
    /// measures it in a basis made public later, so it is never shown.
    pub first: Vec<[u8; 2]>,
}

/// Pulses of Eve's own pulse table.
pub const EVE_VIEW_PULSES: usize = 64;

impl EveRecord {
    /// Nothing known about `len` pulses.
    pub fn new(len: usize) -> Self {
        Self {
            knows: vec![0; len.div_ceil(64)],
            bits: vec![0; len.div_ceil(64)],
            touched: 0,
            first: vec![[2, 2]; len.min(EVE_VIEW_PULSES)],
        }
    }

    /// Her basis and result at pulse `i`, for her own table.
    pub fn note(&mut self, i: usize, basis: u8, result: u8) {
        if let Some(f) = self.first.get_mut(i) {
            *f = [basis, result];
        }
    }

    /// Eve knows pulse `i` is `bit`.
    pub fn learn(&mut self, i: usize, bit: bool) {
        let b = 1u64 << (63 - (i & 63));
        self.knows[i >> 6] |= b;
        if bit {
            self.bits[i >> 6] |= b;
        }
        self.touched += 1;
    }

    /// Eve knows the pulses of `mask` in word `w`, with bits `bits`.
    pub fn learn_word(&mut self, w: usize, mask: u64, bits: u64) {
        self.knows[w] |= mask;
        self.bits[w] = (self.bits[w] & !mask) | (bits & mask);
        self.touched += u64::from(mask.count_ones());
    }
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

    /// Measures the chosen pulses (collapsing them) and replaces each with a state prepared in
    /// Eve's basis and result. Measuring in the wrong basis gives a uniformly random bit. She
    /// knows for certain the bits she measured in Alice's basis.
    pub fn intercept(&self, batch: &mut PulseBatch, rng: &mut QkdRng) -> EveRecord {
        let len = batch.len();
        let mut mask = vec![0u64; len.div_ceil(64)];
        fill_bernoulli(&mut mask, len, self.fraction, rng);
        let mut record = EveRecord::new(len);
        record.touched = mask.iter().map(|m| u64::from(m.count_ones())).sum();
        for (w, &m) in mask.iter().enumerate() {
            if m == 0 {
                continue;
            }
            let eb = match self.basis {
                EveBasis::Random => rng.next_u64(),
                EveBasis::Fixed(b) => b.word(),
            };
            let same = !(eb ^ batch.bases.words()[w]);
            let result = (batch.bits.words()[w] & same) | (rng.next_u64() & !same);
            record.knows[w] = m & same;
            record.bits[w] = result & m & same;
            if w == 0 {
                for i in 0..len.min(EVE_VIEW_PULSES) {
                    let b = 1u64 << (63 - i);
                    if m & b != 0 {
                        record.note(i, u8::from(eb & b != 0), u8::from(result & b != 0));
                    }
                }
            }
            let pb = &mut batch.bases.words_mut()[w];
            *pb = (*pb & !m) | (eb & m);
            let pbit = &mut batch.bits.words_mut()[w];
            *pbit = (*pbit & !m) | (result & m);
        }
        batch.bases.clear_tail();
        batch.bits.clear_tail();
        record
    }
}
