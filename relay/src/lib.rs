//! The qkdlab relay: one process that serves the playground page and the built package, holds
//! WebSocket rooms (Alice, Bob, at most one Eve), forwards classical frames unchanged (through
//! Eve when she sits in the middle) and plays the optical fiber with the core crate's `Fiber`.
//! No tab ever receives a photon's bit and basis: photon frames stop at the fiber.

mod conn;
mod limits;
mod outbox;
mod room;

pub use limits::*;
pub use room::{Role, Rooms};

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

/// What the server shares between connections.
#[derive(Clone)]
pub struct AppState {
    /// The rooms.
    pub rooms: Arc<Rooms>,
    /// The byte budget every connection's send queue draws on.
    pub budget: outbox::Budget,
}

/// Where the static files live.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The page (`www/`), served at `/`.
    pub www: PathBuf,
    /// The built package (`pkg/`), served at `/pkg`.
    pub pkg: PathBuf,
}

/// The router: the page at `/`, the package at `/pkg`, WebSocket rooms at `/ws`.
pub fn app(paths: &Paths) -> Router {
    let state = AppState { rooms: Arc::new(Rooms::default()), budget: outbox::Budget::default() };
    Router::new()
        .route("/ws", get(ws))
        .route("/healthz", get(|| async { "ok" }))
        .nest_service("/pkg", ServeDir::new(&paths.pkg))
        .fallback_service(ServeDir::new(&paths.www))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn ws(upgrade: WebSocketUpgrade, State(state): State<AppState>) -> impl IntoResponse {
    upgrade
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| conn::run(socket, state))
}
