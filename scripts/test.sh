#!/usr/bin/env bash
# Everything, from a clean clone: installs what is missing, then format, lints, the core's
# tests, the wasm tests under Node and headless Chromium, the built package's tests and the
# playground's end-to-end tests in Chromium against a real relay.
set -euo pipefail
cd "$(dirname "$0")/.."
# The scripts read what cargo builds from target/, whatever CARGO_TARGET_DIR the caller set.
export CARGO_TARGET_DIR="$PWD/target"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
step() { printf '\n== %s\n' "$*"; }

step "setup (installs only what is missing)"
bash scripts/setup.sh all

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (native and wasm32) -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy -p qkdlab --lib --target wasm32-unknown-unknown --quiet -- -D warnings
cargo clippy -p qkdlab --lib --target wasm32-unknown-unknown --features wasm --quiet -- -D warnings

step "a Rust dependency on wasm32 gets no JavaScript bindings (feature wasm off)"
cargo build --quiet --release --target wasm32-unknown-unknown -p qkdlab
node -e '
  const m = new WebAssembly.Module(require("fs").readFileSync("target/wasm32-unknown-unknown/release/qkdlab.wasm"));
  const js = WebAssembly.Module.exports(m).map((e) => e.name).filter((n) => /simulate|keyRate|toeplitzHash|installPanicHook|Link|KeyStore/i.test(n));
  if (js.length) { console.error("bindings exported without the wasm feature:", js.join(", ")); process.exit(1); }
  console.log("no JavaScript bindings in the plain wasm32 build");'


step "cargo test"
cargo test --workspace --quiet

step "wasm-bindgen tests under Node"
(cd crate && wasm-pack test --node --release --mode no-install -- --test wasm_node)

step "wasm-bindgen tests in headless Chromium"
(cd crate && wasm-pack test --headless --chrome --release --mode no-install -- --test wasm_browser)

step "build the npm package"
bash scripts/build.sh
# Resolve `qkdlab` to the built package the way npm links a local dependency.
npm install --no-save --no-audit --no-fund ./pkg >/dev/null

step "build the relay"
cargo build --quiet --release -p qkdlab-relay

step "package tests and browser end-to-end tests (node --test; screenshots in test-output/)"
node --test --test-concurrency=1 pkg-tests/
