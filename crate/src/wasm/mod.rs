//! The thin wasm-bindgen layer: option parsing, error conversion, and JS-shaped results. No
//! protocol logic lives here.

use js_sys::{Array, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::amplification::finite_key_length;
use crate::bits::BitVec;
use crate::error::Error;
use crate::msgs::{self, Route};
use crate::party::Config;
use crate::reconciliation;
use crate::rng::Seed;
use crate::session::{Clock, Driver, Passive};

mod lifecycle;
mod link;
mod options;
mod parties;
mod report;

use options::{Options, integer, parse};
use report::report_to_js;

/// Runs when the module loads: panics (which must not happen) show a readable stack.
#[wasm_bindgen(start, js_name = installPanicHook)]
pub fn install_panic_hook() {
    console_error_panic_hook::set_once();
}

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Channel model: fiber loss, misalignment, detectors. Every field is optional. */
export interface ChannelOptions {
  /** Fiber length in km (default 10). */ lengthKm?: number;
  /** Fiber attenuation in dB/km (default 0.2). */ attenuationDbPerKm?: number;
  /** Connector and receiver loss in dB (default 1). */ insertionLossDb?: number;
  /** Misalignment error rate in [0, 0.5] (default 0.01). */ errorRate?: number;
  /** Detector efficiency in [0, 1] (default 0.2). */ detectorEfficiency?: number;
  /** Dark-count probability per gate (default 1e-6). */ darkCountProb?: number;
}
/** An intercept-resend eavesdropper on the fiber. */
export interface EveOptions {
  /** Fraction of pulses Eve measures, in [0, 1]. */ interceptFraction: number;
  /** Her basis: "random" (default), "rectilinear" or "diagonal". */ basis?: "random" | "rectilinear" | "diagonal";
}
/** How the classical channel is authenticated; `mode` is the same word reports use. "psk": a
 * 32-byte pre-shared key (HMAC-SHA256); "pki": Ed25519 (a party's secret key and the peer's
 * pinned public key; simulate draws both from its seed); "pool-hmac": two 32-byte keys from a
 * key pool. */
export type AuthMode = "psk" | "pki" | "pool-hmac" | "pool-wegman-carter";
export type AuthOptions =
  | { mode: "psk"; psk: Uint8Array }
  | { mode: "pki"; secretKey?: Uint8Array; peerPublicKey?: Uint8Array }
  | { mode: "pool-hmac"; aliceToBob: Uint8Array; bobToAlice: Uint8Array };
/** Protocol parameters (Alice announces them). */
export interface ProtocolOptions {
  /** Pulses to send, a positive integer up to 2^28. */ pulses: number;
  /** Pulses per photon batch, a multiple of 64 (default 65536). */ batchSize?: number;
  /** Fraction of sifted bits sampled to estimate the QBER (default 0.1). */ sampleFraction?: number;
  /** QBER above which the round aborts (default 0.11). */ qberThreshold?: number;
  /** Secrecy parameter (default 1e-10). */ epsSec?: number;
  /** Correctness parameter (default 1e-15). */ epsCor?: number;
}
/** Options of simulate() and Session. Without a seed, entropy comes from crypto.getRandomValues. */
export interface SimulateOptions extends ProtocolOptions {
  seed?: string; channel?: ChannelOptions; eve?: EveOptions; auth: AuthOptions;
}
/** Options of a party (Alice uses the protocol fields; Bob adopts Alice's). */
export interface PartyOptions extends Partial<ProtocolOptions> { /** The link id (the relay room) every tag covers. */ link?: string; auth: AuthOptions; }
/** Options of the fiber. */
export interface FiberOptions { seed?: string; channel?: ChannelOptions; eve?: EveOptions; }
/** Every term of the finite-key bound (Tomamichel et al., Nat. Commun. 3, 634 (2012)). */
export interface FiniteKeyTerms {
  n: number; k: number; qber: number; qTol: number; mu: number; phaseErrorBits: number; leakEc: number; leakBound: number; branches: number;
  epsilonBits: number; bound: number; length: number; epsSec: number; epsCor: number;
}
/** A typed failure: `code` is stable, `message` readable. */
export interface ReportError { code: string; message: string; party: string; }
/** What a session did. Keys are present only when both sides verified the same key. */
export interface Report {
  ok: boolean; qber: number; qberBound: number; pulses: number; clicks: number; intercepted: number;
  siftedBits: number; sampleBits: number; finalKeyBits: number; keyAlice?: Uint8Array; keyBob?: Uint8Array;
  leakedBits: number; disclosed: { estimation: number; reconciliation: number; verification: number };
  authBitsUsed: number; auth: { mode: AuthMode; frames: number; tagBits: number; keyBitsUsed: number; padBitsUsed: number; epsilon: number };
  roundTrips: number; cascade: { firstBlock: number; passes: number; corrections: number; roundTrips: number };
  finiteKey?: FiniteKeyTerms; epsSec: number; epsCor: number; stages: { name: string; ms: number }[];
  error?: ReportError;
}
/** What one party has seen so far (public numbers only). */
export interface PartySummary {
  pulses: number; clicks: number; siftedBits: number; sampleBits: number; qber: number;
  cascadeFirstBlock: number; cascadePasses: number; cascadeDisclosed: number; cascadeCorrections: number;
  cascadeRoundTrips: number; verificationBits: number; verificationCollision: number; finiteKey?: FiniteKeyTerms;
}
/** Result of reconcile(). */
export interface Reconciliation {
  key: Uint8Array; disclosed: number; roundTrips: number; corrections: number; firstBlock: number; passes: number;
}
"#;

// ---- errors ----

/// The one conversion from a core error to a JS `Error` (a `RangeError` for parameters), with
/// a stable `code` and, for parameters, the `field`.
fn js_error(e: &Error) -> JsValue {
    let message = e.to_string();
    let err: js_sys::Error = match e {
        Error::InvalidParameter { .. } => js_sys::RangeError::new(&message).into(),
        _ => js_sys::Error::new(&message),
    };
    let _ = Reflect::set(&err, &"code".into(), &e.code().into());
    if let Error::InvalidParameter { field, .. } = e {
        let _ = Reflect::set(&err, &"field".into(), &(*field).into());
    }
    err.into()
}

fn type_error(message: &str) -> JsValue {
    let err: js_sys::Error = js_sys::TypeError::new(message).into();
    let _ = Reflect::set(&err, &"code".into(), &"invalid_parameter".into());
    err.into()
}

fn to_js<T: Serialize>(v: &T) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(false).serialize_maps_as_objects(true))
        .expect("report structs contain only numbers, strings and bytes")
}

