//! The continuous QKD link between the two sites' KMEs: the core's link endpoint over TCP inside
//! mutual TLS (the simulated photons cross this connection, so its secrecy is the keys').
//! Alice's site connects, names a fresh link id (every tag covers it, so a tampered one only
//! fails the rounds) and opens round after round while its store has room; Bob's site
//! accepts, holds the simulated fiber in front of its detectors, and answers. Committed keys
//! move to the site's store on disk. A dropped connection is redialled; each connection starts
//! a fresh link, bootstrapped with the pre-shared key.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use qkdlab::link::{Endpoint, Event, LinkSettings, Step};
use qkdlab::msgs::{self, Route};
use qkdlab::{ChannelModel, Config, Credential, Fiber, Seed};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite, ReadHalf, WriteHalf};
use tokio::net::TcpStream;

use crate::store::SiteStore;
use crate::wire;

/// What a KME's link does, for its `status` and its log.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LinkStatus {
    /// Whether the connection to the peer site is up.
    pub up: bool,
    /// Rounds committed since the KME started.
    pub rounds_ok: u64,
    /// Rounds that ended without a key.
    pub rounds_failed: u64,
    /// Key bits committed since the KME started.
    pub key_bits: u64,
    /// Keys of 256 bits committed per second since the KME started (both directions).
    pub keys_per_second: f64,
    /// The last failure, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Through a trusted node: its onward link to the far site, as it last reported ("up" or
    /// "down"; unauthenticated, for display).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onward: Option<String>,
}

/// Everything the link task and the HTTP handlers share.
pub struct Shared {
    /// The site's key store on disk.
    pub store: Mutex<SiteStore>,
    /// The link's state.
    pub link: Mutex<LinkStatus>,
    /// At the far end of a trusted-node path: the link's keys are one-time pads for relayed
    /// keys, kept here, and never served.
    pub pads: Option<Mutex<SiteStore>>,
    /// Messages to send on the link's connection besides its frames (relayed keys, path state).
    pub outbox: Mutex<Vec<(u8, Vec<u8>)>>,
    /// When the KME started.
    pub started: std::time::Instant,
    /// The store whose master SAE is at this site (`enc_keys`, `status`): 0 (A->B) at Alice's
    /// site, 1 (B->A) at Bob's. `dec_keys` serves the other one.
    pub local: usize,
}

impl Shared {
    /// A site's shared state around its store; `alice_site` says which direction starts here.
    pub fn new(store: SiteStore, pads: Option<SiteStore>, alice_site: bool) -> Self {
        Self {
            store: Mutex::new(store),
            link: Mutex::new(LinkStatus::default()),
            pads: pads.map(Mutex::new),
            outbox: Mutex::new(Vec::new()),
            started: std::time::Instant::now(),
            local: if alice_site { 0 } else { 1 },
        }
    }
}

/// The link's parameters.
#[derive(Clone)]
pub struct LinkParams {
    /// The pre-shared key that authenticates each connection's first round.
    pub psk: [u8; 32],
    /// Pulses per round.
    pub pulses: usize,
    /// The fiber (used at Bob's site).
    pub channel: ChannelModel,
    /// Alice's site opens no new round while its A->B store holds this many keys.
    pub max_keys: usize,
    /// Mutual TLS between the two KMEs: the simulated photons cross this connection (the fiber
    /// sits at Bob's site), so the link is only as secret as it. The dialling side's config
    /// (its certificate, the peer site's CA) and the accepting side's.
    pub tls: LinkTls,
}

/// The link's TLS configurations (one side needs only one of them).
#[derive(Clone)]
pub struct LinkTls {
    /// For dialling the peer KME.
    pub client: Option<Arc<rustls::ClientConfig>>,
    /// For accepting the peer KME.
    pub server: Option<Arc<rustls::ServerConfig>>,
}

