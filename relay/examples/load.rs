//! Load client for the relay (`npm run load` starts a release relay and runs this against it).
//! Real WebSocket clients run the core's Alice and Bob through the relay's rooms and fiber, and
//! the relay's memory and CPU are read from /proc. Prints one table row per scenario:
//!
//! - `burst`: N rooms open at once, every session runs at once;
//! - `hold`: N rooms (Alice and Bob each) held open together, sessions run in all of them, C
//!   at a time;
//! - `faults`: N rooms' sessions at once while hostile clients press on the relay: readers that
//!   never read under a chat flood, sockets that dribble their headers, rooms held by pings;
//! - `latency`: the time from Start to key of one session at a time over a slow network (every
//!   client reaches the relay through a proxy that delays each direction by `--delay-ms`, so a
//!   message from Alice to Bob takes two hops), for each reconciliation and tag mode.
//!
//! `load --url ws://127.0.0.1:PORT/ws --pid PID [--scenario burst,hold,faults,latency|all]
//! [--rooms N] [--pulses N] [--concurrency C] [--delay-ms D]`. Figures, not a test: nothing here
//! asserts.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use qkdlab::msgs::Ready;
use qkdlab::party::RoundContext;
use qkdlab::rng::Seed;
use qkdlab::{Alice, Bob, Config, Credential};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

type Ws = WebSocketStream<TcpStream>;

#[derive(Clone)]
struct Args {
    url: String,
    addr: SocketAddr,
    pid: Option<u32>,
    scenarios: Vec<String>,
    rooms: Option<usize>,
    pulses: u64,
    concurrency: usize,
    delay_ms: u64,
    /// Where clients connect: the relay, or the delaying proxy in front of it.
    entry: SocketAddr,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        url: String::new(),
        addr: "127.0.0.1:8080".parse().map_err(|e| format!("{e}"))?,
        pid: None,
        scenarios: vec!["burst".into(), "faults".into(), "hold".into()],
        rooms: None,
        pulses: 20_000,
        concurrency: 256,
        delay_ms: 25,
        entry: "127.0.0.1:8080".parse().map_err(|e| format!("{e}"))?,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => a.url = v,
            "--pid" => a.pid = Some(v.parse().map_err(|_| "--pid: a number")?),
            "--scenario" if v == "all" => {}
            "--scenario" => a.scenarios = v.split(',').map(String::from).collect(),
            "--rooms" => a.rooms = Some(v.parse().map_err(|_| "--rooms: a number")?),
            "--pulses" => a.pulses = v.parse().map_err(|_| "--pulses: a number")?,
            "--concurrency" => a.concurrency = v.parse().map_err(|_| "--concurrency: a number")?,
            "--delay-ms" => a.delay_ms = v.parse().map_err(|_| "--delay-ms: a number")?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let host = a.url.trim_start_matches("ws://").split('/').next().unwrap_or_default();
    a.addr = host.parse().map_err(|e| format!("--url: {host}: {e}"))?;
    a.entry = a.addr;
    Ok(a)
}

/// Many clients: connection `i` comes from its own loopback address (60 per address, below the
/// relay's per-address cap), as a crowd of users would.
fn source(i: u64) -> Ipv4Addr {
    let n = i / 60;
    Ipv4Addr::new(127, 1 + (n / 64_516) as u8, ((n / 254) % 254) as u8 + 1, (n % 254) as u8 + 1)
}

static NEXT: AtomicU64 = AtomicU64::new(0);

async fn connect(a: &Args) -> Result<Ws, String> {
    let socket = TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
    socket
        .bind(SocketAddr::from((source(NEXT.fetch_add(1, Ordering::Relaxed)), 0)))
        .map_err(|e| format!("bind: {e}"))?;
    let stream = socket.connect(a.entry).await.map_err(|e| format!("connect: {e}"))?;
    let (ws, _) = tokio_tungstenite::client_async(a.url.as_str(), stream).await.map_err(|e| format!("upgrade: {e}"))?;
    Ok(ws)
}

