//! The JS classes: a session run in chunks, the parties and the fiber over any transport, a
//! link endpoint, an ETSI GS QKD 014 key store and a PKI identity. Each holds a core value and
//! converts at its methods.

use js_sys::Uint8Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{JsClock, etsi_error, from_js, js_error, options, to_js, whole};
use crate::auth::Identity as CoreIdentity;
use crate::error::Error;
use crate::keystore::{KeyIds, KeyRequest, KeyStore as CoreStore, Status, for_master, for_slave};
use crate::link::{Endpoint, Step};
use crate::msgs::{NONCE_LEN, Ready};
use crate::options::KeyStoreOptions;
use crate::party::{Alice as CoreAlice, Bob as CoreBob, RoundContext};
use crate::quantum::Fiber as CoreFiber;
use crate::rng::Seed;
use crate::session::{Driver, Passive};

/// The ETSI GS QKD 014 methods of a class whose core value holds a site's two key stores
/// (`stores_mut()`): a QKD link endpoint or a classical key exchange.
macro_rules! etsi_methods {
    ($class:ident) => {
        #[wasm_bindgen]
        impl $class {
            /// ETSI 014 "Get status" for `slaveSaeId`.
            #[wasm_bindgen(unchecked_return_type = "EtsiStatus")]
            pub fn status(&mut self, slave_sae_id: &str) -> Result<JsValue, JsValue> {
                etsi(for_slave(self.0.stores_mut(), slave_sae_id).and_then(|s| s.status(slave_sae_id)))
            }

            /// ETSI 014 "Get key" (this side's SAE is the master): `{ number?, size? }`.
            #[wasm_bindgen(js_name = encKeys, unchecked_return_type = "EtsiKeyContainer")]
            pub fn enc_keys(
                &mut self,
                slave_sae_id: &str,
                #[wasm_bindgen(unchecked_optional_param_type = "EtsiKeyRequest")] request: Option<JsValue>,
            ) -> Result<JsValue, JsValue> {
                let (number, size) = key_request(request)?;
                etsi(for_slave(self.0.stores_mut(), slave_sae_id).and_then(|s| s.enc_keys(slave_sae_id, number, size)))
            }

            /// ETSI 014 "Get key with key IDs" (the peer's SAE was the master): `{ key_IDs }`.
            #[wasm_bindgen(js_name = decKeys, unchecked_return_type = "EtsiKeyContainer")]
            pub fn dec_keys(
                &mut self,
                master_sae_id: &str,
                #[wasm_bindgen(unchecked_param_type = "EtsiKeyIds")] request: JsValue,
            ) -> Result<JsValue, JsValue> {
                let ids = key_ids(request)?;
                etsi(for_master(self.0.stores_mut(), master_sae_id).and_then(|s| s.dec_keys(master_sae_id, &ids)))
            }

            /// Like `decKeys`, but the keys stay in the store (not part of ETSI 014): a receiver
            /// checks a message's authenticity with them first and spends them with `decKeys`
            /// only then, so a forged message naming key ids costs nothing.
            #[wasm_bindgen(js_name = peekKeys, unchecked_return_type = "EtsiKeyContainer")]
            pub fn peek_keys(
                &mut self,
                master_sae_id: &str,
                #[wasm_bindgen(unchecked_param_type = "EtsiKeyIds")] request: JsValue,
            ) -> Result<JsValue, JsValue> {
                let ids = key_ids(request)?;
                etsi(for_master(self.0.stores_mut(), master_sae_id).and_then(|s| s.peek_keys(master_sae_id, &ids)))
            }
        }
    };
}
pub(super) use etsi_methods;

pub(super) fn frames(out: Vec<Vec<u8>>) -> Vec<Uint8Array> {
    out.iter().map(|f| Uint8Array::from(f.as_slice())).collect()
}

fn step(s: Step) -> JsValue {
    to_js(&s)
}

/// A session run in chunks: call `step()` until it returns false (yielding to the event loop
/// between calls to keep a page responsive, reading `progress`), then `report()`.
#[wasm_bindgen]
pub struct Session(Option<Driver>);

