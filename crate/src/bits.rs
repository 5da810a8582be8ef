//! Packed bit strings.
//!
//! Bit `i` lives in word `i / 64` at bit position `63 - i % 64`, so the big-endian bytes of the
//! words are exactly the MSB-first byte encoding that crosses the JS boundary (DESIGN "Bits and
//! bytes"). Unused trailing bits are always zero.

use crate::error::DecodeError;

/// A string of bits packed MSB-first into `u64` words.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BitVec {
    words: Vec<u64>,
    len: usize,
}

impl core::fmt::Debug for BitVec {
    // Bit strings are often key material: never print their contents.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "BitVec({} bits)", self.len)
    }
}

/// Number of words needed to hold `bits` bits.
pub const fn words_for(bits: usize) -> usize {
    bits.div_ceil(64)
}

impl BitVec {
    /// An all-zero string of `len` bits.
    pub fn zeros(len: usize) -> Self {
        Self { words: vec![0; words_for(len)], len }
    }

    /// Wraps words; bits past `len` are cleared.
    pub fn from_words(mut words: Vec<u64>, len: usize) -> Self {
        words.resize(words_for(len), 0);
        let mut v = Self { words, len };
        v.clear_tail();
        v
    }

    /// Builds a string from bools (tests and small inputs).
    pub fn from_bools(bits: &[bool]) -> Self {
        let mut v = Self::zeros(bits.len());
        for (i, &b) in bits.iter().enumerate() {
            v.set(i, b);
        }
        v
    }

    /// Decodes MSB-first bytes holding `len` bits. Rejects a byte count that does not match
    /// `len` and non-zero padding bits, so every bit string has exactly one encoding.
    pub fn from_bytes(bytes: &[u8], len: usize) -> Result<Self, DecodeError> {
        if bytes.len() != len.div_ceil(8) {
            return Err(DecodeError::BadLength);
        }
        let mut words = vec![0u64; words_for(len)];
        for (w, chunk) in words.iter_mut().zip(bytes.chunks(8)) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            *w = u64::from_be_bytes(buf);
        }
        let v = Self { words, len };
        let mut check = v.clone();
        check.clear_tail();
        if check != v {
            return Err(DecodeError::NonZeroPadding);
        }
        Ok(v)
    }

    /// MSB-first bytes, `ceil(len / 8)` of them, padding bits zero.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.words.len() * 8);
        for w in &self.words {
            out.extend_from_slice(&w.to_be_bytes());
        }
        out.truncate(self.len.div_ceil(8));
        out
    }

    /// Number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the string holds no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The packed words (trailing bits zero).
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// Mutable packed words; callers must keep bits past `len` zero (see [`Self::clear_tail`]).
    pub fn words_mut(&mut self) -> &mut [u64] {
        &mut self.words
    }

    /// Bit `i`. Panics if `i >= len` (a local indexing invariant).
    #[inline]
    pub fn get(&self, i: usize) -> bool {
        assert!(i < self.len, "bit index {i} out of range {}", self.len);
        (self.words[i >> 6] >> (63 - (i & 63))) & 1 == 1
    }

    /// Bits `start .. end` as a new string. Panics if `end` is past the length or before
    /// `start` (a local indexing invariant).
    pub fn range(&self, start: usize, end: usize) -> Self {
        assert!(start <= end && end <= self.len, "range {start}..{end} out of {}", self.len);
        Self::from_bools(&(start..end).map(|i| self.get(i)).collect::<Vec<_>>())
    }

    /// Sets bit `i` to `b`.
    #[inline]
    pub fn set(&mut self, i: usize, b: bool) {
        assert!(i < self.len, "bit index {i} out of range {}", self.len);
        let mask = 1u64 << (63 - (i & 63));
        if b {
            self.words[i >> 6] |= mask;
        } else {
            self.words[i >> 6] &= !mask;
        }
    }

    /// Flips bit `i`.
    #[inline]
    pub fn flip(&mut self, i: usize) {
        assert!(i < self.len, "bit index {i} out of range {}", self.len);
        self.words[i >> 6] ^= 1u64 << (63 - (i & 63));
    }

    /// Appends one bit.
    pub fn push(&mut self, b: bool) {
        if self.len.is_multiple_of(64) {
            self.words.push(0);
        }
        self.len += 1;
        self.set(self.len - 1, b);
    }

    /// Number of one bits.
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Number of positions where `self` and `other` differ. Panics on unequal lengths.
    pub fn hamming_distance(&self, other: &Self) -> usize {
        assert_eq!(self.len, other.len, "hamming distance of unequal lengths");
        self.words.iter().zip(&other.words).map(|(a, b)| (a ^ b).count_ones() as usize).sum()
    }

    /// Iterates over the bits.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = bool> + '_ {
        (0..self.len).map(move |i| self.get(i))
    }

    /// Iterates over the indices of one bits, word at a time.
    pub fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            let mut w = w;
            core::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let lz = w.leading_zeros() as usize;
                w &= !(1u64 << (63 - lz));
                Some(wi * 64 + lz)
            })
        })
    }

    /// The bits of `self` at the one bits of `mask`, in order (a "compress" by mask).
    pub fn select(&self, mask: &Self) -> Self {
        assert_eq!(self.len, mask.len, "select with a mask of another length");
        let mut out = Self::zeros(mask.count_ones());
        for (k, i) in mask.ones().enumerate() {
            if self.get(i) {
                out.set(k, true);
            }
        }
        out
    }

    /// The first `len` bits.
    pub fn truncated(&self, len: usize) -> Self {
        assert!(len <= self.len, "truncate to {len} of {}", self.len);
        Self::from_words(self.words[..words_for(len)].to_vec(), len)
    }

    /// Zeroes bits past `len` in the last word.
    pub fn clear_tail(&mut self) {
        let r = self.len % 64;
        if r != 0
            && let Some(last) = self.words.last_mut()
        {
            *last &= !0u64 << (64 - r);
        }
    }
}