/// Joins and waits for `joined`; a close on the way is the relay's refusal.
async fn join(a: &Args, join: Value) -> Result<(Ws, String), String> {
    let mut ws = connect(a).await?;
    ws.send(Message::text(join.to_string())).await.map_err(|e| format!("send: {e}"))?;
    loop {
        match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
            Err(_) => return Err("no answer to join".into()),
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: Value = serde_json::from_str(&t).map_err(|e| e.to_string())?;
                if v["type"] == "joined" {
                    return Ok((ws, v["room"].as_str().unwrap_or_default().to_string()));
                }
            }
            Ok(Some(Ok(Message::Close(f)))) => return Err(f.map_or("closed".into(), |f| f.reason.to_string())),
            Ok(Some(Ok(_))) => {}
            Ok(other) => return Err(format!("{other:?}")),
        }
    }
}

/// Alice opens a room on a short lossless fiber (the most photons per pulse: the relay's
/// heaviest work).
async fn open(a: &Args) -> Result<(Ws, String), String> {
    let channel = json!({ "lengthKm": 0, "insertionLossDb": 0, "detectorEfficiency": 1, "errorRate": 0.01 });
    open_with(a, channel).await
}

async fn open_with(a: &Args, channel: Value) -> Result<(Ws, String), String> {
    join(a, json!({ "type": "join", "role": "alice", "channel": channel })).await
}

/// A room with Alice and Bob in it.
async fn room(a: &Args) -> Result<(Ws, Ws, String), String> {
    let (alice, id) = open(a).await?;
    room_with(a, alice, id).await
}

async fn room_with(a: &Args, alice: Ws, id: String) -> Result<(Ws, Ws, String), String> {
    let (bob, _) = join(a, json!({ "type": "join", "role": "bob", "room": id })).await?;
    Ok((alice, bob, id))
}

/// One round through the relay: Bob's Ready, Alice's photons and Hello, and on to Commit.
/// Returns the time it took, or why it failed; a key that differs is a failure.
async fn session(pulses: u64, alice_ws: &mut Ws, bob_ws: &mut Ws, id: &str) -> Result<Duration, String> {
    session_with(Config { pulses, ..Config::default() }, alice_ws, bob_ws, id).await
}

async fn session_with(config: Config, alice_ws: &mut Ws, bob_ws: &mut Ws, id: &str) -> Result<Duration, String> {
    let psk = Credential::psk(&[7; 32]).map_err(|e| e.to_string())?;
    let seed = Seed::from_entropy().map_err(|e| e.to_string())?;
    let mut nonce = [0u8; 32];
    getrandom::fill(&mut nonce).map_err(|e| e.to_string())?;
    let mut alice = Alice::new(config, &psk, RoundContext::single(id), seed.rng("alice")).map_err(|e| e.to_string())?;
    let mut bob = Bob::new(&psk, id, nonce, seed.rng("bob"));
    let t = Instant::now();
    bob_ws.send(Message::binary(Ready { nonce_b: nonce }.encode())).await.map_err(|e| e.to_string())?;
    while !(alice.is_finished() && bob.is_finished()) {
        if let Some(e) = alice.failure().or(bob.failure()) {
            return Err(e.code().to_string());
        }
        let (msg, from_alice) = tokio::select! {
            m = alice_ws.next() => (m, true),
            m = bob_ws.next() => (m, false),
            () = tokio::time::sleep(Duration::from_secs(60)) => return Err("stalled".into()),
        };
        let frame = match msg {
            Some(Ok(Message::Binary(b))) => b,
            Some(Ok(Message::Close(f))) => return Err(f.map_or("closed".into(), |f| f.reason.to_string())),
            Some(Ok(_)) => continue,
            other => return Err(format!("socket: {other:?}")),
        };
        let (party_out, ws) =
            if from_alice { (alice.handle(&frame), &mut *alice_ws) } else { (bob.handle(&frame), &mut *bob_ws) };
        for f in party_out.map_err(|e| e.code().to_string())? {
            ws.send(Message::binary(f)).await.map_err(|e| e.to_string())?;
        }
    }
    match (alice.take_key(), bob.take_key()) {
        (Some(x), Some(y)) if x == y => Ok(t.elapsed()),
        _ => Err("keys differ".into()),
    }
}

/// What one scenario measured.
#[derive(Default)]
struct Tally {
    ok: usize,
    failed: usize,
    refused: usize,
    times: Vec<Duration>,
    reasons: std::collections::BTreeMap<String, usize>,
}

