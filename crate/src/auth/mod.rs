//! The authenticated classical channel.
//!
//! Every classical frame is `version | type | direction | sequence (u32 BE) | payload length
//! (u32 BE) | payload | tag`, and the tag covers the round's **session id** followed by
//! everything before the tag, with a key per direction. The session id ([`session_id`]) is
//! SHA-256 of the link id (the room), the round number and both sides' fresh nonces, so a frame
//! or signature from another link, round or session never verifies (transcript binding in the
//! manner of TLS 1.3's handshake context, RFC 8446 section 4.4.1). The receiver checks the tag
//! (in constant time), then the direction, then that the sequence number is exactly the next
//! one: an edit or injection fails the tag, a replay, reorder or drop fails the sequence, a
//! reflected frame fails the tag (the other direction's key).
//!
//! Tags, by [`Credential`]:
//! - `Psk`: HMAC-SHA256 (RFC 2104, FIPS 180-4) keyed from the pre-shared key. Computational
//!   security: the key is reused across frames; the 256-bit PSK is spent once, as bootstrap.
//! - `Pki`: an Ed25519 signature (RFC 8032) of every frame, checked against the peer's pinned
//!   public key: each side signs its whole bootstrap transcript, frame by frame.
//! - `PoolHmac`: HMAC-SHA256 with 256 bits per direction taken from the key pool for the round.
//! - `PoolWegmanCarter`: information-theoretic tags ([`wegman_carter`]), 64 pool bits per tag.
//!
//! Which frames carry a tag, by [`TagMode`]:
//! - `PerFrame`: every frame, as above (for teaching: each frame is checked on arrival).
//! - `Transcript` (the default): only Hello and Commit (Alice's), Reconciled and Done (Bob's),
//!   each tag covering the session id and the whole **transcript** so far, every classical
//!   frame of the round in order (`direction | length u32 | frame without its tag`, both
//!   directions). A frame an adversary alters, injects, drops or reorders makes the two
//!   transcripts differ, so the next tag fails and no key is accepted. Alice checks Bob's
//!   transcript at Reconciled, before she discloses her verification hash and the
//!   privacy-amplification seed (Confirm), and again at Done, which covers the Confirm Bob
//!   acted on: only then does she accept the key. Bob accepts his only on Commit, whose tag
//!   covers everything both sent. The argument is the one for TLS 1.3's
//!   Finished messages, a MAC over the transcript hash (RFC 8446 section 4.4.4), and for
//!   Wegman-Carter tags the hash *is* the universal polynomial hash of the whole transcript, so
//!   the forgery bound stays information-theoretic: `(L + 1) / 2^64` for a transcript of `L`
//!   64-bit words (Wegman & Carter 1981), charged at [`MAX_TRANSCRIPT_LEN`]. Untagged frames
//!   are acted on before they are authenticated; that lets an adversary end a round early (as
//!   dropping a frame does) but never changes a key that is accepted. Four tags a round instead
//!   of one per frame: a Wegman-Carter round spends 256 pad bits whatever its length.

mod pki;
mod pool;
pub mod wegman_carter;

pub use pki::{Identity, fingerprint, safety_number, verifying_key};
pub use pool::KeyPool;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::error::{AuthError, DecodeError, Error};
use crate::msgs::{Msg, NONCE_LEN, Reader, VERSION, Writer};

type HmacSha256 = Hmac<Sha256>;

/// Bytes of an HMAC-SHA256 tag.
pub const TAG_LEN: usize = 32;
/// Bytes of a pre-shared key.
pub const PSK_LEN: usize = 32;
/// Header bytes before the payload: version, type, direction, sequence, length.
pub const HEADER_LEN: usize = 11;
/// Longest classical frame a receiver accepts, in bytes: a Sift of the most pulses a round may
/// have (two bit strings of up to 2^28 bits) plus headroom. Wegman-Carter's forgery bound is
/// charged on this length, whatever the received frame's length.
pub const MAX_FRAME_LEN: usize = (1 << 26) + 1024;
/// Bytes of a session id.
pub const SESSION_ID_LEN: usize = 32;
/// Longest transcript a round may have, in bytes (a receiver refuses the frame that would pass
/// it); the Wegman-Carter forgery bound of a transcript tag is charged at this length.
pub const MAX_TRANSCRIPT_LEN: usize = 1 << 30;