impl core::ops::BitXorAssign<&BitVec> for BitVec {
    fn bitxor_assign(&mut self, rhs: &BitVec) {
        assert_eq!(self.len, rhs.len, "xor of unequal lengths");
        for (a, b) in self.words.iter_mut().zip(&rhs.words) {
            *a ^= b;
        }
    }
}

/// Serializes bits as bytes, MSB first (`Uint8Array` in JS).
pub(crate) fn serialize_bytes<S: serde::Serializer>(bits: &BitVec, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bytes(&bits.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_i_is_msb_first_in_bytes() {
        let mut v = BitVec::zeros(10);
        v.set(0, true);
        v.set(9, true);
        assert_eq!(v.to_bytes(), vec![0x80, 0x40]);
        assert_eq!(BitVec::from_bytes(&[0x80, 0x40], 10).ok(), Some(v));
    }

    #[test]
    fn from_bytes_rejects_padding_and_wrong_length() {
        assert_eq!(BitVec::from_bytes(&[0x80, 0x20], 10), Err(DecodeError::NonZeroPadding));
        assert_eq!(BitVec::from_bytes(&[0x80], 10), Err(DecodeError::BadLength));
    }

    #[test]
    fn ones_and_select_agree_with_bitwise_definition() {
        let bools: Vec<bool> = (0..200).map(|i| i % 3 == 0 || i % 7 == 1).collect();
        let v = BitVec::from_bools(&bools);
        let ones: Vec<usize> = v.ones().collect();
        let expect: Vec<usize> = (0..200).filter(|&i| bools[i]).collect();
        assert_eq!(ones, expect);
        let data = BitVec::from_bools(&(0..200).map(|i| i % 2 == 0).collect::<Vec<_>>());
        let picked = data.select(&v);
        assert_eq!(picked.iter().collect::<Vec<_>>(), expect.iter().map(|i| i % 2 == 0).collect::<Vec<_>>());
    }

    #[test]
    fn push_and_truncate_keep_tail_zero() {
        let mut v = BitVec::default();
        for i in 0..130 {
            v.push(i % 5 == 0);
        }
        let t = v.truncated(67);
        assert_eq!(t.len(), 67);
        assert_eq!(t.words()[1] & (u64::MAX >> 3), 0);
        assert_eq!(t.iter().collect::<Vec<_>>(), v.iter().take(67).collect::<Vec<_>>());
    }
}
