//! The package's options, defined once: serde types named as the TypeScript declarations name
//! them (camelCase), refusing unknown fields (a typo would otherwise silently take a default),
//! and their conversion into the core's configuration with typed errors. The wasm layer only
//! deserializes into these.

use serde::Deserialize;

use crate::auth::Credential;
use crate::error::Error;
use crate::keystore::KeyStoreConfig;
use crate::link::{LinkConfig, LinkSettings, PoolMac};
use crate::party::{Config, MAX_PULSES};
use crate::quantum::{Attack, Basis, ChannelModel, ChannelSpec, EveBasis, InterceptResend, SourceConfig, WeakCoherent};
use crate::rng::Seed;
use crate::session::{SINGLE_LINK, SessionConfig};

/// Options of `simulate`, `Session`, `runLink`, the parties, the fiber and a link endpoint:
/// each reads the fields it needs.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Options {
    /// Pulses to send.
    pub pulses: Option<f64>,
    /// Pulses per photon batch.
    pub batch_size: Option<f64>,
    /// Fraction of sifted bits sampled.
    pub sample_fraction: Option<f64>,
    /// QBER above which a round aborts.
    pub qber_threshold: Option<f64>,
    /// Secrecy parameter.
    pub eps_sec: Option<f64>,
    /// Correctness parameter.
    pub eps_cor: Option<f64>,
    /// How the keys are reconciled: "cascade" (default) or "ldpc".
    pub reconciliation: Option<crate::reconciliation::Method>,
    /// Which classical frames carry a tag: "transcript" (default) or "per-frame".
    pub tags: Option<crate::auth::TagMode>,
    /// Replay seed (single-process runs only).
    pub seed: Option<String>,
    /// The link id (the relay's room id).
    pub link: Option<String>,
    /// A link endpoint's role: "alice" or "bob".
    pub role: Option<String>,
    /// Rounds of `runLink`.
    pub rounds: Option<f64>,
    /// Authentication after the bootstrap: "hmac" or "wegman-carter".
    pub after_bootstrap: Option<String>,
    /// Pool size each direction is refilled to, in bits.
    pub pool_target_bits: Option<f64>,
    /// Wegman-Carter pad bits per direction per round.
    pub pad_budget_bits: Option<f64>,
    /// The channel model.
    #[serde(default)]
    pub channel: ChannelSpec,
    /// Alice's source.
    pub source: Option<SourceOptions>,
    /// An eavesdropper on the fiber.
    pub eve: Option<EveOptions>,
    /// The classical channel's credential.
    pub auth: Option<AuthOptions>,
    /// A key exchange's method: "x25519", "ml-kem-768", "hybrid" or "toy-dh".
    pub method: Option<String>,
}

/// An eavesdropper on the fiber.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EveOptions {
    /// "intercept-resend" (default), "pns" (photon-number splitting) or "blinding".
    pub attack: Option<String>,
    /// Fraction of pulses Eve measures (intercept-resend; required there).
    pub intercept_fraction: Option<f64>,
    /// "random" (default), "rectilinear" or "diagonal" (intercept-resend).
    pub basis: Option<String>,
}

/// Alice's source; every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceOptions {
    /// "single-photon" (default) or "weak-coherent".
    pub kind: Option<String>,
    /// Signal mean photon number (weak-coherent).
    pub signal: Option<f64>,
    /// Weak decoy mean photon number.
    pub decoy: Option<f64>,
    /// Vacuum decoy mean photon number (0 for a true vacuum).
    pub vacuum: Option<f64>,
    /// Probability of the signal intensity.
    pub p_signal: Option<f64>,
    /// Probability of the weak decoy.
    pub p_decoy: Option<f64>,
    /// Probability of the vacuum decoy.
    pub p_vacuum: Option<f64>,
    /// `false`: signal pulses only (no decoy states).
    pub decoys: Option<bool>,
    /// Probability of the key (rectilinear) basis, for both parties.
    pub p_key_basis: Option<f64>,
}

