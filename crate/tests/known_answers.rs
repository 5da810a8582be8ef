//! Known-answer tests: HMAC-SHA256 (RFC 4231) through the authentication layer and Toeplitz
//! hashing against vectors from an independent naive reference.

use qkdlab::amplification::toeplitz_hash_naive;
use qkdlab::bits::BitVec;
use qkdlab::quantum::random_bits;
use qkdlab::rng::Seed;
use qkdlab::{hmac_sha256, toeplitz_hash};

fn rows(data: &str) -> impl Iterator<Item = Vec<&str>> {
    data.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).map(|l| l.split('|').collect())
}

#[test]
fn hmac_sha256_matches_every_rfc_4231_vector() {
    let mut cases = 0;
    for row in rows(include_str!("data/hmac_sha256_rfc4231.txt")) {
        let key = hex::decode(row[1]).expect("hex key");
        let data = hex::decode(row[2]).expect("hex data");
        let expected = hex::decode(row[3]).expect("hex mac");
        let mac = hmac_sha256(&key, &data);
        assert_eq!(&mac[..expected.len()], &expected[..], "RFC 4231 case {}", row[0]);
        cases += 1;
    }
    assert_eq!(cases, 7);
}

#[test]
fn toeplitz_matches_the_naive_reference_vectors() {
    let mut cases = 0;
    for row in rows(include_str!("data/toeplitz_naive.txt")) {
        let n: usize = row[0].parse().expect("n");
        let m: usize = row[1].parse().expect("m");
        let seed = BitVec::from_bytes(&hex::decode(row[2]).expect("hex"), n + m - 1).expect("seed bits");
        let input = BitVec::from_bytes(&hex::decode(row[3]).expect("hex"), n).expect("input bits");
        let out = toeplitz_hash(&seed, &input, m).expect("lengths match");
        assert_eq!(hex::encode(out.to_bytes()), row[4], "n={n} m={m}");
        cases += 1;
    }
    assert_eq!(cases, 12);
}

#[test]
fn toeplitz_fast_product_equals_naive_definition_on_random_odd_lengths() {
    let mut rng = Seed::from_text("toeplitz random").rng("t");
    for (n, m) in [(3, 2), (191, 67), (1601, 65), (2049, 999), (4097, 3001), (5000, 64)] {
        let seed = random_bits(n + m - 1, &mut rng);
        let input = random_bits(n, &mut rng);
        let fast = toeplitz_hash(&seed, &input, m).expect("lengths match");
        assert_eq!(fast, toeplitz_hash_naive(&seed, &input, m), "n={n} m={m}");
    }
}

#[test]
fn toeplitz_refuses_a_seed_of_the_wrong_length() {
    let e = toeplitz_hash(&BitVec::zeros(10), &BitVec::zeros(8), 4).expect_err("seed must be 11 bits");
    assert_eq!(e.code(), "invalid_parameter");
}
