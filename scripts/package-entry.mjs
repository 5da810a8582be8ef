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
  join(dir, "web", "inline.d.ts"),
  `export * from "./qkdlab.js";\nexport { initSync } from "./qkdlab.js";\n/** The embedded module's bytes. */\nexport function wasmBytes(): Uint8Array;\n/** Instantiates the embedded module. */\nexport default function init(): Promise<import("./qkdlab.js").InitOutput>;\n`,
);
writeFileSync(
  join(dir, "web", "worker.d.ts"),
  `// The messages of qkdlab's Web Worker (qkdlab/worker, qkdlab/worker/inline).
import type { SimulateOptions, Report, ErrorCode } from "./qkdlab.js";
/** What to post to the worker. */
export interface WorkerRequest { options: SimulateOptions; }
/** What the worker posts back: progress while it runs, then the report or the error. */
export type WorkerMessage =
  | { progress: { alice: string; bob: string; roundTrips: number } }
  | { report: Report }
  | { error: { code: ErrorCode; message: string; field?: string } };
`,
);
writeFileSync(
  join(dir, "node", "index.d.mts"),
  `export * from "../web/qkdlab.js";\nexport { initSync } from "../web/qkdlab.js";\n/** In Node the module is loaded on import: init() resolves to the bindings. */\nexport default function init(): Promise<typeof import("../web/qkdlab.js")>;\n`,
);

// For bundlers that cannot emit the .wasm file beside the bundle (esbuild without a file loader,
// a Node bundle): the same API with the module embedded as base64, and a worker built on it.
const wasm = readFileSync(join(dir, "web", "qkdlab_bg.wasm")).toString("base64");
writeFileSync(
  join(dir, "web", "inline.js"),
  `// qkdlab with its WebAssembly module embedded (base64): for bundlers that cannot emit the .wasm
// file (esbuild, Node bundles). Same API as "qkdlab"; \`await init()\` before use.
import wasmInit, { initSync } from "./qkdlab.js";
export * from "./qkdlab.js";
export { initSync };
const BASE64 = "${wasm}";
/** The module's bytes. */
export function wasmBytes() {
  return Uint8Array.from(atob(BASE64), (c) => c.charCodeAt(0));
}
/** Instantiates the embedded module (asynchronously: browsers refuse large synchronous compiles). */
export default function init() {
  return wasmInit({ module_or_path: wasmBytes() });
}
`,
);
writeFileSync(
  join(dir, "web", "worker-inline.js"),
  readFileSync(join(dir, "web", "worker.js"), "utf8").replace('from "./qkdlab.js"', 'from "./inline.js"'),
);

const root = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const crate = readFileSync(new URL("../crate/Cargo.toml", import.meta.url), "utf8");
const version = crate.match(/^version = "([^"]+)"/m)[1];
const pkg = {
  name: "qkdlab",
  version,
  description: "BB84 quantum key distribution in WebAssembly: photons, sifting, QBER, Cascade, Toeplitz privacy amplification, authenticated channel",
  license: root.license,
  repository: root.repository,
  homepage: root.homepage,
  bugs: root.bugs,
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
    "./inline": { types: "./web/inline.d.ts", default: "./web/inline.js" },
    "./worker": { types: "./web/worker.d.ts", default: "./web/worker.js" },
    "./worker/inline": { types: "./web/worker.d.ts", default: "./web/worker-inline.js" },
    "./qkdlab_bg.wasm": "./web/qkdlab_bg.wasm",
    "./package.json": "./package.json",
  },
  files: ["web/", "node/", "README.md", "CHANGELOG.md", "LICENSE-MIT", "LICENSE-APACHE"],
  // The workers run on import (they install the message handler): never tree-shaken away.
  sideEffects: ["./web/qkdlab.js", "./web/worker.js", "./web/worker-inline.js", "./node/*"],
  keywords: ["qkd", "bb84", "quantum", "cryptography", "wasm", "cascade", "privacy-amplification"],
  engines: { node: ">=20" },
};
writeFileSync(join(dir, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
console.error(`[build] package exports: ${names.join(", ")}`);
