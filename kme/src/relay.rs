//! Trusted-node relaying (A - R - B): R holds a QKD link with each site. It takes each key it
//! shares with A, encrypts it with a one-time pad (a key it shares with B, used once) and sends
//! it to B with both ids, authenticated by HMAC-SHA256 under one more R-B key; B removes the pad
//! and files the key under A's id, so A's master SAE and B's slave SAE share it. R sees every
//! key it relays: that is the trust a trusted node needs (ETSI GR QKD 007 and ITU-T Y.3800's
//! key relay), and why it must sit in a secure site too.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::link::Shared;
use crate::store::SiteStore;
use crate::wire;

#[derive(Serialize, Deserialize)]
struct Relayed {
    #[serde(rename = "mac_ID")]
    mac_id: String,
    keys: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    #[serde(rename = "key_ID")]
    key_id: String,
    #[serde(rename = "pad_ID")]
    pad_id: String,
    c: String,
}

fn mac(key: &[u8], msg: &[u8]) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(msg);
    m
}

/// At R: takes every A-R key (up to the R-B keys there are to pad them and one for the tag)
/// and returns the message for B, or `None` with nothing to relay.
pub fn pack(ar: &mut SiteStore, rb: &mut SiteStore) -> std::io::Result<Option<(Vec<u8>, usize)>> {
    let n = ar.stores[0].len().min(rb.stores[0].len().saturating_sub(1));
    if n == 0 {
        return Ok(None);
    }
    let keys = ar.take(0, n)?;
    let mut pads = rb.take(0, n + 1)?;
    let (mac_id, mac_key) = pads.remove(0);
    let entries = keys
        .into_iter()
        .zip(pads)
        .map(|((key_id, k), (pad_id, p))| Entry {
            key_id,
            pad_id,
            c: STANDARD.encode(k.iter().zip(&p).map(|(a, b)| a ^ b).collect::<Vec<u8>>()),
        })
        .collect();
    let body = serde_json::to_vec(&Relayed { mac_id, keys: entries }).map_err(std::io::Error::other)?;
    let mut out = mac(&mac_key, &body).finalize().into_bytes().to_vec();
    out.extend_from_slice(&body);
    Ok(Some((out, n)))
}

/// At B: checks the tag, removes the pads and files the keys for B's SAEs; returns how many.
/// A message that fails any check changes nothing.
pub fn receive(pads: &mut SiteStore, served: &mut SiteStore, msg: &[u8]) -> Result<usize, String> {
    if msg.len() < 32 {
        return Err("too short".into());
    }
    let (tag, body) = msg.split_at(32);
    let r: Relayed = serde_json::from_slice(body).map_err(|e| format!("not a relay message: {e}"))?;
    let mut ids = vec![r.mac_id.clone()];
    ids.extend(r.keys.iter().map(|e| e.pad_id.clone()));
    let have = pads.peek(0, &ids).ok_or("a pad or tag key this site does not hold")?;
    mac(&have[0], body).verify_slice(tag).map_err(|_| "the tag does not verify".to_string())?;
    let mut keys = Vec::new();
    for (e, p) in r.keys.iter().zip(&have[1..]) {
        let c = STANDARD.decode(&e.c).map_err(|e| e.to_string())?;
        if c.len() != p.len() {
            return Err("a key and its pad differ in length".into());
        }
        keys.push((e.key_id.clone(), c.iter().zip(p).map(|(a, b)| a ^ b).collect()));
    }
    pads.remove(0, &ids).map_err(|e| e.to_string())?;
    let n = keys.len();
    served.add(0, keys).map_err(|e| e.to_string())?;
    Ok(n)
}

/// R's loop: relays what it can every 300 ms and tells A whether its onward link is up.
pub async fn run(ar: std::sync::Arc<Shared>, rb: std::sync::Arc<Shared>) {
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let onward_up = rb.link.lock().map(|s| s.up).unwrap_or(false);
        ar.outbox
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((wire::PATH, if onward_up { b"up".to_vec() } else { b"down".to_vec() }));
        if !onward_up {
            continue;
        }
        let packed = {
            let mut a = ar.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut b = rb.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            pack(&mut a, &mut b)
        };
        match packed {
            Ok(Some((msg, n))) => {
                eprintln!(
                    "[kme relay] relayed {n} keys from A to B, each under a one-time pad of an R-B key (this node saw them)"
                );
                rb.outbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((wire::RELAY, msg));
            }
            Ok(None) => {}
            Err(e) => eprintln!("[kme relay] the stores could not be written: {e}"),
        }
    }
}
