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
//! Layout, for speed (plain scalar code that also suits wasm32): known variables (shortened or
//! revealed) are folded into the syndrome once, so the hot loop only sees unknown ones; the
//! edges are stored by check as one flat array of 32-bit words (the variable index and the
//! last check-to-variable message) walked sequentially, and the beliefs are one dense array,
//! gathered and scattered through the variable index with a power-of-two mask (no bounds
//! check). Signs are combined with bit operations rather than branches.
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
const LLR_SCALE: f32 = 16.0;

/// Fixed-point scale of `phi` values: 4096 units per unit.
const PHI_SCALE: f64 = 4096.0;

/// Entries of the forward table: `phi(k / 16)` is below half a unit from `k = 156` on.
const FORWARD_LEN: usize = 160;

/// The inverse table is indexed by a `phi` sum shifted right by this much (steps of 1/1024).
const INVERSE_SHIFT: u32 = 2;

/// Entries of the inverse table: from `4260 << 2` units (`phi` sum above 4.16) on, the
/// message is below half a unit.
const INVERSE_LEN: usize = 4260;

/// Bits of an edge word that hold the variable (codes up to 2^23 bits, far above any frame);
/// the rest hold the message.
const VAR_BITS: u32 = 23;
/// The variable part of an edge word.
const VAR_MASK: u32 = (1 << VAR_BITS) - 1;

/// Largest channel belief in fixed point (a log-likelihood ratio of 512, beyond any use).
const CHANNEL_MAX: f32 = 8191.0;

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
/// variable has more than [`MAX_VAR_DEGREE`] checks (the published ensembles stop at 73).
pub fn decode(code: &LdpcCode, syndrome: &BitVec, llr: &[f32], max_iterations: u32) -> Decoded {
    assert_eq!(llr.len(), code.len(), "one belief per variable");
    assert_eq!(syndrome.len(), code.checks(), "one syndrome bit per check");
    assert!(code.len() <= 1 << VAR_BITS, "code too long for the edge layout");
    let mut g = Reduced::new(code, syndrome, llr);
    let tables = tables();
    let mut iterations = 0;
    let max_degree = g.starts.windows(2).map(|w| (w[1] - w[0]) as usize).max().unwrap_or(0);
    let mut scratch = vec![(0i32, 0u32); max_degree];
    let mut done = g.satisfied();
    let (mut best, mut best_at) = (usize::MAX, 0);
    while !done && iterations < max_iterations && iterations - best_at < STALL {
        let unsatisfied = g.iterate(tables, &mut scratch);
        iterations += 1;
        if unsatisfied < best {
            (best, best_at) = (unsatisfied, iterations);
        }
        done = unsatisfied == 0 && g.satisfied();
    }
    let word = g.word(llr);
    let success = code.syndrome(&word) == *syndrome;
    Decoded { word, success, iterations }
}

