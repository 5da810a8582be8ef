//! Rate adaptation: frames, and per frame the mother code, punctured and shortened bits.
//!
//! The rate-compatible construction of Elkouss, Martinez-Mateo, Lancho and Martin ("Rate
//! compatible protocol for information reconciliation: an application to QKD", ITW 2010; and
//! "Information reconciliation for QKD", QIC 11, 2011): a frame of `n` key bits is embedded in
//! a mother code of length `N = n + p + s` and `M` checks. `p` punctured bits are random bits
//! only Alice knows (Bob starts them as erasures), `s` shortened bits are public pseudo-random
//! values both know. The syndrome discloses `M - p` bits about the key, so the effective rate is
//! `1 - (M - p) / n` and the efficiency `f = (M - p) / (n h(Q))`.
//!
//! Choice per frame: the first attempt aims at `f = first_efficiency(Q)`; `p` holds a reserve of
//! `blind_reserve(Q) n h(Q)` bits that Bob may ask Alice to reveal when decoding fails (the
//! blind protocol of Martinez-Mateo, Elkouss and Martin, "Blind reconciliation", QIC 12, 2012,
//! cut to one extra exchange); the mother code is the lowest-rate ensemble of
//! [`DISTRIBUTIONS`] that reaches the target with `s >= 0` shortened bits. Above the
//! highest-rate ensemble (Q below about 0.85 %), the rate-0.92 code is punctured further instead.

use super::code::LdpcCode;
use super::distributions::{DISTRIBUTIONS, Distribution};
use crate::error::Error;

/// Key bits per frame: longer frames decode closer to capacity, shorter ones faster (and a
/// key's frames are decoded on every core). A key shorter than [`LONG_FRAME_BITS`] is split
/// into `ceil(len / FRAME_BITS)` frames of equal length (within one bit).
pub const FRAME_BITS: usize = 100_000;

/// A key of at least this many bits, at an estimated error rate from [`LONG_MIN_QBER`] to
/// [`LONG_MAX_QBER`], is split into `ceil(len / LONG_FRAME_BITS)` frames (of half to all of
/// it): on such frames the codes decode within a few per cent of their thresholds, so the plan
/// aims lower ([`LONG_FIRST_EFFICIENCY`]) and f stays under 1.10 at 1 %, which 10^5-bit frames
/// cannot reach there.
pub const LONG_FRAME_BITS: usize = 1_000_000;

/// Highest estimated error rate at which a long key gets long frames: the mother codes from
/// there up (rate 0.7 and below, the published ensembles with degree-2 variables) lost more
/// frames of 10^6 bits than of 10^5 (1 in 20 at 5 % and 4 in 20 at 8 %, against 0 and 2 in
/// 100), and 10^5-bit frames already reach f 1.10 there.
pub const LONG_MAX_QBER: f64 = 0.03;

/// Lowest estimated error rate at which a long key gets long frames: below 1 % the codes need
/// the short tables' higher aims (at 0.3 and 0.5 % long frames aimed at 1.092 lost every frame).
pub const LONG_MIN_QBER: f64 = 0.009;

/// Whether a key of `key_bits` bits at estimated error rate `qber` is split into long frames
/// (planned with [`LONG_FIRST_EFFICIENCY`] and [`LONG_BLIND_RESERVE`]).
fn long_frames(key_bits: usize, qber: f64) -> bool {
    key_bits >= LONG_FRAME_BITS && (LONG_MIN_QBER..=LONG_MAX_QBER).contains(&qber)
}

/// The number of frames a key of `key_bits` bits is split into at estimated error rate `qber`.
pub fn frame_count(key_bits: usize, qber: f64) -> usize {
    key_bits.div_ceil(if long_frames(key_bits, qber) { LONG_FRAME_BITS } else { FRAME_BITS })
}

/// Largest key accepted (2^31 bits): frame counts and positions fit in `u32`.
pub const MAX_KEY_BITS: usize = 1 << 31;

/// Highest error rate planned for: just below the threshold of the rate-0.5 ensemble.
pub const MAX_QBER: f64 = 0.10;

/// Error rate below which the plan stops shrinking the syndrome (a clean sample still hides
/// errors).
pub const MIN_QBER: f64 = 0.002;

/// Linear interpolation in a table of `(QBER, value)` points, flat beyond its ends.
fn interpolate(table: &[(f64, f64)], qber: f64) -> f64 {
    if qber <= table[0].0 {
        return table[0].1;
    }
    for w in table.windows(2) {
        let ((q0, v0), (q1, v1)) = (w[0], w[1]);
        if qber <= q1 {
            return v0 + (v1 - v0) * (qber - q0) / (q1 - q0);
        }
    }
    table[table.len() - 1].1
}

/// Punctured bits reserved for the blind reveal, as a fraction of `n h(Q)`, by error rate
/// (interpolated between the points of [`BLIND_RESERVE`]): a failing frame costs this much
/// more.
pub fn blind_reserve(qber: f64) -> f64 {
    interpolate(&BLIND_RESERVE, qber)
}

