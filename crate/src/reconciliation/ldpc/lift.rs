//! Quasi-cyclic mother codes: a small base graph drawn from the degree distribution, each of
//! its edges lifted to a `Z x Z` circulant permutation (the protograph construction of Thorpe,
//! "Low-density parity-check (LDPC) codes constructed from protographs", IPN Progress Report
//! 42-154, 2003, with random base graphs as in Richardson & Urbanke, "Modern Coding Theory",
//! 2008, sec. 3.3).
//!
//! Why: the `Z` checks of one base row touch disjoint variables, the same `Z`-blocks, each
//! read at one rotation. A layered decoder then updates a whole base row at once on contiguous
//! memory, in vectors of lanes, instead of gathering beliefs at random across the frame
//! ([`super::layered`]); the graph is still as random as the base graph and the shifts.
//!
//! Shifts are drawn at random, skipping every value that would close a 4-cycle with the edges
//! already shifted (when one is left: in the designed high-rate codes some edges have none): a base 4-cycle `(r, c), (r, c'), (r', c'), (r', c)` lifts to 4-cycles exactly
//! when `s(r, c) - s(r, c') + s(r', c') - s(r', c) = 0 (mod Z)` (Fossorier, "Quasi-cyclic
//! low-density parity-check codes from circulant permutation matrices", IEEE Trans. IT 50,
//! 2004, Theorem 2).

use rand::Rng;

use super::code::LdpcCode;
use super::distributions::Distribution;
use crate::bits::BitVec;
use crate::rng::Seed;

/// Circulant size. 32 lanes are four 256-bit vectors of 32-bit values, and a 10^5-bit code
/// still has about 3,100 base columns to draw a random base graph on (a larger `Z` measured no
/// faster, and would leave too few columns to follow the distribution).
pub const LIFT: usize = 32;

/// The quasi-cyclic structure of a code: base row `r`'s edges are
/// `blocks[row_starts[r]..row_starts[r + 1]]`, each `(c, s)`: check `r Z + k` holds variable
/// `c Z + (k + s) mod Z` for every lane `k < Z`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifting {
    /// Circulant size `Z`.
    pub z: usize,
    /// Per base row, where its edges start in `blocks` (and one past the last).
    pub row_starts: Vec<u32>,
    /// Per base edge, in row order: the column block and the shift.
    pub blocks: Vec<(u32, u32)>,
}

impl Lifting {
    /// The syndrome of `word` (a whole code word's length, `Z = 32`): per base row, the XOR of
    /// its edges' 32-bit blocks of `word`, each rotated by its shift, so one operation per base
    /// edge instead of one bit per edge (`LdpcCode::syndrome_by_rows` gives the same bits, a
    /// test holds).
    pub(super) fn syndrome(&self, word: &BitVec) -> BitVec {
        assert_eq!(self.z, 32, "32-bit blocks");
        // Bits are packed most significant first, two blocks to a word; in a block as a `u32`,
        // bit `j` of the block is at position `31 - j`, so lane `k`'s variable `(k + s) mod Z`
        // lands on lane `k` by a left rotation by `s`.
        let w = word.words();
        let block = |c: u32| (w[c as usize / 2] >> if c.is_multiple_of(2) { 32 } else { 0 }) as u32;
        let rows = self.row_starts.len() - 1;
        let mut out = vec![0u64; rows.div_ceil(2)];
        for (r, edges) in self.row_starts.windows(2).enumerate() {
            let parity = self.blocks[edges[0] as usize..edges[1] as usize]
                .iter()
                .fold(0u32, |p, &(c, s)| p ^ block(c).rotate_left(s));
            out[r / 2] |= u64::from(parity) << if r % 2 == 0 { 32 } else { 0 };
        }
        BitVec::from_words(out, rows * 32)
    }
}

/// Base checks for `nb` base columns: `round(nb (1 - R))`, at least one.
fn base_checks(nb: usize, dist: &Distribution) -> usize {
    ((nb as f64 * (1.0 - dist.design_rate())).round() as usize).max(1)
}

/// Fewest base columns lifted: degrees are apportioned over base columns, `Z` variables at a
/// time, so a smaller base graph follows the distribution more coarsely (at 2,048 columns each
/// `lambda_d` is within about 0.003 of the ensemble's). Lifting from 1,024 columns measured
/// slightly worse in whole sessions of 57,000-bit keys (30 rounds at 1 / 2 / 5 %: f 1.233 /
/// 1.199 / 1.127 against 1.216 / 1.194 / 1.123 unstructured, one or two more reveals each),
/// though 22 % faster.
pub const MIN_BASE_COLUMNS: usize = 2048;

