#!/usr/bin/env bash
# Builds what is missing (the wasm package, the relay) and serves the playground on
# http://127.0.0.1:8080 (PORT=... to change). `npm run session -- --pulses 2000000 ...` runs one
# session natively in the terminal instead.
set -euo pipefail
cd "$(dirname "$0")/.."
# The scripts read what cargo builds from target/, whatever CARGO_TARGET_DIR the caller set.
export CARGO_TARGET_DIR="$PWD/target"
bash scripts/setup.sh wasm
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if [ ! -f pkg/web/qkdlab.js ] || [ -n "$(find crate/src crate/Cargo.toml -newer pkg/web/qkdlab.js -print -quit)" ]; then
  bash scripts/build.sh
fi
cargo build --quiet --release -p qkdlab-relay
exec target/release/qkdlab-relay --port "${PORT:-8080}" --www www --pkg pkg