/// `(QBER, reserve)`. Near 1 % the first attempt runs closer to the code's limit (frames are
/// short against the code's finite-length spread there), so the one reveal must be larger for
/// a frame that failed once to decode.
pub const BLIND_RESERVE: [(f64, f64); 2] = [(0.01, 0.08), (0.02, 0.04)];

/// [`BLIND_RESERVE`] for frames of a long key ([`LONG_FRAME_BITS`]).
pub const LONG_BLIND_RESERVE: [(f64, f64); 2] = [(0.01, 0.02), (0.02, 0.03)];

/// Efficiency the first decoding attempt aims at, by error rate: linear between the points of
/// `FIRST_EFFICIENCY`, flat beyond them.
pub fn first_efficiency(qber: f64) -> f64 {
    interpolate(&FIRST_EFFICIENCY, qber)
}

/// `(QBER, f)`: the efficiency at which the first attempt on a 10^5-bit frame fails for a few
/// frames in ten or fewer (measured with this crate's codes and decoder; the designed rate-0.9
/// ensemble's own threshold is at f = 1.097, so low error rates cost more). At 1 %, 100 frames
/// (`cargo bench -p qkdlab --bench figures -- --only ldpc`) gave a mean f of 1.169 aiming at
/// 1.17 (no reveal), 1.140 at 1.13 and 1.143 at 1.11 (more reveals, one frame lost). At 5 %
/// the first attempt could aim at 1.08, but 1.095 still keeps f under 1.10 and, further from the threshold, decodes in
/// about a quarter fewer iterations (27.5 instead of 35.7 on average; no failure in 30 frames).
/// At 2 % the published rate-0.85 ensemble left no such room (a first failure in about three
/// frames at 1.095, one in ten at 1.115); with the designed one, 1.098 gives a mean of 1.099
/// over 100 frames, none lost. At 8 % aiming higher moves to a more shortened code that did
/// no better. Below 1 % the first attempt aims higher: the highest-rate codes
/// ([`super::distributions::DESIGNED`], rates 0.943 to 0.966; thresholds at f 1.13 to 1.21)
/// kept every frame of 30 to 40 per point at these aims from 0.2 to 0.9 % (three reveals in 40
/// at 0.6 %, none below), where 1.13 lost 30 in 30 at 0.3 % and 16 at 0.5 %.
pub const FIRST_EFFICIENCY: [(f64, f64); 10] = [
    (0.002, 1.6),
    (0.003, 1.45),
    (0.004, 1.32),
    (0.005, 1.22),
    (0.006, 1.16),
    (0.007, 1.14),
    (0.01, 1.13),
    (0.02, 1.098),
    (0.05, 1.095),
    (0.08, 1.06),
];

/// [`FIRST_EFFICIENCY`] for frames of a long key ([`LONG_FRAME_BITS`]).
pub const LONG_FIRST_EFFICIENCY: [(f64, f64); 3] = [(0.01, 1.092), (0.02, 1.075), (0.03, 1.07)];

/// The first attempt's efficiency and the reveal's reserve at `qber`, for a frame of a key split
/// into long frames or not.
fn aims(long: bool, qber: f64) -> (f64, f64) {
    if long {
        (interpolate(&LONG_FIRST_EFFICIENCY, qber), interpolate(&LONG_BLIND_RESERVE, qber))
    } else {
        (first_efficiency(qber), blind_reserve(qber))
    }
}

/// Mother code lengths are multiples of `n / LENGTH_GRID` (rounded to a power of two), so that
/// keys at nearby error rates share codes (built once per process and cached); the bits
/// added by rounding up are shortened, and the puncturing grows by `(1 - R)` of them to keep the
/// leak on target.
pub const LENGTH_GRID: usize = 128;

/// The grid step for frames of `n` bits (1 for small frames).
fn length_step(n: usize) -> usize {
    (n.next_power_of_two() / LENGTH_GRID).max(1)
}

/// Binary entropy `h(q) = -q log2 q - (1 - q) log2 (1 - q)`.
pub fn binary_entropy(q: f64) -> f64 {
    if q <= 0.0 || q >= 1.0 { 0.0 } else { -q * q.log2() - (1.0 - q) * (1.0 - q).log2() }
}

/// One frame's code and rate.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FramePlan {
    /// Key bits in the frame (`n`).
    pub key_bits: usize,
    /// Mother code length `N = n + p + s`.
    pub code_length: usize,
    /// Nominal rate of the mother code's ensemble (Table I of Elkouss et al., ISIT 2009).
    pub mother_rate: f64,
    /// Checks `M`: the syndrome bits Alice sends.
    pub syndrome_bits: usize,
    /// Punctured bits `p`: Alice's private random bits, erasures for Bob.
    pub punctured: usize,
    /// Shortened bits `s`: public pseudo-random values.
    pub shortened: usize,
    /// Punctured bits Bob asks for when the first decoding fails (at most `punctured`).
    pub reveal: usize,
    #[serde(skip)]
    pub(crate) distribution: usize,
}

impl FramePlan {
    /// Bits the syndrome discloses about the key: `M - p`.
    pub fn leak(&self) -> usize {
        self.syndrome_bits - self.punctured
    }