/// Which frames carry a tag (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TagMode {
    /// Four tags a round, each over the whole transcript so far.
    #[default]
    Transcript,
    /// A tag on every frame.
    PerFrame,
}

impl TagMode {
    /// Whether a frame of `kind` carries a tag.
    pub fn tags(self, kind: crate::msgs::Kind) -> bool {
        use crate::msgs::Kind;
        match self {
            Self::PerFrame => true,
            Self::Transcript => matches!(kind, Kind::Hello | Kind::Reconciled | Kind::Done | Kind::Commit),
        }
    }
}

/// The session id every tag of a round covers:
/// `SHA-256("qkdlab session id v1" | len(link) u32 | link | round u32 | nonce_a | nonce_b)`.
pub fn session_id(
    link: &str,
    round: u32,
    nonce_a: &[u8; NONCE_LEN],
    nonce_b: &[u8; NONCE_LEN],
) -> [u8; SESSION_ID_LEN] {
    let mut h = Sha256::new();
    h.update(b"qkdlab session id v1");
    h.update((link.len() as u32).to_be_bytes());
    h.update(link.as_bytes());
    h.update(round.to_be_bytes());
    h.update(nonce_a);
    h.update(nonce_b);
    h.finalize().into()
}

/// Reads a classical frame's message without checking its tag. Only for choosing the key a tag
/// is checked with (Bob reads Hello's opening this way); never act on what it returns before
/// [`Channel::open`] accepted the frame.
pub fn peek(frame: &[u8]) -> Result<Msg, Error> {
    let mut r = Reader::new(frame);
    let version = r.u8()?;
    if version != VERSION {
        return Err(DecodeError::UnknownVersion(version).into());
    }
    let ty = r.u8()?;
    let _dir = r.u8()?;
    let _seq = r.u32()?;
    let len = r.u32()? as usize;
    Ok(Msg::decode_payload(ty, r.take(len)?)?)
}

/// The public parameters a Hello announces, read with [`peek`] (for display, and for a man in
/// the middle who must answer it): the round and the protocol parameters.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HelloParams {
    /// Round number on the link.
    pub round: u32,
    /// The protocol parameters.
    #[serde(flatten)]
    pub config: crate::party::Config,
}

/// [`HelloParams`] of a Hello frame, unchecked (see [`peek`]).
pub fn hello_params(frame: &[u8]) -> Result<HelloParams, Error> {
    match peek(frame)? {
        Msg::Hello(o, config) => Ok(HelloParams { round: o.round, config }),
        other => Err(Error::unexpected("Hello", other.kind())),
    }
}

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

/// One direction's Wegman-Carter key for a round: the hash point and the pad bits.
#[derive(Clone, PartialEq, Eq)]
pub struct WcKey {
    /// The secret evaluation point of the polynomial hash.
    pub point: u64,
    /// Pad bits for this round's tags, 64 per frame.
    pub pad: KeyPool,
}

/// How the classical channel is authenticated.
///
/// ```
/// use qkdlab::{Credential, Seed};
/// use qkdlab::auth::{Identity, safety_number};
///
/// // A pre-shared key: exactly 32 bytes, anything else is refused with the field named.
/// assert!(Credential::psk(&[9u8; 32]).is_ok());
/// assert_eq!(Credential::psk(&[9u8; 16]).err().map(|e| e.code()), Some("invalid_parameter"));
/// // Public keys: each side holds its own Ed25519 identity and pins the peer's public key,
/// // after both read the same safety number out of band.
/// let (alice, bob) = (Identity::from_seed(&Seed::from_text("a"), "alice"), Identity::from_seed(&Seed::from_text("b"), "bob"));
/// assert_eq!(safety_number(&alice.public(), &bob.public()), safety_number(&bob.public(), &alice.public()));
/// let mine = Credential::pki(&alice.signing.to_bytes(), bob.public().as_bytes())?;
/// assert_eq!(mine.mode(), "pki");
/// # Ok::<(), qkdlab::Error>(())
/// ```
#[derive(Clone)]
pub enum Credential {
    /// A 32-byte pre-shared key; frames carry HMAC-SHA256 tags (bootstrap).
    Psk([u8; PSK_LEN]),
    /// Ed25519 identities (bootstrap): one's own signing key and the peer's pinned public key.
    Pki {
        /// This side's identity.
        own: Box<Identity>,
        /// The peer's public key, pinned by its fingerprint.
        peer: VerifyingKey,
    },
    /// HMAC-SHA256 keyed per direction with 256 bits from the key pool.
    PoolHmac {
        /// Alice-to-Bob key.
        alice_to_bob: [u8; 32],
        /// Bob-to-Alice key.
        bob_to_alice: [u8; 32],
    },
    /// Wegman-Carter tags: a hash point per direction and 64 pad bits per frame from the pool.
    PoolWegmanCarter {
        /// Alice-to-Bob key.
        alice_to_bob: WcKey,
        /// Bob-to-Alice key.
        bob_to_alice: WcKey,
    },
}

