//! The authentication lifecycle: bootstrap, key pools, Wegman-Carter, and the attacks.

mod common;

use qkdlab::attacks::{Recorder, break_later, man_in_the_middle};
use qkdlab::auth::{Channel, Credential, Direction, Identity, safety_number};
use qkdlab::error::{AuthError, Error};
use qkdlab::keystore::KeyStoreConfig;
use qkdlab::link::{self, LinkConfig, PoolMac};
use qkdlab::msgs::Msg;
use qkdlab::rng::Seed;
use qkdlab::session::{Adversary, NoClock, Passive};
use qkdlab::{hmac_sha256, session};

fn link_config(mac: PoolMac, rounds: usize) -> LinkConfig {
    let round = common::small(0.02, "link");
    LinkConfig {
        bob_bootstrap: round.credential.clone(),
        round,
        after_bootstrap: mac,
        rounds,
        pool_target_bits: 512,
        pad_budget_bits: 1024,
        store: KeyStoreConfig::default(),
    }
}

#[test]
fn a_psk_link_bootstraps_then_authenticates_from_its_pool_and_feeds_both_stores() {
    let r = link::run_passive(&link_config(PoolMac::Hmac, 4), &NoClock).expect("valid config");
    assert_eq!(r.stopped, None);
    assert_eq!(r.rounds.len(), 4);
    let modes: Vec<&str> = r.rounds.iter().map(|x| x.report.auth.mode).collect();
    assert_eq!(modes, ["psk-hmac-sha256", "pool-hmac-sha256", "pool-hmac-sha256", "pool-hmac-sha256"]);
    for x in &r.rounds {
        assert!(x.report.ok, "round {}: {:?}", x.round, x.report.error);
        for d in 0..2 {
            assert_eq!(
                x.pool_after[d],
                x.pool_before[d] - x.pool_taken[d] + x.pool_added[d],
                "round {} dir {d}",
                x.round
            );
            assert_eq!(x.pool_after[d], 512);
        }
        let expect_taken = if x.round == 1 { [0, 0] } else { [256, 256] };
        assert_eq!(x.pool_taken, expect_taken);
        let key_bits = x.report.final_key_bits;
        assert_eq!(x.stored_bits, key_bits - x.pool_added[0] - x.pool_added[1]);
        assert_eq!(x.stored_keys, x.stored_bits / 256);
    }
    assert!(!r.alice_store.is_empty());
    assert_eq!(r.alice_store.ids(), r.bob_store.ids());
}

#[test]
fn wegman_carter_rounds_spend_one_pad_per_frame_and_report_epsilon() {
    let mut c = link_config(PoolMac::WegmanCarter, 2);
    c.pool_target_bits = 16_000;
    c.pad_budget_bits = 16_000;
    c.round.protocol.pulses = 400_000;
    let r = link::run_passive(&c, &NoClock).expect("valid config");
    assert_eq!(r.stopped, None, "{:?}", r.rounds.iter().map(|x| &x.report.error).collect::<Vec<_>>());
    let second = &r.rounds[1];
    assert!(second.report.ok, "{:?}", second.report.error);
    assert_eq!(second.report.auth.mode, "pool-wegman-carter");
    assert_eq!(second.report.auth.pad_bits_used, 64 * second.report.auth.frames);
    assert_eq!(second.report.auth.tag_bits, 64 * second.report.auth.frames);
    assert!(second.report.auth.epsilon > 0.0 && second.report.auth.epsilon < 1e-14, "{}", second.report.auth.epsilon);
    // Unused pad came back: what left the pool is the two points plus the pads the frames used.
    let net: usize = (0..2).map(|d| second.pool_taken[d]).sum::<usize>() - second.pool_added.iter().sum::<usize>();
    assert!(net <= 128 + 64 * second.report.auth.frames as usize);
}

#[test]
fn an_empty_pool_stops_the_link_instead_of_reusing_key() {
    let mut c = link_config(PoolMac::Hmac, 3);
    c.pool_target_bits = 200;
    let r = link::run_passive(&c, &NoClock).expect("valid config");
    assert_eq!(r.rounds.len(), 1);
    assert_eq!(r.stopped, Some(Error::AuthPoolExhausted { have: 200, need: 256 }));
}

