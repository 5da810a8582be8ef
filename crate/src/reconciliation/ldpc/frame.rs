//! Where a frame's key, punctured and shortened bits sit in its mother code, and the codes
//! themselves, shared by both parties.

use std::sync::{Arc, Mutex, OnceLock};

use rand::Rng;
use rand::seq::SliceRandom;

use super::code::LdpcCode;
use super::plan::{FramePlan, LdpcPlan};
use crate::bits::BitVec;
use crate::rng::Seed;

/// Mother codes kept for reuse, process-wide, keyed by (length, ensemble). A code depends on
/// nothing else (it is built from [`CODE_SEED`]), so every session, both parties of an in-memory
/// run and every benchmark run pay its construction once. Lengths are rounded to a grid
/// ([`super::plan`]), so a key at a given error rate needs one or two of them; past this many,
/// the least recently used is dropped (each holds about 3 MB for a 10^5-bit frame).
const CACHED_CODES: usize = 8;

/// The public seed every mother code is drawn from. Codes are public in syndrome
/// reconciliation (the security analysis counts the syndrome as disclosed whatever the code), so
/// one fixed graph per (length, ensemble) loses nothing; the session seed still draws each
/// frame's positions of punctured, shortened and key bits.
pub(crate) const CODE_SEED: [u8; 32] = *b"qkdlab ldpc mother codes, v2 ...";

type CodeKey = (usize, usize);

/// The cache: most recently used last.
type CodeCache = Mutex<Vec<(CodeKey, Arc<LdpcCode>)>>;

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
        let code = code(fp);
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
fn code(fp: &FramePlan) -> Arc<LdpcCode> {
    static CACHE: OnceLock<CodeCache> = OnceLock::new();
    let key = (fp.code_length, fp.distribution);
    let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
    // A poisoned lock only means another thread panicked mid-update:
    // building again is safe.
    if let Ok(mut m) = cache.lock()
        && let Some(i) = m.iter().position(|(k, _)| *k == key)
    {
        let entry = m.remove(i);
        let code = entry.1.clone();
        m.push(entry);
        return code;
    }
    let built = Arc::new(LdpcCode::build(fp.code_length, fp.distribution(), &CODE_SEED));
    if let Ok(mut m) = cache.lock()
        && !m.iter().any(|(k, _)| *k == key)
    {
        if m.len() >= CACHED_CODES {
            m.remove(0);
        }
        m.push((key, built.clone()));
    }
    built
}
