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

/// What per-address limits count by: an IPv4 address, or an IPv6 address's /64 (one host
/// usually holds a whole /64, so counting single IPv6 addresses would give it no limit).
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
    }
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
        let ip = address_key(ip);
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
        let ip = address_key(ip);
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
        let ip = address_key(ip);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_by_their_64_prefix_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("v6");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("v6");
        let other: IpAddr = "2001:db8:1:3::1".parse().expect("v6");
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("mapped");
        assert_eq!(address_key(mapped), "192.0.2.7".parse::<IpAddr>().expect("v4"));
        // One /64 shares one address's WebSocket cap.
        let admission = Admission::new(1000);
        let held: Vec<_> = (0..MAX_CONNECTIONS_PER_ADDRESS)
            .map(|i| admission.admit(IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, i as u16))))
            .collect::<Result<_, _>>()
            .expect("under the cap");
        assert!(admission.admit(b).is_err(), "the 65th connection from the same /64 is refused");
        drop(held);
        assert!(admission.admit(b).is_ok());
    }
}
