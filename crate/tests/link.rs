//! The link lifecycle: bootstrap, key pools, session binding, forged control and frames, and
//! the attacks on the classical channel.

mod common;

use std::collections::HashMap;

use qkdlab::attacks::{Recorder, break_later, man_in_the_middle};
use qkdlab::auth::{Credential, Direction, Identity, safety_number};
use qkdlab::error::{AuthError, Error, LinkError};
use qkdlab::keystore::KeyStoreConfig;
use qkdlab::link::{self, Event, LinkAlice, LinkBob, LinkConfig, LinkReport, LinkSettings, PoolMac, PoolUse};
use qkdlab::msgs::{self, Kind, RoundAuth};
use qkdlab::party::{Alice, RoundContext};
use qkdlab::rng::Seed;
use qkdlab::session::{Adversary, NoClock, Passive};

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
fn both_sides_record_the_same_summary_when_an_eavesdropper_aborts_the_round() {
    let mut c = link_config(PoolMac::Hmac, 1);
    c.round.eve = Some(qkdlab::InterceptResend { fraction: 1.0, basis: Default::default() }.into());
    let r = link::run_passive(&c, &NoClock).expect("valid config");
    let x = &r.rounds[0];
    assert!(matches!(x.error, Some(Error::QberTooHigh { .. })), "{:?}", x.error);
    let (a, b) = (x.alice.as_ref().expect("alice"), x.bob.as_ref().expect("bob"));
    assert!(a.summary.qber > 0.15 && a.summary.sample_bits > 0, "{:?}", a.summary);
    assert_eq!(a.summary, b.summary, "the abort is computed on the same public record");
}

/// Every pool position is used at most once on each side, and a position both sides used was
/// used by the same round for the same purpose (or burned by one of them).
fn assert_ledgers_sound(r: &LinkReport) {
    for d in 0..2 {
        let mut seen: [HashMap<u64, (u32, PoolUse)>; 2] = Default::default();
        for (side, pools) in [r.alice.pools(), r.bob.pools()].into_iter().enumerate() {
            for e in pools[d].ledger() {
                for p in e.start..e.start + e.len {
                    let again = seen[side].insert(p, (e.round, e.used_for));
                    assert!(again.is_none(), "direction {d} side {side}: bit {p} used twice");
                }
            }
        }
        for (p, (round, used)) in &seen[0] {
            if let Some((r2, u2)) = seen[1].get(p)
                && *used != PoolUse::Skipped
                && *u2 != PoolUse::Skipped
            {
                assert_eq!((round, used), (r2, u2), "direction {d}: bit {p} used differently");
            }
        }
    }
}

/// Both sides' stores hold the same keys under the same ids.
fn assert_stores_equal(r: &mut LinkReport) {
    for d in 0..2 {
        assert_eq!(r.alice.stores()[d].ids(), r.bob.stores()[d].ids(), "store {d}");
    }
    let n = r.alice.stores()[0].len().min(128);
    if n > 0 {
        let a = r.alice.stores_mut()[0].enc_keys("SAE_B", Some(n), None).expect("keys");
        let ids: Vec<String> = a.keys.iter().map(|k| k.key_ID.clone()).collect();
        let b = r.bob.stores_mut()[0].dec_keys("SAE_A", &ids).expect("same ids");
        assert_eq!(a, b);
    }
}

