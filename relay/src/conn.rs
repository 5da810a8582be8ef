//! One WebSocket connection: a send task draining the member's queue, and a receive loop that
//! joins a room, enforces the limits and routes frames.

use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::{SinkExt, StreamExt};
use qkdlab::quantum::{Attack, ChannelSpec, InterceptResend};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::limits::{
    MAX_BYTES_PER_SECOND, MAX_FRAME_BYTES, MAX_MESSAGES_PER_SECOND, MAX_TEXT_BYTES, MAX_TEXTS_PER_SECOND,
};
use crate::outbox::{Outbox, Outgoing};
use crate::room::{Mitm, Role, eve_basis};

/// Close codes (RFC 6455, 7.4.1): a normal close, a policy violation, a message too big, and
/// "try again later" (the relay is full).
const NORMAL: u16 = 1000;
const POLICY: u16 = 1008;
const TOO_BIG: u16 = 1009;
const TRY_LATER: u16 = 1013;

/// The close code for a refusal.
fn code_for(reason: &str) -> u16 {
    if reason.contains("relay is full") { TRY_LATER } else { POLICY }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Join {
    r#type: String,
    role: String,
    room: Option<String>,
    #[serde(default)]
    channel: ChannelSpec,
    /// "intercept-resend" (default), "pns" or "blinding".
    attack: Option<String>,
    intercept_fraction: Option<f64>,
    basis: Option<String>,
    /// `false`/`"off"`, `true`/`"on"` (frames pass through Eve), or `"full"` (Eve cuts the link).
    #[serde(default)]
    mitm: serde_json::Value,
}

/// Serves one connection until it closes or breaks a limit.
pub async fn run(socket: WebSocket, state: AppState, ip: std::net::IpAddr, _admitted: crate::admission::Admitted) {
    let (mut sink, mut stream) = socket.split();
    let (tx, rx) = Outbox::new(&state.budget);
    let sender = tokio::spawn(async move {
        while let Some(queued) = rx.recv().await {
            let (msg, last) = match queued.msg {
                Outgoing::Binary(b) => (Message::Binary(b.into()), false),
                Outgoing::Text(t) => (Message::Text(t.into()), false),
                Outgoing::Close(code, reason) => {
                    (Message::Close(Some(CloseFrame { code, reason: reason.into() })), true)
                }
            };
            // The permits are given back only once the message is written (or dropped).
            let sent = sink.send(msg).await;
            if last {
                // Flushes a close handshake in progress (the reply to a peer's close frame is
                // written here when the close above was refused as a second close).
                let _ = sink.close().await;
            }
            if sent.is_err() || last {
                break;
            }
        }
    });

    tx.set_sender(sender.abort_handle());
    let conn = state.rooms.connection_id();
    state.metrics.connections.inc();
    let _open = ConnectionGauge(state.metrics.clone());
    let timeouts = state.timeouts;
    let joined = tokio::time::timeout(timeouts.join, stream.next()).await;
    let membership = match joined {
        Ok(Some(Ok(Message::Text(text)))) => join(&state, conn, ip, &text, &tx),
        Ok(_) => Err("the first message must be a join request".to_string()),
        Err(_) => Err("no join request in time".to_string()),
    };
    let (room, role) = match membership {
        Ok(m) => m,
        Err(reason) => {
            tracing::info!(conn, %reason, "refused");
            state.metrics.refused(&reason);
            // A failed join counts against the address (room ids are not for guessing).
            let reason = state.admission.failed_join(ip).err().unwrap_or(reason);
            tx.close(code_for(&reason), &reason);
            end(&tx, sender).await;
            return;
        }
    };
    tracing::info!(conn, room = %short(&room), role = role.name(), "joined");
    announce(&state, &room);

    // Messages, text messages and bytes in the current second.
    let mut window = (Instant::now(), 0u32, 0u32, 0usize);
    // Progress is a frame or a control message: pings keep nothing open. Alice's room must see
    // its first Hello in time.
    let opened = tokio::time::Instant::now();
    let mut progress = opened;
    let mut started = role != Role::Alice;
    let reason: Option<(u16, String)> = loop {
        let mut deadline = progress + timeouts.idle;
        if !started {
            deadline = deadline.min(opened + timeouts.room_start);
        }
        let next = tokio::select! {
            n = tokio::time::timeout_at(deadline, stream.next()) => n,
            // The send queue was closed (this side does not read): stop here too.
            () = tx.closed() => break None,
        };
        let msg = match next {
            Err(_) if !started && tokio::time::Instant::now() >= opened + timeouts.room_start => {
                break Some((POLICY, "the room did not start in time (no round began)".to_string()));
            }
            Err(_) => break Some((POLICY, "no progress for too long (pings do not count)".to_string())),
            Ok(None) => break None,
            // axum reports a message over the size limit as a read error.
            Ok(Some(Err(e))) => {
                let e = e.to_string();
                let too_big = e.contains("too long") || e.contains("too big") || e.contains("limit");
                break too_big.then(|| (TOO_BIG, format!("messages are limited to {} MiB", MAX_FRAME_BYTES >> 20)));
            }
            Ok(Some(Ok(m))) => m,
        };
        if window.0.elapsed() >= Duration::from_secs(1) {
            window = (Instant::now(), 0, 0, 0);
        }
        window.1 += 1;
        if window.1 > MAX_MESSAGES_PER_SECOND {
            break Some((POLICY, format!("more than {MAX_MESSAGES_PER_SECOND} messages per second")));
        }
        match &msg {
            Message::Text(t) => {
                window.2 += 1;
                window.3 += t.len();
            }
            Message::Binary(b) => window.3 += b.len(),
            _ => {}
        }
        if window.2 > MAX_TEXTS_PER_SECOND {
            break Some((POLICY, format!("more than {MAX_TEXTS_PER_SECOND} control or chat messages per second")));
        }
        if window.3 > MAX_BYTES_PER_SECOND {
            break Some((POLICY, format!("more than {} MiB per second", MAX_BYTES_PER_SECOND >> 20)));
        }
        if matches!(msg, Message::Binary(_) | Message::Text(_)) {
            progress = tokio::time::Instant::now();
        }
        match msg {
            Message::Binary(b) => {
                if !started && qkdlab::msgs::kind(&b) == Ok(qkdlab::msgs::Kind::Hello) {
                    started = true;
                }
                if let Err(reason) = state.rooms.route(&room, role, b.to_vec()) {
                    break Some((code_for(&reason), reason));
                }
            }
            Message::Text(t) => {
                if t.len() > MAX_TEXT_BYTES {
                    break Some((TOO_BIG, format!("text messages are limited to {MAX_TEXT_BYTES} bytes")));
                }
                match relay_text(&t, role, state.rooms.eve_in_middle(&room)) {
                    Ok((to, text)) => match to {
                        Some(to) => state.rooms.send_text(&room, to, text),
                        None => state.rooms.broadcast(&room, Some(role), &text),
                    },
                    Err(reason) => break Some((POLICY, reason)),
                }
            }
            // A clean close: answered with a close frame (the send task writes it, which also
            // flushes the WebSocket layer's own reply), and the room is told below.
            Message::Close(_) => {
                tx.close(NORMAL, "");
                break None;
            }
            Message::Ping(_) | Message::Pong(_) => {}
        }
    };
    if let Some((code, reason)) = &reason {
        tracing::info!(conn, room = %short(&room), role = role.name(), %reason, "closed");
        state.metrics.refused(reason);
        tx.close(*code, reason);
    } else {
        tracing::info!(conn, room = %short(&room), role = role.name(), "left");
    }
    state.rooms.leave(&room, role, conn);
    announce(&state, &room);
    if reason.is_some() {
        // Keep reading (and dropping) what the client still sends until it answers the close
        // or two seconds pass: a socket closed with unread data is reset, and the client would
        // lose the close frame with its code and reason.
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                match stream.next().await {
                    Some(Ok(Message::Close(_))) => break,
                    Some(Ok(_)) => {}
                    // The reader cannot go on (a message over the limit is left unread, which
                    // makes dropping the socket a reset that discards what the client has not
                    // read yet): the client gets the rest of the two seconds to read the close
                    // frame before the socket goes.
                    Some(Err(_)) | None => std::future::pending::<()>().await,
                }
            }
        })
        .await;
    }
    end(&tx, sender).await;
}