impl core::fmt::Debug for Credential {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Credential({})", self.mode())
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

    /// A PKI credential from raw bytes: this side's 32-byte Ed25519 secret key and the peer's
    /// 32-byte public key (refused with the field named when malformed).
    pub fn pki(secret_key: &[u8], peer_public_key: &[u8]) -> Result<Self, Error> {
        let sk: [u8; 32] = secret_key.try_into().map_err(|_| {
            Error::invalid("auth.secretKey", "must be a 32-byte Ed25519 secret key (Identity.secretKey)")
        })?;
        let peer = verifying_key("auth.peerPublicKey", peer_public_key)?;
        Ok(Self::Pki { own: Box::new(Identity { signing: SigningKey::from_bytes(&sk) }), peer })
    }

    /// Two PKI credentials for a run in one process, drawn from `seed`, each pinning the
    /// other's public key: `(Alice's, Bob's)`.
    pub fn pki_pair(seed: &crate::rng::Seed) -> (Self, Self) {
        let (a, b) = (Identity::from_seed(seed, "alice"), Identity::from_seed(seed, "bob"));
        let (pa, pb) = (a.public(), b.public());
        (Self::Pki { own: Box::new(a), peer: pb }, Self::Pki { own: Box::new(b), peer: pa })
    }

    /// The mode's name: the word reports use and options take (`auth: { mode }`).
    pub fn mode(&self) -> &'static str {
        match self {
            Self::Psk(_) => "psk",
            Self::Pki { .. } => "pki",
            Self::PoolHmac { .. } => "pool-hmac",
            Self::PoolWegmanCarter { .. } => "pool-wegman-carter",
        }
    }

    /// Secret key bits a round takes from the key pools when it starts (the pool's HMAC keys or
    /// Wegman-Carter hash points; pad bits are counted as used). The bootstrap credentials
    /// (PSK, PKI) are long-term and take nothing from the pools.
    pub fn key_bits(&self) -> u64 {
        match self {
            Self::Psk(_) => 0,
            Self::Pki { .. } => 0,
            Self::PoolHmac { .. } => 512,
            Self::PoolWegmanCarter { .. } => 128,
        }
    }

    fn ends(&self, dir: Direction) -> (SendMac, RecvMac) {
        let back = dir.reverse();
        match self {
            Self::Psk(psk) => (SendMac::Hmac(psk_direction_key(psk, dir)), RecvMac::Hmac(psk_direction_key(psk, back))),
            Self::Pki { own, peer } => {
                (SendMac::Ed25519(Box::new(own.signing.clone())), RecvMac::Ed25519(Box::new(*peer)))
            }
            Self::PoolHmac { alice_to_bob, bob_to_alice } => {
                let (s, r) = if dir == Direction::AliceToBob {
                    (alice_to_bob, bob_to_alice)
                } else {
                    (bob_to_alice, alice_to_bob)
                };
                (SendMac::Hmac(*s), RecvMac::Hmac(*r))
            }
            Self::PoolWegmanCarter { alice_to_bob, bob_to_alice } => {
                let (s, r) = if dir == Direction::AliceToBob {
                    (alice_to_bob, bob_to_alice)
                } else {
                    (bob_to_alice, alice_to_bob)
                };
                (SendMac::WegmanCarter(s.clone()), RecvMac::WegmanCarter(r.clone()))
            }
        }
    }
}

