//! The thin wasm-bindgen layer: option parsing, error conversion, and JS-shaped results. No
//! protocol logic lives here.

use js_sys::{Array, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::amplification::{FiniteKey, finite_key_length};
use crate::bits::BitVec;
use crate::error::Error;
use crate::msgs::{self, Route};
use crate::party::{Alice, Bob, Config};
use crate::quantum::{Basis, ChannelModel, EveBasis, Fiber, InterceptResend};
use crate::rng::Seed;
use crate::session::{Clock, Driver, Passive, Report, SessionConfig};
use crate::{Credential, reconciliation};

mod lifecycle;

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
/** How the classical channel is authenticated: a 32-byte pre-shared key (HMAC-SHA256). */
export interface AuthOptions { mode: "psk"; psk: Uint8Array; }
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
export interface PartyOptions extends Partial<ProtocolOptions> { seed?: string; auth: AuthOptions; }
/** Options of the fiber. */
export interface FiberOptions { seed?: string; channel?: ChannelOptions; eve?: EveOptions; }
/** Every term of the finite-key bound (Tomamichel et al., Nat. Commun. 3, 634 (2012)). */
export interface FiniteKeyTerms {
  n: number; k: number; qber: number; mu: number; phaseErrorBits: number; leakEc: number;
  epsilonBits: number; bound: number; length: number; epsSec: number; epsCor: number;
}
/** A typed failure: `code` is stable, `message` readable. */
export interface ReportError { code: string; message: string; party: string; }
/** What a session did. Keys are present only when both sides verified the same key. */
export interface Report {
  ok: boolean; qber: number; qberBound: number; pulses: number; clicks: number; intercepted: number;
  siftedBits: number; sampleBits: number; finalKeyBits: number; keyAlice?: Uint8Array; keyBob?: Uint8Array;
  leakedBits: number; disclosed: { estimation: number; reconciliation: number; verification: number };
  authBitsUsed: number; auth: { mode: string; frames: number; tagBits: number; keyBitsUsed: number };
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

// ---- options ----

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ChannelOptions {
    length_km: Option<f64>,
    attenuation_db_per_km: Option<f64>,
    insertion_loss_db: Option<f64>,
    error_rate: Option<f64>,
    detector_efficiency: Option<f64>,
    dark_count_prob: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EveOptions {
    intercept_fraction: f64,
    basis: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthOptions {
    mode: String,
    #[serde(default, with = "serde_bytes")]
    psk: Option<Vec<u8>>,
    #[serde(default, with = "serde_bytes")]
    secret_key: Option<Vec<u8>>,
    #[serde(default, with = "serde_bytes")]
    peer_public_key: Option<Vec<u8>>,
    #[serde(default, with = "serde_bytes")]
    alice_to_bob: Option<Vec<u8>>,
    #[serde(default, with = "serde_bytes")]
    bob_to_alice: Option<Vec<u8>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Options {
    pulses: Option<f64>,
    batch_size: Option<f64>,
    sample_fraction: Option<f64>,
    qber_threshold: Option<f64>,
    eps_sec: Option<f64>,
    eps_cor: Option<f64>,
    seed: Option<String>,
    rounds: Option<f64>,
    after_bootstrap: Option<String>,
    pool_target_bits: Option<f64>,
    pad_budget_bits: Option<f64>,
    #[serde(default)]
    channel: ChannelOptions,
    eve: Option<EveOptions>,
    auth: Option<AuthOptions>,
}

const OPTION_KEYS: &[&str] = &[
    "pulses",
    "batchSize",
    "sampleFraction",
    "qberThreshold",
    "epsSec",
    "epsCor",
    "seed",
    "channel",
    "eve",
    "auth",
    "rounds",
    "afterBootstrap",
    "poolTargetBits",
    "padBudgetBits",
];
const CHANNEL_KEYS: &[&str] =
    &["lengthKm", "attenuationDbPerKm", "insertionLossDb", "errorRate", "detectorEfficiency", "darkCountProb"];
const EVE_KEYS: &[&str] = &["interceptFraction", "basis"];
const AUTH_KEYS: &[&str] = &["mode", "psk", "secretKey", "peerPublicKey", "aliceToBob", "bobToAlice"];

/// Refuses keys the options do not have (a typo would otherwise silently use a default).
fn check_keys(value: &JsValue, allowed: &[&str], path: &str) -> Result<(), JsValue> {
    if !value.is_object() {
        return Ok(());
    }
    let object: &js_sys::Object = value.unchecked_ref();
    for key in js_sys::Object::keys(object).iter() {
        let key = key.as_string().unwrap_or_default();
        if !allowed.contains(&key.as_str()) {
            return Err(type_error(&format!("unknown option `{path}{key}` (known: {})", allowed.join(", "))));
        }
    }
    Ok(())
}

fn parse(options: JsValue) -> Result<Options, JsValue> {
    if !options.is_object() {
        return Err(type_error("options must be an object"));
    }
    check_keys(&options, OPTION_KEYS, "")?;
    for (key, allowed) in [("channel", CHANNEL_KEYS), ("eve", EVE_KEYS), ("auth", AUTH_KEYS)] {
        let nested = Reflect::get(&options, &key.into()).unwrap_or(JsValue::UNDEFINED);
        check_keys(&nested, allowed, &format!("{key}."))?;
    }
    serde_wasm_bindgen::from_value(options).map_err(|e| type_error(&format!("invalid options: {e}")))
}

fn integer(field: &'static str, v: f64, max: f64) -> Result<u64, Error> {
    if v.is_finite() && v.fract() == 0.0 && v >= 1.0 && v <= max {
        Ok(v as u64)
    } else {
        Err(Error::invalid(field, format!("must be an integer in 1..={max}, got {v}")))
    }
}

impl Options {
    fn protocol(&self) -> Result<Config, Error> {
        let d = Config::default();
        let pulses = self.pulses.ok_or_else(|| Error::invalid("pulses", "is required"))?;
        let c = Config {
            pulses: integer("pulses", pulses, crate::party::MAX_PULSES as f64)?,
            batch_size: match self.batch_size {
                Some(b) => integer("batchSize", b, f64::from(1u32 << 24))? as u32,
                None => d.batch_size,
            },
            sample_fraction: self.sample_fraction.unwrap_or(d.sample_fraction),
            qber_threshold: self.qber_threshold.unwrap_or(d.qber_threshold),
            eps_sec: self.eps_sec.unwrap_or(d.eps_sec),
            eps_cor: self.eps_cor.unwrap_or(d.eps_cor),
        };
        c.validate()?;
        Ok(c)
    }

    fn channel(&self) -> Result<ChannelModel, Error> {
        let d = ChannelModel::default();
        let c = &self.channel;
        let m = ChannelModel {
            length_km: c.length_km.unwrap_or(d.length_km),
            attenuation_db_per_km: c.attenuation_db_per_km.unwrap_or(d.attenuation_db_per_km),
            insertion_loss_db: c.insertion_loss_db.unwrap_or(d.insertion_loss_db),
            error_rate: c.error_rate.unwrap_or(d.error_rate),
            detector_efficiency: c.detector_efficiency.unwrap_or(d.detector_efficiency),
            dark_count_prob: c.dark_count_prob.unwrap_or(d.dark_count_prob),
        };
        m.validate()?;
        Ok(m)
    }

    fn eve(&self) -> Result<Option<InterceptResend>, Error> {
        let Some(e) = &self.eve else { return Ok(None) };
        let basis = match e.basis.as_deref() {
            None | Some("random") => EveBasis::Random,
            Some("rectilinear") => EveBasis::Fixed(Basis::Rectilinear),
            Some("diagonal") => EveBasis::Fixed(Basis::Diagonal),
            Some(other) => {
                return Err(Error::invalid(
                    "eve.basis",
                    format!("must be random, rectilinear or diagonal, got {other:?}"),
                ));
            }
        };
        let eve = InterceptResend { fraction: e.intercept_fraction, basis };
        eve.validate()?;
        Ok(Some(eve))
    }

    /// A party's own credential: a PSK, or (PKI) its secret key and the peer's pinned public key.
    fn credential(&self) -> Result<Credential, Error> {
        let auth = self.auth.as_ref().ok_or_else(|| Error::invalid("auth", "is required ({ mode: \"psk\", psk })"))?;
        match auth.mode.as_str() {
            "psk" => Credential::psk(auth.psk.as_deref().unwrap_or_default()),
            "pki" => {
                let sk: [u8; 32] = auth.secret_key.as_deref().unwrap_or_default().try_into().map_err(|_| {
                    Error::invalid("auth.secretKey", "must be a 32-byte Ed25519 secret key (Identity.secretKey)")
                })?;
                let pk: [u8; 32] = auth
                    .peer_public_key
                    .as_deref()
                    .unwrap_or_default()
                    .try_into()
                    .map_err(|_| Error::invalid("auth.peerPublicKey", "must be the peer's 32-byte public key"))?;
                let peer = ed25519_dalek::VerifyingKey::from_bytes(&pk)
                    .map_err(|_| Error::invalid("auth.peerPublicKey", "is not a valid Ed25519 public key"))?;
                let own = crate::auth::Identity { signing: ed25519_dalek::SigningKey::from_bytes(&sk) };
                Ok(Credential::Pki { own: Box::new(own), peer })
            }
            "pool-hmac" => {
                let key = |field, v: &Option<Vec<u8>>| -> Result<[u8; 32], Error> {
                    v.as_deref()
                        .unwrap_or_default()
                        .try_into()
                        .map_err(|_| Error::invalid(field, "must be 32 bytes taken from the key pool"))
                };
                Ok(Credential::PoolHmac {
                    alice_to_bob: key("auth.aliceToBob", &auth.alice_to_bob)?,
                    bob_to_alice: key("auth.bobToAlice", &auth.bob_to_alice)?,
                })
            }
            other => {
                Err(Error::invalid("auth.mode", format!("must be \"psk\", \"pki\" or \"pool-hmac\", got {other:?}")))
            }
        }
    }

    /// Both sides' credentials for an in-memory run: the same PSK, or (PKI) two identities
    /// drawn from the seed, each pinning the other.
    fn credentials(&self, seed: &Seed) -> Result<(Credential, Credential), Error> {
        let auth = self.auth.as_ref().ok_or_else(|| Error::invalid("auth", "is required ({ mode: \"psk\", psk })"))?;
        if auth.mode == "pki" {
            let a = crate::auth::Identity::from_seed(seed, "alice");
            let b = crate::auth::Identity::from_seed(seed, "bob");
            let (pa, pb) = (a.public(), b.public());
            return Ok((
                Credential::Pki { own: Box::new(a), peer: pb },
                Credential::Pki { own: Box::new(b), peer: pa },
            ));
        }
        let c = self.credential()?;
        Ok((c.clone(), c))
    }

    fn seed(&self) -> Result<Seed, Error> {
        match &self.seed {
            Some(s) => Ok(Seed::from_text(s)),
            None => Seed::from_entropy(),
        }
    }

    /// The session and Bob's credential (Alice's is the session's).
    fn session(&self) -> Result<(SessionConfig, Credential), Error> {
        let seed = self.seed()?;
        let (alice, bob) = self.credentials(&seed)?;
        Ok((
            SessionConfig {
                protocol: self.protocol()?,
                channel: self.channel()?,
                eve: self.eve()?,
                credential: alice,
                seed,
            },
            bob,
        ))
    }
}

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
    v.serialize(&serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(false))
        .expect("report structs contain only numbers, strings and bytes")
}

fn frames(out: Vec<Vec<u8>>) -> Array {
    out.into_iter().map(|f| JsValue::from(Uint8Array::from(f.as_slice()))).collect()
}

// ---- reports ----

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsFiniteKey {
    n: usize,
    k: usize,
    qber: f64,
    mu: f64,
    phase_error_bits: f64,
    leak_ec: u64,
    epsilon_bits: f64,
    bound: f64,
    length: usize,
    eps_sec: f64,
    eps_cor: f64,
}

impl From<&FiniteKey> for JsFiniteKey {
    fn from(f: &FiniteKey) -> Self {
        Self {
            n: f.n,
            k: f.k,
            qber: f.qber,
            mu: f.mu,
            phase_error_bits: f.phase_error_bits,
            leak_ec: f.leak_ec,
            epsilon_bits: f.epsilon_bits,
            bound: f.bound,
            length: f.length,
            eps_sec: f.eps_sec,
            eps_cor: f.eps_cor,
        }
    }
}

#[derive(Serialize)]
struct JsError {
    code: &'static str,
    message: String,
    party: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsReport {
    ok: bool,
    qber: f64,
    qber_bound: f64,
    pulses: u64,
    clicks: u64,
    intercepted: u64,
    sifted_bits: usize,
    sample_bits: usize,
    final_key_bits: usize,
    #[serde(with = "serde_bytes", skip_serializing_if = "Option::is_none")]
    key_alice: Option<Vec<u8>>,
    #[serde(with = "serde_bytes", skip_serializing_if = "Option::is_none")]
    key_bob: Option<Vec<u8>>,
    leaked_bits: u64,
    disclosed: serde_json_like::Disclosed,
    auth_bits_used: u64,
    auth: serde_json_like::Auth,
    round_trips: usize,
    cascade: serde_json_like::Cascade,
    #[serde(skip_serializing_if = "Option::is_none")]
    finite_key: Option<JsFiniteKey>,
    eps_sec: f64,
    eps_cor: f64,
    stages: Vec<serde_json_like::Stage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<JsError>,
}

/// Plain records for the report's nested objects.
mod serde_json_like {
    use serde::Serialize;

    #[derive(Serialize)]
    pub struct Disclosed {
        pub estimation: u64,
        pub reconciliation: u64,
        pub verification: u64,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Auth {
        pub mode: &'static str,
        pub frames: u64,
        pub tag_bits: u64,
        pub key_bits_used: u64,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Cascade {
        pub first_block: usize,
        pub passes: usize,
        pub corrections: usize,
        pub round_trips: usize,
    }

    #[derive(Serialize)]
    pub struct Stage {
        pub name: &'static str,
        pub ms: f64,
    }
}

fn report_to_js(r: &Report, config: &Config) -> JsValue {
    let c = &r.cascade;
    to_js(&JsReport {
        ok: r.ok,
        qber: r.qber,
        qber_bound: r.qber + r.finite_key.as_ref().map_or(0.0, |f| f.mu),
        pulses: r.pulses,
        clicks: r.clicks,
        intercepted: r.intercepted,
        sifted_bits: r.sifted_bits,
        sample_bits: r.sample_bits,
        final_key_bits: r.final_key_bits,
        key_alice: r.key_alice.as_ref().map(BitVec::to_bytes),
        key_bob: r.key_bob.as_ref().map(BitVec::to_bytes),
        leaked_bits: r.disclosed.reconciliation + r.disclosed.verification,
        disclosed: serde_json_like::Disclosed {
            estimation: r.disclosed.estimation,
            reconciliation: r.disclosed.reconciliation,
            verification: r.disclosed.verification,
        },
        auth_bits_used: r.auth.key_bits_used,
        auth: serde_json_like::Auth {
            mode: r.auth.mode,
            frames: r.auth.frames,
            tag_bits: r.auth.tag_bits,
            key_bits_used: r.auth.key_bits_used,
        },
        round_trips: r.round_trips,
        cascade: serde_json_like::Cascade {
            first_block: c.cascade_first_block,
            passes: c.cascade_passes,
            corrections: c.cascade_corrections,
            round_trips: c.cascade_round_trips,
        },
        finite_key: r.finite_key.as_ref().map(JsFiniteKey::from),
        eps_sec: config.eps_sec,
        eps_cor: config.eps_cor,
        stages: r.stages.iter().map(|s| serde_json_like::Stage { name: s.name, ms: s.ms }).collect(),
        error: r.error.as_ref().map(|e| JsError {
            code: e.code(),
            message: e.to_string(),
            party: r.failed_party.unwrap_or("driver"),
        }),
    })
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
    Ok(to_js(&JsFiniteKey::from(&finite_key_length(n, k, qber, leak_ec as u64, es, ec))))
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

/// Where a frame goes: `"fiber"` (photons, measurement settings, detections) or
/// `"classical"` (the authenticated channel between Alice and Bob).
#[wasm_bindgen(js_name = frameRoute, unchecked_return_type = "\"fiber\" | \"classical\"")]
pub fn frame_route(frame: &[u8]) -> Result<String, JsValue> {
    match msgs::route(frame).map_err(|e| js_error(&e.into()))? {
        Route::Fiber => Ok("fiber".into()),
        Route::Classical => Ok("classical".into()),
    }
}

// ---- parties ----

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsSummary {
    pulses: u64,
    clicks: u64,
    sifted_bits: usize,
    sample_bits: usize,
    qber: f64,
    cascade_first_block: usize,
    cascade_passes: usize,
    cascade_disclosed: u64,
    cascade_corrections: usize,
    cascade_round_trips: usize,
    verification_bits: u64,
    verification_collision: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    finite_key: Option<JsFiniteKey>,
}

fn summary_to_js(s: &crate::Summary) -> JsValue {
    to_js(&JsSummary {
        pulses: s.pulses,
        clicks: s.clicks,
        sifted_bits: s.sifted_bits,
        sample_bits: s.sample_bits,
        qber: s.qber,
        cascade_first_block: s.cascade_first_block,
        cascade_passes: s.cascade_passes,
        cascade_disclosed: s.cascade_disclosed,
        cascade_corrections: s.cascade_corrections,
        cascade_round_trips: s.cascade_round_trips,
        verification_bits: s.verification_bits,
        verification_collision: s.verification_collision,
        finite_key: s.finite_key.as_ref().map(JsFiniteKey::from),
    })
}

/// The methods Alice and Bob share in JS, generated once for each.
macro_rules! party_methods {
    ($ty:ident, $js:literal) => {
        #[wasm_bindgen(js_class = $js)]
        impl $ty {
            /// Takes one frame; returns the frames to send. Throws a typed error (and stops) on a
            /// frame that fails authentication or breaks the protocol.
            #[wasm_bindgen(unchecked_return_type = "Uint8Array[]")]
            pub fn handle(&mut self, frame: &[u8]) -> Result<Array, JsValue> {
                self.0.handle(frame).map(frames).map_err(|e| js_error(&e))
            }

            /// The state the party waits in (`ExpectSift`, ..., `Finished`, `Failed`).
            #[wasm_bindgen(getter)]
            pub fn state(&self) -> String {
                self.0.state().into()
            }

            /// Whether the party holds a verified key.
            #[wasm_bindgen(getter)]
            pub fn finished(&self) -> bool {
                self.0.is_finished()
            }

            /// Why the party stopped (an `Error` with a `code`), or null.
            #[wasm_bindgen(getter, unchecked_return_type = "Error | null")]
            pub fn failure(&self) -> JsValue {
                self.0.failure().map_or(JsValue::NULL, js_error)
            }

            /// What the party has seen so far (public numbers only), for live views.
            #[wasm_bindgen(getter, unchecked_return_type = "PartySummary")]
            pub fn summary(&self) -> JsValue {
                summary_to_js(self.0.summary())
            }

            /// The final key, once; undefined before the end or after it was taken.
            #[wasm_bindgen(js_name = takeKey)]
            pub fn take_key(&mut self) -> Option<Vec<u8>> {
                self.0.take_key().map(|k| k.bits.to_bytes())
            }
        }
    };
}

/// Alice over any transport: `start()` returns her first frames (photons for the fiber, Hello
/// for Bob); `handle(frame)` takes Bob's frames and returns hers.
#[wasm_bindgen(js_name = Alice)]
pub struct JsAlice(Alice);

#[wasm_bindgen(js_class = Alice)]
impl JsAlice {
    /// Alice with protocol parameters, the PSK and (optionally) a seed.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "PartyOptions")] options: JsValue) -> Result<JsAlice, JsValue> {
        let o = parse(options)?;
        let build = || -> Result<Alice, Error> { Alice::new(o.protocol()?, &o.credential()?, o.seed()?.rng("alice")) };
        build().map(JsAlice).map_err(|e| js_error(&e))
    }

    /// Prepares the photons: returns the photon frames and Hello.
    #[wasm_bindgen(unchecked_return_type = "Uint8Array[]")]
    pub fn start(&mut self) -> Result<Array, JsValue> {
        self.0.start().map(frames).map_err(|e| js_error(&e))
    }
}

party_methods!(JsAlice, "Alice");

/// Bob over any transport: `handle(frame)` takes Alice's frames and the fiber's detections and
/// returns his (measurement settings for the fiber, classical frames for Alice).
#[wasm_bindgen(js_name = Bob)]
pub struct JsBob(Bob);

#[wasm_bindgen(js_class = Bob)]
impl JsBob {
    /// Bob with the PSK and (optionally) a seed; he adopts Alice's protocol parameters.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "PartyOptions")] options: JsValue) -> Result<JsBob, JsValue> {
        let o = parse(options)?;
        let build = || -> Result<Bob, Error> { Ok(Bob::new(&o.credential()?, o.seed()?.rng("bob"))) };
        build().map(JsBob).map_err(|e| js_error(&e))
    }
}

party_methods!(JsBob, "Bob");

/// The simulated optical channel: takes Alice's photon frames and Bob's measurement frames,
/// returns Bob's detections.
#[wasm_bindgen(js_name = Fiber)]
pub struct JsFiber(Fiber);

#[wasm_bindgen(js_class = Fiber)]
impl JsFiber {
    /// A fiber with a channel model, an optional Eve and (optionally) a seed.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "FiberOptions")] options: JsValue) -> Result<JsFiber, JsValue> {
        let o = parse(options)?;
        let build = || -> Result<Fiber, Error> { Fiber::new(o.channel()?, o.eve()?, &o.seed()?) };
        build().map(JsFiber).map_err(|e| js_error(&e))
    }

    /// Takes a photon or measurement frame; returns the detections that became ready.
    #[wasm_bindgen(unchecked_return_type = "Uint8Array[]")]
    pub fn handle(&mut self, frame: &[u8]) -> Result<Array, JsValue> {
        self.0.handle(frame).map(frames).map_err(|e| js_error(&e))
    }

    /// `{ pulses, intercepted, clicks }` so far.
    #[wasm_bindgen(getter, unchecked_return_type = "{ pulses: number; intercepted: number; clicks: number }")]
    pub fn stats(&self) -> JsValue {
        let s = self.0.stats();
        let obj = js_sys::Object::new();
        let _ = Reflect::set(&obj, &"pulses".into(), &(s.pulses as f64).into());
        let _ = Reflect::set(&obj, &"intercepted".into(), &(s.intercepted as f64).into());
        let _ = Reflect::set(&obj, &"clicks".into(), &(s.clicks as f64).into());
        obj.into()
    }
}
