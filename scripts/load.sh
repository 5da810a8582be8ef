#!/usr/bin/env bash
# `npm run load [-- --scenario burst|hold|faults --rooms N --pulses N --concurrency C]`: starts a
# release relay on a free port and runs the load client (relay/examples/load.rs) against it;
# prints a table of sessions with equal keys, refusals, p50/p99 and the relay's memory and CPU.
# Figures, not a test. Holding 10,000 rooms needs 20,000 sockets on each side: both processes
# raise their open-file limit (as far as the hard limit allows; a privileged user may raise it).
set -euo pipefail
cd "$(dirname "$0")/.."
# The scripts read what cargo builds from target/, whatever CARGO_TARGET_DIR the caller set.
export CARGO_TARGET_DIR="$PWD/target"
bash scripts/setup.sh rust
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cargo build --quiet --release -p qkdlab-relay --bin qkdlab-relay --example load
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
log=$(mktemp)
RUST_LOG=warn target/release/qkdlab-relay --port 0 --www www --pkg pkg >"$log" 2>&1 &
relay=$!
trap 'kill $relay 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  grep -q "http://" "$log" && break
  sleep 0.1
done
url=$(grep -o "http://[0-9.:]*" "$log" | head -1)
echo "[load] relay pid $relay on $url: $(grep -o '(up to [0-9]* connections)' "$log")" >&2
target/release/examples/load --url "ws://${url#http://}/ws" --pid "$relay" "$@"