fn frames(out: Vec<Vec<u8>>) -> Array {
    out.into_iter().map(|f| JsValue::from(Uint8Array::from(f.as_slice()))).collect()
}

/// `Date.now()`: the only clock a worker and a page both have.
struct JsClock;

impl Clock for JsClock {
    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }
}

// ---- functions ----

/// Runs a whole BB84 session in memory (Alice, Bob, the fiber) and returns its report. The
/// same seed and options give the same report (timings aside).
#[wasm_bindgen(unchecked_return_type = "Report")]
pub fn simulate(
    #[wasm_bindgen(unchecked_param_type = "SimulateOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let mut session = Session::new(options)?;
    while session.step() {}
    session.report()
}

/// A session run in chunks: call `step()` until it returns false (yielding to the event loop
/// between calls to keep a page responsive, reading `progress`), then `report()`.
#[wasm_bindgen]
pub struct Session {
    driver: Option<Driver>,
    protocol: Config,
}

#[wasm_bindgen]
impl Session {
    /// Sets up a session; throws on bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "SimulateOptions")] options: JsValue) -> Result<Session, JsValue> {
        let (config, bob) = parse(options)?.session().map_err(|e| js_error(&e))?;
        let driver = Driver::with_credentials(&config, &config.credential, &bob).map_err(|e| js_error(&e))?;
        Ok(Session { driver: Some(driver), protocol: config.protocol })
    }

    /// Runs one turn (every frame in flight); returns whether there is more to do.
    pub fn step(&mut self) -> bool {
        self.driver.as_mut().is_some_and(|d| d.step(&mut Passive, &JsClock))
    }

    /// `{ alice, bob, roundTrips }`: the parties' states and round trips so far.
    #[wasm_bindgen(getter, unchecked_return_type = "{ alice: string; bob: string; roundTrips: number }")]
    pub fn progress(&self) -> JsValue {
        let obj = js_sys::Object::new();
        if let Some(d) = &self.driver {
            let (a, b) = d.states();
            let _ = Reflect::set(&obj, &"alice".into(), &a.into());
            let _ = Reflect::set(&obj, &"bob".into(), &b.into());
            let _ = Reflect::set(&obj, &"roundTrips".into(), &(d.round_trips() as f64).into());
        }
        obj.into()
    }

    /// Ends the session and returns its report (once).
    #[wasm_bindgen(unchecked_return_type = "Report")]
    pub fn report(&mut self) -> Result<JsValue, JsValue> {
        let driver = self.driver.take().ok_or_else(|| js_error(&Error::Finished))?;
        Ok(report_to_js(&driver.finish(), &self.protocol))
    }
}

