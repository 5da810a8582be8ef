//! Syndrome decoding by belief propagation.
//!
//! Sum-product in the log-likelihood domain (Richardson & Urbanke, "Modern Coding Theory",
//! 2008, sec. 4.1.4) with the check update written through Gallager's
//! `phi(x) = -ln tanh(x / 2)`, which is its own inverse: the message from a check to one of its
//! variables has magnitude `phi(sum_j phi(|t_j|) - phi(|t_i|))` and the sign of the product of
//! the other inputs, flipped when the check's syndrome bit is one (syndrome decoding as in
//! Liveris, Xiong & Georghiades, "Compression of binary sources with side information at the
//! decoder using LDPC codes", IEEE Comm. Letters 6, 2002).
//!
//! Fixed point: beliefs and messages are `i16` in units of 1/16 (log-likelihood ratios up to
//! 2047), `phi` values `u32` in units of 1/4096, and `phi` in either direction is a small
//! table (160 and 4,260 entries) indexed by the integer itself. Quantized sum-product of this
//! kind (about 6 to 8 bits per message) is the usual hardware decoder and loses little against
//! floating point (Zhang, Wang & Parhi, "On finite precision implementation of low density
//! parity check codes decoder", ISCAS 2001); the largest check-to-variable message is about 8.
//!
//! Schedule: checks are processed one at a time, each using the newest variable beliefs (the
//! layered schedule of Hocevar, "A reduced complexity decoder architecture via layered decoding
//! of LDPC codes", SiPS 2004), which converges in about half the iterations of flooding.
//!
//! Codes lifted from a base graph (65,536 bits and more, [`super::lift`]) are decoded
//! by [`super::layered`], the same update on whole base rows of `Z` checks at once; what
//! follows is the decoder for unstructured codes.
//!
//! Layout, for speed (plain code that also suits wasm32): known variables (shortened or
//! revealed) are folded into the syndrome once, so the hot loop only sees unknown ones; the
//! edges are stored by check (variable indices and last check-to-variable messages, two flat
//! arrays walked sequentially), and the beliefs are one dense array, gathered and scattered
//! through the variable index with a power-of-two mask (no bounds check). Each check's update
//! is a few short loops, so that the arithmetic runs on vectors of edges; signs are combined
//! with bit operations rather than branches. The random gathers and scatters of beliefs bound
//! its speed (about 4 ns an edge here).
//!
//! Stopping: while processing a check the decoder also XORs the hard decisions of its
//! variables (as they stand just before the check's update). Only when a whole pass finds every
//! check satisfied that way is the exact syndrome of the current hard decisions computed; the
//! decoder stops when it matches, after `max_iterations` at most, and as soon as [`STALL`]
//! passes in a row brought no new low in violated checks.

use std::sync::OnceLock;

use super::code::LdpcCode;
use crate::bits::BitVec;

/// Fixed-point scale of beliefs and messages: 16 units per unit of log-likelihood ratio.
pub(super) const LLR_SCALE: f32 = 16.0;

/// Fixed-point scale of `phi` values: 4096 units per unit.
const PHI_SCALE: f64 = 4096.0;

/// Entries of the forward table: `phi(k / 16)` is below half a unit from `k = 156` on.
pub(super) const FORWARD_LEN: usize = 160;

/// The inverse table is indexed by a `phi` sum shifted right by this much (steps of 1/1024).
pub(super) const INVERSE_SHIFT: u32 = 2;

/// Entries of the inverse table: from `4260 << 2` units (`phi` sum above 4.16) on, the
/// message is below half a unit.
pub(super) const INVERSE_LEN: usize = 4260;

/// Lengths the two tables are padded to (with zeros never read), so an index masked to them
/// is in bounds without a check.
pub(super) const FORWARD_PADDED: usize = FORWARD_LEN.next_power_of_two();
pub(super) const INVERSE_PADDED: usize = INVERSE_LEN.next_power_of_two();

/// Largest channel belief in fixed point (a log-likelihood ratio of 512, beyond any use).
pub(super) const CHANNEL_MAX: f32 = 8191.0;

