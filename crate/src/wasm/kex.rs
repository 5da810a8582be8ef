//! The classical key exchanges in JS: `KeyExchange` (one side, over any transport, keys into
//! the ETSI 014 stores like a QKD `Link`), `KexRecording` (Eve's "years later"), and the
//! primitives for npm users (`x25519`, ML-KEM-768).

use js_sys::Uint8Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::classes::{etsi, etsi_methods, key_ids, key_request};
use super::{from_js, js_error, options, to_js};
use crate::error::Error;
use crate::kex::{self, Breaks, primitives as prim};
use crate::keystore::{for_master, for_slave};

/// One side of a classical key exchange (X25519, ML-KEM-768, hybrid, or the toy group), shaped
/// like a QKD `Link`: Bob sends `readyFrame`, Alice calls `start()` once `ready`, both pass every
/// frame to `handle(frame)` and send the `frames` it returns; an `established` event carries
/// the fingerprint and sizes; keys leave only through the ETSI GS QKD 014 methods. Every random
/// choice comes from the OS.
#[wasm_bindgen]
pub struct KeyExchange(kex::KeyExchange);

/// What `handle` and `start` return.
#[derive(Serialize)]
struct KexStep {
    #[serde(serialize_with = "crate::session::frame_list")]
    frames: Vec<Vec<u8>>,
    events: Vec<KexEvent>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
enum KexEvent {
    Established(kex::KexOutcome),
    Refused { error: Error },
}

impl KeyExchange {
    fn step(&self, r: Result<Vec<Vec<u8>>, Error>, was: bool) -> JsValue {
        let (frames, mut events) = match r {
            Ok(f) => (f, Vec::new()),
            Err(error) => (Vec::new(), vec![KexEvent::Refused { error }]),
        };
        if !was && self.0.is_established() {
            events.extend(self.0.outcome().cloned().map(KexEvent::Established));
        }
        to_js(&KexStep { frames, events })
    }
}

#[wasm_bindgen]
impl KeyExchange {
    /// `{ role: "alice" | "bob", method, link, auth }` (auth: a PSK or public keys, as for QKD).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "KeyExchangeOptions")] opts: JsValue,
    ) -> Result<KeyExchange, JsValue> {
        let o = options(opts)?;
        let build = || {
            let link = o.link.as_deref().ok_or_else(|| Error::invalid("link", "is required (the room id)"))?;
            let (method, credential, seed) = (o.kex_method()?, o.credential()?, o.entropy_only()?);
            match o.role.as_deref() {
                Some("alice") => kex::KeyExchange::alice(method, credential, link, seed),
                Some("bob") => kex::KeyExchange::bob(method, credential, link, seed),
                _ => Err(Error::invalid("role", "must be \"alice\" or \"bob\"")),
            }
        };
        build().map(KeyExchange).map_err(js_error)
    }

    /// The method's name.
    #[wasm_bindgen(getter)]
    pub fn method(&self) -> String {
        self.0.method().name().into()
    }

    /// Bob: his Ready frame (send it when joining). Alice: undefined.
    #[wasm_bindgen(getter, js_name = readyFrame)]
    pub fn ready_frame(&self) -> Option<Vec<u8>> {
        self.0.ready_frame()
    }

    /// Alice: Bob's nonce arrived and nothing was sent yet.
    #[wasm_bindgen(getter)]
    pub fn ready(&self) -> bool {
        self.0.can_start()
    }

    /// Whether this side released keys.
    #[wasm_bindgen(getter)]
    pub fn established(&self) -> bool {
        self.0.is_established()
    }

    /// Where the exchange stands (`ExpectReady`, `Ready`, `ExpectHello`, `ExpectReply`,
    /// `ExpectFinish`, `Established`).
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> String {
        self.0.state().into()
    }

    /// The outcome once established, else null.
    #[wasm_bindgen(getter, unchecked_return_type = "KexOutcome | null")]
    pub fn outcome(&self) -> JsValue {
        self.0.outcome().map_or(JsValue::NULL, to_js)
    }

    /// Alice: sends her share (throws `link_not_ready` before Bob's Ready).
    #[wasm_bindgen(unchecked_return_type = "KexStep")]
    pub fn start(&mut self) -> Result<JsValue, JsValue> {
        let frames = self.0.start().map_err(js_error)?;
        Ok(self.step(Ok(frames), false))
    }

    /// Takes one frame from the peer: the frames to send, and events (`established`, or
    /// `refused` with the typed error of a frame that failed a check and changed nothing).
    #[wasm_bindgen(unchecked_return_type = "KexStep")]
    pub fn handle(&mut self, frame: &[u8]) -> JsValue {
        let was = self.0.is_established();
        let r = self.0.handle(frame);
        self.step(r, was)
    }

    /// Keys in each store, `[A->B, B->A]`.
    #[wasm_bindgen(getter, js_name = storedKeyCounts, unchecked_return_type = "number[]")]
    pub fn stored_key_counts(&self) -> JsValue {
        to_js(&self.0.stores().iter().map(crate::keystore::KeyStore::len).collect::<Vec<_>>())
    }
}

