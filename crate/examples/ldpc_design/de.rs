//! Thresholds of LDPC ensembles on the binary symmetric channel by discretized density
//! evolution (DE) of sum-product decoding: exact up to the quantization of the messages, where
//! the Gaussian approximation (`ga.rs`) is not.
//!
//! Under the all-zero codeword, DE tracks the density of the log-likelihood ratio (LLR) that a
//! variable node sends along a random edge (Richardson & Urbanke, "Modern Coding Theory", 2008,
//! ch. 4). As in Chung, Forney, Richardson & Urbanke, "On the design of low-density
//! parity-check codes within 0.0045 dB of the Shannon limit", IEEE Comm. Letters 5 (2001),
//! messages are quantized to a uniform grid `m * step`, `|m| <= k`, saturating at about ±35:
//! - **Variable nodes** add their channel LLR and `i - 1` incoming messages: the densities
//!   convolve. `sum_i lambda_i Q^(i-1)` is evaluated in the Fourier domain (`realfft`), where
//!   convolution is a product, with one transform and one inverse per iteration; the densities
//!   are exponentially tilted so that the sums, which reach far beyond the grid, do not wrap
//!   around (`VariableNode`). The result is the exact density of the sum, saturated once.
//! - **Check nodes** combine two messages by `a ⊞ b = 2 atanh(tanh(a/2) tanh(b/2))`, rounded to
//!   the grid: the "R" table of Chung et al., applied pairwise, by Horner's rule over the
//!   degrees of `rho` with powers by repeated squaring. The table is never stored whole: its
//!   rows are a few runs of equal values, so that a combination costs `O(k / step)` range sums
//!   instead of `O(k^2)` products (`CheckNode`).
//!
//! The step is adjusted for each crossover probability so that the channel LLR `ln((1-p)/p)`
//! is a grid point: the BSC's density is then represented exactly.
//!
//! Accuracy: the default step, 0.1, puts thresholds at most 1.5e-4 (0.15 %) below those of
//! steps 0.05 and 0.025, which agree to 4e-5 (`grid_refinement` test). Saturating at ±25
//! instead of ±35 would be too soon: for ensembles with many degree-2 variables (a large
//! `lambda_2 rho'(1)`) the error probability then stalls near the `1e-7` that [`threshold`]
//! asks for. A threshold takes 0.2 to 3 s (release build), most of it in the last bisection
//! steps, where DE needs thousands of iterations to cross the bottleneck, or to settle.

use std::collections::HashMap;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// The LLR step aimed at; the actual step puts the channel LLR on the grid.
const STEP: f64 = 0.1;
/// Saturation magnitude of the LLRs.
const LLR_MAX: f64 = 35.0;
/// Error probability below which [`threshold`] counts decoding as successful.
const THRESHOLD_TARGET: f64 = 1e-7;
/// Iteration cap of each DE run in [`threshold`].
const THRESHOLD_ITERATIONS: usize = 5000;
/// Width of the bracket at which [`threshold`]'s bisection stops.
const THRESHOLD_TOLERANCE: f64 = 1e-5;
/// A run stops as failed once an iteration changes the message density by less than this
/// fraction of its error probability (in total variation): it has reached a fixed point. Below
/// threshold the slowest iteration, in the bottleneck, still moves some `(p* - p) / p*` of it:
/// more than this 10 times over even `1e-5` below the threshold of the rate-0.5 ensemble.
const STALL: f64 = 1e-5;

/// Error probability of variable-to-check messages after density evolution on BSC(`p`) has run
/// up to `max_iterations` iterations, stopping early once it falls below `target` (or once the
/// density stops changing: a fixed point), and whether it reached `target`.
///
/// `lambda` and `rho` are the edge-perspective degree distributions, `(degree, fraction)` pairs
/// for variable and check nodes; fractions are normalized to sum to one, repeated degrees are
/// merged and zero degrees ignored (an empty distribution leaves the channel's `p`). The error
/// probability counts a zero LLR as half an error. `p <= 0` decodes at once, `p >= 1/2` never.
/// Within 0.02 of 1/2 the grid step follows the channel LLR below 0.1, and DE slows down.
pub fn evolve(lambda: &[(u32, f64)], rho: &[(u32, f64)], p: f64, max_iterations: usize, target: f64) -> (bool, f64) {
    let run = run(lambda, rho, p, max_iterations, target, STEP);
    (run.converged, run.error)
}