/// Toeplitz hash (DESIGN's convention): `seed` holds `inputBits + outputBits - 1` bits,
/// `input` holds `inputBits` bits, MSB first; returns `outputBits` bits.
#[wasm_bindgen(js_name = toeplitzHash)]
pub fn toeplitz_hash(seed: &[u8], input: &[u8], input_bits: f64, output_bits: f64) -> Result<Vec<u8>, JsValue> {
    let n = integer("inputBits", input_bits, 1e9).map_err(|e| js_error(&e))? as usize;
    let m = integer("outputBits", output_bits, 1e9).map_err(|e| js_error(&e))? as usize;
    let x = BitVec::from_bytes(input, n).map_err(|e| js_error(&Error::invalid("input", e.to_string())))?;
    let s = BitVec::from_bytes(seed, n + m - 1)
        .map_err(|e| js_error(&Error::invalid("seed", format!("must hold inputBits + outputBits - 1 bits: {e}"))))?;
    crate::toeplitz_hash(&s, &x, m).map(|y| y.to_bytes()).map_err(|e| js_error(&e))
}

/// HMAC-SHA256 (RFC 2104, FIPS 180-4): 32 bytes.
#[wasm_bindgen(js_name = hmacSha256)]
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    crate::hmac_sha256(key, message).to_vec()
}

/// The finite-key length and every term of the bound, for `n` key bits, `k` sampled bits at
/// error rate `qber` and `leakEc` disclosed bits.
#[wasm_bindgen(js_name = finiteKeyLength, unchecked_return_type = "FiniteKeyTerms")]
pub fn finite_key(
    n: f64,
    k: f64,
    qber: f64,
    leak_ec: f64,
    eps_sec: Option<f64>,
    eps_cor: Option<f64>,
) -> Result<JsValue, JsValue> {
    let n = integer("n", n, 1e12).map_err(|e| js_error(&e))? as usize;
    let k = integer("k", k, 1e12).map_err(|e| js_error(&e))? as usize;
    if !(qber.is_finite() && (0.0..=0.5).contains(&qber)) {
        return Err(js_error(&Error::invalid("qber", format!("must be in [0, 0.5], got {qber}"))));
    }
    if !(leak_ec.is_finite() && leak_ec >= 0.0 && leak_ec.fract() == 0.0) {
        return Err(js_error(&Error::invalid("leakEc", format!("must be a non-negative integer, got {leak_ec}"))));
    }
    let (es, ec) = (eps_sec.unwrap_or(1e-10), eps_cor.unwrap_or(1e-15));
    for (field, v) in [("epsSec", es), ("epsCor", ec)] {
        if !(v.is_finite() && v > 0.0 && v < 1.0) {
            return Err(js_error(&Error::invalid(field, format!("must be in (0, 1), got {v}"))));
        }
    }
    Ok(to_js(&finite_key_length(n, k, qber, leak_ec as u64, es, ec)))
}

