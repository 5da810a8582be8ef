#!/usr/bin/env bash
# Builds what is missing and runs one BB84 session natively, printing its report stage by
# stage. (The browser playground and its relay are a later milestone; until then this is the
# way to watch a session.) Extra arguments go to the example, e.g.
#   npm start -- --pulses 2000000 --length-km 25 --error-rate 0.03 --eve 0.2
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh rust
exec cargo run --release --quiet --example session -- "$@"
