//! Messages and their byte encoding.
//!
//! Two kinds of frame cross the wire, told apart by their type byte:
//! The table of every frame type (byte, name, route, stage) is [`TABLE`].
//!
//! - **fiber frames**: photons from Alice to the fiber, Bob's measurement
//!   settings, and the detections the fiber returns. They model the optical path and Bob's own
//!   detectors, so they carry no tag; the relay hands them to its fiber, never to a tab.
//! - **classical frames** (`0x10..=0x1e`; `0x20..=0x22` are the key exchanges of
//!   [`crate::kex`]): the public, authenticated channel between Alice and Bob, sealed by [`crate::auth::Channel`] as
//!   `version | type | direction | sequence (u32) | payload length (u32) | payload | tag`, the tag
//!   also covering the round's session id. One exception: [`Ready`] (`0x1b`), Bob's fresh nonce
//!   for the next round, travels untagged: it carries no authority, and the session id every
//!   later tag covers is derived from it.

mod codec;
mod table;

pub use codec::{Reader, Writer};
pub use table::{FrameInfo, Kind, MsgType, Stage, TABLE, frame_info, lookup, row_of};

use crate::auth::TagMode;
use crate::bits::BitVec;
use crate::error::DecodeError;
use crate::party::Config;
use crate::quantum::{Detections, Emission, MAX_INTENSITY, PulseBatch, SourceConfig, WeakCoherent};
use crate::reconciliation::Method;

/// The one wire version this implementation speaks.
pub const VERSION: u8 = 1;

/// Where a frame goes, read from its type byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// To (or from) the simulated fiber.
    Fiber,
    /// Between Alice and Bob on the authenticated classical channel.
    Classical,
}

/// Checks the version and type bytes of any frame and says where it goes.
pub fn route(frame: &[u8]) -> Result<Route, DecodeError> {
    Ok(row_of(frame)?.route)
}

/// The kind of a frame (version and type byte checked).
pub fn kind(frame: &[u8]) -> Result<Kind, DecodeError> {
    Ok(row_of(frame)?.kind)
}

/// A frame on the optical side.
#[derive(Debug, Clone, PartialEq)]
pub enum FiberMsg {
    /// Alice to fiber: the prepared states of one batch.
    Photons(PulseBatch),
    /// Bob to fiber: his measurement bases for one batch.
    Measure {
        /// Batch number.
        index: u32,
        /// One basis bit per pulse.
        bases: BitVec,
    },
    /// Fiber to Bob: his detector clicks for one batch.
    Detections(Detections),
}

impl FiberMsg {
    /// The frame type.
    pub fn kind(&self) -> Kind {
        match self {
            Self::Photons(_) => Kind::Photons,
            Self::Measure { .. } => Kind::Measure,
            Self::Detections(_) => Kind::Detections,
        }
    }

    /// The full frame: version, type, payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u8(VERSION);
        match self {
            Self::Photons(b) => {
                w.u8(Kind::Photons.byte()).u32(b.index);
                match &b.emission {
                    Emission::SinglePhoton => {
                        w.u8(0);
                    }
                    Emission::WeakCoherent { intensities, decoy, vacuum } => {
                        w.u8(1).f64(intensities[0]).f64(intensities[1]).f64(intensities[2]);
                        w.bits(decoy).bits(vacuum);
                    }
                }
                w.bits(&b.bits).bits(&b.bases);
            }
            Self::Measure { index, bases } => {
                w.u8(Kind::Measure.byte()).u32(*index).bits(bases);
            }
            Self::Detections(d) => {
                w.u8(Kind::Detections.byte()).u32(d.index).bits(&d.clicks).bits(&d.outcomes).u8(u8::from(d.alarm));
            }
        }
        w.0
    }

    /// Decodes a whole frame, rejecting other versions, truncation and trailing bytes.
    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        let row = row_of(frame)?;
        if row.route != Route::Fiber {
            return Err(DecodeError::UnknownType(row.byte));
        }
        let mut r = Reader::new(&frame[2..]);
        let msg = match row.kind {
            Kind::Photons => {
                let index = r.u32()?;
                let emission = match r.u8()? {
                    0 => Emission::SinglePhoton,
                    1 => {
                        let intensities = [r.f64()?, r.f64()?, r.f64()?];
                        if !intensities.iter().all(|m| m.is_finite() && (0.0..=MAX_INTENSITY).contains(m)) {
                            return Err(DecodeError::BadValue);
                        }
                        Emission::WeakCoherent { intensities, decoy: r.bits()?, vacuum: r.bits()? }
                    }
                    _ => return Err(DecodeError::BadValue),
                };
                let bits = r.bits()?;
                let bases = r.bits()?;
                if bits.len() != bases.len() {
                    return Err(DecodeError::BadLength);
                }
                if let Emission::WeakCoherent { decoy, vacuum, .. } = &emission
                    && (decoy.len() != bits.len() || vacuum.len() != bits.len())
                {
                    return Err(DecodeError::BadLength);
                }
                Self::Photons(PulseBatch { index, bits, bases, emission })
            }
            Kind::Measure => Self::Measure { index: r.u32()?, bases: r.bits()? },
            _ => {
                let index = r.u32()?;
                let clicks = r.bits()?;
                let outcomes = r.bits()?;
                if clicks.len() != outcomes.len() {
                    return Err(DecodeError::BadLength);
                }
                let alarm = match r.u8()? {
                    0 => false,
                    1 => true,
                    _ => return Err(DecodeError::BadValue),
                };
                Self::Detections(Detections { index, clicks, outcomes, alarm })
            }
        };
        r.finish()?;
        Ok(msg)
    }
}

