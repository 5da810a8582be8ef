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
    /// A uniform shuffle: `order[i]` is the key position at place `i`, `place` its inverse
    /// (built on first use: only Bob needs it).
    Shuffle { order: Vec<u32>, place: OnceCell<Vec<u32>> },
    /// Two blocks: the key bits where `mask` is set, then the others, each in key order. A
    /// uniform random subset splits any set of errors as a shuffle cut in two halves would,
    /// at the cost of `n` random bits instead of `n` random indices. Places and positions
    /// are found by rank and select over the mask (`rank[w]`: ones in words before `w`), so
    /// no pass needs index lists (800 KB to build per pass searched at n = 10^5, and a cache
    /// miss per flip and pass).
    Halves { mask: BitVec, ones: usize, rank: Vec<u32> },
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
                    Order::Shuffle { order, place: OnceCell::new() }
                }
                _ => {
                    let mask = crate::quantum::random_bits(n, &mut rng);
                    let mut ones = 0u32;
                    let rank = mask
                        .words()
                        .iter()
                        .map(|w| {
                            let r = ones;
                            ones += w.count_ones();
                            r
                        })
                        .collect();
                    Order::Halves { ones: ones as usize, mask, rank }
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
            Order::Shuffle { order, place } => {
                place.get_or_init(|| inverse(order))[i] as usize / self.params.block(p, self.n)
            }
            Order::Halves { mask, ones, .. } => usize::from(*ones > 0 && !mask.get(i)),
        }
    }

    /// The key position at place `j` of pass `p`.
    pub(super) fn order_at(&self, p: usize, j: usize) -> usize {
        self.positions(p, j, 1).next().expect("a place inside the key")
    }

    /// The place of key position `i` in pass `p`.
    pub(super) fn place_of(&self, p: usize, i: usize) -> usize {
        match &self.passes[p] {
            Order::Identity => i,
            Order::Shuffle { order, place } => place.get_or_init(|| inverse(order))[i] as usize,
            Order::Halves { mask, ones, rank } => {
                let w = mask.words()[i / 64];
                let before = rank[i / 64] as usize + (w >> (63 - i % 64) >> 1).count_ones() as usize;
                if mask.get(i) { before } else { ones + i - before }
            }
        }
    }

    /// The key positions at places `s .. s + l` of pass `p`, in order.
    pub(super) fn positions(&self, p: usize, s: usize, l: usize) -> Positions<'_> {
        match &self.passes[p] {
            Order::Identity => Positions::Range(s..s + l),
            Order::Shuffle { order, .. } => Positions::List(order[s..s + l].iter()),
            Order::Halves { mask, ones, rank } => {
                let words = mask.words();
                let (flip, k) = if s < *ones { (0, s) } else { (u64::MAX, s - ones) };
                // Bits of the half before word `w`: ones, or zeros for the second half.
                let before = |w: usize| if flip == 0 { rank[w] as usize } else { 64 * w - rank[w] as usize };
                // The last word with at most `k` of the half's bits before it holds the k-th.
                let (mut lo, mut hi) = (0, words.len());
                while hi - lo > 1 {
                    let mid = (lo + hi) / 2;
                    if before(mid) <= k { lo = mid } else { hi = mid }
                }
                let mut cur = words[lo] ^ flip;
                for _ in 0..k - before(lo) {
                    cur &= !(1u64 << (63 - cur.leading_zeros()));
                }
                Positions::Bits { words, flip, w: lo, cur, left: l }
            }
        }
    }

    /// `key` rearranged in pass `p`'s order.
    pub(super) fn permuted(&self, key: &BitVec, p: usize) -> BitVec {
        match &self.passes[p] {
            Order::Identity => key.clone(),
            Order::Shuffle { order, .. } => {
                let words = order
                    .chunks(64)
                    .map(|c| {
                        c.iter().enumerate().fold(0u64, |w, (j, &i)| w | (u64::from(key.get(i as usize)) << (63 - j)))
                    })
                    .collect();
                BitVec::from_words(words, self.n)
            }
            Order::Halves { mask, .. } => {
                let mut out = Packer { words: Vec::with_capacity(self.n.div_ceil(64)), len: 0 };
                for flip in [0, u64::MAX] {
                    for (&k, &m) in key.words().iter().zip(mask.words()) {
                        let m = m ^ flip;
                        out.push(compress(k, m), m.count_ones());
                    }
                }
                // The second half's last word counted the padding past `n` as zeros of the mask.
                BitVec::from_words(out.words, self.n)
            }
        }
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

/// Key positions in a pass's order (see [`Layout::positions`]).
pub(super) enum Positions<'a> {
    /// The first pass: the key's own order.
    Range(core::ops::Range<usize>),
    /// A shuffled pass's order list.
    List(core::slice::Iter<'a, u32>),
    /// The halves: the set bits of the mask's words (XOR `flip`, the second half's), from
    /// word `w`, `cur` what is left of it; `left` positions to go.
    Bits { words: &'a [u64], flip: u64, w: usize, cur: u64, left: usize },
}

impl Iterator for Positions<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        match self {
            Self::Range(r) => r.next(),
            Self::List(it) => it.next().map(|&i| i as usize),
            Self::Bits { words, flip, w, cur, left } => {
                if *left == 0 {
                    return None;
                }
                while *cur == 0 {
                    // Past the last one of the mask, the second half begins.
                    if *w + 1 == words.len() {
                        assert!(*flip == 0, "positions past the end of the key");
                        (*w, *flip) = (0, u64::MAX);
                    } else {
                        *w += 1;
                    }
                    *cur = words[*w] ^ *flip;
                }
                let b = cur.leading_zeros() as usize;
                *cur &= !(1u64 << (63 - b));
                *left -= 1;
                Some(*w * 64 + b)
            }
        }
    }
}

