//! The relay on port 0 with real WebSocket clients: full sessions, Eve, refusals, limits.

use std::path::PathBuf;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use qkdlab::msgs::{Kind, Ready, Route};
use qkdlab::party::RoundContext;
use qkdlab::rng::Seed;
use qkdlab::{Alice, Bob, Config, Credential};

/// Alice for `room`, started by a Ready carrying `nonce` (the test hands it over in-process).
fn alice_for(room: &str, config: Config, seed: &str) -> Alice {
    Alice::new(config, &psk(), RoundContext::single(room), Seed::from_text(seed).rng("alice")).expect("config")
}

fn bob_for(room: &str, nonce: u8, seed: &str) -> Bob {
    Bob::new(&psk(), room, [nonce; 32], Seed::from_text(seed).rng("bob"))
}

fn ready(nonce: u8) -> Vec<u8> {
    Ready { nonce_b: [nonce; 32] }.encode()
}
use qkdlab_relay::{MAX_FRAME_BYTES, Paths, ServeLimits, Settings, Timeouts};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn start() -> String {
    start_with(Timeouts::default()).await
}

async fn start_with(timeouts: Timeouts) -> String {
    start_settings(Settings { timeouts, serve: ServeLimits::default() }).await
}

async fn start_settings(settings: Settings) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("bound");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let paths = Paths { www: root.join("www"), pkg: root.join("pkg") };
    tokio::spawn(async move { qkdlab_relay::run(listener, &paths, settings, std::future::pending()).await });
    format!("ws://{addr}/ws")
}

async fn connect(url: &str, join: Value) -> Ws {
    let (mut ws, _) = connect_async(url).await.expect("websocket connects");
    ws.send(Message::text(join.to_string())).await.expect("send join");
    ws
}

/// The next text message (skipping nothing else: binary frames here are a test failure).
async fn text(ws: &mut Ws) -> Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a message in time") {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).expect("json"),
            Some(Ok(Message::Close(frame))) => {
                return json!({ "type": "close", "reason": frame.map(|f| f.reason.to_string()) });
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected text, got {other:?}"),
        }
    }
}

async fn until(ws: &mut Ws, ty: &str) -> Value {
    loop {
        let v = text(ws).await;
        if v["type"] == ty {
            return v;
        }
    }
}

async fn open_room(url: &str, channel: Value) -> (Ws, String) {
    let mut alice = connect(url, json!({ "type": "join", "role": "alice", "channel": channel })).await;
    let joined = until(&mut alice, "joined").await;
    (alice, joined["room"].as_str().expect("room id").to_string())
}

/// A room Alice opened (default channel) with Bob joined: `(alice, bob, room id)`.
async fn room_with_bob(url: &str) -> (Ws, Ws, String) {
    let (alice, room) = open_room(url, json!({})).await;
    let mut bob = connect(url, json!({ "type": "join", "role": "bob", "room": room })).await;
    until(&mut bob, "joined").await;
    (alice, bob, room)
}

fn psk() -> Credential {
    Credential::psk(&[0x42; 32]).expect("32 bytes")
}

/// Drives Alice and Bob (the core's parties) over their sockets until one finishes or fails.
async fn run_parties(alice_ws: &mut Ws, bob_ws: &mut Ws, room: &str, pulses: u64) -> (Alice, Bob) {
    let mut alice = alice_for(room, Config { pulses, ..Config::default() }, "relay a");
    let mut bob = bob_for(room, 7, "relay b");
    for f in alice.handle(&ready(7)).expect("start") {
        alice_ws.send(Message::binary(f)).await.expect("send");
    }
    loop {
        if alice.is_finished() && bob.is_finished() || alice.failure().is_some() || bob.failure().is_some() {
            return (alice, bob);
        }
        tokio::select! {
            m = alice_ws.next() => match m {
                Some(Ok(Message::Binary(b))) => match alice.handle(&b) {
                    Ok(out) => for f in out { alice_ws.send(Message::binary(f)).await.expect("send") },
                    Err(_) => return (alice, bob),
                },
                Some(Ok(_)) => {}
                other => panic!("alice socket ended: {other:?}"),
            },
            m = bob_ws.next() => match m {
                Some(Ok(Message::Binary(b))) => match bob.handle(&b) {
                    Ok(out) => for f in out { bob_ws.send(Message::binary(f)).await.expect("send") },
                    Err(_) => return (alice, bob),
                },
                Some(Ok(_)) => {}
                other => panic!("bob socket ended: {other:?}"),
            },
        }
    }
}

