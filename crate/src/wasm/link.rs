//! The link endpoint in JS: one `Link` per side, driven by the page (or any transport). Keys
//! never leave it as bits: only through its ETSI GS QKD 014 key store methods.

use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::lifecycle::{EncRequest, etsi_error, key_ids};
use super::{frames, js_error, parse, to_js, type_error};
use crate::error::Error;
use crate::keystore::KeyStore;
use crate::link::{Event, LedgerEntry, LinkAlice, LinkBob, LinkSettings, PoolMac, RoundOutcome, Step};
use crate::party::Summary;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Options of a link endpoint. */
export interface LinkEndpointOptions {
  /** "alice" opens rounds; "bob" follows. */ role: "alice" | "bob";
  /** The link id (the relay's room id): covered by every tag. */ link: string;
  /** The bootstrap credential of this side (PKI: its secret key and the peer's public key). */ auth: AuthOptions;
  /** Authentication after the bootstrap (default "hmac"). */ afterBootstrap?: "hmac" | "wegman-carter";
  /** Pool size each direction is refilled to, in bits (default 4096). */ poolTargetBits?: number;
  /** Wegman-Carter pad bits per direction per round (default 32768). */ padBudgetBits?: number;
}
/** How a round ended on this side. */
export interface RoundEnded {
  type: "roundEnded"; round: number; ok: boolean; error?: { code: string; message: string }; mode: AuthMode;
  summary: PartySummary; poolBefore: number[]; poolTaken: number[]; poolAdded: number[]; poolAfter: number[];
  keyBits: number; /** 32 key bits shown and discarded, hex. */ fingerprint?: string; storedKeys: number[];
  storedBits: number; framesSent: number; framesReceived: number; epsilon: number;
}
/** A frame refused without ending a round. */
export interface Refused { type: "refused"; error: { code: string; message: string } }
/** What a link endpoint returns for one input. */
export interface LinkStep { frames: Uint8Array[]; events: (RoundEnded | Refused)[] }
/** One use of pool bits. */
export interface LedgerEntry { start: number; len: number; round: number; usedFor: "hmacKey" | "wcPoint" | "wcPad" | "skipped" }
"#;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsErr {
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
enum JsEvent<'a> {
    #[serde(rename = "roundEnded", rename_all = "camelCase")]
    RoundEnded {
        round: u32,
        ok: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<JsErr>,
        mode: &'static str,
        summary: &'a Summary,
        pool_before: [u64; 2],
        pool_taken: [u64; 2],
        pool_added: [u64; 2],
        pool_after: [u64; 2],
        key_bits: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        fingerprint: Option<&'a str>,
        stored_keys: [usize; 2],
        stored_bits: usize,
        frames_sent: u64,
        frames_received: u64,
        epsilon: f64,
    },
    #[serde(rename = "refused")]
    Refused { error: JsErr },
}

fn err(e: &Error) -> JsErr {
    JsErr { code: e.code(), message: e.to_string() }
}

fn outcome(o: &RoundOutcome) -> JsEvent<'_> {
    JsEvent::RoundEnded {
        round: o.round,
        ok: o.ok,
        error: o.error.as_ref().map(err),
        mode: o.mode,
        summary: &o.summary,
        pool_before: o.pool_before,
        pool_taken: o.pool_taken,
        pool_added: o.pool_added,
        pool_after: o.pool_after,
        key_bits: o.key_bits,
        fingerprint: o.fingerprint.as_deref(),
        stored_keys: o.stored_keys,
        stored_bits: o.stored_bits,
        frames_sent: o.auth.frames_sent,
        frames_received: o.auth.frames_received,
        epsilon: o.auth.epsilon,
    }
}

