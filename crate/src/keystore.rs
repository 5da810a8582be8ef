//! Key delivery in the shape of ETSI GS QKD 014 V1.1.1 ("Protocol and data format of REST-based
//! key delivery API"): a key management entity (KME) per site holds the keys its QKD link made
//! and hands them to secure application entities (SAEs). The master SAE asks its KME for keys
//! (`enc_keys`) and tells the slave SAE their ids; the slave SAE fetches the same keys from its
//! own KME by id (`dec_keys`). A delivered key leaves the store.
//!
//! Both stores cut each round's key material into blocks of `key_size` bits in the same order,
//! and name each block with a UUID derived from public data (the round's label and the block's
//! index), so the two sites agree on every id without talking.

use std::collections::VecDeque;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::bits::BitVec;

/// A store's fixed description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStoreConfig {
    /// This KME's id.
    pub source_kme_id: String,
    /// The peer KME's id.
    pub target_kme_id: String,
    /// The SAE that requests keys (`enc_keys`).
    pub master_sae_id: String,
    /// The SAE that fetches them by id (`dec_keys`).
    pub slave_sae_id: String,
    /// Bits per key (a multiple of 8).
    pub key_size: usize,
    /// Most keys the store holds; material beyond it is dropped.
    pub max_key_count: usize,
    /// Most keys per `enc_keys` request.
    pub max_key_per_request: usize,
}

impl Default for KeyStoreConfig {
    fn default() -> Self {
        Self {
            source_kme_id: "KME_A".into(),
            target_kme_id: "KME_B".into(),
            master_sae_id: "SAE_A".into(),
            slave_sae_id: "SAE_B".into(),
            key_size: 256,
            max_key_count: 100_000,
            max_key_per_request: 128,
        }
    }
}

/// The spec's Status data format (section 6.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(non_snake_case, missing_docs)]
pub struct Status {
    pub source_KME_ID: String,
    pub target_KME_ID: String,
    pub master_SAE_ID: String,
    pub slave_SAE_ID: String,
    pub key_size: usize,
    pub stored_key_count: usize,
    pub max_key_count: usize,
    pub max_key_per_request: usize,
    pub max_key_size: usize,
    pub min_key_size: usize,
    pub max_SAE_ID_count: usize,
}

/// One key of a Key container (section 6.3): UUID id and base64 key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(non_snake_case, missing_docs)]
pub struct Key {
    pub key_ID: String,
    pub key: String,
}

/// The spec's Key container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyContainer {
    /// The keys.
    pub keys: Vec<Key>,
}

/// The spec's Error data format (section 6.5) with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EtsiError {
    /// HTTP status: 400 (bad request), 401 (unauthorized SAE), 503 (server error).
    #[serde(skip)]
    pub status: u16,
    /// What went wrong.
    pub message: String,
    /// More about it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<serde_json::Value>,
}

/// The spec's Key request (section 6.2, the GET form's parameters): `number` and `size`
/// (bits), both optional.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    /// Keys asked for (default 1).
    pub number: Option<f64>,
    /// Bits per key (default the store's key size).
    pub size: Option<f64>,
}

impl KeyRequest {
    /// `(number, size)` as whole numbers, or the spec's 400.
    pub fn counts(&self) -> Result<(Option<usize>, Option<usize>), EtsiError> {
        let whole = |v: Option<f64>| match v {
            None => Ok(None),
            Some(x) if x.is_finite() && x.fract() == 0.0 && x >= 0.0 => Ok(Some(x as usize)),
            Some(x) => Err(bad_request(
                "number and size shall be non-negative integers",
                serde_json::json!({ "value": x.to_string() }),
            )),
        };
        Ok((whole(self.number)?, whole(self.size)?))
    }
}

/// The spec's Key IDs (section 6.4): `{ key_IDs: [{ key_ID }] }`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[allow(non_snake_case, missing_docs)]
pub struct KeyIds {
    pub key_IDs: Vec<KeyIdRef>,
}

/// One id of [`KeyIds`].
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[allow(non_snake_case, missing_docs)]
pub struct KeyIdRef {
    pub key_ID: String,
}

impl KeyIds {
    /// The ids, in order.
    pub fn ids(&self) -> Vec<String> {
        self.key_IDs.iter().map(|k| k.key_ID.clone()).collect()
    }
}

fn bad_request(message: impl Into<String>, detail: serde_json::Value) -> EtsiError {
    EtsiError { status: 400, message: message.into(), details: vec![detail] }
}

fn unauthorized(sae: &str) -> EtsiError {
    EtsiError {
        status: 401,
        message: "Unauthorized".into(),
        details: vec![serde_json::json!({ "message": format!("SAE {sae:?} is not the one this key stream is for") })],
    }
}

