//! The exchanges' frames and their tags. A frame has the classical header of [`crate::msgs`]
//! (`version | type | direction | sequence | payload length | payload`) followed by a tag over
//! the whole transcript so far: an HMAC-SHA256 (32 bytes) under a pre-shared key, or an Ed25519
//! signature (64 bytes) under public keys.

use ed25519_dalek::{Signature, Signer};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::auth::{Credential, Direction};
use crate::error::{AuthError, DecodeError, Error};
use crate::msgs::{Kind, Reader, VERSION, Writer};

/// The frames of one exchange, in order, as both sides hash them.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    link: String,
    frames: Vec<u8>,
}

impl Transcript {
    /// An empty transcript for the link (room) `link`.
    pub fn new(link: &str) -> Self {
        Self { link: link.into(), frames: Vec::new() }
    }

    /// Bytes of the frames so far.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether no frame was added yet.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Appends a whole frame (tag included).
    pub fn push(&mut self, frame: &[u8]) {
        self.frames.extend_from_slice(frame);
    }

    /// SHA-256 of the link id and every frame so far, then `unsigned` (a frame before its tag).
    pub fn hash_with(&self, unsigned: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"qkdlab kex v1");
        h.update((self.link.len() as u32).to_be_bytes());
        h.update(self.link.as_bytes());
        h.update(&self.frames);
        h.update(unsigned);
        h.finalize().into()
    }
}

/// The tag's length under a bootstrap credential (the pool credentials of QKD's later rounds
/// are refused).
pub fn tag_len(credential: &Credential) -> Result<usize, Error> {
    match credential {
        Credential::Psk(_) => Ok(32),
        Credential::Pki { .. } => Ok(64),
        _ => Err(Error::invalid("auth", "a key exchange is authenticated with a PSK or public keys")),
    }
}

fn direction_byte(d: Direction) -> u8 {
    match d {
        Direction::AliceToBob => 0,
        Direction::BobToAlice => 1,
    }
}

/// The sequence number of each frame: its place in the exchange.
fn sequence(kind: Kind) -> u32 {
    match kind {
        Kind::KexReply => 1,
        Kind::KexFinish => 2,
        _ => 0,
    }
}

/// Seals `payload` as a `kind` frame from `direction`, tagged over `transcript`; the frame is
/// also appended to the transcript.
pub fn seal(
    kind: Kind,
    direction: Direction,
    payload: &[u8],
    credential: &Credential,
    transcript: &mut Transcript,
) -> Result<Vec<u8>, Error> {
    let mut w = Writer::default();
    w.u8(VERSION).u8(kind.byte()).u8(direction_byte(direction)).u32(sequence(kind));
    w.u32(payload.len() as u32).raw(payload);
    let mut frame = w.0;
    let digest = transcript.hash_with(&frame);
    match credential {
        Credential::Psk(key) => {
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
            mac.update(&digest);
            frame.extend_from_slice(&mac.finalize().into_bytes());
        }
        Credential::Pki { own, .. } => frame.extend_from_slice(&own.signing.sign(&digest).to_bytes()),
        _ => return Err(tag_len(credential).expect_err("not a bootstrap credential")),
    }
    transcript.push(&frame);
    Ok(frame)
}

/// Checks a received frame: its kind, direction and sequence, then its tag over the transcript
/// (made by the peer); returns the payload and appends the frame to the transcript. Nothing is
/// appended when any check fails, so a forged frame leaves the exchange as it was.
pub fn open<'a>(
    frame: &'a [u8],
    kind: Kind,
    direction: Direction,
    credential: &Credential,
    transcript: &mut Transcript,
) -> Result<&'a [u8], Error> {
    let mut r = Reader::new(frame);
    let version = r.u8()?;
    if version != VERSION {
        return Err(DecodeError::UnknownVersion(version).into());
    }
    let got = crate::msgs::kind(frame)?;
    r.u8()?;
    if got != kind {
        return Err(Error::unexpected(kind.name(), got));
    }
    if r.u8()? != direction_byte(direction) {
        return Err(Error::Auth(AuthError::WrongDirection));
    }
    let seq = r.u32()?;
    if seq != sequence(kind) {
        return Err(Error::Auth(AuthError::Sequence { expected: sequence(kind), got: seq }));
    }
    let len = r.u32()? as usize;
    let payload = r.take(len)?;
    let tag = r.take(tag_len(credential)?).map_err(|_| Error::Auth(AuthError::BadTag))?;
    r.finish()?;
    let unsigned = &frame[..frame.len() - tag.len()];
    let digest = transcript.hash_with(unsigned);
    let good = match credential {
        Credential::Psk(key) => {
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
            mac.update(&digest);
            mac.verify_slice(tag).is_ok()
        }
        Credential::Pki { peer, .. } => {
            Signature::from_slice(tag).is_ok_and(|s| peer.verify_strict(&digest, &s).is_ok())
        }
        _ => false,
    };
    if !good {
        return Err(Error::Auth(AuthError::BadTag));
    }
    transcript.push(frame);
    Ok(payload)
}