impl Tally {
    fn add(&mut self, r: Result<Duration, String>, refused: bool) {
        match r {
            Ok(t) => {
                self.ok += 1;
                self.times.push(t);
            }
            Err(e) => {
                if refused {
                    self.refused += 1;
                } else {
                    self.failed += 1;
                }
                *self.reasons.entry(e.chars().take(60).collect()).or_default() += 1;
            }
        }
    }

    fn percentile(&mut self, p: f64) -> f64 {
        if self.times.is_empty() {
            return f64::NAN;
        }
        self.times.sort();
        let i = ((self.times.len() as f64 * p).ceil() as usize).clamp(1, self.times.len()) - 1;
        self.times[i].as_secs_f64() * 1e3
    }
}

/// The relay process's resident memory (MiB) and CPU seconds so far, from /proc.
fn relay_usage(pid: Option<u32>) -> (f64, f64) {
    let Some(pid) = pid else { return (f64::NAN, f64::NAN) };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime is the 14th, stime the 15th.
    let rest: Vec<&str> = stat.rsplit(')').next().unwrap_or_default().split_whitespace().collect();
    let ticks: f64 = rest.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(f64::NAN)
        + rest.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(f64::NAN);
    (rss_kib / 1024.0, ticks / 100.0)
}

/// Samples the relay's RSS until stopped; returns the peak.
fn sample_peak(pid: Option<u32>) -> (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<f64>) {
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut peak: f64 = 0.0;
        loop {
            peak = peak.max(relay_usage(pid).0);
            tokio::select! {
                _ = &mut stopped => return peak,
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
    });
    (stop, task)
}

/// Rooms, WebSocket connections and queued bytes the relay reports (`/metrics`).
async fn relay_gauges(a: &Args) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut s) = TcpStream::connect(a.addr).await else { return "?".into() };
    let req = format!("GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", a.addr);
    let mut body = String::new();
    if s.write_all(req.as_bytes()).await.is_err() || s.read_to_string(&mut body).await.is_err() {
        return "?".into();
    }
    let value = |name: &str| {
        body.lines().find(|l| l.starts_with(name)).and_then(|l| l.rsplit(' ').next()).unwrap_or("?").to_string()
    };
    format!("{} / {} / {}", value("qkdlab_rooms "), value("qkdlab_connections "), value("qkdlab_queued_bytes "))
}

struct Row {
    name: String,
    left: String,
    tally: Tally,
    rss_idle: f64,
    rss_peak: f64,
    rss_after: f64,
    cpu: f64,
    wall: f64,
}

/// `n` rooms open at once, every session at once.
async fn burst(a: &Arc<Args>, n: usize) -> Tally {
    let mut set = JoinSet::new();
    for _ in 0..n {
        let a = a.clone();
        set.spawn(async move {
            match room(&a).await {
                Ok((mut x, mut y, id)) => (session(a.pulses, &mut x, &mut y, &id).await, false),
                Err(e) => (Err(e), true),
            }
        });
    }
    let mut t = Tally::default();
    while let Some(r) = set.join_next().await {
        let (r, refused) = r.unwrap_or_else(|e| (Err(e.to_string()), false));
        t.add(r, refused);
    }
    t
}

/// `n` rooms held open together (Alice in each, as rooms wait for Bob in the playground);
/// in every room Bob joins for a session and leaves, `c` rooms at a time.
async fn hold(a: &Arc<Args>, n: usize, c: usize) -> Tally {
    let opening = Arc::new(Semaphore::new(500));
    let mut set = JoinSet::new();
    for _ in 0..n {
        let (a, opening) = (a.clone(), opening.clone());
        set.spawn(async move {
            let _p = opening.acquire_owned().await;
            open(&a).await
        });
    }
    let mut rooms = Vec::new();
    let mut t = Tally::default();
    while let Some(r) = set.join_next().await {
        match r.unwrap_or_else(|e| Err(e.to_string())) {
            Ok(r) => rooms.push(r),
            Err(e) => t.add(Err(e), true),
        }
    }
    eprintln!("[load] {} rooms held open", rooms.len());
    let running = Arc::new(Semaphore::new(c));
    let mut set = JoinSet::new();
    for (mut x, id) in rooms {
        let (a, running) = (a.clone(), running.clone());
        set.spawn(async move {
            let r = {
                let _p = running.acquire_owned().await;
                match join(&a, json!({ "type": "join", "role": "bob", "room": id })).await {
                    Ok((mut y, _)) => (session(a.pulses, &mut x, &mut y, &id).await, false),
                    Err(e) => (Err(e), true),
                }
            };
            // Every room stays open until all sessions are done.
            (r, x)
        });
    }
    let mut keep = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok(((r, refused), x)) => {
                t.add(r, refused);
                keep.push(x);
            }
            Err(e) => t.add(Err(e.to_string()), false),
        }
    }
    drop(keep);
    t
}