/// Appends bit strings of up to 64 bits, MSB first.
struct Packer {
    words: Vec<u64>,
    len: usize,
}

impl Packer {
    /// Appends the low `c` bits of `x` (the first of them the most significant).
    fn push(&mut self, x: u64, c: u32) {
        if c == 0 {
            return;
        }
        let x = x << (64 - c);
        let off = self.len % 64;
        if off == 0 {
            self.words.push(x);
        } else {
            let last = self.words.len() - 1;
            self.words[last] |= x >> off;
            if off + c as usize > 64 {
                self.words.push(x << (64 - off));
            }
        }
        self.len += c as usize;
    }
}

/// The bits of `x` where `m` is set, moved to the low end in order (Warren, "Hacker's
/// Delight", 7-4: a parallel-prefix compress, six steps for a word whatever the mask).
fn compress(x: u64, mut m: u64) -> u64 {
    let mut x = x & m;
    let mut mk = !m << 1;
    for i in 0..6 {
        let mut mp = mk ^ (mk << 1);
        mp ^= mp << 2;
        mp ^= mp << 4;
        mp ^= mp << 8;
        mp ^= mp << 16;
        mp ^= mp << 32;
        let mv = mp & m;
        m = (m ^ mv) | (mv >> (1 << i));
        let t = x & mv;
        x = (x ^ t) | (t >> (1 << i));
        mk &= !mp;
    }
    x
}

fn inverse(order: &[u32]) -> Vec<u32> {
    let mut place = vec![0u32; order.len()];
    for (i, &j) in order.iter().enumerate() {
        place[j as usize] = i as u32;
    }
    place
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compress_gathers_the_masked_bits_in_order() {
        let mut x = 0x0123_4567_89ab_cdefu64;
        for _ in 0..50 {
            x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17);
            let m = x.rotate_left(29) ^ x.wrapping_mul(3);
            let naive = (0..64).rev().filter(|&b| m >> b & 1 == 1).fold(0u64, |acc, b| (acc << 1) | (x >> b & 1));
            assert_eq!(compress(x, m), naive);
        }
        assert_eq!(compress(u64::MAX, u64::MAX), u64::MAX);
        assert_eq!(compress(0xf0, 0), 0);
    }

    #[test]
    fn places_positions_and_permuted_keys_agree() {
        for n in [1, 63, 64, 65, 200, 1000] {
            let params = CascadeParams::for_qber(0.05, n);
            let layout = Layout::new(n, params, &[7; 32]);
            let key = BitVec::from_bools(&(0..n).map(|i| (i * 31 + i / 3) % 7 < 3).collect::<Vec<_>>());
            for p in 0..layout.passes() {
                let order: Vec<usize> = layout.positions(p, 0, n).collect();
                let mut seen = vec![false; n];
                for (j, &i) in order.iter().enumerate() {
                    assert!(!seen[i], "pass {p} position {i} twice");
                    seen[i] = true;
                    assert_eq!(layout.place_of(p, i), j, "pass {p}");
                    assert_eq!(layout.order_at(p, j), i, "pass {p}");
                }
                for s in [0, n / 3, n / 2, n - 1] {
                    let l = (n - s).min(70);
                    assert_eq!(layout.positions(p, s, l).collect::<Vec<_>>(), order[s..s + l], "pass {p} from {s}");
                }
                let permuted = layout.permuted(&key, p);
                assert_eq!(permuted.len(), n);
                assert!((0..n).all(|j| permuted.get(j) == key.get(order[j])), "pass {p}");
                assert_eq!(permuted.count_ones(), key.count_ones());
                assert!((0..n).all(|i| layout.block_of(p, i) < layout.block_count(p)));
            }
        }
    }
}
