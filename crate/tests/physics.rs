//! The weak-coherent source and Bob's detectors against the formulas, and the attacks that
//! need them: photon-number splitting (caught by decoys only) and detector blinding (caught
//! by the watchdog only).

mod common;

use qkdlab::msgs::FiberMsg;
use qkdlab::quantum::{Attack, ChannelModel, Fiber, Source, SourceConfig, WeakCoherent, random_bits};
use qkdlab::{Config, Seed, SessionConfig};

const SRC: WeakCoherent =
    WeakCoherent { intensities: [0.5, 0.1, 0.0], probabilities: [0.6, 0.2, 0.2], key_basis_probability: 0.5 };

/// Gain and error rate of intensity `mu`, computed here from scratch: the photons reaching the
/// detectors are Poisson(mu eta); in Bob's basis each goes to the wrong detector with
/// probability `e_d`, so the two detectors see independent Poisson beams of means
/// `mu eta (1 - e_d)` and `mu eta e_d`; each also fires alone with `pd = 1 - sqrt(1 - Y0)`; a
/// double click is a random bit.
fn expected(mu: f64, m: &ChannelModel) -> (f64, f64) {
    let eta = 10f64.powf(-(m.length_km * m.attenuation_db_per_km + m.insertion_loss_db) / 10.0) * m.detector_efficiency;
    let pd = 1.0 - (1.0 - m.dark_count_prob).sqrt();
    let right = 1.0 - (-mu * eta * (1.0 - m.error_rate)).exp() * (1.0 - pd);
    let wrong = 1.0 - (-mu * eta * m.error_rate).exp() * (1.0 - pd);
    let gain = 1.0 - (1.0 - right) * (1.0 - wrong);
    let errors = wrong * (1.0 - right) + 0.5 * wrong * right;
    (gain, errors / gain)
}

#[test]
fn gains_and_error_rates_per_intensity_are_within_three_sigma_of_the_formulas() {
    for km in [0.0, 25.0, 50.0, 100.0] {
        let model = ChannelModel { length_km: km, dark_count_prob: 1e-5, error_rate: 0.02, ..ChannelModel::default() };
        let seed = Seed::from_text(&format!("physics {km}"));
        let mut fiber = Fiber::new(model.clone(), None, &seed).expect("valid");
        let source = Source::new(SourceConfig::WeakCoherent(SRC));
        let (mut alice, mut bob) = (seed.rng("alice"), seed.rng("bob"));
        let (mut pulses, mut clicks, mut same, mut errors) = ([0f64; 3], [0f64; 3], [0f64; 3], [0f64; 3]);
        for index in 0..48 {
            let batch = source.prepare(index, 1 << 18, &mut alice);
            let bases = random_bits(batch.len(), &mut bob);
            fiber.photons(batch.clone()).expect("accepted");
            let frame = fiber.measure(index, bases.clone()).expect("accepted").expect("detections");
            let Ok(FiberMsg::Detections(d)) = FiberMsg::decode(&frame) else { panic!("detections") };
            for i in 0..batch.len() {
                let (k, _) = batch.emission.class_of(i);
                pulses[k] += 1.0;
                if d.clicks.get(i) {
                    clicks[k] += 1.0;
                    if bases.get(i) == batch.bases.get(i) {
                        same[k] += 1.0;
                        errors[k] += f64::from(u8::from(d.outcomes.get(i) != batch.bits.get(i)));
                    }
                }
            }
        }
        for k in 0..3 {
            let (g, e) = expected(SRC.intensities[k], &model);
            let gain = clicks[k] / pulses[k];
            let sg = (g * (1.0 - g) / pulses[k]).sqrt();
            assert!((gain - g).abs() <= 3.0 * sg, "{km} km class {k}: gain {gain} vs {g} (sigma {sg})");
            if same[k] > 0.0 {
                let rate = errors[k] / same[k];
                let se = (e * (1.0 - e) / same[k]).sqrt();
                assert!((rate - e).abs() <= 3.0 * se, "{km} km class {k}: error {rate} vs {e} (sigma {se})");
            }
        }
    }
}

fn weak(pulses: u64, km: f64, source: WeakCoherent, eve: Option<Attack>, seed: &str) -> SessionConfig {
    let mut c = common::small(0.01, seed);
    c.protocol = Config { pulses, source: SourceConfig::WeakCoherent(source), ..Config::default() };
    c.channel = ChannelModel { length_km: km, ..ChannelModel::default() };
    c.eve = eve;
    c
}

const NO_DECOYS: WeakCoherent = WeakCoherent { probabilities: [1.0, 0.0, 0.0], ..SRC };

#[test]
fn pns_without_decoys_looks_honest_and_eve_knows_the_key_the_single_photon_bound_would_claim() {
    let honest = common::run(&weak(20_000_000, 50.0, NO_DECOYS, None, "pns"));
    let attacked = common::run(&weak(20_000_000, 50.0, NO_DECOYS, Some(Attack::PhotonNumberSplitting), "pns"));
    let (h, a) = (&honest.summary, &attacked.summary);
    // Gain and QBER look like the fiber's.
    let sigma = (h.qber * (1.0 - h.qber) / h.sample_bits as f64).sqrt();
    assert!((a.qber - h.qber).abs() < 3.0 * sigma * 2f64.sqrt(), "QBER {} vs honest {}", a.qber, h.qber);
    let gain = |s: &qkdlab::party::Summary| s.clicks as f64 / s.pulses as f64;
    assert!((gain(a) / gain(h) - 1.0).abs() < 0.05, "gain {} vs {}", gain(a), gain(h));
    // Eve knows essentially every key bit; the single-photon bound would have released a key.
    let eve = attacked.eve.as_ref().expect("Eve's report");
    assert!(eve.known_key_bits as f64 > 0.95 * eve.key_bits as f64, "{eve:?}");
    let dk = a.decoy_key.as_ref().expect("weak-pulse terms");
    assert!(dk.naive_length > 1000, "naive {}", dk.naive_length);
    // The protocol's own bound gives nothing, and says why.
    assert!(!attacked.ok);
    assert_eq!(dk.length, 0);
    assert!(dk.verdict.as_deref().is_some_and(|v| v.contains("photon-number splitting")), "{:?}", dk.verdict);
}

