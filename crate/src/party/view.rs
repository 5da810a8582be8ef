//! The first pulses of a round as one party knows them, for a teaching view: Alice her bits,
//! bases and intensities; Bob his bases, clicks and results; both the public sifting and
//! sampling; Bob the bits reconciliation corrected. Each party fills only what it knows; nothing
//! here ever crosses to the other side.

use crate::bits::BitVec;

/// Pulses the view follows (a page shows 64 and more on request).
pub const VIEW_PULSES: usize = 256;

/// One party's knowledge of the first [`VIEW_PULSES`] pulses. Each row has one entry per pulse
/// (`0`/`1`; bases: 0 rectilinear, 1 diagonal), or is absent while (or where) the party does not
/// know it; `2` marks a pulse whose value this party cannot know (another party's basis where
/// there was no click).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PulseView {
    /// Pulses shown.
    pub pulses: usize,
    /// Alice's bits (Alice only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alice_bits: Option<Vec<u8>>,
    /// Alice's bases (Alice; Bob learns them only where the bases matched).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alice_bases: Option<Vec<u8>>,
    /// Intensity class of each pulse, 0 signal, 1 decoy, 2 vacuum (Alice; a laser source).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<Vec<u8>>,
    /// Bob's bases (Bob; Alice learns them at the clicks, 2 elsewhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bob_bases: Option<Vec<u8>>,
    /// Whether a detector clicked (Bob; Alice after Sift).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clicks: Option<Vec<u8>>,
    /// Bob's measured bits, 2 where there was no click (Bob only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bob_bits: Option<Vec<u8>>,
    /// Kept by sifting: clicked and measured in Alice's basis (both, after sifting).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sifted: Option<Vec<u8>>,
    /// Disclosed for estimation (both, after sifting).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sampled: Option<Vec<u8>>,
    /// Flipped by reconciliation (Bob, once reconciled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected: Option<Vec<u8>>,
    /// Position in the reconciled key of each pulse that is a key bit (private bookkeeping).
    #[serde(skip)]
    key_index: Vec<Option<usize>>,
    /// Bob's key bits before reconciliation at those positions.
    #[serde(skip)]
    before: Vec<u8>,
}

/// The first `n` bits of `b` as 0/1.
fn head(b: &BitVec, n: usize) -> Vec<u8> {
    (0..n.min(b.len())).map(|i| u8::from(b.get(i))).collect()
}

impl PulseView {
    /// A view of the first pulses of a round of `pulses`.
    pub fn new(pulses: u64) -> Self {
        Self { pulses: (pulses as usize).min(VIEW_PULSES), ..Self::default() }
    }

    /// Alice's preparation.
    pub fn prepared(&mut self, bits: &BitVec, bases: &BitVec, classes: Option<(&BitVec, &BitVec)>) {
        self.alice_bits = Some(head(bits, self.pulses));
        self.alice_bases = Some(head(bases, self.pulses));
        self.classes = classes.map(|(d, v)| {
            (0..self.pulses)
                .map(|i| {
                    if d.get(i) {
                        1
                    } else if v.get(i) {
                        2
                    } else {
                        0
                    }
                })
                .collect()
        });
    }

    /// Bob's bases.
    pub fn measured(&mut self, bases: &BitVec) {
        self.bob_bases = Some(head(bases, self.pulses));
    }

    /// Bob's detections.
    pub fn detected(&mut self, clicks: &BitVec, outcomes: &BitVec) {
        self.clicks = Some(head(clicks, self.pulses));
        self.bob_bits =
            Some((0..self.pulses).map(|i| if clicks.get(i) { u8::from(outcomes.get(i)) } else { 2 }).collect());
    }

    /// The public sifting: `clicks` (per pulse), `bob_bases` (per click, what Sift announced;
    /// recorded only if this party does not know them yet), `matches` (per click), `sample`
    /// (per sifted bit). Bob also records his key bits at the kept positions (`key`, the sifted
    /// bits without the sample), to show corrections later.
    pub fn sifted(
        &mut self,
        clicks: &BitVec,
        bob_bases: &BitVec,
        matches: &BitVec,
        sample: &BitVec,
        key: Option<&BitVec>,
    ) {
        let n = self.pulses;
        let (mut click, mut sifted) = (0usize, 0usize);
        let mut key_pos = 0usize;
        let (mut c, mut bb, mut s, mut sm) = (vec![0; n], vec![2; n], vec![0; n], vec![0; n]);
        self.key_index = vec![None; n];
        for i in 0..n.min(clicks.len()) {
            if !clicks.get(i) {
                continue;
            }
            c[i] = 1;
            bb[i] = u8::from(bob_bases.get(click));
            if matches.get(click) {
                s[i] = 1;
                if sample.get(sifted) {
                    sm[i] = 1;
                } else {
                    self.key_index[i] = Some(key_pos);
                    key_pos += 1;
                }
                sifted += 1;
            }
            click += 1;
        }
        self.clicks.get_or_insert(c);
        self.bob_bases.get_or_insert(bb);
        self.sifted = Some(s);
        self.sampled = Some(sm);
        if let Some(k) = key {
            self.before = self.key_index.iter().map(|p| p.map_or(0, |p| u8::from(k.get(p)))).collect();
        }
    }

    /// Bob's reconciled key: which of the shown key bits changed.
    pub fn reconciled(&mut self, key: &BitVec) {
        if self.before.len() != self.key_index.len() {
            return;
        }
        self.corrected = Some(
            self.key_index
                .iter()
                .zip(&self.before)
                .map(|(p, b)| p.filter(|&p| p < key.len()).map_or(0, |p| u8::from(u8::from(key.get(p)) != *b)))
                .collect(),
        );
    }
}
