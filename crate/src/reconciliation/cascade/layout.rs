//! The passes' orders: which key bits form each top-level block, and in what order a binary
//! search halves them.

use std::cell::OnceCell;

use rand::Rng;

use super::{CascadeParams, range_parity};
use crate::bits::BitVec;
use crate::rng::Seed;

/// How one pass arranges the key.
#[derive(Debug, Clone)]
enum Order {
    /// The key's own order (the first pass).
    Identity,
    /// A uniform shuffle: `order[i]` is the key position at place `i`, `place` its inverse.
    Shuffle { order: Vec<u32>, place: Vec<u32> },
    /// Two blocks: the key bits where `mask` is set, then the others, each in key order. A
    /// uniform random subset splits any set of errors as a shuffle cut in two halves would,
    /// at the cost of `n` random bits instead of `n` random indices; the order inside the
    /// blocks (needed only by a search) is built on first use.
    Halves { mask: BitVec, ones: usize, lists: OnceCell<(Vec<u32>, Vec<u32>)> },
}

/// The passes' orders, drawn from a public seed both sides share.
#[derive(Debug, Clone)]
pub struct Layout {
    pub(super) n: usize,
    params: CascadeParams,
    passes: Vec<Order>,
}

impl Layout {
    /// The layout for `n` bits, shuffles and subsets drawn from `seed`.
    pub fn new(n: usize, params: CascadeParams, seed: &[u8; 32]) -> Self {
        let mut rng = Seed::from_bytes(*seed).rng("cascade layout");
        let passes = (0..params.passes)
            .map(|p| match p {
                0 => Order::Identity,
                1 => {
                    let mut order: Vec<u32> = (0..n as u32).collect();
                    // Fisher-Yates with Lemire's multiply-shift for the index: the shuffle is
                    // public, so the tiny bias of a 32-bit draw does not matter.
                    for i in (1..n).rev() {
                        let j = ((u64::from(rng.next_u32()) * (i as u64 + 1)) >> 32) as usize;
                        order.swap(i, j);
                    }
                    let place = inverse(&order);
                    Order::Shuffle { order, place }
                }
                _ => {
                    let mask = crate::quantum::random_bits(n, &mut rng);
                    Order::Halves { ones: mask.count_ones(), mask, lists: OnceCell::new() }
                }
            })
            .collect();
        Self { n, params, passes }
    }

    /// Number of passes.
    pub fn passes(&self) -> usize {
        self.params.passes
    }

    /// Block size of the first pass.
    pub(super) fn first_block(&self) -> usize {
        self.params.block(0, self.n)
    }

    /// Top-level blocks of pass `p`, as `(start, len)` in the pass's order.
    pub fn blocks(&self, p: usize) -> Vec<(usize, usize)> {
        match &self.passes[p] {
            Order::Halves { ones, .. } => {
                [(0, *ones), (*ones, self.n - ones)].into_iter().filter(|&(_, l)| l > 0).collect()
            }
            _ => {
                let k = self.params.block(p, self.n);
                (0..self.n).step_by(k).map(|s| (s, k.min(self.n - s))).collect()
            }
        }
    }

    /// Top-level block `b` of pass `p`, as `(start, len)`.
    pub(super) fn block(&self, p: usize, b: usize) -> (usize, usize) {
        match &self.passes[p] {
            Order::Halves { ones, .. } if b == 1 || *ones == 0 => (*ones, self.n - ones),
            Order::Halves { ones, .. } => (0, *ones),
            _ => {
                let k = self.params.block(p, self.n);
                (b * k, k.min(self.n - b * k))
            }
        }
    }

    /// Number of top-level blocks of pass `p`.
    pub(super) fn block_count(&self, p: usize) -> usize {
        match &self.passes[p] {
            Order::Halves { ones, .. } => usize::from(*ones > 0) + usize::from(*ones < self.n),
            _ => self.n.div_ceil(self.params.block(p, self.n)),
        }
    }

