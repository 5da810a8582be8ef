//! What both ends of a link hold alike: the pools, the key stores, the committed rounds, and
//! the rules that turn a round's opening into a credential and a committed key into pool and
//! store material. Both sides apply the same rules to the same authenticated data, so they stay
//! in step without talking.

use super::pool::{PoolStream, PoolUse};
use super::{LinkSettings, PoolMac, RoundOutcome};
use crate::auth::TagMode;
use crate::auth::{Credential, KeyPool, WcKey};
use crate::bits::BitVec;
use crate::error::{Error, LinkError};
use crate::keystore::{KeyStore, KeyStoreConfig};
use crate::msgs::RoundAuth;

/// Bits of a final key shown as its fingerprint and then discarded (never used as key).
pub const FINGERPRINT_BITS: usize = 32;
/// Pool bits of one direction's HMAC key.
pub const HMAC_KEY_BITS: u64 = 256;
/// Pool bits of one direction's Wegman-Carter hash point.
pub const WC_POINT_BITS: u64 = 64;

/// What committing a key did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    /// The discarded bits shown to both users, as hex.
    pub fingerprint: String,
    /// Bits added to each pool (unused pad given back, then the refill).
    pub pool_added: [u64; 2],
    /// Keys each store received (`[A->B, B->A]`).
    pub stored_keys: [usize; 2],
    /// Bits that went to the stores.
    pub stored_bits: usize,
}

/// What a side notes about a round when it opens it, to report it when it ends.
pub(crate) struct RoundBook {
    pub(crate) number: u32,
    pub(crate) mode: &'static str,
    pub(crate) before: [u64; 2],
    pub(crate) taken: [u64; 2],
    /// Unused pool bits after the round took its own: the refill is computed from them.
    pub(crate) avail: [u64; 2],
}

impl RoundBook {
    /// The round's outcome on this side.
    pub(crate) fn outcome(
        &self,
        error: Option<Error>,
        party: &crate::party::Party<impl crate::party::Role>,
        key_bits: usize,
        committed: Option<Committed>,
        pool_after: [u64; 2],
    ) -> RoundOutcome {
        let ok = committed.is_some();
        let c = committed.unwrap_or_default();
        RoundOutcome {
            round: self.number,
            ok,
            error,
            mode: self.mode,
            summary: party.summary().clone(),
            auth: party.auth_stats(),
            pool_before: self.before,
            pool_taken: self.taken,
            pool_added: c.pool_added,
            pool_after,
            key_bits,
            fingerprint: ok.then_some(c.fingerprint),
            stored_keys: c.stored_keys,
            stored_bits: c.stored_bits,
            pulse_view: party.pulse_view().clone(),
        }
    }
}

/// One end's pools, stores and commit history.
pub(crate) struct Site {
    pub(crate) link: String,
    pub(crate) settings: LinkSettings,
    pub(crate) pools: [PoolStream; 2],
    pub(crate) stores: [KeyStore; 2],
    pub(crate) last_committed: u32,
}

fn swap(c: &KeyStoreConfig) -> KeyStoreConfig {
    KeyStoreConfig { master_sae_id: c.slave_sae_id.clone(), slave_sae_id: c.master_sae_id.clone(), ..c.clone() }
}

fn kme(c: &KeyStoreConfig, alice_site: bool) -> KeyStoreConfig {
    if alice_site {
        c.clone()
    } else {
        KeyStoreConfig { source_kme_id: c.target_kme_id.clone(), target_kme_id: c.source_kme_id.clone(), ..c.clone() }
    }
}

impl Site {
    pub(crate) fn new(link: &str, settings: LinkSettings, alice_site: bool) -> Result<Self, Error> {
        let ab = kme(&settings.store, alice_site);
        let ba = swap(&ab);
        Ok(Self {
            link: link.into(),
            stores: [KeyStore::new(ab)?, KeyStore::new(ba)?],
            settings,
            pools: Default::default(),
            last_committed: 0,
        })
    }

