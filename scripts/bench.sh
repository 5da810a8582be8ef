#!/usr/bin/env bash
# Prints the benchmark figures: natively (Cascade efficiency and round trips, Toeplitz time,
# pulses per second), then the same workloads in wasm under Node with the wasm/native ratio.
# Figures, not pass/fail. `npm run bench -- --quick` for fewer repetitions.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh all
cargo bench --quiet --bench figures -- "$@" | tee target/bench-native.txt
[ -f pkg/package.json ] || bash scripts/build.sh
npm install --no-save --no-audit --no-fund ./pkg >/dev/null
node scripts/bench-wasm.mjs "$(tail -n 1 target/bench-native.txt)"
