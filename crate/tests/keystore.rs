//! ETSI GS QKD 014 conformance of the key stores: field names, statuses, delivery.

use qkdlab::bits::BitVec;
use qkdlab::keystore::{KeyStore, KeyStoreConfig};
use qkdlab::quantum::random_bits;
use qkdlab::rng::Seed;

fn stores(keys: usize) -> (KeyStore, KeyStore) {
    let material = random_bits(256 * keys + 100, &mut Seed::from_text("ks").rng("k"));
    let mut a = KeyStore::new(KeyStoreConfig::default()).expect("valid");
    let mut b = KeyStore::new(KeyStoreConfig {
        source_kme_id: "KME_B".into(),
        target_kme_id: "KME_A".into(),
        ..KeyStoreConfig::default()
    })
    .expect("valid");
    assert_eq!(a.add(&material, "round 1"), keys);
    assert_eq!(b.add(&material, "round 1"), keys);
    (a, b)
}

#[test]
fn status_has_exactly_the_spec_fields() {
    let (a, _) = stores(3);
    let json = serde_json::to_value(a.status("SAE_B").expect("slave")).expect("json");
    let mut fields: Vec<&str> = json.as_object().expect("object").keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "key_size",
            "master_SAE_ID",
            "max_SAE_ID_count",
            "max_key_count",
            "max_key_per_request",
            "max_key_size",
            "min_key_size",
            "slave_SAE_ID",
            "source_KME_ID",
            "stored_key_count",
            "target_KME_ID"
        ]
    );
    assert_eq!(json["stored_key_count"], 3);
    assert_eq!(json["key_size"], 256);
}

#[test]
fn enc_keys_and_dec_keys_deliver_the_same_keys_once() {
    let (mut a, mut b) = stores(5);
    let got = a.enc_keys("SAE_B", Some(2), Some(256)).expect("two keys");
    let json = serde_json::to_value(&got).expect("json");
    assert_eq!(json["keys"].as_array().map(Vec::len), Some(2));
    let id = json["keys"][0]["key_ID"].as_str().expect("id");
    assert_eq!(id.len(), 36);
    assert_eq!(&id[14..15], "4", "UUID version 4 layout");
    let ids: Vec<String> = got.keys.iter().map(|k| k.key_ID.clone()).collect();
    let fetched = b.dec_keys("SAE_A", &ids).expect("same ids at the other site");
    assert_eq!(fetched, got);
    assert_eq!((a.len(), b.len()), (3, 3));
    // Delivered keys leave: asking again is an unknown id.
    assert_eq!(b.dec_keys("SAE_A", &ids).map(|_| ()).expect_err("gone").status, 400);
    assert_eq!(a.ids(), b.ids());
}

#[test]
fn bad_requests_get_the_spec_statuses() {
    let (mut a, mut b) = stores(3);
    assert_eq!(a.status("SAE_X").expect_err("not the slave").status, 401);
    assert_eq!(a.enc_keys("SAE_X", None, None).expect_err("not the slave").status, 401);
    assert_eq!(b.dec_keys("SAE_X", &["x".into()]).expect_err("not the master").status, 401);
    let e = a.enc_keys("SAE_B", Some(1), Some(255)).expect_err("size");
    assert_eq!((e.status, e.message.as_str()), (400, "size shall be a multiple of 8"));
    assert_eq!(a.enc_keys("SAE_B", Some(1), Some(512)).expect_err("size").status, 400);
    assert_eq!(a.enc_keys("SAE_B", Some(129), None).expect_err("above max_key_per_request").status, 400);
    assert_eq!(a.enc_keys("SAE_B", Some(0), None).expect_err("zero").status, 400);
    assert_eq!(a.enc_keys("SAE_B", Some(4), None).expect_err("only three stored").status, 503);
    let e = b.dec_keys("SAE_A", &["00000000-0000-4000-8000-000000000000".into()]).expect_err("unknown");
    assert_eq!(e.status, 400);
    let body = serde_json::to_value(&e).expect("json");
    assert_eq!(body["message"], "key not found");
    assert!(body.get("status").is_none());
    assert_eq!(a.len(), 3, "refused requests take nothing");
}

#[test]
fn key_size_must_be_a_multiple_of_eight() {
    assert!(KeyStore::new(KeyStoreConfig { key_size: 100, ..KeyStoreConfig::default() }).is_err());
    let mut s = KeyStore::new(KeyStoreConfig::default()).expect("valid");
    assert_eq!(s.add(&BitVec::zeros(255), "short"), 0);
}