#[test]
fn a_psk_link_bootstraps_then_authenticates_from_its_pool_and_feeds_both_stores() {
    let mut r = link::run_passive(&link_config(PoolMac::Hmac, 4), &NoClock).expect("valid config");
    assert!(r.stopped.is_none());
    for x in &r.rounds {
        assert!(x.ok, "round {}: {:?}", x.round, x.error);
        let (a, b) = (x.alice.as_ref().expect("alice"), x.bob.as_ref().expect("bob"));
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_eq!(a.summary, b.summary, "round {}: both sides fill one agreed record", x.round);
        assert!(a.summary.finite_key.is_some() && a.summary.cascade_round_trips > 0);
        assert_eq!(a.fingerprint.as_ref().map(String::len), Some(8), "32 bits in hex");
        assert_eq!(a.pool_added, b.pool_added);
        for d in 0..2 {
            // Exact arithmetic: what was there, minus what the round took, plus its refill.
            assert_eq!(a.pool_after[d], a.pool_before[d] - a.pool_taken[d] + a.pool_added[d]);
            assert_eq!(a.pool_after[d], 512, "refilled to the target");
        }
        let expect_taken = if x.round == 1 { [0, 0] } else { [256, 256] };
        assert_eq!(a.pool_taken, expect_taken);
        // The key: fingerprint, then the refill, then the stores.
        assert_eq!(a.key_bits, 32 + (a.pool_added[0] + a.pool_added[1]) as usize + a.stored_bits);
        assert_eq!(a.stored_keys, [a.stored_bits / 2 / 256, (a.stored_bits - a.stored_bits / 2) / 256]);
    }
    let modes: Vec<&str> = r.rounds.iter().map(|x| x.alice.as_ref().expect("alice").mode).collect();
    assert_eq!(modes, ["psk", "pool-hmac", "pool-hmac", "pool-hmac"]);
    assert_ledgers_sound(&r);
    assert_stores_equal(&mut r);
}

#[test]
fn wegman_carter_rounds_spend_four_pads_and_charge_epsilon_on_the_longest_transcript() {
    let mut c = link_config(PoolMac::WegmanCarter, 3);
    c.round.protocol.pulses = 1_000_000;
    c.pool_target_bits = 40_000;
    c.pad_budget_bits = 24_000;
    let r = link::run_passive(&c, &NoClock).expect("valid config");
    assert!(r.rounds.iter().all(|x| x.ok), "{:?}", r.rounds.iter().map(|x| &x.error).collect::<Vec<_>>());
    let a = r.rounds[1].alice.as_ref().expect("alice");
    assert_eq!(a.mode, "pool-wegman-carter");
    // Four tags over the transcript whatever the round's length: Hello and Commit sealed by
    // Alice, Reconciled and Done checked; the pool gave exactly those pads.
    assert!(a.auth.frames_sent + a.auth.frames_received > 20);
    assert_eq!((a.auth.tags_sent, a.auth.tags_received), (2, 2));
    assert_eq!(a.auth.pad_bits_used, 4 * 64);
    assert_eq!(a.pool_taken, [64 + 2 * 64, 64 + 2 * 64], "a 64-bit hash point and the pads, per direction");
    // Per checked tag: (words of the longest acceptable transcript + 1) / 2^64.
    let per = (qkdlab::auth::MAX_TRANSCRIPT_LEN.div_ceil(8) + 1) as f64 / 2f64.powi(64);
    assert!((a.auth.epsilon - 2.0 * per).abs() < 1e-24);
    assert_ledgers_sound(&r);
}

#[test]
fn per_frame_wegman_carter_spends_one_pad_per_frame_and_charges_the_longest_frame() {
    let mut c = link_config(PoolMac::WegmanCarter, 3);
    c.round.protocol.pulses = 1_000_000;
    c.round.protocol.tags = qkdlab::auth::TagMode::PerFrame;
    c.pool_target_bits = 40_000;
    c.pad_budget_bits = 24_000;
    let r = link::run_passive(&c, &NoClock).expect("valid config");
    assert!(r.rounds.iter().all(|x| x.ok), "{:?}", r.rounds.iter().map(|x| &x.error).collect::<Vec<_>>());
    let a = r.rounds[1].alice.as_ref().expect("alice");
    // Alice checks every frame Bob sent with one pad, and seals hers with one each.
    assert_eq!(a.auth.pad_bits_used, 64 * (a.auth.frames_sent + a.auth.frames_received));
    assert_eq!(a.auth.tags_sent, a.auth.frames_sent);
    // Per accepted frame: (words of the longest acceptable frame + its session id + 1) / 2^64.
    let per = ((qkdlab::auth::MAX_FRAME_LEN + 32).div_ceil(8) + 1) as f64 / 2f64.powi(64);
    assert!((a.auth.epsilon - per * a.auth.frames_received as f64).abs() < 1e-24);
    assert_ledgers_sound(&r);
}

#[test]
fn an_empty_pool_stops_the_link_instead_of_reusing_key() {
    let mut c = link_config(PoolMac::Hmac, 3);
    c.pool_target_bits = 100; // below one HMAC key
    let r = link::run_passive(&c, &NoClock).expect("valid config");
    assert_eq!(r.rounds.len(), 1);
    assert!(matches!(r.stopped, Some(Error::AuthPoolExhausted { have: 100, need: 256 })));
}

