//! The wasm tests under Node (`wasm-pack test --node`).
#![cfg(target_arch = "wasm32")]

include!("wasm/body.rs");
