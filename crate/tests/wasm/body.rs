// The core's key tests again, inside wasm (included by wasm_node.rs and wasm_browser.rs).

use qkdlab::session::{self, NoClock, Passive};
use qkdlab::{ChannelModel, Config, Credential, InterceptResend, Seed, SessionConfig, hmac_sha256, toeplitz_hash};
use qkdlab::amplification::toeplitz_hash_naive;
use qkdlab::quantum::random_bits;
use wasm_bindgen_test::wasm_bindgen_test;

fn config(eve: Option<qkdlab::Attack>) -> SessionConfig {
    SessionConfig {
        protocol: Config { pulses: 60_000, batch_size: 8_192, sample_fraction: 0.3, ..Config::default() },
        channel: ChannelModel { length_km: 0.0, insertion_loss_db: 0.0, detector_efficiency: 0.5, error_rate: 0.02, ..ChannelModel::default() },
        eve,
        credential: Credential::psk(&[0x42; 32]).expect("32 bytes"),
        seed: Seed::from_text("wasm"),
    }
}

#[wasm_bindgen_test]
fn a_session_in_wasm_gives_equal_keys_and_replays_from_its_seed() {
    let r = session::run(&config(None), &mut Passive, &NoClock).expect("valid");
    assert!(r.ok, "{:?}", r.error);
    assert_eq!(r.key_alice, r.key_bob);
    let again = session::run(&config(None), &mut Passive, &NoClock).expect("valid");
    assert_eq!(format!("{r:?}"), format!("{again:?}"));
}

#[wasm_bindgen_test]
fn intercept_resend_in_wasm_aborts_on_qber() {
    let eve = InterceptResend { fraction: 1.0, basis: Default::default() };
    let r = session::run(&config(Some(eve.into())), &mut Passive, &NoClock).expect("valid");
    assert!(!r.ok);
    assert_eq!(r.error.map(|f| f.error.code()), Some("qber_too_high"));
    assert!(r.summary.qber > 0.2, "{}", r.summary.qber);
}

#[wasm_bindgen_test]
fn hmac_rfc_4231_case_2_in_wasm() {
    let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
    assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

#[wasm_bindgen_test]
fn toeplitz_portable_product_matches_the_definition_in_wasm() {
    let mut rng = Seed::from_text("wasm toeplitz").rng("t");
    for (n, m) in [(191, 67), (2049, 999)] {
        let seed = random_bits(n + m - 1, &mut rng);
        let input = random_bits(n, &mut rng);
        assert_eq!(toeplitz_hash(&seed, &input, m).expect("lengths"), toeplitz_hash_naive(&seed, &input, m));
    }
}

#[wasm_bindgen_test]
fn entropy_comes_from_the_js_backend() {
    let a = Seed::from_entropy().expect("crypto.getRandomValues");
    let b = Seed::from_entropy().expect("crypto.getRandomValues");
    assert_ne!(a, b);
}

include!("../shared/ldpc_frame.rs");

#[wasm_bindgen_test]
fn the_reference_ldpc_frame_decodes_in_the_native_passes_in_wasm() {
    assert_the_reference_frame_decodes();
}
