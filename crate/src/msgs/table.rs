//! The one message table: every frame type's byte, name, route and protocol stage. The codec,
//! the relay's routing, the in-memory driver's stage timings and the JS `frameInfo` all read
//! it; nothing outside `msgs/` knows a type byte or an offset.

use serde::Serialize;

use super::{Reader, Route, VERSION};
use crate::auth::Direction;
use crate::error::DecodeError;

/// A protocol stage, as the page shows progress and the driver times it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Stage {
    /// Photons, measurement settings, detections; a round's opening.
    Quantum,
    /// Bob's clicks and bases, Alice's matches.
    Sifting,
    /// The sample and its error rate.
    Estimation,
    /// Cascade.
    Reconciliation,
    /// The verification hash.
    Verification,
    /// Privacy amplification and the key's release.
    Amplification,
}

impl Stage {
    /// Every stage, in protocol order.
    pub const ALL: [Self; 6] =
        [Self::Quantum, Self::Sifting, Self::Estimation, Self::Reconciliation, Self::Verification, Self::Amplification];

    /// The stage's name (lower case).
    pub fn name(self) -> &'static str {
        match self {
            Self::Quantum => "quantum",
            Self::Sifting => "sifting",
            Self::Estimation => "estimation",
            Self::Reconciliation => "reconciliation",
            Self::Verification => "verification",
            Self::Amplification => "amplification",
        }
    }

    /// Position in protocol order, from 0.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Every frame type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[allow(missing_docs)]
pub enum Kind {
    Photons,
    Measure,
    Detections,
    Hello,
    Sift,
    SiftReply,
    SampleReply,
    CascadeStart,
    ParityQuery,
    Parities,
    Reconciled,
    Confirm,
    Done,
    Commit,
    Ready,
    LdpcStart,
    LdpcRequest,
    LdpcReveal,
    KexHello,
    KexReply,
    KexFinish,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgType {
    /// The frame type.
    pub kind: Kind,
    /// Its type byte (the frame's second byte).
    pub byte: u8,
    /// Its name.
    pub name: &'static str,
    /// Where it goes.
    pub route: Route,
    /// The stage it belongs to.
    pub stage: Stage,
    /// Whether it carries a header with direction and sequence and a tag (classical frames
    /// but Ready).
    pub sealed: bool,
}

const fn row(kind: Kind, byte: u8, name: &'static str, route: Route, stage: Stage, sealed: bool) -> MsgType {
    MsgType { kind, byte, name, route, stage, sealed }
}

use Kind as K;
use Route::{Classical as C, Fiber as F};
use Stage as S;

/// The table.
pub const TABLE: [MsgType; 21] = [
    row(K::Photons, 0x01, "Photons", F, S::Quantum, false),
    row(K::Measure, 0x02, "Measure", F, S::Quantum, false),
    row(K::Detections, 0x03, "Detections", F, S::Quantum, false),
    row(K::Hello, 0x10, "Hello", C, S::Quantum, true),
    row(K::Sift, 0x11, "Sift", C, S::Sifting, true),
    row(K::SiftReply, 0x12, "SiftReply", C, S::Sifting, true),
    row(K::SampleReply, 0x13, "SampleReply", C, S::Estimation, true),
    row(K::CascadeStart, 0x14, "CascadeStart", C, S::Reconciliation, true),
    row(K::ParityQuery, 0x15, "ParityQuery", C, S::Reconciliation, true),
    row(K::Parities, 0x16, "Parities", C, S::Reconciliation, true),
    row(K::Reconciled, 0x17, "Reconciled", C, S::Verification, true),
    row(K::Confirm, 0x18, "Confirm", C, S::Amplification, true),
    row(K::Done, 0x19, "Done", C, S::Amplification, true),
    row(K::Commit, 0x1a, "Commit", C, S::Amplification, true),
    row(K::Ready, 0x1b, "Ready", C, S::Quantum, false),
    row(K::LdpcStart, 0x1c, "LdpcStart", C, S::Reconciliation, true),
    row(K::LdpcRequest, 0x1d, "LdpcRequest", C, S::Reconciliation, true),
    row(K::LdpcReveal, 0x1e, "LdpcReveal", C, S::Reconciliation, true),
    // Classical key establishment (`crate::kex`): not QKD, filed under the round's opening.
    row(K::KexHello, 0x20, "KexHello", C, S::Quantum, true),
    row(K::KexReply, 0x21, "KexReply", C, S::Quantum, true),
    row(K::KexFinish, 0x22, "KexFinish", C, S::Quantum, true),
];

/// The row of a type byte.
pub fn lookup(byte: u8) -> Option<&'static MsgType> {
    TABLE.iter().find(|t| t.byte == byte)
}

impl Kind {
    /// The kind's row.
    pub fn row(self) -> &'static MsgType {
        TABLE.iter().find(|t| t.kind == self).expect("every kind has a row")
    }

    /// Its type byte.
    pub fn byte(self) -> u8 {
        self.row().byte
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        self.row().name
    }
}

/// Checks a frame's version and type byte: its row.
pub fn row_of(frame: &[u8]) -> Result<&'static MsgType, DecodeError> {
    let mut r = Reader::new(frame);
    let version = r.u8()?;
    if version != VERSION {
        return Err(DecodeError::UnknownVersion(version));
    }
    let ty = r.u8()?;
    lookup(ty).ok_or(DecodeError::UnknownType(ty))
}

/// What anyone can read of a frame without a key: its type, route and stage and, for sealed
/// classical frames, the direction and sequence number of the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameInfo {
    /// The frame type.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Where it goes.
    #[serde(serialize_with = "route_name")]
    pub route: Route,
    /// Its stage.
    pub stage: Stage,
    /// Which way a sealed frame claims to travel.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "direction_name")]
    pub direction: Option<Direction>,
    /// A sealed frame's sequence number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u32>,
}

fn route_name<S: serde::Serializer>(r: &Route, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match r {
        Route::Fiber => "fiber",
        Route::Classical => "classical",
    })
}

fn direction_name<S: serde::Serializer>(d: &Option<Direction>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(Direction::AliceToBob) => s.serialize_str("aliceToBob"),
        Some(Direction::BobToAlice) => s.serialize_str("bobToAlice"),
        None => s.serialize_none(),
    }
}

/// Reads a frame's public header (see [`FrameInfo`]).
pub fn frame_info(frame: &[u8]) -> Result<FrameInfo, DecodeError> {
    let row = row_of(frame)?;
    let (mut direction, mut sequence) = (None, None);
    if row.sealed {
        let mut r = Reader::new(&frame[2..]);
        direction = Some(match r.u8()? {
            0 => Direction::AliceToBob,
            1 => Direction::BobToAlice,
            _ => return Err(DecodeError::BadValue),
        });
        sequence = Some(r.u32()?);
    }
    Ok(FrameInfo { kind: row.kind, route: row.route, stage: row.stage, direction, sequence })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_names_are_unique_and_kinds_round_trip() {
        for (i, a) in TABLE.iter().enumerate() {
            assert_eq!(a.kind.row(), a);
            for b in &TABLE[i + 1..] {
                assert_ne!(a.byte, b.byte);
                assert_ne!(a.name, b.name);
            }
        }
    }
}