/// The circulant size a code of length `n` from `dist` is lifted with, if any: `n` must be a
/// multiple of [`LIFT`] with at least [`MIN_BASE_COLUMNS`] base columns (mother codes of
/// 65,536 bits and more), and the base graph large enough that every variable degree fits twice over in
/// its rows and every check degree in its columns (otherwise the base graph would be too dense
/// to be random), and no variable degree above what the layered decoder's 16-bit beliefs
/// allow ([`super::layered::MAX_LIFTED_DEGREE`]). Other codes are drawn unstructured.
pub fn lifting(n: usize, dist: &Distribution) -> Option<usize> {
    if n == 0 || !n.is_multiple_of(LIFT) || n / LIFT < MIN_BASE_COLUMNS {
        return None;
    }
    let nb = n / LIFT;
    let max_var = dist.lambda.iter().map(|&(d, _)| d as usize).max().unwrap_or(0);
    let max_check = dist.rho.iter().map(|&(d, _)| d as usize).max().unwrap_or(0);
    let decodable = max_var as u32 <= super::layered::MAX_LIFTED_DEGREE;
    (decodable && base_checks(nb, dist) >= 2 * max_var && nb >= 2 * max_check).then_some(LIFT)
}

/// Checks of the lifted code of length `n` (a multiple of `z`).
pub fn lifted_checks(n: usize, z: usize, dist: &Distribution) -> usize {
    base_checks(n / z, dist) * z
}

/// Builds the quasi-cyclic code of length `n` from `dist`, lifted by `z` (see [`lifting`]).
pub fn build(n: usize, z: usize, dist: &Distribution, seed: &[u8; 32]) -> LdpcCode {
    let nb = n / z;
    let base = LdpcCode::build_random(nb, base_checks(nb, dist), dist, seed);
    let mb = base.checks();
    let mut rows_of: Vec<Vec<u32>> = vec![Vec::new(); nb];
    for r in 0..mb {
        for &c in base.check(r) {
            rows_of[c as usize].push(r as u32);
        }
    }
    let mut rng = Seed::from_bytes(*seed).rng(&format!("ldpc shifts {n} {z} {}", dist.nominal_rate));
    let mut shifts = Shifts { z, base: &base, shift: vec![UNSET; base.edges()] };
    let mut row_r = vec![0u32; nb];
    for r in 0..mb {
        shifts.mark_row(r, &mut row_r, true);
        for &c in base.check(r) {
            let forbidden = shifts.forbidden(&rows_of, r, c as usize, &row_r);
            let start = rng.next_u32() as usize % z;
            let s = (0..z).map(|i| (start + i) % z).find(|&v| forbidden & (1 << v) == 0).unwrap_or(start);
            shifts.set(r, c as usize, s);
        }
        shifts.mark_row(r, &mut row_r, false);
    }
    lengthen_degree2_cycles(&mut shifts, &rows_of, &mut row_r);
    let mut row_starts = Vec::with_capacity(mb + 1);
    let mut blocks = Vec::with_capacity(base.edges());
    row_starts.push(0);
    for r in 0..mb {
        blocks
            .extend(base.check(r).iter().map(|&c| (c, shifts.get(r, c as usize).expect("every edge shifted") as u32)));
        row_starts.push(blocks.len() as u32);
    }
    let lifting = Lifting { z, row_starts, blocks };
    // Each base row's columns ascend, and lane k's variable in column c lies in c's block, so
    // every lifted row comes out ascending.
    let (mut starts, mut vars) = (Vec::with_capacity(mb * z + 1), Vec::with_capacity(base.edges() * z));
    starts.push(0);
    for edges in lifting.row_starts.windows(2) {
        let edges = &lifting.blocks[edges[0] as usize..edges[1] as usize];
        debug_assert!(edges.windows(2).all(|w| w[0].0 < w[1].0));
        for k in 0..z as u32 {
            vars.extend(edges.iter().map(|&(c, s)| c * z as u32 + (k + s) % z as u32));
            starts.push(vars.len() as u32);
        }
    }
    LdpcCode::from_parts(n, starts, vars, Some(lifting))
}

/// A shift not drawn yet.
const UNSET: u8 = u8::MAX;

/// The shifts of the base edges, one per edge of the base graph (in its check order).
struct Shifts<'a> {
    z: usize,
    base: &'a LdpcCode,
    shift: Vec<u8>,
}

