//! One side of a classical key exchange, sans-IO: Bob announces a fresh nonce (the same Ready
//! frame QKD rounds open with), Alice sends her share, Bob answers with his, Alice confirms.
//!
//! ```text
//! Bob   -> Alice  Ready      nonce_b                                   (untagged)
//! Alice -> Bob    KexHello   method, nonce_a, nonce_b, Alice's share   tag_A(transcript)
//! Bob   -> Alice  KexReply   Bob's share                               tag_B(transcript)
//! Alice -> Bob    KexFinish  (empty)                                   tag_A(transcript)
//! ```
//!
//! Every tag covers the link id and the whole transcript up to it, so each side authenticates
//! everything either side sent, and the keys depend on Bob's fresh nonce: a replayed Hello
//! gets a Reply the replayer cannot confirm. This is the shape of SIGMA's "sign and MAC"
//! (H. Krawczyk, CRYPTO 2003) and of TLS 1.3's CertificateVerify and Finished (RFC 8446,
//! section 4.4), with the bootstrap credential in the role of both. Alice releases her keys when
//! Bob's Reply verified (it proves Bob saw her Hello unaltered and derived the same secret);
//! Bob releases his when Alice's Finish verified. A frame that fails a check returns a typed
//! error and changes nothing, so a forged frame cannot end the exchange; the genuine one can
//! still arrive.

use hkdf::Hkdf;
use ml_kem::{DecapsulationKey, MlKem768};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Method;
use super::primitives::{self as prim, MLKEM768_CT_LEN, MLKEM768_EK_LEN, X25519_LEN};
use super::toy::{self, TOY_LEN};
use super::wire::{self, Transcript};
use crate::auth::{Credential, Direction};
use crate::bits::BitVec;
use crate::error::{Error, LinkError};
use crate::keystore::{KeyStore, KeyStoreConfig};
use crate::msgs::{self, Kind, NONCE_LEN, Reader, Ready};
use crate::rng::{QkdRng, Seed};

/// Key material each direction's store receives from one exchange, in bytes (128 keys of 256
/// bits; HKDF-SHA256 can expand to 8,160).
pub const STORE_BYTES: usize = 4096;

/// How an exchange ended, on one side. It serializes (camelCase) as the package's `KexOutcome`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KexOutcome {
    /// The method.
    pub method: &'static str,
    /// Whether this side released keys.
    pub ok: bool,
    /// 32 bits derived beside the keys, as hex: both sides show them to compare.
    pub fingerprint: String,
    /// Keys each store received (`[A->B, B->A]`).
    pub stored_keys: [usize; 2],
    /// Bits that went to the stores.
    pub stored_bits: usize,
    /// Bytes of every frame of the exchange, both directions (Ready included).
    pub bytes_exchanged: usize,
    /// Frames of the exchange (Ready included).
    pub messages: usize,
}

/// Alice's secrets between her Hello and Bob's Reply.
struct Pending {
    x25519: Option<[u8; X25519_LEN]>,
    mlkem: Option<Box<DecapsulationKey<MlKem768>>>,
    toy: Option<u64>,
}

enum State {
    /// Alice: waiting for Bob's nonce, or for `start`. Bob: waiting for a Hello.
    Idle,
    /// Alice: Hello sent.
    SentHello(Pending),
    /// Bob: Reply sent; the keys wait for Alice's Finish.
    SentReply { material: Box<Material> },
    /// Keys released.
    Established,
}

/// What both sides derive (HKDF-SHA256, RFC 5869).
struct Material {
    label: String,
    ab: Vec<u8>,
    ba: Vec<u8>,
    fingerprint: String,
}

/// One side of a key exchange.
pub struct KeyExchange {
    alice: bool,
    method: Method,
    credential: Credential,
    rng: QkdRng,
    nonce_b: Option<[u8; NONCE_LEN]>,
    transcript: Transcript,
    state: State,
    stores: [KeyStore; 2],
    outcome: Option<KexOutcome>,
}

impl KeyExchange {
    /// Alice's side on link (room) `link`, with her bootstrap credential.
    pub fn alice(method: Method, credential: Credential, link: &str, seed: Seed) -> Result<Self, Error> {
        Self::new(true, method, credential, link, seed)
    }