#[tokio::test]
async fn two_clients_grow_the_same_key_through_the_relay_fiber() {
    let url = start().await;
    let (mut a, room) = open_room(&url, json!({ "lengthKm": 5, "errorRate": 0.02 })).await;
    assert_eq!(room.len(), 32, "128-bit room id");
    let mut b = connect(&url, json!({ "type": "join", "role": "bob", "room": room })).await;
    assert_eq!(until(&mut b, "joined").await["role"], "bob");
    // Alice hears the room's members: first herself, then both of them.
    let roles = |m: &Value| -> Vec<String> {
        let mut r: Vec<String> =
            m["roles"].as_array().expect("roles").iter().filter_map(|r| r.as_str().map(String::from)).collect();
        r.sort_unstable();
        r
    };
    let mut members = until(&mut a, "members").await;
    if roles(&members) == ["alice"] {
        members = until(&mut a, "members").await;
    }
    assert_eq!(roles(&members), ["alice", "bob"]);
    let (mut alice, mut bob) = run_parties(&mut a, &mut b, &room, 300_000).await;
    assert!(alice.is_finished() && bob.is_finished(), "{:?} {:?}", alice.failure(), bob.failure());
    let (ka, kb) = (alice.take_key().expect("key"), bob.take_key().expect("key"));
    assert_eq!(ka, kb);
    assert!(!ka.bits.is_empty());
}

#[tokio::test]
async fn eve_intercepting_everything_makes_both_sides_abort_on_qber() {
    let url = start().await;
    let (mut a, room) = open_room(&url, json!({ "lengthKm": 5, "errorRate": 0.0 })).await;
    let mut e = connect(&url, json!({ "type": "join", "role": "eve", "room": room, "interceptFraction": 1.0 })).await;
    assert_eq!(until(&mut e, "joined").await["role"], "eve");
    let mut b = connect(&url, json!({ "type": "join", "role": "bob", "room": room })).await;
    until(&mut b, "joined").await;
    let (alice, bob) = run_parties(&mut a, &mut b, &room, 300_000).await;
    assert_eq!(bob.failure().map(|e| e.code()), Some("qber_too_high"));
    assert!(!alice.is_finished());
}

#[tokio::test]
async fn eves_attack_leaves_the_fiber_with_her() {
    // Eve joins with an attack on every photon and leaves before the round: the room is told,
    // and the fiber no longer intercepts (the round keeps a key at the channel's QBER).
    let url = start().await;
    let (mut a, room) = open_room(&url, json!({ "lengthKm": 5, "errorRate": 0.0 })).await;
    let mut e = connect(&url, json!({ "type": "join", "role": "eve", "room": room, "interceptFraction": 1.0 })).await;
    assert_eq!(until(&mut e, "joined").await["role"], "eve");
    e.close(None).await.expect("close");
    assert_eq!(until(&mut a, "left").await["role"], "eve");
    let mut b = connect(&url, json!({ "type": "join", "role": "bob", "room": room })).await;
    until(&mut b, "joined").await;
    let (mut alice, mut bob) = run_parties(&mut a, &mut b, &room, 300_000).await;
    assert!(alice.is_finished() && bob.is_finished(), "{:?} {:?}", alice.failure(), bob.failure());
    assert!(bob.summary().qber < 0.05, "QBER {} with no Eve on the fiber", bob.summary().qber);
    assert_eq!(alice.take_key().expect("key"), bob.take_key().expect("key"));
}

#[tokio::test]
async fn eve_blinding_the_detectors_goes_unseen_unless_bobs_watchdog_is_fitted() {
    for watchdog in [false, true] {
        let url = start().await;
        let (mut a, room) = open_room(&url, json!({ "lengthKm": 2, "errorRate": 0.02, "watchdog": watchdog })).await;
        let mut e = connect(&url, json!({ "type": "join", "role": "eve", "room": room, "attack": "blinding" })).await;
        assert_eq!(until(&mut e, "joined").await["role"], "eve");
        let mut b = connect(&url, json!({ "type": "join", "role": "bob", "room": room })).await;
        until(&mut b, "joined").await;
        let (mut alice, mut bob) = run_parties(&mut a, &mut b, &room, 300_000).await;
        if watchdog {
            assert_eq!(bob.failure().map(|e| e.code()), Some("detector_alarm"));
            assert!(bob.take_key().is_none());
        } else {
            assert!(alice.is_finished() && bob.is_finished(), "{:?} {:?}", alice.failure(), bob.failure());
            assert!(bob.summary().qber < 0.04, "blinding adds no errors: {}", bob.summary().qber);
            assert_eq!(alice.take_key(), bob.take_key());
        }
    }
}

#[tokio::test]
async fn an_unknown_attack_is_refused_with_a_reason() {
    let url = start().await;
    let (_a, room) = open_room(&url, json!({ "lengthKm": 2 })).await;
    let mut e = connect(&url, json!({ "type": "join", "role": "eve", "room": room, "attack": "laser" })).await;
    let closed = until(&mut e, "close").await;
    assert!(closed["reason"].as_str().is_some_and(|r| r.contains("unknown attack")), "{closed}");
}

