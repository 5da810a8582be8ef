//! `/metrics` in the OpenMetrics text format (prometheus-client): rooms, connections, bytes
//! waiting in send queues, refusals by reason, and rounds ended for lack of fiber room.

use std::sync::atomic::AtomicI64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Why a connection was closed by the relay (a label, not the full reason).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Refusal {
    /// `not_reading`, `too_big`, `idle`, `not_started`, `no_join`, `full`, `policy`.
    pub reason: String,
}

/// Which pulse budget a round ended on (`busy`): the relay-wide one or one address's share.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BusyBudget {
    /// `relay` or `address`.
    pub budget: String,
}

/// Rounds ended by `busy`, by budget. The rooms count them; a clone shares the counts.
pub type BusyRounds = Family<BusyBudget, Counter>;

/// The gauges read at exposition time.
pub struct Now {
    /// Open rooms.
    pub rooms: usize,
    /// Bytes in send queues.
    pub queued: usize,
    /// Open TCP connections.
    pub sockets: usize,
    /// Pulses the fibers hold.
    pub pending_pulses: usize,
}

/// The relay's metrics.
pub struct Metrics {
    registry: Registry,
    /// Open WebSocket connections.
    pub connections: Gauge<i64, AtomicI64>,
    rooms: Gauge<i64, AtomicI64>,
    queued: Gauge<i64, AtomicI64>,
    sockets: Gauge<i64, AtomicI64>,
    pending: Gauge<i64, AtomicI64>,
    refusals: Family<Refusal, Counter>,
}

impl Metrics {
    /// The metrics, with the rooms' count of busy rounds.
    pub fn new(busy: BusyRounds) -> Self {
        let mut registry = Registry::with_prefix("qkdlab");
        let connections = Gauge::<i64, AtomicI64>::default();
        let rooms = Gauge::<i64, AtomicI64>::default();
        let queued = Gauge::<i64, AtomicI64>::default();
        let sockets = Gauge::<i64, AtomicI64>::default();
        let pending = Gauge::<i64, AtomicI64>::default();
        let refusals = Family::<Refusal, Counter>::default();
        registry.register("connections", "Open WebSocket connections", connections.clone());
        registry.register("rooms", "Open rooms", rooms.clone());
        registry.register("queued_bytes", "Bytes waiting in send queues", queued.clone());
        registry.register("sockets", "Open TCP connections (HTTP and WebSocket)", sockets.clone());
        registry.register(
            "fiber_pending_pulses",
            "Pulses the fibers hold waiting for their other half",
            pending.clone(),
        );
        registry.register("refusals", "Connections the relay closed, by reason", refusals.clone());
        registry.register("busy_rounds", "Rounds ended because the fibers had no room for a frame, by budget", busy);
        Self { registry, connections, rooms, queued, sockets, pending, refusals }
    }

    /// Counts a connection the relay closed, by the category of its reason.
    pub fn refused(&self, reason: &str) {
        let category = [
            ("not reading", "not_reading"),
            ("limited to", "too_big"),
            ("no progress", "idle"),
            ("did not start", "not_started"),
            ("join", "no_join"),
            ("relay is full", "full"),
        ]
        .iter()
        .find(|(needle, _)| reason.contains(needle))
        .map_or("policy", |(_, c)| c);
        self.refusals.get_or_create(&Refusal { reason: category.into() }).inc();
    }

    /// The text exposition, with the gauges read now.
    pub fn render(&self, now: Now) -> String {
        let set = |g: &Gauge<i64, AtomicI64>, v: usize| g.set(i64::try_from(v).unwrap_or(i64::MAX));
        set(&self.rooms, now.rooms);
        set(&self.queued, now.queued);
        set(&self.sockets, now.sockets);
        set(&self.pending, now.pending_pulses);
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
