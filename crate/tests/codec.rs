//! Every message survives a round trip; truncated, padded and foreign frames are refused with
//! the exact error.

use qkdlab::Config;
use qkdlab::auth::{Channel, Credential, Direction, TagMode};
use qkdlab::bits::BitVec;
use qkdlab::error::{DecodeError, Error};
use qkdlab::msgs::{Classes, FiberMsg, Kind, Msg, Opening, ParityQuery, Ready, RoundAuth};
use qkdlab::quantum::{Detections, Emission, PulseBatch, SourceConfig, WeakCoherent};
use qkdlab::reconciliation::Method;

fn bits(n: usize, step: usize) -> BitVec {
    BitVec::from_bools(&(0..n).map(|i| i % step == 0).collect::<Vec<_>>())
}

fn every_message() -> Vec<Msg> {
    vec![
        Msg::Hello(
            Opening { round: 1, nonce_a: [7; 32], auth: RoundAuth::Bootstrap, prev_committed: 0 },
            Config {
                pulses: 1_000_000,
                batch_size: 65_536,
                sample_fraction: 0.1,
                qber_threshold: 0.11,
                eps_sec: 1e-10,
                eps_cor: 1e-15,
                tags: TagMode::Transcript,
                reconciliation: Method::Cascade,
                source: SourceConfig::SinglePhoton,
            },
        ),
        Msg::Hello(
            Opening { round: 9, nonce_a: [1; 32], auth: RoundAuth::PoolHmac { at: [512, 768] }, prev_committed: 8 },
            Config {
                pulses: 64,
                batch_size: 64,
                sample_fraction: 0.5,
                qber_threshold: 0.5,
                eps_sec: 0.5,
                eps_cor: 0.5,
                tags: TagMode::PerFrame,
                reconciliation: Method::Ldpc,
                source: SourceConfig::WeakCoherent(WeakCoherent::default()),
            },
        ),
        Msg::Hello(
            Opening {
                round: 3,
                nonce_a: [2; 32],
                auth: RoundAuth::PoolWegmanCarter { at: [1, 2], pad_bits: [64, 128] },
                prev_committed: 0,
            },
            Config {
                pulses: 64,
                batch_size: 64,
                sample_fraction: 0.5,
                qber_threshold: 0.5,
                eps_sec: 0.5,
                eps_cor: 0.5,
                tags: TagMode::PerFrame,
                reconciliation: Method::Ldpc,
                source: SourceConfig::SinglePhoton,
            },
        ),
        Msg::Sift { clicks: bits(130, 3), bases: bits(44, 2) },
        Msg::SiftReply { matches: bits(44, 5), sample: bits(9, 4), sample_bits: bits(3, 2), classes: None },
        Msg::SiftReply {
            matches: bits(44, 5),
            sample: bits(9, 4),
            sample_bits: bits(3, 2),
            classes: Some(Classes { decoy: bits(44, 3), vacuum: bits(44, 7), pulses: [100, 20, u64::MAX] }),
        },
        Msg::SampleReply { sample_bits: bits(3, 1) },
        Msg::CascadeStart { seed: [0x5a; 32], parities: bits(77, 7) },
        Msg::ParityQuery(vec![
            ParityQuery { pass: 0, start: 0, len: 32 },
            ParityQuery { pass: 3, start: 4096, len: 1 },
        ]),
        Msg::Parities(bits(2, 2)),
        Msg::Reconciled { dropped: vec![], hash_key: [1, u64::MAX], tag: [0xdead_beef, 7] },
        Msg::Reconciled { dropped: vec![0, 4, u32::MAX], hash_key: [2, 3], tag: [4, 5] },
        Msg::LdpcStart { seed: [9; 32], syndromes: bits(1000, 3) },
        Msg::LdpcRequest(vec![0, 17, 4000]),
        Msg::LdpcRequest(vec![]),
        Msg::LdpcReveal(bits(70, 2)),
        Msg::Confirm { tag: [2, 3], toeplitz_seed: bits(1001, 3) },
        Msg::Done,
        Msg::Commit,
    ]
}

#[test]
fn ready_round_trips_and_refuses_truncation_and_trailing_bytes() {
    let r = Ready { nonce_b: [0xab; 32] };
    let f = r.encode();
    assert_eq!(Ready::decode(&f), Ok(r));
    assert_eq!(qkdlab::msgs::route(&f), Ok(qkdlab::msgs::Route::Classical));
    assert_eq!(Ready::decode(&f[..f.len() - 1]), Err(DecodeError::Truncated));
    let mut long = f.clone();
    long.push(0);
    assert_eq!(Ready::decode(&long), Err(DecodeError::TrailingBytes));
}

