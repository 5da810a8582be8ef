#!/usr/bin/env bash
# Prints the benchmark figures (Cascade efficiency and round trips, Toeplitz time, pulses per
# second). Figures, not pass/fail.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh rust
cargo bench --quiet --bench figures -- "$@"
