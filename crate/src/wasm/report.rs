//! The session report as a plain JS object.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::to_js;
use crate::amplification::FiniteKey;
use crate::bits::BitVec;
use crate::party::Config;
use crate::session::Report;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct JsFiniteKey {
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
        pub pad_bits_used: u64,
        pub epsilon: f64,
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

pub(super) fn report_to_js(r: &Report, config: &Config) -> JsValue {
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
            pad_bits_used: r.auth.pad_bits_used,
            epsilon: r.auth.epsilon,
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
