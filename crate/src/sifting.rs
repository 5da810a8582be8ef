//! Sifting: Bob announces where he had clicks and his bases there; Alice answers which bases
//! matched; both keep the bits where they did.

use crate::bits::BitVec;
use crate::error::Error;

/// One bit per click: Alice's basis equals Bob's.
pub fn basis_matches(alice_bases_at_clicks: &BitVec, bob_bases: &BitVec) -> Result<BitVec, Error> {
    if alice_bases_at_clicks.len() != bob_bases.len() {
        return Err(Error::inconsistent("number of bases in the sift message"));
    }
    let mut m = alice_bases_at_clicks.clone();
    m ^= bob_bases;
    for w in m.words_mut() {
        *w = !*w;
    }
    m.clear_tail();
    Ok(m)
}

/// The sifted key: `bits` at the clicks (`clicks`, one per pulse), then at the matches (one per
/// click).
pub fn sifted(bits: &BitVec, clicks: &BitVec, matches: &BitVec) -> Result<BitVec, Error> {
    if clicks.len() != bits.len() {
        return Err(Error::inconsistent("click mask length"));
    }
    let at_clicks = bits.select(clicks);
    if matches.len() != at_clicks.len() {
        return Err(Error::inconsistent("match mask length"));
    }
    Ok(at_clicks.select(matches))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_exactly_the_clicked_pulses_with_matching_bases() {
        let bits = BitVec::from_bools(&[true, false, true, true, false, true]);
        let clicks = BitVec::from_bools(&[true, false, true, true, false, true]);
        let alice_bases = BitVec::from_bools(&[false, true, true, false]);
        let bob_bases = BitVec::from_bools(&[false, false, true, true]);
        let m = basis_matches(&alice_bases, &bob_bases).expect("same lengths");
        assert_eq!(m, BitVec::from_bools(&[true, false, true, false]));
        let s = sifted(&bits, &clicks, &m).expect("consistent masks");
        assert_eq!(s, BitVec::from_bools(&[true, true]));
    }

    #[test]
    fn inconsistent_lengths_are_peer_errors() {
        let e = basis_matches(&BitVec::zeros(3), &BitVec::zeros(4));
        assert_eq!(e.map(|_| ()).expect_err("lengths differ").code(), "peer_misbehaved");
    }
}
