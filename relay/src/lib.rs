//! The qkdlab relay: one process that serves the playground page and the built package, holds
//! WebSocket rooms (Alice, Bob, at most one Eve), forwards classical frames unchanged (through
//! Eve when she sits in the middle) and plays the optical fiber with the core crate's `Fiber`.
//! No tab ever receives a photon's bit and basis: photon frames stop at the fiber.

mod admission;
mod conn;
mod limits;
mod metrics;
mod outbox;
mod room;
mod serve;

pub use limits::*;
pub use room::{Role, Rooms};
pub use serve::{MAX_SOCKETS_CEILING, ServeLimits, WANTED_FILES};

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The page's Content-Security-Policy: scripts, styles and connections from this origin only
/// (WebAssembly compiled by the page's own module), no inline script, never framed, and no
/// form ever submitted by the browser itself (the page handles every form; a native submit of
/// the setup form would put the pre-shared key in a URL).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// What the server shares between connections.
#[derive(Clone)]
pub struct AppState {
    /// The rooms.
    pub rooms: Arc<Rooms>,
    /// The byte budget every connection's send queue draws on.
    pub budget: outbox::Budget,
    /// The timeouts.
    pub timeouts: Timeouts,
    /// What `/metrics` reports.
    pub metrics: Arc<metrics::Metrics>,
    /// Connection counts per address and in all.
    pub admission: admission::Admission,
    /// Open TCP connections (counted by the accept loop).
    pub sockets: Arc<AtomicUsize>,
}

/// A relay's settings: its timeouts and the accept loop's limits (the WebSocket cap is the
/// socket cap less [`HTTP_HEADROOM`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Settings {
    /// Idle, join and room-start timeouts.
    pub timeouts: Timeouts,
    /// Header-read timeout and socket cap.
    pub serve: ServeLimits,
}

/// Serves the relay on `listener` until `shutdown` resolves.
pub async fn run(
    listener: tokio::net::TcpListener,
    paths: &Paths,
    settings: Settings,
    shutdown: impl Future<Output = ()>,
) {
    let sockets = Arc::new(AtomicUsize::new(0));
    let app = router(paths, settings, sockets.clone());
    serve::serve(listener, app, settings.serve, sockets, shutdown).await;
}

/// Where the static files live.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The page (`www/`), served at `/`.
    pub www: PathBuf,
    /// The built package (`pkg/`), served at `/pkg`.
    pub pkg: PathBuf,
}

/// The router: the page at `/`, the package at `/pkg`, WebSocket rooms at `/ws`, `/healthz`
/// and `/metrics`. [`run`] serves it; handlers need `ConnectInfo<SocketAddr>` (admission
/// counts addresses).
pub fn router(paths: &Paths, settings: Settings, sockets: Arc<AtomicUsize>) -> Router {
    let rooms = Rooms::default();
    let metrics = Arc::new(metrics::Metrics::new(rooms.busy_rounds()));
    let state = AppState {
        rooms: Arc::new(rooms),
        budget: outbox::Budget::default(),
        timeouts: settings.timeouts,
        metrics,
        admission: admission::Admission::new(settings.serve.max_sockets.saturating_sub(HTTP_HEADROOM)),
        sockets,
    };
    Router::new()
        .route("/ws", get(ws))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics_text))
        .nest_service("/pkg", ServeDir::new(&paths.pkg))
        .fallback_service(ServeDir::new(&paths.www))
        .layer(CompressionLayer::new())
        .layer(header_layer(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::REFERRER_POLICY, "no-referrer"))
        .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
        // The files keep their names across builds (no content hash), so a browser revalidates
        // each load (Last-Modified, If-Modified-Since: 304) instead of running a stale module
        // against a newer relay.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    let body = state.metrics.render(metrics::Now {
        rooms: state.rooms.len(),
        queued: state.budget.queued(),
        sockets: state.sockets.load(Ordering::Relaxed),
        pending_pulses: state.rooms.pending_pulses(),
    });
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body).into_response()
}

fn header_layer(name: header::HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

/// Whether a browser's WebSocket comes from a page this relay served: its `Origin` names the
/// `Host` it connects to. Clients that send no `Origin` (not browsers) are let in.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let (Ok(origin), Some(Ok(host))) = (origin.to_str(), headers.get(header::HOST).map(HeaderValue::to_str)) else {
        return false;
    };
    origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
}

async fn ws(
    upgrade: WebSocketUpgrade,
    headers: HeaderMap,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    hold: Option<axum::Extension<serve::SocketHold>>,
    State(state): State<AppState>,
) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "WebSocket from another origin").into_response();
    }
    if state.admission.guessing(peer.ip()) {
        return (StatusCode::TOO_MANY_REQUESTS, "too many failed joins from this address; wait a minute")
            .into_response();
    }
    let admitted = match state.admission.admit(peer.ip()) {
        Ok(a) => a,
        Err(reason) => {
            state.metrics.refused(&reason);
            return (StatusCode::SERVICE_UNAVAILABLE, reason).into_response();
        }
    };
    upgrade
        // Small buffers: an idle member costs little (they grow for large frames).
        .read_buffer_size(16 << 10)
        .write_buffer_size(16 << 10)
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| async move {
            conn::run(socket, state, peer.ip(), admitted).await;
            drop(hold);
        })
        .into_response()
}
