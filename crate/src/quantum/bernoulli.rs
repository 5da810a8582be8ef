//! Bernoulli masks over packed words: the building block for loss, dark counts, misalignment
//! and Eve's choice of pulses, drawn 64 lanes at a time.

use rand::Rng;

use crate::rng::{QkdRng, unit_f64};

/// Below this probability, events are placed by geometric skips (cost proportional to the
/// number of events); above it, each word is built from the binary expansion of `p`.
const SPARSE_LIMIT: f64 = 0.125;
/// Bits of `p` used by the dense method: probabilities are exact to 2^-32.
const DENSE_PRECISION: u32 = 32;

/// Sets to one, independently with probability `p`, each of the first `len` bits of `words`
/// (MSB-first, as [`crate::bits::BitVec`]); `out` is OR-ed into, other bits are untouched.
/// `p` is clamped to `[0, 1]`.
pub fn fill_bernoulli(out: &mut [u64], len: usize, p: f64, rng: &mut QkdRng) {
    if p.is_nan() || p <= 0.0 || len == 0 {
        return;
    }
    if p >= 1.0 {
        for (i, w) in out.iter_mut().enumerate().take(len.div_ceil(64)) {
            *w |= lane_mask(len, i);
        }
        return;
    }
    if p < SPARSE_LIMIT {
        // Gaps between events are geometric: floor(ln U / ln(1 - p)).
        let denom = (-p).ln_1p();
        let mut i = 0usize;
        loop {
            let u = 1.0 - unit_f64(rng); // in (0, 1]
            let gap = (u.ln() / denom).floor();
            // `gap` may be +inf for tiny p; NaN cannot occur (u in (0, 1]).
            if gap >= (len - i) as f64 {
                break;
            }
            i += gap as usize;
            out[i >> 6] |= 1u64 << (63 - (i & 63));
            i += 1;
            if i >= len {
                break;
            }
        }
        return;
    }
    // Dense: U < p lane-wise, comparing p's binary digits with random words from the least
    // significant digit up (x = r | x for a one digit, r & x for a zero digit).
    let scaled = (p * f64::from(1u32 << 31) * 2.0) as u64; // p in units of 2^-32
    let scaled = scaled.min((1u64 << DENSE_PRECISION) - 1);
    let low = scaled.trailing_zeros().min(DENSE_PRECISION);
    for (i, w) in out.iter_mut().enumerate().take(len.div_ceil(64)) {
        let mut x = 0u64;
        for k in low..DENSE_PRECISION {
            let r = rng.next_u64();
            x = if (scaled >> k) & 1 == 1 { r | x } else { r & x };
        }
        *w |= x & lane_mask(len, i);
    }
}

/// The lanes of word `i` that lie below `len`.
#[inline]
fn lane_mask(len: usize, i: usize) -> u64 {
    let rem = len - i * 64;
    if rem >= 64 { u64::MAX } else { !0u64 << (64 - rem) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Seed;

    fn rate(p: f64, len: usize) -> (f64, Vec<u64>) {
        let mut rng = Seed::from_text("bernoulli").rng("t");
        let mut w = vec![0u64; len.div_ceil(64)];
        fill_bernoulli(&mut w, len, p, &mut rng);
        let ones: u32 = w.iter().map(|x| x.count_ones()).sum();
        (f64::from(ones) / len as f64, w)
    }

    #[test]
    fn sparse_and_dense_rates_match_p_within_five_sigma() {
        for p in [1e-3, 0.01, 0.1, 0.125, 0.3, 0.5, 0.77] {
            let n = 400_000;
            let (r, _) = rate(p, n);
            let sigma = (p * (1.0 - p) / n as f64).sqrt();
            assert!((r - p).abs() < 5.0 * sigma, "p={p} rate={r}");
        }
    }

    #[test]
    fn no_bit_is_set_past_len_and_extremes_are_exact() {
        let (r, w) = rate(1.0, 100);
        assert_eq!(r, 1.0);
        assert_eq!(w[1], !0u64 << 28);
        let (_, w) = rate(0.5, 70);
        assert_eq!(w[1] & (u64::MAX >> 6), 0);
        assert_eq!(rate(0.0, 1000).0, 0.0);
        assert_eq!(rate(f64::NAN, 1000).0, 0.0);
    }
}