/// How a round's classical channel is authenticated, as Alice announces it in Hello.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundAuth {
    /// The bootstrap credential (PSK or PKI): only while no round of the link was committed.
    Bootstrap,
    /// HMAC-SHA256 with 256 pool bits per direction, taken at these absolute positions of each
    /// direction's pool stream (`[A->B, B->A]`).
    PoolHmac {
        /// Where each direction's key starts.
        at: [u64; 2],
    },
    /// Wegman-Carter: per direction a 64-bit hash point then `pad_bits` pad bits, taken at
    /// these absolute positions.
    PoolWegmanCarter {
        /// Where each direction's point starts.
        at: [u64; 2],
        /// Pad bits per direction (a multiple of 64).
        pad_bits: [u32; 2],
    },
}

/// What Alice's Hello says about the round besides the protocol parameters. Bob reads it
/// before the tag is checked (it selects the key the tag is checked with) and acts on it only
/// after the tag verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    /// Round number on the link, from 1.
    pub round: u32,
    /// Alice's fresh nonce for this round.
    pub nonce_a: [u8; 32],
    /// The authentication of this round.
    pub auth: RoundAuth,
    /// The last round Alice committed (its key went to her pools and stores), 0 if none.
    pub prev_committed: u32,
}

/// Bytes of a session nonce.
pub const NONCE_LEN: usize = 32;

/// Bob's announcement of a fresh nonce for the next round: `version | 0x1b | nonce`, untagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ready {
    /// Bob's nonce.
    pub nonce_b: [u8; NONCE_LEN],
}

impl Ready {
    /// The frame.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.u8(VERSION).u8(Kind::Ready.byte()).raw(&self.nonce_b);
        w.0
    }

    /// Decodes a whole Ready frame.
    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(frame);
        let version = r.u8()?;
        if version != VERSION {
            return Err(DecodeError::UnknownVersion(version));
        }
        let ty = r.u8()?;
        if lookup(ty).map(|t| t.kind) != Some(Kind::Ready) {
            return Err(DecodeError::UnknownType(ty));
        }
        let nonce_b = r.array()?;
        r.finish()?;
        Ok(Self { nonce_b })
    }
}

/// Whether a frame is a [`Ready`] (by its type byte; the frame may still be malformed).
pub fn is_ready(frame: &[u8]) -> bool {
    kind(frame) == Ok(Kind::Ready)
}

/// One Cascade parity query: the parity of positions `start .. start + len` of pass `pass`'s
/// shuffled order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParityQuery {
    /// Pass number (0 is the unshuffled order).
    pub pass: u8,
    /// First position in the pass's order.
    pub start: u32,
    /// Number of positions.
    pub len: u32,
}