/// Does `what` to the `index`-th classical frame (Ready included) of round `round`.
struct Tamper {
    index: usize,
    seen: usize,
    what: &'static str,
    last: Option<Vec<u8>>,
}

impl Adversary for Tamper {
    fn on_frame(&mut self, _dir: Direction, frame: Vec<u8>) -> Vec<Vec<u8>> {
        self.seen += 1;
        if self.seen != self.index + 1 {
            self.last = Some(frame.clone());
            return vec![frame];
        }
        match self.what {
            "drop" => vec![],
            "edit" => {
                let mut f = frame;
                let i = f.len() - 1;
                f[i] ^= 1;
                vec![f]
            }
            "inject" => {
                let mut forged = frame.clone();
                let i = forged.len() / 2;
                forged[i] ^= 0x40;
                vec![forged, frame]
            }
            _ => {
                // replay: the previous frame again, then this one.
                let mut out: Vec<Vec<u8>> = self.last.take().into_iter().collect();
                out.push(frame);
                out
            }
        }
    }
}

#[test]
fn any_forged_dropped_injected_or_replayed_frame_costs_at_most_its_round() {
    let c = link_config(PoolMac::Hmac, 4);
    let frames = frames_in_round_two(&c);
    assert!(frames > 10, "a round has {frames} classical frames");
    for what in ["drop", "edit", "inject", "replay"] {
        for index in 0..frames {
            let r = link::run(
                &c,
                &mut |round| -> Box<dyn Adversary> {
                    if round == 2 { Box::new(Tamper { index, seen: 0, what, last: None }) } else { Box::new(Passive) }
                },
                &NoClock,
            )
            .expect("valid config");
            let errors: Vec<_> = r.rounds.iter().map(|x| &x.error).collect();
            assert!(r.stopped.is_none(), "{what} #{index}: the link stopped: {:?}", r.stopped);
            // One round may be lost: round 2, or round 3 when the frame was round 2's last
            // Ready (Alice then opens round 3 with a nonce Bob never sent).
            let lost = r.rounds.iter().filter(|x| !x.ok).count();
            assert!(r.rounds[0].ok && lost <= 1 && r.rounds[3].ok, "{what} #{index}: {errors:?}");
            assert_ledgers_sound(&r);
            let mut r = r;
            assert_stores_equal(&mut r);
            assert_eq!(r.alice.last_committed(), r.bob.last_committed(), "{what} #{index}");
        }
    }
}

#[test]
fn wegman_carter_links_stay_in_step_when_frames_are_forged_even_while_bob_awaits_commit() {
    // A round here has up to ~350 frames per direction, 64 pad bits each: the pools must hold
    // a round's pads twice over so that one lost round leaves enough for the next (a round
    // takes at most half of what is left).
    let mut c = link_config(PoolMac::WegmanCarter, 4);
    c.round.protocol.pulses = 2_000_000;
    c.pool_target_bits = 160_000;
    c.pad_budget_bits = 28_000;
    let frames = frames_in_round_two(&c);
    // Injections and replays anywhere, including just before Commit (Bob awaits it then).
    for what in ["inject", "replay"] {
        for index in [1, frames / 2, frames - 3, frames - 2, frames - 1] {
            let r = link::run(
                &c,
                &mut |round| -> Box<dyn Adversary> {
                    if round == 2 { Box::new(Tamper { index, seen: 0, what, last: None }) } else { Box::new(Passive) }
                },
                &NoClock,
            )
            .expect("valid config");
            let errors: Vec<_> = r.rounds.iter().map(|x| &x.error).collect();
            let lost = r.rounds.iter().filter(|x| !x.ok).count();
            assert!(r.stopped.is_none() && lost <= 1 && r.rounds[3].ok, "{what} #{index}/{frames}: {errors:?}");
            assert_ledgers_sound(&r);
            let mut r = r;
            assert_stores_equal(&mut r);
            for d in 0..2 {
                assert_eq!(r.alice.pools()[d].available(), r.bob.pools()[d].available(), "{what} #{index}");
            }
        }
    }
}