impl SourceOptions {
    /// The source, defaults filled in and validated.
    pub fn config(&self) -> Result<SourceConfig, Error> {
        let weak = match self.kind.as_deref() {
            None | Some("single-photon") => false,
            Some("weak-coherent") => true,
            Some(other) => {
                return Err(Error::invalid(
                    "source.kind",
                    format!("must be single-photon or weak-coherent, got {other:?}"),
                ));
            }
        };
        if !weak {
            let laser =
                [self.signal, self.decoy, self.vacuum, self.p_signal, self.p_decoy, self.p_vacuum, self.p_key_basis];
            if laser.iter().any(Option::is_some) || self.decoys.is_some() {
                return Err(Error::invalid(
                    "source.kind",
                    "intensities and probabilities need kind: \"weak-coherent\"",
                ));
            }
            return Ok(SourceConfig::SinglePhoton);
        }
        let d = WeakCoherent::default();
        let default_p = if self.decoys == Some(false) { [1.0, 0.0, 0.0] } else { d.probabilities };
        let w = WeakCoherent {
            intensities: [
                self.signal.unwrap_or(d.intensities[0]),
                self.decoy.unwrap_or(d.intensities[1]),
                self.vacuum.unwrap_or(d.intensities[2]),
            ],
            probabilities: [
                self.p_signal.unwrap_or(default_p[0]),
                self.p_decoy.unwrap_or(default_p[1]),
                self.p_vacuum.unwrap_or(default_p[2]),
            ],
            key_basis_probability: self.p_key_basis.unwrap_or(d.key_basis_probability),
        };
        if self.decoys == Some(false) && w.has_decoys() {
            return Err(Error::invalid("source.decoys", "is false but pDecoy > 0"));
        }
        w.validate()?;
        Ok(SourceConfig::WeakCoherent(w))
    }
}

/// How the classical channel is authenticated; `mode` names the fields it needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthOptions {
    /// "psk", "pki" or "pool-hmac".
    pub mode: String,
    /// The pre-shared key (psk).
    #[serde(default, with = "serde_bytes")]
    pub psk: Option<Vec<u8>>,
    /// This side's Ed25519 secret key (pki).
    #[serde(default, with = "serde_bytes")]
    pub secret_key: Option<Vec<u8>>,
    /// The peer's pinned public key (pki).
    #[serde(default, with = "serde_bytes")]
    pub peer_public_key: Option<Vec<u8>>,
    /// Pool key for Alice's frames (pool-hmac).
    #[serde(default, with = "serde_bytes")]
    pub alice_to_bob: Option<Vec<u8>>,
    /// Pool key for Bob's frames (pool-hmac).
    #[serde(default, with = "serde_bytes")]
    pub bob_to_alice: Option<Vec<u8>>,
}

/// An ETSI GS QKD 014 key store's description; every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyStoreOptions {
    /// This KME's id.
    pub source_kme_id: Option<String>,
    /// The peer KME's id.
    pub target_kme_id: Option<String>,
    /// The SAE that requests keys.
    pub master_sae_id: Option<String>,
    /// The SAE that fetches them by id.
    pub slave_sae_id: Option<String>,
    /// Bits per key.
    pub key_size: Option<f64>,
    /// Most keys held.
    pub max_key_count: Option<f64>,
    /// Most keys per request.
    pub max_key_per_request: Option<f64>,
}

/// Options of `keyRate` / `maxDistance` (the analytic model, [`crate::keyrate`]).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyRateOptions {
    /// "single-photon", "gllp", "decoy-infinite" or "decoy-vacuum-weak".
    pub model: crate::keyrate::Model,
    /// Fiber length in km (default 0).
    pub length_km: Option<f64>,
    /// Attenuation in dB/km (default 0.2).
    pub attenuation_db_per_km: Option<f64>,
    /// Bob's total efficiency, optics and detector (default 0.2).
    pub detector_efficiency: Option<f64>,
    /// Dark counts per gate, `Y0` (default 1e-6).
    pub dark_count_prob: Option<f64>,
    /// Misalignment error (default 0.01).
    pub error_rate: Option<f64>,
    /// Error-correction inefficiency (default 1.16).
    pub f: Option<f64>,
    /// Signal intensity: a number or "optimal" (default).
    pub mu: Option<MuOption>,
    /// Weak decoy intensity (default 0.1).
    pub nu: Option<f64>,
}

/// A signal intensity: a number, or the word "optimal".
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum MuOption {
    /// A fixed mean photon number.
    Fixed(f64),
    /// "optimal".
    Word(String),
}

