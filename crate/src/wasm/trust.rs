//! Trust anchors in JS: a test CA that issues certificates, chain verification, and the web of
//! trust's vouches and check. Each verification returns the peer's public key, to pin as
//! `auth: { mode: "pki", peerPublicKey }`.

use js_sys::Uint8Array;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use super::{from_js, js_error};
use crate::auth::{Identity, verifying_key};
use crate::error::Error;
use crate::rng::Seed;
use crate::trust::{self, CertificateSpec, TrustLevel, Vouch};

/// A certificate's contents, from JS.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SpecOptions {
    name: String,
    not_before: f64,
    not_after: f64,
    #[serde(default)]
    serial: f64,
}

impl SpecOptions {
    fn spec(&self, ca: bool) -> Result<CertificateSpec, Error> {
        let secs = |field, v: f64| {
            if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
                Ok(v as i64)
            } else {
                Err(Error::invalid(field, "must be a whole number of Unix seconds"))
            }
        };
        if !(self.serial.is_finite() && self.serial >= 0.0 && self.serial.fract() == 0.0 && self.serial < 9e15) {
            return Err(Error::invalid("serial", "must be a non-negative whole number"));
        }
        Ok(CertificateSpec {
            name: self.name.clone(),
            not_before: secs("notBefore", self.not_before)?,
            not_after: secs("notAfter", self.not_after)?,
            ca,
            serial: self.serial as u64,
        })
    }
}

fn spec(v: JsValue, ca: bool) -> Result<CertificateSpec, JsValue> {
    from_js::<SpecOptions>(v, "spec")?.spec(ca).map_err(js_error)
}

fn identity(secret_key: Option<Vec<u8>>, label: &str) -> Result<Identity, JsValue> {
    match secret_key {
        Some(sk) => {
            let sk: [u8; 32] = sk.try_into().map_err(|_| js_error(Error::invalid("secretKey", "must be 32 bytes")))?;
            Ok(Identity { signing: ed25519_dalek::SigningKey::from_bytes(&sk) })
        }
        None => Ok(Identity::from_seed(&Seed::from_entropy().map_err(js_error)?, label)),
    }
}

/// A certificate authority for tests and the playground (Ed25519, X.509 by rcgen).
#[wasm_bindgen]
pub struct TestCa(trust::TestCa);

#[wasm_bindgen]
impl TestCa {
    /// A root CA: `{ name, notBefore, notAfter, serial? }` (Unix seconds), with a fresh key or
    /// the 32-byte `secretKey` given.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "CertificateSpec")] spec_options: JsValue,
        secret_key: Option<Vec<u8>>,
    ) -> Result<TestCa, JsValue> {
        let id = identity(secret_key, "ca")?;
        trust::TestCa::root(id, &spec(spec_options, true)?).map(TestCa).map_err(js_error)
    }

    /// An intermediate CA this one certifies.
    pub fn intermediate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "CertificateSpec")] spec_options: JsValue,
        secret_key: Option<Vec<u8>>,
    ) -> Result<TestCa, JsValue> {
        let id = identity(secret_key, "intermediate")?;
        self.0.intermediate(id, &spec(spec_options, true)?).map(TestCa).map_err(js_error)
    }

    /// This CA's certificate (DER).
    #[wasm_bindgen(getter)]
    pub fn certificate(&self) -> Vec<u8> {
        self.0.certificate().to_vec()
    }

    /// This CA's secret key (whoever holds it can issue any name: the anchor's secret).
    #[wasm_bindgen(getter, js_name = secretKey)]
    pub fn secret_key(&self) -> Vec<u8> {
        self.0.identity().signing.to_bytes().to_vec()
    }

    /// A certificate (DER) for the 32-byte Ed25519 `publicKey`.
    pub fn issue(
        &self,
        public_key: &[u8],
        #[wasm_bindgen(unchecked_param_type = "CertificateSpec")] spec_options: JsValue,
    ) -> Result<Vec<u8>, JsValue> {
        let key = verifying_key("publicKey", public_key).map_err(js_error)?;
        self.0.issue(&key, &spec(spec_options, false)?).map_err(js_error)
    }
}

