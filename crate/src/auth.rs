//! The authenticated classical channel.
//!
//! Every classical frame is `version | type | direction | sequence (u32 BE) | payload length
//! (u32 BE) | payload | tag`, and the tag is HMAC-SHA256 (RFC 2104 with SHA-256, FIPS 180-4)
//! over everything before it, keyed per direction from the pre-shared key. The receiver checks
//! the tag in constant time (`Mac::verify_slice`), then the direction, then that the sequence
//! number is exactly the next one: an edit or injection fails the tag, a replay, reorder or
//! drop fails the sequence, a reflected frame fails the tag (the other direction's key).
//!
//! Key accounting: HMAC's security is computational, so its key is reused across frames and no
//! key bits are consumed per tag; the session spends the 256-bit PSK once, as bootstrap.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::error::{AuthError, DecodeError, Error};
use crate::msgs::{Msg, Reader, VERSION, Writer};

type HmacSha256 = Hmac<Sha256>;

/// Bytes of an HMAC-SHA256 tag.
pub const TAG_LEN: usize = 32;
/// Bytes of a pre-shared key.
pub const PSK_LEN: usize = 32;
/// Header bytes before the payload: version, type, direction, sequence, length.
pub const HEADER_LEN: usize = 11;

/// HMAC-SHA256 of `message` under `key` (any key length, per RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Which way a frame travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Alice to Bob (encoded 0).
    AliceToBob,
    /// Bob to Alice (encoded 1).
    BobToAlice,
}

impl Direction {
    fn byte(self) -> u8 {
        match self {
            Self::AliceToBob => 0,
            Self::BobToAlice => 1,
        }
    }

    /// The opposite direction.
    pub fn reverse(self) -> Self {
        match self {
            Self::AliceToBob => Self::BobToAlice,
            Self::BobToAlice => Self::AliceToBob,
        }
    }
}

/// How the classical channel is authenticated.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A 32-byte pre-shared key; frames carry HMAC-SHA256 tags.
    Psk([u8; PSK_LEN]),
}

impl core::fmt::Debug for Credential {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Psk(_) => write!(f, "Psk(..)"),
        }
    }
}

impl Credential {
    /// A PSK credential, refusing any length but [`PSK_LEN`].
    pub fn psk(bytes: &[u8]) -> Result<Self, Error> {
        let key: [u8; PSK_LEN] = bytes
            .try_into()
            .map_err(|_| Error::invalid("psk", format!("must be {PSK_LEN} bytes, got {}", bytes.len())))?;
        Ok(Self::Psk(key))
    }

    /// The mode's name in reports.
    pub fn mode(&self) -> &'static str {
        match self {
            Self::Psk(_) => "psk-hmac-sha256",
        }
    }

    /// Secret bits this credential puts at stake (the bootstrap key).
    pub fn key_bits(&self) -> u64 {
        match self {
            Self::Psk(_) => (PSK_LEN * 8) as u64,
        }
    }

    fn direction_key(&self, dir: Direction) -> [u8; 32] {
        match self {
            Self::Psk(psk) => {
                let mut label = b"qkdlab v1 classical channel  ".to_vec();
                label.push(dir.byte());
                hmac_sha256(psk, &label)
            }
        }
    }
}

/// What authentication cost so far, as reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthStats {
    /// Frames this side sealed.
    pub frames_sent: u64,
    /// Frames this side accepted.
    pub frames_received: u64,
    /// Tag bits this side transmitted.
    pub tag_bits_sent: u64,
}

/// One side's end of the authenticated classical channel.
pub struct Channel {
    send_key: [u8; 32],
    recv_key: [u8; 32],
    send_dir: Direction,
    send_seq: u32,
    recv_seq: u32,
    stats: AuthStats,
}

impl Channel {
    /// The end that sends in `send_dir`.
    pub fn new(credential: &Credential, send_dir: Direction) -> Self {
        Self {
            send_key: credential.direction_key(send_dir),
            recv_key: credential.direction_key(send_dir.reverse()),
            send_dir,
            send_seq: 0,
            recv_seq: 0,
            stats: AuthStats::default(),
        }
    }