impl KeyRateOptions {
    /// The model's parameters, defaults filled in and validated.
    pub fn params(&self) -> Result<crate::keyrate::KeyRateParams, Error> {
        use crate::keyrate::{KeyRateParams, Mu};
        let mu = match &self.mu {
            None => Mu::Optimal,
            Some(MuOption::Fixed(v)) => Mu::Fixed(*v),
            Some(MuOption::Word(w)) if w == "optimal" => Mu::Optimal,
            Some(MuOption::Word(w)) => {
                return Err(Error::invalid("mu", format!("must be a number or \"optimal\", got {w:?}")));
            }
        };
        let p = KeyRateParams {
            model: self.model,
            length_km: self.length_km.unwrap_or(0.0),
            attenuation_db_per_km: self.attenuation_db_per_km.unwrap_or(0.2),
            detector_efficiency: self.detector_efficiency.unwrap_or(0.2),
            dark_count_prob: self.dark_count_prob.unwrap_or(1e-6),
            error_rate: self.error_rate.unwrap_or(0.01),
            f: self.f.unwrap_or(1.16),
            mu,
            nu: self.nu.unwrap_or(0.1),
        };
        p.validate()?;
        Ok(p)
    }
}

/// Every default, in the options' shape: what a form shows before the user changes it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Defaults {
    /// The protocol parameters.
    #[serde(flatten)]
    pub protocol: Config,
    /// The channel model.
    pub channel: ChannelModel,
}

/// A whole number in `1..=max` (JS numbers are doubles), or `field`'s typed error.
pub fn integer(field: &'static str, v: f64, max: f64) -> Result<u64, Error> {
    if v.is_finite() && v.fract() == 0.0 && v >= 1.0 && v <= max {
        Ok(v as u64)
    } else {
        Err(Error::invalid(field, format!("must be an integer in 1..={max}, got {v}")))
    }
}

fn int_or(field: &'static str, v: Option<f64>, default: usize, max: f64) -> Result<usize, Error> {
    v.map_or(Ok(default), |v| integer(field, v, max).map(|x| x as usize))
}

impl Options {
    /// The protocol parameters Alice announces; `pulses` is required.
    pub fn protocol(&self) -> Result<Config, Error> {
        let d = Config::default();
        let pulses = self.pulses.ok_or_else(|| Error::invalid("pulses", "is required"))?;
        let c = Config {
            pulses: integer("pulses", pulses, MAX_PULSES as f64)?,
            batch_size: int_or("batchSize", self.batch_size, d.batch_size as usize, f64::from(1u32 << 24))? as u32,
            sample_fraction: self.sample_fraction.unwrap_or(d.sample_fraction),
            qber_threshold: self.qber_threshold.unwrap_or(d.qber_threshold),
            eps_sec: self.eps_sec.unwrap_or(d.eps_sec),
            eps_cor: self.eps_cor.unwrap_or(d.eps_cor),
            tags: self.tags.unwrap_or(d.tags),
            reconciliation: self.reconciliation.unwrap_or(d.reconciliation),
            source: self.source.as_ref().map_or(Ok(d.source), SourceOptions::config)?,
        };
        c.validate()?;
        Ok(c)
    }

    /// The channel model, defaults filled in.
    pub fn channel(&self) -> Result<ChannelModel, Error> {
        self.channel.model()
    }

    /// The eavesdropper on the fiber, if any.
    pub fn eve(&self) -> Result<Option<Attack>, Error> {
        let Some(e) = &self.eve else { return Ok(None) };
        match e.attack.as_deref() {
            None | Some("intercept-resend") => {}
            Some(other @ ("pns" | "blinding")) => {
                if e.intercept_fraction.is_some() || e.basis.is_some() {
                    return Err(Error::invalid(
                        "eve.interceptFraction",
                        format!("belongs to intercept-resend, not {other}"),
                    ));
                }
                return Ok(Some(if other == "pns" { Attack::PhotonNumberSplitting } else { Attack::Blinding }));
            }
            Some(other) => {
                let why = format!("must be intercept-resend, pns or blinding, got {other:?}");
                return Err(Error::invalid("eve.attack", why));
            }
        }
        let fraction = e
            .intercept_fraction
            .ok_or_else(|| Error::invalid("eve.interceptFraction", "is required for intercept-resend"))?;
        let basis = match e.basis.as_deref() {
            None | Some("random") => EveBasis::Random,
            Some("rectilinear") => EveBasis::Fixed(Basis::Rectilinear),
            Some("diagonal") => EveBasis::Fixed(Basis::Diagonal),
            Some(other) => {
                let why = format!("must be random, rectilinear or diagonal, got {other:?}");
                return Err(Error::invalid("eve.basis", why));
            }
        };
        let eve = InterceptResend { fraction, basis };
        eve.validate()?;
        Ok(Some(eve.into()))
    }

