//! Cascade's two sides.

use std::collections::HashMap;

use rand::seq::SliceRandom;

use crate::bits::BitVec;
use crate::error::Error;
use crate::msgs::ParityQuery;
use crate::rng::Seed;

/// Block sizes and number of passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CascadeParams {
    /// Block size of the first pass.
    pub first_block: usize,
    /// Number of passes.
    pub passes: usize,
}

/// `k1 = 2^ceil(log2(ALPHA / Q))`: one to two errors per first-pass block. Measured trade-off
/// (n = 10^5, `cargo bench --bench figures`): ALPHA = 1 gives f = 1.08-1.10 at QBER 1-5 % but
/// 170-350 round trips, because the errors pass 1 leaves come in pairs and each correction in
/// pass 2 starts a chain of searches; ALPHA = 0.35 gives 50-65 round trips at f = 1.15-1.38.
/// Disclosed bits cost key; round trips only cost time, so efficiency wins here.
const ALPHA: f64 = 1.0;
/// QBER below which block sizes stop growing (a clean sample still hides some errors).
const MIN_QBER: f64 = 0.001;
/// Passes of Cascade. Passes past the fourth found no error left in the benchmark's runs but
/// each disclosed its top-level parities.
const PASSES: usize = 4;

impl CascadeParams {
    /// The parameters for `n` bits at estimated error rate `qber`.
    pub fn for_qber(qber: f64, n: usize) -> Self {
        let q = qber.max(MIN_QBER);
        let k = (ALPHA / q).log2().ceil().clamp(0.0, 30.0) as u32;
        let cap = (n / 2).max(1);
        Self { first_block: (1usize << k).min(cap), passes: PASSES }
    }

    /// Block size of pass `p`.
    pub fn block(&self, p: usize, n: usize) -> usize {
        let cap = (n / 2).max(1);
        self.first_block.saturating_mul(1 << p.min(30)).min(cap).max(1)
    }
}

/// The passes' shuffles: `order[p][i]` is the key position at place `i` of pass `p`, and
/// `place[p][j]` its inverse. Pass 0 keeps the key's own order.
#[derive(Debug, Clone)]
pub struct Layout {
    n: usize,
    params: CascadeParams,
    order: Vec<Vec<u32>>,
    place: Vec<Vec<u32>>,
}

impl Layout {
    /// The layout for `n` bits, shuffles drawn from `seed`.
    pub fn new(n: usize, params: CascadeParams, seed: &[u8; 32]) -> Self {
        let base = Seed::from_bytes(*seed);
        let mut order = Vec::with_capacity(params.passes);
        let mut place = Vec::with_capacity(params.passes);
        for p in 0..params.passes {
            let mut o: Vec<u32> = (0..n as u32).collect();
            if p > 0 {
                o.shuffle(&mut base.rng(&format!("cascade pass {p}")));
            }
            let mut pl = vec![0u32; n];
            for (i, &j) in o.iter().enumerate() {
                pl[j as usize] = i as u32;
            }
            order.push(o);
            place.push(pl);
        }
        Self { n, params, order, place }
    }

    /// Number of passes.
    pub fn passes(&self) -> usize {
        self.params.passes
    }

    /// Top-level blocks of pass `p`, as `(start, len)`.
    pub fn blocks(&self, p: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let k = self.params.block(p, self.n);
        (0..self.n).step_by(k).map(move |s| (s, k.min(self.n - s)))
    }

    /// Number of top-level blocks over all passes.
    pub fn top_level_count(&self) -> usize {
        (0..self.passes()).map(|p| self.blocks(p).count()).sum()
    }

    /// `key` rearranged in every pass's order.
    fn permuted(&self, key: &BitVec) -> Vec<BitVec> {
        self.order
            .iter()
            .map(|o| {
                let mut v = BitVec::zeros(self.n);
                for (i, &j) in o.iter().enumerate() {
                    if key.get(j as usize) {
                        v.set(i, true);
                    }
                }
                v
            })
            .collect()
    }
}