fn frames_in_round_two(c: &LinkConfig) -> usize {
    let counter = std::rc::Rc::new(std::cell::Cell::new(0usize));
    struct Count(std::rc::Rc<std::cell::Cell<usize>>);
    impl Adversary for Count {
        fn on_frame(&mut self, _dir: Direction, frame: Vec<u8>) -> Vec<Vec<u8>> {
            self.0.set(self.0.get() + 1);
            vec![frame]
        }
    }
    let k = counter.clone();
    let _ = link::run(
        &LinkConfig { rounds: 2, ..c.clone() },
        &mut |round| -> Box<dyn Adversary> { if round == 2 { Box::new(Count(k.clone())) } else { Box::new(Passive) } },
        &NoClock,
    );
    counter.get()
}

fn endpoints(link: &str, seed: &str) -> (LinkAlice, LinkBob) {
    let psk = Credential::psk(&[0x42; 32]).expect("32 bytes");
    let s = LinkSettings::default();
    (
        LinkAlice::new(link, s.clone(), psk.clone(), Seed::from_text(&format!("{seed} a"))).expect("valid"),
        LinkBob::new(link, s, psk, Seed::from_text(&format!("{seed} b"))).expect("valid"),
    )
}

fn refused(events: &[Event]) -> Option<Error> {
    events.iter().find_map(|e| if let Event::Refused(e) = e { Some(e.clone()) } else { None })
}

#[test]
fn a_hello_from_another_room_round_or_session_is_refused_at_the_first_frame() {
    let config = common::small(0.02, "x").protocol;
    let (mut alice, bob) = endpoints("room one", "s1");
    alice.handle(&bob.ready_frame());
    let step = alice.start_round(config.clone()).expect("ready");
    let hello = step.frames.iter().find(|f| msgs::kind(f) == Ok(Kind::Hello)).expect("Hello").clone();
    // Another room, same PSK: the session id differs.
    let (_, mut other_room) = endpoints("room two", "s1");
    assert_eq!(refused(&other_room.handle(&hello).events), Some(Error::Auth(AuthError::BadTag)));
    // The same room, another session (Bob's nonce differs), same PSK.
    let (_, mut other_session) = endpoints("room one", "s2");
    assert_eq!(refused(&other_session.handle(&hello).events), Some(Error::Auth(AuthError::BadTag)));
    // The right Bob accepts it once; the same Hello again is a stale round.
    let mut bob = bob;
    assert!(refused(&bob.handle(&hello).events).is_none());
    assert_eq!(refused(&bob.handle(&hello).events), Some(Error::Link(LinkError::StaleRound { last: 1, got: 1 })));
}

#[test]
fn a_forged_ready_or_a_dropped_commit_costs_at_most_one_round_and_never_desynchronises() {
    let c = link_config(PoolMac::Hmac, 5);
    // Round 2: Eve swaps the Ready Bob sends after Done for her own nonce (round 3, opened
    // with it, is refused by Bob); round 4: she drops Alice's Commit.
    struct Forge(usize, bool);
    impl Adversary for Forge {
        fn on_frame(&mut self, _dir: Direction, frame: Vec<u8>) -> Vec<Vec<u8>> {
            if msgs::is_ready(&frame) && self.0 == 2 && !self.1 {
                self.1 = true;
                return vec![msgs::Ready { nonce_b: [9; 32] }.encode()];
            }
            if msgs::kind(&frame) == Ok(Kind::Commit) && self.0 == 4 {
                return vec![];
            }
            vec![frame]
        }
    }
    let mut r = link::run(&c, &mut |round| Box::new(Forge(round, false)), &NoClock).expect("valid config");
    let ok: Vec<(u32, bool)> = r.rounds.iter().map(|x| (x.round, x.ok)).collect();
    assert_eq!(
        ok,
        [(1, true), (2, true), (3, false), (4, true), (5, true)],
        "{:?}",
        r.rounds.iter().map(|x| &x.error).collect::<Vec<_>>()
    );
    // Round 4: Bob, whose Commit was dropped, committed it when round 5's Hello said so.
    assert!(r.rounds[3].bob.as_ref().is_some_and(|b| b.ok));
    assert!(r.stopped.is_none());
    assert_ledgers_sound(&r);
    assert_stores_equal(&mut r);
    assert_eq!((r.alice.last_committed(), r.bob.last_committed()), (5, 5));
}