/// The graph on the unknown variables only: known bits are folded into the syndrome, checks
/// left without unknown variables are dropped (the final syndrome comparison still sees them).
struct Reduced {
    /// Per check, where its edges start in `edges` (and one past the last).
    starts: Vec<u32>,
    /// Per edge, in check order: the unknown variable in the low [`VAR_BITS`] bits and the last
    /// check-to-variable message (fixed point, at most 133 in magnitude) in the 9 high bits, so
    /// one sequential stream carries both.
    edges: Vec<u32>,
    /// Per check: the target parity of its unknown variables, as a sign bit (`-1` or `0`).
    flip: Vec<i32>,
    /// Per unknown variable: its current total belief (fixed point), padded to a power of two.
    belief: Vec<i16>,
    /// Unknown variable index -> code variable.
    unknown: Vec<u32>,
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
        let mut edges = Vec::with_capacity(code.edges());
        let mut flip = Vec::with_capacity(code.checks());
        let mut degree = vec![0u32; unknown.len()];
        starts.push(0);
        for c in 0..code.checks() {
            let mut parity = syndrome.get(c);
            let before = edges.len();
            for &v in code.check(c) {
                match index[v as usize] {
                    u32::MAX => parity ^= llr[v as usize] < 0.0,
                    i => {
                        edges.push(i);
                        degree[i as usize] += 1;
                    }
                }
            }
            if edges.len() > before {
                flip.push(-i32::from(parity));
                starts.push(edges.len() as u32);
            }
        }
        // A power-of-two length lets the hot loop index with a mask, which the compiler knows
        // to be in bounds; the padding is never read.
        belief.resize(belief.len().next_power_of_two(), 0);
        assert!(
            degree.iter().all(|&d| d <= MAX_VAR_DEGREE),
            "variable degree above {MAX_VAR_DEGREE}: fixed-point beliefs could overflow"
        );
        Self { starts, edges, flip, belief, unknown }
    }

    /// Whether the hard decisions satisfy every (kept) check.
    fn satisfied(&self) -> bool {
        self.starts.windows(2).zip(&self.flip).all(|(w, &f)| {
            let edges = &self.edges[w[0] as usize..w[1] as usize];
            edges.iter().fold(f, |p, &e| p ^ i32::from(self.belief[(e & VAR_MASK) as usize])) >= 0
        })
    }

    /// One layered pass over all checks; returns how many checks the hard decisions violated
    /// when each was processed. `scratch` holds, per edge of the current check, the
    /// variable-to-check message and its `phi`.
    fn iterate(&mut self, tables: &Tables, scratch: &mut [(i32, u32)]) -> usize {
        let mut unsatisfied = 0;
        let mask = self.belief.len() - 1;
        let belief = &mut self.belief[..=mask];
        let forward = &tables.forward;
        let inverse = &tables.inverse;
        for (w, &flip) in self.starts.windows(2).zip(&self.flip) {
            let (a, b) = (w[0] as usize, w[1] as usize);
            let edges = &mut self.edges[a..b];
            let scratch = &mut scratch[..edges.len()];
            let mut sign = flip;
            let mut hard = flip;
            let mut sum = 0u32;
            for (&e, s) in edges.iter().zip(scratch.iter_mut()) {
                let total = i32::from(belief[e as usize & mask]);
                hard ^= total;
                let t = total - ((e as i32) >> VAR_BITS);
                sign ^= t;
                let ph = u32::from(forward[(t.unsigned_abs() as usize).min(FORWARD_LEN - 1)]);
                *s = (t, ph);
                sum += ph;
            }
            unsatisfied += usize::from(hard < 0);
            for (e, &(t, ph)) in edges.iter_mut().zip(scratch.iter()) {
                let magnitude = i32::from(inverse[(((sum - ph) >> INVERSE_SHIFT) as usize).min(INVERSE_LEN - 1)]);
                // The product of the other signs: the full product times this input's sign.
                let negative = (sign ^ t) >> 31;
                let out = (magnitude ^ negative) - negative;
                let v = *e & VAR_MASK;
                *e = ((out << VAR_BITS) as u32) | v;
                // In range: see MAX_VAR_DEGREE.
                belief[v as usize & mask] = (t + out) as i16;
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
struct Tables {
    /// `forward[k]`: `phi(k / 16)` in units of 1/4096 (`k = 0` uses 1/32, the middle of the
    /// first step, where `phi` is infinite at the origin).
    forward: [u16; FORWARD_LEN],
    /// `inverse[j]`: `phi` at the middle of the `phi`-sum step `j` (width `4 / 4096`), in units
    /// of 1/16.
    inverse: [u16; INVERSE_LEN],
}

fn phi(x: f64) -> f64 {
    -(x / 2.0).tanh().ln()
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut forward = [0u16; FORWARD_LEN];
        for (k, e) in forward.iter_mut().enumerate() {
            let x = if k == 0 { 0.5 } else { k as f64 } / f64::from(LLR_SCALE);
            *e = (phi(x) * PHI_SCALE).round().min(f64::from(u16::MAX)) as u16;
        }
        let mut inverse = [0u16; INVERSE_LEN];
        let step = f64::from(1u32 << INVERSE_SHIFT) / PHI_SCALE;
        for (j, e) in inverse.iter_mut().enumerate() {
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