fn step_to_js(step: Step) -> JsValue {
    let events = Array::new();
    for e in &step.events {
        let v = match e {
            Event::RoundEnded(o) => to_js(&outcome(o)),
            Event::Refused(e) => to_js(&JsEvent::Refused { error: err(e) }),
        };
        events.push(&v);
    }
    let out = Object::new();
    let _ = Reflect::set(&out, &"frames".into(), &frames(step.frames));
    let _ = Reflect::set(&out, &"events".into(), &events);
    out.into()
}

enum Side {
    Alice(LinkAlice),
    Bob(LinkBob),
}

/// One side of a QKD link: rounds, authentication pools and key stores, sans-IO. Alice calls
/// `startRound(options)` once Bob's Ready arrived (`ready`); both pass every frame they
/// receive to `handle(frame)` and send the `frames` it returns; `events` tell when a round
/// ended (its fingerprint, pools, stores) or a frame was refused. Every random choice comes
/// from the OS.
#[wasm_bindgen(js_name = Link)]
pub struct JsLink(Side);

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LinkHead {
    role: String,
    link: String,
}

impl JsLink {
    fn stores(&mut self) -> &mut [KeyStore; 2] {
        match &mut self.0 {
            Side::Alice(a) => a.stores_mut(),
            Side::Bob(b) => b.stores_mut(),
        }
    }

    fn streams(&self) -> &[crate::link::PoolStream; 2] {
        match &self.0 {
            Side::Alice(a) => a.pools(),
            Side::Bob(b) => b.pools(),
        }
    }

    /// The store whose slave SAE is `slave` (for encKeys and status).
    fn store_for_slave(&mut self, slave: &str) -> &mut KeyStore {
        let stores = self.stores();
        let i = usize::from(stores[1].status(slave).is_ok());
        &mut stores[i]
    }

    /// The store whose master SAE is `master` (for decKeys).
    fn store_for_master(&mut self, master: &str) -> &mut KeyStore {
        let stores = self.stores();
        let i = usize::from(stores[1].dec_check(master).is_ok());
        &mut stores[i]
    }
}

