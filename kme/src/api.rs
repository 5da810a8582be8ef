//! ETSI GS QKD 014 V1.1.1 over HTTPS: `status`, `enc_keys` and `dec_keys`, by GET and POST,
//! with the spec's JSON bodies and status codes (400 bad request, 401 unauthorized SAE, 503
//! no key material or a server-side failure). The caller is the SAE named by its client
//! certificate: only the master SAE of a key stream may ask for `status` and `enc_keys`, only
//! its slave SAE for `dec_keys`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use qkdlab::keystore::{EtsiError, KeyContainer, KeyStore};
use serde::Deserialize;
use serde_json::json;

use crate::link::Shared;
use crate::tls::Sae;

/// The router, over the KME's shared state.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/keys/{slave}/status", get(status))
        .route("/api/v1/keys/{slave}/enc_keys", get(enc_get).post(enc_post))
        .route("/api/v1/keys/{master}/dec_keys", get(dec_get).post(dec_post))
        .with_state(shared)
}

fn error(e: EtsiError) -> Response {
    let code = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, Json(e)).into_response()
}

fn etsi(status: u16, message: &str) -> EtsiError {
    EtsiError { status, message: message.into(), details: Vec::new() }
}

fn unauthorized(sae: &str, what: &str) -> EtsiError {
    EtsiError {
        status: 401,
        message: "Unauthorized".into(),
        details: vec![json!({ "message": format!("SAE {sae:?} may not {what}") })],
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The stream that starts at this site (`local`), if the caller is its master SAE and `slave`
/// its slave: an SAE's name alone does not open the other site's streams.
fn for_master_caller<'a>(
    stores: &'a mut [KeyStore; 2],
    local: usize,
    slave: &str,
    caller: &str,
) -> Result<&'a mut KeyStore, EtsiError> {
    let s = &mut stores[local];
    if s.config().slave_sae_id == slave && s.config().master_sae_id == caller {
        Ok(s)
    } else {
        Err(unauthorized(caller, &format!("ask this site for keys shared with {slave:?}")))
    }
}

/// The stream that ends at this site, if the caller is its slave SAE and `master` its master.
fn for_slave_caller<'a>(
    stores: &'a mut [KeyStore; 2],
    local: usize,
    master: &str,
    caller: &str,
) -> Result<&'a mut KeyStore, EtsiError> {
    let s = &mut stores[1 - local];
    if s.config().master_sae_id == master && s.config().slave_sae_id == caller {
        Ok(s)
    } else {
        Err(unauthorized(caller, &format!("fetch keys of {master:?} at this site")))
    }
}

async fn status(
    State(shared): State<Arc<Shared>>,
    Extension(Sae(caller)): Extension<Sae>,
    Path(slave): Path<String>,
) -> Response {
    let link = lock(&shared.link).clone();
    let mut store = lock(&shared.store);
    let r = for_master_caller(&mut store.stores, shared.local, &slave, &caller).and_then(|s| s.status(&slave));
    match r {
        Ok(st) => {
            let mut v = serde_json::to_value(st).unwrap_or_default();
            v["status_extension"] = json!({ "link": if link.up { "up" } else { "down" }, "qkdlab": link });
            Json(v).into_response()
        }
        Err(e) => error(e),
    }
}

/// `enc_keys` parameters (query string or JSON body).
#[derive(Deserialize, Default)]
struct EncRequest {
    number: Option<usize>,
    size: Option<usize>,
}

async fn enc_get(
    State(shared): State<Arc<Shared>>,
    Extension(Sae(caller)): Extension<Sae>,
    Path(slave): Path<String>,
    Query(q): Query<EncRequest>,
) -> Response {
    enc(&shared, &caller, &slave, q)
}

async fn enc_post(
    State(shared): State<Arc<Shared>>,
    Extension(Sae(caller)): Extension<Sae>,
    Path(slave): Path<String>,
    body: Bytes,
) -> Response {
    let q = if body.is_empty() { Ok(EncRequest::default()) } else { serde_json::from_slice(&body) };
    match q {
        Ok(q) => enc(&shared, &caller, &slave, q),
        Err(e) => {
            error(EtsiError { details: vec![json!({ "message": e.to_string() })], ..etsi(400, "Bad request format") })
        }
    }
}

/// Takes the keys and records the delivery on disk before they leave.
fn deliver(shared: &Shared, take: impl FnOnce(&mut [KeyStore; 2]) -> Result<KeyContainer, EtsiError>) -> Response {
    let mut store = lock(&shared.store);
    let keys = match take(&mut store.stores) {
        Ok(k) => k,
        Err(e) => return error(e),
    };
    let ids = keys.keys.iter().map(|k| k.key_ID.clone()).collect();
    if let Err(e) = store.delivered(ids) {
        // Removed from memory but not recorded: never served, and said so.
        eprintln!("[kme] the key store could not be written ({e}): {} keys withheld", keys.keys.len());
        return error(etsi(503, "Error of server side: the key store could not be written"));
    }
    Json(keys).into_response()
}

fn enc(shared: &Shared, caller: &str, slave: &str, q: EncRequest) -> Response {
    deliver(shared, |stores| for_master_caller(stores, shared.local, slave, caller)?.enc_keys(slave, q.number, q.size))
}

#[derive(Deserialize)]
struct DecQuery {
    #[serde(rename = "key_ID")]
    key_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecRequest {
    #[serde(rename = "key_IDs")]
    key_ids: Vec<KeyIdEntry>,
}

#[derive(Deserialize)]
struct KeyIdEntry {
    #[serde(rename = "key_ID")]
    key_id: String,
}

async fn dec_get(
    State(shared): State<Arc<Shared>>,
    Extension(Sae(caller)): Extension<Sae>,
    Path(master): Path<String>,
    Query(q): Query<DecQuery>,
) -> Response {
    match q.key_id {
        Some(id) => dec(&shared, &caller, &master, vec![id]),
        None => error(etsi(400, "Bad request format: key_ID is required")),
    }
}

async fn dec_post(
    State(shared): State<Arc<Shared>>,
    Extension(Sae(caller)): Extension<Sae>,
    Path(master): Path<String>,
    body: Bytes,
) -> Response {
    match serde_json::from_slice::<DecRequest>(&body) {
        Ok(r) => dec(&shared, &caller, &master, r.key_ids.into_iter().map(|k| k.key_id).collect()),
        Err(e) => {
            error(EtsiError { details: vec![json!({ "message": e.to_string() })], ..etsi(400, "Bad request format") })
        }
    }
}

fn dec(shared: &Shared, caller: &str, master: &str, ids: Vec<String>) -> Response {
    deliver(shared, |stores| for_slave_caller(stores, shared.local, master, caller)?.dec_keys(master, &ids))
}