fn psk_direction_key(psk: &[u8; PSK_LEN], dir: Direction) -> [u8; 32] {
    let mut label = b"qkdlab v1 classical channel  ".to_vec();
    label.push(dir.byte());
    hmac_sha256(psk, &label)
}

enum SendMac {
    Hmac([u8; 32]),
    Ed25519(Box<SigningKey>),
    WegmanCarter(WcKey),
}

enum RecvMac {
    Hmac([u8; 32]),
    Ed25519(Box<VerifyingKey>),
    WegmanCarter(WcKey),
}

impl SendMac {
    fn tag_len(&self) -> usize {
        match self {
            Self::Hmac(_) => TAG_LEN,
            Self::Ed25519(_) => 64,
            Self::WegmanCarter(_) => wegman_carter::TAG_BITS / 8,
        }
    }
}

impl RecvMac {
    fn tag_len(&self) -> usize {
        match self {
            Self::Hmac(_) => TAG_LEN,
            Self::Ed25519(_) => 64,
            Self::WegmanCarter(_) => wegman_carter::TAG_BITS / 8,
        }
    }
}

/// What authentication cost so far, as reported.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthStats {
    /// Frames this side sealed.
    pub frames_sent: u64,
    /// Frames this side accepted.
    pub frames_received: u64,
    /// Tags this side sent (every frame, or four a round over the transcript).
    pub tags_sent: u64,
    /// Tags this side checked and accepted.
    pub tags_received: u64,
    /// Tag bits this side transmitted.
    pub tag_bits_sent: u64,
    /// Pool bits this side's tags consumed (Wegman-Carter pads, sent and checked).
    pub pad_bits_used: u64,
    /// Summed forgery probability of every tag this side checked, accepted or not
    /// (information-theoretic tags only; 0 for computational ones).
    pub epsilon: f64,
}

/// The running hashes of a round's transcript: SHA-256 for HMAC and Ed25519 tags, the
/// polynomial hash at each direction's point for Wegman-Carter tags.
#[derive(Clone)]
struct Transcript {
    sha: Sha256,
    wc: Option<[wegman_carter::PolyHasher; 2]>,
    len: usize,
}

impl Transcript {
    fn new(sid: &[u8; SESSION_ID_LEN], points: Option<[u64; 2]>) -> Self {
        let mut sha = Sha256::new();
        sha.update(b"qkdlab transcript v1");
        sha.update(sid);
        let wc = points.map(|p| {
            p.map(|r| {
                let mut h = wegman_carter::PolyHasher::new(r);
                h.update(sid);
                h
            })
        });
        Self { sha, wc, len: SESSION_ID_LEN }
    }

    /// Appends one frame (without its tag) as `direction | length u32 | frame`.
    fn absorb(&mut self, dir: Direction, frame: &[u8]) -> Result<(), Error> {
        let mut head = [0u8; 5];
        head[0] = dir.byte();
        head[1..].copy_from_slice(&(frame.len() as u32).to_be_bytes());
        self.len = self.len.saturating_add(head.len() + frame.len());
        if self.len > MAX_TRANSCRIPT_LEN {
            return Err(DecodeError::TooLarge.into());
        }
        self.sha.update(head);
        self.sha.update(frame);
        for h in self.wc.iter_mut().flatten() {
            h.update(&head);
            h.update(frame);
        }
        Ok(())
    }

    /// What an HMAC or a signature covers: the transcript's SHA-256 (the session id inside).
    fn digest(&self) -> [u8; 32] {
        self.sha.clone().finalize().into()
    }

    /// The polynomial hash at direction `d`'s point.
    fn poly(&self, d: Direction) -> u64 {
        self.wc.as_ref().map_or(0, |h| h[usize::from(d.byte())].finish())
    }
}

/// One side's end of the authenticated classical channel.
pub struct Channel {
    sid: [u8; SESSION_ID_LEN],
    send: SendMac,
    recv: RecvMac,
    send_dir: Direction,
    send_seq: u32,
    recv_seq: u32,
    stats: AuthStats,
    mode: TagMode,
    transcript: Transcript,
}