etsi_methods!(KeyExchange);

/// A recorded key exchange, for "record now, decrypt later": `add` every frame Eve saw, then
/// `yearsLater({ discreteLog, lattice, credential })`. For the toy group the keys are really
/// recovered (then `peekKeys` reads them, like the peer's store); for the others the verdict
/// says plainly what would fall and that it is not demonstrated.
#[wasm_bindgen]
pub struct KexRecording(kex::Recording);

#[wasm_bindgen]
impl KexRecording {
    /// An empty recording of link (room) `link`.
    #[wasm_bindgen(constructor)]
    pub fn new(link: &str) -> KexRecording {
        KexRecording(kex::Recording::new(link))
    }

    /// Records one frame (frames other than an exchange's are ignored; malformed ones throw).
    pub fn add(&mut self, frame: &[u8]) -> Result<(), JsValue> {
        self.0.add(frame).map_err(js_error)
    }

    /// The recorded method, or undefined before a Hello was recorded.
    #[wasm_bindgen(getter)]
    pub fn method(&self) -> Option<String> {
        self.0.method().ok().map(|m| m.name().into())
    }

    /// What falls, years later, under these breaks.
    #[wasm_bindgen(js_name = yearsLater, unchecked_return_type = "KexVerdict")]
    pub fn years_later(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "KexBreaks")] breaks: JsValue,
    ) -> Result<JsValue, JsValue> {
        let b: Breaks = from_js(breaks, "breaks")?;
        self.0.years_later(b).map(|v| to_js(&v)).map_err(js_error)
    }

    /// The recovered keys by id (the toy group, after `yearsLater` broke it), as the receiving
    /// SAE would read them: `peekKeys(masterSaeId, { key_IDs })`.
    #[wasm_bindgen(js_name = peekKeys, unchecked_return_type = "EtsiKeyContainer")]
    pub fn peek_keys(
        &mut self,
        master_sae_id: &str,
        #[wasm_bindgen(unchecked_param_type = "EtsiKeyIds")] request: JsValue,
    ) -> Result<JsValue, JsValue> {
        let ids = key_ids(request)?;
        let stores = self.0.stores_mut().ok_or_else(|| js_error(Error::inconsistent("no key was recovered")))?;
        etsi(for_master(stores, master_sae_id).and_then(|s| s.peek_keys(master_sae_id, &ids)))
    }
}

/// X25519 (RFC 7748): `scalar` times the point with u-coordinate `u`, 32 bytes each.
#[wasm_bindgen]
pub fn x25519(scalar: &[u8], u: &[u8]) -> Result<Vec<u8>, JsValue> {
    prim::x25519(scalar, u).map(|k| k.to_vec()).map_err(js_error)
}

/// An ML-KEM-768 key pair (FIPS 203): from the 64-byte seed `d || z` if given (known-answer
/// tests), else from the OS.
#[wasm_bindgen(js_name = mlKem768Keygen, unchecked_return_type = "MlKemKeyPair")]
pub fn mlkem768_keygen(seed: Option<Vec<u8>>) -> Result<JsValue, JsValue> {
    let seed = match seed {
        Some(s) => s,
        None => random(prim::MLKEM_SEED_LEN)?,
    };
    let (ek, dk) = prim::mlkem768_keygen(&seed).map_err(js_error)?;
    let pair = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&pair, &"encapsulationKey".into(), &Uint8Array::from(ek.as_slice()));
    let _ = js_sys::Reflect::set(&pair, &"decapsulationKey".into(), &Uint8Array::from(dk.as_slice()));
    Ok(pair.into())
}

/// ML-KEM-768 encapsulation to `encapsulationKey` (1184 bytes), with the 32-byte randomness
/// `m` if given (known-answer tests), else from the OS: `{ ciphertext, sharedKey }`.
#[wasm_bindgen(js_name = mlKem768Encapsulate, unchecked_return_type = "MlKemEncapsulation")]
pub fn mlkem768_encapsulate(encapsulation_key: &[u8], m: Option<Vec<u8>>) -> Result<JsValue, JsValue> {
    let m = match m {
        Some(m) => m,
        None => random(32)?,
    };
    let (ct, k) = prim::mlkem768_encapsulate(encapsulation_key, &m).map_err(js_error)?;
    let out = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&out, &"ciphertext".into(), &Uint8Array::from(ct.as_slice()));
    let _ = js_sys::Reflect::set(&out, &"sharedKey".into(), &Uint8Array::from(k.as_slice()));
    Ok(out.into())
}

/// ML-KEM-768 decapsulation (FIPS 203): the 32-byte shared key (a tampered ciphertext gives
/// the implicit-rejection key, as the standard requires).
#[wasm_bindgen(js_name = mlKem768Decapsulate)]
pub fn mlkem768_decapsulate(decapsulation_key: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, JsValue> {
    prim::mlkem768_decapsulate(decapsulation_key, ciphertext).map(|k| k.to_vec()).map_err(js_error)
}

fn random(n: usize) -> Result<Vec<u8>, JsValue> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).map_err(|e| js_error(Error::Entropy(e.to_string())))?;
    Ok(b)
}