#[tokio::test]
async fn eve_in_the_middle_sees_every_classical_frame_of_a_session_but_never_a_fiber_frame() {
    let url = start().await;
    let (mut a, room) = open_room(&url, json!({ "lengthKm": 2, "errorRate": 0.02 })).await;
    let mut e = connect(&url, json!({ "type": "join", "role": "eve", "room": room, "mitm": true })).await;
    until(&mut e, "joined").await;
    let mut b = connect(&url, json!({ "type": "join", "role": "bob", "room": room })).await;
    until(&mut b, "joined").await;
    let mut alice = alice_for(&room, Config { pulses: 200_000, ..Config::default() }, "x");
    let mut bob = bob_for(&room, 1, "y");
    for f in alice.handle(&ready(1)).expect("start") {
        a.send(Message::binary(f)).await.expect("send");
    }
    let (mut seen, deadline) = (Vec::new(), tokio::time::Instant::now() + Duration::from_secs(60));
    while !(alice.is_finished() && bob.is_finished()) {
        assert!(tokio::time::Instant::now() < deadline, "stalled: {} {}", alice.state(), bob.state());
        let (who, msg) = tokio::select! {
            m = a.next() => ('a', m),
            m = b.next() => ('b', m),
            m = e.next() => ('e', m),
        };
        let f = match msg {
            Some(Ok(Message::Binary(f))) => f.to_vec(),
            Some(Ok(_)) => continue,
            other => panic!("{who} socket ended: {other:?}"),
        };
        let out = match who {
            'a' => alice.handle(&f).expect("alice"),
            'b' => bob.handle(&f).expect("bob"),
            _ => {
                // Eve records what she sees and passes it on.
                let info = qkdlab::msgs::frame_info(&f).expect("a well-formed frame");
                seen.push(info);
                e.send(Message::binary(f)).await.expect("send");
                continue;
            }
        };
        let ws = if who == 'a' { &mut a } else { &mut b };
        for g in out {
            ws.send(Message::binary(g)).await.expect("send");
        }
    }
    assert!(seen.len() > 10, "Eve saw {} frames", seen.len());
    assert!(seen.iter().all(|i| i.route == Route::Classical), "a fiber frame reached Eve's tab");
    assert_eq!(seen.first().map(|i| i.kind), Some(Kind::Hello));
    assert_eq!(alice.take_key(), bob.take_key());
}

#[tokio::test]
async fn a_taken_role_and_an_unknown_room_are_refused_with_a_reason() {
    let url = start().await;
    let (_a, _b1, room) = room_with_bob(&url).await;
    let mut b2 = connect(&url, json!({ "type": "join", "role": "bob", "room": room })).await;
    let closed = until(&mut b2, "close").await;
    assert!(closed["reason"].as_str().is_some_and(|r| r.contains("already taken")), "{closed}");
    let mut lost = connect(&url, json!({ "type": "join", "role": "bob", "room": "0".repeat(32) })).await;
    let closed = until(&mut lost, "close").await;
    assert!(closed["reason"].as_str().is_some_and(|r| r.contains("no such room")), "{closed}");
    let mut bad = connect(&url, json!({ "type": "join", "role": "mallory", "room": room })).await;
    assert!(until(&mut bad, "close").await["reason"].as_str().is_some_and(|r| r.contains("unknown role")));
}

#[tokio::test]
async fn garbage_and_oversized_frames_close_only_the_sender() {
    let url = start().await;
    let (mut a, mut b, room) = room_with_bob(&url).await;
    b.send(Message::binary(vec![0x09, 0x01, 0x02])).await.expect("send");
    let closed = until(&mut b, "close").await;
    assert!(closed["reason"].as_str().is_some_and(|r| r.contains("malformed frame")), "{closed}");
    assert_eq!(until(&mut a, "left").await["role"], "bob");

    // A new Bob, then one frame too large: he is closed, Alice's room lives on.
    let mut b2 = connect(&url, json!({ "type": "join", "role": "bob", "room": room })).await;
    until(&mut b2, "joined").await;
    let _ = b2.send(Message::binary(vec![1u8; MAX_FRAME_BYTES + 1])).await;
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match b2.next().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                _ => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "oversized sender must be disconnected");
    assert_eq!(until(&mut a, "left").await["role"], "bob");
    let mut b3 = connect(&url, json!({ "type": "join", "role": "bob", "room": room })).await;
    assert_eq!(until(&mut b3, "joined").await["room"], room.as_str());
}

#[tokio::test]
async fn a_peer_leaving_is_announced_to_the_other() {
    let url = start().await;
    let (mut a, mut b, _room) = room_with_bob(&url).await;
    b.close(None).await.expect("close");
    assert_eq!(until(&mut a, "left").await["role"], "bob");
}

