//! The thin wasm-bindgen layer: JS values in through serde (into `options`' types), core calls,
//! serde out. No protocol logic lives here; the classes are in `classes.rs`, the TypeScript
//! declarations in `types.rs`.

use js_sys::{Reflect, Uint8Array};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

use crate::bits::BitVec;
use crate::error::Error;
use crate::keystore::EtsiError;
use crate::msgs::{self, Route};
use crate::options::{Options, integer};
use crate::rng::Seed;
use crate::session::Clock;
use crate::{amplification, attacks, auth, link, reconciliation};

mod classes;
mod kex;
mod trust;
mod types;

/// Runs when the module loads: panics (which must not happen) show a readable stack.
#[wasm_bindgen(start, js_name = installPanicHook)]
pub fn install_panic_hook() {
    console_error_panic_hook::set_once();
}

/// `Date.now()`: the only clock a worker and a page both have.
struct JsClock;

impl Clock for JsClock {
    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }
}

// ---- conversions ----

/// A core error as a JS `Error` (a `RangeError` for parameters), with a stable `code` and, for
/// parameters, the `field`.
fn js_error(e: Error) -> JsValue {
    let message = e.to_string();
    let err: js_sys::Error = match e {
        Error::InvalidParameter { .. } => js_sys::RangeError::new(&message).into(),
        _ => js_sys::Error::new(&message),
    };
    let _ = Reflect::set(&err, &"code".into(), &e.code().into());
    if let Error::InvalidParameter { field, .. } = e {
        let _ = Reflect::set(&err, &"field".into(), &field.into());
    }
    err.into()
}

/// A value of the wrong shape: a `TypeError` with code `invalid_parameter`.
fn type_error(message: &str) -> JsValue {
    let err: js_sys::Error = js_sys::TypeError::new(message).into();
    let _ = Reflect::set(&err, &"code".into(), &"invalid_parameter".into());
    err.into()
}

/// An ETSI 014 failure: an `Error` with `status` (400, 401, 503) and the spec's `body`.
fn etsi_error(e: EtsiError) -> JsValue {
    let err = js_sys::Error::new(&format!("{} ({})", e.message, e.status));
    let code = match e.status {
        401 => "unauthorized",
        503 => "unavailable",
        _ => "bad_request",
    };
    let _ = Reflect::set(&err, &"code".into(), &code.into());
    let _ = Reflect::set(&err, &"status".into(), &f64::from(e.status).into());
    let _ = Reflect::set(&err, &"body".into(), &to_js(&e));
    err.into()
}

fn to_js<T: Serialize>(v: &T) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(false).serialize_maps_as_objects(true))
        .expect("results hold only numbers, strings, bytes and records of them")
}

/// A JS object as `T`. It passes through an owned value so serde sees every key and the types'
/// `deny_unknown_fields` refuses typos (serde-wasm-bindgen reads only the fields it knows).
fn from_js<T: DeserializeOwned>(v: JsValue, what: &str) -> Result<T, JsValue> {
    if !v.is_object() {
        return Err(type_error(&format!("{what} must be an object")));
    }
    let invalid = |e: &dyn std::fmt::Display| type_error(&format!("invalid {what}: {e}"));
    let value: serde_value::Value = serde_wasm_bindgen::from_value(v).map_err(|e| invalid(&e))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        // The option's path (`pulses`, `channel.lengthKm`) in the message and as `field`.
        let field = e.path().to_string();
        let err = type_error(&format!("invalid {what}: `{field}`: {}", e.inner()));
        if field != "." {
            let _ = Reflect::set(&err, &"field".into(), &field.into());
        }
        err
    })
}

fn options(v: JsValue) -> Result<Options, JsValue> {
    from_js(v, "options")
}

/// A positive whole number up to 10^12 that fits `usize` (2^32 - 1 in wasm32): a larger one is
/// refused, never cut to its low 32 bits.
fn whole(field: &'static str, v: f64) -> Result<usize, JsValue> {
    let max = 1e12_f64.min(usize::MAX as f64);
    let x = integer(field, v, max).map_err(js_error)?;
    usize::try_from(x).map_err(|_| js_error(Error::invalid(field, format!("must be at most {max}, got {v}"))))
}