/// Cascade on two bit strings of `bits` bits: corrects `noisy` towards `reference` and reports
/// what it disclosed. `seed` (text) fixes the shuffles.
#[wasm_bindgen(unchecked_return_type = "Reconciliation")]
pub fn reconcile(
    reference: &[u8],
    noisy: &[u8],
    bits: f64,
    qber: f64,
    seed: Option<String>,
) -> Result<JsValue, JsValue> {
    let n = integer("bits", bits, 1e9).map_err(|e| js_error(&e))? as usize;
    let a = BitVec::from_bytes(reference, n).map_err(|e| js_error(&Error::invalid("reference", e.to_string())))?;
    let b = BitVec::from_bytes(noisy, n).map_err(|e| js_error(&Error::invalid("noisy", e.to_string())))?;
    let seed = Seed::from_text(seed.as_deref().unwrap_or("qkdlab cascade"));
    let mut shuffle = [0u8; 32];
    rand::Rng::fill_bytes(&mut seed.rng("cascade"), &mut shuffle);
    let r = reconciliation::reconcile(&a, &b, qber, &shuffle).map_err(|e| js_error(&e))?;
    let obj = js_sys::Object::new();
    let set = |k: &str, v: JsValue| Reflect::set(&obj, &k.into(), &v).map(|_| ());
    set("key", Uint8Array::from(r.key.to_bytes().as_slice()).into())?;
    set("disclosed", (r.disclosed as f64).into())?;
    set("roundTrips", (r.round_trips as f64).into())?;
    set("corrections", (r.corrections as f64).into())?;
    set("firstBlock", (r.params.first_block as f64).into())?;
    set("passes", (r.params.passes as f64).into())?;
    Ok(obj.into())
}

/// What anyone can read of a frame without a key, from the core's message table: `{ type,
/// route, stage, direction?, sequence? }` (direction and sequence for sealed classical frames).
#[wasm_bindgen(js_name = frameInfo, unchecked_return_type = "{ type: string; route: \"fiber\" | \"classical\"; stage: string; direction?: \"aliceToBob\" | \"bobToAlice\"; sequence?: number }")]
pub fn frame_info(frame: &[u8]) -> Result<JsValue, JsValue> {
    msgs::frame_info(frame).map(|i| to_js(&i)).map_err(|e| js_error(&e.into()))
}

/// The public parameters a Hello announces (read without checking its tag: for display and
/// for a man in the middle who must answer it): `{ round, pulses, batchSize, sampleFraction,
/// qberThreshold, epsSec, epsCor }`.
#[wasm_bindgen(js_name = helloParams, unchecked_return_type = "{ round: number; pulses: number; batchSize: number; sampleFraction: number; qberThreshold: number; epsSec: number; epsCor: number }")]
pub fn hello_params(frame: &[u8]) -> Result<JsValue, JsValue> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct HelloParams {
        round: u32,
        pulses: u64,
        batch_size: u32,
        sample_fraction: f64,
        qber_threshold: f64,
        eps_sec: f64,
        eps_cor: f64,
    }
    match crate::auth::peek(frame).map_err(|e| js_error(&e))? {
        msgs::Msg::Hello(o, p) => Ok(to_js(&HelloParams {
            round: o.round,
            pulses: p.pulses,
            batch_size: p.batch_size,
            sample_fraction: p.sample_fraction,
            qber_threshold: p.qber_threshold,
            eps_sec: p.eps_sec,
            eps_cor: p.eps_cor,
        })),
        other => Err(js_error(&Error::unexpected("Hello", other.name()))),
    }
}

/// The protocol stages in order, and the stage each party state belongs to (for progress
/// views): `{ stages: string[], stateStage: { [state]: number } }`.
#[wasm_bindgen(js_name = protocolStages, unchecked_return_type = "{ stages: string[]; stateStage: Record<string, number> }")]
pub fn protocol_stages() -> JsValue {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Stages {
        stages: Vec<&'static str>,
        state_stage: std::collections::BTreeMap<&'static str, usize>,
    }
    to_js(&Stages {
        stages: msgs::Stage::ALL.iter().map(|s| s.name()).collect(),
        state_stage: crate::party::STATE_STAGES.iter().map(|(n, s)| (*n, s.map_or(6, |s| s.index()))).collect(),
    })
}

/// Where a frame goes: `"fiber"` (photons, measurement settings, detections) or
/// `"classical"` (the authenticated channel between Alice and Bob).
#[wasm_bindgen(js_name = frameRoute, unchecked_return_type = "\"fiber\" | \"classical\"")]
pub fn frame_route(frame: &[u8]) -> Result<String, JsValue> {
    match msgs::route(frame).map_err(|e| js_error(&e.into()))? {
        Route::Fiber => Ok("fiber".into()),
        Route::Classical => Ok("classical".into()),
    }
}
