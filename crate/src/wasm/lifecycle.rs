//! JS bindings of the authentication lifecycle: continuous links, key stores, identities and
//! the attacks.

use js_sys::{Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{JsClock, Options, integer, js_error, parse, report_to_js, to_js};
use crate::attacks::{break_later, man_in_the_middle};
use crate::auth::{Credential, Identity, safety_number};
use crate::bits::BitVec;
use crate::error::Error;
use crate::keystore::{EtsiError, KeyStore, KeyStoreConfig};
use crate::link::{self, LinkConfig, PoolMac};
use crate::rng::Seed;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Options of runLink(): a session's options plus the lifecycle's. */
export interface LinkOptions extends SimulateOptions {
  /** Rounds to run (default 3). */ rounds?: number;
  /** Authentication after round 1: "hmac" (default) or "wegman-carter". */ afterBootstrap?: "hmac" | "wegman-carter";
  /** Pool size each direction is refilled to, in bits (default 4096). */ poolTargetBits?: number;
  /** Wegman-Carter pad bits per direction per round (default 32768). */ padBudgetBits?: number;
}
/** One round of a link, as Alice's side saw it (Bob's pools and stores hold the same). */
export interface LinkRound {
  round: number; ok: boolean; mode: AuthMode; poolBefore: number[]; poolTaken: number[]; poolAdded: number[];
  poolAfter: number[]; storedBits: number; storedKeys: number; keyBits: number;
  /** 32 bits of the key, shown and discarded (hex); both sides show the same. */ fingerprint?: string;
  qber: number; siftedBits: number; finiteKey?: FiniteKeyTerms; framesSent: number; framesReceived: number;
  epsilon: number; error?: ReportError;
}
/** ETSI GS QKD 014 key store description (all optional). */
export interface KeyStoreOptions {
  sourceKmeId?: string; targetKmeId?: string; masterSaeId?: string; slaveSaeId?: string;
  keySize?: number; maxKeyCount?: number; maxKeyPerRequest?: number;
}
"#;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsRoundError {
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsRound<'a> {
    round: u32,
    ok: bool,
    mode: &'static str,
    pool_before: [u64; 2],
    pool_taken: [u64; 2],
    pool_added: [u64; 2],
    pool_after: [u64; 2],
    stored_bits: usize,
    stored_keys: usize,
    key_bits: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint: Option<&'a str>,
    qber: f64,
    sifted_bits: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    finite_key: Option<&'a crate::amplification::FiniteKey>,
    frames_sent: u64,
    frames_received: u64,
    epsilon: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<JsRoundError>,
}

fn set(obj: &Object, key: &str, value: JsValue) {
    let _ = Reflect::set(obj, &key.into(), &value);
}

impl Options {
    fn link(&self) -> Result<(LinkConfig, Option<String>), Error> {
        let (round, bob) = self.session()?;
        let after = match self.after_bootstrap.as_deref() {
            None | Some("hmac") => PoolMac::Hmac,
            Some("wegman-carter") => PoolMac::WegmanCarter,
            Some(o) => {
                return Err(Error::invalid(
                    "afterBootstrap",
                    format!("must be \"hmac\" or \"wegman-carter\", got {o:?}"),
                ));
            }
        };
        let int = |field, v: Option<f64>, default: u64, max: f64| v.map_or(Ok(default), |v| integer(field, v, max));
        let safety = match (&round.credential, &bob) {
            (Credential::Pki { own: a, .. }, Credential::Pki { own: b, .. }) => {
                Some(safety_number(&a.public(), &b.public()))
            }
            _ => None,
        };
        Ok((
            LinkConfig {
                bob_bootstrap: bob,
                round,
                after_bootstrap: after,
                rounds: int("rounds", self.rounds, 3, 1000.0)? as usize,
                pool_target_bits: int("poolTargetBits", self.pool_target_bits, 4096, 1e9)? as usize,
                pad_budget_bits: int("padBudgetBits", self.pad_budget_bits, 32_768, 1e9)? as usize,
                store: KeyStoreConfig::default(),
            },
            safety,
        ))
    }
}