    /// The ensemble the mother code is built from.
    pub fn distribution(&self) -> &'static Distribution {
        DISTRIBUTIONS[self.distribution]
    }

    /// The frame's plan: the first attempt aims at `first_efficiency(qber) n h(qber)`, and the
    /// reveal can take the disclosure up to what a plan for `high` (at least `qber`) would
    /// allow with its own reserve.
    /// `long`: the frame is one of a key split into long frames.
    fn new(n: usize, qber: f64, high: f64, long: bool) -> Result<Self, Error> {
        let nh = |q: f64| n as f64 * binary_entropy(q.max(MIN_QBER));
        let ((first, spare), (first_high, spare_high)) = (aims(long, qber), aims(long, high));
        let target = (first * nh(qber)).ceil().max(1.0);
        let ceiling = (first_high * nh(high)).ceil() + (spare_high * nh(high)).ceil();
        let reserve = (spare * nh(qber)).ceil().max(ceiling - target);
        // Lowest-rate ensemble with (1 - R)(n + p) <= target + p, i.e. s >= 0.
        let fits = |d: &Distribution| (1.0 - d.design_rate()) * (n as f64 + reserve) <= target + reserve;
        let (distribution, code_length) = match DISTRIBUTIONS.iter().position(|d| fits(d)) {
            Some(i) => {
                let beta = 1.0 - DISTRIBUTIONS[i].design_rate();
                (i, (((target + reserve) / beta).round() as usize).max(n + reserve as usize))
            }
            None => {
                // Puncture the highest-rate code: (1 - R)(n + p) - p = target.
                let i = DISTRIBUTIONS.len() - 1;
                let r = DISTRIBUTIONS[i].design_rate();
                let p = (((1.0 - r) * n as f64 - target) / r).ceil().max(reserve);
                (i, n + p as usize)
            }
        };
        let code_length = code_length.next_multiple_of(length_step(n));
        let dist = DISTRIBUTIONS[distribution];
        let m = LdpcCode::checks_for(code_length, dist);
        // p makes the leak M - p meet the target; whatever is left over is shortened.
        let punctured = m.saturating_sub(target as usize).min(code_length - n).min(m - 1);
        Ok(Self {
            key_bits: n,
            code_length,
            mother_rate: dist.nominal_rate,
            syndrome_bits: m,
            punctured,
            shortened: code_length - n - punctured,
            reveal: punctured.min(reserve as usize),
            distribution,
        })
    }
}

/// How a key is reconciled: its frames and each frame's code. Both parties derive it from the
/// key length and the estimated error rate, which they agree on before reconciliation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LdpcPlan {
    qber: f64,
    key_bits: usize,
    frames: Vec<FramePlan>,
}

impl LdpcPlan {
    /// The plan for `key_bits` bits at estimated error rate `qber` (at most [`MAX_QBER`]).
    /// An empty key gives a plan with no frames.
    pub fn for_qber(key_bits: usize, qber: f64) -> Result<Self, Error> {
        Self::for_estimate(key_bits, qber, qber)
    }

    /// The plan for an estimate `qber` that may be low, with `high` (at least `qber`, at most
    /// [`MAX_QBER`]) what the error rate could plausibly be: the first attempt aims at `qber`,
    /// and the punctured bits held for the reveal cover a plan for `high`. A frame decodes at
    /// the estimate's cost when the estimate was right and at `high`'s when it was low, instead
    /// of paying for `high` always.
    pub fn for_estimate(key_bits: usize, qber: f64, high: f64) -> Result<Self, Error> {
        if !(qber.is_finite() && (0.0..=MAX_QBER).contains(&qber)) {
            return Err(Error::invalid("qber", format!("must be in [0, {MAX_QBER}], got {qber}")));
        }
        if !(high.is_finite() && (qber..=MAX_QBER).contains(&high)) {
            return Err(Error::invalid("high", format!("must be in [{qber}, {MAX_QBER}], got {high}")));
        }
        if key_bits > MAX_KEY_BITS {
            return Err(Error::invalid("key_bits", format!("must be at most {MAX_KEY_BITS}, got {key_bits}")));
        }
        let (count, long) = (frame_count(key_bits, qber), long_frames(key_bits, qber));
        let mut frames = Vec::with_capacity(count);
        for i in 0..count {
            let n = key_bits / count + usize::from(i < key_bits % count);
            frames.push(FramePlan::new(n, qber, high, long)?);
        }
        Ok(Self { qber, key_bits, frames })
    }

    /// The estimated error rate the plan was made for.
    pub fn qber(&self) -> f64 {
        self.qber
    }

    /// Key bits covered.
    pub fn key_bits(&self) -> usize {
        self.key_bits
    }

    /// The frames, in key order.
    pub fn frames(&self) -> &[FramePlan] {
        &self.frames
    }

    /// Syndrome bits of all frames (the length of message 1).
    pub fn syndrome_bits(&self) -> usize {
        self.frames.iter().map(|f| f.syndrome_bits).sum()
    }

    /// Bits the syndromes disclose, `sum (M - p)`, before any reveal.
    pub fn leak(&self) -> u64 {
        self.frames.iter().map(|f| f.leak() as u64).sum()
    }
}