#[test]
fn a_wegman_carter_round_that_runs_out_of_pad_aborts_and_burns_what_it_took() {
    let mut c = link_config(PoolMac::WegmanCarter, 3);
    c.pad_budget_bits = 640; // ten frames: not enough for a round
    let r = link::run_passive(&c, &NoClock).expect("valid config");
    let second = &r.rounds[1];
    assert!(!second.report.ok);
    assert!(matches!(second.report.error, Some(Error::AuthPoolExhausted { .. })), "{:?}", second.report.error);
    assert_eq!(second.pool_added, [0, 0]);
    for d in 0..2 {
        assert_eq!(second.pool_after[d], second.pool_before[d] - second.pool_taken[d]);
    }
    assert!(matches!(r.stopped, Some(Error::AuthPoolExhausted { .. })));
}

struct FlipInRound {
    flips: usize,
}

impl Adversary for FlipInRound {
    fn on_frame(&mut self, _dir: Direction, mut frame: Vec<u8>) -> Vec<Vec<u8>> {
        if self.flips == 0 {
            self.flips = 1;
            let n = frame.len();
            frame[n - 1] ^= 1;
        }
        vec![frame]
    }
}

#[test]
fn a_tampered_round_aborts_burns_its_pool_bits_and_the_next_round_uses_fresh_ones() {
    let c = link_config(PoolMac::Hmac, 3);
    let r = link::run(
        &c,
        &mut |round| if round == 2 { Box::new(FlipInRound { flips: 0 }) } else { Box::new(Passive) },
        &NoClock,
    )
    .expect("valid config");
    assert_eq!(r.rounds.len(), 3);
    let (second, third) = (&r.rounds[1], &r.rounds[2]);
    assert_eq!(second.report.error, Some(Error::Auth(AuthError::BadTag)));
    assert_eq!(second.pool_after, [512 - 256, 512 - 256]);
    assert!(third.report.ok, "{:?}", third.report.error);
    assert_eq!(third.pool_before, second.pool_after);
}

#[test]
fn pki_bootstrap_signs_round_one_and_both_sides_read_the_same_safety_number() {
    let seed = Seed::from_text("pki");
    let (a, b) = (Identity::from_seed(&seed, "alice"), Identity::from_seed(&seed, "bob"));
    let mut c = link_config(PoolMac::Hmac, 2);
    c.round.credential = Credential::Pki { own: Box::new(a.clone()), peer: b.public() };
    c.bob_bootstrap = Credential::Pki { own: Box::new(b.clone()), peer: a.public() };
    let r = link::run_passive(&c, &NoClock).expect("valid config");
    assert!(r.rounds.iter().all(|x| x.report.ok));
    assert_eq!(r.rounds[0].report.auth.mode, "pki-ed25519");
    assert_eq!(r.rounds[0].report.auth.tag_bits, 512 * r.rounds[0].report.auth.frames);
    assert_eq!(safety_number(&a.public(), &b.public()), safety_number(&b.public(), &a.public()));

    // Bob pinned a key that is not Alice's: the first frame fails.
    let mallory = Identity::from_seed(&seed, "mallory");
    let bob_wrong = Credential::Pki { own: Box::new(b), peer: mallory.public() };
    let mut d = session::Driver::with_credentials(&c.round, &c.round.credential, &bob_wrong).expect("valid");
    while d.step(&mut Passive, &NoClock) {}
    assert_eq!(d.finish().error, Some(Error::Auth(AuthError::BadTag)));
}

#[test]
fn a_man_in_the_middle_with_the_leaked_psk_leaves_alice_and_bob_with_different_keys() {
    let config = common::small(0.02, "mitm");
    let psk = config.credential.clone();
    let out = man_in_the_middle(&config, &psk, &psk, &psk, &psk, &NoClock).expect("valid");
    let (ka, kb) = (out.alice_key().expect("Alice got a key"), out.bob_key().expect("Bob got a key"));
    assert_ne!(ka, kb);
    // Eve holds both.
    assert_eq!(out.with_alice.key_bob.as_ref(), Some(ka));
    assert_eq!(out.with_bob.key_alice.as_ref(), Some(kb));
    // Their first authenticated message fails: Bob's tag check with his key rejects Alice's.
    let msg = b"meet at noon";
    assert_ne!(hmac_sha256(&ka.to_bytes(), msg), hmac_sha256(&kb.to_bytes(), msg));
}

#[test]
fn a_man_in_the_middle_without_the_credential_is_refused_on_both_sides() {
    let config = common::small(0.02, "mitm blind");
    let psk = config.credential.clone();
    let guess = Credential::psk(&[0x13; 32]).expect("32 bytes");
    let out = man_in_the_middle(&config, &psk, &psk, &guess, &guess, &NoClock).expect("valid");
    assert_eq!(out.with_alice.error, Some(Error::Auth(AuthError::BadTag)));
    assert_eq!(out.with_bob.error, Some(Error::Auth(AuthError::BadTag)));
    assert!(out.alice_key().is_none() && out.bob_key().is_none());
}