/// Runs a QKD link round after round: round 1 authenticated by the bootstrap credential (PSK
/// or PKI), later rounds from the key pool. Returns `{ rounds, stopped?, aliceStore, bobStore,
/// safetyNumber? }`; the stores are `KeyStore`s holding the keys both sites agree on.
#[wasm_bindgen(js_name = runLink, unchecked_return_type = "{ rounds: LinkRound[]; stopped?: ReportError; aliceStore: KeyStore; aliceInbox: KeyStore; bobStore: KeyStore; bobOutbox: KeyStore; safetyNumber?: string }")]
pub fn run_link(#[wasm_bindgen(unchecked_param_type = "LinkOptions")] options: JsValue) -> Result<JsValue, JsValue> {
    let o = parse(options)?;
    let (config, safety) = o.link().map_err(|e| js_error(&e))?;
    let r = link::run_passive(&config, &JsClock).map_err(|e| js_error(&e))?;
    let rounds = js_sys::Array::new();
    for x in &r.rounds {
        let Some(a) = &x.alice else { continue };
        rounds.push(&to_js(&JsRound {
            round: x.round,
            ok: x.ok,
            mode: a.mode,
            pool_before: a.pool_before,
            pool_taken: a.pool_taken,
            pool_added: a.pool_added,
            pool_after: a.pool_after,
            stored_bits: a.stored_bits,
            stored_keys: a.stored_keys[0] + a.stored_keys[1],
            key_bits: a.key_bits,
            fingerprint: a.fingerprint.as_deref(),
            qber: a.summary.qber,
            sifted_bits: a.summary.sifted_bits,
            finite_key: a.summary.finite_key.as_ref(),
            frames_sent: a.auth.frames_sent,
            frames_received: a.auth.frames_received,
            epsilon: a.auth.epsilon,
            error: x.error.as_ref().map(|e| JsRoundError { code: e.code(), message: e.to_string() }),
        }));
    }
    let out = Object::new();
    set(&out, "rounds", rounds.into());
    if let Some(e) = &r.stopped {
        let err = Object::new();
        set(&err, "code", e.code().into());
        set(&err, "message", e.to_string().into());
        set(&out, "stopped", err.into());
    }
    let [a_ab, a_ba] = r.alice.stores().clone();
    let [b_ab, b_ba] = r.bob.stores().clone();
    set(&out, "aliceStore", JsKeyStore(a_ab).into());
    set(&out, "aliceInbox", JsKeyStore(a_ba).into());
    set(&out, "bobStore", JsKeyStore(b_ab).into());
    set(&out, "bobOutbox", JsKeyStore(b_ba).into());
    if let Some(s) = safety {
        set(&out, "safetyNumber", s.into());
    }
    Ok(out.into())
}

/// A man in the middle on fiber and classical channel, authenticating with `eveCredential`
/// (`{ mode: "psk", psk }`) to both sides. With the leaked PSK both sessions succeed and Alice
/// and Bob hold different keys (`keysDiffer`), both known to Eve; with a wrong one, both abort.
#[wasm_bindgen(js_name = attackManInTheMiddle, unchecked_return_type = "{ withAlice: Report; withBob: Report; keysDiffer: boolean }")]
pub fn attack_mitm(
    #[wasm_bindgen(unchecked_param_type = "SimulateOptions")] options: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AuthOptions")] eve_credential: JsValue,
) -> Result<JsValue, JsValue> {
    let o = parse(options)?;
    let (config, bob) = o.session().map_err(|e| js_error(&e))?;
    let auth = Object::new();
    set(&auth, "auth", eve_credential);
    let eve = parse(auth.into())?.credential().map_err(|e| js_error(&e))?;
    let out = man_in_the_middle(&config, &config.credential, &bob, &eve, &eve, &JsClock).map_err(|e| js_error(&e))?;
    let obj = Object::new();
    let differ = match (out.alice_key(), out.bob_key()) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    };
    set(&obj, "withAlice", report_to_js(&out.with_alice, &config.protocol));
    set(&obj, "withBob", report_to_js(&out.with_bob, &config.protocol));
    set(&obj, "keysDiffer", differ.into());
    Ok(obj.into())
}

