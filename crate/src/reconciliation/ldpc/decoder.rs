//! Syndrome decoding by belief propagation.
//!
//! Sum-product in the log-likelihood domain (Richardson & Urbanke, "Modern Coding Theory",
//! 2008, sec. 4.1.4) with the check update written through Gallager's
//! `phi(x) = -ln tanh(x / 2)`, which is its own inverse: the message from a check to one of its
//! variables has magnitude `phi(sum_j phi(|t_j|) - phi(|t_i|))` and the sign of the product of
//! the other inputs, flipped when the check's syndrome bit is one (syndrome decoding as in
//! Liveris, Xiong & Georghiades, "Compression of binary sources with side information at the
//! decoder using LDPC codes", IEEE Comm. Letters 6, 2002). `phi` is a table lookup.
//!
//! Schedule: checks are processed one at a time, each using the newest variable beliefs (the
//! layered schedule of Hocevar, "A reduced complexity decoder architecture via layered decoding
//! of LDPC codes", SiPS 2004), which converges in about half the iterations of flooding.
//!
//! Layout, for speed (about 2 ns per edge and iteration natively, plain scalar code that also
//! suits wasm32): known variables (shortened or revealed) are folded into the syndrome once, so
//! the hot loop only sees unknown ones; the edges are stored by check as two flat arrays (the
//! variable index and the last check-to-variable message) walked sequentially, and the beliefs
//! are one dense `f32` array gathered and scattered through the variable index. Signs are
//! combined with bit operations rather than branches.
//!
//! Stopping: while processing a check the decoder also XORs the hard decisions of its
//! variables (as they stand just before the check's update). Only when a whole pass finds every
//! check satisfied that way is the exact syndrome of the current hard decisions computed; the
//! decoder stops when it matches, after `max_iterations` at most, and as soon as [`STALL`]
//! passes in a row brought no new low in violated checks.

use std::sync::OnceLock;

use super::code::LdpcCode;
use crate::bits::BitVec;

