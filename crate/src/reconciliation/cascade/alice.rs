//! Alice's side of Cascade: a parity oracle over her key.

use super::Layout;
use crate::bits::BitVec;
use crate::error::Error;
use crate::msgs::ParityQuery;

/// Alice's side: answers parities of her (reference) key.
///
/// Queries arrive before they are authenticated (transcript tags come at Reconciled), so each
/// costs O(1): a pass's key is turned once into its prefix parities, and a message may hold no
/// more queries than there are top-level blocks (one pending search per block at most).
pub struct CascadeAlice {
    layout: Layout,
    key: BitVec,
    /// Her key in each pass's order, built on first use.
    permuted: Vec<Option<BitVec>>,
    /// Per pass, bit `i` = parity of places `0..=i`, built on the pass's first query.
    prefix: Vec<Option<BitVec>>,
    disclosed: u64,
}

impl CascadeAlice {
    /// Alice's oracle over `key`.
    pub fn new(key: &BitVec, layout: Layout) -> Self {
        let passes = layout.passes();
        Self { permuted: vec![None; passes], prefix: vec![None; passes], layout, key: key.clone(), disclosed: 0 }
    }

    /// The parities Bob starts from: every top-level block of the first pass, then every
    /// block but the last of each later pass (see [`Layout::top_level_count`]).
    pub fn top_parities(&mut self) -> BitVec {
        let mut out = BitVec::default();
        for p in 0..self.layout.passes() {
            let parities = self.layout.top_parities(&self.key, p, &mut self.permuted[p]);
            let sent = parities.len() - usize::from(p > 0);
            for i in 0..sent {
                out.push(parities.get(i));
            }
        }
        self.disclosed += out.len() as u64;
        out
    }

    /// Answers Bob's queries, refusing any outside the key or the passes.
    pub fn answer(&mut self, queries: &[ParityQuery]) -> Result<BitVec, Error> {
        if queries.len() > self.layout.block_total() {
            return Err(Error::inconsistent("number of Cascade queries (more than the blocks)"));
        }
        let mut out = BitVec::zeros(queries.len());
        for (i, q) in queries.iter().enumerate() {
            let (p, s, l) = (q.pass as usize, q.start as usize, q.len as usize);
            if p >= self.layout.passes() || l == 0 || s.checked_add(l).is_none_or(|e| e > self.layout.n) {
                return Err(Error::inconsistent("Cascade query range"));
            }
            let (layout, key, permuted) = (&self.layout, &self.key, &mut self.permuted[p]);
            let prefix = self.prefix[p]
                .get_or_insert_with(|| prefix_parities(permuted.get_or_insert_with(|| layout.permuted(key, p))));
            out.set(i, prefix.get(s + l - 1) ^ (s > 0 && prefix.get(s - 1)));
        }
        self.disclosed += queries.len() as u64;
        Ok(out)
    }

    /// Parity bits disclosed so far.
    pub fn disclosed(&self) -> u64 {
        self.disclosed
    }
}

/// Bit `i` of the result is the parity of bits `0..=i` of `v` (MSB first): within a word by
/// shift-and-XOR doubling, across words by the running parity.
fn prefix_parities(v: &BitVec) -> BitVec {
    let mut carry = 0u64;
    let words = v
        .words()
        .iter()
        .map(|&w| {
            let mut x = w;
            for shift in [1, 2, 4, 8, 16, 32] {
                x ^= x >> shift;
            }
            let out = x ^ carry;
            carry = if out & 1 == 1 { u64::MAX } else { 0 };
            out
        })
        .collect();
    let mut out = BitVec::from_words(words, v.len());
    out.clear_tail();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_queries_is_refused_past_the_block_count_and_cheap_below_it() {
        use super::super::CascadeParams;
        let n = 10_000;
        let key = BitVec::from_bools(&(0..n).map(|i| (i * 31 + i / 3) % 7 < 3).collect::<Vec<_>>());
        let params = CascadeParams::for_qber(0.02, n);
        let mut alice = CascadeAlice::new(&key, Layout::new(n, params, &[4; 32]));
        let limit = Layout::new(n, params, &[4; 32]).block_total();
        let whole = ParityQuery { pass: 3, start: 0, len: n as u32 };
        assert!(alice.answer(&vec![whole; limit + 1]).is_err(), "more queries than blocks");
        let answers = alice.answer(&vec![whole; limit]).expect("within the limit");
        // Every pass orders the same bits: the whole key's parity each time.
        let parity = key.count_ones() % 2 == 1;
        assert!(answers.iter().all(|b| b == parity));
        assert_eq!(alice.disclosed(), limit as u64);
    }

    #[test]
    fn prefix_parities_match_the_running_parity() {
        let v = BitVec::from_bools(&(0..200).map(|i| (i * 13 + i / 7) % 5 < 2).collect::<Vec<_>>());
        let p = prefix_parities(&v);
        let mut acc = false;
        for i in 0..200 {
            acc ^= v.get(i);
            assert_eq!(p.get(i), acc, "bit {i}");
        }
    }
}