    fn auth(&self) -> Result<&AuthOptions, Error> {
        self.auth.as_ref().ok_or_else(|| {
            Error::invalid(
                "auth",
                "is required: QKD needs an authenticated classical channel, so there is no safe default \
                 (pass { mode: \"psk\", psk: 32 bytes } or { mode: \"pki\" })",
            )
        })
    }

    /// A party's own credential: a PSK, or (PKI) its secret key and the peer's pinned public
    /// key, or two pool keys.
    pub fn credential(&self) -> Result<Credential, Error> {
        let auth = self.auth()?;
        let bytes = |v: &Option<Vec<u8>>| v.clone().unwrap_or_default();
        match auth.mode.as_str() {
            "psk" => Credential::psk(&bytes(&auth.psk)),
            "pki" => Credential::pki(&bytes(&auth.secret_key), &bytes(&auth.peer_public_key)),
            "pool-hmac" => {
                let key = |field, v: &Option<Vec<u8>>| -> Result<[u8; 32], Error> {
                    bytes(v).try_into().map_err(|_| Error::invalid(field, "must be 32 bytes taken from the key pool"))
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

    /// The key-exchange method (required).
    pub fn kex_method(&self) -> Result<crate::kex::Method, Error> {
        let name = self.method.as_deref().ok_or_else(|| {
            Error::invalid("method", "is required (\"x25519\", \"ml-kem-768\", \"hybrid\" or \"toy-dh\")")
        })?;
        crate::kex::Method::parse("method", name)
    }

    /// OS randomness, refusing a seed: for parties that run apart (over any transport), whose
    /// random choices must be secret.
    pub fn entropy_only(&self) -> Result<Seed, Error> {
        if self.seed.is_some() {
            return Err(Error::invalid(
                "seed",
                "Alice and Bob over a transport draw every random choice from the OS; seeds replay \
                 single-process runs (simulate, Session) and are not for keys",
            ));
        }
        Seed::from_entropy()
    }

    /// The replay seed, or OS randomness without one.
    pub fn seed(&self) -> Result<Seed, Error> {
        match &self.seed {
            Some(s) => Ok(Seed::from_text(s)),
            None => Seed::from_entropy(),
        }
    }

    /// The link id (the relay's room id) every tag covers: a lone session's without one.
    pub fn link_id(&self) -> Result<String, Error> {
        match &self.link {
            Some(l) if l.is_empty() || l.len() > 256 => Err(Error::invalid("link", "must be 1 to 256 bytes")),
            Some(l) => Ok(l.clone()),
            None => Ok(SINGLE_LINK.into()),
        }
    }

    /// An in-memory session and Bob's credential (Alice's is the session's): the same PSK, or
    /// (PKI) two identities drawn from the seed, each pinning the other.
    pub fn session(&self) -> Result<(SessionConfig, Credential), Error> {
        let seed = self.seed()?;
        let (alice, bob) = if self.auth()?.mode == "pki" {
            Credential::pki_pair(&seed)
        } else {
            let c = self.credential()?;
            (c.clone(), c)
        };
        let config = SessionConfig {
            protocol: self.protocol()?,
            channel: self.channel()?,
            eve: self.eve()?,
            credential: alice,
            seed,
        };
        Ok((config, bob))
    }

    /// A link endpoint's settings.
    pub fn link_settings(&self) -> Result<LinkSettings, Error> {
        let d = LinkSettings::default();
        let after_bootstrap = match self.after_bootstrap.as_deref() {
            None | Some("hmac") => PoolMac::Hmac,
            Some("wegman-carter") => PoolMac::WegmanCarter,
            Some(x) => {
                let why = format!("must be \"hmac\" or \"wegman-carter\", got {x:?}");
                return Err(Error::invalid("afterBootstrap", why));
            }
        };
        Ok(LinkSettings {
            after_bootstrap,
            pool_target_bits: int_or("poolTargetBits", self.pool_target_bits, d.pool_target_bits, 1e9)?,
            pad_budget_bits: int_or("padBudgetBits", self.pad_budget_bits, d.pad_budget_bits, 1e9)?,
            store: d.store,
        })
    }

    /// An in-memory link of `rounds` rounds (default 3).
    pub fn link_config(&self) -> Result<LinkConfig, Error> {
        let (round, bob_bootstrap) = self.session()?;
        let s = self.link_settings()?;
        Ok(LinkConfig {
            round,
            bob_bootstrap,
            after_bootstrap: s.after_bootstrap,
            rounds: int_or("rounds", self.rounds, 3, 1000.0)?,
            pool_target_bits: s.pool_target_bits,
            pad_budget_bits: s.pad_budget_bits,
            store: s.store,
        })
    }
}

impl KeyStoreOptions {
    /// The store's description, defaults filled in.
    pub fn config(&self) -> Result<KeyStoreConfig, Error> {
        let d = KeyStoreConfig::default();
        let text = |v: &Option<String>, default: String| v.clone().unwrap_or(default);
        Ok(KeyStoreConfig {
            source_kme_id: text(&self.source_kme_id, d.source_kme_id),
            target_kme_id: text(&self.target_kme_id, d.target_kme_id),
            master_sae_id: text(&self.master_sae_id, d.master_sae_id),
            slave_sae_id: text(&self.slave_sae_id, d.slave_sae_id),
            key_size: int_or("keySize", self.key_size, d.key_size, 1e9)?,
            max_key_count: int_or("maxKeyCount", self.max_key_count, d.max_key_count, 1e9)?,
            max_key_per_request: int_or("maxKeyPerRequest", self.max_key_per_request, d.max_key_per_request, 1e9)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Options, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn unknown_fields_are_refused_at_every_level() {
        for bad in [
            r#"{"pulsez": 10}"#,
            r#"{"pulses": 10, "channel": {"errorrate": 0.01}}"#,
            r#"{"pulses": 10, "eve": {"interceptFraction": 0.5, "bases": "random"}}"#,
            r#"{"pulses": 10, "auth": {"mode": "psk", "pks": [1]}}"#,
        ] {
            let e = parse(bad).expect_err(bad).to_string();
            assert!(e.contains("unknown field"), "{bad}: {e}");
        }
        let o = parse(r#"{"pulses": 10, "channel": {"errorRate": 0.03}, "auth": {"mode": "psk", "psk": []}}"#)
            .expect("known fields");
        assert_eq!(o.channel().expect("valid").error_rate, 0.03);
    }

    #[test]
    fn values_are_checked_with_their_field_names() {
        let field = |json: &str, f: fn(&Options) -> Result<(), Error>| match f(&parse(json).expect("parses")) {
            Err(Error::InvalidParameter { field, .. }) => field,
            other => panic!("{json}: {other:?}"),
        };
        assert_eq!(field(r#"{"pulses": 1.5}"#, |o| o.protocol().map(drop)), "pulses");
        assert_eq!(field(r#"{}"#, |o| o.protocol().map(drop)), "pulses");
        assert_eq!(field(r#"{"eve": {"interceptFraction": 1, "basis": "x"}}"#, |o| o.eve().map(drop)), "eve.basis");
        assert_eq!(field(r#"{"afterBootstrap": "wc"}"#, |o| o.link_settings().map(drop)), "afterBootstrap");
        assert_eq!(field(r#"{"link": ""}"#, |o| o.link_id().map(drop)), "link");
        assert_eq!(field(r#"{"seed": "x"}"#, |o| o.entropy_only().map(drop)), "seed");
        assert_eq!(field(r#"{"auth": {"mode": "pool-hmac"}}"#, |o| o.credential().map(drop)), "auth.aliceToBob");
        assert_eq!(field(r#"{"auth": {"mode": "rsa"}}"#, |o| o.credential().map(drop)), "auth.mode");
        let store: KeyStoreOptions = serde_json::from_str(r#"{"keySize": 0}"#).expect("parses");
        assert!(matches!(store.config(), Err(Error::InvalidParameter { field: "keySize", .. })));
    }

    #[test]
    fn a_pki_session_pins_each_sides_key_on_the_other() {
        let (config, bob) =
            parse(r#"{"pulses": 64, "seed": "s", "auth": {"mode": "pki"}}"#).expect("parses").session().expect("valid");
        let (Credential::Pki { own: a, peer: pa }, Credential::Pki { own: b, peer: pb }) = (&config.credential, &bob)
        else {
            panic!("pki credentials");
        };
        assert_eq!((a.public(), b.public()), (*pb, *pa));
    }
}
