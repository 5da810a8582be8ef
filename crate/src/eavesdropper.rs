//! What Eve ends up knowing: her records from the fiber (the bits she holds for certain once the
//! bases are public) joined with the public discussion she overhears (clicks, matches, the
//! sample, the privacy-amplification seed). A simulation's view, for reports and tests: no
//! party ever sees it.

use std::collections::BTreeMap;

use crate::amplification::toeplitz_hash;
use crate::bits::BitVec;
use crate::msgs::Msg;
use crate::quantum::EveRecord;

/// What Eve learned in one session.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EveReport {
    /// The attack: "intercept-resend", "pns" or "blinding".
    pub attack: &'static str,
    /// Pulses she measured, split or re-sent.
    pub touched_pulses: u64,
    /// Sifted bits (sample included) whose value she knows.
    pub known_sifted_bits: usize,
    /// Sifted bits.
    pub sifted_bits: usize,
    /// Bits of the reconciled key (before privacy amplification) whose value she knows.
    pub known_key_bits: usize,
    /// Bits of the reconciled key.
    pub key_bits: usize,
    /// Whether her guess of the final key (her bits, hashed with the public seed) equals
    /// Alice's final key; absent when no key was released.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_key_known: Option<bool>,
}

/// The public frames Eve overhears, as she parses them (without any key).
#[derive(Debug, Default)]
pub struct Notebook {
    clicks: Option<BitVec>,
    matches: Option<BitVec>,
    sample: Option<BitVec>,
    seed: Option<BitVec>,
    dropped: bool,
}

impl Notebook {
    /// Notes a classical message that went by.
    pub fn overhear(&mut self, msg: &Msg) {
        match msg {
            Msg::Sift { clicks, .. } => self.clicks = Some(clicks.clone()),
            Msg::SiftReply { matches, sample, .. } => {
                self.matches = Some(matches.clone());
                self.sample = Some(sample.clone());
            }
            Msg::Reconciled { dropped, .. } => self.dropped = !dropped.is_empty(),
            Msg::Confirm { toeplitz_seed, .. } if !toeplitz_seed.is_empty() => self.seed = Some(toeplitz_seed.clone()),
            _ => {}
        }
    }

    /// Eve's knowledge, from her records (by batch; batches of `batch_size` pulses), the
    /// attack's name and counts, and Alice's final key if one was released.
    pub fn report<'a>(
        &self,
        attack: &'static str,
        touched: u64,
        records: impl Iterator<Item = (&'a u32, &'a EveRecord)>,
        batch_size: usize,
        pulses: usize,
        alice_key: Option<&BitVec>,
    ) -> EveReport {
        let mut r = EveReport { attack, touched_pulses: touched, ..EveReport::default() };
        let (Some(clicks), Some(matches), Some(sample)) = (&self.clicks, &self.matches, &self.sample) else {
            return r;
        };
        let records: BTreeMap<u32, &EveRecord> = records.map(|(i, rec)| (*i, rec)).collect();
        let mut knows = vec![0u64; pulses.div_ceil(64)];
        let mut bits = vec![0u64; pulses.div_ceil(64)];
        for (i, rec) in records {
            let first = i as usize * batch_size / 64;
            for (w, (k, b)) in rec.knows.iter().zip(&rec.bits).enumerate() {
                if let (Some(kk), Some(bb)) = (knows.get_mut(first + w), bits.get_mut(first + w)) {
                    *kk = *k;
                    *bb = *b;
                }
            }
        }
        let (knows, bits) = (BitVec::from_words(knows, pulses), BitVec::from_words(bits, pulses));
        if clicks.len() != pulses || matches.len() != clicks.count_ones() || sample.len() != matches.count_ones() {
            return r;
        }
        let known_sifted = knows.select(clicks).select(matches);
        let mut key_mask = sample.clone();
        for w in key_mask.words_mut() {
            *w = !*w;
        }
        key_mask.clear_tail();
        let known_key = known_sifted.select(&key_mask);
        r.sifted_bits = known_sifted.len();
        r.known_sifted_bits = known_sifted.count_ones();
        r.key_bits = known_key.len();
        r.known_key_bits = known_key.count_ones();
        if let (Some(seed), Some(key), false) = (&self.seed, alice_key, self.dropped) {
            let guess = bits.select(clicks).select(matches).select(&key_mask);
            r.final_key_known = toeplitz_hash(seed, &guess, key.len()).ok().map(|g| g == *key);
        }
        r
    }
}
