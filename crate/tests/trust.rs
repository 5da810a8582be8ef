//! Trust anchors: CA certificate chains (good, expired, wrong name, wrong issuer, broken
//! signature, revoked), the web of trust's thresholds, and what each anchor's secret is worth to
//! a man in the middle during round 1 and after it.

mod common;

use qkdlab::auth::Identity;
use qkdlab::error::{Error, LinkError};
use qkdlab::link::{Event, LinkAlice, LinkBob, LinkSettings};
use qkdlab::msgs::{self, Kind, RoundAuth};
use qkdlab::party::{Alice, RoundContext};
use qkdlab::session::{Driver, NoClock, Passive};
use qkdlab::trust::{CertificateSpec, TestCa, TrustLevel, verify_chain, verify_web, vouch};
use qkdlab::{ChannelModel, Config, Credential, Seed, SessionConfig};

const DAY: i64 = 86_400;
const NOW: i64 = 1_800_000_000;

fn spec(name: &str, serial: u64) -> CertificateSpec {
    CertificateSpec { name: name.into(), not_before: NOW - DAY, not_after: NOW + 365 * DAY, ca: false, serial }
}

fn id(label: &str) -> Identity {
    Identity::from_seed(&Seed::from_text("trust"), label)
}

/// A root, an intermediate, and Bob's certificate from the intermediate.
fn pki() -> (TestCa, TestCa, Identity, Vec<u8>) {
    let root = TestCa::root(id("root"), &spec("qkdlab playground root CA", 1)).expect("root");
    let inter = root.intermediate(id("inter"), &spec("qkdlab playground issuing CA", 2)).expect("intermediate");
    let bob = id("bob");
    let leaf = inter.issue(&bob.public(), &spec("bob", 3)).expect("leaf");
    (root, inter, bob, leaf)
}

fn code(r: Result<ed25519_dalek::VerifyingKey, qkdlab::Error>) -> &'static str {
    r.map(|_| "ok").unwrap_or_else(|e| e.code())
}

#[test]
fn a_chain_verifies_to_its_root_and_every_fault_is_refused_with_its_code() {
    let (root, inter, bob, leaf) = pki();
    let chain = vec![leaf.clone(), inter.certificate().to_vec()];
    assert_eq!(verify_chain(&chain, root.certificate(), "bob", NOW, &[]).expect("good chain"), bob.public());
    // Expired (after notAfter), not yet valid, wrong name.
    assert_eq!(code(verify_chain(&chain, root.certificate(), "bob", NOW + 400 * DAY, &[])), "cert_expired");
    assert_eq!(code(verify_chain(&chain, root.certificate(), "bob", NOW - 2 * DAY, &[])), "cert_expired");
    assert_eq!(code(verify_chain(&chain, root.certificate(), "alice", NOW, &[])), "cert_wrong_name");
    // Another root (another name): the chain does not reach it.
    let other = TestCa::root(id("other"), &spec("another CA", 9)).expect("root");
    assert_eq!(code(verify_chain(&chain, other.certificate(), "bob", NOW, &[])), "cert_unknown_issuer");
    // The intermediate missing from the chain.
    assert_eq!(code(verify_chain(&chain[..1], root.certificate(), "bob", NOW, &[])), "cert_unknown_issuer");
    // A root of the same name but another key: the names match, the signature does not.
    let forged = TestCa::root(id("forger"), &spec("qkdlab playground root CA", 1)).expect("root");
    assert_eq!(code(verify_chain(&chain, forged.certificate(), "bob", NOW, &[])), "cert_bad_signature");
    // A flipped bit in the leaf's signature (its last byte).
    let mut broken = leaf.clone();
    *broken.last_mut().expect("bytes") ^= 1;
    assert_eq!(
        code(verify_chain(&[broken, chain[1].clone()], root.certificate(), "bob", NOW, &[])),
        "cert_bad_signature"
    );
    // Revoked: the leaf's serial, or the intermediate's.
    assert_eq!(code(verify_chain(&chain, root.certificate(), "bob", NOW, &[3])), "cert_revoked");
    assert_eq!(code(verify_chain(&chain, root.certificate(), "bob", NOW, &[2])), "cert_revoked");
    // Garbage and an empty chain: typed errors.
    assert_eq!(code(verify_chain(&[vec![0x30, 0x03, 1, 2, 3]], root.certificate(), "bob", NOW, &[])), "cert_malformed");
    assert_eq!(code(verify_chain(&[], root.certificate(), "bob", NOW, &[])), "invalid_parameter");
    // A leaf cannot issue: Mallory's certificate "signed" by Bob's leaf is refused.
    let bob_as_ca = TestCa::root(bob.clone(), &spec("bob", 3)).expect("self-signed");
    let mallory = bob_as_ca.issue(&id("mallory").public(), &spec("carol", 4)).expect("leaf");
    assert_ne!(code(verify_chain(&[mallory, leaf, chain[1].clone()], root.certificate(), "carol", NOW, &[])), "ok");
}

