//! The accept loop: hyper's server with a header-read timeout (a client that dribbles its
//! request headers is closed), and every TCP connection counted against a cap below the
//! process's open-file limit, so slow or silent sockets cannot make the relay unreachable.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
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
/// The file limit the relay asks for at start: 10,000 rooms of Alice and Bob need 20,000
/// sockets.
pub const WANTED_FILES: u64 = 32_768;

/// The accept loop's limits.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// Time a client has to send its request headers.
    pub header_read: Duration,
    /// Most TCP connections at once (HTTP and WebSocket); more are closed at accept.
    pub max_sockets: usize,
}

impl ServeLimits {
    /// Raises the open-file limit towards [`WANTED_FILES`] (up to the hard limit; a privileged
    /// process may raise that too) and sizes the socket cap below what it got.
    pub fn from_file_limit() -> Self {
        let limit = raise_file_limit();
        let max_sockets = usize::try_from(limit.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
        Self { header_read: Duration::from_secs(10), max_sockets: max_sockets.min(MAX_SOCKETS_CEILING) }
    }
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self { header_read: Duration::from_secs(10), max_sockets: 900 }
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
        if sockets.load(Ordering::Relaxed) >= limits.max_sockets {
            drop(stream);
            continue;
        }
        let guard = SocketGuard::new(&sockets);
        let app = app.clone();
        let builder = builder.clone();
        tokio::spawn(async move {
            let _guard = guard;
            let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                app.clone().oneshot(req.map(Body::new))
            });
            if let Err(e) = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
}

/// Counts a socket while it is open.
struct SocketGuard(Arc<AtomicUsize>);

impl SocketGuard {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(count.clone())
    }
}

impl Drop for SocketGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