fn bits(field: &'static str, bytes: &[u8], n: usize) -> Result<BitVec, JsValue> {
    BitVec::from_bytes(bytes, n).map_err(|e| js_error(Error::invalid(field, e.to_string())))
}

// ---- functions ----

/// Runs a whole BB84 session in memory (Alice, Bob, the fiber) and returns its report. The
/// same seed and options give the same report (timings aside).
#[wasm_bindgen(unchecked_return_type = "Report")]
pub fn simulate(
    #[wasm_bindgen(unchecked_param_type = "SimulateOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let mut session = classes::Session::new(options)?;
    while session.step() {}
    session.report()
}

/// Runs a QKD link round after round: round 1 authenticated by the bootstrap credential (PSK
/// or PKI), later rounds from the key pool. The stores are `KeyStore`s holding the keys both
/// sites agree on.
#[wasm_bindgen(js_name = runLink, unchecked_return_type = "{ rounds: LinkRound[]; stopped?: ErrorInfo; aliceStore: KeyStore; aliceInbox: KeyStore; bobStore: KeyStore; bobOutbox: KeyStore; safetyNumber?: string }")]
pub fn run_link(#[wasm_bindgen(unchecked_param_type = "LinkOptions")] opts: JsValue) -> Result<JsValue, JsValue> {
    let config = options(opts)?.link_config().map_err(js_error)?;
    let r = link::run_passive(&config, &JsClock).map_err(js_error)?;
    let rounds: Vec<_> = r.rounds.iter().filter_map(|x| x.alice.as_ref()).collect();
    let out = js_sys::Object::new();
    let set = |k: &str, v: JsValue| Reflect::set(&out, &k.into(), &v).map(drop);
    set("rounds", to_js(&rounds))?;
    if let Some(e) = &r.stopped {
        set("stopped", to_js(e))?;
    }
    let [a_ab, a_ba] = r.alice.stores().clone();
    let [b_ab, b_ba] = r.bob.stores().clone();
    set("aliceStore", classes::KeyStore(a_ab).into())?;
    set("aliceInbox", classes::KeyStore(a_ba).into())?;
    set("bobStore", classes::KeyStore(b_ab).into())?;
    set("bobOutbox", classes::KeyStore(b_ba).into())?;
    if let Some(s) = config.safety_number() {
        set("safetyNumber", s.into())?;
    }
    Ok(out.into())
}

/// A man in the middle on fiber and classical channel, authenticating with `eveCredential` to
/// both sides. With the leaked PSK both sessions succeed and Alice and Bob hold different keys
/// (`keysDiffer`), both known to Eve; with a wrong one, both abort.
#[wasm_bindgen(js_name = attackManInTheMiddle, unchecked_return_type = "{ withAlice: Report; withBob: Report; keysDiffer: boolean }")]
pub fn attack_mitm(
    #[wasm_bindgen(unchecked_param_type = "SimulateOptions")] opts: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AuthOptions")] eve_credential: JsValue,
) -> Result<JsValue, JsValue> {
    let (config, bob) = options(opts)?.session().map_err(js_error)?;
    let eve = Options { auth: Some(from_js(eve_credential, "eveCredential")?), ..Options::default() };
    let eve = eve.credential().map_err(js_error)?;
    let out = attacks::man_in_the_middle(&config, &config.credential, &bob, &eve, &eve, &JsClock).map_err(js_error)?;
    Ok(to_js(&out))
}

/// Record now, break later: runs one session while recording every classical frame, then hands
/// Eve the bootstrap PSK. `agreement` is the share of key bits her best guess gets right
/// (about one half).
#[wasm_bindgen(js_name = attackBreakLater, unchecked_return_type = "{ framesVerified: number; keyBits: number; agreement: number }")]
pub fn attack_break_later(
    #[wasm_bindgen(unchecked_param_type = "SimulateOptions")] opts: JsValue,
) -> Result<JsValue, JsValue> {
    let (config, bob) = options(opts)?.session().map_err(js_error)?;
    attacks::record_now_break_later(&config, &bob, &JsClock).map(|r| to_js(&r)).map_err(js_error)
}

