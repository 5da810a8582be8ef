//! The classical key exchanges: known answers for X25519 (RFC 7748) and ML-KEM-768 (NIST ACVP,
//! FIPS 203), both sides deriving the same keys under each method and credential, tampering
//! refused with typed errors, a man in the middle with and without the credential, and
//! "record now, decrypt later" on the toy group (really broken) and the others (described).

use qkdlab::auth::{Direction, Identity};
use qkdlab::kex::primitives::{mlkem768_decapsulate, mlkem768_encapsulate, mlkem768_keygen, x25519, x25519_public};
use qkdlab::kex::{Breaks, KeyExchange, Method, Recording};
use qkdlab::msgs::{self};
use qkdlab::{Credential, Error, Seed};
use serde_json::Value;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

fn data(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("test data")).expect("json")
}

fn field(v: &Value, k: &str) -> Vec<u8> {
    unhex(v[k].as_str().expect("a hex string"))
}

#[test]
fn x25519_matches_rfc_7748() {
    let v = data("x25519_rfc7748.json");
    for t in v["function"].as_array().expect("vectors") {
        assert_eq!(x25519(&field(t, "scalar"), &field(t, "u")).expect("32 bytes").to_vec(), field(t, "output"));
    }
    let dh = &v["diffieHellman"];
    let (a, b): ([u8; 32], [u8; 32]) =
        (field(dh, "alicePrivate").try_into().expect("32"), field(dh, "bobPrivate").try_into().expect("32"));
    assert_eq!(x25519_public(&a).to_vec(), field(dh, "alicePublic"));
    assert_eq!(x25519_public(&b).to_vec(), field(dh, "bobPublic"));
    assert_eq!(x25519(&a, &field(dh, "bobPublic")).expect("ok").to_vec(), field(dh, "shared"));
    assert_eq!(x25519(&b, &field(dh, "alicePublic")).expect("ok").to_vec(), field(dh, "shared"));
    assert_eq!(x25519(&a[..31], &b).map_err(|e| e.code()), Err("invalid_parameter"));
}

#[test]
fn mlkem768_matches_the_acvp_vectors() {
    let v = data("mlkem768_acvp.json");
    for t in v["keyGen"].as_array().expect("vectors") {
        let seed = [field(t, "d"), field(t, "z")].concat();
        let (ek, dk) = mlkem768_keygen(&seed).expect("64-byte seed");
        assert_eq!(ek, field(t, "ek"), "ek, tcId {}", t["tcId"]);
        assert_eq!(dk, field(t, "dk"), "dk, tcId {}", t["tcId"]);
    }
    for t in v["encapsulation"].as_array().expect("vectors") {
        let (c, k) = mlkem768_encapsulate(&field(t, "ek"), &field(t, "m")).expect("valid key");
        assert_eq!(c, field(t, "c"), "c, tcId {}", t["tcId"]);
        assert_eq!(k.to_vec(), field(t, "k"), "k, tcId {}", t["tcId"]);
    }
    let dec = &v["decapsulation"];
    let tests = dec["tests"].as_array().expect("vectors");
    assert!(tests.iter().any(|t| t["reason"] == "modify ciphertext"), "implicit rejection is covered");
    for t in tests {
        let k = mlkem768_decapsulate(&field(dec, "dk"), &field(t, "c")).expect("valid lengths");
        assert_eq!(k.to_vec(), field(t, "k"), "tcId {} ({})", t["tcId"], t["reason"]);
    }
    assert_eq!(mlkem768_encapsulate(&[0u8; 1183], &[0u8; 32]).map_err(|e| e.code()), Err("invalid_parameter"));
    // A coefficient above the modulus (FIPS 203, section 7.2): all-ones bytes.
    assert_eq!(mlkem768_encapsulate(&[0xff; 1184], &[0u8; 32]).map_err(|e| e.code()), Err("invalid_parameter"));
}

