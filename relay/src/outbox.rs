//! A connection's outgoing queue, bounded in bytes: per connection and across the relay.
//!
//! Every queued message holds permits for its size (plus a fixed overhead) from two semaphores,
//! the connection's and the relay's, until the send task has written it. A message that does
//! not fit means the connection is not reading: it is closed with a reason (its room is told
//! it left), and nothing more is queued for it. So the relay's queued bytes never exceed
//! [`MAX_QUEUED_BYTES`], and one connection's never exceed [`MAX_QUEUED_BYTES_PER_CONNECTION`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};

use crate::limits::{MAX_QUEUED_BYTES, MAX_QUEUED_BYTES_PER_CONNECTION};

/// Bytes charged per queued message on top of its payload (its bookkeeping).
const OVERHEAD: usize = 64;

/// What the relay sends a connection.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// A protocol frame.
    Binary(Vec<u8>),
    /// A JSON control message.
    Text(String),
    /// Close with an RFC 6455 code and a reason (cut to 123 bytes on a character boundary).
    Close(u16, String),
}

impl Outgoing {
    fn cost(&self) -> usize {
        OVERHEAD
            + match self {
                Self::Binary(b) => b.len(),
                Self::Text(t) => t.len(),
                Self::Close(_, r) => r.len(),
            }
    }
}

/// A message on its way, with the permits it holds until written.
pub struct Queued {
    /// The message.
    pub msg: Outgoing,
    _permits: Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)>,
}

/// The relay-wide byte budget shared by every connection's queue.
#[derive(Clone)]
pub struct Budget(Arc<Semaphore>);

impl Default for Budget {
    fn default() -> Self {
        Self(Arc::new(Semaphore::new(MAX_QUEUED_BYTES)))
    }
}

impl Budget {
    /// Bytes queued across the relay now.
    pub fn queued(&self) -> usize {
        MAX_QUEUED_BYTES - self.0.available_permits()
    }
}

/// The sending half of a connection's queue (cheap to clone).
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Queued>,
    mine: Arc<Semaphore>,
    all: Budget,
    closed: Arc<AtomicBool>,
    notify: Arc<Notify>,
}

impl Outbox {
    /// A queue drawing on the relay's budget `all`; the receiver goes to the send task.
    pub fn new(all: &Budget) -> (Self, mpsc::UnboundedReceiver<Queued>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let outbox = Self {
            tx,
            mine: Arc::new(Semaphore::new(MAX_QUEUED_BYTES_PER_CONNECTION)),
            all: all.clone(),
            closed: Arc::new(AtomicBool::new(false)),
            notify: Arc::new(Notify::new()),
        };
        (outbox, rx)
    }

    /// Queues `msg` within the budgets. When it does not fit, the connection is closed (the
    /// reader is too slow) and `false` is returned; a closed queue takes nothing more.
    pub fn send(&self, msg: Outgoing) -> bool {
        if self.closed.load(Ordering::Acquire) {
            return false;
        }
        let cost = u32::try_from(msg.cost()).unwrap_or(u32::MAX);
        let permits = self
            .mine
            .clone()
            .try_acquire_many_owned(cost)
            .ok()
            .and_then(|m| self.all.0.clone().try_acquire_many_owned(cost).ok().map(|a| (m, a)));
        match permits {
            Some(p) => self.tx.send(Queued { msg, _permits: Some(p) }).is_ok(),
            None => {
                let mb = MAX_QUEUED_BYTES_PER_CONNECTION >> 20;
                self.close(1008, &format!("not reading: more than {mb} MiB waited for this connection"));
                false
            }
        }
    }

    /// Closes the connection with `code` and `reason` (queued past the budget: it is small).
    pub fn close(&self, code: u16, reason: &str) {
        if !self.closed.swap(true, Ordering::AcqRel) {
            let _ = self.tx.send(Queued { msg: Outgoing::Close(code, short_reason(reason)), _permits: None });
            self.notify.notify_one();
        }
    }

    /// Resolves once the queue was closed (so the receive loop stops too).
    pub async fn closed(&self) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        self.notify.notified().await;
    }
}

/// A close reason that fits RFC 6455's 123 bytes, cut on a character boundary.
pub fn short_reason(reason: &str) -> String {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_cut_to_123_bytes_on_a_character_boundary() {
        let long = "é".repeat(100);
        let r = short_reason(&long);
        assert!(r.len() <= 123 && r.len() % 2 == 0, "{}", r.len());
        assert_eq!(short_reason("short"), "short");
    }

    #[tokio::test]
    async fn a_queue_that_is_not_drained_closes_instead_of_growing() {
        let all = Budget::default();
        let (outbox, mut rx) = Outbox::new(&all);
        let frame = vec![0u8; 1 << 20];
        let mut sent = 0;
        while outbox.send(Outgoing::Binary(frame.clone())) {
            sent += 1;
        }
        assert!(sent * (1 << 20) <= MAX_QUEUED_BYTES_PER_CONNECTION);
        assert!(all.queued() <= MAX_QUEUED_BYTES_PER_CONNECTION);
        outbox.closed().await;
        assert!(!outbox.send(Outgoing::Text("more".into())), "a closed queue takes nothing");
        // The queue ends with the close, and draining it gives the budget back.
        let mut last = None;
        while let Ok(q) = rx.try_recv() {
            last = Some(q.msg);
        }
        assert!(matches!(last, Some(Outgoing::Close(1008, ref r)) if r.contains("not reading")));
        assert_eq!(all.queued(), 0);
    }
}
