#!/usr/bin/env bash
# Builds the npm package `qkdlab` into pkg/: the wasm module bound for the web (ES module with
# `await init()`, also what bundlers take) and for Node (no init needed), one package.json with
# conditional exports, TypeScript types, README.
set -euo pipefail
cd "$(dirname "$0")/.."
# The scripts read what cargo builds from target/, whatever CARGO_TARGET_DIR the caller set.
export CARGO_TARGET_DIR="$PWD/target"
bash scripts/setup.sh wasm
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

echo "[build] cargo build --release --target wasm32-unknown-unknown --features wasm" >&2
cargo build --quiet --release --target wasm32-unknown-unknown -p qkdlab --features wasm
wasm=target/wasm32-unknown-unknown/release/qkdlab.wasm

rm -rf pkg
wasm-bindgen "$wasm" --target web --out-dir pkg/web --out-name qkdlab
wasm-bindgen "$wasm" --target nodejs --out-dir pkg/node --out-name qkdlab
# Shrink the module with binaryen's wasm-opt from npm (Debian's older one emits a module that
# throws at init); skipped, with a note, if it is not installed.
if [ -x node_modules/.bin/wasm-opt ]; then
  for f in pkg/web/qkdlab_bg.wasm pkg/node/qkdlab_bg.wasm; do
    node_modules/.bin/wasm-opt "$f" -O --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-reference-types --enable-multivalue --enable-simd -o "$f"
  done
else
  echo "[build] wasm-opt not installed (npm install): the module is left unoptimised" >&2
fi
# node/ holds CommonJS; its ESM face re-exports it and offers a no-op init() so code written
# for the browser (`await init()`) runs unchanged.
printf '{ "type": "commonjs" }\n' > pkg/node/package.json
# One copy of the module: the CommonJS build reads the web build's .wasm; the bindgen's
# declarations of the raw wasm exports are not part of the API.
sed -i 's|`${__dirname}/qkdlab_bg.wasm`|`${__dirname}/../web/qkdlab_bg.wasm`|' pkg/node/qkdlab.js
grep -q '/../web/qkdlab_bg.wasm' pkg/node/qkdlab.js || { echo "[build] the CommonJS build's wasm path was not rewritten" >&2; exit 1; }
rm -f pkg/node/qkdlab_bg.wasm pkg/node/qkdlab_bg.wasm.d.ts pkg/web/qkdlab_bg.wasm.d.ts
cp crate/js/worker.js pkg/web/worker.js
node scripts/package-entry.mjs pkg
node scripts/npm-readme.mjs pkg/README.md
cp CHANGELOG.md pkg/CHANGELOG.md
cp LICENSE-MIT LICENSE-APACHE pkg/
echo "[build] pkg/ ready ($(du -sh pkg | cut -f1)); npm pack contents:" >&2
(cd pkg && npm pack --dry-run --json 2>/dev/null | node -e '
  const [p] = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const f of p.files) console.error(`  ${String(f.size).padStart(9)}  ${f.path}`);
  console.error(`  ${p.files.length} files, ${p.unpackedSize} bytes unpacked, ${p.size} bytes packed`);')
