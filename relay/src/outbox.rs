//! A connection's outgoing queue, bounded in bytes: per connection and across the relay.
//!
//! Every queued message holds permits for its size (plus a fixed overhead) from two semaphores,
//! the connection's and the relay's, until the send task has written it. A connection whose
//! own queue is full is not reading: it is closed with a reason, its queue is dropped at once
//! (giving its bytes back) and nothing more is queued for it. When the relay's budget runs out,
//! the connection with the longest queue gives way, not the one that happens to send next, so
//! readers that do not read cannot starve healthy rooms. The relay's queued bytes never exceed
//! [`MAX_QUEUED_BYTES`], and one connection's never exceed [`MAX_QUEUED_BYTES_PER_CONNECTION`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use crate::limits::{MAX_QUEUED_BYTES, MAX_QUEUED_BYTES_PER_CONNECTION};

/// Bytes charged per queued message on top of its payload (its bookkeeping).
const OVERHEAD: usize = 64;
/// A queue this short is never made to give way for another, and may draw on the reserve when
/// the relay's budget is spent: a healthy reader keeps its place.
const FAIR_SHARE: usize = 1 << 20;
/// Bytes set aside for short queues when the relay's budget is spent (on top of it).
const RESERVE: usize = 64 << 20;

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

/// One connection's queue, shared by its senders and its send task.
struct Shared {
    queue: Mutex<VecDeque<Queued>>,
    mine: Arc<Semaphore>,
    closed: AtomicBool,
    finished: AtomicBool,
    /// Wakes the send task.
    wake: Notify,
    /// Wakes the receive loop when the queue is closed.
    on_close: Notify,
    /// The send task, stopped at once when the peer is found not reading (what it is writing
    /// then gives its bytes back too).
    sender: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Shared {
    fn queue(&self) -> std::sync::MutexGuard<'_, VecDeque<Queued>> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn queued(&self) -> usize {
        MAX_QUEUED_BYTES_PER_CONNECTION - self.mine.available_permits()
    }

    /// Drops what waits (its bytes go back at once) and queues the close frame alone.
    fn close(&self, code: u16, reason: &str) {
        if !self.closed.swap(true, Ordering::AcqRel) {
            let dropped: VecDeque<Queued> = {
                let mut q = self.queue();
                let old = std::mem::take(&mut *q);
                q.push_back(Queued { msg: Outgoing::Close(code, short_reason(reason)), _permits: None });
                old
            };
            drop(dropped);
            self.wake.notify_one();
            self.on_close.notify_one();
        }
    }

    /// Closes a peer that does not read when the relay needs its bytes: its send task stops at
    /// once (the close frame would not get through a full socket anyway), so every byte it held
    /// comes back.
    fn close_stalled(&self, reason: &str) {
        self.close(1008, reason);
        if let Some(task) = self.sender.lock().unwrap_or_else(|p| p.into_inner()).take() {
            task.abort();
        }
    }
}

/// The relay-wide byte budget shared by every connection's queue, and the queues drawing on it
/// (to find the longest when it runs out).
#[derive(Clone)]
pub struct Budget {
    all: Arc<Semaphore>,
    reserve: Arc<Semaphore>,
    queues: Arc<Mutex<Vec<Weak<Shared>>>>,
}

impl Default for Budget {
    fn default() -> Self {
        Self::new(MAX_QUEUED_BYTES)
    }
}

impl Budget {
    /// A budget of `bytes` across the relay.
    pub fn new(bytes: usize) -> Self {
        Self {
            all: Arc::new(Semaphore::new(bytes)),
            reserve: Arc::new(Semaphore::new(RESERVE)),
            queues: Arc::default(),
        }
    }

    /// Bytes queued across the relay now.
    pub fn queued(&self) -> usize {
        let queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        queues.iter().filter_map(Weak::upgrade).map(|q| q.queued()).sum()
    }

    fn register(&self, q: &Arc<Shared>) {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        if queues.len() >= 64 && queues.len().is_power_of_two() {
            queues.retain(|w| w.strong_count() > 0);
        }
        queues.push(Arc::downgrade(q));
    }

    /// The open queue holding the most bytes, if it holds more than a fair share.
    fn longest(&self) -> Option<Arc<Shared>> {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        queues.retain(|w| w.strong_count() > 0);
        queues
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|q| !q.closed.load(Ordering::Acquire))
            .max_by_key(|q| q.queued())
            .filter(|q| q.queued() > FAIR_SHARE)
    }
}

/// The sending half of a connection's queue (cheap to clone).
#[derive(Clone)]
pub struct Outbox {
    shared: Arc<Shared>,
    budget: Budget,
}

/// The send task's half: takes messages in order.
pub struct Inbox(Arc<Shared>);

impl Inbox {
    /// The next message; `None` once the connection is finished and the queue is empty.
    pub async fn recv(&self) -> Option<Queued> {
        loop {
            if let Some(q) = self.0.queue().pop_front() {
                return Some(q);
            }
            if self.0.finished.load(Ordering::Acquire) {
                return None;
            }
            self.0.wake.notified().await;
        }
    }
}

