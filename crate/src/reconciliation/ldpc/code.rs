//! Building a mother code from a degree distribution.
//!
//! Codes of 65,536 bits and more are quasi-cyclic ([`super::lift`]): their base graph
//! is built here, at `1/Z` of the length, and lifted. The rest of this module describes the
//! unstructured construction, which both use.
//!
//! Node degrees follow the distribution exactly (largest-remainder rounding of the
//! node-perspective fractions). Edges are placed by matching shuffled check sockets to
//! variable nodes, degree 2 first and then highest degree first, as in the random-socket
//! construction of Richardson &
//! Urbanke ("Modern Coding Theory", 2008, sec. 3.3) with the girth condition of progressive
//! edge growth (Hu, Eleftheriou & Arnold, "Regular and irregular progressive edge-growth
//! Tanner graphs", IEEE Trans. IT 51, 2005): a socket is skipped when its check already meets
//! a variable that shares a check with the node being connected, so no 4-cycle is formed while
//! a free socket further on avoids one. Degree-2 variables get a stronger condition: a cycle
//! made only of them is a code word of that weight (which is why they govern the low-weight
//! end of the weight distribution: Di, Richardson & Urbanke, "Weight distribution of
//! low-density parity-check codes", IEEE Trans. IT 52, 2006), and the decoder can converge to
//! such a wrong word with the syndrome matching, so each one's second check is taken outside
//! a breadth-first neighbourhood of its first in the graph of degree-2 variables placed so far
//! (checks within [`DEGREE2_DEPTH`] hops, and their neighbours, are excluded: a bounded form
//! of progressive edge growth). The 4-cycle test is one load per socket: the checks where it
//! would close one are marked as the node's neighbourhood grows (walking each candidate
//! check's members instead made the quasi-cyclic codes of about 10^5 bits, whose base graphs
//! are dense, take about twice as long to build). Everything is drawn from a public seed, so
//! Alice and Bob build the same graph.

use rand::seq::SliceRandom;

use super::distributions::Distribution;
use super::lift::{self, Lifting};
use crate::bits::BitVec;
use crate::rng::Seed;

/// How far ahead in the shuffled sockets the builder looks for one that closes no 4-cycle.
const LOOKAHEAD: usize = 512;

/// A sparse parity-check matrix, stored by check (row): `check(c)` lists the variables in
/// check `c`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdpcCode {
    n: usize,
    starts: Vec<u32>,
    vars: Vec<u32>,
    /// The quasi-cyclic structure, for codes lifted from a base graph.
    lifting: Option<Lifting>,
}

impl LdpcCode {
    /// Number of checks (syndrome bits) a code of length `n` from `dist` has:
    /// `round(n (1 - design rate))`, at least one; for a quasi-cyclic code the same rounding
    /// is done on the base graph, so the count is a multiple of the circulant size.
    pub fn checks_for(n: usize, dist: &Distribution) -> usize {
        match lift::lifting(n, dist) {
            Some(z) => lift::lifted_checks(n, z, dist),
            None => ((n as f64 * (1.0 - dist.design_rate())).round() as usize).max(1),
        }
    }

    /// Builds the code of length `n` (at least 2) from `dist`, edges drawn from `seed`:
    /// quasi-cyclic when the length allows it (`lift::lifting`, codes of 65,536 bits and
    /// more), otherwise unstructured. Variable degrees above the number of checks are
    /// capped (tiny codes only).
    pub fn build(n: usize, dist: &Distribution, seed: &[u8; 32]) -> Self {
        match lift::lifting(n, dist) {
            Some(z) => lift::build(n, z, dist, seed),
            None => Self::build_random(n, Self::checks_for(n, dist), dist, seed),
        }
    }

    /// The code from its rows laid end to end: row `c` is `vars[starts[c]..starts[c + 1]]`,
    /// ascending.
    pub(super) fn from_parts(n: usize, starts: Vec<u32>, vars: Vec<u32>, lifting: Option<Lifting>) -> Self {
        Self { n, starts, vars, lifting }
    }