/// Verifies `chain` (the leaf first, then intermediates) to the trusted `root` certificate at
/// Unix time `now` (seconds), the leaf named `expectedName`, no certificate serial in `revoked`;
/// returns the leaf's 32-byte public key, or throws with a `cert_*` code.
#[wasm_bindgen(js_name = verifyCertificateChain)]
pub fn verify_certificate_chain(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] chain: Vec<Uint8Array>,
    root: &[u8],
    expected_name: &str,
    now: f64,
    revoked: Option<Vec<f64>>,
) -> Result<Vec<u8>, JsValue> {
    if !now.is_finite() {
        return Err(js_error(Error::invalid("now", "must be Unix seconds")));
    }
    let chain: Vec<Vec<u8>> = chain.iter().map(Uint8Array::to_vec).collect();
    let revoked: Vec<u64> = revoked.unwrap_or_default().into_iter().filter(|s| *s >= 0.0).map(|s| s as u64).collect();
    trust::verify_chain(&chain, root, expected_name, now as i64, &revoked)
        .map(|k| k.to_bytes().to_vec())
        .map_err(js_error)
}

/// What a certificate (DER) says, for display: `{ subject, issuer, serial, notBefore, notAfter,
/// ca, publicKey }`. Nothing is verified (see `verifyCertificateChain`); throws
/// `cert_malformed` on what it cannot read.
#[wasm_bindgen(js_name = describeCertificate, unchecked_return_type = "CertificateInfo")]
pub fn describe_certificate(der: &[u8]) -> Result<JsValue, JsValue> {
    trust::describe(der).map(|info| super::to_js(&info)).map_err(js_error)
}

/// The introducer's (32-byte `secretKey`) signature that `publicKey` is `name`'s (64 bytes).
#[wasm_bindgen]
pub fn vouch(secret_key: &[u8], name: &str, public_key: &[u8]) -> Result<Vec<u8>, JsValue> {
    let id = identity(Some(secret_key.to_vec()), "")?;
    let key = verifying_key("publicKey", public_key).map_err(js_error)?;
    Ok(trust::vouch(&id, name, &key).signature.to_bytes().to_vec())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WebOptions {
    name: String,
    #[serde(with = "serde_bytes")]
    public_key: Vec<u8>,
    vouches: Vec<VouchOptions>,
    introducers: Vec<IntroducerOptions>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VouchOptions {
    #[serde(with = "serde_bytes")]
    introducer: Vec<u8>,
    #[serde(with = "serde_bytes")]
    signature: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntroducerOptions {
    #[serde(with = "serde_bytes")]
    key: Vec<u8>,
    level: TrustLevel,
}

/// Whether the web of trust vouches for `publicKey` as `name`: one fully trusted introducer's
/// signature, or three marginally trusted ones' (GnuPG's defaults). Returns the key; throws
/// `wot_not_enough` with the counts otherwise.
#[wasm_bindgen(js_name = verifyWebOfTrust)]
pub fn verify_web_of_trust(
    #[wasm_bindgen(unchecked_param_type = "WebOfTrustOptions")] opts: JsValue,
) -> Result<Vec<u8>, JsValue> {
    let o: WebOptions = from_js(opts, "options")?;
    let key = verifying_key("publicKey", &o.public_key).map_err(js_error)?;
    let mut vouches = Vec::new();
    for v in &o.vouches {
        let introducer = verifying_key("vouches.introducer", &v.introducer).map_err(js_error)?;
        let Ok(signature) = ed25519_dalek::Signature::from_slice(&v.signature) else { continue };
        vouches.push(Vouch { introducer, signature });
    }
    let introducers = o
        .introducers
        .iter()
        .map(|i| verifying_key("introducers.key", &i.key).map(|k| (k, i.level)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(js_error)?;
    trust::verify_web(&o.name, &key, &vouches, &introducers).map(|()| key.to_bytes().to_vec()).map_err(js_error)
}
