//! "Record now, decrypt later": what an eavesdropper who recorded an exchange can do once a
//! hard problem falls, or the bootstrap credential leaks.
//!
//! An exchange's transcript holds everything its keys depend on but the ephemeral secrets, so
//! whoever can compute those from the public shares later recovers every key, and every message
//! encrypted under them. Here that is real for the toy group ([`super::toy`]: Eve's tab computes
//! the discrete logarithm and derives the very keys), and described, never faked, for X25519
//! (Shor's algorithm on a large quantum computer; no such machine exists) and ML-KEM-768 (no
//! known attack; the switch supposes a future cryptanalytic break). The bootstrap credential
//! only authenticated the exchange: its later leak recovers nothing (the shares were
//! ephemeral), as for QKD.

use serde::Serialize;

use super::Method;
use super::exchange::{STORE_BYTES, derive_from, stores};
use super::toy::{self, TOY_LEN};
use super::wire::Transcript;
use crate::bits::BitVec;
use crate::error::{DecodeError, Error};
use crate::keystore::KeyStore;
use crate::msgs::{self, Kind, NONCE_LEN, Reader};

/// What has fallen, years later.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Breaks {
    /// Discrete logarithms are easy (a quantum computer runs Shor's algorithm): X25519 falls.
    #[serde(default)]
    pub discrete_log: bool,
    /// Module lattices are broken (a cryptanalytic advance): ML-KEM falls.
    #[serde(default)]
    pub lattice: bool,
    /// The bootstrap credential (PSK or signing key) leaked.
    #[serde(default)]
    pub credential: bool,
}

/// What Eve can read of one recorded exchange. It serializes (camelCase) as `KexVerdict`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// The method recorded.
    pub method: &'static str,
    /// Whether the keys fall under these breaks.
    pub falls: bool,
    /// Whether Eve's tab really recovered them (the toy group), rather than the page saying
    /// what would happen.
    pub recovered: bool,
    /// The recovered keys' fingerprint (compare with Alice's and Bob's tabs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Why, in words.
    pub why: String,
}

/// A recorded exchange: the frames Eve saw, on link `link`.
#[derive(Debug, Clone)]
pub struct Recording {
    link: String,
    hello: Option<Vec<u8>>,
    reply: Option<Vec<u8>>,
    stores: Option<[KeyStore; 2]>,
}

/// A sealed frame's payload, the tag skipped (Eve does not know which credential made it).
fn payload(frame: &[u8]) -> Result<&[u8], DecodeError> {
    let mut r = Reader::new(frame);
    r.take(2 + 1 + 4)?;
    let len = r.u32()? as usize;
    r.take(len)
}

impl Recording {
    /// An empty recording of link `link` (the room id: the transcript hash covers it).
    pub fn new(link: &str) -> Self {
        Self { link: link.into(), hello: None, reply: None, stores: None }
    }

    /// Records a frame; frames other than an exchange's Hello and Reply are ignored (the first
    /// of each is kept).
    pub fn add(&mut self, frame: &[u8]) -> Result<(), Error> {
        match msgs::kind(frame)? {
            Kind::KexHello if self.hello.is_none() => self.hello = Some(frame.to_vec()),
            Kind::KexReply if self.reply.is_none() => self.reply = Some(frame.to_vec()),
            _ => {}
        }
        Ok(())
    }

    /// The method recorded, once a Hello was.
    pub fn method(&self) -> Result<Method, Error> {
        let hello = self.hello.as_deref().ok_or(Error::inconsistent("no exchange was recorded"))?;
        let b = *payload(hello)?.first().ok_or(DecodeError::Truncated)?;
        Method::from_byte(b).ok_or(Error::Decode(DecodeError::BadValue))
    }

    /// The keys recovered by [`Self::years_later`], if they were.
    pub fn stores_mut(&mut self) -> Option<&mut [KeyStore; 2]> {
        self.stores.as_mut()
    }

    /// What falls under `breaks`, and for the toy group the keys themselves.
    pub fn years_later(&mut self, breaks: Breaks) -> Result<Verdict, Error> {
        let method = self.method()?;
        let reply = self.reply.clone().ok_or(Error::inconsistent("the exchange's Reply was not recorded"))?;
        let verdict = |falls: bool, why: &str| Verdict {
            method: method.name(),
            falls,
            recovered: false,
            fingerprint: None,
            why: why.into(),
        };
        let credential = if breaks.credential {
            " The leaked credential only authenticated the exchange: it recovers nothing."
        } else {
            ""
        };
        Ok(match method {
            Method::ToyDh | Method::X25519 if !breaks.discrete_log => verdict(
                false,
                &format!("Discrete logarithms are still hard: the recorded shares reveal nothing.{credential}"),
            ),
            Method::ToyDh => return self.break_toy(&reply),
            Method::X25519 => verdict(
                true,
                "Falls (simulated): Shor's algorithm on a large quantum computer would compute Alice's secret scalar \
                 from her recorded public key, then the shared secret and every key. No such computer exists, and this \
                 tab cannot do it (about 2^126 steps classically); the toy group shows the same break for real.",
            ),
            Method::MlKem768 if breaks.lattice => verdict(
                true,
                "Falls (simulated): a break of module lattices would recover the shared secret from the recorded \
                 encapsulation key and ciphertext. No such attack is known; this tab cannot show one.",
            ),
            Method::MlKem768 => {
                verdict(false, &format!("Module lattices still hold: the recording is useless.{credential}"))
            }
            Method::Hybrid if breaks.discrete_log && breaks.lattice => verdict(
                true,
                "Falls (simulated): both halves are broken, so both secrets, and the key derived from them, fall.",
            ),
            Method::Hybrid => verdict(
                false,
                &format!(
                    "Holds: the key derives from both secrets, and {} still stands.{credential}",
                    if breaks.discrete_log { "ML-KEM" } else { "X25519" }
                ),
            ),
        })
    }

    /// The real break of the toy group: Alice's exponent by baby-step giant-step, the shared
    /// secret from Bob's share, then the keys by the exchange's own key schedule.
    fn break_toy(&mut self, reply: &[u8]) -> Result<Verdict, Error> {
        let hello = self.hello.clone().ok_or(Error::inconsistent("no exchange was recorded"))?;
        let mut r = Reader::new(payload(&hello)?);
        r.take(1 + 2 * NONCE_LEN)?;
        let alice_share = toy::element(r.take(TOY_LEN)?)?;
        let bob_share = toy::element(payload(reply)?)?;
        let a = toy::discrete_log(alice_share).ok_or(Error::inconsistent("not in the toy group"))?;
        let shared = toy::pow(bob_share, a).to_be_bytes();
        let mut transcript = Transcript::new(&self.link);
        transcript.push(&hello);
        transcript.push(reply);
        let th: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(transcript.hash_with(&[])).into();
        let (label, ab, ba, fingerprint) = derive_from(Method::ToyDh, &shared, &th);
        let mut stores = stores()?;
        stores[0].add(&BitVec::from_bytes(&ab, STORE_BYTES * 8)?, &format!("{label} a->b"));
        stores[1].add(&BitVec::from_bytes(&ba, STORE_BYTES * 8)?, &format!("{label} b->a"));
        self.stores = Some(stores);
        Ok(Verdict {
            method: Method::ToyDh.name(),
            falls: true,
            recovered: true,
            fingerprint: Some(fingerprint),
            why: format!(
                "Broken for real in this tab: Alice's secret exponent {a} from her recorded share by baby-step \
                 giant-step (about 1.5 million multiplications in a 40-bit group), then the shared secret and every key."
            ),
        })
    }
}
