//! Verification: after reconciliation both sides hash their keys with a universal hash and
//! compare; a mismatch aborts, so keys that still differ are never used.
//!
//! The hash is polynomial evaluation over GF(2^64) (Carter & Wegman, JCSS 18 (1979); the
//! polynomial family of den Boer / Bierbrauer et al.): the key is cut into `L` 64-bit words
//! `m_1..m_L`, then the length, and hashed as `((m_1 r + m_2) r + ...) r`. Two different keys of
//! the same length collide for at most `L + 1` of the `2^64` points `r`, so with two
//! independent points the 128-bit tag collides with probability at most `((L + 1) / 2^64)^2`.

use crate::bits::BitVec;
use crate::gf2::gf64_mul;

/// Bits of the verification tag (all disclosed, so counted in `leak_EC`).
pub const TAG_BITS: u64 = 128;

/// The 128-bit tag of `key` under the two evaluation points `key_points`.
pub fn tag(key: &BitVec, points: [u64; 2]) -> [u64; 2] {
    points.map(|r| {
        let mut h = 0u64;
        for &w in key.words() {
            h = gf64_mul(h ^ w, r);
        }
        gf64_mul(h ^ key.len() as u64, r)
    })
}

/// Probability that two different keys of `bits` bits get the same tag.
pub fn collision_probability(bits: usize) -> f64 {
    let l = (bits.div_ceil(64) + 1) as f64;
    (l / 2f64.powi(64)).powi(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_flipped_bit_changes_the_tag_and_equal_keys_agree() {
        let mut key = BitVec::from_bools(&(0..1000).map(|i| i % 3 == 0).collect::<Vec<_>>());
        let points = [0x1234_5678_9abc_def1, 0x0fed_cba9_8765_4321];
        let t = tag(&key, points);
        // Another key of the same content (built separately) gets the same tag.
        let same = BitVec::from_bools(&(0..1000).map(|i| i % 3 == 0).collect::<Vec<_>>());
        assert_eq!(t, tag(&same, points));
        for i in [0, 500, 999] {
            key.flip(i);
            assert_ne!(t, tag(&key, points), "bit {i}");
            key.flip(i);
        }
        // Other points, another tag.
        assert_ne!(t, tag(&key, [points[1], points[0]]));
    }

    #[test]
    fn collision_probability_is_tiny_for_a_megabit() {
        assert!(collision_probability(1 << 20) < 1e-30);
    }
}