    /// Top-level blocks over all passes.
    pub(super) fn block_total(&self) -> usize {
        (0..self.passes()).map(|p| self.block_count(p)).sum()
    }

    /// Parities sent at the start: every top-level block of the first pass, and all but the
    /// last block of every later pass (its parity follows from the key's, which the first
    /// pass gives: block parity inference).
    pub fn top_level_count(&self) -> usize {
        (0..self.passes()).map(|p| self.block_count(p) - usize::from(p > 0)).sum()
    }

    /// The top-level block containing key position `i` in pass `p`.
    pub(super) fn block_of(&self, p: usize, i: usize) -> usize {
        match &self.passes[p] {
            Order::Identity => i / self.params.block(p, self.n),
            Order::Shuffle { place, .. } => place[i] as usize / self.params.block(p, self.n),
            Order::Halves { mask, ones, .. } => usize::from(*ones > 0 && !mask.get(i)),
        }
    }

    /// The key position at place `j` of pass `p`.
    pub(super) fn order_at(&self, p: usize, j: usize) -> usize {
        match &self.passes[p] {
            Order::Identity => j,
            Order::Shuffle { order, .. } => order[j] as usize,
            Order::Halves { .. } => self.lists(p).0[j] as usize,
        }
    }

    /// The place of key position `i` in pass `p`.
    pub(super) fn place_of(&self, p: usize, i: usize) -> usize {
        match &self.passes[p] {
            Order::Identity => i,
            Order::Shuffle { place, .. } => place[i] as usize,
            Order::Halves { .. } => self.lists(p).1[i] as usize,
        }
    }

    fn lists(&self, p: usize) -> &(Vec<u32>, Vec<u32>) {
        let Order::Halves { mask, lists, .. } = &self.passes[p] else {
            unreachable!("lists of a halves pass only");
        };
        lists.get_or_init(|| {
            let mut order: Vec<u32> = mask.ones().map(|i| i as u32).collect();
            let mut zeros = BitVec::from_words(mask.words().iter().map(|w| !w).collect(), self.n);
            zeros.clear_tail();
            order.extend(zeros.ones().map(|i| i as u32));
            let place = inverse(&order);
            (order, place)
        })
    }

    /// `key` rearranged in pass `p`'s order.
    pub(super) fn permuted(&self, key: &BitVec, p: usize) -> BitVec {
        if matches!(self.passes[p], Order::Identity) {
            return key.clone();
        }
        let words = (0..self.n)
            .step_by(64)
            .map(|s| {
                (s..(s + 64).min(self.n))
                    .fold(0u64, |w, j| w | (u64::from(key.get(self.order_at(p, j))) << (63 - (j - s))))
            })
            .collect();
        BitVec::from_words(words, self.n)
    }

    /// The top-level block parities of `key` in pass `p`; `permuted` caches the key in the
    /// pass's order, built here if the pass needs it.
    pub(super) fn top_parities(&self, key: &BitVec, p: usize, permuted: &mut Option<BitVec>) -> BitVec {
        let v = match &self.passes[p] {
            Order::Halves { mask, ones, .. } => {
                let total = key.count_ones() % 2 == 1;
                let inside =
                    key.words().iter().zip(mask.words()).map(|(k, m)| (k & m).count_ones()).sum::<u32>() % 2 == 1;
                let mut out = BitVec::default();
                if *ones > 0 {
                    out.push(inside);
                }
                if *ones < self.n {
                    out.push(inside ^ total);
                }
                return out;
            }
            Order::Identity => key,
            Order::Shuffle { .. } => permuted.get_or_insert_with(|| self.permuted(key, p)),
        };
        BitVec::from_bools(&self.blocks(p).into_iter().map(|(s, l)| range_parity(v, s, l)).collect::<Vec<_>>())
    }
}

fn inverse(order: &[u32]) -> Vec<u32> {
    let mut place = vec![0u32; order.len()];
    for (i, &j) in order.iter().enumerate() {
        place[j as usize] = i as u32;
    }
    place
}