    pub(crate) fn available(&self) -> [u64; 2] {
        [self.pools[0].available(), self.pools[1].available()]
    }

    /// Alice's choice for the next round: the bootstrap until a round was committed, then the
    /// pool at her cursors, or the pool is exhausted.
    pub(crate) fn next_auth(&self, tags: TagMode) -> Result<RoundAuth, Error> {
        if self.last_committed == 0 {
            return Ok(RoundAuth::Bootstrap);
        }
        let at = [self.pools[0].cursor(), self.pools[1].cursor()];
        let avail = self.available();
        match self.settings.after_bootstrap {
            PoolMac::Hmac => {
                if let Some(d) = (0..2).find(|&d| avail[d] < HMAC_KEY_BITS) {
                    return Err(Error::AuthPoolExhausted { have: avail[d] as usize, need: HMAC_KEY_BITS as usize });
                }
                Ok(RoundAuth::PoolHmac { at })
            }
            PoolMac::WegmanCarter => {
                if let Some(d) = (0..2).find(|&d| avail[d] < WC_POINT_BITS + 64) {
                    return Err(Error::AuthPoolExhausted {
                        have: avail[d] as usize,
                        need: (WC_POINT_BITS + 64) as usize,
                    });
                }
                if tags == TagMode::Transcript {
                    // Hello and Commit from Alice; Reconciled and Done from Bob.
                    let need = [2 * 64, 2 * 64];
                    if let Some(d) = (0..2).find(|&d| avail[d] < WC_POINT_BITS + u64::from(need[d])) {
                        let need = (WC_POINT_BITS + u64::from(need[d])) as usize;
                        return Err(Error::AuthPoolExhausted { have: avail[d] as usize, need });
                    }
                    return Ok(RoundAuth::PoolWegmanCarter { at, pad_bits: need });
                }
                // At most half of what is left: a round an adversary ends burns what it took, and
                // one such round must not empty the pool.
                let pad = |d: usize| {
                    let half = (avail[d] - WC_POINT_BITS) / 2;
                    let bits = (self.settings.pad_budget_bits as u64).min(half).max(64) / 64 * 64;
                    u32::try_from(bits).unwrap_or(u32::MAX / 64 * 64)
                };
                Ok(RoundAuth::PoolWegmanCarter { at, pad_bits: [pad(0), pad(1)] })
            }
        }
    }

    /// Checks a round's opening against this end's policy and pools, without taking anything:
    /// the credential it names, or why it is refused.
    pub(crate) fn credential_for(&self, auth: &RoundAuth, bootstrap: &Credential) -> Result<Credential, Error> {
        let out_of_step = || Error::Link(LinkError::PoolOutOfStep);
        match (auth, self.settings.after_bootstrap) {
            (RoundAuth::Bootstrap, _) if self.last_committed == 0 => Ok(bootstrap.clone()),
            (RoundAuth::PoolHmac { at }, PoolMac::Hmac) if self.last_committed > 0 => {
                let key = |d: usize| -> Result<[u8; 32], Error> {
                    let bits = self.pools[d].peek(at[d], HMAC_KEY_BITS).ok_or_else(out_of_step)?;
                    Ok(bits.to_bytes().try_into().expect("256 bits are 32 bytes"))
                };
                Ok(Credential::PoolHmac { alice_to_bob: key(0)?, bob_to_alice: key(1)? })
            }
            (RoundAuth::PoolWegmanCarter { at, pad_bits }, PoolMac::WegmanCarter) if self.last_committed > 0 => {
                let key = |d: usize| -> Result<WcKey, Error> {
                    if pad_bits[d] % 64 != 0 || pad_bits[d] == 0 {
                        return Err(out_of_step());
                    }
                    let all =
                        self.pools[d].peek(at[d], WC_POINT_BITS + u64::from(pad_bits[d])).ok_or_else(out_of_step)?;
                    let point = all.words()[0];
                    let mut pad = KeyPool::default();
                    pad.add(&all.range(WC_POINT_BITS as usize, all.len()));
                    Ok(WcKey { point, pad })
                };
                Ok(Credential::PoolWegmanCarter { alice_to_bob: key(0)?, bob_to_alice: key(1)? })
            }
            (RoundAuth::PoolHmac { .. } | RoundAuth::PoolWegmanCarter { .. }, _) if self.last_committed == 0 => {
                Err(LinkError::NoPool.into())
            }
            _ => Err(LinkError::Downgrade.into()),
        }
    }