#[wasm_bindgen]
impl Session {
    /// Sets up a session; throws on bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "SimulateOptions")] opts: JsValue) -> Result<Session, JsValue> {
        let (config, bob) = options(opts)?.session().map_err(js_error)?;
        Driver::with_credentials(&config, &config.credential, &bob).map(|d| Session(Some(d))).map_err(js_error)
    }

    /// Runs one turn (every frame in flight); returns whether there is more to do.
    pub fn step(&mut self) -> bool {
        self.0.as_mut().is_some_and(|d| d.step(&mut Passive, &JsClock))
    }

    /// The parties' states and the round trips so far.
    #[wasm_bindgen(getter, unchecked_return_type = "{ alice: string; bob: string; roundTrips: number }")]
    pub fn progress(&self) -> JsValue {
        self.0.as_ref().map_or(JsValue::NULL, |d| to_js(&d.progress()))
    }

    /// Ends the session and returns its report (once).
    #[wasm_bindgen(unchecked_return_type = "Report")]
    pub fn report(&mut self) -> Result<JsValue, JsValue> {
        self.0.take().map(|d| to_js(&d.finish())).ok_or_else(|| js_error(Error::Finished))
    }
}

/// The methods Alice and Bob share in JS, generated once for each (the core's party shell).
macro_rules! party_methods {
    ($ty:ident, $js:literal) => {
        #[wasm_bindgen(js_class = $js)]
        impl $ty {
            /// Takes one frame and returns the frames to send.
            #[wasm_bindgen(unchecked_return_type = "Uint8Array[]")]
            pub fn handle(&mut self, frame: &[u8]) -> Result<Vec<Uint8Array>, JsValue> {
                self.0.handle(frame).map(frames).map_err(js_error)
            }

            /// The state name (`Finished` and `Failed` at the end).
            #[wasm_bindgen(getter)]
            pub fn state(&self) -> String {
                self.0.state().into()
            }

            /// Whether the party holds a verified key.
            #[wasm_bindgen(getter)]
            pub fn finished(&self) -> bool {
                self.0.is_finished()
            }

            /// Why the party stopped, if it failed.
            #[wasm_bindgen(getter, unchecked_return_type = "Error | null")]
            pub fn failure(&self) -> JsValue {
                self.0.failure().map_or(JsValue::NULL, |e| js_error(e.clone()))
            }

            /// The round's agreed record as far as this side got.
            #[wasm_bindgen(getter, unchecked_return_type = "PartySummary")]
            pub fn summary(&self) -> JsValue {
                to_js(self.0.summary())
            }

            /// This side's view of the first pulses (only what it knows).
            #[wasm_bindgen(getter, js_name = pulseView, unchecked_return_type = "PulseView")]
            pub fn pulse_view(&self) -> JsValue {
                to_js(self.0.pulse_view())
            }

            /// The final key (once; later calls return undefined).
            #[wasm_bindgen(js_name = takeKey)]
            pub fn take_key(&mut self) -> Option<Vec<u8>> {
                self.0.take_key().map(|k| k.bits.to_bytes())
            }
        }
    };
}

/// Alice over any transport: `start(bob.readyFrame)` returns her first frames (photons for the
/// fiber, Hello for Bob); `handle(frame)` takes Bob's frames and returns hers. Her randomness
/// comes from the OS.
#[wasm_bindgen]
pub struct Alice(CoreAlice);

#[wasm_bindgen]
impl Alice {
    /// Alice with protocol parameters and her credential (a `seed` is refused).
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "PartyOptions")] opts: JsValue) -> Result<Alice, JsValue> {
        let o = options(opts)?;
        let build = || {
            let context = RoundContext::single(&o.link_id()?);
            CoreAlice::new(o.protocol()?, &o.credential()?, context, o.entropy_only()?.rng("alice"))
        };
        build().map(Alice).map_err(js_error)
    }

    /// Starts on Bob's Ready frame (his fresh nonce): returns the photon frames and Hello.
    #[wasm_bindgen(unchecked_return_type = "Uint8Array[]")]
    pub fn start(&mut self, ready: &[u8]) -> Result<Vec<Uint8Array>, JsValue> {
        self.handle(ready)
    }
}

party_methods!(Alice, "Alice");