/// Record now, break later, on a real transcript: `frames` are the classical frames Eve
/// recorded (in order, Bob's Ready first), `psk` the key that leaked afterwards, `link` the
/// room id. Returns how many tags the leaked key verifies and her best guess of the final key.
#[wasm_bindgen(js_name = breakLater, unchecked_return_type = "{ framesVerified: number; guess: Uint8Array; guessBits: number }")]
pub fn break_later(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] frames: Vec<Uint8Array>,
    psk: &[u8],
    link: Option<String>,
) -> Result<JsValue, JsValue> {
    let credential = auth::Credential::psk(psk).map_err(js_error)?;
    let transcript = attacks::transcript_of(frames.iter().map(Uint8Array::to_vec).collect()).map_err(js_error)?;
    let link = link.unwrap_or_else(|| crate::session::SINGLE_LINK.into());
    let seed = Seed::from_entropy().map_err(js_error)?;
    attacks::break_later(&transcript, &credential, &link, &seed).map(|r| to_js(&r)).map_err(js_error)
}

/// The safety number of two public keys: the same on both sides; compare it by voice or in
/// person to pin each other's key.
#[wasm_bindgen(js_name = safetyNumber)]
pub fn safety_number(a: &[u8], b: &[u8]) -> Result<String, JsValue> {
    let a = auth::verifying_key("a", a).map_err(js_error)?;
    let b = auth::verifying_key("b", b).map_err(js_error)?;
    Ok(auth::safety_number(&a, &b))
}

/// Toeplitz hash (DESIGN's convention): `seed` holds `inputBits + outputBits - 1` bits,
/// `input` holds `inputBits` bits, MSB first; returns `outputBits` bits.
#[wasm_bindgen(js_name = toeplitzHash)]
pub fn toeplitz_hash(seed: &[u8], input: &[u8], input_bits: f64, output_bits: f64) -> Result<Vec<u8>, JsValue> {
    let (n, m) = (whole("inputBits", input_bits)?, whole("outputBits", output_bits)?);
    let x = bits("input", input, n)?;
    let s = bits("seed", seed, n + m - 1)?;
    crate::toeplitz_hash(&s, &x, m).map(|y| y.to_bytes()).map_err(js_error)
}

/// HMAC-SHA256 (RFC 2104, FIPS 180-4): 32 bytes.
#[wasm_bindgen(js_name = hmacSha256)]
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    crate::hmac_sha256(key, message).to_vec()
}

/// The finite-key length and every term of the bound, for `n` key bits, `k` sampled bits at
/// error rate `qber` and `leakEc` disclosed bits.
#[wasm_bindgen(js_name = finiteKeyLength, unchecked_return_type = "FiniteKeyTerms")]
pub fn finite_key_length(
    n: f64,
    k: f64,
    qber: f64,
    leak_ec: f64,
    eps_sec: Option<f64>,
    eps_cor: Option<f64>,
) -> Result<JsValue, JsValue> {
    let leak = if leak_ec == 0.0 { 0 } else { whole("leakEc", leak_ec)? as u64 };
    let (es, ec) = (eps_sec.unwrap_or(1e-10), eps_cor.unwrap_or(1e-15));
    amplification::checked_finite_key_length(whole("n", n)?, whole("k", k)?, qber, leak, es, ec)
        .map(|f| to_js(&f))
        .map_err(js_error)
}

/// Every stable error code the package's errors carry (`error.code`).
#[wasm_bindgen(js_name = errorCodes, unchecked_return_type = "ErrorCode[]")]
pub fn error_codes() -> Vec<String> {
    crate::error::ERROR_CODES.iter().map(|c| (*c).to_owned()).collect()
}

/// The asymptotic key rate of BB84 (bits per pulse) for a model and a channel, with the signal
/// intensity fixed or optimised (`crate::keyrate`).
#[wasm_bindgen(js_name = keyRate, unchecked_return_type = "KeyRate")]
pub fn key_rate(#[wasm_bindgen(unchecked_param_type = "KeyRateOptions")] opts: JsValue) -> Result<JsValue, JsValue> {
    let o: crate::options::KeyRateOptions = from_js(opts, "key-rate options")?;
    let p = o.params().map_err(js_error)?;
    crate::keyrate::key_rate(&p).map(|r| to_js(&r)).map_err(js_error)
}

