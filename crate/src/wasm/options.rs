//! Parsing JS options into the core's configuration, refusing unknown keys and bad values.

use js_sys::Reflect;
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use super::type_error;
use crate::Credential;
use crate::error::Error;
use crate::party::Config;
use crate::quantum::{Basis, ChannelModel, ChannelSpec, EveBasis, InterceptResend};
use crate::rng::Seed;
use crate::session::SessionConfig;

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
pub(super) struct Options {
    pulses: Option<f64>,
    batch_size: Option<f64>,
    sample_fraction: Option<f64>,
    qber_threshold: Option<f64>,
    eps_sec: Option<f64>,
    eps_cor: Option<f64>,
    seed: Option<String>,
    pub(super) link: Option<String>,
    pub(super) rounds: Option<f64>,
    pub(super) after_bootstrap: Option<String>,
    pub(super) pool_target_bits: Option<f64>,
    pub(super) pad_budget_bits: Option<f64>,
    #[serde(default)]
    channel: ChannelSpec,
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
    "link",
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

pub(super) fn parse(options: JsValue) -> Result<Options, JsValue> {
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

pub(super) fn integer(field: &'static str, v: f64, max: f64) -> Result<u64, Error> {
    if v.is_finite() && v.fract() == 0.0 && v >= 1.0 && v <= max {
        Ok(v as u64)
    } else {
        Err(Error::invalid(field, format!("must be an integer in 1..={max}, got {v}")))
    }
}

impl Options {
    pub(super) fn protocol(&self) -> Result<Config, Error> {
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

    pub(super) fn channel(&self) -> Result<ChannelModel, Error> {
        self.channel.model()
    }

    pub(super) fn eve(&self) -> Result<Option<InterceptResend>, Error> {
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
    pub(super) fn credential(&self) -> Result<Credential, Error> {
        let auth = self.auth.as_ref().ok_or_else(|| Error::invalid("auth", "is required ({ mode: \"psk\", psk })"))?;
        match auth.mode.as_str() {
            "psk" => Credential::psk(auth.psk.as_deref().unwrap_or_default()),
            "pki" => Credential::pki(
                auth.secret_key.as_deref().unwrap_or_default(),
                auth.peer_public_key.as_deref().unwrap_or_default(),
            ),
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
            return Ok(Credential::pki_pair(seed));
        }
        let c = self.credential()?;
        Ok((c.clone(), c))
    }

    /// OS randomness, refusing a seed: for parties that run apart (over any transport), whose
    /// random choices must be secret.
    pub(super) fn entropy_only(&self) -> Result<Seed, Error> {
        if self.seed.is_some() {
            return Err(Error::invalid(
                "seed",
                "Alice and Bob over a transport draw every random choice from the OS; seeds replay \
                 single-process runs (simulate, Session) and are not for keys",
            ));
        }
        Seed::from_entropy()
    }

    /// The link id (the relay's room id) every tag covers.
    pub(super) fn link_id(&self) -> Result<String, Error> {
        match &self.link {
            Some(l) if l.len() > 256 => Err(Error::invalid("link", "must be at most 256 bytes")),
            Some(l) => Ok(l.clone()),
            None => Ok(crate::session::SINGLE_LINK.into()),
        }
    }

    pub(super) fn seed(&self) -> Result<Seed, Error> {
        match &self.seed {
            Some(s) => Ok(Seed::from_text(s)),
            None => Seed::from_entropy(),
        }
    }

    /// The session and Bob's credential (Alice's is the session's).
    pub(super) fn session(&self) -> Result<(SessionConfig, Credential), Error> {
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