/// Record now, break later: runs one session while recording every classical frame, then hands
/// Eve the bootstrap credential. Returns `{ framesVerified, keyBits, agreement }`: the share of
/// key bits her best guess gets right (about one half).
#[wasm_bindgen(js_name = attackBreakLater, unchecked_return_type = "{ framesVerified: number; keyBits: number; agreement: number }")]
pub fn attack_break_later(
    #[wasm_bindgen(unchecked_param_type = "SimulateOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Out {
        frames_verified: usize,
        key_bits: usize,
        agreement: f64,
    }
    let o = parse(options)?;
    let (config, bob) = o.session().map_err(|e| js_error(&e))?;
    let r = crate::attacks::record_now_break_later(&config, &bob, &JsClock).map_err(|e| js_error(&e))?;
    Ok(to_js(&Out { frames_verified: r.frames_verified, key_bits: r.key_bits, agreement: r.agreement }))
}

/// Record now, break later, on a real transcript: `frames` are the classical frames Eve
/// recorded (in order, Bob's Ready first), `psk` the key that leaked afterwards, `link` the
/// room id. Returns `{ framesVerified, guess }`: how many tags the leaked key verifies, and her
/// best guess of the final key.
#[wasm_bindgen(js_name = breakLater, unchecked_return_type = "{ framesVerified: number; guess: Uint8Array; guessBits: number }")]
pub fn js_break_later(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] frames: js_sys::Array,
    psk: &[u8],
    link: Option<String>,
) -> Result<JsValue, JsValue> {
    let credential = Credential::psk(psk).map_err(|e| js_error(&e))?;
    let mut transcript = Vec::with_capacity(frames.length() as usize);
    for f in frames.iter() {
        let bytes = js_sys::Uint8Array::new(&f).to_vec();
        let info = crate::msgs::frame_info(&bytes).map_err(|e| js_error(&e.into()))?;
        let dir = match (info.route, info.direction) {
            (crate::msgs::Route::Classical, Some(d)) => d,
            // Bob's Ready carries no direction: it travels to Alice.
            (crate::msgs::Route::Classical, None) => crate::auth::Direction::BobToAlice,
            _ => return Err(js_error(&Error::invalid("frames", "every frame must be a classical frame"))),
        };
        transcript.push((dir, bytes));
    }
    let seed = Seed::from_entropy().map_err(|e| js_error(&e))?;
    let link = link.unwrap_or_else(|| crate::session::SINGLE_LINK.into());
    let r = break_later(&transcript, &credential, &link, &seed).map_err(|e| js_error(&e))?;
    let obj = Object::new();
    set(&obj, "framesVerified", (r.frames_verified as f64).into());
    set(&obj, "guessBits", (r.guess.len() as f64).into());
    set(&obj, "guess", js_sys::Uint8Array::from(r.guess.to_bytes().as_slice()).into());
    Ok(obj.into())
}

/// An Ed25519 identity for the PKI bootstrap. Compare `safetyNumber(mine, theirs)` out of band.
#[wasm_bindgen(js_name = Identity)]
pub struct JsIdentity(Identity);

#[wasm_bindgen(js_class = Identity)]
impl JsIdentity {
    /// A fresh identity (OS randomness), or one drawn from `seed` text (replayable demos).
    #[wasm_bindgen(constructor)]
    pub fn new(seed: Option<String>) -> Result<JsIdentity, JsValue> {
        let seed = match seed {
            Some(s) => Seed::from_text(&s),
            None => Seed::from_entropy().map_err(|e| js_error(&e))?,
        };
        Ok(JsIdentity(Identity::from_seed(&seed, "identity")))
    }