#[tokio::test]
async fn chat_messages_reach_the_peer_stamped_with_the_sender() {
    let url = start().await;
    let (mut a, mut b, _room) = room_with_bob(&url).await;
    a.send(Message::text(json!({ "type": "chat", "iv": "00", "ct": "ab" }).to_string())).await.expect("send");
    let chat = until(&mut b, "chat").await;
    assert_eq!(chat["from"], "alice");
    assert_eq!(chat["ct"], "ab");
}

/// Carol (an introducer) joins as a fourth member; she exchanges status messages and may not
/// send a frame. Only Eve in the middle sees the parties' addressed status messages and may send
/// hers under another name; without her in the middle, `as` is refused.
#[tokio::test]
async fn carol_sends_status_only_and_eve_in_the_middle_relays_status_under_any_name() {
    let url = start().await;
    let (mut a, mut b, room) = room_with_bob(&url).await;
    let mut c = connect(&url, json!({ "type": "join", "role": "carol", "room": room })).await;
    until(&mut c, "joined").await;
    while until(&mut a, "members").await["roles"] != json!(["alice", "bob", "carol"]) {}
    // Without Eve: addressed status goes straight to its addressee, stamped with the sender.
    b.send(Message::text(json!({ "type": "status", "to": "carol", "identity": "b0" }).to_string()))
        .await
        .expect("send");
    let got = until(&mut c, "status").await;
    assert_eq!((got["from"].as_str(), got["identity"].as_str()), (Some("bob"), Some("b0")));
    // Carol may not send a frame, nor anyone but Eve a message under another name.
    c.send(Message::binary(ready(1))).await.expect("send");
    assert!(until(&mut c, "close").await["reason"].as_str().is_some_and(|r| r.contains("never a frame")));
    a.send(Message::text(json!({ "type": "status", "to": "bob", "as": "carol" }).to_string())).await.expect("send");
    assert!(until(&mut a, "close").await["reason"].as_str().is_some_and(|r| r.contains("only Eve")));

    // With Eve in the middle: Bob's status to Carol reaches Eve (addressee kept), and Eve's
    // reaches Alice stamped as Carol's.
    let (mut a, mut b, room) = room_with_bob(&url).await;
    let mut c = connect(&url, json!({ "type": "join", "role": "carol", "room": room })).await;
    until(&mut c, "joined").await;
    let mut e = connect(&url, json!({ "type": "join", "role": "eve", "room": room, "mitm": true })).await;
    until(&mut e, "joined").await;
    b.send(Message::text(json!({ "type": "status", "to": "carol", "identity": "b1" }).to_string()))
        .await
        .expect("send");
    let got = until(&mut e, "status").await;
    assert_eq!(
        (got["from"].as_str(), got["to"].as_str(), got["identity"].as_str()),
        (Some("bob"), Some("carol"), Some("b1"))
    );
    e.send(Message::text(json!({ "type": "status", "to": "alice", "as": "carol", "vouch": "v" }).to_string()))
        .await
        .expect("send");
    let got = until(&mut a, "status").await;
    assert_eq!((got["from"].as_str(), got["vouch"].as_str()), (Some("carol"), Some("v")));
    // Not under her own name, and only a status: an abort or a chat in Bob's name is refused.
    e.send(Message::text(json!({ "type": "status", "to": "alice", "as": "eve" }).to_string())).await.expect("send");
    assert!(until(&mut e, "close").await["reason"].as_str().is_some_and(|r| r.contains("alice, bob or carol")));
    let mut e = connect(&url, json!({ "type": "join", "role": "eve", "room": room, "mitm": true })).await;
    until(&mut e, "joined").await;
    e.send(Message::text(json!({ "type": "abort", "as": "bob", "message": "x" }).to_string())).await.expect("send");
    assert!(until(&mut e, "close").await["reason"].as_str().is_some_and(|r| r.contains("only Eve")));
    // An addressee that is not a role's name is refused, not broadcast past Eve.
    b.send(Message::text(json!({ "type": "status", "to": 1 }).to_string())).await.expect("send");
    assert!(until(&mut b, "close").await["reason"].as_str().is_some_and(|r| r.contains("unknown addressee")));
}