/// One site's key store.
///
/// ```
/// use qkdlab::BitVec;
/// use qkdlab::keystore::{KeyStore, KeyStoreConfig};
///
/// // Both sites add the same key material under the same label, so they agree on every id.
/// let material = BitVec::from_bools(&[true; 1024]);
/// let (mut a, mut b) = (KeyStore::new(KeyStoreConfig::default())?, KeyStore::new(KeyStoreConfig::default())?);
/// assert_eq!((a.add(&material, "round 1"), b.add(&material, "round 1")), (4, 4));
/// let cfg = KeyStoreConfig::default();
/// let sent = a.enc_keys(&cfg.slave_sae_id, Some(1), None).expect("a key");
/// let ids: Vec<String> = sent.keys.iter().map(|k| k.key_ID.clone()).collect();
/// let got = b.dec_keys(&cfg.master_sae_id, &ids).expect("the same key by id");
/// assert_eq!(sent, got);
/// // A delivered key leaves the store; an unknown SAE gets the spec's 401.
/// assert_eq!(a.status(&cfg.slave_sae_id).expect("status").stored_key_count, 3);
/// assert_eq!(a.enc_keys("someone else", Some(1), None).map_err(|e| e.status), Err(401));
/// # Ok::<(), qkdlab::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct KeyStore {
    config: KeyStoreConfig,
    keys: VecDeque<(String, Vec<u8>)>,
}

/// The UUID (version 4 layout) of block `index` of the material labelled `label`.
pub fn key_id(label: &str, index: u64) -> String {
    let mut h = Sha256::new();
    h.update(b"qkdlab key id");
    h.update(label.as_bytes());
    h.update(index.to_be_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h.finalize()[..16]);
    uuid::Builder::from_random_bytes(b).into_uuid().hyphenated().to_string()
}

impl KeyStore {
    /// An empty store. `key_size` must be a positive multiple of 8.
    pub fn new(config: KeyStoreConfig) -> Result<Self, crate::Error> {
        if config.key_size == 0 || !config.key_size.is_multiple_of(8) {
            return Err(crate::Error::invalid(
                "keySize",
                format!("must be a positive multiple of 8, got {}", config.key_size),
            ));
        }
        Ok(Self { config, keys: VecDeque::new() })
    }

    /// Cuts `material` into keys of `key_size` bits (a shorter tail is dropped) and stores them
    /// under ids derived from `label`. Returns how many keys were stored.
    pub fn add(&mut self, material: &BitVec, label: &str) -> usize {
        let size = self.config.key_size;
        let mut added = 0;
        for (i, start) in (0..material.len()).step_by(size).enumerate() {
            if start + size > material.len() || self.keys.len() >= self.config.max_key_count {
                break;
            }
            let bits = BitVec::from_bools(&(start..start + size).map(|j| material.get(j)).collect::<Vec<_>>());
            self.keys.push_back((key_id(label, i as u64), bits.to_bytes()));
            added += 1;
        }
        added
    }

    /// The store's description.
    pub fn config(&self) -> &KeyStoreConfig {
        &self.config
    }

    /// Takes every key out, in order (a key manager moving a link's keys into its own store).
    pub fn take_all(&mut self) -> Vec<(String, Vec<u8>)> {
        self.keys.drain(..).collect()
    }

    /// Appends keys taken from another store or from disk, up to `max_key_count`; returns how
    /// many were kept.
    pub fn extend(&mut self, keys: impl IntoIterator<Item = (String, Vec<u8>)>) -> usize {
        let room = self.config.max_key_count.saturating_sub(self.keys.len());
        let before = self.keys.len();
        self.keys.extend(keys.into_iter().take(room));
        self.keys.len() - before
    }

    /// The keys, in order (for a key manager's own persistence).
    pub fn keys(&self) -> impl Iterator<Item = &(String, Vec<u8>)> {
        self.keys.iter()
    }

    /// An empty store with the same description.
    pub fn empty_like(&self) -> Self {
        Self { config: self.config.clone(), keys: VecDeque::new() }
    }

    /// Keys stored.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The ids stored, in order.
    pub fn ids(&self) -> Vec<String> {
        self.keys.iter().map(|(id, _)| id.clone()).collect()
    }

    /// `GET /api/v1/keys/{slave_SAE_ID}/status`, asked by the master SAE.
    pub fn status(&self, slave_sae_id: &str) -> Result<Status, EtsiError> {
        if slave_sae_id != self.config.slave_sae_id {
            return Err(unauthorized(slave_sae_id));
        }
        let c = &self.config;
        Ok(Status {
            source_KME_ID: c.source_kme_id.clone(),
            target_KME_ID: c.target_kme_id.clone(),
            master_SAE_ID: c.master_sae_id.clone(),
            slave_SAE_ID: c.slave_sae_id.clone(),
            key_size: c.key_size,
            stored_key_count: self.keys.len(),
            max_key_count: c.max_key_count,
            max_key_per_request: c.max_key_per_request,
            max_key_size: c.key_size,
            min_key_size: c.key_size,
            max_SAE_ID_count: 0,
        })
    }