    /// Bob's side: he accepts only `method` (the tag covers it, so no one can downgrade it).
    pub fn bob(method: Method, credential: Credential, link: &str, seed: Seed) -> Result<Self, Error> {
        let mut me = Self::new(false, method, credential, link, seed)?;
        let mut nonce = [0u8; NONCE_LEN];
        me.rng.fill_bytes(&mut nonce);
        me.nonce_b = Some(nonce);
        Ok(me)
    }

    fn new(alice: bool, method: Method, credential: Credential, link: &str, seed: Seed) -> Result<Self, Error> {
        wire::tag_len(&credential)?;
        Ok(Self {
            alice,
            method,
            credential,
            rng: seed.rng(if alice { "kex alice" } else { "kex bob" }),
            nonce_b: None,
            transcript: Transcript::new(link),
            state: State::Idle,
            stores: stores()?,
            outcome: None,
        })
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// Bob: his Ready frame (his nonce), to send when he joins. Alice: `None`.
    pub fn ready_frame(&self) -> Option<Vec<u8>> {
        (!self.alice).then(|| Ready { nonce_b: self.nonce_b.unwrap_or_default() }.encode())
    }

    /// Alice: Bob's nonce arrived and nothing was sent yet.
    pub fn can_start(&self) -> bool {
        self.alice && self.nonce_b.is_some() && matches!(self.state, State::Idle)
    }

    /// Whether this side released keys.
    pub fn is_established(&self) -> bool {
        matches!(self.state, State::Established)
    }

    /// Where the exchange stands.
    pub fn state(&self) -> &'static str {
        match (&self.state, self.alice) {
            (State::Idle, true) if self.nonce_b.is_none() => "ExpectReady",
            (State::Idle, true) => "Ready",
            (State::Idle, false) => "ExpectHello",
            (State::SentHello(_), _) => "ExpectReply",
            (State::SentReply { .. }, _) => "ExpectFinish",
            (State::Established, _) => "Established",
        }
    }

    /// How it ended, once it did.
    pub fn outcome(&self) -> Option<&KexOutcome> {
        self.outcome.as_ref()
    }

    /// The key stores, `[A->B, B->A]`, empty until the keys are released.
    pub fn stores(&self) -> &[KeyStore; 2] {
        &self.stores
    }

    /// The key stores, for ETSI 014 delivery.
    pub fn stores_mut(&mut self) -> &mut [KeyStore; 2] {
        &mut self.stores
    }

    /// Alice: her Hello (her share), once Bob's nonce arrived.
    pub fn start(&mut self) -> Result<Vec<Vec<u8>>, Error> {
        if !self.alice {
            return Err(Error::invalid("role", "only Alice starts an exchange"));
        }
        let Some(nonce_b) = self.nonce_b else { return Err(Error::Link(LinkError::NotReady)) };
        if !matches!(self.state, State::Idle) {
            return Err(Error::Link(LinkError::Busy));
        }
        let mut nonce_a = [0u8; NONCE_LEN];
        self.rng.fill_bytes(&mut nonce_a);
        let mut payload = vec![self.method.byte()];
        payload.extend_from_slice(&nonce_a);
        payload.extend_from_slice(&nonce_b);
        let mut pending = Pending { x25519: None, mlkem: None, toy: None };
        if self.method.uses_mlkem() {
            let mut seed = [0u8; prim::MLKEM_SEED_LEN];
            self.rng.fill_bytes(&mut seed);
            let (dk, ek) = prim::mlkem768_pair(&seed);
            payload.extend_from_slice(&ek);
            pending.mlkem = Some(Box::new(dk));
        }
        if self.method.uses_x25519() {
            let mut scalar = [0u8; X25519_LEN];
            self.rng.fill_bytes(&mut scalar);
            payload.extend_from_slice(&prim::x25519_public(&scalar));
            pending.x25519 = Some(scalar);
        }
        if self.method == Method::ToyDh {
            let mut b = [0u8; TOY_LEN];
            self.rng.fill_bytes(&mut b);
            let a = toy::exponent(b);
            payload.extend_from_slice(&toy::pow(toy::G, a).to_be_bytes());
            pending.toy = Some(a);
        }
        let frame =
            wire::seal(Kind::KexHello, Direction::AliceToBob, &payload, &self.credential, &mut self.transcript)?;
        self.state = State::SentHello(pending);
        Ok(vec![frame])
    }

