//! Continuous operation: a QKD link runs round after round. Round 1 authenticates with the
//! bootstrap credential (PSK or PKI); every later round authenticates with bits taken from a
//! per-direction key pool that earlier rounds' final keys refill. The rest of each key goes to
//! both sites' key stores (ETSI GS QKD 014 shape).
//!
//! Pool bits are never reused: HMAC keys and Wegman-Carter hash points are taken at the start
//! of a round, pads per frame; a round that aborts burns everything it took; a pool too small
//! for the next round stops the link with [`Error::AuthPoolExhausted`].

use crate::auth::{Credential, KeyPool, WcKey};
use crate::bits::BitVec;
use crate::error::Error;
use crate::keystore::{KeyStore, KeyStoreConfig};
use crate::rng::Seed;
use crate::session::{Adversary, Clock, Driver, Passive, Report, SessionConfig};

/// How rounds after the bootstrap are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PoolMac {
    /// HMAC-SHA256 keyed with 256 pool bits per direction per round (computational security).
    #[default]
    Hmac,
    /// Wegman-Carter: a 64-bit hash point per direction per round and 64 pad bits per frame
    /// (information-theoretic security).
    WegmanCarter,
}

/// A link: the round's parameters, the bootstrap credentials and the pool policy.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    /// Per-round parameters; `credential` is Alice's bootstrap credential, `seed` the link's.
    pub round: SessionConfig,
    /// Bob's bootstrap credential (the same PSK, or his own identity under PKI).
    pub bob_bootstrap: Credential,
    /// Authentication after round 1.
    pub after_bootstrap: PoolMac,
    /// Rounds to run.
    pub rounds: usize,
    /// Pool size each direction is refilled to after a round, in bits.
    pub pool_target_bits: usize,
    /// Wegman-Carter pad bits handed to each direction for one round.
    pub pad_budget_bits: usize,
    /// The key stores' description (Alice's site; Bob's mirrors it).
    pub store: KeyStoreConfig,
}

/// What one round did to the pools and stores.
#[derive(Debug, Clone)]
pub struct RoundReport {
    /// Round number, from 1.
    pub round: usize,
    /// The session report.
    pub report: Report,
    /// Pool sizes before the round, `[A->B, B->A]`.
    pub pool_before: [usize; 2],
    /// Bits the round took from each pool (keys, points, pad budget).
    pub pool_taken: [usize; 2],
    /// Bits given back (unused pad) or added from the new key.
    pub pool_added: [usize; 2],
    /// Pool sizes after the round.
    pub pool_after: [usize; 2],
    /// Bits of the final key that went to the key stores.
    pub stored_bits: usize,
    /// Keys (of `key_size` bits) the stores received.
    pub stored_keys: usize,
}

/// What a link did.
#[derive(Debug, Clone)]
pub struct LinkReport {
    /// Every round run.
    pub rounds: Vec<RoundReport>,
    /// Why the link stopped early, if it did.
    pub stopped: Option<Error>,
    /// Alice's site's key store.
    pub alice_store: KeyStore,
    /// Bob's site's key store.
    pub bob_store: KeyStore,
}

/// Both sides' copies of one direction's pool (they stay equal while no frame is lost).
#[derive(Default)]
struct Pools {
    alice: [KeyPool; 2],
    bob: [KeyPool; 2],
}

impl Pools {
    fn sizes(&self) -> [usize; 2] {
        [self.alice[0].len(), self.alice[1].len()]
    }

    /// Takes `n` bits from direction `d` on both sides.
    fn take(&mut self, d: usize, n: usize) -> Result<BitVec, Error> {
        let a = self.alice[d].take(n)?;
        let b = self.bob[d].take(n)?;
        debug_assert_eq!(a, b, "pool copies diverged");
        Ok(a)
    }

    fn add(&mut self, d: usize, bits: &BitVec) {
        self.alice[d].add(bits);
        self.bob[d].add(bits);
    }
}

fn key32(bits: &BitVec) -> [u8; 32] {
    let mut k = [0u8; 32];
    k.copy_from_slice(&bits.to_bytes());
    k
}