/// Bob over any transport: `handle(frame)` takes Alice's frames and the fiber's detections and
/// returns his (measurement settings for the fiber, classical frames for Alice).
#[wasm_bindgen]
pub struct Bob(CoreBob, [u8; NONCE_LEN]);

#[wasm_bindgen]
impl Bob {
    /// Bob with his credential (a `seed` is refused); he adopts Alice's protocol parameters.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "PartyOptions")] opts: JsValue) -> Result<Bob, JsValue> {
        let o = options(opts)?;
        let build = || -> Result<_, Error> {
            let mut rng = o.entropy_only()?.rng("bob");
            let mut nonce = [0u8; NONCE_LEN];
            rand::Rng::fill_bytes(&mut rng, &mut nonce);
            Ok(Bob(CoreBob::new(&o.credential()?, &o.link_id()?, nonce, rng), nonce))
        };
        build().map_err(js_error)
    }

    /// The Ready frame with Bob's fresh nonce for this round: send it to Alice first.
    #[wasm_bindgen(getter, js_name = readyFrame)]
    pub fn ready_frame(&self) -> Vec<u8> {
        Ready { nonce_b: self.1 }.encode()
    }
}

party_methods!(Bob, "Bob");

/// The simulated optical channel: takes Alice's photon frames and Bob's measurement frames,
/// returns Bob's detections.
#[wasm_bindgen]
pub struct Fiber(CoreFiber);

#[wasm_bindgen]
impl Fiber {
    /// A fiber with a channel model, an optional Eve and (optionally) a seed.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "FiberOptions")] opts: JsValue) -> Result<Fiber, JsValue> {
        let o = options(opts)?;
        let build = || CoreFiber::new(o.channel()?, o.eve()?, &o.seed()?);
        build().map(Fiber).map_err(js_error)
    }

    /// Takes a photon or measurement frame; returns the detections that became ready.
    #[wasm_bindgen(unchecked_return_type = "Uint8Array[]")]
    pub fn handle(&mut self, frame: &[u8]) -> Result<Vec<Uint8Array>, JsValue> {
        self.0.handle(frame).map(frames).map_err(js_error)
    }

    /// Pulses, interceptions and clicks so far.
    #[wasm_bindgen(getter, unchecked_return_type = "{ pulses: number; intercepted: number; clicks: number }")]
    pub fn stats(&self) -> JsValue {
        to_js(self.0.stats())
    }
}

/// One side of a QKD link: rounds, authentication pools and key stores, sans-IO. Alice calls
/// `startRound(options)` once Bob's Ready arrived (`ready`); both pass every frame they
/// receive to `handle(frame)` and send the `frames` it returns; `events` tell when a round
/// ended (its fingerprint, pools, stores) or a frame was refused. Every random choice comes
/// from the OS; keys leave only through the ETSI GS QKD 014 methods.
#[wasm_bindgen]
pub struct Link(Endpoint);