/// The link endpoint's settings (the key stores' default SAE and KME ids).
pub fn settings() -> LinkSettings {
    LinkSettings::default()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn log(role: &str, text: &str) {
    eprintln!("[kme {role}] {text}");
}

/// The link came up: no error to show any more.
fn connected(shared: &Shared) {
    let mut s = lock(&shared.link);
    s.up = true;
    s.last_error = None;
}

/// Files a step's events: committed keys to the store, counts to the status.
fn events(role: &str, ep: &mut Endpoint, step_events: Vec<Event>, shared: &Shared) {
    for e in step_events {
        match e {
            Event::RoundEnded(o) if o.ok => {
                let moved = match &shared.pads {
                    Some(pads) => lock(pads).take_from(ep.stores_mut()),
                    None => lock(&shared.store).take_from(ep.stores_mut()),
                };
                let mut s = lock(&shared.link);
                s.rounds_ok += 1;
                s.key_bits += o.stored_bits as u64;
                s.keys_per_second = s.key_bits as f64 / 256.0 / shared.started.elapsed().as_secs_f64().max(1e-3);
                match moved {
                    Ok(n) => log(
                        role,
                        &format!(
                            "round {} committed: {n} keys stored ({:.1} keys/s since start)",
                            o.round, s.keys_per_second
                        ),
                    ),
                    Err(e) => s.last_error = Some(format!("the key store could not be written: {e}")),
                }
            }
            Event::RoundEnded(o) => {
                let why = o.error.map_or_else(|| "unknown".into(), |e| e.to_string());
                log(role, &format!("round {} ended without a key: {why}", o.round));
                let mut s = lock(&shared.link);
                s.rounds_failed += 1;
                s.last_error = Some(why);
            }
            Event::Refused(e) => log(role, &format!("refused a frame: {e}")),
        }
    }
}

async fn send_all<W: AsyncWrite + Unpin>(w: &mut W, frames: Vec<Vec<u8>>) -> std::io::Result<()> {
    for f in frames {
        wire::send(w, &f).await?;
    }
    Ok(())
}

/// Sends what waits in the outbox.
async fn flush_outbox<W: AsyncWrite + Unpin>(w: &mut W, shared: &Shared) -> std::io::Result<()> {
    let out = std::mem::take(&mut *lock(&shared.outbox));
    for (channel, msg) in out {
        wire::send_on(w, channel, &msg).await?;
    }
    Ok(())
}

/// A message on another channel than the link's frames: relayed keys (at the far end of a
/// trusted-node path) or the node's onward link state.
fn side_message(role: &str, channel: u8, msg: &[u8], shared: &Shared) {
    match (channel, &shared.pads) {
        (wire::RELAY, Some(pads)) => match crate::relay::receive(&mut lock(pads), &mut lock(&shared.store), msg) {
            Ok(n) => log(role, &format!("received {n} keys relayed by the trusted node")),
            Err(e) => log(role, &format!("refused relayed keys: {e}")),
        },
        (wire::PATH, _) => {
            let state = String::from_utf8_lossy(msg).chars().take(16).collect::<String>();
            lock(&shared.link).onward = Some(state);
        }
        _ => log(role, &format!("ignored a message on channel {channel}")),
    }
}

/// Alice's site: dials `peer` for ever, one link per connection.
pub async fn alice(peer: String, params: LinkParams, shared: Arc<Shared>) {
    loop {
        match dial(&peer, &params).await {
            Ok(stream) => {
                connected(&shared);
                log("alice", &format!("connected to the peer site at {peer} (mutual TLS)"));
                let end = alice_session(stream, &params, &shared).await;
                let mut s = lock(&shared.link);
                s.up = false;
                s.last_error = Some(format!("link down: {}", end.err().map_or("closed".into(), |e| e.to_string())));
            }
            Err(e) => {
                let mut st = lock(&shared.link);
                st.up = false;
                st.last_error = Some(format!("link down: cannot reach {peer}: {e}"));
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// TCP, then TLS with this KME's certificate, the peer's checked against its site's CA.
async fn dial(peer: &str, params: &LinkParams) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let config = params.tls.client.clone().ok_or_else(|| std::io::Error::other("no TLS configuration to dial with"))?;
    let stream = TcpStream::connect(peer).await?;
    // Cascade's round trips are small frames: no Nagle delay on them.
    stream.set_nodelay(true)?;
    let host = peer.rsplit_once(':').map_or(peer, |(h, _)| h).trim_matches(['[', ']']);
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).map_err(std::io::Error::other)?;
    let tls = tokio_rustls::TlsConnector::from(config).connect(name, stream);
    tokio::time::timeout(Duration::from_secs(10), tls)
        .await
        .map_err(|_| std::io::Error::other("TLS handshake timed out"))?
}

async fn alice_session<S: AsyncRead + AsyncWrite>(
    stream: S,
    params: &LinkParams,
    shared: &Shared,
) -> std::io::Result<()> {
    let (mut r, mut w): (ReadHalf<S>, WriteHalf<S>) = tokio::io::split(stream);
    let link_id: String = {
        let mut b = [0u8; 16];
        getrandom::fill(&mut b).map_err(std::io::Error::other)?;
        format!("kme link {}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
    };
    wire::send(&mut w, link_id.as_bytes()).await?;
    let credential = Credential::psk(&params.psk).map_err(std::io::Error::other)?;
    let seed = Seed::from_entropy().map_err(std::io::Error::other)?;
    let mut ep = Endpoint::new("alice", &link_id, settings(), credential, seed).map_err(std::io::Error::other)?;
    let mut idle = 0u32;
    loop {
        let room = lock(&shared.store).counts()[0] < params.max_keys;
        if ep.can_start() && !ep.is_running() && room {
            let protocol = Config { pulses: params.pulses as u64, ..Config::default() };
            match ep.start_round(protocol) {
                Ok(step) => {
                    events("alice", &mut ep, step.events, shared);
                    send_all(&mut w, step.frames).await?;
                }
                Err(e) => return Err(std::io::Error::other(format!("cannot start a round: {e}"))),
            }
        }
        flush_outbox(&mut w, shared).await?;
        match tokio::time::timeout(Duration::from_secs(1), wire::recv(&mut r)).await {
            Ok(msg) => {
                idle = 0;
                let (channel, frame) = msg?;
                if channel != wire::QKD {
                    side_message("alice", channel, &frame, shared);
                    continue;
                }
                let step = ep.handle(&frame);
                events("alice", &mut ep, step.events, shared);
                send_all(&mut w, step.frames).await?;
            }
            Err(_) => {
                idle += 1;
                if ep.is_running() && idle >= 30 {
                    let step = ep.abort_round("nothing arrived for 30 s");
                    events("alice", &mut ep, step.events, shared);
                }
                if idle >= 60 && !ep.is_running() && !ep.can_start() {
                    return Err(std::io::Error::other("nothing arrived for 60 s"));
                }
            }
        }
    }
}

/// Bob's site: accepts the peer's connections on `listener`, one link at a time.
pub async fn bob(listener: tokio::net::TcpListener, params: LinkParams, shared: Arc<Shared>) {
    loop {
        let Ok((stream, from)) = listener.accept().await else { continue };
        let Some(config) = params.tls.server.clone() else {
            log("bob", "no TLS configuration to accept the peer with");
            return;
        };
        let _ = stream.set_nodelay(true);
        let accepted =
            tokio::time::timeout(Duration::from_secs(10), tokio_rustls::TlsAcceptor::from(config).accept(stream)).await;
        let Ok(Ok(stream)) = accepted else {
            log("bob", &format!("refused a link connection from {from}: no valid peer certificate"));
            continue;
        };
        connected(&shared);
        log("bob", &format!("the peer site connected from {from} (mutual TLS)"));
        let end = bob_session(stream, &params, &shared).await;
        let mut s = lock(&shared.link);
        s.up = false;
        s.last_error = Some(format!("link down: {}", end.err().map_or("closed".into(), |e| e.to_string())));
    }
}

/// Where a frame at Bob's site goes next.
enum To {
    Endpoint(Vec<u8>),
    Fiber(Vec<u8>),
}

async fn bob_session<S: AsyncRead + AsyncWrite>(
    stream: S,
    params: &LinkParams,
    shared: &Shared,
) -> std::io::Result<()> {
    let (mut r, mut w): (ReadHalf<S>, WriteHalf<S>) = tokio::io::split(stream);
    // A connection that names no link soon is not the peer KME: it must not hold the port.
    let (_, id) = tokio::time::timeout(Duration::from_secs(10), wire::recv(&mut r))
        .await
        .map_err(|_| std::io::Error::other("no link id within 10 s"))??;
    if id.len() > 200 {
        return Err(std::io::Error::other("the link id is too long"));
    }
    let link_id = String::from_utf8(id).map_err(std::io::Error::other)?;
    let credential = Credential::psk(&params.psk).map_err(std::io::Error::other)?;
    let seed = Seed::from_entropy().map_err(std::io::Error::other)?;
    let mut ep = Endpoint::new("bob", &link_id, settings(), credential, seed).map_err(std::io::Error::other)?;
    let fiber_seed = Seed::from_entropy().map_err(std::io::Error::other)?;
    let mut fiber = Fiber::new(params.channel.clone(), None, &fiber_seed).map_err(std::io::Error::other)?;
    if let Some(ready) = ep.ready_frame() {
        wire::send(&mut w, &ready).await?;
    }
    let mut idle = 0u32;
    loop {
        flush_outbox(&mut w, shared).await?;
        let frame = match tokio::time::timeout(Duration::from_secs(1), wire::recv(&mut r)).await {
            Ok(msg) => {
                idle = 0;
                let (channel, frame) = msg?;
                if channel != wire::QKD {
                    side_message("bob", channel, &frame, shared);
                    continue;
                }
                frame
            }
            Err(_) => {
                idle += 1;
                if ep.is_running() && idle >= 30 {
                    let step = ep.abort_round("nothing arrived for 30 s");
                    events("bob", &mut ep, step.events, shared);
                }
                if idle >= 60 {
                    // A silent peer must not hold the only session: close it, accept again.
                    return Err(std::io::Error::other("nothing arrived for 60 s"));
                }
                continue;
            }
        };
        // Alice's photons pass the fiber; Bob's measurement settings too; what the fiber
        // returns, and every classical frame, goes to his endpoint.
        // A Hello opens a round: the fiber forgets the last round's batches (as the relay's does).
        if msgs::kind(&frame) == Ok(msgs::Kind::Hello) {
            fiber.reset();
        }
        let mut queue = VecDeque::new();
        queue.push_back(if msgs::route(&frame) == Ok(Route::Fiber) { To::Fiber(frame) } else { To::Endpoint(frame) });
        let mut out = Vec::new();
        while let Some(next) = queue.pop_front() {
            match next {
                To::Fiber(f) => match fiber.handle(&f) {
                    Ok(detections) => queue.extend(detections.into_iter().map(To::Endpoint)),
                    Err(e) => log("bob", &format!("the fiber refused a frame: {e}")),
                },
                To::Endpoint(f) => {
                    let Step { frames, events: ev } = ep.handle(&f);
                    events("bob", &mut ep, ev, shared);
                    for g in frames {
                        if msgs::route(&g) == Ok(Route::Fiber) {
                            queue.push_back(To::Fiber(g));
                        } else {
                            out.push(g);
                        }
                    }
                }
            }
        }
        send_all(&mut w, out).await?;
    }
}
