//! Whole sessions in memory: honest runs, intercept-resend, and every tampering of every
//! classical frame.

mod common;

use qkdlab::amplification::finite_key_length;
use qkdlab::auth::Direction;
use qkdlab::error::{AuthError, Error};
use qkdlab::session::Adversary;
use qkdlab::verification::TAG_BITS;

use common::{run, run_with, small, with_eve};

#[test]
fn no_eve_at_two_percent_gives_equal_keys_of_the_predicted_length() {
    let config = small(0.02, "honest");
    let r = run(&config);
    assert!(r.ok, "{:?}", r.error);
    let (a, b) = (r.key_alice.as_ref().expect("alice key"), r.key_bob.as_ref().expect("bob key"));
    assert_eq!(a, b);
    assert!((r.summary.qber - 0.02).abs() < 0.015, "qber {}", r.summary.qber);
    let n = r.summary.sifted_bits - r.summary.sample_bits;
    let leak = r.disclosed.reconciliation + TAG_BITS;
    let expect = finite_key_length(n, r.summary.sample_bits, r.summary.qber, leak, 1e-10, 1e-15);
    assert!(expect.length > 0);
    assert_eq!(a.len(), expect.length);
    assert_eq!(r.final_key_bits, expect.length);
    assert_eq!(r.summary.finite_key.as_ref().map(|f| f.length), Some(expect.length));
}

#[test]
fn intercept_resend_raises_qber_to_a_quarter() {
    let r = run(&with_eve(0.0, 1.0, "eve everywhere"));
    assert!(!r.ok);
    assert_eq!(r.key_alice, None);
    assert_eq!(r.key_bob, None);
    let sigma = (0.25 * 0.75 / r.summary.sample_bits as f64).sqrt();
    assert!((r.summary.qber - 0.25).abs() < 4.0 * sigma, "qber {} sample {}", r.summary.qber, r.summary.sample_bits);
    assert!(matches!(r.error.as_ref().map(|f| &f.error), Some(Error::QberTooHigh { .. })), "{:?}", r.error);
    assert_eq!(r.intercepted, r.summary.pulses);
}

#[test]
fn intercepting_a_fifth_of_the_photons_adds_five_percent() {
    let r = run(&with_eve(0.0, 0.2, "eve a fifth"));
    let sigma = (0.05 * 0.95 / r.summary.sample_bits as f64).sqrt();
    assert!((r.summary.qber - 0.05).abs() < 4.0 * sigma, "qber {}", r.summary.qber);
}

#[test]
fn same_seed_gives_the_same_report_and_another_seed_another_key() {
    let config = small(0.02, "replay me");
    let (r1, r2) = (run(&config), run(&config));
    assert_eq!(format!("{r1:?}"), format!("{r2:?}"));
    assert_eq!(r1.key_alice, r2.key_alice);
    let r3 = run(&small(0.02, "another seed"));
    assert!(r3.ok);
    assert_ne!(r1.key_alice, r3.key_alice);
}

#[test]
fn a_wrong_psk_fails_authentication_on_the_first_frame() {
    let mut config = small(0.02, "wrong psk");
    let good = run(&config);
    assert!(good.ok);
    // Alice and Bob with different keys: Bob cannot authenticate Hello.
    struct Rekey(qkdlab::auth::Channel);
    impl Adversary for Rekey {
        fn on_frame(&mut self, dir: Direction, frame: Vec<u8>) -> Vec<Vec<u8>> {
            if dir == Direction::BobToAlice {
                return vec![frame];
            }
            let msg = qkdlab::auth::peek(&frame).expect("honest frame");
            vec![self.0.seal(&msg).expect("hmac never runs dry")]
        }
    }
    let other = qkdlab::Credential::psk(&[0x43; 32]).expect("32 bytes");
    let mut mitm = Rekey(qkdlab::auth::Channel::new(&other, Direction::AliceToBob, [0; 32]));
    config.seed = qkdlab::Seed::from_text("wrong psk");
    let r = run_with(&config, &mut mitm);
    let failure = r.error.expect("a failure");
    assert_eq!((failure.error, failure.party), (Error::Auth(AuthError::BadTag), "bob"));
}

/// What the adversary does to the classical frame number `target` (counted over both
/// directions).
#[derive(Clone, Copy, Debug)]
enum Action {
    Observe,
    Drop,
    Edit,
    Replay,
    Inject,
}