impl Shifts<'_> {
    /// The shift of the edge at `e` (an index in check order), if it has one yet.
    fn at(&self, e: usize) -> Option<usize> {
        let s = self.shift[e];
        (s != UNSET).then_some(usize::from(s))
    }

    /// The index of base edge `(r, c)`.
    fn edge(&self, r: usize, c: usize) -> usize {
        let i = self.base.check(r).binary_search(&(c as u32)).expect("a base edge");
        self.base.first_edge(r) + i
    }

    fn get(&self, r: usize, c: usize) -> Option<usize> {
        self.at(self.edge(r, c))
    }

    /// Sets (or, with [`UNSET`], clears) the shift of base edge `(r, c)`.
    fn set(&mut self, r: usize, c: usize, s: usize) {
        let e = self.edge(r, c);
        self.shift[e] = s as u8;
    }

    /// Bit `v`: shift `v` on base edge `(r, c)` would close a 4-cycle with the edges shifted
    /// so far. The base 4-cycles through `(r, c)` are the columns `c2` that row `r` shares with
    /// another row `r2` of column `c`; `row_r` maps each column to one more than its position
    /// in row `r` (0: not in it), so each of `r2`'s columns is looked up in constant time.
    fn forbidden(&self, rows_of: &[Vec<u32>], r: usize, c: usize, row_r: &[u32]) -> u64 {
        // Shifts add mod Z, a power of two: a mask, not a division, in the innermost loop.
        let mask = self.z - 1;
        debug_assert!(self.z.is_power_of_two() && self.z <= 64);
        let first = self.base.first_edge(r);
        let mut forbidden = 0u64;
        for &r2 in &rows_of[c] {
            let r2 = r2 as usize;
            if r2 == r {
                continue;
            }
            let Some(s_r2c) = self.get(r2, c) else { continue };
            let first2 = self.base.first_edge(r2);
            for (j, &c2) in self.base.check(r2).iter().enumerate() {
                let i = row_r[c2 as usize];
                if i == 0 || c2 as usize == c {
                    continue;
                }
                if let (Some(s_rc2), Some(s_r2c2)) = (self.at(first + i as usize - 1), self.at(first2 + j)) {
                    forbidden |= 1 << ((s_rc2 + 2 * mask + 2 - s_r2c2 + s_r2c) & mask);
                }
            }
        }
        forbidden
    }

    /// Marks row `r`'s columns in `row_r` (see [`Self::forbidden`]), or clears them.
    fn mark_row(&self, r: usize, row_r: &mut [u32], on: bool) {
        for (i, &c) in self.base.check(r).iter().enumerate() {
            row_r[c as usize] = if on { i as u32 + 1 } else { 0 };
        }
    }
}

/// Degree-2 variables: a base cycle made only of degree-2 columns lifts to `Z / g` cycles of
/// `g L` degree-2 variables, `g` the additive order of the cycle's voltage (the alternating sum
/// of its shifts) mod `Z`, and each is a code word of that weight. Cycles among degree-2
/// variables are what the unstructured builder avoids (see `code.rs`); here, each degree-2
/// column that closes a cycle in the base graph gets a shift (if one closes no 4-cycle) that
/// makes that cycle's voltage odd, a unit mod `Z = 2^k`, so its lifts are `Z` times as long
/// (a cycle made of two such cycles has an even voltage and may lift short; the base graph's
/// own degree-2 cycles are longer than 5 whatever the shifts)
/// (Tanner, Sridhara & Fuja, "A class of group-structured LDPC codes", 2001, on the cycles of
/// circulant-lifted graphs). Cycles are tracked with a union-find over base rows that keeps
/// each row's potential: the voltage of the tree path from its root.
fn lengthen_degree2_cycles(shifts: &mut Shifts, rows_of: &[Vec<u32>], row_r: &mut [u32]) {
    let (z, base) = (shifts.z, shifts.base);
    let mut parent: Vec<usize> = (0..base.checks()).collect();
    let mut offset = vec![0usize; base.checks()];
    // The root of r and r's potential relative to it (path halving keeps offsets exact).
    let find = |parent: &mut [usize], offset: &mut [usize], mut r: usize| {
        let mut potential = 0;
        while parent[r] != r {
            let p = parent[r];
            if parent[p] != p {
                offset[r] = (offset[r] + offset[p]) % z;
                parent[r] = parent[p];
            }
            potential = (potential + offset[r]) % z;
            r = parent[r];
        }
        (r, potential)
    };
    for (c, rows) in rows_of.iter().enumerate() {
        let &[r1, r2] = rows.as_slice() else { continue };
        let (r1, r2) = (r1 as usize, r2 as usize);
        let (a, pa) = find(&mut parent, &mut offset, r1);
        let (b, pb) = find(&mut parent, &mut offset, r2);
        let s1 = shifts.get(r1, c).expect("shifted");
        let s2 = shifts.get(r2, c).expect("shifted");
        // Crossing the column from r1 to r2 adds s1 - s2 to the potential.
        let weight = (s1 + z - s2) % z;
        if a != b {
            parent[b] = a;
            offset[b] = (pa + weight + z - pb) % z;
            continue;
        }
        let voltage = |s2: usize| (pa + s1 + 2 * z - s2 - pb) % z;
        if voltage(s2) % 2 == 1 {
            continue;
        }
        shifts.set(r2, c, usize::from(UNSET));
        shifts.mark_row(r2, row_r, true);
        let forbidden = shifts.forbidden(rows_of, r2, c, row_r);
        shifts.mark_row(r2, row_r, false);
        let s = (1..z).map(|i| (s2 + i) % z).find(|&v| voltage(v) % 2 == 1 && forbidden & (1 << v) == 0);
        shifts.set(r2, c, s.unwrap_or(s2));
    }
}