    /// The 32-byte public key (share it; the peer pins it).
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public().to_bytes().to_vec()
    }

    /// The 32-byte secret key (for `auth: { mode: "pki", secretKey, peerPublicKey }`).
    #[wasm_bindgen(getter, js_name = secretKey)]
    pub fn secret_key(&self) -> Vec<u8> {
        self.0.signing.to_bytes().to_vec()
    }

    /// The public key's fingerprint (five groups of five digits).
    #[wasm_bindgen(getter)]
    pub fn fingerprint(&self) -> String {
        crate::auth::fingerprint(&self.0.public())
    }
}

/// The safety number of two public keys: the same on both sides; compare it by voice or in
/// person to pin each other's key.
#[wasm_bindgen(js_name = safetyNumber)]
pub fn js_safety_number(a: &[u8], b: &[u8]) -> Result<String, JsValue> {
    let key = |field, k: &[u8]| -> Result<ed25519_dalek::VerifyingKey, JsValue> {
        let arr: [u8; 32] = k.try_into().map_err(|_| js_error(&Error::invalid(field, "must be 32 bytes")))?;
        ed25519_dalek::VerifyingKey::from_bytes(&arr)
            .map_err(|_| js_error(&Error::invalid(field, "is not an Ed25519 public key")))
    };
    Ok(safety_number(&key("a", a)?, &key("b", b)?))
}

/// One site's key store, in the shape of ETSI GS QKD 014: `status`, `encKeys`, `decKeys`
/// return the spec's JSON; failures throw an `Error` with `status` (400, 401) and `body`
/// (`{ message, details }`).
#[wasm_bindgen(js_name = KeyStore)]
pub struct JsKeyStore(KeyStore);

