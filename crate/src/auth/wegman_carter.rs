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
        // (L + 1) / 2^64 for L = 125 words.
        assert_eq!(epsilon(1000), 126.0 / 2f64.powi(64));
    }
}