    /// The unstructured code of length `n` with `m` checks from `dist`.
    pub(super) fn build_random(n: usize, m: usize, dist: &Distribution, seed: &[u8; 32]) -> Self {
        let mut rng = Seed::from_bytes(*seed).rng(&format!("ldpc code {n} {}", dist.nominal_rate));

        // Variable degrees: degree 2 first (their placement decides the low-weight code words,
        // see below), then highest first: they are hardest to place without short cycles.
        let mut var_deg: Vec<u32> = Vec::with_capacity(n);
        let counts = apportion(&Distribution::node_fractions(dist.lambda), n);
        for &(d, count) in counts.iter().filter(|&&(d, _)| d == 2) {
            var_deg.extend(std::iter::repeat_n(d.min(m as u32), count));
        }
        for &(d, count) in counts.iter().rev().filter(|&&(d, _)| d != 2) {
            var_deg.extend(std::iter::repeat_n(d.min(m as u32), count));
        }
        let edges: usize = var_deg.iter().map(|&d| d as usize).sum();

        // Check degrees from rho, nudged so the sockets match the edges exactly.
        let mut check_deg: Vec<u32> = Vec::with_capacity(m);
        for (d, count) in apportion(&Distribution::node_fractions(dist.rho), m) {
            check_deg.extend(std::iter::repeat_n(d, count));
        }
        balance(&mut check_deg, edges);

        let mut sockets: Vec<u32> = Vec::with_capacity(edges);
        for (c, &d) in check_deg.iter().enumerate() {
            sockets.extend(std::iter::repeat_n(c as u32, d as usize));
        }
        sockets.shuffle(&mut rng);

        let mut cap_starts = Vec::with_capacity(m + 1);
        let mut acc = 0u32;
        for &d in &check_deg {
            cap_starts.push(acc);
            acc += d;
        }
        cap_starts.push(acc);
        let mut fill = vec![0u32; m];
        let mut slots = vec![0u32; edges];
        // Bit u of `shares`: u shares a check with v (or is v); placing v in a check holding u
        // would close a 4-cycle (or repeat an edge). A bit set (n / 8 bytes) stays in the
        // fastest cache; it is cleared after each v. `blocked[c] == v + 1`: check c holds such
        // a u, kept up to date as `shares` grows (every check of a new u is marked), so that
        // testing a socket is one load instead of a walk over its check's members.
        let mut shares = vec![0u64; n.div_ceil(64)];
        let mut blocked = vec![0u32; m];
        // The checks of each variable placed so far (variables are placed in order).
        let (mut checks_of, mut checks_start) = (Vec::with_capacity(edges), Vec::with_capacity(n + 1));
        checks_start.push(0u32);
        let mut mine: Vec<u32> = Vec::new();
        let mut pos = 0usize;
        // Degree-2 variables: `pair[v]` holds their two checks; `near[c] == v + 1` marks checks
        // within `DEGREE2_DEPTH` hops of v's first check in the graph whose edges are the
        // degree-2 variables placed so far.
        let degree2 = var_deg.iter().take_while(|&&d| d == 2).count();
        let mut pair = vec![[u32::MAX; 2]; degree2];
        let mut near = vec![0u32; m];
        let mut queue: Vec<(u32, u32)> = Vec::new();

        for (v, &d) in var_deg.iter().enumerate() {
            let mark = v as u32 + 1;
            shares[v >> 6] |= 1 << (v & 63);
            mine.clear();
            for j in 0..d {
                if pos == sockets.len() {
                    break;
                }
                let end = (pos + LOOKAHEAD).min(sockets.len());
                let found = if v < degree2 && j == 1 {
                    mark_near(&mut near, &mut queue, mine[0], mark, &pair, &slots, &cap_starts, &fill);
                    (pos..end).find(|&k| {
                        let c = sockets[k];
                        // Neither the check nor any of its degree-2 neighbours is near: the
                        // two checks are at least DEGREE2_DEPTH + 2 hops apart.
                        near[c as usize] != mark
                            && slots[members(&cap_starts, &fill, c)].iter().all(|&u| {
                                let [a, b] = pair[u as usize];
                                let other = if a == c { b } else { a };
                                other == u32::MAX || near[other as usize] != mark
                            })
                    })
                } else {
                    None
                };
                let found = found
                    .or_else(|| (pos..end).find(|&k| blocked[sockets[k] as usize] != mark))
                    .or_else(|| (pos..end).find(|&k| !mine.contains(&sockets[k])));
                let Some(k) = found else { break };
                sockets.swap(pos, k);
                let c = sockets[pos];
                pos += 1;
                let at = cap_starts[c as usize] + fill[c as usize];
                slots[at as usize] = v as u32;
                fill[c as usize] += 1;
                mine.push(c);
                if v < degree2 {
                    pair[v][j as usize] = c;
                }
                blocked[c as usize] = mark;
                for &u in &slots[members(&cap_starts, &fill, c)] {
                    let (word, bit) = (&mut shares[u as usize >> 6], 1 << (u & 63));
                    if *word & bit == 0 {
                        *word |= bit;
                        let checks = checks_start[u as usize] as usize..checks_start[u as usize + 1] as usize;
                        for &c in &checks_of[checks] {
                            blocked[c as usize] = mark;
                        }
                    }
                }
            }
            checks_of.extend_from_slice(&mine);
            checks_start.push(checks_of.len() as u32);
            shares[v >> 6] = 0;
            for &c in &mine {
                for &u in &slots[members(&cap_starts, &fill, c)] {
                    shares[u as usize >> 6] = 0;
                }
            }
        }

        // Compact: sockets left unmatched (only when a tiny code runs out of room) disappear.
        let mut starts = Vec::with_capacity(m + 1);
        let mut vars = Vec::with_capacity(pos);
        for c in 0..m {
            starts.push(vars.len() as u32);
            let a = cap_starts[c] as usize;
            let mut row = slots[a..a + fill[c] as usize].to_vec();
            row.sort_unstable();
            vars.extend_from_slice(&row);
        }
        starts.push(vars.len() as u32);
        Self { n, starts, vars, lifting: None }
    }

