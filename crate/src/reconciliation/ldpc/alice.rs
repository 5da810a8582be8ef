//! Alice's side: she sends the syndromes, reveals punctured bits on request, and drops the
//! frames Bob could not decode.

use rand::Rng;

use super::frame::{Frame, frames};
use super::plan::LdpcPlan;
use crate::bits::BitVec;
use crate::error::Error;
use crate::rng::Seed;

/// Alice: holds the reference key and answers Bob.
#[derive(Debug, Clone)]
pub struct LdpcAlice {
    frames: Vec<Frame>,
    /// Per frame, the full code word: key, punctured and shortened bits in place.
    words: Vec<BitVec>,
    key: BitVec,
    /// Per frame, punctured bits revealed so far.
    revealed: Vec<usize>,
    phase: Phase,
    disclosed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    SentSyndromes,
    Revealed,
}

impl LdpcAlice {
    /// Alice for `key` under `plan`. `seed` is the public seed both parties draw the frame
    /// layouts from; `private` seeds her punctured bits, which must stay unknown to Bob and Eve (for
    /// example `Seed::rng("alice")` output or fresh entropy), else the syndrome leaks `p` more
    /// bits than counted.
    pub fn new(key: &BitVec, plan: &LdpcPlan, seed: &[u8; 32], private: &[u8; 32]) -> Result<Self, Error> {
        if key.len() != plan.key_bits() {
            return Err(Error::invalid(
                "key",
                format!("must have the plan's {} bits, got {}", plan.key_bits(), key.len()),
            ));
        }
        let frames = frames(plan, seed);
        let mut rng = Seed::from_bytes(*private).rng("ldpc punctured");
        let words = frames
            .iter()
            .map(|f| {
                let mut w = BitVec::zeros(f.plan.code_length);
                for (j, &p) in f.key_pos.iter().enumerate() {
                    w.set(p as usize, key.get(f.offset + j));
                }
                for &p in &f.punctured_pos {
                    w.set(p as usize, rng.next_u32() & 1 == 1);
                }
                for (j, &p) in f.shortened_pos.iter().enumerate() {
                    w.set(p as usize, f.shortened.get(j));
                }
                w
            })
            .collect();
        let revealed = vec![0; frames.len()];
        Ok(Self { frames, words, key: key.clone(), revealed, phase: Phase::Start, disclosed: 0 })
    }

    /// Message 1: every frame's syndrome, concatenated in frame order. Counts `M - p` disclosed
    /// bits per frame the first time.
    pub fn syndromes(&mut self) -> BitVec {
        let mut out = BitVec::zeros(0);
        for (f, w) in self.frames.iter().zip(&self.words) {
            for b in f.code.syndrome(w).iter() {
                out.push(b);
            }
        }
        if self.phase == Phase::Start {
            self.disclosed += self.frames.iter().map(|f| f.plan.leak() as u64).sum::<u64>();
            self.phase = Phase::SentSyndromes;
        }
        out
    }

    /// Message 3: for Bob's request (message 2: per frame, how many more punctured bits), the
    /// values of those bits, concatenated in frame order. Refuses a request of the wrong length,
    /// one asking for more punctured bits than the plan's reveal for a frame (a hostile Bob
    /// gets no more than an honest one asks for), and any request before the syndromes or after
    /// a first reveal.
    pub fn reveal(&mut self, request: &[u32]) -> Result<BitVec, Error> {
        if self.phase != Phase::SentSyndromes {
            return Err(Error::inconsistent("LDPC reveal request (not after the syndromes, or repeated)"));
        }
        if request.len() != self.frames.len() {
            return Err(Error::inconsistent("LDPC reveal request length"));
        }
        for (f, (&r, &done)) in self.frames.iter().zip(request.iter().zip(&self.revealed)) {
            if r as usize > f.plan.reveal - done.min(f.plan.reveal) {
                return Err(Error::inconsistent("LDPC reveal count"));
            }
        }
        let mut out = BitVec::zeros(0);
        for (i, &r) in request.iter().enumerate() {
            let f = &self.frames[i];
            let start = self.revealed[i];
            for &p in &f.punctured_pos[start..start + r as usize] {
                out.push(self.words[i].get(p as usize));
            }
            self.revealed[i] += r as usize;
            self.disclosed += u64::from(r);
        }
        self.phase = Phase::Revealed;
        Ok(out)
    }

    /// Bits disclosed so far: `M - p` per frame for the syndromes plus every revealed bit.
    pub fn disclosed(&self) -> u64 {
        self.disclosed
    }

    /// Her key with the frames Bob reported failed (ascending frame indices) removed, so it
    /// matches [`super::LdpcBob::key`].
    pub fn drop_frames(&self, failed: &[u32]) -> Result<BitVec, Error> {
        check_failed(failed, self.frames.len())?;
        let mut out = BitVec::zeros(0);
        for (i, f) in self.frames.iter().enumerate() {
            if failed.binary_search(&(i as u32)).is_err() {
                for j in f.offset..f.offset + f.plan.key_bits {
                    out.push(self.key.get(j));
                }
            }
        }
        Ok(out)
    }
}

/// A failed-frame list must name existing frames, ascending, each once.
fn check_failed(failed: &[u32], frames: usize) -> Result<(), Error> {
    if failed.iter().any(|&i| i as usize >= frames) || failed.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::inconsistent("LDPC failed frame list"));
    }
    Ok(())
}