/// Eve with the leaked PSK cuts the link: a QKD session with each side, over two fibers.
#[tokio::test]
async fn eve_with_the_leaked_psk_cuts_the_link_and_alice_and_bob_get_different_keys() {
    let url = start().await;
    let (mut a, room) = open_room(&url, json!({ "lengthKm": 2, "errorRate": 0.02 })).await;
    let mut e = connect(&url, json!({ "type": "join", "role": "eve", "room": room, "mitm": "full" })).await;
    until(&mut e, "joined").await;
    let mut b = connect(&url, json!({ "type": "join", "role": "bob", "room": room })).await;
    until(&mut b, "joined").await;

    let config = Config { pulses: 200_000, ..Config::default() };
    let mut alice = alice_for(&room, config.clone(), "a");
    let mut bob = bob_for(&room, 2, "b");
    let mut eve_as_bob = bob_for(&room, 3, "e1");
    let mut eve_as_alice = alice_for(&room, config, "e2");
    for f in alice.handle(&ready(3)).expect("start") {
        a.send(Message::binary(f)).await.expect("send");
    }
    let mut eve_started = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !(alice.is_finished() && bob.is_finished() && eve_as_bob.is_finished() && eve_as_alice.is_finished()) {
        assert!(tokio::time::Instant::now() < deadline, "stalled: {} {}", alice.state(), bob.state());
        let (who, msg) = tokio::select! {
            m = a.next() => ('a', m),
            m = b.next() => ('b', m),
            m = e.next() => ('e', m),
        };
        let f = match msg {
            Some(Ok(Message::Binary(f))) => f,
            Some(Ok(_)) => continue,
            other => panic!("{who} socket ended: {other:?}"),
        };
        match who {
            'a' => {
                for g in alice.handle(&f).expect("alice accepts Eve's frames") {
                    a.send(Message::binary(g)).await.expect("send");
                }
            }
            'b' => {
                for g in bob.handle(&f).expect("bob accepts Eve's frames") {
                    b.send(Message::binary(g)).await.expect("send");
                }
            }
            _ => {
                // Detections and Alice's frames go to her "Bob"; Bob's frames to her "Alice".
                let info = qkdlab::msgs::frame_info(&f).expect("a well-formed frame");
                let to_her_bob =
                    info.kind == Kind::Detections || info.direction == Some(qkdlab::auth::Direction::AliceToBob);
                let mut out = if to_her_bob {
                    eve_as_bob.handle(&f).expect("eve as bob")
                } else {
                    eve_as_alice.handle(&f).expect("eve as alice")
                };
                if !eve_started && info.kind == Kind::Hello {
                    eve_started = true;
                    out.extend(eve_as_alice.handle(&ready(2)).expect("eve starts towards bob"));
                }
                for g in out {
                    e.send(Message::binary(g)).await.expect("send");
                }
            }
        }
    }
    let (ka, kb) = (alice.take_key().expect("alice key"), bob.take_key().expect("bob key"));
    assert_ne!(ka, kb, "Alice and Bob hold different keys");
    assert_eq!(eve_as_bob.take_key(), Some(ka), "Eve shares Alice's key");
    assert_eq!(eve_as_alice.take_key(), Some(kb), "Eve shares Bob's key");
}

#[tokio::test]
async fn when_alice_leaves_bob_and_eve_are_told_within_a_second() {
    let url = start().await;
    let (a, mut b, room) = room_with_bob(&url).await;
    let mut e = connect(&url, json!({ "type": "join", "role": "eve", "room": room })).await;
    until(&mut e, "joined").await;
    drop(a);
    for ws in [&mut b, &mut e] {
        let left = tokio::time::timeout(Duration::from_secs(1), until(ws, "left")).await.expect("told within 1 s");
        assert_eq!(left["role"], "alice");
    }
}

/// The close frame a socket ends with: `(code, reason)`, reading (and dropping) what comes first.
async fn close_of(ws: &mut Ws) -> (u16, String) {
    let end = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(Some(f)))) => return (u16::from(f.code), f.reason.to_string()),
                // RFC 6455: 1005 stands for "a close frame without a code".
                Some(Ok(Message::Close(None))) => return (1005, String::new()),
                None | Some(Err(_)) => return (0, String::new()),
                _ => {}
            }
        }
    });
    end.await.expect("the relay closes in time")
}

#[tokio::test]
async fn a_reader_that_does_not_read_is_closed_with_a_reason_and_the_room_goes_on() {
    let url = start().await;
    let (mut a, mut b, _room) = room_with_bob(&url).await;
    // Alice sends Bob 64 KiB classical frames at 16 MiB/s (within her own limits); Bob reads
    // nothing meanwhile, so his queue reaches its cap after two seconds.
    let mut frame = vec![1u8, Kind::Sift.byte(), 0, 0, 0, 0, 0];
    frame.resize(64 << 10, 0);
    for _ in 0..800 {
        if a.send(Message::binary(frame.clone())).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(4)).await;
    }
    let (code, reason) = close_of(&mut b).await;
    assert_eq!(code, 1008);
    assert!(reason.contains("not reading"), "{reason}");
    assert_eq!(until(&mut a, "left").await["role"], "bob");
}

#[tokio::test]
async fn closes_carry_a_fitting_code_and_a_reason_that_fits() {
    let url = start().await;
    let (_a, mut big, _room) = room_with_bob(&url).await;
    let _ = big.send(Message::binary(vec![1u8; MAX_FRAME_BYTES + 1])).await;
    let (code, reason) = close_of(&mut big).await;
    assert_eq!(code, 1009, "{reason}");
    assert!(reason.contains("limited to"), "{reason}");
    let mut lost = connect(&url, json!({ "type": "join", "role": "bob", "room": "0".repeat(32) })).await;
    let (code, reason) = close_of(&mut lost).await;
    assert_eq!(code, 1008);
    assert!(reason.len() <= 123 && reason.contains("no such room"), "{reason}");
}