    /// The quasi-cyclic structure, if the code was lifted from a base graph.
    pub fn lifting(&self) -> Option<&Lifting> {
        self.lifting.as_ref()
    }

    /// Code length (variable nodes).
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the code has no variables.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Number of checks.
    pub fn checks(&self) -> usize {
        self.starts.len() - 1
    }

    /// Number of edges (ones in the parity-check matrix).
    pub fn edges(&self) -> usize {
        self.vars.len()
    }

    /// The variables in check `c`, ascending.
    pub fn check(&self, c: usize) -> &[u32] {
        &self.vars[self.starts[c] as usize..self.starts[c + 1] as usize]
    }

    /// The index, among all edges in check order, of check `c`'s first edge.
    pub(super) fn first_edge(&self, c: usize) -> usize {
        self.starts[c] as usize
    }

    /// The degree of every variable node.
    pub fn var_degrees(&self) -> Vec<u32> {
        let mut deg = vec![0u32; self.n];
        for &v in &self.vars {
            deg[v as usize] += 1;
        }
        deg
    }

    /// The syndrome `H x` of an `n`-bit word. Panics if `word` has another length (a local
    /// invariant: callers build words for this code).
    pub fn syndrome(&self, word: &BitVec) -> BitVec {
        assert_eq!(word.len(), self.n, "syndrome of a word of another length");
        match &self.lifting {
            Some(lifting) if lifting.z == 32 => lifting.syndrome(word),
            _ => self.syndrome_by_rows(word),
        }
    }

    /// [`Self::syndrome`], one bit per edge.
    pub(super) fn syndrome_by_rows(&self, word: &BitVec) -> BitVec {
        let w = word.words();
        let mut out = BitVec::zeros(self.checks());
        for c in 0..self.checks() {
            let parity = self.check(c).iter().fold(0u64, |p, &v| p ^ bit(w, v as usize));
            if parity == 1 {
                out.set(c, true);
            }
        }
        out
    }
}