/// The BSC threshold of the ensemble (`lambda`, `rho` as for [`evolve`]): the largest crossover
/// probability at which density evolution drives the error probability below `1e-7` within
/// 5000 iterations, by bisection on `[0, 1/2]` to `1e-5`. Returns the bracket's lower end, a
/// crossover at which DE was seen to converge (0 if none was).
///
/// Where the stability condition `lambda_2 rho'(1) 2 sqrt(p (1-p)) < 1` fails (Richardson,
/// Shokrollahi & Urbanke 2001), DE cannot reach zero but can still stall below `1e-7`: that
/// counts as convergence here, as it evidently did for the published tables (Elkouss et al.'s
/// rate-0.75 row, threshold 0.0392, is unstable from 0.0378 on). Check stability separately
/// where it matters.
pub fn threshold(lambda: &[(u32, f64)], rho: &[(u32, f64)]) -> f64 {
    bisect(|p| evolve(lambda, rho, p, THRESHOLD_ITERATIONS, THRESHOLD_TARGET).0)
}

/// The lower end of a bracket of width [`THRESHOLD_TOLERANCE`] on the edge between crossover
/// probabilities where `converges` holds and, above, where it does not.
fn bisect(converges: impl Fn(f64) -> bool) -> f64 {
    let (mut lo, mut hi) = (0.0, 0.5);
    while hi - lo > THRESHOLD_TOLERANCE {
        let mid = 0.5 * (lo + hi);
        if converges(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// How a DE run ended.
struct Run {
    converged: bool,
    error: f64,
}

/// [`evolve`] on a grid of about `step`.
fn run(lambda: &[(u32, f64)], rho: &[(u32, f64)], p: f64, max_iterations: usize, target: f64, step: f64) -> Run {
    if p.is_nan() || p >= 0.5 {
        return Run { converged: false, error: 0.5 };
    }
    if p <= 0.0 {
        return Run { converged: true, error: 0.0 };
    }
    let (lambda, rho) = (exponents(lambda), exponents(rho));
    if lambda.is_empty() || rho.is_empty() {
        return Run { converged: p < target, error: p };
    }
    let grid = Grid::new(p, step);
    let mut variable = VariableNode::new(&grid, p);
    let mut check = CheckNode::new(&grid);

    let mut message = grid.channel(p); // iteration 0: the channel's LLR
    let mut error = p;
    for _ in 0..max_iterations {
        if error < target {
            return Run { converged: true, error };
        }
        // Normalized: rounding errors in the total mass would grow by the degrees.
        let to_variable = check.evolve(&message.to_signed(), &rho).to_llr().normalized();
        let next = variable.evolve(&to_variable, &lambda);
        let change: f64 = next.0.iter().zip(&message.0).map(|(a, b)| (a - b).abs()).sum();
        message = next;
        error = message.error_probability();
        if change < STALL * error {
            return Run { converged: false, error };
        }
    }
    Run { converged: error < target, error }
}

/// `(degree - 1, fraction)`, the terms of the polynomial `sum_i f_i x^(i-1)`: ascending,
/// merged, normalized, without zero degrees or fractions.
fn exponents(distribution: &[(u32, f64)]) -> Vec<(usize, f64)> {
    let mut terms: Vec<(usize, f64)> = Vec::new();
    for &(degree, fraction) in distribution {
        if degree == 0 || fraction <= 0.0 {
            continue;
        }
        let power = degree as usize - 1;
        match terms.iter_mut().find(|(e, _)| *e == power) {
            Some(term) => term.1 += fraction,
            None => terms.push((power, fraction)),
        }
    }
    terms.sort_by_key(|&(e, _)| e);
    let total: f64 = terms.iter().map(|&(_, f)| f).sum();
    terms.iter().map(|&(e, f)| (e, f / total)).collect()
}

/// The LLR grid `m * step`, `-k <= m <= k`, with the channel LLR at `m = channel`.
struct Grid {
    step: f64,
    k: usize,
    channel: usize,
}

impl Grid {
    /// The grid for BSC(`p`), `0 < p < 1/2`, with a step of about `step`.
    fn new(p: f64, step: f64) -> Self {
        let llr = ((1.0 - p) / p).ln();
        let channel = ((llr / step).round() as usize).max(1);
        let step = llr / channel as f64;
        let k = ((LLR_MAX / step).ceil() as usize).max(channel);
        Grid { step, k, channel }
    }

    /// The channel's LLR density: `+llr` with probability `1 - p`, `-llr` with `p`.
    fn channel(&self, p: f64) -> Llr {
        let mut values = vec![0.0; 2 * self.k + 1];
        values[self.k + self.channel] = 1.0 - p;
        values[self.k - self.channel] = p;
        Llr(values)
    }
}

/// Below this, probabilities (and their transforms) are taken as 0, so that products of two
/// stay normal floats: subnormal arithmetic is two orders of magnitude slower.
const TINY: f64 = 1e-150;

/// `x`, or 0 if it is smaller than [`TINY`] in magnitude.
fn flushed(x: f64) -> f64 {
    if x.abs() < TINY { 0.0 } else { x }
}

/// A density on the grid: `values[m + k]` is the probability of LLR `m * step`.
struct Llr(Vec<f64>);

impl Llr {
    /// Scaled to total probability 1.
    fn normalized(mut self) -> Self {
        let total: f64 = self.0.iter().sum();
        self.0.iter_mut().for_each(|v| *v /= total);
        self
    }

    /// Probability of a negative LLR, plus half that of zero.
    fn error_probability(&self) -> f64 {
        let k = self.0.len() / 2;
        self.0[..k].iter().sum::<f64>() + 0.5 * self.0[k]
    }

    /// The same density by magnitude, in sums and differences over the sign.
    fn to_signed(&self) -> Signed {
        let k = self.0.len() / 2;
        let (negative, positive) = (&self.0[..k], &self.0[k + 1..]);
        let mut sum = vec![self.0[k]];
        let mut diff = vec![0.0];
        for (p, n) in positive.iter().zip(negative.iter().rev()) {
            sum.push(flushed(p + n));
            diff.push(flushed(p - n));
        }
        Signed { sum, diff }
    }
}

/// A density by magnitude `m` (LLR `±m * step`): `sum[m]` is the probability of `+m` plus that
/// of `-m`, `diff[m]` the first minus the second (the Fourier transform over the sign group,
/// under which a check node's product of signs becomes a product). LLR 0 is all in `sum[0]`.
#[derive(Clone)]
struct Signed {
    sum: Vec<f64>,
    diff: Vec<f64>,
}

impl Signed {
    /// The same density on the grid.
    fn to_llr(&self) -> Llr {
        let k = self.sum.len() - 1;
        let mut values = vec![0.0; 2 * k + 1];
        values[k] = self.sum[0];
        for m in 1..=k {
            let (s, d) = (self.sum[m], self.diff[m]);
            values[k + m] = (0.5 * (s + d)).max(0.0);
            values[k - m] = (0.5 * (s - d)).max(0.0);
        }
        Llr(values)
    }
}

/// A node update as an algebra: the density of two independent messages combined, and sums of
/// (unnormalized) densities. [`polynomial`] builds `sum_j f_j X^j` from these.
trait Algebra {
    /// A (possibly unnormalized) density, or its transform.
    type Density;
    /// The density of the combination (sum at a variable node, `⊞` at a check node) of two
    /// independent messages with densities `a` and `b`.
    fn combine(&mut self, a: &Self::Density, b: &Self::Density) -> Self::Density;
    /// `into += c * x`.
    fn add_scaled(&self, into: &mut Self::Density, c: f64, x: &Self::Density);
    /// `into += c * identity`, the identity being the density of a message that changes nothing
    /// (LLR 0 at a variable node, +infinity, saturated, at a check node).
    fn add_identity(&self, into: &mut Self::Density, c: f64);
    /// The zero measure.
    fn zero(&self) -> Self::Density;
}

/// `sum_j f_j X^(e_j)` for `terms = [(e_j, f_j)]` with ascending `e_j`, powers under
/// [`Algebra::combine`], by Horner's rule: `X^(e_1) (f_1 + X^(e_2 - e_1) (f_2 + ...))`, each
/// power that this needs made once, by repeated squaring.
fn polynomial<A: Algebra>(algebra: &mut A, x: A::Density, terms: &[(usize, f64)]) -> A::Density {
    let mut powers: HashMap<usize, A::Density> = HashMap::new();
    powers.insert(1, x);
    // The accumulator is `measure + identity * weight`.
    let mut measure: Option<A::Density> = None;
    let mut weight = 0.0;
    for j in (0..terms.len()).rev() {
        weight += terms[j].1;
        let gap = terms[j].0 - if j > 0 { terms[j - 1].0 } else { 0 };
        if gap == 0 {
            continue;
        }
        make_power(algebra, &mut powers, gap);
        let xg = &powers[&gap];
        let mut next = match &measure {
            Some(m) => algebra.combine(m, xg),
            None => algebra.zero(),
        };
        algebra.add_scaled(&mut next, weight, xg);
        measure = Some(next);
        weight = 0.0;
    }
    let mut result = measure.unwrap_or_else(|| algebra.zero());
    if weight > 0.0 {
        algebra.add_identity(&mut result, weight);
    }
    result
}

/// Puts `X^n` (`n >= 1`) into `powers`, which holds `X^1`: `X^(n/2)` squared for even `n`,
/// `X^(n-1) X` for odd.
fn make_power<A: Algebra>(algebra: &mut A, powers: &mut HashMap<usize, A::Density>, n: usize) {
    if powers.contains_key(&n) {
        return;
    }
    let (a, b) = if n.is_multiple_of(2) { (n / 2, n / 2) } else { (n - 1, 1) };
    make_power(algebra, powers, a);
    let power = algebra.combine(&powers[&a], &powers[&b]);
    powers.insert(n, power);
}

/// `θW`: mass that the transform wraps around is scaled by `e^-ALIAS` or less.
const ALIAS: f64 = 36.0;

/// Variable-node update: the channel LLR plus `i - 1` check messages, averaged over `lambda`,
/// computed exactly (up to rounding) by one transform and one inverse, then saturated once.
///
/// A sum of up to `i - 1` messages reaches far beyond the grid, and a circular convolution
/// would wrap it back onto small LLRs. So densities are tilted, `f(s) e^(-θs)`, before the
/// transform and untilted after: tilting commutes with convolution, and mass that wraps by the
/// transform's span `W` (in LLR) comes back scaled by `e^(-θW) = e^-ALIAS`. The negative tail
/// wraps the other way and gains `e^(θW)`, but it is light, `f(-s) = e^-s f(s)` for these
/// consistent densities, and only its part below `-(W - max)` can land on the grid: with
/// `W >= max + 2 ALIAS`, that too arrives scaled by `e^-ALIAS` at most. The mass saturated at
/// `+max` is what the rest leaves of 1.
struct VariableNode {
    k: usize,
    forward: Arc<dyn RealToComplex<f64>>,
    inverse: Arc<dyn ComplexToReal<f64>>,
    time: Vec<f64>,
    scratch: Vec<Complex<f64>>,
    /// `e^(-θs)` at each transform index: LLR `s = m * step` at index `m` for `0 <= m <= k`,
    /// at `len + m` for `m < 0`.
    tilt: Vec<f64>,
    /// The tilted channel density, transformed.
    channel: Vec<Complex<f64>>,
}

impl VariableNode {
    /// The update for BSC(`p`) on `grid`.
    fn new(grid: &Grid, p: f64) -> Self {
        let k = grid.k;
        let len = fft_len(k + (2.0 * ALIAS / grid.step).ceil() as usize);
        let theta = ALIAS / (len as f64 * grid.step);
        let tilt = (0..len)
            .map(|n| {
                let m = if n <= k { n as f64 } else { n as f64 - len as f64 };
                (-theta * m * grid.step).exp()
            })
            .collect();
        let mut planner = RealFftPlanner::<f64>::new();
        let forward = planner.plan_fft_forward(len);
        let inverse = planner.plan_fft_inverse(len);
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        let mut node = VariableNode {
            k,
            time: forward.make_input_vec(),
            scratch: vec![Complex::default(); scratch_len],
            channel: Vec::new(),
            forward,
            inverse,
            tilt,
        };
        node.channel = node.transform(&grid.channel(p));
        node
    }

    /// The transform of the tilted density `q`.
    fn transform(&mut self, q: &Llr) -> Vec<Complex<f64>> {
        let (k, len) = (self.k, self.time.len());
        self.time.fill(0.0);
        for (i, &v) in q.0.iter().enumerate() {
            let n = if i >= k { i - k } else { len + i - k };
            self.time[n] = flushed(v * self.tilt[n]);
        }
        let mut spectrum = self.forward.make_output_vec();
        self.forward
            .process_with_scratch(&mut self.time, &mut spectrum, &mut self.scratch)
            .expect("buffers from the plan");
        spectrum.iter().map(|x| Complex::new(flushed(x.re), flushed(x.im))).collect()
    }

    /// The density of the next variable-to-check message, given the check-to-variable density
    /// `q` and `lambda` as `(i - 1, lambda_i)`.
    fn evolve(&mut self, q: &Llr, lambda: &[(usize, f64)]) -> Llr {
        let q = self.transform(q);
        let mut sum = polynomial(&mut Pointwise(q.len()), q, lambda);
        for (s, c) in sum.iter_mut().zip(&self.channel) {
            *s *= c;
        }
        // A real signal's transform is real at zero and at the Nyquist frequency.
        for end in [0, sum.len() - 1] {
            sum[end].im = 0.0;
        }
        self.inverse.process_with_scratch(&mut sum, &mut self.time, &mut self.scratch).expect("buffers from the plan");
        // Untilt; saturate below -k; put at +k what the rest leaves.
        let (k, len) = (self.k, self.time.len());
        let scale = 1.0 / len as f64;
        let mut values = vec![0.0; 2 * k + 1];
        for (n, (&v, &t)) in self.time.iter().zip(&self.tilt).enumerate() {
            let v = flushed((v * scale / t).max(0.0));
            if n < k {
                values[k + n] = v;
            } else if n > k {
                values[(k + n).saturating_sub(len)] += v;
            }
        }
        values[2 * k] = (1.0 - values.iter().sum::<f64>()).max(0.0);
        Llr(values)
    }
}

/// The smallest even length at least `min` with no prime factor above 5: fast to transform.
fn fft_len(min: usize) -> usize {
    let smooth = |mut n: usize| {
        for f in [2, 3, 5] {
            while n.is_multiple_of(f) {
                n /= f;
            }
        }
        n == 1
    };
    (min.max(2)..).find(|&n| n % 2 == 0 && smooth(n)).unwrap_or(min)
}

/// Transforms of densities (of length `.0`) under pointwise multiplication: convolution.
struct Pointwise(usize);

impl Algebra for Pointwise {
    type Density = Vec<Complex<f64>>;

    fn combine(&mut self, a: &Self::Density, b: &Self::Density) -> Self::Density {
        a.iter()
            .zip(b)
            .map(|(x, y)| {
                let z = x * y;
                Complex::new(flushed(z.re), flushed(z.im))
            })
            .collect()
    }

    fn add_scaled(&self, into: &mut Self::Density, c: f64, x: &Self::Density) {
        for (v, w) in into.iter_mut().zip(x) {
            *v += w * c;
        }
    }

    fn add_identity(&self, into: &mut Self::Density, c: f64) {
        // LLR 0, at index 0: its transform is 1 everywhere.
        for v in into.iter_mut() {
            v.re += c;
        }
    }

    fn zero(&self) -> Self::Density {
        vec![Complex::default(); self.0]
    }
}

/// Check-node update: `⊞` of LLRs, rounded to the grid, on [`Signed`] densities.
///
/// For magnitudes `a = i step <= b = j step` the result's magnitude is
/// `a - ln(1 + e^-(b-a)) + ln(1 + e^-(a+b))`, rounded to `r(i, j) <= i`: rising with `j`, from
/// about `i - ln 2 / step` at `j = i` to `i` a few units beyond, where it stays. So row `i` of
/// the table is a few runs of `j` with a common `r`, and a combination costs a few range sums
/// per magnitude. From `a` of a few units on, the last term is below a hundredth of a step and
/// is dropped: the runs then depend on `j - i` only, and those rows are done together, in loops
/// that vectorize.
struct CheckNode {
    k: usize,
    /// `(r, end)`: in row `i`, the `j` from the previous run's end (`i` for the first) to `end`
    /// (exclusive) combine with `i` to magnitude `r`. The last run ends at `k + 1`.
    runs: Vec<(u32, u32)>,
    /// Row `i` is `runs[start[i]..start[i + 1]]`, for `1 <= i < first_shifted`.
    start: Vec<usize>,
    /// The first row whose runs depend on `j - i` only.
    first_shifted: usize,
    /// The runs of those rows: `(i - r, from, from_a, to)`, offsets `j - i` from `from` to `to`
    /// (exclusive); `from_a` is `from` but for `j = i`, which pairs with itself only once. The
    /// last run reaches beyond the grid.
    shifted: Vec<(usize, usize, usize, usize)>,
}

impl CheckNode {
    fn new(grid: &Grid) -> Self {
        let (k, step) = (grid.k, grid.step);
        // Rounded magnitude of a ⊞ b for 0 < a = i step <= b = j step.
        let boxplus = |i: usize, j: usize| {
            let (a, b) = (i as f64 * step, j as f64 * step);
            let r = a + (-(a + b)).exp().ln_1p() - (-(b - a)).exp().ln_1p();
            ((r / step).round().max(0.0) as usize).min(i)
        };
        // From here on e^-(a+b) <= e^-2a < step / 100.
        let first_shifted = (((100.0 / step).ln() / 2.0 / step).ceil() as usize).clamp(1, k + 1);
        let mut runs = Vec::new();
        let mut start = vec![0, 0];
        for i in 1..first_shifted {
            let mut r = boxplus(i, i);
            for j in i + 1..=k {
                if r == i {
                    break;
                }
                let next = boxplus(i, j);
                if next != r {
                    runs.push((r as u32, j as u32));
                    r = next;
                }
            }
            runs.push((r as u32, k as u32 + 1));
            start.push(runs.len());
        }
        // Offsets d = j - i by the rounded drop i - r = ln(1 + e^-(d step)) / step.
        let drop = |d: usize| ((-(d as f64) * step).exp().ln_1p() / step).round() as usize;
        let mut shifted = Vec::new();
        let (mut from, mut c) = (0, drop(0));
        for d in 1.. {
            if c == 0 {
                break;
            }
            let next = drop(d);
            if next != c {
                shifted.push((c, from, from.max(1).min(d), d));
                (from, c) = (d, next);
            }
        }
        shifted.push((0, from, from.max(1), k + 1));
        CheckNode { k, runs, start, first_shifted, shifted }
    }

    /// The density of the `⊞` of `j - 1` messages of density `p`, averaged over `rho` (given
    /// as `(j - 1, rho_j)`).
    fn evolve(&mut self, p: &Signed, rho: &[(usize, f64)]) -> Signed {
        polynomial(self, p.clone(), rho)
    }
}

/// Prefix sums of `x` and `y` over magnitudes `1..`: `[m] = sum of x[1..m]`, for `m` up to
/// `len`, constant beyond the end of `x`.
fn prefix_sums(x: &[f64], y: &[f64], len: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut px, mut py) = (vec![0.0, 0.0], vec![0.0, 0.0]);
    let (mut sx, mut sy) = (0.0, 0.0);
    for (a, b) in x.iter().zip(y).skip(1) {
        sx += a;
        sy += b;
        px.push(sx);
        py.push(sy);
    }
    px.resize(len + 1, sx);
    py.resize(len + 1, sy);
    (px, py)
}

impl Algebra for CheckNode {
    type Density = Signed;

    fn combine(&mut self, a: &Signed, b: &Signed) -> Signed {
        let k = self.k;
        let (mut sum, mut diff) = (vec![0.0; k + 1], vec![0.0; k + 1]);
        // Over j up to 2k + 1, beyond the grid for the last run of the last rows.
        let len = 2 * k + 2;
        let (pas, pad) = prefix_sums(&a.sum, &a.diff, len);
        let b_prefix = (!std::ptr::eq(a, b)).then(|| prefix_sums(&b.sum, &b.diff, len));
        let (pbs, pbd) = b_prefix.as_ref().map_or((&pas, &pad), |(s, d)| (s, d));
        // An erasure (LLR 0) on either side gives an erasure.
        let (a0, b0) = (a.sum[0], b.sum[0]);
        sum[0] = a0 * (b0 + pbs[len]) + b0 * pas[len];
        // Magnitude i from a with j >= i from b, and the other way round without j = i twice:
        // the sign of the result is the product of signs, so sums and differences multiply.
        for i in 1..self.first_shifted {
            let (asi, adi, bsi, bdi) = (a.sum[i], a.diff[i], b.sum[i], b.diff[i]);
            let mut from = i;
            for &(r, to) in &self.runs[self.start[i]..self.start[i + 1]] {
                let (r, to) = (r as usize, to as usize);
                let from_a = from.max(i + 1).min(to);
                sum[r] += asi * (pbs[to] - pbs[from]) + bsi * (pas[to] - pas[from_a]);
                diff[r] += adi * (pbd[to] - pbd[from]) + bdi * (pad[to] - pad[from_a]);
                from = to;
            }
        }
        // The rows from first_shifted on, a run at a time.
        let (first, rows) = (self.first_shifted, k + 1 - self.first_shifted);
        for &(c, from, from_a, to) in &self.shifted {
            let (asi, adi) = (&a.sum[first..][..rows], &a.diff[first..][..rows]);
            let (bsi, bdi) = (&b.sum[first..][..rows], &b.diff[first..][..rows]);
            let (bs_from, bs_to) = (&pbs[first + from..][..rows], &pbs[first + to..][..rows]);
            let (bd_from, bd_to) = (&pbd[first + from..][..rows], &pbd[first + to..][..rows]);
            let (as_from, as_to) = (&pas[first + from_a..][..rows], &pas[first + to..][..rows]);
            let (ad_from, ad_to) = (&pad[first + from_a..][..rows], &pad[first + to..][..rows]);
            let (out_sum, out_diff) = (&mut sum[first - c..][..rows], &mut diff[first - c..][..rows]);
            for t in 0..rows {
                out_sum[t] += asi[t] * (bs_to[t] - bs_from[t]) + bsi[t] * (as_to[t] - as_from[t]);
                out_diff[t] += adi[t] * (bd_to[t] - bd_from[t]) + bdi[t] * (ad_to[t] - ad_from[t]);
            }
        }
        // Magnitude 0 has no sign.
        diff[0] = 0.0;
        sum.iter_mut().chain(&mut diff).for_each(|v| *v = flushed(*v));
        Signed { sum, diff }
    }

    fn add_scaled(&self, into: &mut Signed, c: f64, x: &Signed) {
        for (v, w) in into.sum.iter_mut().zip(&x.sum) {
            *v += c * w;
        }
        for (v, w) in into.diff.iter_mut().zip(&x.diff) {
            *v += c * w;
        }
    }

    fn add_identity(&self, into: &mut Signed, c: f64) {
        into.sum[self.k] += c;
        into.diff[self.k] += c;
    }

    fn zero(&self) -> Signed {
        Signed { sum: vec![0.0; self.k + 1], diff: vec![0.0; self.k + 1] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qkdlab::reconciliation::ldpc::distributions::{DISTRIBUTIONS, Distribution, PUBLISHED};

    /// The regular (3,6) ensemble: `lambda(x) = x^2`, `rho(x) = x^5`.
    const REGULAR_3_6: Distribution =
        Distribution { nominal_rate: 0.5, threshold: 0.084, lambda: &[(3, 1.0)], rho: &[(6, 1.0)] };

    /// Table I of Elkouss et al. (ISIT 2009), computed there by discretized DE too, then the
    /// other ensembles that the plan uses.
    fn tabulated() -> impl Iterator<Item = &'static Distribution> {
        PUBLISHED.iter().chain(DISTRIBUTIONS.into_iter().filter(|d| !PUBLISHED.contains(d)))
    }

    /// DE converges 2 % below `threshold` and fails 2 % above it.
    fn brackets(lambda: &[(u32, f64)], rho: &[(u32, f64)], threshold: f64) {
        let below = evolve(lambda, rho, 0.98 * threshold, THRESHOLD_ITERATIONS, THRESHOLD_TARGET);
        let above = evolve(lambda, rho, 1.02 * threshold, THRESHOLD_ITERATIONS, THRESHOLD_TARGET);
        assert!(below.0, "no convergence at {} (threshold {threshold}): {below:?}", 0.98 * threshold);
        assert!(!above.0, "convergence at {} (threshold {threshold}): {above:?}", 1.02 * threshold);
    }

    /// The BP threshold of the regular (3,6) ensemble on the BSC, 0.084 (Richardson & Urbanke,
    /// "Modern Coding Theory", ch. 4).
    #[test]
    fn regular_3_6_threshold_is_0_084() {
        brackets(REGULAR_3_6.lambda, REGULAR_3_6.rho, REGULAR_3_6.threshold);
    }

    #[test]
    fn tabulated_thresholds_within_two_percent() {
        for d in tabulated() {
            brackets(d.lambda, d.rho, d.threshold);
        }
    }

    #[test]
    fn densities_stay_normalized() {
        let d: &Distribution = &PUBLISHED[8];
        let p = 0.0105;
        let grid = Grid::new(p, STEP);
        let mut variable = VariableNode::new(&grid, p);
        let mut check = CheckNode::new(&grid);
        let (lambda, rho) = (exponents(d.lambda), exponents(d.rho));
        let mut message = grid.channel(p);
        for _ in 0..5 {
            let q = check.evolve(&message.to_signed(), &rho).to_llr();
            assert!((q.0.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            message = variable.evolve(&q.normalized(), &lambda);
            assert!((message.0.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn degenerate_channels_and_distributions() {
        let (lambda, rho) = (REGULAR_3_6.lambda, REGULAR_3_6.rho);
        assert_eq!(evolve(lambda, rho, 0.0, 10, 1e-7), (true, 0.0));
        assert_eq!(evolve(lambda, rho, 0.5, 10, 1e-7), (false, 0.5));
        assert_eq!(evolve(lambda, rho, 0.05, 0, 1e-7), (false, 0.05));
        // Unnormalized, repeated and zero entries change nothing.
        let messy = [(3, 0.25), (0, 1.0), (3, 0.25), (7, 0.0)];
        assert_eq!(evolve(&messy, rho, 0.08, 100, 1e-7), evolve(lambda, rho, 0.08, 100, 1e-7));
    }

    /// The full bisection for every tabulated ensemble, printed: a few seconds each, slow in
    /// debug builds. Run with
    /// `cargo test --release --example ldpc_design -- --ignored --nocapture thresholds`.
    #[test]
    #[ignore]
    fn thresholds() {
        for d in [&REGULAR_3_6].into_iter().chain(tabulated()) {
            let t = threshold(d.lambda, d.rho);
            println!("rate {:.2}, rho {:?}: {t:.5} (tabulated {})", d.nominal_rate, d.rho, d.threshold);
            assert!((t / d.threshold - 1.0).abs() < 0.02);
        }
    }

    /// Thresholds on grids of step 0.1, 0.05 and 0.025 agree: the quantization hardly moves
    /// them. Slow (minutes); run with
    /// `cargo test --release --example ldpc_design -- --ignored --nocapture grid_refinement`.
    #[test]
    #[ignore]
    fn grid_refinement() {
        for d in [&REGULAR_3_6].into_iter().chain(tabulated()) {
            let t = [0.1, 0.05, 0.025].map(|step| {
                bisect(|p| run(d.lambda, d.rho, p, THRESHOLD_ITERATIONS, THRESHOLD_TARGET, step).converged)
            });
            println!(
                "rate {:.2}, rho {:?}: step 0.1 {:.5}, 0.05 {:.5}, 0.025 {:.5}",
                d.nominal_rate, d.rho, t[0], t[1], t[2]
            );
            assert!((t[0] - t[2]).abs() < 3e-4 && (t[1] - t[2]).abs() < 1e-4);
        }
    }
}
