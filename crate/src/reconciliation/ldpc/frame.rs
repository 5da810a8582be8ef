//! Where a frame's key, punctured and shortened bits sit in its mother code, and the codes
//! themselves, shared by both parties.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rand::Rng;
use rand::seq::SliceRandom;

use super::code::LdpcCode;
use super::plan::{FramePlan, LdpcPlan};
use crate::bits::BitVec;
use crate::rng::Seed;

/// Codes kept for reuse, keyed by (length, ensemble, seed). A reconciliation needs at most two
/// (frames differ in length by one bit at most), and both parties of an in-memory run share
/// them; the cache is emptied when it grows past this.
const CACHED_CODES: usize = 8;

type CodeKey = (usize, usize, [u8; 32]);

/// One frame: its plan, its code and the positions of its bits in the code word.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub plan: FramePlan,
    pub code: Arc<LdpcCode>,
    /// First key bit of the frame in the whole key.
    pub offset: usize,
    /// Code positions of the frame's key bits, in key order.
    pub key_pos: Vec<u32>,
    /// Code positions of the punctured bits, in the order they are revealed.
    pub punctured_pos: Vec<u32>,
    /// Code positions of the shortened bits.
    pub shortened_pos: Vec<u32>,
    /// The shortened bits' public values.
    pub shortened: BitVec,
}

/// The frames of `plan`, positions and shortened values drawn from the public `seed`.
pub(crate) fn frames(plan: &LdpcPlan, seed: &[u8; 32]) -> Vec<Frame> {
    let base = Seed::from_bytes(*seed);
    let mut offset = 0;
    let mut out = Vec::with_capacity(plan.frames().len());
    for (i, fp) in plan.frames().iter().enumerate() {
        let code = code(fp, seed);
        let mut order: Vec<u32> = (0..fp.code_length as u32).collect();
        order.shuffle(&mut base.rng(&format!("ldpc layout {i}")));
        // Random puncturing: untainted puncturing (Elkouss, Martinez-Mateo & Martin, IEEE Wireless
        // Comm. Letters 1, 2012), lowest degree first or in random order, did no better on
        // 10^5-bit frames at 1 and 2 % (20 frames each), where at most 1.5 % of the bits are
        // punctured.
        let punctured_pos = order[..fp.punctured].to_vec();
        let shortened_pos = order[fp.punctured..fp.punctured + fp.shortened].to_vec();
        let mut key_pos = order[fp.punctured + fp.shortened..].to_vec();
        key_pos.sort_unstable();
        let mut rng = base.rng(&format!("ldpc shortened {i}"));
        let mut shortened = BitVec::zeros(fp.shortened);
        for j in 0..fp.shortened {
            if rng.next_u32() & 1 == 1 {
                shortened.set(j, true);
            }
        }
        out.push(Frame { plan: *fp, code, offset, key_pos, punctured_pos, shortened_pos, shortened });
        offset += fp.key_bits;
    }
    out
}

/// The frame's mother code, from the cache when the same one was built before.
fn code(fp: &FramePlan, seed: &[u8; 32]) -> Arc<LdpcCode> {
    static CACHE: OnceLock<Mutex<HashMap<CodeKey, Arc<LdpcCode>>>> = OnceLock::new();
    let key = (fp.code_length, fp.distribution, *seed);
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    // A poisoned lock only means another thread panicked mid-insert: rebuilding is safe.
    if let Some(c) = cache.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return c;
    }
    let built = Arc::new(LdpcCode::build(fp.code_length, fp.distribution(), seed));
    if let Ok(mut m) = cache.lock() {
        if m.len() >= CACHED_CODES {
            m.clear();
        }
        m.insert(key, built.clone());
    }
    built
}
