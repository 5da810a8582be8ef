//! Information-theoretically secure authentication: a Wegman-Carter MAC.
//!
//! The tag of a frame `m` is `h_r(m) XOR k`, where `h_r` is polynomial evaluation over
//! GF(2^64) at a secret point `r` (an epsilon-almost-XOR-universal family with
//! `epsilon = (L + 1) / 2^64` for `L` 64-bit words; Wegman & Carter, "New hash functions and
//! their use in authentication and set equality", JCSS 22 (1981)) and `k` is 64 fresh bits of
//! the key pool, a one-time pad. Because every tag is padded with fresh bits, the hash point `r`
//! may be reused for every frame of a round (key recycling: Portmann, "Key recycling in
//! authentication", IEEE Trans. Inf. Theory 60 (2014)). A forger succeeds with probability at
//! most `epsilon` per frame; the report sums it.

use crate::gf2::gf64_mul;

/// Bits of a Wegman-Carter tag, and of pad consumed per frame.
pub const TAG_BITS: usize = 64;

/// Polynomial hash of `data` at `r`: 64-bit big-endian words (the last zero-padded), then
/// the byte length, by Horner's rule.
pub fn poly_hash(data: &[u8], r: u64) -> u64 {
    let mut h = 0u64;
    for chunk in data.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = gf64_mul(h ^ u64::from_be_bytes(w), r);
    }
    gf64_mul(h ^ data.len() as u64, r)
}

/// [`poly_hash`] computed as the bytes arrive (a round's transcript is hashed frame by
/// frame): `finish` of the bytes fed so far equals `poly_hash` of their concatenation.
#[derive(Clone)]
pub struct PolyHasher {
    r: u64,
    h: u64,
    word: [u8; 8],
    fill: usize,
    len: u64,
}

impl PolyHasher {
    /// A hasher at point `r`.
    pub fn new(r: u64) -> Self {
        Self { r, h: 0, word: [0; 8], fill: 0, len: 0 }
    }

    /// Feeds `data`.
    pub fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        while !data.is_empty() {
            let n = (8 - self.fill).min(data.len());
            self.word[self.fill..self.fill + n].copy_from_slice(&data[..n]);
            self.fill += n;
            data = &data[n..];
            if self.fill == 8 {
                self.h = gf64_mul(self.h ^ u64::from_be_bytes(self.word), self.r);
                self.fill = 0;
            }
        }
    }

    /// The hash of everything fed (the hasher may go on).
    pub fn finish(&self) -> u64 {
        let mut h = self.h;
        if self.fill > 0 {
            let mut w = [0u8; 8];
            w[..self.fill].copy_from_slice(&self.word[..self.fill]);
            h = gf64_mul(h ^ u64::from_be_bytes(w), self.r);
        }
        gf64_mul(h ^ self.len, self.r)
    }
}

/// Forgery probability of one tag on a message of `bytes` bytes.
pub fn epsilon(bytes: usize) -> f64 {
    (bytes.div_ceil(8) + 1) as f64 / 2f64.powi(64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn different_messages_hash_differently_and_length_counts() {
        let r = 0x0123_4567_89ab_cdef;
        assert_ne!(poly_hash(b"hello", r), poly_hash(b"hellp", r));
        assert_ne!(poly_hash(&[0], r), poly_hash(&[0, 0], r));
        // The hash is GF(2)-linear in the data for a fixed length: h(a) ^ h(b) ^ h(a ^ b) is the
        // length block's term, len * r.
        let (a, b) = (*b"sixteen bytes ab", *b"another 16 bytes");
        let x: Vec<u8> = a.iter().zip(&b).map(|(p, q)| p ^ q).collect();
        assert_eq!(poly_hash(&a, r) ^ poly_hash(&b, r) ^ poly_hash(&x, r), gf64_mul(16, r));
        assert_eq!(poly_hash(&[], r), 0, "the empty message hashes to zero");
        let data: Vec<u8> = (0..100u8).map(|i| i.wrapping_mul(37)).collect();
        let mut s = PolyHasher::new(r);
        for part in [&data[..3], &data[3..3], &data[3..20], &data[20..]] {
            s.update(part);
        }
        assert_eq!(s.finish(), poly_hash(&data, r), "streamed in uneven parts");
        // (L + 1) / 2^64 for L = 125 words.
        assert_eq!(epsilon(1000), 126.0 / 2f64.powi(64));
    }
}
