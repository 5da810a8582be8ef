//! Every limit the relay enforces. A client that breaks one is closed with a reason; other
//! rooms never notice.

use std::time::Duration;

/// Largest WebSocket message (a 1e6-pulse Sift frame is about 190 KiB).
pub const MAX_FRAME_BYTES: usize = 8 << 20;
/// Most rooms open at once (the README's relay section gives the measured memory per room).
pub const MAX_ROOMS: usize = 10_000;
/// Most pulses a room's fiber holds while waiting for measurement settings (2 bits each for
/// photons, 1 for settings): 6 MiB.
pub const MAX_PENDING_PULSES: usize = 1 << 24;
/// Most pulses all fibers together hold (48 MiB of bits): past it a photon or settings frame
/// is refused with "try again later", so the fibers' memory is bounded however many rooms
/// run large rounds at once.
pub const MAX_PENDING_PULSES_TOTAL: usize = 1 << 27;
/// Most pulses the fibers of the rooms opened from one address (an IPv6 /64) hold together: a
/// quarter of the total (two full rounds at once), so one address cannot take the whole
/// budget and turn every other room away.
pub const MAX_PENDING_PULSES_PER_ADDRESS: usize = MAX_PENDING_PULSES_TOTAL / 4;
/// Most WebSocket connections at once when the relay is not sized from its file limit (the
/// binary sizes it: see `ServeLimits::from_file_limit`).
pub const MAX_CONNECTIONS: usize = 900;
/// Sockets kept for plain HTTP requests when the WebSocket cap is derived from the socket cap.
pub const HTTP_HEADROOM: usize = 64;
/// Most WebSocket connections from one address.
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 64;
/// Most failed joins (unknown room, taken role) from one address per minute: room ids are
/// unguessable, and guessing them is refused.
pub const MAX_FAILED_JOINS_PER_MINUTE: u32 = 30;
/// Members of a room: Alice, Bob, at most one Eve and at most one introducer (Carol).
pub const MAX_MEMBERS: usize = 4;
/// A connection that makes no progress (sends no frame or control message: pings do not count)
/// for this long is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(600);
/// A room whose first round has not begun (no Hello from Alice) this long after it opened is
/// closed: a room slot is not for holding.
pub const ROOM_START_TIMEOUT: Duration = Duration::from_secs(900);
/// A connection must join a room this soon after connecting.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(15);
/// Most messages one connection may send per second.
pub const MAX_MESSAGES_PER_SECOND: u32 = 5_000;
/// Most text messages (chat, aborts, status) one connection may send per second: people type
/// slower, and a flood of them is closed before it costs the relay.
pub const MAX_TEXTS_PER_SECOND: u32 = 50;
/// Most bytes one connection may send per second (a 2^24-pulse round's photons are 4 MiB).
pub const MAX_BYTES_PER_SECOND: usize = 32 << 20;
/// Most bytes of a chat or control text message.
pub const MAX_TEXT_BYTES: usize = 64 << 10;
/// Most bytes waiting to be sent to one connection: a reader that falls this far behind is
/// closed ("not reading"), so a peer that never reads cannot grow the relay.
pub const MAX_QUEUED_BYTES_PER_CONNECTION: usize = 32 << 20;
/// Most bytes waiting to be sent across the relay: the bound on every send queue together.
pub const MAX_QUEUED_BYTES: usize = 512 << 20;

/// The timeouts a relay applies (the constants above; tests shorten them).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// See [`IDLE_TIMEOUT`].
    pub idle: Duration,
    /// See [`JOIN_TIMEOUT`].
    pub join: Duration,
    /// See [`ROOM_START_TIMEOUT`].
    pub room_start: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { idle: IDLE_TIMEOUT, join: JOIN_TIMEOUT, room_start: ROOM_START_TIMEOUT }
    }
}