/// The `phi` table is indexed by the top bits of an `f32` (exponent and 6 mantissa bits), so
/// its steps are logarithmic: 64 per octave (1 % relative), from 2^-24 (below which `phi` is
/// capped at about 17) to 2^5 (above which `phi` is below 1e-13, taken as 0).
const PHI_SHIFT: u32 = 17;
const PHI_FIRST: u32 = (127 - 24) << (23 - PHI_SHIFT);
const PHI_LEN: usize = (29 << (23 - PHI_SHIFT)) + 1;

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
/// not match the code (a local invariant: the parties check peer data before calling).
pub fn decode(code: &LdpcCode, syndrome: &BitVec, llr: &[f32], max_iterations: u32) -> Decoded {
    assert_eq!(llr.len(), code.len(), "one belief per variable");
    assert_eq!(syndrome.len(), code.checks(), "one syndrome bit per check");
    let mut g = Reduced::new(code, syndrome, llr);
    let table = phi_table();
    let mut iterations = 0;
    let max_degree = g.starts.windows(2).map(|w| (w[1] - w[0]) as usize).max().unwrap_or(0);
    let mut scratch = vec![(0f32, 0f32); max_degree];
    let mut done = g.satisfied();
    let (mut best, mut best_at) = (usize::MAX, 0);
    while !done && iterations < max_iterations && iterations - best_at < STALL {
        let unsatisfied = g.iterate(table, &mut scratch);
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
    /// Per check, where its edges start in `cols` and `msg` (and one past the last).
    starts: Vec<u32>,
    /// Per edge, in check order: the unknown variable.
    cols: Vec<u32>,
    /// Per check: the target parity of its unknown variables, as a sign bit (`1 << 31`).
    flip: Vec<u32>,
    /// Per unknown variable: its current total belief.
    belief: Vec<f32>,
    /// Per edge: the last check-to-variable message.
    msg: Vec<f32>,
    /// Unknown variable index -> code variable.
    unknown: Vec<u32>,
}

const SIGN: u32 = 1 << 31;

impl Reduced {
    fn new(code: &LdpcCode, syndrome: &BitVec, llr: &[f32]) -> Self {
        let mut index = vec![u32::MAX; code.len()];
        let mut unknown = Vec::with_capacity(code.len());
        let mut belief = Vec::with_capacity(code.len());
        for (v, &l) in llr.iter().enumerate() {
            if l.is_finite() {
                index[v] = unknown.len() as u32;
                unknown.push(v as u32);
                belief.push(l);
            }
        }
        let mut starts = Vec::with_capacity(code.checks() + 1);
        let mut cols = Vec::with_capacity(code.edges());
        let mut flip = Vec::with_capacity(code.checks());
        starts.push(0);
        for c in 0..code.checks() {
            let mut parity = syndrome.get(c);
            let before = cols.len();
            for &v in code.check(c) {
                match index[v as usize] {
                    u32::MAX => parity ^= llr[v as usize] < 0.0,
                    i => cols.push(i),
                }
            }
            if cols.len() > before {
                flip.push(if parity { SIGN } else { 0 });
                starts.push(cols.len() as u32);
            }
        }
        let msg = vec![0f32; cols.len()];
        // A power-of-two length lets the hot loop index with a mask, which the compiler knows
        // to be in bounds; the padding is never read.
        belief.resize(belief.len().next_power_of_two(), 0.0);
        Self { starts, cols, flip, belief, msg, unknown }
    }

    /// Whether the hard decisions satisfy every (kept) check.
    fn satisfied(&self) -> bool {
        self.starts.windows(2).zip(&self.flip).all(|(w, &f)| {
            let cols = &self.cols[w[0] as usize..w[1] as usize];
            cols.iter().fold(f, |p, &v| p ^ self.belief[v as usize].to_bits()) & SIGN == 0
        })
    }

    /// One layered pass over all checks; returns how many checks the hard decisions violated
    /// when each was processed. `scratch` holds, per edge of the current check, the
    /// variable-to-check message and its `phi`.
    fn iterate(&mut self, table: &[f32; PHI_LEN], scratch: &mut [(f32, f32)]) -> usize {
        let mut unsatisfied = 0;
        let mask = self.belief.len() - 1;
        let belief = &mut self.belief[..=mask];
        for (w, &flip) in self.starts.windows(2).zip(&self.flip) {
            let (a, b) = (w[0] as usize, w[1] as usize);
            let cols = &self.cols[a..b];
            let msg = &mut self.msg[a..b];
            let scratch = &mut scratch[..cols.len()];
            let mut sign = flip;
            let mut hard = flip;
            let mut sum = 0f32;
            for ((&v, &old), s) in cols.iter().zip(msg.iter()).zip(scratch.iter_mut()) {
                let total = belief[v as usize & mask];
                hard ^= total.to_bits();
                let t = total - old;
                sign ^= t.to_bits();
                let ph = phi(table, t);
                *s = (t, ph);
                sum += ph;
            }
            unsatisfied += (hard >> 31) as usize;
            let sign = sign & SIGN;
            for ((&v, m), &(t, ph)) in cols.iter().zip(msg.iter_mut()).zip(scratch.iter()) {
                let magnitude = phi(table, sum - ph);
                // The product of the other signs: the full product times this input's sign.
                let out = f32::from_bits(magnitude.to_bits() | ((sign ^ t.to_bits()) & SIGN));
                *m = out;
                belief[v as usize & mask] = t + out;
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
            if b < 0.0 {
                word.set(v as usize, true);
            }
        }
        word
    }
}

/// `phi(|x|)` by table. `|x|` also folds a tiny negative rounding residue of a difference of
/// sums back to where it belongs, near 0.
#[inline(always)]
fn phi(table: &[f32; PHI_LEN], x: f32) -> f32 {
    let k = (((x.to_bits() & !SIGN) >> PHI_SHIFT).saturating_sub(PHI_FIRST) as usize).min(PHI_LEN - 1);
    table[k]
}

/// `phi` at the geometric middle of each step; the last entry (arguments from 32 on, and NaN)
/// is 0.
fn phi_table() -> &'static [f32; PHI_LEN] {
    static TABLE: OnceLock<[f32; PHI_LEN]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [0f32; PHI_LEN];
        for (k, e) in t.iter_mut().enumerate().take(PHI_LEN - 1) {
            let lo = f32::from_bits((k as u32 + PHI_FIRST) << PHI_SHIFT) as f64;
            let hi = f32::from_bits((k as u32 + 1 + PHI_FIRST) << PHI_SHIFT) as f64;
            let x = (lo * hi).sqrt();
            *e = (-(x / 2.0).tanh().ln()) as f32;
        }
        t
    })
}