#[test]
fn a_key_whose_done_was_dropped_is_discarded_on_both_sides() {
    let c = link_config(PoolMac::Hmac, 3);
    struct DropDone(usize);
    impl Adversary for DropDone {
        fn on_frame(&mut self, _dir: Direction, frame: Vec<u8>) -> Vec<Vec<u8>> {
            if msgs::kind(&frame) == Ok(Kind::Done) && self.0 == 2 { vec![] } else { vec![frame] }
        }
    }
    let mut r = link::run(&c, &mut |round| Box::new(DropDone(round)), &NoClock).expect("valid config");
    let two = &r.rounds[1];
    assert!(!two.ok);
    assert_eq!(two.bob.as_ref().and_then(|b| b.error.clone()), Some(Error::Link(LinkError::Uncommitted)));
    assert!(r.rounds[2].ok, "{:?}", r.rounds[2].error);
    assert_ledgers_sound(&r);
    assert_stores_equal(&mut r);
}

#[test]
fn after_a_committed_round_the_bootstrap_credential_is_refused() {
    let config = common::small(0.02, "x").protocol;
    let (mut alice, mut bob) = endpoints("room", "down");
    common::link_round(&mut alice, &mut bob, &common::small(0.02, "x"), "f");
    assert_eq!((alice.last_committed(), bob.last_committed()), (1, 1));
    // Mallory holds the PSK and opens round 2 with it: Bob refuses the downgrade.
    let psk = Credential::psk(&[0x42; 32]).expect("32 bytes");
    let context = RoundContext { link: "room".into(), round: 2, auth: RoundAuth::Bootstrap, prev_committed: 1 };
    let mut mallory = Alice::new(config, &psk, context, Seed::from_text("m").rng("m")).expect("valid");
    let hello = mallory
        .handle(&bob.ready_frame())
        .expect("Ready")
        .into_iter()
        .find(|f| msgs::kind(f) == Ok(Kind::Hello))
        .expect("Hello");
    assert_eq!(refused(&bob.handle(&hello).events), Some(Error::Link(LinkError::Downgrade)));
    assert_eq!(bob.last_committed(), 1);
}

#[test]
fn a_bob_that_lost_his_state_refuses_a_pool_round_and_says_so() {
    let (mut alice, mut bob) = endpoints("room", "reload");
    common::link_round(&mut alice, &mut bob, &common::small(0.02, "x"), "f");
    assert_eq!(alice.last_committed(), 1);
    // Bob's tab reloads: a new endpoint from the same link (the PSK only), a fresh nonce.
    let psk = Credential::psk(&[0x42; 32]).expect("32 bytes");
    let mut fresh = LinkBob::new("room", LinkSettings::default(), psk, Seed::from_text("reload b2")).expect("valid");
    alice.handle(&fresh.ready_frame());
    let hello = alice
        .start_round(common::small(0.02, "x").protocol)
        .expect("Alice's pools hold the round's keys")
        .frames
        .into_iter()
        .find(|f| msgs::kind(f) == Ok(Kind::Hello))
        .expect("Hello");
    // Not a downgrade: a round on the link's own keys, which this Bob does not hold.
    let e = refused(&fresh.handle(&hello).events).expect("refused");
    assert_eq!(e, Error::Link(LinkError::NoPool));
    assert_eq!(e.code(), "auth_no_pool");
    assert_eq!(fresh.last_committed(), 0);
}

#[test]
fn pki_bootstrap_signs_round_one_and_both_sides_read_the_same_safety_number() {
    let seed = Seed::from_text("pki");
    let (a, b) = (Identity::from_seed(&seed, "alice"), Identity::from_seed(&seed, "bob"));
    let mut c = link_config(PoolMac::Hmac, 2);
    c.round.credential = Credential::Pki { own: Box::new(a.clone()), peer: b.public() };
    c.bob_bootstrap = Credential::Pki { own: Box::new(b.clone()), peer: a.public() };
    let r = link::run_passive(&c, &NoClock).expect("valid config");
    assert!(r.rounds.iter().all(|x| x.ok));
    let one = r.rounds[0].alice.as_ref().expect("alice");
    assert_eq!(one.mode, "pki");
    assert_eq!(safety_number(&a.public(), &b.public()), safety_number(&b.public(), &a.public()));

    // Bob pinned a key that is not Alice's: her Hello is refused.
    let mallory = Identity::from_seed(&seed, "mallory");
    c.bob_bootstrap = Credential::Pki { own: Box::new(b), peer: mallory.public() };
    c.rounds = 1;
    let r = link::run_passive(&c, &NoClock).expect("valid config");
    assert!(!r.rounds[0].ok);
    assert_eq!(r.bob.last_round(), 0, "Bob accepted nothing");
}