/// `n` sessions at once while hostile clients press on the relay.
async fn faults(a: &Arc<Args>, n: usize) -> Tally {
    let mut hostile = JoinSet::new();
    // 50 Bobs that never read while their Alice floods them: 25 with 60 KiB chat messages, 25
    // with 64 KiB classical frames, as fast as they can.
    for i in 0..50 {
        let a = a.clone();
        hostile.spawn(async move {
            let Ok((mut alice, bob, _)) = room(&a).await else { return };
            let msg = if i % 2 == 0 {
                Message::text(json!({ "type": "chat", "text": "x".repeat(60_000) }).to_string())
            } else {
                let mut frame = vec![1u8, qkdlab::msgs::Kind::Sift.byte(), 0, 0, 0, 0, 0];
                frame.resize(64 << 10, 0);
                Message::binary(frame)
            };
            let until = Instant::now() + Duration::from_secs(20);
            while Instant::now() < until {
                if alice.send(msg.clone()).await.is_err() {
                    break;
                }
            }
            drop(bob);
        });
    }
    // 300 sockets that dribble a request head and go silent.
    for i in 0..300u64 {
        let a = a.clone();
        hostile.spawn(async move {
            use tokio::io::AsyncWriteExt;
            let Ok(socket) = TcpSocket::new_v4() else { return };
            let _ = socket.bind(SocketAddr::from((source(1_000_000 + i * 60), 0)));
            let Ok(mut s) = socket.connect(a.addr).await else { return };
            let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await;
            tokio::time::sleep(Duration::from_secs(20)).await;
        });
    }
    // 100 rooms held by pings alone.
    for _ in 0..100 {
        let a = a.clone();
        hostile.spawn(async move {
            let Ok((mut ws, _)) = join(&a, json!({ "type": "join", "role": "alice" })).await else { return };
            for _ in 0..20 {
                if ws.send(Message::Ping(vec![1].into())).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let t = burst(a, n).await;
    hostile.abort_all();
    t
}

/// A TCP proxy in front of `upstream` that delays every byte by `delay` in each direction
/// (order kept, bandwidth not limited): a wide-area hop on loopback.
async fn delaying_proxy(upstream: SocketAddr, delay: Duration) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((down, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(up) = TcpStream::connect(upstream).await else { return };
                let (dr, dw) = down.into_split();
                let (ur, uw) = up.into_split();
                tokio::join!(pump(dr, uw, delay), pump(ur, dw, delay));
            });
        }
    });
    Ok(addr)
}

