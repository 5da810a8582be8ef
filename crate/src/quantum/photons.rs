//! Photon numbers: which pulses carry photons, and how many, drawn a word at a time.
//!
//! A phase-randomised coherent state of mean `mu` is a Poisson mixture of photon-number states;
//! sending each photon through a channel of transmittance `eta` independently (binomial loss)
//! leaves a Poisson number of mean `mu eta` (Poisson thinning). So the photons that reach Bob's
//! detectors are drawn directly: a Bernoulli mask "at least one" with probability
//! `1 - exp(-mu eta)`, and for those pulses a zero-truncated Poisson count (mostly 1).

use super::bernoulli::fill_bernoulli;
use super::source::{Emission, PulseBatch};
use crate::rng::{QkdRng, unit_f64};

/// The photons of one batch at some point of the path (leaving the source, reaching Bob's
/// detectors): which pulses carry at least one, and the count where it is two or more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Photons {
    /// One bit per pulse (MSB first, as `BitVec`): at least one photon.
    pub any: Vec<u64>,
    /// Pulses with two or more photons, ascending, with their count.
    pub multi: Vec<(u32, u32)>,
}

impl Photons {
    /// No photon in any of `len` pulses.
    pub fn none(len: usize) -> Self {
        Self { any: vec![0; len.div_ceil(64)], multi: Vec::new() }
    }

    /// The photon count of pulse `i`.
    pub fn count(&self, i: usize) -> u32 {
        if self.any[i >> 6] >> (63 - (i & 63)) & 1 == 0 {
            return 0;
        }
        self.multi.binary_search_by_key(&i, |&(p, _)| p as usize).map_or(1, |j| self.multi[j].1)
    }

    /// Bytes held beyond the pulse mask (the fiber charges them to its memory budget).
    pub fn extra_bytes(&self) -> usize {
        self.multi.len() * core::mem::size_of::<(u32, u32)>()
    }

    /// Sets the count of pulse `i` (pulses must be set in ascending order when counts >= 2).
    pub fn push(&mut self, i: usize, count: u32) {
        if count == 0 {
            return;
        }
        self.any[i >> 6] |= 1u64 << (63 - (i & 63));
        if count >= 2 {
            self.multi.push((i as u32, count));
        }
    }
}

/// The photons of `batch` that survive a channel of transmittance `eta` (fiber, optics and
/// detector efficiency together); `eta = 1` gives the photons leaving the source.
pub fn surviving(batch: &PulseBatch, eta: f64, rng: &mut QkdRng) -> Photons {
    let len = batch.len();
    let mut out = Photons::none(len);
    match &batch.emission {
        Emission::SinglePhoton => fill_bernoulli(&mut out.any, len, eta, rng),
        Emission::WeakCoherent { intensities, decoy, vacuum } => {
            let mut class = vec![0u64; len.div_ceil(64)];
            for (k, &mu) in intensities.iter().enumerate() {
                let lambda = mu * eta;
                if lambda <= 0.0 {
                    continue;
                }
                for (w, c) in class.iter_mut().enumerate() {
                    let (d, v) = (decoy.words()[w], vacuum.words()[w]);
                    *c = match k {
                        0 => !(d | v),
                        1 => d,
                        _ => v,
                    };
                }
                let mut hit = vec![0u64; class.len()];
                fill_bernoulli(&mut hit, len, -(-lambda).exp_m1(), rng);
                for (w, (h, c)) in hit.iter().zip(&class).enumerate() {
                    let mut m = h & c;
                    out.any[w] |= m;
                    while m != 0 {
                        let bit = m.leading_zeros() as usize;
                        m &= !(1u64 << (63 - bit));
                        let count = zero_truncated_poisson(lambda, rng);
                        if count >= 2 {
                            out.multi.push(((w * 64 + bit) as u32, count));
                        }
                    }
                }
            }
            out.multi.sort_unstable();
        }
    }
    out
}

/// A Poisson count of mean `lambda` conditioned on being at least 1 (inverse CDF).
pub fn zero_truncated_poisson(lambda: f64, rng: &mut QkdRng) -> u32 {
    let u = unit_f64(rng);
    let mut p = lambda * (-lambda).exp() / -(-lambda).exp_m1();
    let (mut m, mut cum) = (1u32, p);
    while u >= cum && m < 1000 {
        m += 1;
        p *= lambda / f64::from(m);
        cum += p;
        if p < 1e-300 {
            break;
        }
    }
    m
}

/// How many of `n` photons pass, each independently with probability `p`.
pub fn binomial(n: u32, p: f64, rng: &mut QkdRng) -> u32 {
    (0..n).filter(|_| unit_f64(rng) < p).count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantum::{Source, SourceConfig, WeakCoherent};
    use crate::rng::Seed;

    #[test]
    fn photon_numbers_leaving_a_laser_are_poisson_per_class() {
        let mut rng = Seed::from_text("photons").rng("t");
        let w =
            WeakCoherent { intensities: [0.5, 0.1, 0.0], probabilities: [0.6, 0.3, 0.1], key_basis_probability: 0.5 };
        let batch = Source::new(SourceConfig::WeakCoherent(w)).prepare(0, 400_000, &mut rng);
        let ph = surviving(&batch, 1.0, &mut rng);
        let (mut n, mut sum, mut sq, mut vac_photons) = (0f64, 0f64, 0f64, 0u32);
        for i in 0..batch.len() {
            let (k, _) = batch.emission.class_of(i);
            let c = ph.count(i);
            if k == 0 {
                n += 1.0;
                sum += f64::from(c);
                sq += f64::from(c * c);
            } else if k == 2 {
                vac_photons += c;
            }
        }
        let mean = sum / n;
        let var = sq / n - mean * mean;
        // Poisson: mean = variance = 0.5, within 5 sigma of the sample mean.
        assert!((mean - 0.5).abs() < 5.0 * (0.5 / n).sqrt(), "mean {mean}");
        assert!((var - 0.5).abs() < 0.02, "variance {var}");
        assert_eq!(vac_photons, 0);
        // Class frequencies follow the probabilities.
        assert!((n / 400_000.0 - 0.6).abs() < 0.005);
    }

    #[test]
    fn truncated_poisson_has_the_conditional_mean() {
        let mut rng = Seed::from_text("ztp").rng("t");
        let lambda: f64 = 0.8;
        let draws = 100_000;
        let mean =
            (0..draws).map(|_| f64::from(zero_truncated_poisson(lambda, &mut rng))).sum::<f64>() / f64::from(draws);
        let expect = lambda / (1.0 - (-lambda).exp());
        assert!((mean - expect).abs() < 0.01, "{mean} vs {expect}");
    }
}