#[test]
fn a_man_in_the_middle_with_the_leaked_psk_leaves_alice_and_bob_with_different_keys() {
    let config = common::small(0.02, "mitm");
    let psk = config.credential.clone();
    let out = man_in_the_middle(&config, &psk, &psk, &psk, &psk, &NoClock).expect("valid");
    let (ka, kb) = (out.alice_key().expect("Alice got a key"), out.bob_key().expect("Bob got a key"));
    assert_ne!(ka, kb);
    assert_eq!(out.with_alice.key_bob.as_ref(), Some(ka));
    assert_eq!(out.with_bob.key_alice.as_ref(), Some(kb));
}

#[test]
fn a_man_in_the_middle_without_the_credential_is_refused_on_both_sides() {
    let config = common::small(0.02, "mitm blind");
    let psk = config.credential.clone();
    let guess = Credential::psk(&[0x13; 32]).expect("32 bytes");
    let out = man_in_the_middle(&config, &psk, &psk, &guess, &guess, &NoClock).expect("valid");
    assert_eq!(out.with_alice.error.as_ref().map(|f| &f.error), Some(&Error::Auth(AuthError::BadTag)));
    assert_eq!(out.with_bob.error.as_ref().map(|f| &f.error), Some(&Error::Auth(AuthError::BadTag)));
    assert!(out.alice_key().is_none() && out.bob_key().is_none());
}

#[test]
fn a_credential_leaked_after_round_one_gives_eve_no_better_than_chance() {
    let config = common::small(0.02, "record now");
    let mut recorder = Recorder::default();
    let report = common::run_with(&config, &mut recorder);
    assert!(report.ok);
    let key = report.key_alice.expect("a key");
    let eve = break_later(&recorder.frames, &config.credential, qkdlab::session::SINGLE_LINK, &Seed::from_text("eve"))
        .expect("the PSK opens the transcript");
    assert_eq!(eve.frames_verified, recorder.frames.len() - 1, "every frame but the untagged Ready");
    assert_eq!(eve.guess.len(), key.len());
    let agree = 1.0 - eve.guess.hamming_distance(&key) as f64 / key.len() as f64;
    let sigma = 0.5 / (key.len() as f64).sqrt();
    assert!((agree - 0.5).abs() < 4.0 * sigma, "Eve agrees on {agree} of {} bits", key.len());
}

#[test]
fn a_key_shorter_than_both_pools_need_is_shared_between_them() {
    let mut c = link_config(PoolMac::Hmac, 2);
    c.pool_target_bits = 1 << 20;
    let r = link::run_passive(&c, &NoClock).expect("valid config");
    let first = r.rounds[0].alice.as_ref().expect("alice");
    assert_eq!((first.pool_added[0] + first.pool_added[1]) as usize, first.key_bits - 32);
    assert!(first.pool_added[0].abs_diff(first.pool_added[1]) <= 1);
    assert_eq!(first.stored_bits, 0);
    assert!(r.rounds[1].ok);
}

#[test]
fn the_record_now_break_later_demo_measures_chance_and_refuses_a_pki_bootstrap() {
    let config = common::small(0.02, "demo");
    let r = qkdlab::attacks::record_now_break_later(&config, &config.credential, &NoClock).expect("a key");
    assert!(r.frames_verified > 10);
    let sigma = 0.5 / (r.key_bits as f64).sqrt();
    assert!((r.agreement - 0.5).abs() < 4.0 * sigma, "{r:?}");
    let (a, b) = Credential::pki_pair(&Seed::from_text("pki"));
    let pki = qkdlab::SessionConfig { credential: a, ..config };
    let e = qkdlab::attacks::record_now_break_later(&pki, &b, &NoClock).expect_err("a PSK demo");
    assert_eq!(e.code(), "invalid_parameter");
}