    /// Takes what `auth` names for `round` (after [`Self::credential_for`] accepted it).
    /// Returns the bits taken per direction; fails, taking nothing more, if a position is not
    /// available (which `credential_for` rules out).
    pub(crate) fn take(&mut self, auth: &RoundAuth, round: u32) -> Result<[u64; 2], Error> {
        let mut taken = [0, 0];
        for d in 0..2 {
            let uses: Vec<(u64, u64, PoolUse)> = match auth {
                RoundAuth::Bootstrap => vec![],
                RoundAuth::PoolHmac { at } => vec![(at[d], HMAC_KEY_BITS, PoolUse::HmacKey)],
                RoundAuth::PoolWegmanCarter { at, pad_bits } => vec![
                    (at[d], WC_POINT_BITS, PoolUse::WcPoint),
                    (at[d] + WC_POINT_BITS, u64::from(pad_bits[d]), PoolUse::WcPad),
                ],
            };
            for (at, n, used_for) in uses {
                self.pools[d].take(at, n, round, used_for).ok_or(Error::Link(LinkError::PoolOutOfStep))?;
                taken[d] += n;
            }
        }
        Ok(taken)
    }

    /// Commits round `round`'s verified key: the first [`FINGERPRINT_BITS`] become the
    /// fingerprint and are discarded; unused Wegman-Carter pad (`pads_left`, per direction) goes
    /// back to the pools; the pools are refilled towards the target from what was available
    /// after the round took its bits (`avail`, the same on both sides); the rest is shared by
    /// the two stores under labels made from the session id.
    pub(crate) fn commit(
        &mut self,
        round: u32,
        sid: &[u8; 32],
        key: &BitVec,
        avail: [u64; 2],
        pads_left: Option<[BitVec; 2]>,
    ) -> Committed {
        self.last_committed = round;
        let mut out = Committed::default();
        let fp = FINGERPRINT_BITS.min(key.len());
        out.fingerprint = key.range(0, fp).to_bytes().iter().map(|b| format!("{b:02x}")).collect();
        let rest = key.range(fp, key.len());
        if let Some(pads) = pads_left {
            for (d, pad) in pads.iter().enumerate() {
                self.pools[d].add(pad);
                out.pool_added[d] += pad.len() as u64;
            }
        }
        let target = self.settings.pool_target_bits as u64;
        let need = avail.map(|a| target.saturating_sub(a) as usize);
        let len = rest.len();
        let give0 =
            if need[0] + need[1] <= len { need[0] } else { need[0].min((len / 2).max(len.saturating_sub(need[1]))) };
        let give1 = need[1].min(len - give0);
        self.pools[0].add(&rest.range(0, give0));
        self.pools[1].add(&rest.range(give0, give0 + give1));
        out.pool_added[0] += give0 as u64;
        out.pool_added[1] += give1 as u64;
        let stored = rest.range(give0 + give1, len);
        let half = stored.len() / 2;
        let label: String = sid.iter().map(|b| format!("{b:02x}")).collect();
        out.stored_keys[0] = self.stores[0].add(&stored.range(0, half), &format!("{label}/ab"));
        out.stored_keys[1] = self.stores[1].add(&stored.range(half, stored.len()), &format!("{label}/ba"));
        out.stored_bits = stored.len();
        out
    }
}
