//! One direction's authentication pool, as a stream of secret bits at absolute positions.
//!
//! Both sides append the same bits in the same order (each committed round's share), so a
//! position names the same bit on both sides. Bits are used in order and never twice: taking
//! bits at a position first burns every unused bit before it (resynchronisation moves forward
//! only), and a position behind the cursor is refused. The ledger records every use.

use std::collections::VecDeque;

use crate::bits::BitVec;

/// What pool bits were used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PoolUse {
    /// A round's HMAC-SHA256 key.
    HmacKey,
    /// A round's Wegman-Carter hash point.
    WcPoint,
    /// A round's Wegman-Carter pads.
    WcPad,
    /// Burned unused: skipped forward to stay in step with the peer.
    Skipped,
}

/// One use of pool bits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    /// First position.
    pub start: u64,
    /// Bits.
    pub len: u64,
    /// The round that used them.
    pub round: u32,
    /// What for.
    pub used_for: PoolUse,
}

/// One direction's pool.
#[derive(Clone, Default)]
pub struct PoolStream {
    /// Position of `bits[0]`.
    base: u64,
    bits: VecDeque<bool>,
    cursor: u64,
    ledger: Vec<LedgerEntry>,
}

impl core::fmt::Debug for PoolStream {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PoolStream(cursor {}, end {})", self.cursor, self.end())
    }
}

impl PoolStream {
    /// Position after the last bit ever added.
    pub fn end(&self) -> u64 {
        self.base + self.bits.len() as u64
    }

    /// The first unused position.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// Unused bits.
    pub fn available(&self) -> u64 {
        self.end() - self.cursor
    }

    /// Every use so far.
    pub fn ledger(&self) -> &[LedgerEntry] {
        &self.ledger
    }

    /// Appends secret bits.
    pub fn add(&mut self, bits: &BitVec) {
        self.bits.extend(bits.iter());
    }

    /// The unused bits `at .. at + n`, without taking them.
    pub fn peek(&self, at: u64, n: u64) -> Option<BitVec> {
        if at < self.cursor || at.checked_add(n)? > self.end() {
            return None;
        }
        let from = (at - self.base) as usize;
        Some(BitVec::from_bools(&self.bits.range(from..from + n as usize).copied().collect::<Vec<_>>()))
    }

    /// Takes the unused bits `at .. at + n` for `round`, burning the unused bits before `at`.
    pub fn take(&mut self, at: u64, n: u64, round: u32, used_for: PoolUse) -> Option<BitVec> {
        let bits = self.peek(at, n)?;
        if at > self.cursor {
            self.ledger.push(LedgerEntry {
                start: self.cursor,
                len: at - self.cursor,
                round,
                used_for: PoolUse::Skipped,
            });
        }
        self.ledger.push(LedgerEntry { start: at, len: n, round, used_for });
        self.cursor = at + n;
        while self.base < self.cursor && !self.bits.is_empty() {
            self.bits.pop_front();
            self.base += 1;
        }
        Some(bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_used_once_and_skips_burn_forward_only() {
        let mut p = PoolStream::default();
        p.add(&BitVec::from_bools(&[true, false, true, true, false, true]));
        assert_eq!(p.take(2, 2, 1, PoolUse::HmacKey), Some(BitVec::from_bools(&[true, true])));
        assert_eq!(p.peek(0, 1), None, "burned bits are gone");
        assert_eq!(p.take(3, 1, 2, PoolUse::HmacKey), None, "behind the cursor");
        assert_eq!(p.take(5, 2, 2, PoolUse::HmacKey), None, "beyond the pool");
        assert_eq!(p.available(), 2);
        assert_eq!(p.ledger()[0].used_for, PoolUse::Skipped);
        assert_eq!((p.ledger()[0].start, p.ledger()[0].len), (0, 2));
    }
}