#[wasm_bindgen]
impl Link {
    /// An endpoint: `{ role, link, auth, afterBootstrap?, poolTargetBits?, padBudgetBits? }`.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "LinkEndpointOptions")] opts: JsValue) -> Result<Link, JsValue> {
        let o = options(opts)?;
        let build = || {
            let role = o.role.as_deref().ok_or_else(|| Error::invalid("role", "is required (\"alice\" or \"bob\")"))?;
            let link = o.link.as_deref().ok_or_else(|| Error::invalid("link", "is required (the room id)"))?;
            Endpoint::new(role, link, o.link_settings()?, o.credential()?, o.entropy_only()?)
        };
        build().map(Link).map_err(js_error)
    }

    /// Bob: the Ready frame announcing his current nonce (send it to Alice when joining; the
    /// endpoint returns a new one after each round). Alice: undefined.
    #[wasm_bindgen(getter, js_name = readyFrame)]
    pub fn ready_frame(&self) -> Option<Vec<u8>> {
        self.0.ready_frame()
    }

    /// Alice: whether Bob's nonce arrived and no round runs, so one can start.
    #[wasm_bindgen(getter)]
    pub fn ready(&self) -> bool {
        self.0.can_start()
    }

    /// Whether a round is running on this side.
    #[wasm_bindgen(getter)]
    pub fn running(&self) -> bool {
        self.0.is_running()
    }

    /// Alice: opens the next round with the protocol options (`pulses`, ...).
    #[wasm_bindgen(js_name = startRound, unchecked_return_type = "LinkStep")]
    pub fn start_round(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "ProtocolOptions")] opts: JsValue,
    ) -> Result<JsValue, JsValue> {
        let protocol = options(opts)?.protocol().map_err(js_error)?;
        self.0.start_round(protocol).map(step).map_err(js_error)
    }

    /// Takes one frame from the peer (or the fiber, for Bob).
    #[wasm_bindgen(unchecked_return_type = "LinkStep")]
    pub fn handle(&mut self, frame: &[u8]) -> JsValue {
        step(self.0.handle(frame))
    }

    /// Ends the running round from outside (a timeout, the peer's unauthenticated abort): what
    /// it took from the pools stays burned; a key Bob verified and waits to commit is kept.
    #[wasm_bindgen(js_name = abortRound, unchecked_return_type = "LinkStep")]
    pub fn abort_round(&mut self, why: &str) -> JsValue {
        step(self.0.abort_round(why))
    }

    /// The running round's authentication mode, or undefined.
    #[wasm_bindgen(getter)]
    pub fn mode(&self) -> Option<String> {
        self.0.round_mode().map(Into::into)
    }

    /// The running round's protocol state (`ExpectSift`, ...), or `Idle`.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> String {
        self.0.state().into()
    }

    /// The running round's agreed record so far, or null.
    #[wasm_bindgen(getter, unchecked_return_type = "PartySummary | null")]
    pub fn summary(&self) -> JsValue {
        self.0.summary().map_or(JsValue::NULL, to_js)
    }

    /// Bits Bob has corrected so far in the running round (Cascade; Bob only), or null.
    #[wasm_bindgen(getter)]
    pub fn corrections(&self) -> Option<u32> {
        self.0.corrections().map(|c| u32::try_from(c).unwrap_or(u32::MAX))
    }

    /// The running round's view of its first pulses (this side's knowledge only), or null.
    #[wasm_bindgen(getter, js_name = pulseView, unchecked_return_type = "PulseView | null")]
    pub fn pulse_view(&self) -> JsValue {
        self.0.pulse_view().map_or(JsValue::NULL, to_js)
    }

    /// The last round committed on this side, 0 if none.
    #[wasm_bindgen(getter, js_name = lastCommitted)]
    pub fn last_committed(&self) -> u32 {
        self.0.last_committed()
    }

    /// The pools, `[A->B, B->A]`.
    #[wasm_bindgen(getter, unchecked_return_type = "Pools")]
    pub fn pools(&self) -> JsValue {
        to_js(&self.0.pools())
    }

    /// Keys in the store this side's SAE draws from (`encKeys`) and the one it fetches from.
    #[wasm_bindgen(getter, js_name = storedKeyCounts, unchecked_return_type = "number[]")]
    pub fn stored_key_counts(&mut self) -> JsValue {
        to_js(&self.0.stores_mut().iter().map(CoreStore::len).collect::<Vec<_>>())
    }
}

etsi_methods!(Link);

pub(super) fn etsi<T: Serialize>(r: Result<T, crate::keystore::EtsiError>) -> Result<JsValue, JsValue> {
    r.map(|v| to_js(&v)).map_err(etsi_error)
}

pub(super) fn key_request(request: Option<JsValue>) -> Result<(Option<usize>, Option<usize>), JsValue> {
    let r: KeyRequest = match request {
        Some(v) if !v.is_undefined() && !v.is_null() => from_js(v, "request")?,
        _ => KeyRequest::default(),
    };
    r.counts().map_err(etsi_error)
}

pub(super) fn key_ids(request: JsValue) -> Result<Vec<String>, JsValue> {
    from_js::<KeyIds>(request, "request").map(|r| r.ids())
}

/// One site's key store, in the shape of ETSI GS QKD 014: `status`, `encKeys`, `decKeys`
/// return the spec's JSON; failures throw an `Error` with `status` (400, 401, 503) and `body`
/// (`{ message, details }`).
#[wasm_bindgen]
pub struct KeyStore(pub(super) CoreStore);