struct Tamper {
    target: usize,
    seen: usize,
    action: Action,
}

impl Adversary for Tamper {
    fn on_frame(&mut self, _dir: Direction, frame: Vec<u8>) -> Vec<Vec<u8>> {
        let i = self.seen;
        self.seen += 1;
        if i != self.target {
            return vec![frame];
        }
        match self.action {
            Action::Observe => vec![frame],
            Action::Drop => vec![],
            Action::Edit => {
                // Flip the last bit: inside the tag of a sealed frame, inside the nonce of Ready.
                let mut f = frame;
                let at = f.len() - 1;
                f[at] ^= 0x01;
                vec![f]
            }
            Action::Replay => vec![frame.clone(), frame],
            Action::Inject => {
                // A forged frame with the right header and a made-up tag, ahead of the real one.
                let mut forged = frame.clone();
                let n = forged.len();
                let k = 32.min(n.saturating_sub(11));
                forged[n - k..].fill(0xa5);
                vec![forged, frame]
            }
        }
    }
}

#[test]
fn every_tampering_of_every_classical_frame_aborts_without_a_key() {
    let mut config = small(0.02, "tamper");
    config.protocol.tags = qkdlab::auth::TagMode::PerFrame;
    let mut count = Tamper { target: usize::MAX, seen: 0, action: Action::Observe };
    let honest = run_with(&config, &mut count);
    assert!(honest.ok);
    let frames = count.seen;
    assert!(frames >= 10, "{frames} frames");
    for target in 0..frames {
        let observed = run_with(&config, &mut Tamper { target, seen: 0, action: Action::Observe });
        assert!(observed.ok && observed.key_alice == honest.key_alice, "observing frame {target} changed the outcome");
        for action in [Action::Drop, Action::Edit, Action::Replay, Action::Inject] {
            let r = run_with(&config, &mut Tamper { target, seen: 0, action });
            assert!(!r.ok, "{action:?} on frame {target} left a key");
            assert_eq!((r.key_alice.is_some(), r.key_bob.is_some()), (false, false));
            let e = r.error.expect("an error").error;
            let expected = match action {
                // Frame 0 is Bob's untagged Ready: a second one is out of place for Alice.
                Action::Replay | Action::Inject if target == 0 => {
                    matches!(
                        e,
                        Error::Peer(qkdlab::error::PeerMisbehaved::UnexpectedMessage {
                            got: qkdlab::msgs::Kind::Ready,
                            ..
                        })
                    )
                }
                Action::Edit | Action::Inject => matches!(e, Error::Auth(AuthError::BadTag)),
                // Bob holding a verified key refuses anything but Commit before opening it.
                Action::Replay => matches!(
                    e,
                    Error::Auth(AuthError::Sequence { .. })
                        | Error::Peer(qkdlab::error::PeerMisbehaved::UnexpectedMessage { expected: "Commit", .. })
                ),
                Action::Drop => matches!(e, Error::Timeout { .. }),
                Action::Observe => false,
            };
            assert!(expected, "{action:?} on frame {target}/{frames}: {e:?}");
        }
    }
}

/// Over the transcript, frames between the tagged ones are acted on before they are
/// authenticated: tampering may end the round anywhere, with any typed error, but never with a
/// key on either side, and an edit that goes unnoticed until the end is caught by a tag.
#[test]
fn every_tampering_of_every_frame_under_transcript_tags_ends_without_a_key() {
    let config = small(0.02, "tamper");
    assert_eq!(config.protocol.tags, qkdlab::auth::TagMode::Transcript, "the default");
    let mut count = Tamper { target: usize::MAX, seen: 0, action: Action::Observe };
    let honest = run_with(&config, &mut count);
    assert!(honest.ok);
    assert_eq!(honest.auth.tags, 4, "Hello, Reconciled, Done and Commit");
    let frames = count.seen;
    let mut bad_tags = 0;
    for target in 0..frames {
        for action in [Action::Drop, Action::Edit, Action::Replay, Action::Inject] {
            let r = run_with(&config, &mut Tamper { target, seen: 0, action });
            assert!(!r.ok, "{action:?} on frame {target} left a key");
            assert_eq!((r.key_alice.is_some(), r.key_bob.is_some()), (false, false), "{action:?} on {target}");
            let e = r.error.expect("an error").error;
            bad_tags += usize::from(matches!(e, Error::Auth(AuthError::BadTag)));
            if matches!(action, Action::Drop) {
                assert!(matches!(e, Error::Timeout { .. }), "drop {target}: {e:?}");
            }
        }
    }
    // Many edits inside untagged frames pass every check on the way and fail only at a tag.
    assert!(bad_tags > frames / 4, "{bad_tags} bad tags over {frames} frames");
}