/// Copies `r` to `w`, each chunk written `delay` after it was read.
async fn pump(mut r: tokio::net::tcp::OwnedReadHalf, mut w: tokio::net::tcp::OwnedWriteHalf, delay: Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(tokio::time::Instant, Vec<u8>)>();
    let writer = async move {
        while let Some((at, chunk)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            if w.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = w.shutdown().await;
    };
    let reader = async move {
        let mut buf = vec![0u8; 64 << 10];
        while let Ok(n @ 1..) = r.read(&mut buf).await {
            if tx.send((tokio::time::Instant::now() + delay, buf[..n].to_vec())).is_err() {
                return;
            }
        }
    };
    tokio::join!(reader, writer);
}

/// One session at a time through the delaying proxy, `n` per mode; the rows of the latency table.
async fn latency(a: &Arc<Args>, n: usize) -> Vec<(String, Tally)> {
    use qkdlab::auth::TagMode;
    let mut via = (**a).clone();
    match delaying_proxy(a.addr, Duration::from_millis(a.delay_ms)).await {
        Ok(p) => via.entry = p,
        Err(e) => return vec![(format!("proxy: {e}"), Tally::default())],
    }
    use qkdlab::reconciliation::Method;
    let mut rows = Vec::new();
    let modes =
        [Method::Cascade, Method::Ldpc].into_iter().flat_map(|m| [(m, TagMode::Transcript), (m, TagMode::PerFrame)]);
    for (reconciliation, tags) in modes {
        let config = Config { pulses: a.pulses, tags, reconciliation, ..Config::default() };
        let mut t = Tally::default();
        for _ in 0..n {
            // The playground's default fiber.
            let r = match open_with(&via, json!({})).await {
                Ok((alice, id)) => match room_with(&via, alice, id).await {
                    Ok((mut x, mut y, id)) => session_with(config.clone(), &mut x, &mut y, &id).await,
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            t.add(r, false);
        }
        rows.push((format!("{reconciliation:?}, {tags:?} tags"), t));
    }
    rows
}

async fn run(a: &Arc<Args>, name: &str) -> Row {
    let (rss_idle, cpu0) = relay_usage(a.pid);
    let (stop, peak) = sample_peak(a.pid);
    let started = Instant::now();
    let (label, tally) = match name {
        "burst" => {
            let n = a.rooms.unwrap_or(256);
            (format!("burst: {n} rooms at once"), burst(a, n).await)
        }
        "hold" => {
            let n = a.rooms.unwrap_or(10_000);
            (
                format!("hold: {n} rooms open at once, Bob joins {} at a time", a.concurrency),
                hold(a, n, a.concurrency).await,
            )
        }
        "faults" => {
            let n = a.rooms.unwrap_or(256);
            (format!("faults: {n} rooms at once under attack"), faults(a, n).await)
        }
        other => (format!("unknown scenario {other}"), Tally::default()),
    };
    let wall = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    let rss_peak = peak.await.unwrap_or(f64::NAN);
    // Give the relay a moment to notice every departure.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (rss_after, cpu1) = relay_usage(a.pid);
    let left = relay_gauges(a).await;
    Row { name: label, left, tally, rss_idle, rss_peak, rss_after, cpu: cpu1 - cpu0, wall }
}

#[tokio::main]
async fn main() {
    let a = match args() {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("load: {e}");
            std::process::exit(2);
        }
    };
    let mut rows = Vec::new();
    for s in a.scenarios.clone() {
        eprintln!("[load] {s}...");
        if s == "latency" {
            let n = a.rooms.unwrap_or(3);
            println!(
                "\nStart to key, {} pulses, {} ms added per hop each way (a round trip Alice-Bob is {} ms):",
                a.pulses,
                a.delay_ms,
                4 * a.delay_ms
            );
            println!("| reconciliation, tags | sessions with equal keys | median ms | max ms |");
            println!("|---|---|---|---|");
            for (name, mut t) in latency(&a, n).await {
                let (median, max) = (t.percentile(0.5), t.percentile(1.0));
                println!("| {name} | {} / {} | {median:.0} | {max:.0} |", t.ok, t.ok + t.failed);
                for (reason, count) in &t.reasons {
                    println!("|   {count} × {reason} | | | |");
                }
            }
            continue;
        }
        rows.push(run(&a, &s).await);
    }
    println!();
    println!(
        "| scenario | sessions with equal keys | failed | refused | p50 ms | p99 ms | relay RSS idle / peak / after (MiB) | relay CPU s | wall s | rooms / connections / queued bytes after |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for mut r in rows {
        let total = r.tally.ok + r.tally.failed + r.tally.refused;
        let (p50, p99) = (r.tally.percentile(0.5), r.tally.percentile(0.99));
        println!(
            "| {} | {} / {} | {} | {} | {:.0} | {:.0} | {:.0} / {:.0} / {:.0} | {:.1} | {:.1} | {} |",
            r.name,
            r.tally.ok,
            total,
            r.tally.failed,
            r.tally.refused,
            p50,
            p99,
            r.rss_idle,
            r.rss_peak,
            r.rss_after,
            r.cpu,
            r.wall,
            r.left
        );
        for (reason, count) in &r.tally.reasons {
            println!("|   {count} × {reason} | | | | | | | | | |");
        }
    }
}