/// The largest fiber length (km) with a positive key rate for the model and channel.
#[wasm_bindgen(js_name = maxDistance)]
pub fn max_distance(#[wasm_bindgen(unchecked_param_type = "KeyRateOptions")] opts: JsValue) -> Result<f64, JsValue> {
    let o: crate::options::KeyRateOptions = from_js(opts, "key-rate options")?;
    let p = o.params().map_err(js_error)?;
    crate::keyrate::max_distance(&p).map_err(js_error)
}

/// Cascade on two bit strings of `bits` bits: corrects `noisy` towards `reference` and reports
/// what it disclosed. `seed` (text) fixes the shuffles.
#[wasm_bindgen(unchecked_return_type = "Reconciliation")]
pub fn reconcile(reference: &[u8], noisy: &[u8], n: f64, qber: f64, seed: Option<String>) -> Result<JsValue, JsValue> {
    let n = whole("bits", n)?;
    let (a, b) = (bits("reference", reference, n)?, bits("noisy", noisy, n)?);
    let seed = Seed::from_text(seed.as_deref().unwrap_or("qkdlab cascade"));
    reconciliation::reconcile_seeded(&a, &b, qber, &seed).map(|r| to_js(&r)).map_err(js_error)
}

/// Rate-adaptive LDPC reconciliation on two bit strings of `bits` bits (both sides in memory):
/// frames Bob cannot decode are dropped from both keys and counted. `seed` (text) fixes the
/// codes and, in this simulation only, Alice's punctured bits.
#[wasm_bindgen(js_name = reconcileLdpc, unchecked_return_type = "LdpcReconciliation")]
pub fn reconcile_ldpc(
    reference: &[u8],
    noisy: &[u8],
    n: f64,
    qber: f64,
    seed: Option<String>,
) -> Result<JsValue, JsValue> {
    let n = whole("bits", n)?;
    let (a, b) = (bits("reference", reference, n)?, bits("noisy", noisy, n)?);
    let seed = Seed::from_text(seed.as_deref().unwrap_or("qkdlab ldpc"));
    let mut s = [0u8; 32];
    rand::Rng::fill_bytes(&mut seed.rng("ldpc"), &mut s);
    reconciliation::ldpc::reconcile_ldpc(&a, &b, qber, &s).map(|r| to_js(&r)).map_err(js_error)
}

/// What anyone can read of a frame without a key, from the core's message table.
#[wasm_bindgen(js_name = frameInfo, unchecked_return_type = "FrameInfo")]
pub fn frame_info(frame: &[u8]) -> Result<JsValue, JsValue> {
    msgs::frame_info(frame).map(|i| to_js(&i)).map_err(|e| js_error(e.into()))
}

/// Where a frame goes: `"fiber"` (photons, measurement settings, detections) or
/// `"classical"` (the authenticated channel between Alice and Bob).
#[wasm_bindgen(js_name = frameRoute, unchecked_return_type = "\"fiber\" | \"classical\"")]
pub fn frame_route(frame: &[u8]) -> Result<String, JsValue> {
    match msgs::route(frame).map_err(|e| js_error(e.into()))? {
        Route::Fiber => Ok("fiber".into()),
        Route::Classical => Ok("classical".into()),
    }
}

/// The public parameters a Hello announces (read without checking its tag: for display and
/// for a man in the middle who must answer it).
#[wasm_bindgen(js_name = helloParams, unchecked_return_type = "HelloParams")]
pub fn hello_params(frame: &[u8]) -> Result<JsValue, JsValue> {
    auth::hello_params(frame).map(|p| to_js(&p)).map_err(js_error)
}

/// Every option's default, from the core (a form shows these before the user changes them).
#[wasm_bindgen(unchecked_return_type = "Required<ProtocolOptions> & { channel: Required<ChannelOptions> }")]
pub fn defaults() -> JsValue {
    to_js(&crate::options::Defaults::default())
}

/// The protocol stages in order, and the stage each party state belongs to (for progress
/// views).
#[wasm_bindgen(js_name = protocolStages, unchecked_return_type = "{ stages: string[]; stateStage: Record<string, number> }")]
pub fn protocol_stages() -> JsValue {
    to_js(&crate::party::stages())
}