impl Outbox {
    /// A queue drawing on the relay's `budget`; the inbox goes to the send task.
    pub fn new(budget: &Budget) -> (Self, Inbox) {
        let shared = Arc::new(Shared {
            queue: Mutex::default(),
            mine: Arc::new(Semaphore::new(MAX_QUEUED_BYTES_PER_CONNECTION)),
            closed: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            wake: Notify::new(),
            on_close: Notify::new(),
            sender: Mutex::new(None),
        });
        budget.register(&shared);
        (Self { shared: shared.clone(), budget: budget.clone() }, Inbox(shared))
    }

    /// Queues `msg` within the budgets. When it does not fit, the connection (or, when the
    /// relay's budget is spent, the one with the longest queue) is closed as not reading;
    /// returns whether `msg` was queued.
    pub fn send(&self, msg: Outgoing) -> bool {
        if self.shared.closed.load(Ordering::Acquire) {
            return false;
        }
        let cost = u32::try_from(msg.cost()).unwrap_or(u32::MAX);
        let Ok(mine) = self.shared.mine.clone().try_acquire_many_owned(cost) else {
            let mb = MAX_QUEUED_BYTES_PER_CONNECTION >> 20;
            // Its own cap: the close frame still gets its chance (the connection's end waits a few
            // seconds for the send task); only under the relay-wide squeeze is the task stopped
            // at once.
            self.close(1008, &format!("not reading: more than {mb} MiB waited for this connection"));
            return false;
        };
        let Some(all) = self.relay_permits(cost) else {
            self.shared.close_stalled("not reading: the relay's send budget is spent and this queue is long");
            return false;
        };
        self.shared.queue().push_back(Queued { msg, _permits: Some((mine, all)) });
        self.shared.wake.notify_one();
        true
    }

    /// Permits from the relay's budget. When it is spent, the longest queues (past a fair
    /// share) give way, longest first; a short queue may then draw on the reserve.
    fn relay_permits(&self, cost: u32) -> Option<OwnedSemaphorePermit> {
        loop {
            if let Ok(p) = self.budget.all.clone().try_acquire_many_owned(cost) {
                return Some(p);
            }
            match self.budget.longest() {
                Some(hog) if !Arc::ptr_eq(&hog, &self.shared) => {
                    hog.close_stalled("not reading: the longest queue when the relay's send budget ran out");
                }
                _ => break,
            }
        }
        let short = self.shared.queued() + cost as usize <= FAIR_SHARE;
        short.then(|| self.budget.reserve.clone().try_acquire_many_owned(cost).ok()).flatten()
    }

    /// The send task, stopped at once if the peer turns out not to read.
    pub fn set_sender(&self, task: tokio::task::AbortHandle) {
        *self.shared.sender.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
    }

    /// Closes the connection with `code` and `reason`: what waits is dropped, and the close
    /// frame goes out alone.
    pub fn close(&self, code: u16, reason: &str) {
        self.shared.close(code, reason);
    }

    /// The connection is over: the send task ends once the queue is empty.
    pub fn finish(&self) {
        self.shared.finished.store(true, Ordering::Release);
        self.shared.wake.notify_one();
    }

    /// Resolves once the queue was closed (so the receive loop stops too).
    pub async fn closed(&self) {
        if self.shared.closed.load(Ordering::Acquire) {
            return;
        }
        self.shared.on_close.notified().await;
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
        assert!(r.len() <= 123 && r.len().is_multiple_of(2), "{}", r.len());
        assert_eq!(short_reason("short"), "short");
    }

    #[tokio::test]
    async fn a_queue_that_is_not_drained_closes_and_gives_its_bytes_back_at_once() {
        let all = Budget::default();
        let (outbox, inbox) = Outbox::new(&all);
        let frame = vec![0u8; 1 << 20];
        let mut sent = 0;
        while outbox.send(Outgoing::Binary(frame.clone())) {
            sent += 1;
        }
        assert!(sent * (1 << 20) <= MAX_QUEUED_BYTES_PER_CONNECTION);
        outbox.closed().await;
        assert!(!outbox.send(Outgoing::Text("more".into())), "a closed queue takes nothing");
        assert_eq!(all.queued(), 0, "the unread frames were dropped with the close");
        let q = inbox.recv().await.expect("the close frame");
        assert!(matches!(q.msg, Outgoing::Close(1008, ref r) if r.contains("not reading")));
        outbox.finish();
        assert!(inbox.recv().await.is_none());
    }

    #[tokio::test]
    async fn when_the_relay_budget_runs_out_the_longest_queue_gives_way() {
        let all = Budget::new(8 << 20);
        let (hog, _hog_inbox) = Outbox::new(&all);
        let (healthy, healthy_inbox) = Outbox::new(&all);
        while hog.send(Outgoing::Binary(vec![0u8; 1 << 20])) {}
        // The hog filled the relay's budget (its own cap is larger) and was then closed as the
        // longest queue when it asked for more.
        assert_eq!(all.queued(), 0);
        assert!(healthy.send(Outgoing::Text("a small message".into())));
        let refill = Outbox::new(&all).0;
        while refill.send(Outgoing::Binary(vec![0u8; 1 << 20])) {}
        // Another hog fills the budget; the healthy queue's next message still goes through,
        // and the hog is the one closed.
        assert!(healthy.send(Outgoing::Binary(vec![0u8; 1 << 10])), "the healthy reader keeps its place");
        assert!(!refill.send(Outgoing::Text("x".into())), "the hog was closed");
        assert!(matches!(healthy_inbox.recv().await.map(|q| q.msg), Some(Outgoing::Text(_))));
    }
}