impl Channel {
    /// The end that sends in `send_dir`, for the session `sid` (see [`session_id`]), tagging
    /// every frame.
    pub fn new(credential: &Credential, send_dir: Direction, sid: [u8; SESSION_ID_LEN]) -> Self {
        Self::with_mode(credential, send_dir, sid, TagMode::PerFrame)
    }

    /// The end that sends in `send_dir`, for the session `sid`, tagging as `mode` says.
    pub fn with_mode(credential: &Credential, send_dir: Direction, sid: [u8; SESSION_ID_LEN], mode: TagMode) -> Self {
        let (send, recv) = credential.ends(send_dir);
        let points = match (&send, &recv) {
            (SendMac::WegmanCarter(s), RecvMac::WegmanCarter(r)) => {
                let (ab, ba) = if send_dir == Direction::AliceToBob { (s, r) } else { (r, s) };
                Some([ab.point, ba.point])
            }
            _ => None,
        };
        let transcript = Transcript::new(&sid, points);
        Self { sid, send, recv, send_dir, send_seq: 0, recv_seq: 0, stats: AuthStats::default(), mode, transcript }
    }

    /// Which frames carry a tag.
    pub fn mode(&self) -> TagMode {
        self.mode
    }

    /// What an HMAC or a signature covers: per frame, the session id then the frame up to its
    /// tag; over the transcript, a label, the session id and the transcript's digest.
    fn covered(&self, frame: &[u8]) -> Vec<u8> {
        let mut m = Vec::with_capacity(SESSION_ID_LEN + frame.len());
        m.extend_from_slice(&self.sid);
        match self.mode {
            TagMode::PerFrame => m.extend_from_slice(frame),
            TagMode::Transcript => {
                m.extend_from_slice(b"qkdlab transcript tag v1");
                m.extend_from_slice(&self.transcript.digest());
            }
        }
        m
    }

    /// The session id every tag covers.
    pub fn session_id(&self) -> [u8; SESSION_ID_LEN] {
        self.sid
    }

    /// Costs so far.
    pub fn stats(&self) -> &AuthStats {
        &self.stats
    }

    /// Pad bits left in the Wegman-Carter pools, as `(sending, receiving)`.
    pub fn pads_left(&self) -> Option<(KeyPool, KeyPool)> {
        match (&self.send, &self.recv) {
            (SendMac::WegmanCarter(s), RecvMac::WegmanCarter(r)) => Some((s.pad.clone(), r.pad.clone())),
            _ => None,
        }
    }

    /// Encodes and tags `msg` as the next frame in this side's direction. Fails only when the
    /// Wegman-Carter pool has no pad left.
    pub fn seal(&mut self, msg: &Msg) -> Result<Vec<u8>, Error> {
        let payload = msg.encode_payload();
        let len = u32::try_from(payload.len()).expect("payloads are bounded far below 4 GiB by MAX_PULSES");
        let mut w = Writer::default();
        w.u8(VERSION).u8(msg.type_byte()).u8(self.send_dir.byte()).u32(self.send_seq).u32(len).raw(&payload);
        self.send_seq += 1;
        self.stats.frames_sent += 1;
        if self.mode == TagMode::Transcript {
            self.transcript.absorb(self.send_dir, &w.0)?;
            if !self.mode.tags(msg.kind()) {
                return Ok(w.0);
            }
        }
        let tag_len = self.send.tag_len();
        let covered = self.covered(&w.0);
        match &mut self.send {
            SendMac::Hmac(key) => {
                let tag = hmac_sha256(key, &covered);
                w.raw(&tag);
            }
            SendMac::Ed25519(key) => {
                let sig: Signature = key.sign(&covered);
                w.raw(&sig.to_bytes());
            }
            SendMac::WegmanCarter(k) => {
                let pad = k.pad.take_u64()?;
                let hash = match self.mode {
                    TagMode::PerFrame => wegman_carter::poly_hash(&covered, k.point),
                    TagMode::Transcript => self.transcript.poly(self.send_dir),
                };
                w.raw(&(hash ^ pad).to_be_bytes());
                self.stats.pad_bits_used += wegman_carter::TAG_BITS as u64;
            }
        }
        self.stats.tags_sent += 1;
        self.stats.tag_bits_sent += (tag_len * 8) as u64;
        Ok(w.0)
    }