/// Largest variable degree decoded. A belief is exactly its channel value plus the current
/// messages of its checks (integer arithmetic, no rounding), so it stays within
/// `8191 + 184 * 133 < 2^15` and the hot loop needs no saturation.
pub const MAX_VAR_DEGREE: u32 = 184;

/// A decoding attempt is abandoned when this many iterations in a row found no fewer violated
/// checks than the best pass so far: converging decoders improve steadily, and a frame that
/// stalls costs Bob only this much before he asks for punctured bits.
pub const STALL: u32 = 20;

/// What the decoder returns: its best word and whether that word has Alice's syndrome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The code word estimate (all `n` variables, known ones included).
    pub word: BitVec,
    /// `H word` equals the target syndrome. A failure is never reported as a success.
    pub success: bool,
    /// Iterations run (0 when the channel word already satisfied every check).
    pub iterations: u32,
}

/// Decodes: finds the word closest (by belief propagation) to the channel beliefs `llr` whose
/// syndrome is `syndrome`. `llr[v]` is `ln P(x_v = 0) / P(x_v = 1)`; an infinite value marks a
/// bit known for certain (shortened or revealed), `0` a punctured bit. Panics if the lengths do
/// not match the code (a local invariant: the parties check peer data before calling) or if a
/// variable of an unstructured code has more than [`MAX_VAR_DEGREE`] checks (the published
/// ensembles stop at 73; lifted codes keep 32-bit beliefs and have no such limit).
pub fn decode(code: &LdpcCode, syndrome: &BitVec, llr: &[f32], max_iterations: u32) -> Decoded {
    assert_eq!(llr.len(), code.len(), "one belief per variable");
    assert_eq!(syndrome.len(), code.checks(), "one syndrome bit per check");
    if let Some(lifting) = code.lifting() {
        return super::layered::decode(code, lifting, syndrome, llr, max_iterations);
    }
    let mut g = Reduced::new(code, syndrome, llr);
    let tables = tables();
    let max_degree = g.starts.windows(2).map(|w| (w[1] - w[0]) as usize).max().unwrap_or(0);
    let mut scratch = Scratch::new(max_degree);
    let iterations = run_passes(&mut g, max_iterations, Reduced::satisfied, |g| g.iterate(tables, &mut scratch));
    let word = g.word(llr);
    let success = code.syndrome(&word) == *syndrome;
    Decoded { word, success, iterations }
}

/// The stopping rule both decoders share (see the module documentation): runs `pass` on
/// `state` until a pass finds every check satisfied and `satisfied` confirms it, or after
/// `max_iterations`, or after [`STALL`] passes without a new low of violated checks. Returns
/// the passes run.
pub(super) fn run_passes<S>(
    state: &mut S,
    max_iterations: u32,
    satisfied: impl Fn(&S) -> bool,
    mut pass: impl FnMut(&mut S) -> usize,
) -> u32 {
    let mut iterations = 0;
    let mut done = satisfied(state);
    let (mut best, mut best_at) = (usize::MAX, 0);
    while !done && iterations < max_iterations && iterations - best_at < STALL {
        let unsatisfied = pass(state);
        iterations += 1;
        if unsatisfied < best {
            (best, best_at) = (unsatisfied, iterations);
        }
        done = unsatisfied == 0 && satisfied(state);
    }
    iterations
}

/// The graph on the unknown variables only: known bits are folded into the syndrome, checks
/// left without unknown variables are dropped (the final syndrome comparison still sees them).
struct Reduced {
    /// Per check, where its edges start in `vars` and `msgs` (and one past the last).
    starts: Vec<u32>,
    /// Per edge, in check order: the unknown variable.
    vars: Vec<u32>,
    /// Per edge: the last check-to-variable message (fixed point, at most 133 in magnitude).
    msgs: Vec<i16>,
    /// Per check: the target parity of its unknown variables, as a sign bit (`-1` or `0`).
    flip: Vec<i32>,
    /// Per unknown variable: its current total belief (fixed point), padded to a power of two.
    belief: Vec<i16>,
    /// Unknown variable index -> code variable.
    unknown: Vec<u32>,
}

