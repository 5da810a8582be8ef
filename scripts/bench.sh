#!/usr/bin/env bash
# Prints the benchmark figures: natively (Cascade and LDPC efficiency, round trips, frame error
# rates and time, Toeplitz time, Wegman-Carter key per round, pulses per second; the native part
# ends with one JSON line), then the same workloads in wasm under Node with the wasm/native
# ratio, then the time from Start to key through the real relay with 25 ms added per hop.
# Figures, not pass/fail. `npm run bench -- --quick` for fewer repetitions.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh all
cargo bench --quiet --bench figures -- "$@" | tee target/bench-native.txt
bash scripts/build.sh
npm install --no-save --no-audit --no-fund ./pkg >/dev/null
node scripts/bench-wasm.mjs "$(tail -n 1 target/bench-native.txt)"
rounds=3
[[ " $* " == *" --quick "* ]] && rounds=1
bash scripts/load.sh --scenario latency --pulses 1000000 --delay-ms 25 --rooms "$rounds"
