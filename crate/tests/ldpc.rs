//! Rounds reconciled by LDPC syndromes: equal keys, at most three reconciliation messages, and
//! the disclosed count equal to what crossed the channel.

mod common;

use qkdlab::auth::Direction;
use qkdlab::msgs::{Msg, Stage};
use qkdlab::reconciliation::Method;
use qkdlab::session::Adversary;

/// Counts the reconciliation frames and the syndrome and revealed bits in them.
#[derive(Default)]
struct Counter {
    frames: usize,
    syndrome_bits: u64,
    revealed_bits: u64,
}

impl Adversary for Counter {
    fn on_frame(&mut self, _dir: Direction, frame: Vec<u8>) -> Vec<Vec<u8>> {
        if qkdlab::msgs::frame_info(&frame).is_ok_and(|i| i.stage == Stage::Reconciliation) {
            self.frames += 1;
        }
        if !qkdlab::msgs::is_ready(&frame) {
            match qkdlab::auth::peek(&frame).expect("honest frames decode") {
                Msg::LdpcStart { syndromes, .. } => self.syndrome_bits += syndromes.len() as u64,
                Msg::LdpcReveal(bits) => self.revealed_bits += bits.len() as u64,
                Msg::CascadeStart { .. } | Msg::ParityQuery(_) | Msg::Parities(_) => panic!("Cascade in an LDPC round"),
                _ => {}
            }
        }
        vec![frame]
    }
}

#[test]
fn ldpc_rounds_agree_in_at_most_three_messages_and_count_what_they_sent() {
    for q in [0.01, 0.03, 0.05] {
        let mut agreed = 0;
        for run in 0..3 {
            let mut config = common::small(q, &format!("ldpc {q} {run}"));
            config.protocol.pulses = 240_000;
            config.protocol.reconciliation = Method::Ldpc;
            let mut counter = Counter::default();
            let r = common::run_with(&config, &mut counter);
            let s = &r.summary;
            assert_eq!(s.reconciliation, Method::Ldpc);
            assert!(counter.frames <= 3 && counter.frames == s.ldpc_messages, "{} frames", counter.frames);
            // What the syndromes disclose (M - p per frame) plus every revealed bit.
            let n = s.sifted_bits - s.sample_bits;
            let plan = qkdlab::party::ldpc_plan(n, s.qber, s.sample_bits).expect("a plan");
            assert_eq!(counter.syndrome_bits, plan.syndrome_bits() as u64);
            assert_eq!(s.reconciliation_disclosed, plan.leak() + counter.revealed_bits);
            assert_eq!(r.disclosed.reconciliation, s.reconciliation_disclosed);
            assert_eq!(s.ldpc_frames, plan.frames().len());
            if r.ok {
                agreed += 1;
                assert_eq!(r.key_alice, r.key_bob);
            } else {
                // A frame Bob cannot decode is dropped from both keys, never released wrong.
                assert!(s.ldpc_dropped_frames > 0, "q={q} run {run}: {:?}", r.error);
                assert_eq!((r.key_alice.is_some(), r.key_bob.is_some()), (false, false));
            }
        }
        assert!(agreed >= 2, "q={q}: {agreed} of 3 rounds agreed");
    }
}

#[test]
fn a_lost_syndrome_frame_ends_the_round_without_a_key() {
    let mut config = common::small(0.02, "ldpc lost");
    config.protocol.reconciliation = Method::Ldpc;
    struct Forger;
    impl Adversary for Forger {
        fn on_frame(&mut self, dir: Direction, frame: Vec<u8>) -> Vec<Vec<u8>> {
            let is_start =
                !qkdlab::msgs::is_ready(&frame) && matches!(qkdlab::auth::peek(&frame), Ok(Msg::LdpcStart { .. }));
            if dir == Direction::AliceToBob && is_start {
                // Swallow the syndromes: Bob times out, Alice never gets a request.
                return vec![];
            }
            vec![frame]
        }
    }
    let r = common::run_with(&config, &mut Forger);
    assert!(!r.ok);
    assert_eq!((r.key_alice.is_some(), r.key_bob.is_some()), (false, false));
}

#[test]
fn the_reveal_covers_more_standard_deviations_at_low_error_rates() {
    use qkdlab::party::{ldpc_margin, ldpc_plan};
    use qkdlab::reconciliation::ldpc::LdpcPlan;
    for (q, m) in [(0.002, 2.5), (0.01, 2.5), (0.03, 2.0), (0.05, 1.5), (0.11, 1.5)] {
        assert!((ldpc_margin(q) - m).abs() < 1e-12, "margin at {q}: {}", ldpc_margin(q));
    }
    // A round's plan (57,000 key bits, a 6,000-bit sample) holds back more for the reveal than
    // a plan for the estimate alone, and at 1 % more than the margin of 5 % would.
    let (n, sample) = (57_000, 6_000);
    let reveal = |p: &LdpcPlan| p.frames().iter().map(|f| f.reveal).sum::<usize>();
    let round = ldpc_plan(n, 0.01, sample).expect("a plan");
    let bare = LdpcPlan::for_qber(n, 0.01).expect("a plan");
    let sigma = (0.01f64 * 0.99 / sample as f64).sqrt();
    let narrow = LdpcPlan::for_estimate(n, 0.01, 0.01 + 1.5 * sigma).expect("a plan");
    assert!(reveal(&round) > reveal(&narrow) && reveal(&narrow) > reveal(&bare));
    // The first attempt still aims at the estimate: the syndromes disclose the same.
    assert_eq!(round.leak(), bare.leak());
}

include!("shared/ldpc_frame.rs");

#[test]
fn the_reference_frame_decodes_in_the_same_passes_on_every_target() {
    assert_the_reference_frame_decodes();
}