/// A raw HTTP/1.1 GET: the status code, the headers (lower-case names) and the body.
async fn http_get(ws_url: &str, path: &str, extra: &str) -> (u16, std::collections::HashMap<String, String>, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = ws_url.trim_start_matches("ws://").trim_end_matches("/ws");
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let close = if extra.contains("Connection:") { "" } else { "Connection: close\r\n" };
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{close}{extra}\r\n");
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    if close.is_empty() {
        // An upgrade stays open: read the head only.
        let mut chunk = [0u8; 4096];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n =
                tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk)).await.expect("in time").expect("read");
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    } else {
        s.read_to_end(&mut buf).await.expect("read");
    }
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("a header block");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok()).expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, buf[split + 4..].to_vec())
}

#[tokio::test]
async fn the_page_is_served_with_security_headers_and_the_package_compressed() {
    let url = start().await;
    let (status, h, _) = http_get(&url, "/", "").await;
    assert_eq!(status, 200);
    let csp = h.get("content-security-policy").expect("a CSP");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self' 'wasm-unsafe-eval'"), "{csp}");
    // The page submits no form itself: a native submit of the setup form would put the PSK in a URL.
    assert!(csp.contains("form-action 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h.get("x-content-type-options").map(String::as_str), Some("nosniff"));
    assert_eq!(h.get("referrer-policy").map(String::as_str), Some("no-referrer"));
    // The page's JavaScript travels compressed when the browser accepts it.
    let (_, plain, plain_body) = http_get(&url, "/main.js", "").await;
    let (_, gz, gz_body) = http_get(&url, "/main.js", "Accept-Encoding: gzip\r\n").await;
    let (plain_len, gz_len) = (plain_body.len(), gz_body.len());
    assert_eq!(plain.get("content-encoding"), None);
    assert_eq!(gz.get("content-encoding").map(String::as_str), Some("gzip"));
    assert!(gz_len * 2 < plain_len, "gzip {gz_len} bytes against {plain_len}");
}

#[tokio::test]
async fn a_websocket_from_another_origin_is_refused() {
    let url = start().await;
    let addr = url.trim_start_matches("ws://").trim_end_matches("/ws").to_string();
    let upgrade = |origin: &str| {
        format!(
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: {origin}\r\n"
        )
    };
    let (status, _, _) = http_get(&url, "/ws", &upgrade("http://evil.example")).await;
    assert_eq!(status, 403);
    let (status, _, _) = http_get(&url, "/ws", &upgrade(&format!("http://{addr}"))).await;
    assert_eq!(status, 101);
}

#[tokio::test]
async fn a_round_the_fiber_cannot_hold_is_refused_at_hello_with_a_reason() {
    let url = start().await;
    let (mut a, _b, room) = room_with_bob(&url).await;
    // 4,097 batches of 64 pulses: the package accepts it; this relay says why it cannot.
    let mut alice = alice_for(&room, Config { pulses: 64 * 4097, batch_size: 64, ..Config::default() }, "big");
    let hello = alice.handle(&ready(5)).expect("start").remove(0);
    assert_eq!(qkdlab::msgs::kind(&hello), Ok(Kind::Hello));
    a.send(Message::binary(hello)).await.expect("send");
    let (code, reason) = close_of(&mut a).await;
    assert_eq!(code, 1008);
    assert!(reason.contains("4096 batches") && reason.contains("batchSize"), "{reason}");
}

/// Timeouts short enough for a test: idle 1 s, join 1 s, room start 3 s.
fn short() -> Timeouts {
    Timeouts { idle: Duration::from_secs(1), join: Duration::from_secs(1), room_start: Duration::from_secs(3) }
}

#[tokio::test]
async fn pings_hold_nothing_open_and_a_silent_socket_never_joins() {
    let url = start_with(short()).await;
    let (mut a, mut b, _room) = room_with_bob(&url).await;
    // Bob only pings: that is not progress.
    let pinger = tokio::spawn(async move {
        for _ in 0..8 {
            if b.send(Message::Ping(vec![1].into())).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        b
    });
    let mut b = pinger.await.expect("pinger");
    let (code, reason) = close_of(&mut b).await;
    assert_eq!(code, 1008);
    assert!(reason.contains("no progress"), "{reason}");
    // Alice, silent since joining, made no progress either.
    assert!(close_of(&mut a).await.1.contains("no progress"));
    // A socket that never joins is closed too.
    let (mut silent, _) = connect_async(url.as_str()).await.expect("connects");
    let (_, reason) = close_of(&mut silent).await;
    assert!(reason.contains("join"), "{reason}");
}

#[tokio::test]
async fn a_room_whose_first_round_never_begins_is_closed() {
    let url = start_with(short()).await;
    let (mut a, room) = open_room(&url, json!({})).await;
    // Alice chats (progress) but never opens a round.
    let chatter = tokio::spawn(async move {
        for _ in 0..20 {
            let msg = json!({ "type": "chat", "ct": "hi" }).to_string();
            if a.send(Message::text(msg)).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        a
    });
    let mut a = chatter.await.expect("chatter");
    let (code, reason) = close_of(&mut a).await;
    assert_eq!(code, 1008);
    assert!(reason.contains("did not start"), "{reason}");
    let mut late = connect(&url, json!({ "type": "join", "role": "bob", "room": room })).await;
    assert!(close_of(&mut late).await.1.contains("no such room"));
}

#[tokio::test]
async fn metrics_count_rooms_connections_and_refusals_by_reason() {
    let url = start().await;
    let (_a, room) = open_room(&url, json!({})).await;
    let mut lost = connect(&url, json!({ "type": "join", "role": "bob", "room": "0".repeat(32) })).await;
    close_of(&mut lost).await;
    let mut b = connect(&url, json!({ "type": "join", "role": "bob", "room": room })).await;
    until(&mut b, "joined").await;
    let (status, h, body) = http_get(&url, "/metrics", "").await;
    assert_eq!(status, 200);
    assert!(h.get("content-type").is_some_and(|t| t.contains("openmetrics")));
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("qkdlab_rooms 1"), "{body}");
    assert!(body.contains("qkdlab_connections 2"), "{body}");
    assert!(body.contains(r#"qkdlab_refusals_total{reason="policy"} 1"#), "{body}");
    assert!(body.contains("qkdlab_queued_bytes"), "{body}");
    // Both WebSockets still count as sockets after their upgrade, with this request's.
    assert!(body.contains("qkdlab_sockets 3"), "{body}");
}

#[tokio::test]
async fn a_socket_that_never_sends_a_byte_is_closed() {
    use tokio::io::AsyncReadExt;
    let serve = ServeLimits { http_connection: Duration::from_millis(400), ..ServeLimits::default() };
    let url = start_settings(Settings { timeouts: Timeouts::default(), serve }).await;
    let addr = url.trim_start_matches("ws://").trim_end_matches("/ws").to_string();
    let mut silent = TcpStream::connect(&addr).await.expect("connect");
    let t = std::time::Instant::now();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(3), silent.read(&mut buf)).await.expect("closed in time");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    assert!(t.elapsed() >= Duration::from_millis(350), "{:?}", t.elapsed());
    // A WebSocket lives past that limit: the limit ends at the upgrade.
    let (mut a, _) = open_room(&url, json!({})).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    a.send(Message::text(json!({ "type": "status", "text": "still here" }).to_string())).await.expect("open");
    a.send(Message::Ping(vec![1].into())).await.expect("open");
    let pong = loop {
        match tokio::time::timeout(Duration::from_secs(2), a.next()).await.expect("in time") {
            Some(Ok(Message::Pong(_))) => break true,
            Some(Ok(_)) => {}
            _ => break false,
        }
    };
    assert!(pong, "the WebSocket outlived the HTTP connection limit");
}

#[tokio::test]
async fn guessing_room_ids_is_refused_after_thirty_failed_joins_a_minute() {
    let url = start().await;
    let (_a, room) = open_room(&url, json!({})).await;
    for i in 0..30 {
        let mut g = connect(&url, json!({ "type": "join", "role": "bob", "room": format!("{i:032x}") })).await;
        assert!(close_of(&mut g).await.1.contains("no such room"), "guess {i}");
    }
    // Now the address is turned away at the door (HTTP 429) for the rest of the minute.
    match connect_async(url.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 429),
        other => panic!("expected a refusal, got {:?}", other.map(|_| ())),
    }
    let _ = room;
}

#[tokio::test]
async fn a_client_that_dribbles_its_headers_is_closed_and_past_the_socket_cap_accept_closes_at_once() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let serve = ServeLimits { header_read: Duration::from_millis(300), max_sockets: 3, ..ServeLimits::default() };
    let url = start_settings(Settings { timeouts: Timeouts::default(), serve }).await;
    let addr = url.trim_start_matches("ws://").trim_end_matches("/ws").to_string();
    let closed_within = |mut s: TcpStream, limit: Duration| async move {
        let mut buf = [0u8; 256];
        let t = std::time::Instant::now();
        loop {
            match tokio::time::timeout(limit, s.read(&mut buf)).await {
                Ok(Ok(0) | Err(_)) => return Some(t.elapsed()),
                Ok(Ok(_)) => {}
                Err(_) => return None,
            }
        }
    };
    // Half a request head, then silence: closed after the header timeout.
    let mut slow = TcpStream::connect(&addr).await.expect("connect");
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.expect("write");
    let took = closed_within(slow, Duration::from_secs(3)).await.expect("the slow client is closed");
    assert!(took >= Duration::from_millis(250), "closed after {took:?}, before the timeout");
    // Three sockets hold the cap (each dribbling); a fourth is closed at accept.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        s.write_all(b"GET / HTTP/1.1\r\n").await.expect("write");
        held.push(s);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let extra = TcpStream::connect(&addr).await.expect("the kernel accepts");
    let took = closed_within(extra, Duration::from_secs(1)).await.expect("closed at accept");
    assert!(took < Duration::from_millis(250), "{took:?}");
    // Once the header timeout frees them, the relay serves again.
    for s in held {
        closed_within(s, Duration::from_secs(3)).await.expect("freed by the timeout");
    }
    let (status, h, _) = http_get(&url, "/", "").await;
    assert_eq!(status, 200);
    assert_eq!(h.get("cache-control").map(String::as_str), Some("no-cache"), "files revalidate");
    assert!(h.contains_key("last-modified"));
}

#[tokio::test]
async fn a_clean_close_is_answered_and_the_room_is_told() {
    let url = start().await;
    let (mut alice, mut bob, _room) = room_with_bob(&url).await;
    bob.close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
        code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Normal,
        reason: "bye".into(),
    }))
    .await
    .expect("send close");
    // The relay answers the close frame (RFC 6455, 5.5.1) before the socket ends.
    let answered = loop {
        match tokio::time::timeout(Duration::from_secs(2), bob.next()).await.expect("in time") {
            Some(Ok(Message::Close(_))) => break true,
            Some(Ok(_)) => {}
            None | Some(Err(_)) => break false,
        }
    };
    assert!(answered, "the close was answered with a close frame");
    let left = until(&mut alice, "left").await;
    assert_eq!(left["role"], "bob");
}

