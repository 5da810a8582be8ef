//! Bob's side of Cascade: binary searches in the blocks whose parity differs from Alice's,
//! every pending query of a round trip in one message.

use super::{Layout, range_parity};
use crate::bits::BitVec;
use crate::error::Error;
use crate::msgs::ParityQuery;

/// What Bob does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CascadeStep {
    /// Ask Alice for these parities.
    Query(Vec<ParityQuery>),
    /// Every pass is done.
    Done,
}

/// Alice's parities of one pass's sub-blocks, by node: a top-level block is a binary tree
/// (root 1, children `2h` and `2h + 1`, the left child the first `len / 2` bits), and node
/// `h` of block `b` sits at `b << (depth + 1) | h`.
struct Known {
    depth: u32,
    have: BitVec,
    value: BitVec,
}

impl Known {
    fn get(&self, at: usize) -> Option<bool> {
        self.have.get(at).then(|| self.value.get(at))
    }

    fn set(&mut self, at: usize, parity: bool) {
        self.have.set(at, true);
        self.value.set(at, parity);
    }
}

/// Bob's side: corrects his key by binary search on blocks whose parities differ.
///
/// Bob keeps, per pass, which top-level blocks have odd parity against Alice's (updated on
/// every flip, so a round trip costs work in proportion to the errors, not the key), and
/// every sub-block parity Alice disclosed or that follows from two known ones.
pub struct CascadeBob {
    layout: Layout,
    key: BitVec,
    /// Bob's key in each pass's order, built when a search first needs it.
    permuted: Vec<Option<BitVec>>,
    /// Alice's top-level parities, per pass (the inferred last ones included).
    top: Vec<BitVec>,
    /// Top-level blocks whose parity differs from Alice's, per pass.
    odd: Vec<BitVec>,
    known: Vec<Option<Known>>,
    /// The queries in flight, as (pass, node).
    pending: Vec<(usize, usize)>,
    frontier: usize,
    received: u64,
    corrections: usize,
    round_trips: usize,
}

impl CascadeBob {
    /// Bob's search over his `key`.
    pub fn new(key: BitVec, layout: Layout) -> Self {
        let passes = layout.passes();
        Self {
            permuted: (0..passes).map(|_| None).collect(),
            known: (0..passes).map(|_| None).collect(),
            layout,
            key,
            top: Vec::new(),
            odd: Vec::new(),
            pending: Vec::new(),
            frontier: 0,
            received: 0,
            corrections: 0,
            round_trips: 0,
        }
    }

    /// Takes Alice's top-level parities and returns the first step.
    pub fn start(&mut self, top: &BitVec) -> Result<CascadeStep, Error> {
        if top.len() != self.layout.top_level_count() || !self.top.is_empty() {
            return Err(Error::inconsistent("number of top-level Cascade parities"));
        }
        let mut next = 0;
        let mut total = false;
        for p in 0..self.layout.passes() {
            let count = self.layout.block_count(p);
            let sent = count - usize::from(p > 0);
            let mut alice = top.range(next, next + sent);
            next += sent;
            if p == 0 {
                total = alice.count_ones() % 2 == 1;
            } else {
                alice.push(total ^ (alice.count_ones() % 2 == 1));
            }
            let mut odd = self.layout.top_parities(&self.key, p, &mut self.permuted[p]);
            odd ^= &alice;
            self.top.push(alice);
            self.odd.push(odd);
        }
        self.received += top.len() as u64;
        self.advance()
    }

    /// Takes Alice's answers to the last query and returns the next step.
    pub fn receive(&mut self, parities: &BitVec) -> Result<CascadeStep, Error> {
        if parities.len() != self.pending.len() || self.pending.is_empty() {
            return Err(Error::inconsistent("number of Cascade parities"));
        }
        for (i, (p, at)) in core::mem::take(&mut self.pending).into_iter().enumerate() {
            self.known(p).set(at, parities.get(i));
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

    /// Searches every odd block of the passes begun so far: flips what known parities locate,
    /// and asks for the rest in one message; a pass begins once the earlier ones are even.
    fn advance(&mut self) -> Result<CascadeStep, Error> {
        loop {
            let mut queries = Vec::new();
            let mut corrected = false;
            for p in 0..=self.frontier {
                let odd: Vec<usize> = self.odd[p].ones().collect();
                for b in odd {
                    // A flip earlier in this sweep may have evened the block.
                    if !self.odd[p].get(b) {
                        continue;
                    }
                    match self.descend(p, b) {
                        Descent::Ask(q, at) => {
                            queries.push(q);
                            self.pending.push((p, at));
                        }
                        Descent::Flip(i) => {
                            self.flip(i)?;
                            corrected = true;
                        }
                    }
                }
            }
            if !queries.is_empty() {
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

    /// Follows known parities down from odd top-level block `b` of pass `p`: either to the
    /// error, or to the first sub-block whose parity Alice has not disclosed. Only the left
    /// half's parity is ever asked; the right half's follows from its parent.
    fn descend(&mut self, p: usize, b: usize) -> Descent {
        let (mut s, mut l) = self.layout.block(p, b);
        let mut parent = self.top[p].get(b);
        let base = b << (self.known(p).depth + 1);
        let mut node = 1;
        while l > 1 {
            let half = l / 2;
            let Some(left) = self.known(p).get(base | (2 * node)) else {
                let q = ParityQuery { pass: p as u8, start: s as u32, len: half as u32 };
                return Descent::Ask(q, base | (2 * node));
            };
            let right = parent ^ left;
            self.known(p).set(base | (2 * node + 1), right);
            if range_parity(self.permuted(p), s, half) != left {
                (l, parent, node) = (half, left, 2 * node);
            } else {
                (s, l, parent, node) = (s + half, l - half, right, 2 * node + 1);
            }
        }
        Descent::Flip(self.layout.order_at(p, s))
    }

    fn flip(&mut self, i: usize) -> Result<(), Error> {
        self.corrections += 1;
        // Honest parities correct each error once; more flips than bits means lying parities.
        if self.corrections > self.layout.n {
            return Err(Error::inconsistent("Cascade parities (no convergence)"));
        }
        self.key.flip(i);
        for p in 0..self.layout.passes() {
            if let Some(v) = &mut self.permuted[p] {
                v.flip(self.layout.place_of(p, i));
            }
            self.odd[p].flip(self.layout.block_of(p, i));
        }
        Ok(())
    }

    /// Bob's key in pass `p`'s order, built on first use and kept up to date by [`Self::flip`].
    fn permuted(&mut self, p: usize) -> &BitVec {
        let (layout, key) = (&self.layout, &self.key);
        self.permuted[p].get_or_insert_with(|| layout.permuted(key, p))
    }

    /// Pass `p`'s known parities, allocated on first use.
    fn known(&mut self, p: usize) -> &mut Known {
        let layout = &self.layout;
        self.known[p].get_or_insert_with(|| {
            let longest = layout.blocks(p).iter().map(|&(_, l)| l).max().unwrap_or(1);
            let depth = usize::BITS - (longest.max(1) - 1).leading_zeros();
            let size = layout.block_count(p) << (depth + 1);
            Known { depth, have: BitVec::zeros(size), value: BitVec::zeros(size) }
        })
    }
}

enum Descent {
    Ask(ParityQuery, usize),
    Flip(usize),
}