/// Parity of bits `start .. start + len` of `v`, a word at a time.
fn range_parity(v: &BitVec, start: usize, len: usize) -> bool {
    let end = start + len;
    let words = v.words();
    let mut acc = 0u64;
    let (ws, we) = (start / 64, (end - 1) / 64);
    for (wi, &w) in words.iter().enumerate().take(we + 1).skip(ws) {
        let mut m = u64::MAX;
        if wi == ws {
            m &= u64::MAX >> (start % 64);
        }
        if wi == we {
            m &= u64::MAX << (63 - (end - 1) % 64);
        }
        acc ^= w & m;
    }
    acc.count_ones() % 2 == 1
}

/// Alice's side: answers parities of her (reference) key.
pub struct CascadeAlice {
    layout: Layout,
    permuted: Vec<BitVec>,
    disclosed: u64,
}

impl CascadeAlice {
    /// Alice's oracle over `key`.
    pub fn new(key: &BitVec, layout: Layout) -> Self {
        Self { permuted: layout.permuted(key), layout, disclosed: 0 }
    }

    /// The parities of every top-level block of every pass, pass after pass.
    pub fn top_parities(&mut self) -> BitVec {
        let mut out = BitVec::default();
        for p in 0..self.layout.passes() {
            for (s, l) in self.layout.blocks(p) {
                out.push(range_parity(&self.permuted[p], s, l));
            }
        }
        self.disclosed += out.len() as u64;
        out
    }

    /// Answers Bob's queries, refusing any outside the key or the passes.
    pub fn answer(&mut self, queries: &[ParityQuery]) -> Result<BitVec, Error> {
        let mut out = BitVec::zeros(queries.len());
        for (i, q) in queries.iter().enumerate() {
            let (p, s, l) = (q.pass as usize, q.start as usize, q.len as usize);
            if p >= self.layout.passes() || l == 0 || s.checked_add(l).is_none_or(|e| e > self.layout.n) {
                return Err(Error::inconsistent("Cascade query range"));
            }
            out.set(i, range_parity(&self.permuted[p], s, l));
        }
        self.disclosed += queries.len() as u64;
        Ok(out)
    }

    /// Parity bits disclosed so far.
    pub fn disclosed(&self) -> u64 {
        self.disclosed
    }
}

/// What Bob does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CascadeStep {
    /// Ask Alice for these parities.
    Query(Vec<ParityQuery>),
    /// Every pass is done.
    Done,
}

/// Bob's side: corrects his key by binary search on blocks whose parities differ.
pub struct CascadeBob {
    layout: Layout,
    key: BitVec,
    permuted: Vec<BitVec>,
    /// Alice's parities, by (pass, start, len).
    known: HashMap<(u8, u32, u32), bool>,
    pending: Vec<ParityQuery>,
    frontier: usize,
    received: u64,
    corrections: usize,
    round_trips: usize,
}

impl CascadeBob {
    /// Bob's search over his `key`.
    pub fn new(key: BitVec, layout: Layout) -> Self {
        Self {
            permuted: layout.permuted(&key),
            layout,
            key,
            known: HashMap::new(),
            pending: Vec::new(),
            frontier: 0,
            received: 0,
            corrections: 0,
            round_trips: 0,
        }
    }

    /// Takes Alice's top-level parities and returns the first step.
    pub fn start(&mut self, top: &BitVec) -> Result<CascadeStep, Error> {
        if top.len() != self.layout.top_level_count() {
            return Err(Error::inconsistent("number of top-level Cascade parities"));
        }
        let mut i = 0;
        for p in 0..self.layout.passes() {
            let blocks: Vec<_> = self.layout.blocks(p).collect();
            for (s, l) in blocks {
                self.known.insert((p as u8, s as u32, l as u32), top.get(i));
                i += 1;
            }
        }
        self.received += top.len() as u64;
        self.advance()
    }

    /// Takes Alice's answers to the last query and returns the next step.
    pub fn receive(&mut self, parities: &BitVec) -> Result<CascadeStep, Error> {
        if parities.len() != self.pending.len() || self.pending.is_empty() {
            return Err(Error::inconsistent("number of Cascade parities"));
        }
        for (i, q) in core::mem::take(&mut self.pending).into_iter().enumerate() {
            self.known.insert((q.pass, q.start, q.len), parities.get(i));
        }
        self.received += parities.len() as u64;
        self.round_trips += 1;
        self.advance()
    }

