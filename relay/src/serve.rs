//! The accept loop: hyper's server with a header-read timeout (a client that dribbles its
//! request headers is closed), and every TCP connection counted against a cap below the
//! process's open-file limit, so slow or silent sockets cannot make the relay unreachable.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// File descriptors kept free for the listener, static files and logs.
pub const RESERVED_FILES: u64 = 256;
/// The most sockets the relay holds, whatever the file limit (its memory budget assumes it).
pub const MAX_SOCKETS_CEILING: usize = 24_000;
/// Most TCP connections from one address (its WebSockets, capped lower by admission, and its
/// page loads).
pub const MAX_SOCKETS_PER_ADDRESS: usize = 128;
/// Longest an HTTP connection may last before it is upgraded to a WebSocket (or closed): a
/// client that never sends a byte, or never reads a response, holds its socket this long at
/// most.
pub const HTTP_CONNECTION_TIMEOUT: Duration = Duration::from_secs(120);

/// The file limit the relay asks for at start: 10,000 rooms of Alice and Bob need 20,000
/// sockets.
pub const WANTED_FILES: u64 = 32_768;

/// The accept loop's limits.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// Time a client has to send its request headers.
    pub header_read: Duration,
    /// Longest an HTTP connection lasts before its upgrade (by default `HTTP_CONNECTION_TIMEOUT`, 120 s).
    pub http_connection: Duration,
    /// Most TCP connections at once (HTTP and WebSocket); more are closed at accept.
    pub max_sockets: usize,
}

impl ServeLimits {
    /// Raises the open-file limit towards [`WANTED_FILES`] (up to the hard limit; a privileged
    /// process may raise that too) and sizes the socket cap below what it got.
    pub fn from_file_limit() -> Self {
        let limit = raise_file_limit();
        let max_sockets = usize::try_from(limit.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
        Self { max_sockets: max_sockets.min(MAX_SOCKETS_CEILING), ..Self::default() }
    }
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self { header_read: Duration::from_secs(10), http_connection: HTTP_CONNECTION_TIMEOUT, max_sockets: 900 }
    }
}

/// The open-file limit after asking for [`WANTED_FILES`].
fn raise_file_limit() -> u64 {
    use rlimit::Resource;
    let (soft, hard) = rlimit::getrlimit(Resource::NOFILE).unwrap_or((1024, 1024));
    if soft >= WANTED_FILES {
        return soft;
    }
    if hard < WANTED_FILES && rlimit::setrlimit(Resource::NOFILE, WANTED_FILES, WANTED_FILES).is_ok() {
        return WANTED_FILES;
    }
    rlimit::increase_nofile_limit(WANTED_FILES).unwrap_or(soft)
}

/// Serves `app` on `listener` until `shutdown` resolves. Handlers see the peer's address as
/// `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    sockets: Arc<AtomicUsize>,
    shutdown: impl Future<Output = ()>,
) {
    let per_address: PerAddress = Arc::default();
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of files or a connection reset before accept: wait a little and go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        let address = crate::admission::address_key(peer.ip());
        let Some(guard) = SocketGuard::new(&sockets, &per_address, address, limits.max_sockets) else {
            drop(stream);
            continue;
        };
        let guard = Arc::new(guard);
        let app = app.clone();
        let builder = builder.clone();
        tokio::spawn(async move {
            // A WebSocket keeps its socket counted: the request carries the guard into the
            // upgraded connection, which holds it until it ends.
            let held = guard.clone();
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                req.extensions_mut().insert(SocketHold(held.clone()));
                app.clone().oneshot(req.map(Body::new))
            });
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            match tokio::time::timeout(limits.http_connection, conn).await {
                Ok(Err(e)) => tracing::debug!(error = %e, "connection ended"),
                Err(_) => tracing::debug!("HTTP connection timed out"),
                Ok(Ok(())) => {}
            }
            drop(guard);
        });
    }
}

type PerAddress = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// Counts a socket while it is open, in all and for its address.
struct SocketGuard {
    all: Arc<AtomicUsize>,
    per_address: PerAddress,
    ip: IpAddr,
}

/// A request's hold on its socket's place: a WebSocket handler keeps it for the connection's
/// life.
#[derive(Clone)]
pub struct SocketHold(#[allow(dead_code)] Arc<SocketGuard>);

impl SocketGuard {
    /// A place for a socket from `ip`, unless the relay or the address is at its cap.
    fn new(all: &Arc<AtomicUsize>, per_address: &PerAddress, ip: IpAddr, max: usize) -> Option<Self> {
        let mut mine = per_address.lock().unwrap_or_else(|p| p.into_inner());
        let n = mine.entry(ip).or_default();
        if *n >= MAX_SOCKETS_PER_ADDRESS || all.load(Ordering::Relaxed) >= max {
            if *n == 0 {
                mine.remove(&ip);
            }
            return None;
        }
        *n += 1;
        all.fetch_add(1, Ordering::Relaxed);
        Some(Self { all: all.clone(), per_address: per_address.clone(), ip })
    }
}

impl Drop for SocketGuard {
    fn drop(&mut self) {
        self.all.fetch_sub(1, Ordering::Relaxed);
        let mut mine = self.per_address.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = mine.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                mine.remove(&self.ip);
            }
        }
    }
}
