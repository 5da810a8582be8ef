//! The authentication key pool: secret bits set aside from earlier rounds' final keys to
//! authenticate later rounds. Bits are taken from the front and never given out twice.

use crate::bits::BitVec;
use crate::error::Error;

/// A queue of secret bits for one direction of the classical channel.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KeyPool {
    bits: Vec<bool>,
    taken: u64,
}

impl core::fmt::Debug for KeyPool {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "KeyPool({} bits, {} taken so far)", self.bits.len(), self.taken)
    }
}

impl KeyPool {
    /// Bits available.
    pub fn len(&self) -> usize {
        self.bits.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// Bits taken over the pool's life.
    pub fn taken(&self) -> u64 {
        self.taken
    }

    /// Appends secret bits.
    pub fn add(&mut self, bits: &BitVec) {
        self.bits.extend(bits.iter());
    }

    /// Takes `n` bits from the front, or fails without taking any when fewer remain.
    pub fn take(&mut self, n: usize) -> Result<BitVec, Error> {
        if n > self.bits.len() {
            return Err(Error::AuthPoolExhausted { have: self.bits.len(), need: n });
        }
        self.taken += n as u64;
        Ok(BitVec::from_bools(&self.bits.drain(..n).collect::<Vec<_>>()))
    }

    /// The next 64 bits as a word, without taking them.
    pub fn peek_u64(&self) -> Result<u64, Error> {
        if self.bits.len() < 64 {
            return Err(Error::AuthPoolExhausted { have: self.bits.len(), need: 64 });
        }
        Ok(BitVec::from_bools(&self.bits[..64]).words()[0])
    }

    /// Takes 64 bits as a word.
    pub fn take_u64(&mut self) -> Result<u64, Error> {
        Ok(self.take(64)?.words()[0])
    }

    /// Takes 256 bits as a 32-byte key.
    pub fn take_key(&mut self) -> Result<[u8; 32], Error> {
        let b = self.take(256)?.to_bytes();
        let mut k = [0u8; 32];
        k.copy_from_slice(&b);
        Ok(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_leave_in_order_once_and_an_overdraw_takes_nothing() {
        let mut p = KeyPool::default();
        p.add(&BitVec::from_bools(&[true, false, true, true]));
        assert_eq!(p.take(2).ok(), Some(BitVec::from_bools(&[true, false])));
        assert_eq!(p.take(3), Err(Error::AuthPoolExhausted { have: 2, need: 3 }));
        assert_eq!(p.len(), 2);
        assert_eq!(p.take(2).ok(), Some(BitVec::from_bools(&[true, true])));
        assert_eq!(p.taken(), 4);
        assert!(p.is_empty());
    }
}