    /// Bob's key (corrected as far as Cascade went).
    pub fn key(&self) -> &BitVec {
        &self.key
    }

    /// Parity bits received from Alice (the disclosed bits).
    pub fn disclosed(&self) -> u64 {
        self.received
    }

    /// Bits Bob flipped.
    pub fn corrections(&self) -> usize {
        self.corrections
    }

    /// Query round trips so far.
    pub fn round_trips(&self) -> usize {
        self.round_trips
    }

    fn advance(&mut self) -> Result<CascadeStep, Error> {
        loop {
            let mut queries = Vec::new();
            let mut corrected = false;
            for p in 0..=self.frontier {
                let blocks: Vec<_> = self.layout.blocks(p).collect();
                for (s, l) in blocks {
                    match self.descend(p, s, l)? {
                        Descent::Even => {}
                        Descent::Ask(q) => queries.push(q),
                        Descent::Flip(i) => {
                            self.flip(i)?;
                            corrected = true;
                        }
                    }
                }
            }
            if !queries.is_empty() {
                self.pending = queries.clone();
                return Ok(CascadeStep::Query(queries));
            }
            if !corrected {
                self.frontier += 1;
                if self.frontier == self.layout.passes() {
                    return Ok(CascadeStep::Done);
                }
            }
        }
    }

    /// Follows known parities down from a top-level block whose parity differs from Alice's.
    fn descend(&mut self, p: usize, mut s: usize, mut l: usize) -> Result<Descent, Error> {
        let pb = p as u8;
        let alice = self.known[&(pb, s as u32, l as u32)];
        if range_parity(&self.permuted[p], s, l) == alice {
            return Ok(Descent::Even);
        }
        let mut parent = alice;
        while l > 1 {
            let half = l / 2;
            let left_key = (pb, s as u32, half as u32);
            let Some(&left) = self.known.get(&left_key) else {
                return Ok(Descent::Ask(ParityQuery { pass: pb, start: s as u32, len: half as u32 }));
            };
            let right = parent ^ left;
            self.known.insert((pb, (s + half) as u32, (l - half) as u32), right);
            if range_parity(&self.permuted[p], s, half) != left {
                l = half;
                parent = left;
            } else {
                s += half;
                l -= half;
                parent = right;
            }
        }
        Ok(Descent::Flip(self.layout.order[p][s] as usize))
    }

    fn flip(&mut self, i: usize) -> Result<(), Error> {
        self.corrections += 1;
        // Honest parities correct each error once; more flips than bits means lying parities.
        if self.corrections > self.layout.n {
            return Err(Error::inconsistent("Cascade parities (no convergence)"));
        }
        self.key.flip(i);
        for (p, v) in self.permuted.iter_mut().enumerate() {
            v.flip(self.layout.place[p][i] as usize);
        }
        Ok(())
    }
}

enum Descent {
    Even,
    Ask(ParityQuery),
    Flip(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_parity_matches_bit_by_bit() {
        let v = BitVec::from_bools(&(0..300).map(|i| (i * 7 + i / 5) % 3 == 0).collect::<Vec<_>>());
        for (s, l) in [(0, 1), (0, 64), (3, 61), (63, 2), (60, 200), (0, 300), (299, 1), (128, 64)] {
            let naive = (s..s + l).filter(|&i| v.get(i)).count() % 2 == 1;
            assert_eq!(range_parity(&v, s, l), naive, "{s}+{l}");
        }
    }

    #[test]
    fn block_sizes_are_powers_of_two_and_double() {
        let c = CascadeParams::for_qber(0.02, 100_000);
        assert_eq!(c.first_block, 64);
        assert_eq!(c.passes, 4);
        assert_eq!(c.block(1, 100_000), 128);
        assert_eq!(CascadeParams::for_qber(0.02, 50).block(3, 50), 25);
    }
}
