//! Cascade's block sizes, the passes' orders, and its two sides.
//!
//! The choices follow Martinez-Mateo, Pacher, Peev, Ciurana and Martin, "Demystifying the
//! information reconciliation protocol Cascade", QIC 15 (2015), measured at n = 10^5 with
//! `cargo bench --bench figures`:
//! - a power-of-two first block, `k1 = 2^ceil(log2(0.6 / Q))`: a binary search in a block of
//!   `2^d` bits discloses exactly `d` parities;
//! - a second block `k2` a few times `k1` (Yan et al. use `5 k1`), from a table measured for
//!   the least leakage within a round-trip budget (see [`CascadeParams::for_qber`]);
//! - every later pass cuts the key in two random halves: its first block's parity is the
//!   only one sent, since the second's follows from the key's parity (block parity inference,
//!   Pedersen and Toyran, "High performance information reconciliation for QKD with
//!   CASCADE", QIC 15 (2015)), and 20 such passes leave a pair of errors undetected with
//!   probability about 2^-20;
//! - a parity Bob knows is never asked again (sub-block reuse, Martinez-Mateo et al.), nor
//!   one of bits he knows are right (settled: located errors, and single bits whose disclosed
//!   parity matched), so a range down to one unsettled bit needs no last step;
//! - after the first pass the errors are no longer uniform: a bit is more likely wrong the
//!   larger the smallest even range known around it (a pair left in `r` bits has `r - 1`
//!   places for the second), so Bob cuts a range where it halves that weight, not where it
//!   halves the bits (our addition, not from those papers). With the same block sizes
//!   (n = 10^5, 50 runs) it lowered f from 1.059 to 1.053 at 5 % and from 1.066 to 1.052 at
//!   8 %.

mod alice;
mod bob;
mod layout;

pub use alice::CascadeAlice;
pub use bob::{CascadeBob, CascadeStep};
pub use layout::Layout;

use crate::bits::BitVec;

/// Block sizes and number of passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CascadeParams {
    /// Block size of the first pass.
    pub first_block: usize,
    /// Block size of the second pass (every later pass cuts the key in two random halves).
    pub second_block: usize,
    /// Number of passes.
    pub passes: usize,
}

/// QBER below which block sizes stop growing (a clean sample still hides some errors).
const MIN_QBER: f64 = 0.001;
/// Passes: two with fixed blocks, then twenty random halvings (one disclosed bit each): a pair
/// of errors the first two passes leave survives all of them with probability 2^-20.
const PASSES: usize = 22;

impl CascadeParams {
    /// The parameters for `n` bits at estimated error rate `qber`.
    ///
    /// `k2` by first block, measured (n = 10^5, 30 runs; f = disclosed / n h(Q), mean round
    /// trips): at Q = 1 % (`k1 = 64`) `6 k1` gives f 1.049 in 159 round trips (`4 k1`: 1.051
    /// in 101); at 2 % (`k1 = 32`) `7 k1` gives 1.049 in 193 (`6 k1`: 1.052 in 151); at 5 %
    /// (`k1 = 16`) `4.5 k1` gives 1.049 in 162 (`4 k1`: 1.053 in 138, `5 k1`: 1.048 in 186); at
    /// 8 % (`k1 = 8`) `6 k1` gives 1.060 in 115 (`8 k1`: 1.052 in 184). Since the searches cut
    /// by weight (see `CascadeBob::cut`), a `k2` that is not a power of two costs little.
    pub fn for_qber(qber: f64, n: usize) -> Self {
        let q = qber.max(MIN_QBER);
        let k = (0.6 / q).log2().ceil().clamp(0.0, 30.0) as u32;
        let cap = (n / 2).max(1);
        let first_block = (1usize << k).min(cap);
        // k2 / k1, in halves.
        let halves = match 1usize << k {
            ..=8 => 12,
            16 => 9,
            32 => 14,
            64 => 12,
            _ => 8,
        };
        Self { first_block, second_block: (halves * first_block / 2).min(cap), passes: PASSES }
    }

    /// Block size of pass `p` (from the third pass on, half the key).
    pub fn block(&self, p: usize, n: usize) -> usize {
        let cap = (n / 2).max(1);
        match p {
            0 => self.first_block.min(cap),
            1 => self.second_block.min(cap),
            _ => cap,
        }
        .max(1)
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
    fn block_sizes_are_powers_of_two_then_half_the_key() {
        let c = CascadeParams::for_qber(0.02, 100_000);
        assert_eq!(c.first_block, 32);
        assert_eq!(c.block(1, 100_000), 224);
        assert_eq!(CascadeParams::for_qber(0.05, 100_000).block(1, 100_000), 72);
        assert_eq!(c.block(2, 100_000), 50_000);
        assert_eq!(CascadeParams::for_qber(0.02, 50).block(3, 50), 25);
    }
}