/// Per-check working arrays, one entry per edge of the largest check.
struct Scratch {
    /// Variable-to-check messages.
    t: Vec<i32>,
    /// Table indices, then `phi` values, then message magnitudes.
    x: Vec<i32>,
}

impl Scratch {
    fn new(degree: usize) -> Self {
        Self { t: vec![0; degree], x: vec![0; degree] }
    }
}

impl Reduced {
    fn new(code: &LdpcCode, syndrome: &BitVec, llr: &[f32]) -> Self {
        let mut index = vec![u32::MAX; code.len()];
        let mut unknown = Vec::with_capacity(code.len());
        let mut belief = Vec::with_capacity(code.len());
        for (v, &l) in llr.iter().enumerate() {
            if l.is_finite() {
                index[v] = unknown.len() as u32;
                unknown.push(v as u32);
                // Saturating conversion; never 0 for a nonzero belief, so its sign survives.
                let q = (l * LLR_SCALE).round().clamp(-CHANNEL_MAX, CHANNEL_MAX) as i16;
                belief.push(if q == 0 && l != 0.0 { if l < 0.0 { -1 } else { 1 } } else { q });
            }
        }
        let mut starts = Vec::with_capacity(code.checks() + 1);
        let mut vars = Vec::with_capacity(code.edges());
        let mut flip = Vec::with_capacity(code.checks());
        let mut degree = vec![0u32; unknown.len()];
        starts.push(0);
        for c in 0..code.checks() {
            let mut parity = syndrome.get(c);
            let before = vars.len();
            for &v in code.check(c) {
                match index[v as usize] {
                    u32::MAX => parity ^= llr[v as usize] < 0.0,
                    i => {
                        vars.push(i);
                        degree[i as usize] += 1;
                    }
                }
            }
            if vars.len() > before {
                flip.push(-i32::from(parity));
                starts.push(vars.len() as u32);
            }
        }
        // A power-of-two length lets the hot loop index with a mask, which the compiler knows
        // to be in bounds; the padding is never read.
        belief.resize(belief.len().next_power_of_two(), 0);
        assert!(
            degree.iter().all(|&d| d <= MAX_VAR_DEGREE),
            "variable degree above {MAX_VAR_DEGREE}: fixed-point beliefs could overflow"
        );
        let msgs = vec![0; vars.len()];
        Self { starts, vars, msgs, flip, belief, unknown }
    }

    /// Whether the hard decisions satisfy every (kept) check.
    fn satisfied(&self) -> bool {
        self.starts.windows(2).zip(&self.flip).all(|(w, &f)| {
            let vars = &self.vars[w[0] as usize..w[1] as usize];
            vars.iter().fold(f, |p, &v| p ^ i32::from(self.belief[v as usize])) >= 0
        })
    }