/// Runs an exchange in memory; `meddle` may change each frame in flight (index, frame).
fn exchange(
    method: Method,
    alice: Credential,
    bob: Credential,
    meddle: &mut dyn FnMut(usize, Vec<u8>) -> Vec<u8>,
) -> (KeyExchange, KeyExchange, Vec<Error>, Vec<Vec<u8>>) {
    let mut a = KeyExchange::alice(method, alice, "room", Seed::from_text("a")).expect("alice");
    let mut b = KeyExchange::bob(method, bob, "room", Seed::from_text("b")).expect("bob");
    let (mut errors, mut wire) = (Vec::new(), Vec::new());
    let ready = meddle(0, b.ready_frame().expect("Bob's Ready"));
    wire.push(ready.clone());
    if let Err(e) = a.handle(&ready) {
        errors.push(e);
        return (a, b, errors, wire);
    }
    let mut to_bob = a.start().expect("started");
    let mut n = 1;
    while !to_bob.is_empty() {
        let mut to_alice = Vec::new();
        for f in to_bob.drain(..) {
            let f = meddle(n, f);
            n += 1;
            wire.push(f.clone());
            match b.handle(&f) {
                Ok(out) => to_alice.extend(out),
                Err(e) => errors.push(e),
            }
        }
        for f in to_alice {
            let f = meddle(n, f);
            n += 1;
            wire.push(f.clone());
            match a.handle(&f) {
                Ok(out) => to_bob.extend(out),
                Err(e) => errors.push(e),
            }
        }
    }
    (a, b, errors, wire)
}

fn psk() -> Credential {
    Credential::psk(&[3u8; 32]).expect("32 bytes")
}

fn key_ids(x: &KeyExchange, store: usize) -> Vec<String> {
    x.stores()[store].ids()
}

#[test]
fn every_method_gives_both_sides_the_same_keys_under_a_psk_and_under_public_keys() {
    for method in Method::ALL {
        let (a, b, errors, wire) = exchange(method, psk(), psk(), &mut |_, f| f);
        assert!(errors.is_empty(), "{method:?}: {errors:?}");
        assert!(a.is_established() && b.is_established(), "{method:?}");
        let (oa, ob) = (a.outcome().expect("Alice's"), b.outcome().expect("Bob's"));
        assert_eq!(oa.fingerprint, ob.fingerprint);
        assert_eq!(oa.stored_keys, [128, 128]);
        assert_eq!(oa.bytes_exchanged, wire.iter().map(Vec::len).sum::<usize>(), "{method:?}");
        assert_eq!(ob.bytes_exchanged, oa.bytes_exchanged);
        for s in 0..2 {
            assert_eq!(key_ids(&a, s), key_ids(&b, s));
        }
        let (mut a, mut b) = (a, b);
        let sent = a.stores_mut()[0].enc_keys("SAE_B", Some(1), None).expect("a key");
        let id = sent.keys[0].key_ID.clone();
        assert_eq!(b.stores_mut()[0].dec_keys("SAE_A", &[id]).expect("the same key"), sent);
    }
    // Sizes on the wire: X25519 shares are 32 bytes; ML-KEM-768 sends 1184 + 1088.
    let bytes = |m| exchange(m, psk(), psk(), &mut |_, f| f).0.outcome().expect("done").bytes_exchanged;
    assert!(bytes(Method::X25519) < 300);
    assert!(bytes(Method::MlKem768) > 1184 + 1088 && bytes(Method::Hybrid) == bytes(Method::MlKem768) + 64);

    let seed = Seed::from_text("ids");
    let (ia, ib) = (Identity::from_seed(&seed, "alice"), Identity::from_seed(&seed, "bob"));
    let alice = Credential::pki(&ia.signing.to_bytes(), ib.public().as_bytes()).expect("pki");
    let bob = Credential::pki(&ib.signing.to_bytes(), ia.public().as_bytes()).expect("pki");
    let (a, b, errors, _) = exchange(Method::Hybrid, alice, bob, &mut |_, f| f);
    assert!(errors.is_empty() && a.is_established() && b.is_established(), "{errors:?}");
    assert_eq!(a.outcome().expect("a").fingerprint, b.outcome().expect("b").fingerprint);
}