    /// Costs so far.
    pub fn stats(&self) -> &AuthStats {
        &self.stats
    }

    /// Encodes and tags `msg` as the next frame in this side's direction.
    pub fn seal(&mut self, msg: &Msg) -> Vec<u8> {
        let payload = msg.encode_payload();
        let len = u32::try_from(payload.len()).expect("payloads are bounded far below 4 GiB by MAX_PULSES");
        let mut w = Writer::default();
        w.u8(VERSION).u8(msg.type_byte()).u8(self.send_dir.byte()).u32(self.send_seq).u32(len).raw(&payload);
        let tag = hmac_sha256(&self.send_key, &w.0);
        w.raw(&tag);
        self.send_seq += 1;
        self.stats.frames_sent += 1;
        self.stats.tag_bits_sent += (TAG_LEN * 8) as u64;
        w.0
    }

    /// Checks a received frame's structure, tag, direction and sequence, then decodes it.
    pub fn open(&mut self, frame: &[u8]) -> Result<Msg, Error> {
        let mut r = Reader::new(frame);
        let version = r.u8()?;
        if version != VERSION {
            return Err(DecodeError::UnknownVersion(version).into());
        }
        let ty = r.u8()?;
        let dir = r.u8()?;
        let seq = r.u32()?;
        let len = r.u32()? as usize;
        let _payload = r.take(len)?;
        let tag = r.take(TAG_LEN)?;
        r.finish()?;

        let signed = &frame[..frame.len() - TAG_LEN];
        let mut mac = HmacSha256::new_from_slice(&self.recv_key).expect("HMAC accepts keys of any length");
        mac.update(signed);
        mac.verify_slice(tag).map_err(|_| AuthError::BadTag)?;
        if dir != self.send_dir.reverse().byte() {
            return Err(AuthError::WrongDirection.into());
        }
        if seq != self.recv_seq {
            return Err(AuthError::Sequence { expected: self.recv_seq, got: seq }.into());
        }
        self.recv_seq += 1;
        self.stats.frames_received += 1;
        Ok(Msg::decode_payload(ty, &frame[HEADER_LEN..HEADER_LEN + len])?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Channel, Channel) {
        let c = Credential::psk(&[7u8; 32]).expect("32-byte key");
        (Channel::new(&c, Direction::AliceToBob), Channel::new(&c, Direction::BobToAlice))
    }

    #[test]
    fn sealed_frames_open_in_order_and_replays_fail_the_sequence() {
        let (mut a, mut b) = pair();
        let f0 = a.seal(&Msg::Done);
        let f1 = a.seal(&Msg::Parities(crate::bits::BitVec::zeros(3)));
        assert_eq!(b.open(&f0), Ok(Msg::Done));
        assert_eq!(b.open(&f0), Err(Error::Auth(AuthError::Sequence { expected: 1, got: 0 })));
        assert!(b.open(&f1).is_ok());
    }

    #[test]
    fn every_single_bit_flip_is_caught() {
        let (mut a, _) = pair();
        let f = a.seal(&Msg::Reconciled { hash_key: [1, 2], tag: [3, 4] });
        for i in 0..f.len() * 8 {
            let (_, mut b) = pair();
            let mut g = f.clone();
            g[i / 8] ^= 0x80 >> (i % 8);
            let e = b.open(&g).expect_err("a flipped bit must not pass");
            assert!(matches!(e, Error::Auth(AuthError::BadTag) | Error::Decode(_)), "bit {i}: {e:?}");
        }
    }

    #[test]
    fn reflected_frames_are_refused() {
        let (mut a, _) = pair();
        let (mut a2, _) = pair();
        let f = a.seal(&Msg::Done);
        assert_eq!(a2.open(&f), Err(Error::Auth(AuthError::BadTag)));
    }

    #[test]
    fn psk_of_wrong_length_is_refused() {
        assert!(matches!(Credential::psk(&[0u8; 16]), Err(Error::InvalidParameter { field: "psk", .. })));
    }
}