#[test]
fn the_web_of_trust_needs_one_full_or_three_marginal_introducers() {
    let bob = id("bob").public();
    let (carol, dave, erin, frank) = (id("carol"), id("dave"), id("erin"), id("frank"));
    let marginal = |i: &Identity| (i.public(), TrustLevel::Marginal);
    let code = |r: Result<(), qkdlab::Error>| r.map(|_| "ok").unwrap_or_else(|e| e.code());
    // Carol fully trusted: her vouch alone suffices.
    let v = vec![vouch(&carol, "bob", &bob)];
    assert_eq!(code(verify_web("bob", &bob, &v, &[(carol.public(), TrustLevel::Full)])), "ok");
    // Marginal: two are not enough, three are; the same introducer twice counts once.
    let introducers = [marginal(&carol), marginal(&dave), marginal(&erin)];
    let two = vec![vouch(&carol, "bob", &bob), vouch(&dave, "bob", &bob), vouch(&dave, "bob", &bob)];
    assert_eq!(code(verify_web("bob", &bob, &two, &introducers)), "wot_not_enough");
    let three = [two.clone(), vec![vouch(&erin, "bob", &bob)]].concat();
    assert_eq!(code(verify_web("bob", &bob, &three, &introducers)), "ok");
    // An introducer the verifier does not know counts for nothing; a vouch for another name or
    // another key does not verify.
    let stranger = [two.clone(), vec![vouch(&frank, "bob", &bob)]].concat();
    assert_eq!(code(verify_web("bob", &bob, &stranger, &introducers)), "wot_not_enough");
    let mallory = id("mallory").public();
    assert_eq!(code(verify_web("bob", &mallory, &three, &introducers)), "wot_not_enough");
    assert_eq!(code(verify_web("robert", &bob, &three, &introducers)), "wot_not_enough");
}

fn session(alice: &Credential, bob: &Credential, seed: &str) -> qkdlab::Report {
    let config = SessionConfig {
        protocol: Config { pulses: 300_000, ..Config::default() },
        channel: ChannelModel { length_km: 2.0, ..ChannelModel::default() },
        eve: None,
        credential: alice.clone(),
        seed: Seed::from_text(seed),
    };
    let mut d = Driver::with_credentials(&config, alice, bob).expect("valid");
    while d.step(&mut Passive, &NoClock) {}
    d.finish()
}

fn pki_credential(own: &Identity, peer: &ed25519_dalek::VerifyingKey) -> Credential {
    Credential::pki(&own.signing.to_bytes(), peer.as_bytes()).expect("keys")
}