/// Radius of the neighbourhood marked around a degree-2 variable's first check: its second
/// check is taken (when the look-ahead finds one) outside it and with no neighbour inside it,
/// so the two are at least `DEGREE2_DEPTH + 2` hops apart and every cycle made only of
/// degree-2 variables, a code word of its length, has at least `DEGREE2_DEPTH + 3` of them.
const DEGREE2_DEPTH: u32 = 3;

/// Checks marked at most per neighbourhood (bounds construction time; rarely reached).
const DEGREE2_VISITS: usize = 1024;

/// Marks with `mark` the checks within [`DEGREE2_DEPTH`] hops of `start` in the graph whose
/// edges are the degree-2 variables placed so far (breadth first, at most
/// [`DEGREE2_VISITS`] checks). This is progressive edge growth (Hu, Eleftheriou & Arnold,
/// IEEE Trans. IT 51, 2005) restricted to the degree-2 subgraph and to a fixed girth target.
#[allow(clippy::too_many_arguments)]
fn mark_near(
    near: &mut [u32],
    queue: &mut Vec<(u32, u32)>,
    start: u32,
    mark: u32,
    pair: &[[u32; 2]],
    slots: &[u32],
    cap_starts: &[u32],
    fill: &[u32],
) {
    queue.clear();
    queue.push((start, 0));
    near[start as usize] = mark;
    let mut head = 0;
    while head < queue.len() && queue.len() < DEGREE2_VISITS {
        let (c, depth) = queue[head];
        head += 1;
        if depth == DEGREE2_DEPTH {
            continue;
        }
        for &u in &slots[members(cap_starts, fill, c)] {
            let Some(&[a, b]) = pair.get(u as usize) else { continue };
            let other = if a == c { b } else { a };
            if other != u32::MAX && near[other as usize] != mark {
                near[other as usize] = mark;
                queue.push((other, depth + 1));
            }
        }
    }
}

/// The slots of check `c` filled so far.
fn members(cap_starts: &[u32], fill: &[u32], c: u32) -> core::ops::Range<usize> {
    let a = cap_starts[c as usize] as usize;
    a..a + fill[c as usize] as usize
}

/// Bit `i` of packed MSB-first words, as 0 or 1.
#[inline]
pub(crate) fn bit(words: &[u64], i: usize) -> u64 {
    (words[i >> 6] >> (63 - (i & 63))) & 1
}

/// Splits `total` items over `(degree, fraction)` classes by largest remainder.
fn apportion(fractions: &[(u32, f64)], total: usize) -> Vec<(u32, usize)> {
    let sum: f64 = fractions.iter().map(|&(_, f)| f).sum();
    let exact: Vec<f64> = fractions.iter().map(|&(_, f)| f / sum * total as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|&x| x.floor() as usize).collect();
    let mut left = total - counts.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..exact.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    for &i in order.iter().cycle() {
        if left == 0 {
            break;
        }
        counts[i] += 1;
        left -= 1;
    }
    fractions.iter().zip(counts).map(|(&(d, _), k)| (d, k)).collect()
}

/// Raises the lowest or lowers the highest check degrees one at a time until they sum to
/// `edges`, so the check profile stays as concentrated as rho.
fn balance(deg: &mut [u32], edges: usize) {
    let mut sum: usize = deg.iter().map(|&d| d as usize).sum();
    deg.sort_unstable();
    let m = deg.len();
    let mut i = 0usize;
    while sum < edges {
        deg[i % m] += 1;
        sum += 1;
        i += 1;
    }
    let mut j = 0usize;
    while sum > edges && deg.iter().any(|&d| d > 1) {
        let k = m - 1 - j % m;
        if deg[k] > 1 {
            deg[k] -= 1;
            sum -= 1;
        }
        j += 1;
    }
}