/// A classical message (the payload of a classical frame).
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// Alice to Bob: the round's opening and parameters. Photon batches follow on the fiber.
    Hello(Opening, Config),
    /// Bob to Alice: which pulses clicked, and his basis at each click.
    Sift {
        /// One bit per pulse.
        clicks: BitVec,
        /// Bob's basis at each click, in order.
        bases: BitVec,
    },
    /// Alice to Bob: which clicks had matching bases, the sample chosen among the sifted bits,
    /// and Alice's bits at the sample.
    SiftReply {
        /// One bit per click: bases matched.
        matches: BitVec,
        /// One bit per sifted bit: disclosed for estimation.
        sample: BitVec,
        /// Alice's bits at the sample.
        sample_bits: BitVec,
        /// For a weak-coherent source: the intensity class of every click, announced now that
        /// the pulses are detected (decoy states: Hwang 2003; Lo, Ma, Chen 2005).
        classes: Option<Classes>,
    },
    /// Bob to Alice: his bits at the sample.
    SampleReply {
        /// Bob's bits at the sample.
        sample_bits: BitVec,
    },
    /// Alice to Bob: Cascade's shuffle seed and the top-level block parities of every pass.
    CascadeStart {
        /// Seed of the passes' shuffles.
        seed: [u8; 32],
        /// Parities of every top-level block of every pass, pass after pass.
        parities: BitVec,
    },
    /// Bob to Alice: every parity Cascade needs this round trip.
    ParityQuery(Vec<ParityQuery>),
    /// Alice to Bob: the answers, in query order.
    Parities(BitVec),
    /// Alice to Bob: the LDPC codes' seed and every frame's syndrome.
    LdpcStart {
        /// Seed of the codes and the frames' layouts.
        seed: [u8; 32],
        /// The syndromes, frame after frame.
        syndromes: BitVec,
    },
    /// Bob to Alice: how many more punctured bits each frame needs (blind reconciliation).
    LdpcRequest(Vec<u32>),
    /// Alice to Bob: the punctured bits asked for, frame after frame.
    LdpcReveal(BitVec),
    /// Bob to Alice: reconciliation is done; the frames he dropped (LDPC frames he could not
    /// decode; empty for Cascade), the verification hash key and Bob's tag.
    Reconciled {
        /// Frames dropped from both keys, in increasing order.
        dropped: Vec<u32>,
        /// Two GF(2^64) evaluation points.
        hash_key: [u64; 2],
        /// Bob's hash of his reconciled key.
        tag: [u64; 2],
    },
    /// Alice to Bob: her tag and, when it matched and a key remains, the privacy-amplification
    /// seed (empty otherwise).
    Confirm {
        /// Alice's hash of her key.
        tag: [u64; 2],
        /// Toeplitz seed of `n + m - 1` bits, or empty.
        toeplitz_seed: BitVec,
    },
    /// Bob to Alice: Bob verified and holds the final key; Alice may release hers.
    Done,
    /// Alice to Bob: Alice released the key (it went to her pools and stores); Bob may too.
    Commit,
}

/// Alice's announcement of the intensity classes after detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classes {
    /// One bit per click: the pulse was a weak decoy.
    pub decoy: BitVec,
    /// One bit per click: the pulse was a vacuum decoy.
    pub vacuum: BitVec,
    /// Pulses Alice sent of each class (signal, decoy, vacuum).
    pub pulses: [u64; 3],
}

impl Classes {
    /// The class of click `j` (0 signal, 1 decoy, 2 vacuum).
    pub fn of(&self, j: usize) -> usize {
        if self.decoy.get(j) {
            1
        } else if self.vacuum.get(j) {
            2
        } else {
            0
        }
    }
}

/// Most queries a single [`Msg::ParityQuery`] may carry (and most entries of any list).
pub const MAX_QUERIES: usize = 1 << 20;

/// A `u32` count then that many `u32`s, refused past [`MAX_QUERIES`] or past the payload.
fn u32_list(r: &mut Reader<'_>) -> Result<Vec<u32>, DecodeError> {
    let n = r.u32()? as usize;
    if n > MAX_QUERIES {
        return Err(DecodeError::TooLarge);
    }
    if r.remaining() < n * 4 {
        return Err(DecodeError::Truncated);
    }
    (0..n).map(|_| r.u32()).collect()
}

