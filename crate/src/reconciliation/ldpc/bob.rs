//! Bob's side: he decodes every frame from Alice's syndrome, asks once for punctured bits of
//! the frames that failed, decodes those again, and discards what still fails.

use super::decoder::decode;
use super::frame::{Frame, frames};
use super::plan::{LdpcPlan, MIN_QBER};
use crate::bits::BitVec;
use crate::error::Error;

/// Cap on belief-propagation iterations per decoding attempt (layered schedule): a hostile
/// syndrome costs at most this much work per frame.
pub const MAX_ITERATIONS: u32 = 100;

/// What Bob sends next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LdpcStep {
    /// Message 2: per frame, how many more punctured bits Bob needs (0 for decoded frames).
    Reveal(Vec<u32>),
    /// Reconciliation is over. `failed` (ascending frame indices) are discarded on both sides:
    /// Bob sends the list to Alice with his next message (the verification hash), and she
    /// calls [`super::LdpcAlice::drop_frames`].
    Done {
        /// Frames that could not be decoded.
        failed: Vec<u32>,
    },
}

/// Bob: holds the noisy key and corrects it.
#[derive(Debug, Clone)]
pub struct LdpcBob {
    frames: Vec<Frame>,
    noisy: BitVec,
    /// Channel belief magnitude `ln((1 - Q) / Q)`.
    belief: f32,
    syndromes: Vec<BitVec>,
    /// Per frame, the decoded key bits once decoding succeeded.
    corrected: Vec<Option<BitVec>>,
    /// Per frame, the punctured bits Alice revealed, in reveal order.
    revealed: Vec<BitVec>,
    phase: Phase,
    disclosed: u64,
    iterations: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    AwaitSyndromes,
    AwaitReveal(Vec<u32>),
    Done,
}

impl LdpcBob {
    /// Bob for his noisy `key` under `plan`, with the public `seed` Alice uses.
    pub fn new(key: BitVec, plan: &LdpcPlan, seed: &[u8; 32]) -> Result<Self, Error> {
        if key.len() != plan.key_bits() {
            return Err(Error::invalid(
                "key",
                format!("must have the plan's {} bits, got {}", plan.key_bits(), key.len()),
            ));
        }
        let frames = frames(plan, seed);
        let q = plan.qber().max(MIN_QBER);
        let count = frames.len();
        Ok(Self {
            frames,
            noisy: key,
            belief: ((1.0 - q) / q).ln() as f32,
            syndromes: Vec::new(),
            corrected: vec![None; count],
            revealed: vec![BitVec::zeros(0); count],
            phase: Phase::AwaitSyndromes,
            disclosed: 0,
            iterations: 0,
        })
    }

    /// Message 1 arrives: decodes every frame. Refuses a syndrome string of the wrong length or
    /// a second one.
    pub fn receive_syndromes(&mut self, s: &BitVec) -> Result<LdpcStep, Error> {
        if self.phase != Phase::AwaitSyndromes {
            return Err(Error::inconsistent("LDPC syndromes (already received)"));
        }
        let total: usize = self.frames.iter().map(|f| f.plan.syndrome_bits).sum();
        if s.len() != total {
            return Err(Error::inconsistent("LDPC syndrome length"));
        }
        let mut at = 0;
        for f in &self.frames {
            let m = f.plan.syndrome_bits;
            self.syndromes.push(s.range(at, at + m));
            at += m;
            self.disclosed += f.plan.leak() as u64;
        }
        let all: Vec<usize> = (0..self.frames.len()).collect();
        self.attempt(&all);
        let request: Vec<u32> = self
            .frames
            .iter()
            .zip(&self.corrected)
            .map(|(f, c)| if c.is_none() { f.plan.reveal as u32 } else { 0 })
            .collect();
        if request.iter().any(|&r| r > 0) {
            self.phase = Phase::AwaitReveal(request.clone());
            Ok(LdpcStep::Reveal(request))
        } else {
            self.phase = Phase::Done;
            Ok(LdpcStep::Done { failed: self.failed_frames() })
        }
    }

