//! The session report as a plain JS object. The nested records (finite-key terms, disclosed
//! bits, authentication, stage times) serialize straight from the core's types.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::to_js;
use crate::amplification::FiniteKey;
use crate::bits::BitVec;
use crate::party::Config;
use crate::session::{AuthReport, Disclosed, Report, StageTime};

#[derive(Serialize)]
struct JsError {
    code: &'static str,
    message: String,
    party: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Cascade {
    first_block: usize,
    passes: usize,
    corrections: usize,
    round_trips: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsReport<'a> {
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
    disclosed: &'a Disclosed,
    auth_bits_used: u64,
    auth: &'a AuthReport,
    round_trips: usize,
    cascade: Cascade,
    #[serde(skip_serializing_if = "Option::is_none")]
    finite_key: Option<&'a FiniteKey>,
    eps_sec: f64,
    eps_cor: f64,
    stages: &'a [StageTime],
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<JsError>,
}

/// The report in the shape `Report` (TypeScript) declares.
pub(super) fn report_to_js(r: &Report, config: &Config) -> JsValue {
    let c = &r.cascade;
    to_js(&JsReport {
        ok: r.ok,
        qber: r.qber,
        qber_bound: r.finite_key.as_ref().map_or(r.qber, |f| f.q_tol + f.mu),
        pulses: r.pulses,
        clicks: r.clicks,
        intercepted: r.intercepted,
        sifted_bits: r.sifted_bits,
        sample_bits: r.sample_bits,
        final_key_bits: r.final_key_bits,
        key_alice: r.key_alice.as_ref().map(BitVec::to_bytes),
        key_bob: r.key_bob.as_ref().map(BitVec::to_bytes),
        leaked_bits: r.disclosed.reconciliation + r.disclosed.verification,
        disclosed: &r.disclosed,
        auth_bits_used: r.auth.key_bits_used,
        auth: &r.auth,
        round_trips: r.round_trips,
        cascade: Cascade {
            first_block: c.cascade_first_block,
            passes: c.cascade_passes,
            corrections: c.cascade_corrections,
            round_trips: c.cascade_round_trips,
        },
        finite_key: r.finite_key.as_ref(),
        eps_sec: config.eps_sec,
        eps_cor: config.eps_cor,
        stages: &r.stages,
        error: r.error.as_ref().map(|e| JsError {
            code: e.code(),
            message: e.to_string(),
            party: r.failed_party.unwrap_or("driver"),
        }),
    })
}