impl Msg {
    /// The frame type.
    pub fn kind(&self) -> Kind {
        match self {
            Self::Hello(..) => Kind::Hello,
            Self::Sift { .. } => Kind::Sift,
            Self::SiftReply { .. } => Kind::SiftReply,
            Self::SampleReply { .. } => Kind::SampleReply,
            Self::CascadeStart { .. } => Kind::CascadeStart,
            Self::ParityQuery(_) => Kind::ParityQuery,
            Self::Parities(_) => Kind::Parities,
            Self::LdpcStart { .. } => Kind::LdpcStart,
            Self::LdpcRequest(_) => Kind::LdpcRequest,
            Self::LdpcReveal(_) => Kind::LdpcReveal,
            Self::Reconciled { .. } => Kind::Reconciled,
            Self::Confirm { .. } => Kind::Confirm,
            Self::Done => Kind::Done,
            Self::Commit => Kind::Commit,
        }
    }

    /// The type byte.
    pub fn type_byte(&self) -> u8 {
        self.kind().byte()
    }

    /// The message's name, for errors and logs.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The payload bytes.
    pub fn encode_payload(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            Self::Hello(o, p) => {
                w.u32(o.round).raw(&o.nonce_a).u32(o.prev_committed);
                match o.auth {
                    RoundAuth::Bootstrap => w.u8(0),
                    RoundAuth::PoolHmac { at } => w.u8(1).u64(at[0]).u64(at[1]),
                    RoundAuth::PoolWegmanCarter { at, pad_bits } => {
                        w.u8(2).u64(at[0]).u64(at[1]).u32(pad_bits[0]).u32(pad_bits[1])
                    }
                };
                w.u64(p.pulses).u32(p.batch_size).f64(p.sample_fraction).f64(p.qber_threshold);
                w.f64(p.eps_sec).f64(p.eps_cor).u8(match p.tags {
                    TagMode::Transcript => 0,
                    TagMode::PerFrame => 1,
                });
                w.u8(match p.reconciliation {
                    Method::Cascade => 0,
                    Method::Ldpc => 1,
                });
                match p.source {
                    SourceConfig::SinglePhoton => {
                        w.u8(0);
                    }
                    SourceConfig::WeakCoherent(s) => {
                        w.u8(1);
                        for v in s.intensities.iter().chain(&s.probabilities) {
                            w.f64(*v);
                        }
                        w.f64(s.key_basis_probability);
                    }
                }
            }
            Self::Sift { clicks, bases } => {
                w.bits(clicks).bits(bases);
            }
            Self::SiftReply { matches, sample, sample_bits, classes } => {
                w.bits(matches).bits(sample).bits(sample_bits);
                match classes {
                    None => {
                        w.u8(0);
                    }
                    Some(c) => {
                        w.u8(1).bits(&c.decoy).bits(&c.vacuum).u64(c.pulses[0]).u64(c.pulses[1]).u64(c.pulses[2]);
                    }
                }
            }
            Self::SampleReply { sample_bits } => {
                w.bits(sample_bits);
            }
            Self::CascadeStart { seed, parities } => {
                w.raw(seed).bits(parities);
            }
            Self::ParityQuery(qs) => {
                let n = u32::try_from(qs.len()).expect("query lists are bounded by MAX_QUERIES");
                w.u32(n);
                for q in qs {
                    w.u8(q.pass).u32(q.start).u32(q.len);
                }
            }
            Self::Parities(p) => {
                w.bits(p);
            }
            Self::LdpcStart { seed, syndromes } => {
                w.raw(seed).bits(syndromes);
            }
            Self::LdpcRequest(counts) => {
                w.u32(u32::try_from(counts.len()).expect("one count per frame, far below 2^32"));
                for &c in counts {
                    w.u32(c);
                }
            }
            Self::LdpcReveal(bits) => {
                w.bits(bits);
            }
            Self::Reconciled { dropped, hash_key, tag } => {
                w.u32(u32::try_from(dropped.len()).expect("one entry per frame, far below 2^32"));
                for &f in dropped {
                    w.u32(f);
                }
                w.u64(hash_key[0]).u64(hash_key[1]).u64(tag[0]).u64(tag[1]);
            }
            Self::Confirm { tag, toeplitz_seed } => {
                w.u64(tag[0]).u64(tag[1]).bits(toeplitz_seed);
            }
            Self::Done | Self::Commit => {}
        }
        w.0
    }

    /// Decodes a payload of type `ty`, rejecting truncation and trailing bytes.
    pub fn decode_payload(ty: u8, payload: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(payload);
        let kind = lookup(ty).filter(|t| t.sealed).ok_or(DecodeError::UnknownType(ty))?.kind;
        let msg = match kind {
            Kind::Hello => Self::Hello(
                {
                    let (round, nonce_a, prev_committed) = (r.u32()?, r.array()?, r.u32()?);
                    let auth = match r.u8()? {
                        0 => RoundAuth::Bootstrap,
                        1 => RoundAuth::PoolHmac { at: [r.u64()?, r.u64()?] },
                        2 => RoundAuth::PoolWegmanCarter { at: [r.u64()?, r.u64()?], pad_bits: [r.u32()?, r.u32()?] },
                        _ => return Err(DecodeError::BadValue),
                    };
                    Opening { round, nonce_a, auth, prev_committed }
                },
                Config {
                    pulses: r.u64()?,
                    batch_size: r.u32()?,
                    sample_fraction: r.f64()?,
                    qber_threshold: r.f64()?,
                    eps_sec: r.f64()?,
                    eps_cor: r.f64()?,
                    tags: match r.u8()? {
                        0 => TagMode::Transcript,
                        1 => TagMode::PerFrame,
                        _ => return Err(DecodeError::BadValue),
                    },
                    reconciliation: match r.u8()? {
                        0 => Method::Cascade,
                        1 => Method::Ldpc,
                        _ => return Err(DecodeError::BadValue),
                    },
                    source: match r.u8()? {
                        0 => SourceConfig::SinglePhoton,
                        1 => SourceConfig::WeakCoherent(WeakCoherent {
                            intensities: [r.f64()?, r.f64()?, r.f64()?],
                            probabilities: [r.f64()?, r.f64()?, r.f64()?],
                            key_basis_probability: r.f64()?,
                        }),
                        _ => return Err(DecodeError::BadValue),
                    },
                },
            ),
            Kind::Sift => Self::Sift { clicks: r.bits()?, bases: r.bits()? },
            Kind::SiftReply => Self::SiftReply {
                matches: r.bits()?,
                sample: r.bits()?,
                sample_bits: r.bits()?,
                classes: match r.u8()? {
                    0 => None,
                    1 => Some(Classes { decoy: r.bits()?, vacuum: r.bits()?, pulses: [r.u64()?, r.u64()?, r.u64()?] }),
                    _ => return Err(DecodeError::BadValue),
                },
            },
            Kind::SampleReply => Self::SampleReply { sample_bits: r.bits()? },
            Kind::CascadeStart => Self::CascadeStart { seed: r.array()?, parities: r.bits()? },
            Kind::ParityQuery => {
                let n = r.u32()? as usize;
                if n > MAX_QUERIES {
                    return Err(DecodeError::TooLarge);
                }
                if r.remaining() < n * 9 {
                    return Err(DecodeError::Truncated);
                }
                let mut qs = Vec::with_capacity(n);
                for _ in 0..n {
                    qs.push(ParityQuery { pass: r.u8()?, start: r.u32()?, len: r.u32()? });
                }
                Self::ParityQuery(qs)
            }
            Kind::Parities => Self::Parities(r.bits()?),
            Kind::LdpcStart => Self::LdpcStart { seed: r.array()?, syndromes: r.bits()? },
            Kind::LdpcRequest => Self::LdpcRequest(u32_list(&mut r)?),
            Kind::LdpcReveal => Self::LdpcReveal(r.bits()?),
            Kind::Reconciled => Self::Reconciled {
                dropped: u32_list(&mut r)?,
                hash_key: [r.u64()?, r.u64()?],
                tag: [r.u64()?, r.u64()?],
            },
            Kind::Confirm => Self::Confirm { tag: [r.u64()?, r.u64()?], toeplitz_seed: r.bits()? },
            Kind::Done => Self::Done,
            Kind::Commit => Self::Commit,
            _ => return Err(DecodeError::UnknownType(ty)),
        };
        r.finish()?;
        Ok(msg)
    }
}