    /// `POST /api/v1/keys/{slave_SAE_ID}/enc_keys`: `number` keys (default 1) of `size` bits
    /// (default `key_size`; this store serves only that size), removed from the store.
    pub fn enc_keys(
        &mut self,
        slave_sae_id: &str,
        number: Option<usize>,
        size: Option<usize>,
    ) -> Result<KeyContainer, EtsiError> {
        if slave_sae_id != self.config.slave_sae_id {
            return Err(unauthorized(slave_sae_id));
        }
        let number = number.unwrap_or(1);
        let size = size.unwrap_or(self.config.key_size);
        if !size.is_multiple_of(8) {
            return Err(bad_request("size shall be a multiple of 8", serde_json::json!({ "size": size })));
        }
        if size != self.config.key_size {
            return Err(bad_request(
                format!("size shall be between min_key_size and max_key_size ({})", self.config.key_size),
                serde_json::json!({ "size": size }),
            ));
        }
        if number == 0 || number > self.config.max_key_per_request {
            return Err(bad_request(
                format!("number shall be between 1 and max_key_per_request ({})", self.config.max_key_per_request),
                serde_json::json!({ "number": number }),
            ));
        }
        if number > self.keys.len() {
            // ETSI GS QKD 014, table 2: 503, an error on the server side (the request was fine).
            return Err(EtsiError {
                status: 503,
                message: "Not enough key material: wait for more QKD rounds".into(),
                details: vec![serde_json::json!({ "stored_key_count": self.keys.len(), "number": number })],
            });
        }
        Ok(KeyContainer {
            keys: self.keys.drain(..number).map(|(id, k)| Key { key_ID: id, key: STANDARD.encode(k) }).collect(),
        })
    }

    /// Whether `master_sae_id` may fetch from this store.
    pub fn dec_check(&self, master_sae_id: &str) -> Result<(), EtsiError> {
        if master_sae_id != self.config.master_sae_id {
            return Err(unauthorized(master_sae_id));
        }
        Ok(())
    }

    fn check_ids(&self, master_sae_id: &str, key_ids: &[String]) -> Result<(), EtsiError> {
        self.dec_check(master_sae_id)?;
        if key_ids.is_empty() {
            return Err(bad_request("key_IDs shall not be empty", serde_json::json!({})));
        }
        if key_ids.len() > self.config.max_key_per_request {
            return Err(bad_request(
                format!("at most max_key_per_request ({}) key_IDs per request", self.config.max_key_per_request),
                serde_json::json!({ "count": key_ids.len() }),
            ));
        }
        let unknown: Vec<&String> = key_ids.iter().filter(|id| !self.keys.iter().any(|(k, _)| k == *id)).collect();
        if !unknown.is_empty() {
            return Err(bad_request("key not found", serde_json::json!({ "key_IDs": unknown })));
        }
        Ok(())
    }

    /// The keys with these ids, left in the store (not part of ETSI 014): for checking a
    /// message's authenticity before spending its keys with [`Self::dec_keys`].
    pub fn peek_keys(&self, master_sae_id: &str, key_ids: &[String]) -> Result<KeyContainer, EtsiError> {
        self.check_ids(master_sae_id, key_ids)?;
        let keys = key_ids
            .iter()
            .filter_map(|id| self.keys.iter().find(|(k, _)| k == id))
            .map(|(k, bytes)| Key { key_ID: k.clone(), key: STANDARD.encode(bytes) })
            .collect();
        Ok(KeyContainer { keys })
    }

    /// `POST /api/v1/keys/{master_SAE_ID}/dec_keys`, asked by the slave SAE: the keys with these
    /// ids, removed from the store. Any unknown id refuses the whole request.
    pub fn dec_keys(&mut self, master_sae_id: &str, key_ids: &[String]) -> Result<KeyContainer, EtsiError> {
        self.check_ids(master_sae_id, key_ids)?;
        let mut keys = Vec::with_capacity(key_ids.len());
        for id in key_ids {
            if let Some(pos) = self.keys.iter().position(|(k, _)| k == id)
                && let Some((k, bytes)) = self.keys.remove(pos)
            {
                keys.push(Key { key_ID: k, key: STANDARD.encode(bytes) });
            }
        }
        Ok(KeyContainer { keys })
    }
}

/// Of a site's two stores (`[A->B, B->A]`), the one whose slave SAE is `slave` (ETSI "Get
/// status", "Get key"); the spec's 401 if neither has it.
pub fn for_slave<'a>(stores: &'a mut [KeyStore; 2], slave: &str) -> Result<&'a mut KeyStore, EtsiError> {
    let i = usize::from(stores[0].status(slave).is_err());
    stores[i].status(slave)?;
    Ok(&mut stores[i])
}

/// Of a site's two stores, the one whose master SAE is `master` (ETSI "Get key with key IDs");
/// the spec's 401 if neither has it.
pub fn for_master<'a>(stores: &'a mut [KeyStore; 2], master: &str) -> Result<&'a mut KeyStore, EtsiError> {
    let i = usize::from(stores[0].dec_check(master).is_err());
    stores[i].dec_check(master)?;
    Ok(&mut stores[i])
}