#[test]
fn every_state_a_party_reports_has_a_stage_in_the_core_table() {
    let config = small(0.02, "states");
    let mut d = qkdlab::session::Driver::new(&config).expect("valid");
    let mut states = std::collections::BTreeSet::new();
    loop {
        let (a, b) = d.states();
        states.insert(a);
        states.insert(b);
        if !d.step(&mut qkdlab::session::Passive, &qkdlab::session::NoClock) {
            let (a, b) = d.states();
            states.insert(a);
            states.insert(b);
            break;
        }
    }
    assert!(states.len() >= 8, "{states:?}");
    let known: Vec<&str> = qkdlab::party::STATE_STAGES.iter().map(|(n, _)| *n).collect();
    for s in &states {
        assert!(known.contains(s), "state {s} has no stage");
    }
}

/// The reported reproduction of Cascade leaving an error in a 20,000-pulse round (it ended in
/// verification_failed): the same seed and fiber now give equal keys.
#[test]
fn the_small_round_that_cascade_used_to_leave_wrong_now_agrees() {
    let config = qkdlab::SessionConfig {
        protocol: qkdlab::Config { pulses: 20_000, ..qkdlab::Config::default() },
        channel: qkdlab::ChannelModel {
            length_km: 0.0,
            insertion_loss_db: 0.0,
            detector_efficiency: 1.0,
            error_rate: 0.01,
            ..qkdlab::ChannelModel::default()
        },
        eve: None,
        credential: qkdlab::Credential::psk(&[0; 32]).expect("32 bytes"),
        seed: qkdlab::Seed::from_text("v254"),
    };
    let r = run(&config);
    assert!(r.ok, "{:?}", r.error);
    assert_eq!(r.key_alice, r.key_bob);
}

#[test]
fn each_party_sees_only_its_own_pulses_and_both_see_the_same_sifting() {
    let r = run(&small(0.05, "pulse view"));
    assert!(r.ok);
    let [a, b] = &r.pulse_views;
    assert_eq!((a.pulses, b.pulses), (qkdlab::party::VIEW_PULSES, qkdlab::party::VIEW_PULSES));
    // What each side alone knows stays on its side.
    assert!(a.alice_bits.is_some() && a.bob_bits.is_none() && a.corrected.is_none());
    assert!(b.alice_bits.is_none() && b.alice_bases.is_none() && b.bob_bits.is_some());
    // The public rows agree.
    assert_eq!(a.clicks, b.clicks);
    assert_eq!(a.sifted, b.sifted);
    assert_eq!(a.sampled, b.sampled);
    let (clicks, sifted, sampled) = (
        b.clicks.as_deref().expect("row present"),
        b.sifted.as_deref().expect("row present"),
        b.sampled.as_deref().expect("row present"),
    );
    let (ab, bb, corr) = (
        a.alice_bits.as_deref().expect("row present"),
        b.bob_bits.as_deref().expect("row present"),
        b.corrected.as_deref().expect("row present"),
    );
    // Alice learned Bob's basis exactly at the clicks.
    for i in 0..a.pulses {
        if clicks[i] == 1 {
            assert_eq!(
                a.bob_bases.as_deref().expect("row present")[i],
                b.bob_bases.as_deref().expect("row present")[i]
            );
        } else {
            assert_eq!(a.bob_bases.as_deref().expect("row present")[i], 2);
            assert_eq!(sifted[i], 0);
        }
        // A key bit (sifted, not sampled): Bob's measured bit, corrected where reconciliation
        // flipped it, is Alice's.
        if sifted[i] == 1 && sampled[i] == 0 {
            assert_eq!(bb[i] ^ corr[i], ab[i], "pulse {i}");
        } else {
            assert_eq!(corr[i], 0);
        }
    }
    assert!(
        sifted.iter().filter(|&&s| s == 1).count() > 20,
        "a lossless 60k-pulse round keeps some of the first pulses"
    );
}