    /// Takes a frame this end's side sent, read off the wire, into the transcript (and the
    /// sequence) as if this end had sealed it: how an observer holding the keys (Eve after a
    /// leak) follows both directions of a round with one end per side. Nothing is checked
    /// but the frame's structure; the next tag this end checks covers it.
    pub fn witness(&mut self, frame: &[u8]) -> Result<(), Error> {
        let send_tag = self.send.tag_len();
        let f = Framed::parse(frame, |kind| if self.mode.tags(kind) { send_tag } else { 0 })?;
        if self.mode == TagMode::Transcript {
            self.transcript.absorb(self.send_dir, f.body)?;
        }
        self.send_seq += 1;
        Ok(())
    }

    /// Checks a received frame's structure, tag, direction and sequence, then decodes it. Over
    /// the transcript, an untagged frame is taken into the transcript unchecked (the next tag
    /// covers it) and a tagged one changes nothing unless its tag verifies.
    pub fn open(&mut self, frame: &[u8]) -> Result<Msg, Error> {
        let recv_tag = self.recv.tag_len();
        let f = Framed::parse(frame, |kind| if self.mode.tags(kind) { recv_tag } else { 0 })?;
        let (tagged, body, tag, dir, seq) = (self.mode.tags(f.kind), f.body, f.tag, f.dir, f.seq);

        let mut transcript = self.transcript.clone();
        if self.mode == TagMode::Transcript {
            transcript.absorb(self.send_dir.reverse(), body)?;
        }
        if tagged {
            self.check_tag(&transcript, body, tag)?;
        }
        if dir != self.send_dir.reverse().byte() {
            return Err(AuthError::WrongDirection.into());
        }
        if seq != self.recv_seq {
            return Err(AuthError::Sequence { expected: self.recv_seq, got: seq }.into());
        }
        let msg = Msg::decode_payload(f.ty, f.payload)?;
        self.transcript = transcript;
        self.recv_seq += 1;
        self.stats.frames_received += 1;
        Ok(msg)
    }

    /// Checks `tag` on `body` (per frame) or on `transcript` (which holds `body` already).
    fn check_tag(&mut self, transcript: &Transcript, body: &[u8], tag: &[u8]) -> Result<(), Error> {
        let covered = match self.mode {
            TagMode::PerFrame => self.covered(body),
            TagMode::Transcript => {
                let mut m = self.sid.to_vec();
                m.extend_from_slice(b"qkdlab transcript tag v1");
                m.extend_from_slice(&transcript.digest());
                m
            }
        };
        let peer = self.send_dir.reverse();
        match &mut self.recv {
            RecvMac::Hmac(key) => {
                let mut mac = HmacSha256::new_from_slice(key.as_slice()).expect("HMAC accepts keys of any length");
                mac.update(&covered);
                mac.verify_slice(tag).map_err(|_| AuthError::BadTag)?;
            }
            RecvMac::Ed25519(key) => {
                let sig = Signature::from_slice(tag).map_err(|_| AuthError::BadTag)?;
                key.verify_strict(&covered, &sig).map_err(|_| AuthError::BadTag)?;
            }
            RecvMac::WegmanCarter(k) => {
                // The pad of the next expected tag: taken only when the tag matches, so a
                // forged or replayed frame cannot push the two ends' pads out of step. Every
                // attempt, accepted or not, is charged: a forger may try the same pad again,
                // and each try succeeds with probability at most epsilon (union bound), charged
                // on the longest message this end would accept (a forger chooses the length).
                let pad = k.pad.peek_u64()?;
                let (hash, longest) = match self.mode {
                    TagMode::PerFrame => (wegman_carter::poly_hash(&covered, k.point), SESSION_ID_LEN + MAX_FRAME_LEN),
                    TagMode::Transcript => (transcript.poly(peer), MAX_TRANSCRIPT_LEN),
                };
                self.stats.epsilon += wegman_carter::epsilon(longest);
                if subtle_eq(&(hash ^ pad).to_be_bytes(), tag) == 0 {
                    return Err(AuthError::BadTag.into());
                }
                k.pad.take_u64()?;
                self.stats.pad_bits_used += wegman_carter::TAG_BITS as u64;
            }
        }
        self.stats.tags_received += 1;
        Ok(())
    }
}