pub(super) fn etsi_error(e: &EtsiError) -> JsValue {
    let err = js_sys::Error::new(&format!("{} ({})", e.message, e.status));
    let code = if e.status == 401 { "unauthorized" } else { "bad_request" };
    let _ = Reflect::set(&err, &"code".into(), &code.into());
    let _ = Reflect::set(&err, &"status".into(), &f64::from(e.status).into());
    let _ = Reflect::set(&err, &"body".into(), &to_js(e));
    err.into()
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct StoreOptions {
    source_kme_id: Option<String>,
    target_kme_id: Option<String>,
    master_sae_id: Option<String>,
    slave_sae_id: Option<String>,
    key_size: Option<f64>,
    max_key_count: Option<f64>,
    max_key_per_request: Option<f64>,
}

#[derive(serde::Deserialize, Default)]
pub(super) struct EncRequest {
    number: Option<f64>,
    size: Option<f64>,
}

impl EncRequest {
    /// `{ number?, size? }` as whole numbers, or the spec's 400.
    pub(super) fn parse(request: JsValue) -> Result<(Option<usize>, Option<usize>), JsValue> {
        let r: EncRequest = if request.is_undefined() || request.is_null() {
            EncRequest::default()
        } else {
            serde_wasm_bindgen::from_value(request).map_err(|e| super::type_error(&format!("invalid request: {e}")))?
        };
        let whole = |v: Option<f64>| v.filter(|x| x.fract() == 0.0 && *x >= 0.0).map(|x| x as usize);
        if r.number.is_some() && whole(r.number).is_none() || r.size.is_some() && whole(r.size).is_none() {
            return Err(etsi_error(&EtsiError {
                status: 400,
                message: "number and size shall be non-negative integers".into(),
                details: vec![],
            }));
        }
        Ok((whole(r.number), whole(r.size)))
    }
}

/// The ids of a `{ key_IDs: [{ key_ID }] }` request.
pub(super) fn key_ids(request: JsValue) -> Result<Vec<String>, JsValue> {
    let r: DecRequest =
        serde_wasm_bindgen::from_value(request).map_err(|e| super::type_error(&format!("invalid request: {e}")))?;
    Ok(r.key_IDs.into_iter().map(|k| k.key_ID).collect())
}

#[derive(serde::Deserialize)]
#[allow(non_snake_case)]
struct KeyIdRef {
    key_ID: String,
}

#[derive(serde::Deserialize)]
#[allow(non_snake_case)]
struct DecRequest {
    key_IDs: Vec<KeyIdRef>,
}

#[wasm_bindgen(js_class = KeyStore)]
impl JsKeyStore {
    /// An empty store.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "KeyStoreOptions | undefined")] options: JsValue,
    ) -> Result<JsKeyStore, JsValue> {
        let o: StoreOptions = if options.is_undefined() || options.is_null() {
            StoreOptions::default()
        } else {
            serde_wasm_bindgen::from_value(options).map_err(|e| super::type_error(&format!("invalid options: {e}")))?
        };
        let d = KeyStoreConfig::default();
        let int = |field, v: Option<f64>, default: usize| {
            v.map_or(Ok(default), |v| integer(field, v, 1e9).map(|x| x as usize))
        };
        let config = KeyStoreConfig {
            source_kme_id: o.source_kme_id.unwrap_or(d.source_kme_id),
            target_kme_id: o.target_kme_id.unwrap_or(d.target_kme_id),
            master_sae_id: o.master_sae_id.unwrap_or(d.master_sae_id),
            slave_sae_id: o.slave_sae_id.unwrap_or(d.slave_sae_id),
            key_size: int("keySize", o.key_size, d.key_size).map_err(|e| js_error(&e))?,
            max_key_count: int("maxKeyCount", o.max_key_count, d.max_key_count).map_err(|e| js_error(&e))?,
            max_key_per_request: int("maxKeyPerRequest", o.max_key_per_request, d.max_key_per_request)
                .map_err(|e| js_error(&e))?,
        };
        KeyStore::new(config).map(JsKeyStore).map_err(|e| js_error(&e))
    }

    /// Adds key material (`bits` bits, MSB first), cut into keys named from `label`; returns
    /// how many keys were stored. Both sites add the same material under the same label.
    pub fn add(&mut self, material: &[u8], bits: f64, label: String) -> Result<usize, JsValue> {
        let n = integer("bits", bits, 1e10).map_err(|e| js_error(&e))? as usize;
        let m = BitVec::from_bytes(material, n).map_err(|e| js_error(&Error::invalid("material", e.to_string())))?;
        Ok(self.0.add(&m, &label))
    }

    /// Keys stored.
    #[wasm_bindgen(getter, js_name = storedKeyCount)]
    pub fn stored_key_count(&self) -> usize {
        self.0.len()
    }

    /// ETSI 014 "Get status" for `slaveSaeId`.
    pub fn status(&self, slave_sae_id: &str) -> Result<JsValue, JsValue> {
        self.0.status(slave_sae_id).map(|s| to_js(&s)).map_err(|e| etsi_error(&e))
    }

    /// ETSI 014 "Get key": `{ number?, size? }`; returns `{ keys: [{ key_ID, key }] }`.
    #[wasm_bindgen(js_name = encKeys)]
    pub fn enc_keys(&mut self, slave_sae_id: &str, request: JsValue) -> Result<JsValue, JsValue> {
        let (number, size) = EncRequest::parse(request)?;
        self.0.enc_keys(slave_sae_id, number, size).map(|k| to_js(&k)).map_err(|e| etsi_error(&e))
    }

    /// ETSI 014 "Get key with key IDs": `{ key_IDs: [{ key_ID }] }`.
    #[wasm_bindgen(js_name = decKeys)]
    pub fn dec_keys(&mut self, master_sae_id: &str, request: JsValue) -> Result<JsValue, JsValue> {
        let ids = key_ids(request)?;
        self.0.dec_keys(master_sae_id, &ids).map(|k| to_js(&k)).map_err(|e| etsi_error(&e))
    }
}
