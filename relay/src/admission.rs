//! Admission control: how many WebSocket connections the relay and one address may hold, and
//! how many failed joins (room-id guesses) one address may make per minute.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::limits::{MAX_CONNECTIONS, MAX_CONNECTIONS_PER_ADDRESS, MAX_FAILED_JOINS_PER_MINUTE};

/// Addresses with failed joins remembered before the stale ones are swept.
const FAILED_JOIN_ADDRESSES: usize = 4096;

struct Counts {
    max_total: usize,
    total: usize,
    per_address: HashMap<IpAddr, usize>,
    failed_joins: HashMap<IpAddr, (Instant, u32)>,
}

/// The relay's connection counts.
#[derive(Clone)]
pub struct Admission(Arc<Mutex<Counts>>);

impl Default for Admission {
    fn default() -> Self {
        Self::new(MAX_CONNECTIONS)
    }
}

/// A connection's place, given back when dropped.
pub struct Admitted {
    admission: Admission,
    ip: IpAddr,
}

impl Admission {
    /// At most `max_total` WebSocket connections at once.
    pub fn new(max_total: usize) -> Self {
        Self(Arc::new(Mutex::new(Counts {
            max_total,
            total: 0,
            per_address: HashMap::new(),
            failed_joins: HashMap::new(),
        })))
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place for a connection from `ip`, or why not.
    pub fn admit(&self, ip: IpAddr) -> Result<Admitted, String> {
        let mut c = self.counts();
        if c.total >= c.max_total {
            return Err(format!("the relay is full ({} connections); try again later", c.max_total));
        }
        let mine = c.per_address.entry(ip).or_default();
        if *mine >= MAX_CONNECTIONS_PER_ADDRESS {
            return Err(format!("at most {MAX_CONNECTIONS_PER_ADDRESS} connections per address"));
        }
        *mine += 1;
        c.total += 1;
        Ok(Admitted { admission: self.clone(), ip })
    }

    /// Counts a failed join from `ip`; refuses when the address guessed too often this minute.
    pub fn failed_join(&self, ip: IpAddr) -> Result<(), String> {
        let mut c = self.counts();
        let now = Instant::now();
        if c.failed_joins.len() >= FAILED_JOIN_ADDRESSES {
            // Many addresses guessing: forget the ones whose minute is over (the map stays
            // bounded by the addresses that failed in the last minute).
            c.failed_joins.retain(|_, (t, _)| now.duration_since(*t) < Duration::from_secs(60));
        }
        let entry = c.failed_joins.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > MAX_FAILED_JOINS_PER_MINUTE {
            return Err(format!("more than {MAX_FAILED_JOINS_PER_MINUTE} failed joins a minute from this address"));
        }
        Ok(())
    }

    /// Whether `ip` is over its failed-join budget this minute.
    pub fn guessing(&self, ip: IpAddr) -> bool {
        let c = self.counts();
        c.failed_joins
            .get(&ip)
            .is_some_and(|(t, n)| t.elapsed() < Duration::from_secs(60) && *n >= MAX_FAILED_JOINS_PER_MINUTE)
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut c = self.admission.counts();
        c.total -= 1;
        if let Some(n) = c.per_address.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.per_address.remove(&self.ip);
            }
        }
    }
}