#[test]
fn eve_with_the_ca_key_in_round_1_runs_two_sessions_and_without_it_her_certificate_is_refused() {
    let (root, inter, bob, bob_cert) = pki();
    let alice = id("alice");
    let alice_cert = inter.issue(&alice.public(), &spec("alice", 5)).expect("leaf");
    let chain = |leaf: &[u8]| vec![leaf.to_vec(), inter.certificate().to_vec()];
    // Honest: each side verifies the other's chain, pins the key, and they share a key.
    let bob_key = verify_chain(&chain(&bob_cert), root.certificate(), "bob", NOW, &[]).expect("Bob's chain");
    let alice_key = verify_chain(&chain(&alice_cert), root.certificate(), "alice", NOW, &[]).expect("Alice's chain");
    let r = session(&pki_credential(&alice, &bob_key), &pki_credential(&bob, &alice_key), "honest");
    assert!(r.ok && r.key_alice == r.key_bob);

    // Eve holds the issuing CA's key: she issues "bob" and "alice" for her own key; both
    // chains verify, and she runs one session with each side.
    let eve = id("eve");
    let fake_bob = inter.issue(&eve.public(), &spec("bob", 6)).expect("issued with the stolen key");
    let fake_alice = inter.issue(&eve.public(), &spec("alice", 7)).expect("issued with the stolen key");
    let pinned_by_alice = verify_chain(&chain(&fake_bob), root.certificate(), "bob", NOW, &[]).expect("verifies");
    let pinned_by_bob = verify_chain(&chain(&fake_alice), root.certificate(), "alice", NOW, &[]).expect("verifies");
    let with_alice = session(&pki_credential(&alice, &pinned_by_alice), &pki_credential(&eve, &alice.public()), "a");
    let with_bob = session(&pki_credential(&eve, &bob.public()), &pki_credential(&bob, &pinned_by_bob), "b");
    assert!(with_alice.ok && with_bob.ok);
    assert_ne!(with_alice.key_alice, with_bob.key_bob, "Alice and Bob hold different keys, each shared with Eve");

    // Without it, her own CA's certificate for "bob" does not verify to the root Alice trusts.
    let eves_ca = TestCa::root(id("eve ca"), &spec("qkdlab playground issuing CA", 2)).expect("root");
    let self_made = eves_ca.issue(&eve.public(), &spec("bob", 8)).expect("leaf");
    let refused = verify_chain(&[self_made, eves_ca.certificate().to_vec()], root.certificate(), "bob", NOW, &[]);
    assert!(refused.is_err());
    // And once the issuing CA's certificate is revoked, its certificates are refused later on.
    assert_eq!(code(verify_chain(&chain(&fake_bob), root.certificate(), "bob", NOW, &[2])), "cert_revoked");
}

#[test]
fn a_certificate_is_described_as_issued_and_garbage_is_refused() {
    let (root, inter, bob, bob_cert) = pki();
    let info = qkdlab::trust::describe(&bob_cert).expect("readable");
    assert_eq!((info.subject.as_str(), info.issuer.as_str(), info.ca), ("bob", "qkdlab playground issuing CA", false));
    assert_eq!(info.public_key, bob.public().to_bytes().to_vec());
    assert!(info.not_before < NOW && NOW < info.not_after);
    let ca = qkdlab::trust::describe(root.certificate()).expect("readable");
    assert!(ca.ca && ca.subject == ca.issuer);
    assert_ne!(qkdlab::trust::describe(inter.certificate()).expect("readable").serial, info.serial);
    assert_eq!(qkdlab::trust::describe(&bob_cert[..40]).map(|_| ()).map_err(|e| e.code()), Err("cert_malformed"));
}

/// How one anchor authenticates a peer's key, and how Eve, holding the anchor's secret, gets
/// her own key accepted under a party's name.
enum Anchor {
    Ca { root: Box<TestCa>, issuer: Box<TestCa> },
    Web { carol: Box<Identity> },
}

impl Anchor {
    /// The verifier's check of `key` presented as `name`, with what the anchor's holder made
    /// for it (a chain, or Carol's vouch); `revoked` serials for the CA.
    fn accept(
        &self,
        name: &str,
        key: &ed25519_dalek::VerifyingKey,
        revoked: &[u64],
    ) -> Result<ed25519_dalek::VerifyingKey, qkdlab::Error> {
        match self {
            Self::Ca { root, issuer } => {
                let serial = if name == "bob" { 3 } else { 4 };
                let leaf = issuer.issue(key, &spec(name, serial)).expect("issued");
                verify_chain(&[leaf, issuer.certificate().to_vec()], root.certificate(), name, NOW, revoked)
            }
            Self::Web { carol } => {
                verify_web(name, key, &[vouch(carol, name, key)], &[(carol.public(), TrustLevel::Full)]).map(|()| *key)
            }
        }
    }
}