#[test]
fn a_tampered_frame_is_refused_with_a_typed_error_and_no_keys_are_released() {
    for method in Method::ALL {
        // Frames: 0 Ready, 1 Hello, 2 Reply, 3 Finish. Flip a bit in the share or the tag of each.
        for target in 1..=3 {
            let (a, b, errors, _) = exchange(method, psk(), psk(), &mut |i, mut f| {
                if i == target {
                    let at = if target == 3 { f.len() - 1 } else { 12 }; // Finish: its tag; else the payload
                    f[at] ^= 0x10;
                }
                f
            });
            assert_eq!(errors.len(), 1, "{method:?} frame {target}: {errors:?}");
            assert_eq!(errors[0].code(), "auth_bad_tag", "{method:?} frame {target}");
            assert!(!b.is_established(), "{method:?} frame {target}: Bob released keys");
            assert!(b.stores()[0].is_empty());
            // Alice releases only once Bob's Reply verified; a bad Finish leaves her with keys
            // Bob never gets, which the chat shows as "unknown key" (like an unconfirmed round).
            assert_eq!(a.is_established(), target == 3, "{method:?} frame {target}");
        }
    }
    // A replayed Hello (an earlier exchange's) is refused by a fresh Bob: it names another nonce.
    let (_, _, _, wire) = exchange(Method::X25519, psk(), psk(), &mut |_, f| f);
    let mut fresh = KeyExchange::bob(Method::X25519, psk(), "room", Seed::from_text("fresh")).expect("bob");
    assert_eq!(fresh.handle(&wire[1]).map_err(|e| e.code()), Err("peer_misbehaved"));
    // A Hello for another method than Bob accepts is refused (no downgrade).
    let mut other = KeyExchange::bob(Method::MlKem768, psk(), "room", Seed::from_text("b")).expect("bob");
    assert_eq!(other.handle(&wire[1]).map_err(|e| e.code()), Err("peer_misbehaved"));
    // Garbage is a decode error, never a panic.
    assert_eq!(fresh.handle(&[1, 0x20, 0]).map_err(|e| e.code()), Err("decode_error"));
}

/// Eve in the middle: she answers Alice as "Bob" and Bob as "Alice" with her own credential.
fn man_in_the_middle(method: Method, eve_knows_the_psk: bool) -> (bool, bool) {
    let eve_cred = if eve_knows_the_psk { psk() } else { Credential::psk(&[9u8; 32]).expect("32") };
    let mut alice = KeyExchange::alice(method, psk(), "room", Seed::from_text("a")).expect("a");
    let mut bob = KeyExchange::bob(method, psk(), "room", Seed::from_text("b")).expect("b");
    let mut eve_b = KeyExchange::bob(method, eve_cred.clone(), "room", Seed::from_text("eb")).expect("eb");
    let mut eve_a = KeyExchange::alice(method, eve_cred, "room", Seed::from_text("ea")).expect("ea");
    alice.handle(&eve_b.ready_frame().expect("ready")).expect("Ready is untagged");
    eve_a.handle(&bob.ready_frame().expect("ready")).expect("Ready is untagged");
    let hello = alice.start().expect("hello");
    let hello_e = eve_a.start().expect("hello");
    let caught_by_bob = bob.handle(&hello_e[0]).map(|reply| eve_a.handle(&reply[0]).map(|fin| bob.handle(&fin[0])));
    let caught_by_alice =
        eve_b.handle(&hello[0]).map(|reply| alice.handle(&reply[0]).map(|fin| fin.first().map(|f| eve_b.handle(f))));
    let both_fooled = alice.is_established() && bob.is_established();
    if both_fooled {
        // Two exchanges: Eve shares one set of keys with each side, and they differ.
        assert_eq!(alice.outcome().expect("a").fingerprint, eve_b.outcome().expect("eb").fingerprint);
        assert_eq!(bob.outcome().expect("b").fingerprint, eve_a.outcome().expect("ea").fingerprint);
        assert_ne!(alice.outcome().expect("a").fingerprint, bob.outcome().expect("b").fingerprint);
    } else {
        // Her Hello fails Bob's check; Alice's fails hers, so she cannot answer Alice either.
        assert_eq!(caught_by_bob.map(|_| ()).map_err(|e| e.code()), Err("auth_bad_tag"));
        assert_eq!(caught_by_alice.map(|_| ()).map_err(|e| e.code()), Err("auth_bad_tag"));
    }
    (both_fooled, alice.is_established())
}

