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

/// A searched range `start .. start + len` of a pass, how it was cut (its left part's
/// length `at`) and, once Bob knows it, Alice's parity of the left part (the right part's
/// follows from the range's); `kids` are its two parts' nodes, once searched.
#[derive(Clone, Copy)]
struct Node {
    start: u32,
    len: u32,
    at: u32,
    left: Option<bool>,
    kids: [u32; 2],
}

/// No node (an unsearched part, or a block's unsearched root).
const NO_NODE: u32 = u32::MAX;

/// Bob's search state in one pass.
struct PassSearch {
    /// The ranges searched so far: per block a tree, since a range is only ever cut one way
    /// (walking it costs no hashing).
    nodes: Vec<Node>,
    /// Per top-level block, its whole range's node.
    roots: Vec<u32>,
    /// Per top-level block, where its search stands.
    blocks: Vec<Resume>,
}

/// Where a block's search last stopped to ask: at node `node`, Alice's parity of its range
/// `parity`, when Bob had made `asked` flips. The next descent starts there unless a flip has
/// since touched the block (`flipped`, the flip count at its last flip), which saves walking
/// the known levels again.
#[derive(Clone, Copy)]
struct Resume {
    node: u32,
    parity: bool,
    asked: u32,
    flipped: u32,
}

impl Resume {
    const NONE: Self = Self { node: NO_NODE, parity: false, asked: u32::MAX, flipped: 0 };
}

/// Longest range [`CascadeBob::cut`] weighs: a later pass's half key holds thousands of bits
/// of every kind, so its halves carry equal chances (and weighing them would cost a millisecond
/// a search).
const WEIGHED_UP_TO: usize = 1024;