    /// Takes one frame from the peer; returns the frames to send. A frame that fails any check
    /// returns its typed error and leaves the exchange as it was.
    pub fn handle(&mut self, frame: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        let kind = msgs::kind(frame)?;
        match (self.alice, kind) {
            (true, Kind::Ready) => self.on_ready(frame),
            (true, Kind::KexReply) => self.on_reply(frame),
            (false, Kind::KexHello) => self.on_hello(frame),
            (false, Kind::KexFinish) => self.on_finish(frame),
            _ => Err(Error::unexpected(self.state(), kind)),
        }
    }

    fn on_ready(&mut self, frame: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        if !matches!(self.state, State::Idle) {
            return Err(Error::unexpected(self.state(), Kind::Ready));
        }
        // Untagged and without authority: it only names the nonce Alice's Hello will bind.
        self.nonce_b = Some(Ready::decode(frame)?.nonce_b);
        Ok(Vec::new())
    }

    fn on_hello(&mut self, frame: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        if !matches!(self.state, State::Idle) {
            return Err(Error::unexpected(self.state(), Kind::KexHello));
        }
        let mut transcript = self.transcript.clone();
        let payload = wire::open(frame, Kind::KexHello, Direction::AliceToBob, &self.credential, &mut transcript)?;
        let mut r = Reader::new(payload);
        if r.u8()? != self.method.byte() {
            return Err(Error::inconsistent("Alice proposed another key-establishment method than this side accepts"));
        }
        let _nonce_a: [u8; NONCE_LEN] = r.array()?;
        let nonce_b: [u8; NONCE_LEN] = r.array()?;
        if Some(nonce_b) != self.nonce_b {
            return Err(Error::inconsistent("the Hello names another nonce than Bob's Ready (a replay)"));
        }
        let mut reply = Vec::new();
        let mut shared = Vec::new();
        if self.method.uses_mlkem() {
            let ek = r.take(MLKEM768_EK_LEN)?;
            let mut m = [0u8; 32];
            self.rng.fill_bytes(&mut m);
            let (ct, k) = prim::mlkem768_encapsulate(ek, &m)
                .map_err(|_| Error::inconsistent("Alice's ML-KEM encapsulation key is not valid"))?;
            reply.extend_from_slice(&ct);
            shared.extend_from_slice(&k);
        }
        if self.method.uses_x25519() {
            let theirs: [u8; X25519_LEN] = r.array()?;
            let mut scalar = [0u8; X25519_LEN];
            self.rng.fill_bytes(&mut scalar);
            reply.extend_from_slice(&prim::x25519_public(&scalar));
            shared.extend_from_slice(&x25519_shared(&scalar, &theirs)?);
        }
        if self.method == Method::ToyDh {
            let theirs = toy::element(r.take(TOY_LEN)?)?;
            let mut b = [0u8; TOY_LEN];
            self.rng.fill_bytes(&mut b);
            let e = toy::exponent(b);
            reply.extend_from_slice(&toy::pow(toy::G, e).to_be_bytes());
            shared.extend_from_slice(&toy::pow(theirs, e).to_be_bytes());
        }
        r.finish()?;
        let out = wire::seal(Kind::KexReply, Direction::BobToAlice, &reply, &self.credential, &mut transcript)?;
        let material = derive(self.method, &shared, &transcript);
        self.transcript = transcript;
        self.state = State::SentReply { material: Box::new(material) };
        Ok(vec![out])
    }

    fn on_reply(&mut self, frame: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        let State::SentHello(pending) = &self.state else {
            return Err(Error::unexpected(self.state(), Kind::KexReply));
        };
        let mut transcript = self.transcript.clone();
        let payload = wire::open(frame, Kind::KexReply, Direction::BobToAlice, &self.credential, &mut transcript)?;
        let mut r = Reader::new(payload);
        let mut shared = Vec::new();
        if let Some(dk) = &pending.mlkem {
            let ct: [u8; MLKEM768_CT_LEN] = r.array()?;
            shared.extend_from_slice(&prim::decapsulate(dk, &ct));
        }
        if let Some(scalar) = &pending.x25519 {
            shared.extend_from_slice(&x25519_shared(scalar, &r.array()?)?);
        }
        if let Some(a) = pending.toy {
            let theirs = toy::element(r.take(TOY_LEN)?)?;
            shared.extend_from_slice(&toy::pow(theirs, a).to_be_bytes());
        }
        r.finish()?;
        let material = derive(self.method, &shared, &transcript);
        self.transcript = transcript;
        let finish = wire::seal(Kind::KexFinish, Direction::AliceToBob, &[], &self.credential, &mut self.transcript)?;
        self.release(material);
        Ok(vec![finish])
    }