#[wasm_bindgen(js_class = Link)]
impl JsLink {
    /// An endpoint: `{ role, link, auth, afterBootstrap?, poolTargetBits?, padBudgetBits? }`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "LinkEndpointOptions")] options: JsValue,
    ) -> Result<JsLink, JsValue> {
        let head: LinkHead = {
            let obj = Object::new();
            for key in ["role", "link"] {
                let v = Reflect::get(&options, &key.into()).unwrap_or(JsValue::UNDEFINED);
                let _ = Reflect::set(&obj, &key.into(), &v);
            }
            serde_wasm_bindgen::from_value(obj.into())
                .map_err(|e| type_error(&format!("invalid options: {e} (role and link are required)")))?
        };
        let rest = Object::assign(&Object::new(), options.unchecked_ref());
        let _ = Reflect::delete_property(&rest, &"role".into());
        let _ = Reflect::delete_property(&rest, &"link".into());
        let o = parse(rest.into())?;
        let build = || -> Result<Side, Error> {
            if head.link.is_empty() || head.link.len() > 256 {
                return Err(Error::invalid("link", "must be 1 to 256 bytes (the room id)"));
            }
            let after = match o.after_bootstrap.as_deref() {
                None | Some("hmac") => PoolMac::Hmac,
                Some("wegman-carter") => PoolMac::WegmanCarter,
                Some(x) => {
                    return Err(Error::invalid(
                        "afterBootstrap",
                        format!("must be \"hmac\" or \"wegman-carter\", got {x:?}"),
                    ));
                }
            };
            let d = LinkSettings::default();
            let int = |field, v: Option<f64>, default: usize| {
                v.map_or(Ok(default), |v| super::integer(field, v, 1e9).map(|x| x as usize))
            };
            let settings = LinkSettings {
                after_bootstrap: after,
                pool_target_bits: int("poolTargetBits", o.pool_target_bits, d.pool_target_bits)?,
                pad_budget_bits: int("padBudgetBits", o.pad_budget_bits, d.pad_budget_bits)?,
                store: d.store,
            };
            let credential = o.credential()?;
            let seed = o.entropy_only()?;
            match head.role.as_str() {
                "alice" => Ok(Side::Alice(LinkAlice::new(&head.link, settings, credential, seed)?)),
                "bob" => Ok(Side::Bob(LinkBob::new(&head.link, settings, credential, seed)?)),
                other => Err(Error::invalid("role", format!("must be \"alice\" or \"bob\", got {other:?}"))),
            }
        };
        build().map(JsLink).map_err(|e| js_error(&e))
    }

    /// Bob: the Ready frame announcing his current nonce (send it to Alice when joining; the
    /// endpoint returns a new one after each round). Alice: undefined.
    #[wasm_bindgen(getter, js_name = readyFrame)]
    pub fn ready_frame(&self) -> Option<Vec<u8>> {
        match &self.0 {
            Side::Bob(b) => Some(b.ready_frame()),
            Side::Alice(_) => None,
        }
    }

    /// Alice: whether Bob's nonce arrived, so a round can start.
    #[wasm_bindgen(getter)]
    pub fn ready(&self) -> bool {
        match &self.0 {
            Side::Alice(a) => a.is_ready() && !a.is_running(),
            Side::Bob(_) => false,
        }
    }

    /// Whether a round is running on this side.
    #[wasm_bindgen(getter)]
    pub fn running(&self) -> bool {
        match &self.0 {
            Side::Alice(a) => a.is_running(),
            Side::Bob(b) => b.party().is_some_and(|p| !p.awaits_commit()),
        }
    }

    /// Alice: opens the next round with the protocol options (`pulses`, ...): returns the
    /// photon frames and Hello to send.
    #[wasm_bindgen(js_name = startRound, unchecked_return_type = "LinkStep")]
    pub fn start_round(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Partial<ProtocolOptions>")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let Side::Alice(a) = &mut self.0 else {
            return Err(js_error(&Error::invalid("role", "only Alice opens rounds")));
        };
        let o = parse(options)?;
        let protocol = o.protocol().map_err(|e| js_error(&e))?;
        a.start_round(protocol).map(step_to_js).map_err(|e| js_error(&e))
    }

    /// Takes one frame from the peer (or the fiber, for Bob); returns `{ frames, events }`.
    #[wasm_bindgen(unchecked_return_type = "LinkStep")]
    pub fn handle(&mut self, frame: &[u8]) -> JsValue {
        step_to_js(match &mut self.0 {
            Side::Alice(a) => a.handle(frame),
            Side::Bob(b) => b.handle(frame),
        })
    }

    /// Ends the running round from outside (a timeout, the peer's unauthenticated abort): what
    /// it took from the pools stays burned; a key Bob verified and waits to commit is kept.
    #[wasm_bindgen(js_name = abortRound, unchecked_return_type = "LinkStep")]
    pub fn abort_round(&mut self, why: &str) -> JsValue {
        step_to_js(match &mut self.0 {
            Side::Alice(a) => Step {
                frames: Vec::new(),
                events: a.abort_round(why).map(|o| Event::RoundEnded(Box::new(o))).into_iter().collect(),
            },
            Side::Bob(b) => b.abort_round(why),
        })
    }

    /// The running round's authentication mode (`psk`, `pki`,
    /// `pool-hmac`, `pool-wegman-carter`), or null.
    #[wasm_bindgen(getter)]
    pub fn mode(&self) -> Option<String> {
        match &self.0 {
            Side::Alice(a) => a.round_mode().map(Into::into),
            Side::Bob(b) => b.round_mode().map(Into::into),
        }
    }

    /// The running round's protocol state (`ExpectSift`, ...), or `Idle`.
    #[wasm_bindgen(getter)]
    pub fn state(&self) -> String {
        match &self.0 {
            Side::Alice(a) => a.party().map_or("Idle", |p| p.state()).into(),
            Side::Bob(b) => b.party().map_or("Idle", |p| p.state()).into(),
        }
    }

    /// What the running round has seen (public numbers), or null.
    #[wasm_bindgen(getter, unchecked_return_type = "PartySummary | null")]
    pub fn summary(&self) -> JsValue {
        let s = match &self.0 {
            Side::Alice(a) => a.party().map(|p| p.summary()),
            Side::Bob(b) => b.party().map(|p| p.summary()),
        };
        s.map_or(JsValue::NULL, to_js)
    }

    /// The last round committed on this side, 0 if none.
    #[wasm_bindgen(getter, js_name = lastCommitted)]
    pub fn last_committed(&self) -> u32 {
        match &self.0 {
            Side::Alice(a) => a.last_committed(),
            Side::Bob(b) => b.last_committed(),
        }
    }

    /// The pools: `{ available: [A->B, B->A], cursor: [..], ledger: [LedgerEntry[], LedgerEntry[]] }`.
    #[wasm_bindgen(
        getter,
        unchecked_return_type = "{ available: number[]; cursor: number[]; ledger: LedgerEntry[][] }"
    )]
    pub fn pools(&self) -> JsValue {
        #[derive(Serialize)]
        struct Pools<'a> {
            available: [u64; 2],
            cursor: [u64; 2],
            ledger: [&'a [LedgerEntry]; 2],
        }
        let p = self.streams();
        to_js(&Pools {
            available: [p[0].available(), p[1].available()],
            cursor: [p[0].cursor(), p[1].cursor()],
            ledger: [p[0].ledger(), p[1].ledger()],
        })
    }

    /// Keys in the store this side's SAE draws from (`encKeys`) and the one it fetches from.
    #[wasm_bindgen(getter, js_name = storedKeyCounts, unchecked_return_type = "number[]")]
    pub fn stored_key_counts(&mut self) -> Vec<usize> {
        let s = self.stores();
        vec![s[0].len(), s[1].len()]
    }

    /// ETSI 014 "Get status" for `slaveSaeId`.
    pub fn status(&mut self, slave_sae_id: &str) -> Result<JsValue, JsValue> {
        self.store_for_slave(slave_sae_id).status(slave_sae_id).map(|s| to_js(&s)).map_err(|e| etsi_error(&e))
    }

    /// ETSI 014 "Get key" (this side's SAE is the master): `{ number?, size? }`.
    #[wasm_bindgen(js_name = encKeys)]
    pub fn enc_keys(&mut self, slave_sae_id: &str, request: JsValue) -> Result<JsValue, JsValue> {
        let (number, size) = EncRequest::parse(request)?;
        self.store_for_slave(slave_sae_id)
            .enc_keys(slave_sae_id, number, size)
            .map(|k| to_js(&k))
            .map_err(|e| etsi_error(&e))
    }

    /// ETSI 014 "Get key with key IDs" (the peer's SAE was the master): `{ key_IDs }`.
    #[wasm_bindgen(js_name = decKeys)]
    pub fn dec_keys(&mut self, master_sae_id: &str, request: JsValue) -> Result<JsValue, JsValue> {
        let ids = key_ids(request)?;
        self.store_for_master(master_sae_id)
            .dec_keys(master_sae_id, &ids)
            .map(|k| to_js(&k))
            .map_err(|e| etsi_error(&e))
    }

    /// Like `decKeys`, but the keys stay in the store (not part of ETSI 014): a receiver checks
    /// a message's authenticity with them first and spends them with `decKeys` only then, so a
    /// forged message naming key ids costs nothing.
    #[wasm_bindgen(js_name = peekKeys)]
    pub fn peek_keys(&mut self, master_sae_id: &str, request: JsValue) -> Result<JsValue, JsValue> {
        let ids = key_ids(request)?;
        self.store_for_master(master_sae_id)
            .peek_keys(master_sae_id, &ids)
            .map(|k| to_js(&k))
            .map_err(|e| etsi_error(&e))
    }
}
