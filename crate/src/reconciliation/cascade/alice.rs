//! Alice's side of Cascade: a parity oracle over her key.

use super::{Layout, range_parity};
use crate::bits::BitVec;
use crate::error::Error;
use crate::msgs::ParityQuery;

/// Alice's side: answers parities of her (reference) key.
pub struct CascadeAlice {
    layout: Layout,
    key: BitVec,
    /// Her key in each pass's order, built on first use.
    permuted: Vec<Option<BitVec>>,
    disclosed: u64,
}

impl CascadeAlice {
    /// Alice's oracle over `key`.
    pub fn new(key: &BitVec, layout: Layout) -> Self {
        Self { permuted: vec![None; layout.passes()], layout, key: key.clone(), disclosed: 0 }
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
        let mut out = BitVec::zeros(queries.len());
        for (i, q) in queries.iter().enumerate() {
            let (p, s, l) = (q.pass as usize, q.start as usize, q.len as usize);
            if p >= self.layout.passes() || l == 0 || s.checked_add(l).is_none_or(|e| e > self.layout.n) {
                return Err(Error::inconsistent("Cascade query range"));
            }
            let (layout, key) = (&self.layout, &self.key);
            let v = self.permuted[p].get_or_insert_with(|| layout.permuted(key, p));
            out.set(i, range_parity(v, s, l));
        }
        self.disclosed += queries.len() as u64;
        Ok(out)
    }

    /// Parity bits disclosed so far.
    pub fn disclosed(&self) -> u64 {
        self.disclosed
    }
}
