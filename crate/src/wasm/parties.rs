//! Alice, Bob and the fiber as JS classes, for running a session over any transport.

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;

use super::{frames, js_error, parse, to_js};
use crate::error::Error;
use crate::party::{Alice, Bob, RoundContext};
use crate::quantum::Fiber;

/// The methods Alice and Bob share in JS, generated once for each.
macro_rules! party_methods {
    ($ty:ident, $js:literal) => {
        #[wasm_bindgen(js_class = $js)]
        impl $ty {
            /// Takes one frame; returns the frames to send. Throws a typed error (and stops) on a
            /// frame that fails authentication or breaks the protocol.
            #[wasm_bindgen(unchecked_return_type = "Uint8Array[]")]
            pub fn handle(&mut self, frame: &[u8]) -> Result<Array, JsValue> {
                self.0.handle(frame).map(frames).map_err(|e| js_error(&e))
            }

            /// The state the party waits in (`ExpectSift`, ..., `Finished`, `Failed`).
            #[wasm_bindgen(getter)]
            pub fn state(&self) -> String {
                self.0.state().into()
            }

            /// Whether the party holds a verified key.
            #[wasm_bindgen(getter)]
            pub fn finished(&self) -> bool {
                self.0.is_finished()
            }

            /// Why the party stopped (an `Error` with a `code`), or null.
            #[wasm_bindgen(getter, unchecked_return_type = "Error | null")]
            pub fn failure(&self) -> JsValue {
                self.0.failure().map_or(JsValue::NULL, js_error)
            }

            /// What the party has seen so far (public numbers only), for live views.
            #[wasm_bindgen(getter, unchecked_return_type = "PartySummary")]
            pub fn summary(&self) -> JsValue {
                to_js(self.0.summary())
            }

            /// The final key, once; undefined before the end or after it was taken.
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
#[wasm_bindgen(js_name = Alice)]
pub struct JsAlice(Alice);

#[wasm_bindgen(js_class = Alice)]
impl JsAlice {
    /// Alice with protocol parameters, the PSK and (optionally) a seed.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "PartyOptions")] options: JsValue) -> Result<JsAlice, JsValue> {
        let o = parse(options)?;
        let build = || -> Result<Alice, Error> {
            let context = RoundContext::single(&o.link_id()?);
            Alice::new(o.protocol()?, &o.credential()?, context, o.entropy_only()?.rng("alice"))
        };
        build().map(JsAlice).map_err(|e| js_error(&e))
    }

    /// Starts on Bob's Ready frame (his fresh nonce): returns the photon frames and Hello.
    #[wasm_bindgen(unchecked_return_type = "Uint8Array[]")]
    pub fn start(&mut self, ready: &[u8]) -> Result<Array, JsValue> {
        self.0.handle(ready).map(frames).map_err(|e| js_error(&e))
    }
}

party_methods!(JsAlice, "Alice");

/// Bob over any transport: `handle(frame)` takes Alice's frames and the fiber's detections and
/// returns his (measurement settings for the fiber, classical frames for Alice).
#[wasm_bindgen(js_name = Bob)]
pub struct JsBob(Bob, [u8; 32]);

#[wasm_bindgen(js_class = Bob)]
impl JsBob {
    /// Bob with the PSK and (optionally) a seed; he adopts Alice's protocol parameters.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "PartyOptions")] options: JsValue) -> Result<JsBob, JsValue> {
        let o = parse(options)?;
        let build = || -> Result<(Bob, [u8; 32]), Error> {
            let mut rng = o.entropy_only()?.rng("bob");
            let mut nonce = [0u8; 32];
            rand::Rng::fill_bytes(&mut rng, &mut nonce);
            Ok((Bob::new(&o.credential()?, &o.link_id()?, nonce, rng), nonce))
        };
        build().map(|(b, n)| JsBob(b, n)).map_err(|e| js_error(&e))
    }

    /// The Ready frame with Bob's fresh nonce for this round: send it to Alice first.
    #[wasm_bindgen(getter, js_name = readyFrame)]
    pub fn ready_frame(&self) -> Vec<u8> {
        crate::msgs::Ready { nonce_b: self.1 }.encode()
    }
}

party_methods!(JsBob, "Bob");

/// The simulated optical channel: takes Alice's photon frames and Bob's measurement frames,
/// returns Bob's detections.
#[wasm_bindgen(js_name = Fiber)]
pub struct JsFiber(Fiber);

#[wasm_bindgen(js_class = Fiber)]
impl JsFiber {
    /// A fiber with a channel model, an optional Eve and (optionally) a seed.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "FiberOptions")] options: JsValue) -> Result<JsFiber, JsValue> {
        let o = parse(options)?;
        let build = || -> Result<Fiber, Error> { Fiber::new(o.channel()?, o.eve()?, &o.seed()?) };
        build().map(JsFiber).map_err(|e| js_error(&e))
    }

    /// Takes a photon or measurement frame; returns the detections that became ready.
    #[wasm_bindgen(unchecked_return_type = "Uint8Array[]")]
    pub fn handle(&mut self, frame: &[u8]) -> Result<Array, JsValue> {
        self.0.handle(frame).map(frames).map_err(|e| js_error(&e))
    }

    /// `{ pulses, intercepted, clicks }` so far.
    #[wasm_bindgen(getter, unchecked_return_type = "{ pulses: number; intercepted: number; clicks: number }")]
    pub fn stats(&self) -> JsValue {
        let s = self.0.stats();
        let obj = js_sys::Object::new();
        let _ = Reflect::set(&obj, &"pulses".into(), &(s.pulses as f64).into());
        let _ = Reflect::set(&obj, &"intercepted".into(), &(s.intercepted as f64).into());
        let _ = Reflect::set(&obj, &"clicks".into(), &(s.clicks as f64).into());
        obj.into()
    }
}