/// A classical frame split into its parts, its structure checked (version, a sealed type,
/// lengths, nothing trailing); `tag_len` says how long the tag of a frame of that kind is.
struct Framed<'a> {
    ty: u8,
    kind: crate::msgs::Kind,
    dir: u8,
    seq: u32,
    payload: &'a [u8],
    /// Everything before the tag.
    body: &'a [u8],
    tag: &'a [u8],
}

impl<'a> Framed<'a> {
    fn parse(frame: &'a [u8], tag_len: impl Fn(crate::msgs::Kind) -> usize) -> Result<Self, Error> {
        if frame.len() > MAX_FRAME_LEN {
            return Err(DecodeError::TooLarge.into());
        }
        let mut r = Reader::new(frame);
        let version = r.u8()?;
        if version != VERSION {
            return Err(DecodeError::UnknownVersion(version).into());
        }
        let ty = r.u8()?;
        let kind = crate::msgs::lookup(ty).filter(|t| t.sealed).ok_or(DecodeError::UnknownType(ty))?.kind;
        let tag_len = tag_len(kind);
        let (dir, seq, len) = (r.u8()?, r.u32()?, r.u32()? as usize);
        let payload = r.take(len)?;
        let tag = r.take(tag_len)?;
        r.finish()?;
        Ok(Self { ty, kind, dir, seq, payload, body: &frame[..frame.len() - tag_len], tag })
    }
}

/// Constant-time equality of two tags (no early exit on the first differing byte).
fn subtle_eq(a: &[u8], b: &[u8]) -> u8 {
    if a.len() != b.len() {
        return 0;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    u8::from(diff == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Channel, Channel) {
        let c = Credential::psk(&[7u8; 32]).expect("32-byte key");
        (Channel::new(&c, Direction::AliceToBob, [1; 32]), Channel::new(&c, Direction::BobToAlice, [1; 32]))
    }

    #[test]
    fn a_frame_from_another_session_fails_the_tag() {
        let c = Credential::psk(&[7u8; 32]).expect("32-byte key");
        let sid = |round, nb: u8| session_id("room", round, &[1; 32], &[nb; 32]);
        let f = Channel::new(&c, Direction::AliceToBob, sid(1, 2)).seal(&Msg::Done).expect("hmac never runs dry");
        for other in [sid(2, 2), sid(1, 3), session_id("other room", 1, &[1; 32], &[2; 32])] {
            let mut b = Channel::new(&c, Direction::BobToAlice, other);
            assert_eq!(b.open(&f), Err(Error::Auth(AuthError::BadTag)));
        }
        assert_eq!(Channel::new(&c, Direction::BobToAlice, sid(1, 2)).open(&f), Ok(Msg::Done));
    }

    #[test]
    fn sealed_frames_open_in_order_and_replays_fail_the_sequence() {
        let (mut a, mut b) = pair();
        let f0 = a.seal(&Msg::Done).expect("hmac never runs dry");
        let f1 = a.seal(&Msg::Parities(crate::bits::BitVec::zeros(3))).expect("hmac never runs dry");
        assert_eq!(b.open(&f0), Ok(Msg::Done));
        assert_eq!(b.open(&f0), Err(Error::Auth(AuthError::Sequence { expected: 1, got: 0 })));
        assert!(b.open(&f1).is_ok());
    }

    #[test]
    fn every_single_bit_flip_is_caught() {
        let (mut a, _) = pair();
        let f =
            a.seal(&Msg::Reconciled { dropped: vec![3], hash_key: [1, 2], tag: [3, 4] }).expect("hmac never runs dry");
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
        let f = a.seal(&Msg::Done).expect("hmac never runs dry");
        assert_eq!(a2.open(&f), Err(Error::Auth(AuthError::BadTag)));
    }

    #[test]
    fn psk_of_wrong_length_is_refused() {
        assert!(matches!(Credential::psk(&[0u8; 16]), Err(Error::InvalidParameter { field: "psk", .. })));
    }
}