fn fiber_messages() -> Vec<FiberMsg> {
    vec![
        FiberMsg::Photons(PulseBatch {
            index: 3,
            bits: bits(100, 3),
            bases: bits(100, 2),
            emission: Emission::SinglePhoton,
        }),
        FiberMsg::Photons(PulseBatch {
            index: 4,
            bits: bits(70, 3),
            bases: bits(70, 2),
            emission: Emission::WeakCoherent { intensities: [0.5, 0.1, 0.0], decoy: bits(70, 4), vacuum: bits(70, 5) },
        }),
        FiberMsg::Measure { index: 3, bases: bits(100, 5) },
        FiberMsg::Detections(Detections { index: 3, clicks: bits(100, 7), outcomes: bits(100, 14), alarm: false }),
        FiberMsg::Detections(Detections { index: 3, clicks: bits(100, 7), outcomes: bits(100, 14), alarm: true }),
    ]
}

fn channels() -> (Channel, Channel) {
    let c = Credential::psk(&[9; 32]).expect("32 bytes");
    (Channel::new(&c, Direction::AliceToBob, [3; 32]), Channel::new(&c, Direction::BobToAlice, [3; 32]))
}

#[test]
fn every_classical_message_round_trips_through_sealed_frames() {
    let (mut a, mut b) = channels();
    for msg in every_message() {
        assert_eq!(Msg::decode_payload(msg.type_byte(), &msg.encode_payload()), Ok(msg.clone()));
        let frame = a.seal(&msg).expect("hmac never runs dry");
        assert_eq!(b.open(&frame), Ok(msg));
    }
}

#[test]
fn every_fiber_message_round_trips() {
    for msg in fiber_messages() {
        assert_eq!(FiberMsg::decode(&msg.encode()), Ok(msg));
    }
}

#[test]
fn truncated_payloads_are_refused_as_truncated() {
    for msg in every_message() {
        let p = msg.encode_payload();
        for cut in 0..p.len() {
            assert_eq!(
                Msg::decode_payload(msg.type_byte(), &p[..cut]),
                Err(DecodeError::Truncated),
                "{} cut at {cut}",
                msg.name()
            );
        }
    }
    for msg in fiber_messages() {
        let f = msg.encode();
        for cut in 2..f.len() {
            assert_eq!(FiberMsg::decode(&f[..cut]), Err(DecodeError::Truncated));
        }
    }
}

#[test]
fn trailing_bytes_are_refused() {
    for msg in every_message() {
        let mut p = msg.encode_payload();
        p.push(0);
        assert_eq!(Msg::decode_payload(msg.type_byte(), &p), Err(DecodeError::TrailingBytes), "{}", msg.name());
    }
    for msg in fiber_messages() {
        let mut f = msg.encode();
        f.push(0);
        assert_eq!(FiberMsg::decode(&f), Err(DecodeError::TrailingBytes));
    }
}

#[test]
fn sealed_frames_with_a_missing_or_extra_byte_are_refused_as_malformed() {
    let (mut a, _) = channels();
    let frame = a.seal(&Msg::Done).expect("hmac never runs dry");
    let (_, mut b) = channels();
    assert_eq!(b.open(&frame[..frame.len() - 1]), Err(Error::Decode(DecodeError::Truncated)));
    let mut longer = frame.clone();
    longer.push(0);
    assert_eq!(b.open(&longer), Err(Error::Decode(DecodeError::TrailingBytes)));
}

#[test]
fn unknown_versions_and_types_are_refused() {
    let (mut a, mut b) = channels();
    let mut frame = a.seal(&Msg::Done).expect("hmac never runs dry");
    frame[0] = 2;
    assert_eq!(b.open(&frame), Err(Error::Decode(DecodeError::UnknownVersion(2))));
    let mut f = fiber_messages()[0].encode();
    f[0] = 0;
    assert_eq!(FiberMsg::decode(&f), Err(DecodeError::UnknownVersion(0)));
    assert_eq!(qkdlab::msgs::route(&[1, 0x7f]), Err(DecodeError::UnknownType(0x7f)));
    assert_eq!(Msg::decode_payload(0x42, &[]), Err(DecodeError::UnknownType(0x42)));
}

#[test]
fn non_zero_padding_and_non_finite_numbers_are_refused() {
    let mut p = Msg::Parities(BitVec::zeros(3)).encode_payload();
    *p.last_mut().expect("one data byte") = 0x01;
    assert_eq!(Msg::decode_payload(Kind::Parities.byte(), &p), Err(DecodeError::NonZeroPadding));
    let mut hello = every_message()[0].encode_payload();
    // Opening: round 4 + nonce 32 + prev 4 + auth 1 bytes; then pulses 8, batch 4, sample fraction.
    hello[53..61].copy_from_slice(&f64::NAN.to_bits().to_be_bytes());
    assert_eq!(Msg::decode_payload(Kind::Hello.byte(), &hello), Err(DecodeError::BadValue));
}

#[test]
fn a_huge_declared_length_does_not_allocate_and_is_refused() {
    let mut p = vec![0xff, 0xff, 0xff, 0xff];
    p.extend_from_slice(&[0; 8]);
    assert_eq!(Msg::decode_payload(Kind::Parities.byte(), &p), Err(DecodeError::Truncated));
    assert_eq!(Msg::decode_payload(Kind::ParityQuery.byte(), &[0x7f, 0xff, 0xff, 0xff]), Err(DecodeError::TooLarge));
}
