//! Cascade over many seeds and error rates, and its leak accounting against the bits that
//! really crossed the channel.

mod common;

use qkdlab::auth::Direction;
use qkdlab::bits::BitVec;
use qkdlab::msgs::Msg;
use qkdlab::quantum::{fill_bernoulli, random_bits};
use qkdlab::reconciliation::reconcile;
use qkdlab::rng::Seed;
use qkdlab::session::Adversary;
use qkdlab::verification;

fn noisy_pair(n: usize, q: f64, seed: &str) -> (BitVec, BitVec) {
    let mut rng = Seed::from_text(seed).rng("keys");
    let alice = random_bits(n, &mut rng);
    let mut errors = vec![0u64; n.div_ceil(64)];
    fill_bernoulli(&mut errors, n, q, &mut rng);
    let mut bob = alice.clone();
    bob ^= &BitVec::from_words(errors, n);
    (alice, bob)
}

#[test]
fn reconciled_keys_are_equal_whenever_verification_passes() {
    let (mut runs, mut verified) = (0, 0);
    for q in [0.005, 0.01, 0.02, 0.03, 0.05, 0.08] {
        for s in 0..12 {
            let n = 4_000 + 1_337 * s;
            let (alice, bob) = noisy_pair(n, q, &format!("cascade {q} {s}"));
            let actual = alice.hamming_distance(&bob) as f64 / n as f64;
            let r = reconcile(&alice, &bob, actual, &[s as u8; 32]).expect("honest parities");
            let points = [0x1234_5678 + s as u64, 0x9abc_def0 ^ s as u64];
            let passes = verification::tag(&alice, points) == verification::tag(&r.key, points);
            assert_eq!(passes, alice == r.key, "q={q} seed={s}: verification must pass exactly when keys agree");
            runs += 1;
            verified += usize::from(passes);
        }
    }
    // Cascade leaves residual errors rarely; verification catches them.
    assert!(verified * 100 >= runs * 95, "{verified} of {runs} reconciled");
}

#[test]
fn cascade_discloses_about_the_shannon_limit_at_two_percent() {
    let n = 50_000;
    let (alice, bob) = noisy_pair(n, 0.02, "efficiency");
    let q = alice.hamming_distance(&bob) as f64 / n as f64;
    let r = reconcile(&alice, &bob, q, &[7; 32]).expect("honest parities");
    let f = r.disclosed as f64 / (n as f64 * qkdlab::amplification::binary_entropy(q));
    assert_eq!(r.key, alice);
    assert!((1.0..1.2).contains(&f), "f = {f}");
}

#[test]
fn mismatched_lengths_are_refused() {
    let e = reconcile(&BitVec::zeros(10), &BitVec::zeros(11), 0.02, &[0; 32]).expect_err("lengths differ");
    assert_eq!(e.code(), "invalid_parameter");
}

/// Counts the parity bits Alice actually sent, decoding every frame it sees.
#[derive(Default)]
struct ParityCounter {
    bits: u64,
}

impl Adversary for ParityCounter {
    fn on_frame(&mut self, _dir: Direction, frame: Vec<u8>) -> Vec<Vec<u8>> {
        if qkdlab::msgs::is_ready(&frame) {
            return vec![frame];
        }
        match qkdlab::auth::peek(&frame).expect("honest frames decode") {
            Msg::CascadeStart { parities, .. } | Msg::Parities(parities) => self.bits += parities.len() as u64,
            _ => {}
        }
        vec![frame]
    }
}

#[test]
fn disclosed_bit_count_equals_the_parity_bits_sent_in_messages() {
    for (q, seed) in [(0.01, "leak a"), (0.03, "leak b"), (0.05, "leak c")] {
        let mut counter = ParityCounter::default();
        let r = common::run_with(&common::small(q, seed), &mut counter);
        assert!(r.ok, "{:?}", r.error);
        assert!(counter.bits > 0);
        assert_eq!(r.disclosed.reconciliation, counter.bits);
        assert_eq!(r.summary.finite_key.as_ref().map(|f| f.leak_ec), Some(counter.bits + verification::TAG_BITS));
    }
}