/// For each anchor: with its secret in round 1, Eve runs a session with each side. Without her,
/// round 1 is authenticated by keys the anchor vouched for; then its secret leaks.
/// Eve's key, vouched for with it, is accepted as Bob's or Alice's by the anchor's check, yet her
/// round-2 Hello signed with it is refused (round 2 is authenticated from the pool: a bootstrap
/// credential is a downgrade). A certificate revoked later is refused when presented again;
/// the keys already stored stay, and round 2 adds more.
#[test]
fn an_anchor_secret_wins_round_1_but_leaked_after_it_gives_nothing_and_revocation_keeps_past_keys() {
    let (root, issuer, bob, _) = pki();
    let anchors =
        [Anchor::Ca { root: Box::new(root), issuer: Box::new(issuer) }, Anchor::Web { carol: Box::new(id("carol")) }];
    let (alice, eve) = (id("alice"), id("eve"));
    let config = common::small(0.02, "anchors");
    for (i, anchor) in anchors.iter().enumerate() {
        // With the anchor's secret during round 1, Eve is accepted as each one's peer: two
        // sessions, two different keys, each shared with her.
        let fake_bob = anchor.accept("bob", &eve.public(), &[]).expect("Eve's key as Bob's");
        let fake_alice = anchor.accept("alice", &eve.public(), &[]).expect("Eve's key as Alice's");
        let with_alice = session(&pki_credential(&alice, &fake_bob), &pki_credential(&eve, &alice.public()), "wa");
        let with_bob = session(&pki_credential(&eve, &bob.public()), &pki_credential(&bob, &fake_alice), "wb");
        assert!(with_alice.ok && with_bob.ok && with_alice.key_alice != with_bob.key_bob);

        let pinned_by_alice = anchor.accept("bob", &bob.public(), &[]).expect("Bob's key");
        let pinned_by_bob = anchor.accept("alice", &alice.public(), &[]).expect("Alice's key");
        let s = LinkSettings { pool_target_bits: 512, pad_budget_bits: 1024, ..LinkSettings::default() };
        let (sa, sb) = (Seed::from_text(&format!("a{i}")), Seed::from_text(&format!("b{i}")));
        let mut a = LinkAlice::new("room", s.clone(), pki_credential(&alice, &pinned_by_alice), sa).expect("valid");
        let mut b = LinkBob::new("room", s, pki_credential(&bob, &pinned_by_bob), sb).expect("valid");
        common::link_round(&mut a, &mut b, &config, "one");
        assert_eq!((a.last_committed(), b.last_committed()), (1, 1));
        let count = |s: &[qkdlab::keystore::KeyStore; 2]| s[0].len() + s[1].len();
        let stored = (count(a.stores()), count(b.stores()));
        assert!(stored.0 > 0 && stored.0 == stored.1);

        // The anchor's secret leaks: Eve's key passes the anchor's check as Alice's...
        assert_eq!(anchor.accept("alice", &eve.public(), &[]).expect("vouched with the leaked secret"), eve.public());
        // ...but Bob follows the pool now: her signed Hello for round 2 is a downgrade.
        let context = RoundContext { link: "room".into(), round: 2, auth: RoundAuth::Bootstrap, prev_committed: 1 };
        let mut mallory = Alice::new(
            config.protocol.clone(),
            &pki_credential(&eve, &bob.public()),
            context,
            Seed::from_text("m").rng("m"),
        )
        .expect("valid");
        let hello =
            mallory.handle(&b.ready_frame()).expect("Ready").into_iter().find(|f| msgs::kind(f) == Ok(Kind::Hello));
        let events = b.handle(&hello.expect("Hello")).events;
        let refused = events.iter().find_map(|e| if let Event::Refused(e) = e { Some(e.clone()) } else { None });
        assert_eq!(refused, Some(Error::Link(LinkError::Downgrade)));

        if matches!(anchor, Anchor::Ca { .. }) {
            // Bob's certificate (serial 3) revoked: presented again, it is refused...
            assert_eq!(code(anchor.accept("bob", &bob.public(), &[3])), "cert_revoked");
        }
        // ...and the keys made while it was valid stay; round 2 runs from the pool and adds more.
        assert_eq!((count(a.stores()), count(b.stores())), stored);
        common::link_round(&mut a, &mut b, &config, "two");
        assert_eq!((a.last_committed(), b.last_committed()), (2, 2));
        assert!(count(a.stores()) > stored.0 && count(a.stores()) == count(b.stores()));
    }
}

#[test]
fn weak_keys_constraints_and_a_ca_as_the_leaf_are_refused() {
    // The identity point: refused as a pinned key and as a certificate's subject.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert_eq!(qkdlab::auth::verifying_key("k", &identity).map(|_| ()).map_err(|e| e.code()), Err("invalid_parameter"));
    assert!(Credential::pki(&[1u8; 32], &identity).is_err());
    // A CA certificate offered as a party's.
    let (root, inter, _, _) = pki();
    assert_eq!(
        code(verify_chain(
            &[inter.certificate().to_vec()],
            root.certificate(),
            "qkdlab playground issuing CA",
            NOW,
            &[]
        )),
        "cert_not_ca"
    );
}