#[test]
fn a_credential_leaked_after_round_one_gives_eve_no_better_than_chance() {
    let config = common::small(0.02, "record now");
    let mut recorder = Recorder::default();
    let report = common::run_with(&config, &mut recorder);
    assert!(report.ok);
    let key = report.key_alice.expect("a key");
    let eve = break_later(&recorder.frames, &config.credential, &Seed::from_text("eve"))
        .expect("the PSK opens the transcript");
    assert_eq!(eve.frames_verified, recorder.frames.len());
    assert_eq!(eve.guess.len(), key.len());
    let agree = 1.0 - eve.guess.hamming_distance(&key) as f64 / key.len() as f64;
    let sigma = 0.5 / (key.len() as f64).sqrt();
    assert!((agree - 0.5).abs() < 4.0 * sigma, "Eve agrees on {agree} of {} bits", key.len());
}

/// Eve re-tags every frame with the PSK that leaked after round 1.
struct Retag(Channel, Channel);

impl Adversary for Retag {
    fn on_frame(&mut self, dir: Direction, frame: Vec<u8>) -> Vec<Vec<u8>> {
        let payload = Msg::decode_payload(frame[1], &frame[11..frame.len() - 32]).ok();
        match (payload, dir) {
            (Some(mut m), Direction::AliceToBob) => {
                if let Msg::Parities(p) = &mut m {
                    if !p.is_empty() {
                        p.flip(0);
                    }
                }
                vec![self.0.seal(&m).expect("hmac")]
            }
            (Some(m), Direction::BobToAlice) => vec![self.1.seal(&m).expect("hmac")],
            (None, _) => vec![frame],
        }
    }
}

#[test]
fn the_leaked_psk_does_not_authenticate_round_two() {
    let c = link_config(PoolMac::Hmac, 2);
    let psk = c.round.credential.clone();
    let r = link::run(
        &c,
        &mut |round| {
            if round == 2 {
                Box::new(Retag(Channel::new(&psk, Direction::AliceToBob), Channel::new(&psk, Direction::BobToAlice)))
            } else {
                Box::new(Passive)
            }
        },
        &NoClock,
    )
    .expect("valid config");
    assert!(r.rounds[0].report.ok);
    assert!(!r.rounds[1].report.ok);
    assert_eq!(r.rounds[1].report.error, Some(Error::Auth(AuthError::BadTag)));
}

#[test]
fn a_key_shorter_than_both_pools_need_is_shared_between_them() {
    let mut c = link_config(PoolMac::Hmac, 2);
    c.pool_target_bits = 1 << 20;
    let r = link::run_passive(&c, &NoClock).expect("valid config");
    let first = &r.rounds[0];
    let key = first.report.final_key_bits;
    assert_eq!(first.pool_added[0] + first.pool_added[1], key);
    assert!(first.pool_added[0].abs_diff(first.pool_added[1]) <= 1);
    assert_eq!(first.stored_bits, 0);
    assert!(r.rounds[1].report.ok);
}

#[test]
fn a_transcript_whose_seed_is_shorter_than_the_key_gives_an_empty_guess_not_a_panic() {
    let psk = Credential::psk(&[0x42; 32]).expect("32 bytes");
    let mut alice = Channel::new(&psk, Direction::AliceToBob);
    let mut bob = Channel::new(&psk, Direction::BobToAlice);
    let bits = |n: usize| qkdlab::bits::BitVec::zeros(n);
    let transcript = vec![
        (Direction::BobToAlice, bob.seal(&Msg::Sift { clicks: bits(8), bases: bits(8) }).expect("hmac")),
        (
            Direction::AliceToBob,
            alice
                .seal(&Msg::SiftReply {
                    matches: qkdlab::bits::BitVec::from_bools(&[true; 8]),
                    sample: bits(8),
                    sample_bits: bits(0),
                })
                .expect("hmac"),
        ),
        (Direction::AliceToBob, alice.seal(&Msg::Confirm { tag: [0, 0], toeplitz_seed: bits(3) }).expect("hmac")),
    ];
    let eve = break_later(&transcript, &psk, &Seed::from_text("x")).expect("authentic frames");
    assert_eq!(eve.frames_verified, 3);
    assert!(eve.guess.is_empty());
}