/// Lets the send task write what is left (the close frame) for a few seconds, then drops the
/// socket: a peer that does not read holds nothing past that.
async fn end(tx: &Outbox, mut sender: tokio::task::JoinHandle<()>) {
    tx.finish();
    if tokio::time::timeout(Duration::from_secs(5), &mut sender).await.is_err() {
        sender.abort();
    }
}

/// Counts a connection down when it ends, however it ends.
struct ConnectionGauge(std::sync::Arc<crate::metrics::Metrics>);

impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        self.0.connections.dec();
    }
}

/// Room ids are secrets of a sort (the link is the invitation): log only a prefix.
fn short(room: &str) -> &str {
    &room[..room.len().min(6)]
}

fn join(state: &AppState, conn: u64, ip: std::net::IpAddr, text: &str, tx: &Outbox) -> Result<(String, Role), String> {
    let j: Join = serde_json::from_str(text).map_err(|e| format!("bad join request: {e}"))?;
    if j.r#type != "join" {
        return Err("the first message must be a join request".into());
    }
    let role = Role::parse(&j.role).ok_or_else(|| format!("unknown role {:?} (alice, bob, eve or carol)", j.role))?;
    let room = match (role, j.room) {
        (Role::Alice, None) => {
            let channel = j.channel.model().map_err(|e| e.to_string())?;
            state.rooms.create(conn, crate::admission::address_key(ip), channel, tx.clone())?
        }
        (Role::Alice, Some(_)) => return Err("Alice opens a new room; she does not join one".into()),
        (_, None) => return Err("a room id is required".into()),
        (Role::Bob | Role::Carol, Some(id)) => {
            state.rooms.join(&id, role, conn, tx.clone(), None)?;
            id
        }
        (Role::Eve, Some(id)) => {
            let attack = match j.attack.as_deref() {
                None | Some("intercept-resend") => Attack::from(InterceptResend {
                    fraction: j.intercept_fraction.unwrap_or(0.0),
                    basis: eve_basis(j.basis.as_deref())?,
                }),
                Some(other @ ("pns" | "blinding")) if j.intercept_fraction.is_some() || j.basis.is_some() => {
                    return Err(format!("interceptFraction and basis belong to intercept-resend, not {other}"));
                }
                Some("pns") => Attack::PhotonNumberSplitting,
                Some("blinding") => Attack::Blinding,
                Some(other) => return Err(format!("unknown attack {other:?} (intercept-resend, pns or blinding)")),
            };
            let mitm = match &j.mitm {
                serde_json::Value::Null | serde_json::Value::Bool(false) => Mitm::Off,
                serde_json::Value::Bool(true) => Mitm::On,
                serde_json::Value::String(s) if s == "off" => Mitm::Off,
                serde_json::Value::String(s) if s == "on" => Mitm::On,
                serde_json::Value::String(s) if s == "full" => Mitm::Full,
                other => return Err(format!("mitm must be false, true, \"on\" or \"full\", got {other}")),
            };
            if mitm == Mitm::Full && j.attack.as_deref().is_some_and(|a| a != "intercept-resend") {
                return Err("mitm \"full\" cuts the fiber too: no other attack on it beside that".into());
            }
            state.rooms.join(&id, role, conn, tx.clone(), Some((attack, mitm)))?;
            id
        }
    };
    tx.send(Outgoing::Text(json!({ "type": "joined", "room": room, "role": role.name() }).to_string()));
    Ok((room, role))
}