/// Runs the link; `adversary(round)` sits on the classical channel of each round.
pub fn run(
    config: &LinkConfig,
    adversary: &mut dyn FnMut(usize) -> Box<dyn Adversary>,
    clock: &dyn Clock,
) -> Result<LinkReport, Error> {
    let store_b_config = KeyStoreConfig {
        source_kme_id: config.store.target_kme_id.clone(),
        target_kme_id: config.store.source_kme_id.clone(),
        ..config.store.clone()
    };
    let mut alice_store = KeyStore::new(config.store.clone())?;
    let mut bob_store = KeyStore::new(store_b_config)?;
    let mut pools = Pools::default();
    let mut rounds = Vec::new();
    let mut stopped = None;
    let link_seed = config.round.seed.clone();

    for round in 1..=config.rounds {
        let pool_before = pools.sizes();
        let (alice_cred, bob_cred, taken) = if round == 1 {
            (config.round.credential.clone(), config.bob_bootstrap.clone(), [0, 0])
        } else {
            match pool_credential(config, &mut pools) {
                Ok((c, taken)) => (c.clone(), c, taken),
                Err(e) => {
                    stopped = Some(e);
                    break;
                }
            }
        };
        let round_config = SessionConfig {
            credential: alice_cred.clone(),
            seed: Seed::from_bytes(seed_bytes(&link_seed, round)),
            ..config.round.clone()
        };
        let mut driver = Driver::with_credentials(&round_config, &alice_cred, &bob_cred)?;
        let mut adv = adversary(round);
        while driver.step(adv.as_mut(), clock) {}
        let report = driver.finish();

        let mut added = [0, 0];
        // Unused pad goes back only after a clean round (both sides used exactly the same bits).
        if let (true, Some([(a_ab, a_ba), (b_ab, b_ba)])) = (report.ok, &report.pads_left) {
            debug_assert!(a_ab == b_ab && a_ba == b_ba, "pads diverged in a clean round");
            for (d, left) in [a_ab, a_ba].into_iter().enumerate() {
                let mut left = left.clone();
                let bits = left.take(left.len())?;
                added[d] += bits.len();
                pools.add(d, &bits);
            }
        }
        let (mut stored_bits, mut stored_keys) = (0, 0);
        if let (true, Some(key)) = (report.ok, &report.key_alice) {
            // Refill both pools towards the target; a short key is shared fairly between them.
            let need = [0, 1].map(|d| config.pool_target_bits.saturating_sub(pools.alice[d].len()));
            let half = key.len() / 2;
            let give0 = if need[0] + need[1] <= key.len() {
                need[0]
            } else {
                need[0].min(half.max(key.len().saturating_sub(need[1])))
            };
            let give1 = need[1].min(key.len() - give0);
            let mut rest = key.clone();
            for (d, give) in [give0, give1].into_iter().enumerate() {
                let (refill, tail) = split(&rest, give);
                pools.add(d, &refill);
                added[d] += give;
                rest = tail;
            }
            let label = format!("{:x?} round {round}", &seed_bytes(&link_seed, 0)[..8]);
            stored_bits = rest.len();
            stored_keys = alice_store.add(&rest, &label);
            let bob_keys = bob_store.add(&rest, &label);
            debug_assert_eq!(stored_keys, bob_keys, "both stores receive the same material");
        }
        let failed_on_pool = matches!(report.error, Some(Error::AuthPoolExhausted { .. }));
        let error = report.error.clone();
        rounds.push(RoundReport {
            round,
            report,
            pool_before,
            pool_taken: taken,
            pool_added: added,
            pool_after: pools.sizes(),
            stored_bits,
            stored_keys,
        });
        if failed_on_pool {
            stopped = error;
            break;
        }
    }
    Ok(LinkReport { rounds, stopped, alice_store, bob_store })
}

/// Runs the link with no adversary.
pub fn run_passive(config: &LinkConfig, clock: &dyn Clock) -> Result<LinkReport, Error> {
    run(config, &mut |_| Box::new(Passive), clock)
}

/// The credential for a round after the bootstrap, taken from the pools.
fn pool_credential(config: &LinkConfig, pools: &mut Pools) -> Result<(Credential, [usize; 2]), Error> {
    match config.after_bootstrap {
        PoolMac::Hmac => {
            for d in 0..2 {
                if pools.alice[d].len() < 256 {
                    return Err(Error::AuthPoolExhausted { have: pools.alice[d].len(), need: 256 });
                }
            }
            let a2b = key32(&pools.take(0, 256)?);
            let b2a = key32(&pools.take(1, 256)?);
            Ok((Credential::PoolHmac { alice_to_bob: a2b, bob_to_alice: b2a }, [256, 256]))
        }
        PoolMac::WegmanCarter => {
            // A point and at least one frame's pad per direction, or stop.
            for d in 0..2 {
                if pools.alice[d].len() < 128 {
                    return Err(Error::AuthPoolExhausted { have: pools.alice[d].len(), need: 128 });
                }
            }
            let mut keys = Vec::with_capacity(2);
            let mut taken = [0, 0];
            for (d, t) in taken.iter_mut().enumerate() {
                let point = pools.take(d, 64)?.words()[0];
                let budget = config.pad_budget_bits.min(pools.alice[d].len()) / 64 * 64;
                let mut pad = KeyPool::default();
                pad.add(&pools.take(d, budget)?);
                *t = 64 + budget;
                keys.push(WcKey { point, pad });
            }
            let b2a = keys.pop().expect("two directions");
            let a2b = keys.pop().expect("two directions");
            Ok((Credential::PoolWegmanCarter { alice_to_bob: a2b, bob_to_alice: b2a }, taken))
        }
    }
}

fn split(bits: &BitVec, at: usize) -> (BitVec, BitVec) {
    let head = BitVec::from_bools(&(0..at).map(|i| bits.get(i)).collect::<Vec<_>>());
    let tail = BitVec::from_bools(&(at..bits.len()).map(|i| bits.get(i)).collect::<Vec<_>>());
    (head, tail)
}

/// A round's seed: SHA-256 of the link's stream for that round.
fn seed_bytes(seed: &Seed, round: usize) -> [u8; 32] {
    use rand::Rng;
    let mut b = [0u8; 32];
    seed.rng(&format!("round {round}")).fill_bytes(&mut b);
    b
}