/// Bob's side: corrects his key by binary search on blocks whose parities differ.
///
/// Bob keeps, per pass begun, which top-level blocks have odd parity against Alice's (updated
/// on every flip, so a round trip costs work in proportion to the errors, not the key), every
/// sub-block parity Alice disclosed or that follows from two known ones, and which bits are
/// settled: a part made only of settled bits is never asked, and a range with one unsettled
/// bit left needs no last step.
pub struct CascadeBob {
    layout: Layout,
    key: BitVec,
    /// Bob's key in each pass's order, built when a search first needs it.
    permuted: Vec<Option<BitVec>>,
    /// Alice's top-level parities, per pass (the inferred last ones included).
    top: Vec<BitVec>,
    /// Top-level blocks whose parity differs from Alice's, per pass begun (see
    /// [`Self::begin`]).
    odd: Vec<BitVec>,
    /// Per pass, the ranges searched so far and where each block's search stands.
    search: Vec<PassSearch>,
    /// Per key position, the size of the smallest range around it whose parity Bob knows
    /// (tracked below the first block size, at most 255): a search's prior, see [`Self::cut`].
    /// 0 marks a settled bit, one Bob knows equals Alice's (a located error, or a single bit
    /// whose parity Alice disclosed and Bob's matches). A byte a bit keeps it in cache.
    span: Vec<u8>,
    /// The queries in flight, as (pass, the node whose left part is asked).
    pending: Vec<(usize, u32)>,
    frontier: usize,
    /// Reused by [`Self::cut`].
    scratch: Vec<u64>,
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
            search: (0..passes)
                .map(|p| {
                    let count = layout.block_count(p);
                    PassSearch { nodes: Vec::new(), roots: vec![NO_NODE; count], blocks: vec![Resume::NONE; count] }
                })
                .collect(),
            span: vec![layout.first_block().min(255) as u8; layout.n],
            layout,
            key,
            top: Vec::new(),
            odd: Vec::new(),
            pending: Vec::new(),
            frontier: 0,
            scratch: Vec::new(),
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
            self.top.push(alice);
        }
        self.odd = vec![BitVec::default(); self.layout.passes()];
        self.begin(0);
        self.received += top.len() as u64;
        self.advance()
    }

    /// Takes Alice's answers to the last query and returns the next step.
    pub fn receive(&mut self, parities: &BitVec) -> Result<CascadeStep, Error> {
        if parities.len() != self.pending.len() || self.pending.is_empty() {
            return Err(Error::inconsistent("number of Cascade parities"));
        }
        for (i, (p, at)) in core::mem::take(&mut self.pending).into_iter().enumerate() {
            self.learn(p, at, parities.get(i));
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
                self.begin(self.frontier);
            }
        }
    }

    /// Begins pass `p`: which of its top-level blocks differ from Alice's in the key as
    /// corrected so far. Until then a flip need not touch the pass (most flips come before the
    /// later passes begin).
    fn begin(&mut self, p: usize) {
        let mut odd = self.layout.top_parities(&self.key, p, &mut self.permuted[p]);
        odd ^= &self.top[p];
        self.odd[p] = odd;
    }

    /// Follows known parities down from odd top-level block `b` of pass `p`: either to the
    /// error, or to the first sub-block whose parity Alice has not disclosed. Only the left
    /// part's parity is ever asked; the right part's follows from its parent, and a part made
    /// of settled bits has Bob's parity.
    fn descend(&mut self, p: usize, b: usize) -> Descent {
        let (mut s, mut l) = self.layout.block(p, b);
        let mut parent = self.top[p].get(b);
        let mut cur = self.search[p].roots[b];
        // Where a new node hangs: under `up` (the block's root if none), on side `side`.
        let (mut up, mut side) = (NO_NODE, 0);
        let r = self.search[p].blocks[b];
        if r.asked != u32::MAX && r.flipped <= r.asked {
            let node = self.search[p].nodes[r.node as usize];
            (s, l, parent, cur) = (node.start as usize, node.len as usize, r.parity, r.node);
        }
        while l > 1 {
            if cur == NO_NODE {
                match self.cut(p, s, l) {
                    Cut::At(m) => {
                        let search = &mut self.search[p];
                        cur = search.nodes.len() as u32;
                        let (start, len, at) = (s as u32, l as u32, m as u32);
                        search.nodes.push(Node { start, len, at, left: None, kids: [NO_NODE; 2] });
                        match up {
                            NO_NODE => search.roots[b] = cur,
                            up => search.nodes[up as usize].kids[side] = cur,
                        }
                    }
                    Cut::Only(j) => return Descent::Flip(self.layout.order_at(p, j)),
                }
            }
            let node = self.search[p].nodes[cur as usize];
            let m = node.at as usize;
            let left = match node.left {
                Some(v) => v,
                None => {
                    let v = if self.all_settled(p, s + m, l - m) {
                        parent ^ range_parity(self.permuted(p), s + m, l - m)
                    } else if self.all_settled(p, s, m) {
                        range_parity(self.permuted(p), s, m)
                    } else {
                        let q = ParityQuery { pass: p as u8, start: s as u32, len: m as u32 };
                        let flipped = r.flipped;
                        let asked = self.corrections as u32;
                        self.search[p].blocks[b] = Resume { node: cur, parity: parent, asked, flipped };
                        return Descent::Ask(q, cur);
                    };
                    self.learn(p, cur, v);
                    v
                }
            };
            let right = parent ^ left;
            let differs = range_parity(self.permuted(p), s, m) != left;
            // The part that matches, if a single bit, is Alice's bit.
            match (differs, m, l - m) {
                (true, _, 1) => self.settle(self.layout.order_at(p, s + m)),
                (false, 1, _) => self.settle(self.layout.order_at(p, s)),
                _ => {}
            }
            if differs {
                (l, parent, side) = (m, left, 0);
            } else {
                (s, l, parent, side) = (s + m, l - m, right, 1);
            }
            up = cur;
            cur = node.kids[side];
        }
        Descent::Flip(self.layout.order_at(p, s))
    }

    /// Where to cut odd range `s .. s + l` of pass `p`: where it halves the chance of holding
    /// the error, not the bits. A settled bit holds none; any other bit's chance grows with
    /// the smallest range around it whose parity is known (and even): a pair of errors left in
    /// a range of `r` bits has `r - 1` places for the second. Uniform chances (the first
    /// pass's searches) cut in halves, as plain Cascade does; a lone unsettled bit is the error.
    fn cut(&mut self, p: usize, s: usize, l: usize) -> Cut {
        if l > WEIGHED_UP_TO {
            return Cut::At(l / 2);
        }
        let mut cum = core::mem::take(&mut self.scratch);
        cum.clear();
        let mut total = 0u64;
        let (mut first, mut last) = (usize::MAX, 0);
        for (j, i) in self.layout.positions(p, s, l).enumerate() {
            let w = match self.span[i] {
                0 => 0,
                r => u64::from(r.max(2) - 1),
            };
            if w > 0 {
                first = first.min(j);
                last = j;
            }
            total += w;
            cum.push(total);
        }
        let cut = if first == usize::MAX {
            // No unsettled bit in an odd range: Alice's parities contradict; any cut will do.
            Cut::At(l / 2)
        } else if first == last {
            Cut::Only(s + first)
        } else {
            // The least m with half the weight in `0..m`, or the one before if nearer.
            let m = cum.partition_point(|&c| 2 * c < total) + 1;
            let m = if m > 1 && total.abs_diff(2 * cum[m - 2]) < total.abs_diff(2 * cum[m - 1]) { m - 1 } else { m };
            Cut::At(m.clamp(first + 1, last))
        };
        self.scratch = cum;
        cut
    }

    /// Whether every bit of range `s .. s + l` of pass `p` is settled.
    fn all_settled(&self, p: usize, s: usize, l: usize) -> bool {
        self.layout.positions(p, s, l).all(|i| self.span[i] == 0)
    }

    fn settle(&mut self, i: usize) {
        self.span[i] = 0;
    }

    /// Records Alice's parity of the left part of searched range `node` of pass `p` (so both
    /// parts' parities are known), narrowing their bits' spans.
    fn learn(&mut self, p: usize, node: u32, parity: bool) {
        let node = &mut self.search[p].nodes[node as usize];
        node.left = Some(parity);
        let (s, l, m) = (node.start as usize, node.len as usize, node.at as usize);
        let small = self.layout.first_block().min(255);
        for (s, l) in [(s, m), (s + m, l - m)] {
            if l < small {
                for i in self.layout.positions(p, s, l) {
                    self.span[i] = self.span[i].min(l as u8);
                }
            }
        }
    }

    fn flip(&mut self, i: usize) -> Result<(), Error> {
        self.corrections += 1;
        // Honest parities correct each error once; more flips than bits means lying parities.
        if self.corrections > self.layout.n {
            return Err(Error::inconsistent("Cascade parities (no convergence)"));
        }
        self.key.flip(i);
        self.settle(i);
        // Passes not yet begun read the key when they begin.
        for p in 0..=self.frontier {
            if let Some(v) = &mut self.permuted[p] {
                v.flip(self.layout.place_of(p, i));
            }
            let b = self.layout.block_of(p, i);
            self.odd[p].flip(b);
            self.search[p].blocks[b].flipped = self.corrections as u32;
        }
        Ok(())
    }

    /// Bob's key in pass `p`'s order, built on first use and kept up to date by [`Self::flip`].
    fn permuted(&mut self, p: usize) -> &BitVec {
        let (layout, key) = (&self.layout, &self.key);
        self.permuted[p].get_or_insert_with(|| layout.permuted(key, p))
    }
}

enum Descent {
    Ask(ParityQuery, u32),
    Flip(usize),
}

enum Cut {
    /// Ask the parity of the first `m` bits.
    At(usize),
    /// The only unsettled bit, at this place.
    Only(usize),
}
