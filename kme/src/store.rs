//! The site's key store on disk. Keys move here from the link endpoint after every committed
//! round; a delivery removes them and the file is rewritten (a temporary file, then an atomic
//! rename) before the keys are handed to the HTTP layer, so a key is delivered at most once,
//! across restarts too. The ids of the last delivery stay in the file as "in flight" until the
//! next one: after a crash they are reported as possibly lost (removed, delivery unconfirmed),
//! never served again.

use std::io;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use qkdlab::keystore::KeyStore;
use serde::{Deserialize, Serialize};

/// What the file holds.
#[derive(Serialize, Deserialize, Default)]
struct Saved {
    /// Keys of each store, `[A->B, B->A]`, as (id, base64).
    stores: [Vec<(String, String)>; 2],
    /// Ids removed by the last delivery.
    in_flight: Vec<String>,
    /// Keys delivered so far.
    delivered: u64,
}

/// A site's two stores, persisted.
pub struct SiteStore {
    path: PathBuf,
    /// The stores, `[A->B, B->A]`.
    pub stores: [KeyStore; 2],
    in_flight: Vec<String>,
    /// Keys delivered since the file was created.
    pub delivered: u64,
    /// Ids a previous run removed without confirming their delivery (reported at start).
    pub possibly_lost: Vec<String>,
}

impl SiteStore {
    /// Opens (or creates) the store at `path`, with the stores' descriptions of `template`.
    pub fn open(path: &Path, template: &[KeyStore; 2]) -> io::Result<Self> {
        let saved: Saved = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(io::Error::other)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Saved::default(),
            Err(e) => return Err(e),
        };
        let mut stores = [template[0].empty_like(), template[1].empty_like()];
        for (store, keys) in stores.iter_mut().zip(saved.stores) {
            let keys: Result<Vec<_>, _> = keys.into_iter().map(|(id, k)| STANDARD.decode(k).map(|k| (id, k))).collect();
            store.extend(keys.map_err(io::Error::other)?);
        }
        let me = Self {
            path: path.to_path_buf(),
            stores,
            in_flight: Vec::new(),
            delivered: saved.delivered,
            possibly_lost: saved.in_flight,
        };
        me.save()?;
        Ok(me)
    }

    /// Moves every key out of the link endpoint's stores into these, then saves.
    pub fn take_from(&mut self, link: &mut [KeyStore; 2]) -> io::Result<usize> {
        let mut moved = 0;
        for (mine, theirs) in self.stores.iter_mut().zip(link.iter_mut()) {
            moved += mine.extend(theirs.take_all());
        }
        self.save()?;
        Ok(moved)
    }

    /// Records a delivery of `ids` (already removed from the stores) and saves: only then may
    /// the keys leave.
    pub fn delivered(&mut self, ids: Vec<String>) -> io::Result<()> {
        self.delivered += ids.len() as u64;
        self.in_flight = ids;
        self.save()
    }

    /// Takes the first `n` keys of store `i` (fewer if it holds fewer) and saves.
    pub fn take(&mut self, i: usize, n: usize) -> io::Result<Vec<(String, Vec<u8>)>> {
        let mut all = self.stores[i].take_all();
        let rest = all.split_off(n.min(all.len()));
        self.stores[i].extend(rest);
        self.save()?;
        Ok(all)
    }

    /// The keys of store `i` with these ids, in order, without removing them; `None` if one is
    /// missing.
    pub fn peek(&self, i: usize, ids: &[String]) -> Option<Vec<Vec<u8>>> {
        ids.iter().map(|id| self.stores[i].keys().find(|(k, _)| k == id).map(|(_, v)| v.clone())).collect()
    }

    /// Removes the keys with these ids from store `i` and saves.
    pub fn remove(&mut self, i: usize, ids: &[String]) -> io::Result<()> {
        let all = self.stores[i].take_all();
        self.stores[i].extend(all.into_iter().filter(|(id, _)| !ids.contains(id)));
        self.save()
    }

    /// Adds keys to store `i` and saves.
    pub fn add(&mut self, i: usize, keys: Vec<(String, Vec<u8>)>) -> io::Result<()> {
        self.stores[i].extend(keys);
        self.save()
    }

    /// Keys stored, per store.
    pub fn counts(&self) -> [usize; 2] {
        [self.stores[0].len(), self.stores[1].len()]
    }

    fn save(&self) -> io::Result<()> {
        let saved = Saved {
            stores: [0, 1].map(|i| self.stores[i].keys().map(|(id, k)| (id.clone(), STANDARD.encode(k))).collect()),
            in_flight: self.in_flight.clone(),
            delivered: self.delivered,
        };
        let tmp = self.path.with_extension("tmp");
        // Key material: readable by this user only.
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        io::Write::write_all(&mut file, &serde_json::to_vec(&saved).map_err(io::Error::other)?)?;
        // Durable before it replaces the old state, and the rename durable before the keys
        // leave: a crash or a power loss leaves one state or the other, whole.
        file.sync_all()?;
        std::fs::rename(&tmp, &self.path)?;
        let dir = self.path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::File::open(dir)?.sync_all()
    }
}
