#!/usr/bin/env bash
# Installs everything qkdlab needs, idempotently: skips what is already at the right version.
# Follows the verified recipe for these machines (only package registries are reachable).
#   scripts/setup.sh          Rust target + wasm tools + browser + npm packages
#   scripts/setup.sh rust     only the Rust part (enough for the core's tests)
#   scripts/setup.sh wasm     Rust + wasm tools (enough to build the package)
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_PACK_VERSION=0.15.1
WASM_BINDGEN_VERSION=0.2.130
what=${1:-all}

log() { printf '[setup] %s\n' "$*" >&2; }

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
for c in rustfmt clippy; do
  rustup component list --installed | grep -q "^$c" || rustup component add "$c"
done

[ "$what" = rust ] && exit 0

if ! wasm-pack --version 2>/dev/null | grep -q "$WASM_PACK_VERSION"; then
  log "installing wasm-pack $WASM_PACK_VERSION (a few minutes, once)"
  cargo install --locked wasm-pack --version "$WASM_PACK_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # Its published lock pins a webpki-roots the registry here does not serve: fall back to the
  # cached crate with that one package moved back, still installed --locked.
  cargo install --locked wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" || {
    crate=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/wasm-bindgen-cli-$WASM_BINDGEN_VERSION.crate | head -n1)
    src=$(mktemp -d)
    tar xzf "$crate" -C "$src"
    (cd "$src/wasm-bindgen-cli-$WASM_BINDGEN_VERSION" \
      && cargo update -p webpki-roots --precise 1.0.10 \
      && cargo install --locked --path .)
    rm -rf "$src"
  }
fi

[ "$what" = wasm ] && exit 0

if [ "$what" = all ]; then
  # Chromium for the browser tests; curl, the KME tests' client (a client nobody here wrote).
  if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ] || ! command -v curl >/dev/null; then
    log "installing Debian chromium + chromium-driver + curl"
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
      chromium chromium-driver curl ca-certificates >/dev/null
  fi
fi

if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dev dependencies"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
log "ready"