    /// One layered pass over all checks; returns how many checks the hard decisions violated
    /// when each was processed. Each check's update is split into short loops so the
    /// arithmetic runs on vectors of edges and only the table lookups and the belief gather and
    /// scatter stay scalar (each a loop of a load and a store).
    fn iterate(&mut self, tables: &Tables, scratch: &mut Scratch) -> usize {
        let mut unsatisfied = 0;
        let mask = self.belief.len() - 1;
        let belief = &mut self.belief[..=mask];
        let forward = &tables.forward;
        let inverse = &tables.inverse;
        for (w, &flip) in self.starts.windows(2).zip(&self.flip) {
            let (a, b) = (w[0] as usize, w[1] as usize);
            let vars = &self.vars[a..b];
            let msgs = &mut self.msgs[a..b];
            let t = &mut scratch.t[..vars.len()];
            let x = &mut scratch.x[..vars.len()];
            // The current beliefs.
            for (t, &v) in t.iter_mut().zip(vars) {
                *t = i32::from(belief[v as usize & mask]);
            }
            // Hard decisions as they stand, variable-to-check messages, their signs and table
            // indices.
            let (mut hard, mut sign) = (flip, flip);
            for ((t, x), &m) in t.iter_mut().zip(x.iter_mut()).zip(msgs.iter()) {
                hard ^= *t;
                *t -= i32::from(m);
                sign ^= *t;
                *x = t.abs().min(FORWARD_LEN as i32 - 1);
            }
            unsatisfied += usize::from(hard < 0);
            for x in x.iter_mut() {
                *x = i32::from(forward[*x as usize & (FORWARD_PADDED - 1)]);
            }
            let sum: i32 = x.iter().sum();
            for x in x.iter_mut() {
                *x = ((sum - *x) >> INVERSE_SHIFT).min(INVERSE_LEN as i32 - 1);
            }
            for x in x.iter_mut() {
                *x = i32::from(inverse[*x as usize & (INVERSE_PADDED - 1)]);
            }
            // The product of the other signs: the full product times this input's sign. The
            // new belief is the input plus the new message (in range: see MAX_VAR_DEGREE).
            for ((t, &magnitude), m) in t.iter_mut().zip(x.iter()).zip(msgs.iter_mut()) {
                let negative = (sign ^ *t) >> 31;
                let out = (magnitude ^ negative) - negative;
                *m = out as i16;
                *t += out;
            }
            for (&t, &v) in t.iter().zip(vars) {
                belief[v as usize & mask] = t as i16;
            }
        }
        unsatisfied
    }

    /// The full word: known bits from `llr`'s sign, the rest from the beliefs.
    fn word(&self, llr: &[f32]) -> BitVec {
        let mut word = BitVec::zeros(llr.len());
        for (v, &l) in llr.iter().enumerate() {
            if l.is_infinite() && l < 0.0 {
                word.set(v, true);
            }
        }
        for (&v, &b) in self.unknown.iter().zip(&self.belief) {
            if b < 0 {
                word.set(v as usize, true);
            }
        }
        word
    }
}

/// The two `phi` tables.
pub(super) struct Tables {
    /// `forward[k]`: `phi(k / 16)` in units of 1/4096 (`k = 0` uses 1/32, the middle of the
    /// first step, where `phi` is infinite at the origin).
    pub(super) forward: [u16; FORWARD_PADDED],
    /// `inverse[j]`: `phi` at the middle of the `phi`-sum step `j` (width `4 / 4096`), in units
    /// of 1/16.
    pub(super) inverse: [u16; INVERSE_PADDED],
}

fn phi(x: f64) -> f64 {
    -(x / 2.0).tanh().ln()
}

pub(super) fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut forward = [0u16; FORWARD_PADDED];
        for (k, e) in forward.iter_mut().enumerate().take(FORWARD_LEN) {
            let x = if k == 0 { 0.5 } else { k as f64 } / f64::from(LLR_SCALE);
            *e = (phi(x) * PHI_SCALE).round().min(f64::from(u16::MAX)) as u16;
        }
        let mut inverse = [0u16; INVERSE_PADDED];
        let step = f64::from(1u32 << INVERSE_SHIFT) / PHI_SCALE;
        for (j, e) in inverse.iter_mut().enumerate().take(INVERSE_LEN) {
            let y = (j as f64 + 0.5) * step;
            *e = (phi(y) * f64::from(LLR_SCALE)).round().min(f64::from(u16::MAX)) as u16;
        }
        inverse[INVERSE_LEN - 1] = 0;
        Tables { forward, inverse }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phi_tables_invert_each_other() {
        let t = tables();
        assert!(t.forward.windows(2).all(|w| w[0] >= w[1]));
        assert!(t.inverse.windows(2).all(|w| w[0] >= w[1]));
        // phi is its own inverse: a message of a check of degree 2 reproduces its input, within
        // the quantization (1/16, and a few percent where phi is steep).
        for k in 4..120usize {
            let back = i32::from(t.inverse[(usize::from(t.forward[k]) >> INVERSE_SHIFT).min(INVERSE_LEN - 1)]);
            let k = k as i32;
            assert!((back - k).abs() <= 1 + k / 16, "phi(phi({k})) = {back}");
        }
    }
}