#[tokio::test]
async fn the_fibers_pulse_count_follows_rounds_and_returns_to_zero_when_the_room_closes() {
    let url = start().await;
    let gauge = |body: &str, name: &str| -> u64 {
        let line = body.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} in {body}"));
        line.rsplit(' ').next().and_then(|v| v.parse().ok()).expect("a number")
    };
    let (mut alice, mut bob, room) = room_with_bob(&url).await;
    let mut a = alice_for(&room, Config { pulses: 8192, batch_size: 4096, ..Config::default() }, "pending");
    // Alice's Hello and photons; Bob never measures, so the fiber holds every pulse.
    for f in a.handle(&ready(3)).expect("start") {
        alice.send(Message::binary(f)).await.expect("send");
    }
    let mut held = 0;
    for _ in 0..50 {
        let (_, _, body) = http_get(&url, "/metrics", "").await;
        held = gauge(&String::from_utf8_lossy(&body), "qkdlab_fiber_pending_pulses");
        if held == 8192 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(held, 8192, "both photon batches wait for Bob's settings");
    alice.close(None).await.expect("close");
    // Bob hears Hello (binary), then that Alice left.
    loop {
        match tokio::time::timeout(Duration::from_secs(5), bob.next()).await.expect("in time") {
            Some(Ok(Message::Text(t))) if t.contains(r#""left""#) => break,
            Some(Ok(_)) => {}
            other => panic!("bob's socket: {other:?}"),
        }
    }
    let (_, _, body) = http_get(&url, "/metrics", "").await;
    let body = String::from_utf8_lossy(&body);
    assert_eq!(gauge(&body, "qkdlab_fiber_pending_pulses"), 0, "{body}");
    assert_eq!(gauge(&body, "qkdlab_rooms"), 0, "{body}");
}

#[tokio::test]
async fn a_chat_flood_and_a_byte_flood_close_the_sender_with_their_reasons() {
    let url = start().await;
    let (mut a, _b, _room) = room_with_bob(&url).await;
    let chat = json!({ "type": "chat", "to": "bob", "ct": "hi" }).to_string();
    for _ in 0..100 {
        if a.send(Message::text(chat.clone())).await.is_err() {
            break;
        }
    }
    let (code, reason) = close_of(&mut a).await;
    assert_eq!((code, reason.contains("chat messages per second")), (1008, true), "{reason}");
    // Bob, reading, sends 8 MiB frames as fast as he can: closed at 32 MiB in a second.
    let (_a2, mut b2, _room2) = room_with_bob(&url).await;
    let mut frame = vec![1u8, Kind::Sift.byte(), 1, 0, 0, 0, 0];
    frame.resize(MAX_FRAME_BYTES - 16, 0);
    for _ in 0..6 {
        if b2.send(Message::binary(frame.clone())).await.is_err() {
            break;
        }
    }
    let (code, reason) = close_of(&mut b2).await;
    assert_eq!((code, reason.contains("MiB per second")), (1008, true), "{reason}");
}
