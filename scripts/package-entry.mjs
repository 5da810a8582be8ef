// Writes the package's ESM entry for Node and its package.json, from the names the nodejs
// build exports (so the two faces of the package cannot drift apart).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const dir = resolve(process.argv[2] ?? "pkg");
const require = createRequire(import.meta.url);
const names = Object.keys(require(join(dir, "node", "qkdlab.js"))).filter((n) => n !== "default" && !n.startsWith("__"));

writeFileSync(
  join(dir, "node", "index.mjs"),
  `// ESM entry for Node: the wasm module is loaded synchronously, so init() has nothing to do.
import bindings from "./qkdlab.js";
export const { ${names.join(", ")} } = bindings;
export default async function init() { return bindings; }
export function initSync() { return bindings; }
`,
);
writeFileSync(
  join(dir, "node", "index.d.mts"),
  `export * from "../web/qkdlab.js";\nexport { default, initSync } from "../web/qkdlab.js";\n`,
);

const root = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const crate = readFileSync(new URL("../crate/Cargo.toml", import.meta.url), "utf8");
const version = crate.match(/^version = "([^"]+)"/m)[1];
const pkg = {
  name: "qkdlab",
  version,
  description: "BB84 quantum key distribution in WebAssembly: photons, sifting, QBER, Cascade, Toeplitz privacy amplification, authenticated channel",
  license: root.license,
  type: "module",
  main: "./node/index.mjs",
  module: "./web/qkdlab.js",
  types: "./web/qkdlab.d.ts",
  exports: {
    ".": {
      node: {
        // CommonJS (require) gets wasm-bindgen's own CommonJS build, on every Node >= 20.
        require: { types: "./node/qkdlab.d.ts", default: "./node/qkdlab.js" },
        import: { types: "./node/index.d.mts", default: "./node/index.mjs" },
      },
      types: "./web/qkdlab.d.ts",
      default: "./web/qkdlab.js",
    },
    "./web": { types: "./web/qkdlab.d.ts", default: "./web/qkdlab.js" },
    "./worker": "./web/worker.js",
    "./qkdlab_bg.wasm": "./web/qkdlab_bg.wasm",
    "./package.json": "./package.json",
  },
  files: ["web/", "node/", "README.md", "CHANGELOG.md", "LICENSE-MIT", "LICENSE-APACHE"],
  sideEffects: ["./web/qkdlab.js", "./node/*"],
  keywords: ["qkd", "bb84", "quantum", "cryptography", "wasm", "cascade", "privacy-amplification"],
  engines: { node: ">=20" },
};
writeFileSync(join(dir, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
console.error(`[build] package exports: ${names.join(", ")}`);