    /// Message 3 arrives: the punctured bits Bob asked for. Decodes those frames again; what
    /// still fails is discarded. Refuses bits of the wrong length or out of turn.
    pub fn receive_reveal(&mut self, bits: &BitVec) -> Result<LdpcStep, Error> {
        let Phase::AwaitReveal(request) = &self.phase else {
            return Err(Error::inconsistent("LDPC revealed bits (none requested)"));
        };
        let total: usize = request.iter().map(|&r| r as usize).sum();
        if bits.len() != total {
            return Err(Error::inconsistent("LDPC revealed bit count"));
        }
        let request = request.clone();
        let mut at = 0;
        let mut again = Vec::new();
        for (i, &r) in request.iter().enumerate() {
            if r > 0 {
                for j in at..at + r as usize {
                    self.revealed[i].push(bits.get(j));
                }
                at += r as usize;
                self.disclosed += u64::from(r);
                again.push(i);
            }
        }
        self.attempt(&again);
        self.phase = Phase::Done;
        Ok(LdpcStep::Done { failed: self.failed_frames() })
    }

    /// His corrected key, failed frames removed (all frames until decoding ran).
    pub fn key(&self) -> BitVec {
        let mut out = BitVec::zeros(0);
        for (f, c) in self.frames.iter().zip(&self.corrected) {
            match c {
                Some(bits) => bits.iter().for_each(|b| out.push(b)),
                None if self.phase == Phase::AwaitSyndromes => {
                    (f.offset..f.offset + f.plan.key_bits).for_each(|j| out.push(self.noisy.get(j)))
                }
                None => {}
            }
        }
        out
    }

    /// Frames not decoded (so far), ascending.
    pub fn failed_frames(&self) -> Vec<u32> {
        if self.phase == Phase::AwaitSyndromes {
            return Vec::new();
        }
        self.corrected.iter().enumerate().filter(|(_, c)| c.is_none()).map(|(i, _)| i as u32).collect()
    }

    /// Bits disclosed to him so far (same count as [`super::LdpcAlice::disclosed`]).
    pub fn disclosed(&self) -> u64 {
        self.disclosed
    }

    /// Belief-propagation iterations run, over all frames and attempts.
    pub fn iterations(&self) -> u64 {
        self.iterations
    }

    /// Decodes frames `frames` with what is known now (in parallel where threads exist); keeps
    /// the key bits of each that decodes.
    fn attempt(&mut self, frames: &[usize]) {
        let this = &*self;
        for (i, (bits, iterations)) in frames.iter().zip(each_frame(frames, |i| this.decode_frame(i))) {
            self.iterations += u64::from(iterations);
            if bits.is_some() {
                self.corrected[*i] = bits;
            }
        }
    }

    /// Decodes frame `i`: its key bits if the word found has Alice's syndrome, and the
    /// iterations it took.
    fn decode_frame(&self, i: usize) -> (Option<BitVec>, u32) {
        let f = &self.frames[i];
        let mut llr = vec![0f32; f.plan.code_length];
        for (j, &p) in f.key_pos.iter().enumerate() {
            llr[p as usize] = if self.noisy.get(f.offset + j) { -self.belief } else { self.belief };
        }
        for (j, &p) in f.shortened_pos.iter().enumerate() {
            llr[p as usize] = if f.shortened.get(j) { f32::NEG_INFINITY } else { f32::INFINITY };
        }
        for (j, b) in self.revealed[i].iter().enumerate() {
            llr[f.punctured_pos[j] as usize] = if b { f32::NEG_INFINITY } else { f32::INFINITY };
        }
        let out = decode(&f.code, &self.syndromes[i], &llr, MAX_ITERATIONS);
        let bits = out.success.then(|| {
            let mut bits = BitVec::zeros(f.plan.key_bits);
            for (j, &p) in f.key_pos.iter().enumerate() {
                if out.word.get(p as usize) {
                    bits.set(j, true);
                }
            }
            bits
        });
        (bits, out.iterations)
    }
}

/// `decode(i)` for every frame index in `frames`, in order. Frames are independent, so natively
/// they are spread over the machine's threads (scoped, one per core at most); in wasm32, where a
/// module has one thread, they run in turn.
fn each_frame<T: Send>(frames: &[usize], decode: impl Fn(usize) -> T + Sync) -> Vec<T> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(frames.len());
        if threads > 1 {
            let decode = &decode;
            let mut results: Vec<(usize, T)> = std::thread::scope(|scope| {
                let workers: Vec<_> = (0..threads)
                    .map(|t| {
                        scope.spawn(move || {
                            frames
                                .iter()
                                .enumerate()
                                .skip(t)
                                .step_by(threads)
                                .map(|(k, &i)| (k, decode(i)))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
            });
            results.sort_unstable_by_key(|&(k, _)| k);
            return results.into_iter().map(|(_, v)| v).collect();
        }
    }
    frames.iter().map(|&i| decode(i)).collect()
}