#[test]
fn a_man_in_the_middle_wins_with_the_credential_and_is_caught_at_the_first_tag_without_it() {
    for method in Method::ALL {
        assert_eq!(man_in_the_middle(method, true), (true, true), "{method:?}");
        // Without the PSK her Hello fails at Bob; her Reply to Alice fails at Alice.
        let (fooled, alice_done) = man_in_the_middle(method, false);
        assert!(!fooled && !alice_done, "{method:?}");
    }
}

#[test]
fn recorded_exchanges_years_later() {
    let breaks = |discrete_log, lattice, credential| Breaks { discrete_log, lattice, credential };
    let record = |method| {
        let (a, _, _, wire) = exchange(method, psk(), psk(), &mut |_, f| f);
        let mut r = Recording::new("room");
        for f in &wire {
            r.add(f).expect("a frame");
        }
        (a, r)
    };
    // The toy group: not before the break; really broken after it, the very keys recovered.
    let (mut alice, mut rec) = record(Method::ToyDh);
    for b in [breaks(false, false, false), breaks(false, true, true)] {
        let v = rec.years_later(b).expect("verdict");
        assert!(!v.falls && !v.recovered && rec.stores_mut().is_none(), "{v:?}");
    }
    let v = rec.years_later(breaks(true, false, false)).expect("verdict");
    assert!(v.falls && v.recovered);
    assert_eq!(v.fingerprint.as_deref(), Some(alice.outcome().expect("done").fingerprint.as_str()));
    let sent = alice.stores_mut()[0].enc_keys("SAE_B", Some(2), None).expect("keys");
    let ids: Vec<String> = sent.keys.iter().map(|k| k.key_ID.clone()).collect();
    assert_eq!(rec.stores_mut().expect("recovered")[0].peek_keys("SAE_A", &ids).expect("Eve has them"), sent);

    // X25519: falls only with discrete logs, and only described; ML-KEM only with lattices;
    // the hybrid only with both; the credential never helps.
    let cases = [
        (Method::X25519, breaks(true, false, false), true),
        (Method::X25519, breaks(false, true, true), false),
        (Method::MlKem768, breaks(false, true, false), true),
        (Method::MlKem768, breaks(true, false, true), false),
        (Method::Hybrid, breaks(true, false, true), false),
        (Method::Hybrid, breaks(false, true, true), false),
        (Method::Hybrid, breaks(true, true, false), true),
    ];
    for (method, b, falls) in cases {
        let v = record(method).1.years_later(b).expect("verdict");
        assert_eq!(v.falls, falls, "{method:?} {b:?}");
        assert!(!v.recovered, "{method:?}: never a fake recovery");
        if falls {
            assert!(v.why.starts_with("Falls (simulated)"), "{}", v.why);
        }
    }
    // Frames of a QKD round or garbage: a typed error, never a panic.
    assert!(Recording::new("room").years_later(breaks(true, true, true)).is_err());
    assert_eq!(msgs::route(&[1, 0x21]).map_err(|_| ()), Ok(msgs::Route::Classical));
    let _ = Direction::AliceToBob;
}
