//! Parameter estimation: a random sample of the sifted bits is disclosed and compared; its
//! error rate estimates the QBER, and the finite-key bound adds the statistical deviation.

use rand::seq::index;

use crate::amplification::ClassCounts;
use crate::bits::BitVec;
use crate::error::Error;
use crate::msgs::Classes;
use crate::rng::QkdRng;

/// Default QBER above which a round aborts (BB84's asymptotic limit is about 11 %: above it,
/// one-way post-processing cannot beat Eve; Shor & Preskill, PRL 85, 441 (2000)).
pub const DEFAULT_QBER_THRESHOLD: f64 = 0.11;
/// Default fraction of sifted bits sampled.
pub const DEFAULT_SAMPLE_FRACTION: f64 = 0.1;
/// Fewest sifted bits worth estimating from.
pub const MIN_SIFTED_BITS: usize = 64;

/// The sample size for `sifted` bits: `round(sifted * fraction)`, at least one bit, leaving at
/// least one key bit.
pub fn sample_size(sifted: usize, fraction: f64) -> Result<usize, Error> {
    if sifted < MIN_SIFTED_BITS {
        return Err(Error::NotEnoughBits { stage: "sifting", have: sifted, need: MIN_SIFTED_BITS });
    }
    Ok(((sifted as f64 * fraction).round() as usize).clamp(1, sifted - 1))
}

/// A uniformly random set of `k` of the `sifted` positions, as a mask.
pub fn choose_sample(sifted: usize, k: usize, rng: &mut QkdRng) -> BitVec {
    let mut mask = BitVec::zeros(sifted);
    for i in index::sample(rng, sifted, k) {
        mask.set(i, true);
    }
    mask
}

/// The error rate between two samples of equal length.
pub fn error_rate(a: &BitVec, b: &BitVec) -> Result<f64, Error> {
    if a.len() != b.len() || a.is_empty() {
        return Err(Error::inconsistent("sample length"));
    }
    Ok(a.hamming_distance(b) as f64 / a.len() as f64)
}

/// The bits not in the sample (the key that goes on to reconciliation).
pub fn without_sample(sifted: &BitVec, sample: &BitVec) -> BitVec {
    let mut keep = sample.clone();
    for w in keep.words_mut() {
        *w = !*w;
    }
    keep.clear_tail();
    sifted.select(&keep)
}

/// Public counts of a weak-coherent round per intensity class, from the announced classes (one
/// per click), the basis matches (one per click), the test-basis mask (one per sifted bit) and
/// the error mask of the test bits (one per test bit). Both parties compute it from the same
/// frames.
pub fn class_counts(classes: &Classes, matches: &BitVec, test: &BitVec, errors: &BitVec) -> Result<ClassCounts, Error> {
    let clicks = matches.len();
    if classes.decoy.len() != clicks || classes.vacuum.len() != clicks || test.len() != matches.count_ones() {
        return Err(Error::inconsistent("intensity classes"));
    }
    if errors.len() != test.count_ones() {
        return Err(Error::inconsistent("test-basis sample length"));
    }
    let mut c = ClassCounts { pulses: classes.pulses, ..ClassCounts::default() };
    let (mut sifted, mut tested) = (0, 0);
    for j in 0..clicks {
        let k = classes.of(j);
        c.clicks[k] += 1;
        if !matches.get(j) {
            continue;
        }
        if test.get(sifted) {
            c.test_sifted[k] += 1;
            c.test_errors[k] += u64::from(errors.get(tested));
            tested += 1;
        } else {
            c.key_sifted[k] += 1;
        }
        sifted += 1;
    }
    if c.clicks.iter().zip(&c.pulses).any(|(n, p)| n > p) {
        return Err(Error::inconsistent("clicks per intensity class above the pulses sent"));
    }
    Ok(c)
}