fn announce(state: &AppState, room: &str) {
    let roles: Vec<&str> = state.rooms.roles(room).iter().map(|r| r.name()).collect();
    state.rooms.broadcast(room, None, &json!({ "type": "members", "roles": roles }).to_string());
}

/// Control messages between tabs (chat, abort notices, status): JSON objects with a known
/// `type`, stamped with the sender's role. `to` (optional) addresses one role.
///
/// With Eve in the middle (`eve_in_middle`), a `status` addressed by one party to another goes
/// to her instead (`to` kept), and her status messages may carry `as` (`alice`, `bob` or `carol`): the
/// name they are stamped with. That is what an attacker on the classical channel can do; the
/// parties trust a status only through their own checks (a certificate chain, a vouch, a
/// safety number), never through its `from`.
fn relay_text(text: &str, from: Role, eve_in_middle: bool) -> Result<(Option<Role>, String), String> {
    let mut v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("bad control message: {e}"))?;
    let obj = v.as_object_mut().ok_or("control messages are JSON objects")?;
    let status = match obj.get("type").and_then(|t| t.as_str()) {
        Some("status") => true,
        Some("chat" | "abort") => false,
        other => return Err(format!("unknown control message type {other:?}")),
    };
    let mut to = match obj.get("to") {
        Some(t) => Some(t.as_str().and_then(Role::parse).ok_or("unknown addressee")?),
        None => None,
    };
    let stamp = match obj.remove("as") {
        None => from,
        Some(_) if from != Role::Eve || !eve_in_middle || !status => {
            return Err("only Eve in the middle of the classical channel may send a status under another name".into());
        }
        Some(name) => match name.as_str().and_then(Role::parse) {
            Some(r) if r != Role::Eve => r,
            _ => return Err("\"as\" names alice, bob or carol".into()),
        },
    };
    if status && eve_in_middle && from != Role::Eve && to.is_some_and(|r| r != Role::Eve) {
        to = Some(Role::Eve);
    }
    obj.insert("from".into(), stamp.name().into());
    Ok((to, v.to_string()))
}