#[wasm_bindgen]
impl KeyStore {
    /// An empty store.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "KeyStoreOptions")] opts: Option<JsValue>,
    ) -> Result<KeyStore, JsValue> {
        let o: KeyStoreOptions = match opts {
            Some(v) if !v.is_undefined() && !v.is_null() => from_js(v, "options")?,
            _ => KeyStoreOptions::default(),
        };
        o.config().and_then(CoreStore::new).map(KeyStore).map_err(js_error)
    }

    /// Adds key material (`bits` bits, MSB first), cut into keys named from `label`; returns
    /// how many keys were stored. Both sites add the same material under the same label.
    pub fn add(&mut self, material: &[u8], bits: f64, label: String) -> Result<usize, JsValue> {
        let m = super::bits("material", material, whole("bits", bits)?)?;
        Ok(self.0.add(&m, &label))
    }

    /// Keys stored.
    #[wasm_bindgen(getter, js_name = storedKeyCount)]
    pub fn stored_key_count(&self) -> usize {
        self.0.len()
    }

    /// ETSI 014 "Get status" for `slaveSaeId`.
    #[wasm_bindgen(unchecked_return_type = "EtsiStatus")]
    pub fn status(&self, slave_sae_id: &str) -> Result<JsValue, JsValue> {
        etsi::<Status>(self.0.status(slave_sae_id))
    }

    /// ETSI 014 "Get key": `{ number?, size? }`; returns `{ keys: [{ key_ID, key }] }`.
    #[wasm_bindgen(js_name = encKeys, unchecked_return_type = "EtsiKeyContainer")]
    pub fn enc_keys(
        &mut self,
        slave_sae_id: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "EtsiKeyRequest")] request: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let (number, size) = key_request(request)?;
        etsi(self.0.enc_keys(slave_sae_id, number, size))
    }

    /// ETSI 014 "Get key with key IDs": `{ key_IDs: [{ key_ID }] }`.
    #[wasm_bindgen(js_name = decKeys, unchecked_return_type = "EtsiKeyContainer")]
    pub fn dec_keys(
        &mut self,
        master_sae_id: &str,
        #[wasm_bindgen(unchecked_param_type = "EtsiKeyIds")] request: JsValue,
    ) -> Result<JsValue, JsValue> {
        let ids = key_ids(request)?;
        etsi(self.0.dec_keys(master_sae_id, &ids))
    }
}

/// An Ed25519 identity for the PKI bootstrap. Compare `safetyNumber(mine, theirs)` out of band.
#[wasm_bindgen]
pub struct Identity(CoreIdentity);

#[wasm_bindgen]
impl Identity {
    /// A fresh identity (OS randomness), or one drawn from `seed` text (replayable demos).
    #[wasm_bindgen(constructor)]
    pub fn new(seed: Option<String>) -> Result<Identity, JsValue> {
        let seed = seed.map_or_else(Seed::from_entropy, |s| Ok(Seed::from_text(&s))).map_err(js_error)?;
        Ok(Identity(CoreIdentity::from_seed(&seed, "identity")))
    }

    /// The identity of a 32-byte secret key (an introducer's key handed over in a link).
    #[wasm_bindgen(js_name = fromSecretKey)]
    pub fn from_secret_key(secret_key: &[u8]) -> Result<Identity, JsValue> {
        let sk: [u8; 32] =
            secret_key.try_into().map_err(|_| js_error(Error::invalid("secretKey", "must be 32 bytes")))?;
        Ok(Identity(CoreIdentity { signing: ed25519_dalek::SigningKey::from_bytes(&sk) }))
    }

    /// The 32-byte public key (share it; the peer pins it).
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> Vec<u8> {
        self.0.public().to_bytes().to_vec()
    }

    /// The 32-byte secret key (for `auth: { mode: "pki", secretKey, peerPublicKey }`).
    #[wasm_bindgen(getter, js_name = secretKey)]
    pub fn secret_key(&self) -> Vec<u8> {
        self.0.signing.to_bytes().to_vec()
    }

    /// The public key's fingerprint (five groups of five digits).
    #[wasm_bindgen(getter)]
    pub fn fingerprint(&self) -> String {
        crate::auth::fingerprint(&self.0.public())
    }
}