#[test]
fn decoys_catch_pns_and_give_an_honest_fiber_a_key() {
    let src = WeakCoherent { probabilities: [0.7, 0.2, 0.1], ..SRC };
    let honest = common::run(&weak(100_000_000, 25.0, src, None, "decoy"));
    assert!(honest.ok, "{:?}", honest.error);
    let dk = honest.summary.decoy_key.as_ref().expect("decoy terms");
    assert_eq!(dk.method, "decoy");
    assert!(honest.summary.finite_key.is_none(), "weak pulses never get the single-photon bound");
    assert!(dk.length > 0 && honest.final_key_bits == dk.length);
    assert!(dk.length < dk.naive_length, "the decoy bound is below the (wrong) single-photon one");

    let attacked = common::run(&weak(100_000_000, 25.0, src, Some(Attack::PhotonNumberSplitting), "decoy"));
    assert!(!attacked.ok);
    assert_eq!(attacked.error.as_ref().map(|f| f.error.code()), Some("no_secret_key"));
    let dk = attacked.summary.decoy_key.as_ref().expect("decoy terms");
    assert_eq!(dk.length, 0);
    assert!(dk.verdict.as_deref().is_some_and(|v| v.contains("photon-number-splitting")), "{:?}", dk.verdict);
}

#[test]
fn blinding_gives_eve_the_key_without_errors_unless_the_watchdog_is_fitted() {
    let mut c = common::small(0.01, "blind");
    c.protocol.pulses = 200_000;
    c.eve = Some(Attack::Blinding);
    let r = common::run(&c);
    assert!(r.ok, "{:?}", r.error);
    let honest = common::run(&common::small(0.01, "blind"));
    let sigma = (0.01f64 * 0.99 / r.summary.sample_bits as f64).sqrt();
    assert!(r.summary.qber <= honest.summary.qber.max(0.01) + 3.0 * sigma, "QBER {}", r.summary.qber);
    assert_eq!(r.eve.as_ref().and_then(|e| e.final_key_known), Some(true), "{:?}", r.eve);

    c.channel.watchdog = true;
    let r = common::run(&c);
    assert!(!r.ok && r.key_alice.is_none());
    assert_eq!(r.error.map(|f| (f.error.code(), f.party)), Some(("detector_alarm", "bob")));
}

#[test]
fn eves_knowledge_is_what_she_holds_for_certain() {
    // The report's knowledge is honest the other way too: a passive run has no Eve report, an
    // intercept-resend one knows about half of what she touched.
    let r = common::run(&common::with_eve(0.0, 0.1, "ir"));
    let eve = r.eve.expect("report");
    assert!(eve.known_sifted_bits > 0 && eve.known_sifted_bits < eve.sifted_bits / 5, "{eve:?}");
    assert!(common::run(&common::small(0.0, "ir")).eve.is_none());
}

/// Rewrites the (untagged, in transcript mode) SiftReply's intensity announcement in flight.
struct Reannounce(fn(&mut qkdlab::msgs::Classes));

impl qkdlab::session::Adversary for Reannounce {
    fn on_frame(&mut self, _dir: qkdlab::auth::Direction, frame: Vec<u8>) -> Vec<Vec<u8>> {
        let Ok(qkdlab::msgs::Msg::SiftReply { matches, sample, sample_bits, classes: Some(mut c) }) =
            qkdlab::auth::peek(&frame)
        else {
            return vec![frame];
        };
        (self.0)(&mut c);
        let payload = qkdlab::msgs::Msg::SiftReply { matches, sample, sample_bits, classes: Some(c) }.encode_payload();
        // Same header (version, type, direction, sequence), new length and payload, no tag.
        let mut f = frame[..7].to_vec();
        f.extend_from_slice(&u32::try_from(payload.len()).expect("small").to_be_bytes());
        f.extend_from_slice(&payload);
        vec![f]
    }
}

#[test]
fn a_forged_intensity_announcement_is_refused_before_any_key() {
    let src = WeakCoherent { probabilities: [0.7, 0.2, 0.1], ..SRC };
    let config = weak(2_000_000, 5.0, src, None, "forged classes");
    let cases: [fn(&mut qkdlab::msgs::Classes); 3] = [
        |c| c.pulses = [u64::MAX, 2, 0], // sums past 2^64
        |c| c.pulses[0] += 1,            // more pulses than sent
        |c| c.vacuum = c.decoy.clone(),  // a click both decoy and vacuum
    ];
    for forge in cases {
        let r = common::run_with(&config, &mut Reannounce(forge));
        assert!(!r.ok && r.key_alice.is_none() && r.key_bob.is_none());
        assert_eq!(r.error.map(|f| (f.error.code(), f.party)), Some(("peer_misbehaved", "bob")));
    }
    // Decoys announced in a round without decoys.
    let plain = weak(2_000_000, 5.0, NO_DECOYS, None, "forged classes");
    let r = common::run_with(&plain, &mut Reannounce(|c| c.pulses = [c.pulses[0] - 5, 5, 0]));
    assert_eq!(r.error.map(|f| f.error.code()), Some("peer_misbehaved"));
}