    fn on_finish(&mut self, frame: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        if !matches!(self.state, State::SentReply { .. }) {
            return Err(Error::unexpected(self.state(), Kind::KexFinish));
        }
        let mut transcript = self.transcript.clone();
        let payload = wire::open(frame, Kind::KexFinish, Direction::AliceToBob, &self.credential, &mut transcript)?;
        if !payload.is_empty() {
            return Err(Error::inconsistent("KexFinish carries no payload"));
        }
        self.transcript = transcript;
        let State::SentReply { material } = std::mem::replace(&mut self.state, State::Established) else {
            unreachable!("checked above")
        };
        self.release(*material);
        Ok(Vec::new())
    }

    fn release(&mut self, m: Material) {
        let ab = self.stores[0]
            .add(&BitVec::from_bytes(&m.ab, m.ab.len() * 8).expect("whole bytes"), &format!("{} a->b", m.label));
        let ba = self.stores[1]
            .add(&BitVec::from_bytes(&m.ba, m.ba.len() * 8).expect("whole bytes"), &format!("{} b->a", m.label));
        self.state = State::Established;
        self.outcome = Some(KexOutcome {
            method: self.method.name(),
            ok: true,
            fingerprint: m.fingerprint,
            stored_keys: [ab, ba],
            stored_bits: (m.ab.len() + m.ba.len()) * 8,
            // Ready (version, type, nonce), then the three sealed frames the transcript holds.
            bytes_exchanged: 2 + NONCE_LEN + self.transcript.len(),
            messages: 4,
        });
    }
}

/// The two stores of a site, `[A->B, B->A]`, with the link's default SAE and KME ids.
pub(super) fn stores() -> Result<[KeyStore; 2], Error> {
    let ab = KeyStoreConfig::default();
    let ba =
        KeyStoreConfig { master_sae_id: ab.slave_sae_id.clone(), slave_sae_id: ab.master_sae_id.clone(), ..ab.clone() };
    Ok([KeyStore::new(ab)?, KeyStore::new(ba)?])
}

/// X25519 with a check that the result is not all zeros (a low-order point from a man in the
/// middle; RFC 7748, section 6.1, allows the check).
fn x25519_shared(scalar: &[u8; X25519_LEN], theirs: &[u8; X25519_LEN]) -> Result<[u8; X25519_LEN], Error> {
    let s = prim::x25519(scalar, theirs)?;
    if s == [0u8; X25519_LEN] {
        return Err(Error::inconsistent("the peer's X25519 share is a low-order point"));
    }
    Ok(s)
}

/// HKDF-SHA256 (RFC 5869): the shared secrets as input keying material (for the hybrid, the
/// ML-KEM secret then the X25519 one, concatenated, as X25519MLKEM768 in
/// draft-ietf-tls-ecdhe-mlkem and the concatenation combiner of draft-ietf-tls-hybrid-design),
/// the transcript hash as salt, and one `info` per output.
pub(super) fn derive_from(
    method: Method,
    shared: &[u8],
    transcript_hash: &[u8; 32],
) -> (String, Vec<u8>, Vec<u8>, String) {
    let hk = Hkdf::<Sha256>::new(Some(transcript_hash), shared);
    let expand = |what: &str, n: usize| {
        let mut out = vec![0u8; n];
        hk.expand(format!("qkdlab kex v1 {} {what}", method.name()).as_bytes(), &mut out)
            .expect("below HKDF-SHA256's 8160-byte limit");
        out
    };
    let fingerprint = expand("fingerprint", 4).iter().map(|b| format!("{b:02x}")).collect();
    let label = format!(
        "kex {} {}",
        method.name(),
        transcript_hash[..8].iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    (label, expand("a->b", STORE_BYTES), expand("b->a", STORE_BYTES), fingerprint)
}

fn derive(method: Method, shared: &[u8], transcript: &Transcript) -> Material {
    let th: [u8; 32] = Sha256::digest(transcript.hash_with(&[])).into();
    let (label, ab, ba, fingerprint) = derive_from(method, shared, &th);
    Material { label, ab, ba, fingerprint }
}
