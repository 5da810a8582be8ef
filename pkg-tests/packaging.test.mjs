// Packaging: the packed tarball installs and imports in a fresh Node ESM project, and a static
// page that imports the web build computes a session in headless Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, serve } from "./helpers.mjs";

const pkgDir = new URL("../pkg/", import.meta.url).pathname;
const npm = (args, cwd) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

test("the packed package imports in a fresh Node ESM project", () => {
  const dir = mkdtempSync(join(tmpdir(), "qkdlab-consumer-"));
  const tarball = npm(["pack", pkgDir, "--pack-destination", dir, "--silent"], dir).trim().split("\n").pop();
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  npm(["install", "--no-audit", "--no-fund", "--offline", join(dir, tarball)], dir);
  writeFileSync(
    join(dir, "main.js"),
    `import { simulate } from "qkdlab";
const r = simulate({ pulses: 300000, seed: "7", channel: { lengthKm: 1, errorRate: 0.02 }, auth: { mode: "psk", psk: new Uint8Array(32) } });
console.log(JSON.stringify({ ok: r.ok, bits: r.finalKeyBits, same: Buffer.compare(r.keyAlice, r.keyBob) === 0 }));`,
  );
  const out = JSON.parse(execFileSync(process.execPath, ["main.js"], { cwd: dir, encoding: "utf8" }));
  assert.deepEqual({ ok: out.ok, same: out.same }, { ok: true, same: true });
  assert.ok(out.bits > 0);
  const files = JSON.parse(readFileSync(join(dir, "node_modules/qkdlab/package.json"), "utf8"));
  assert.equal(files.types, "./web/qkdlab.d.ts");
  assert.ok(existsSync(join(dir, "node_modules/qkdlab/web/qkdlab.d.ts")));
});

test("the packed package works from CommonJS (require) and ships both licences", () => {
  const dir = mkdtempSync(join(tmpdir(), "qkdlab-cjs-"));
  const tarball = npm(["pack", pkgDir, "--pack-destination", dir, "--silent"], dir).trim().split("\n").pop();
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "cjs-consumer", private: true }));
  npm(["install", "--no-audit", "--no-fund", "--offline", join(dir, tarball)], dir);
  writeFileSync(
    join(dir, "main.cjs"),
    `const { simulate, keyRate } = require("qkdlab");
const r = simulate({ pulses: 300000, seed: "7", channel: { lengthKm: 1, errorRate: 0.02 }, auth: { mode: "psk", psk: new Uint8Array(32) } });
console.log(JSON.stringify({ ok: r.ok, bits: r.finalKeyBits, rate: keyRate({ model: "decoy-infinite" }).bitsPerPulse > 0 }));`,
  );
  const out = JSON.parse(execFileSync(process.execPath, ["main.cjs"], { cwd: dir, encoding: "utf8" }));
  assert.deepEqual({ ok: out.ok, rate: out.rate }, { ok: true, rate: true });
  for (const f of ["LICENSE-MIT", "LICENSE-APACHE"]) assert.ok(existsSync(join(dir, "node_modules/qkdlab", f)), f);
});

test("a static page importing the web build computes a session in headless Chromium", async () => {
  const page = `<!doctype html><html><head><link rel="icon" href="data:,"><title>qkdlab</title></head><body>
<script type="module">
import init, { simulate } from "./web/qkdlab.js";
await init();
const r = simulate({ pulses: 200000, seed: "browser", channel: { lengthKm: 5, errorRate: 0.02 }, auth: { mode: "psk", psk: new Uint8Array(32) } });
const worker = new Worker("./web/worker.js", { type: "module" });
const progress = [];
const fromWorker = await new Promise((resolve) => {
  worker.onmessage = ({ data }) => (data.progress ? progress.push(data.progress) : resolve(data));
  worker.postMessage({ options: { pulses: 1000000, seed: "worker", channel: { lengthKm: 5, errorRate: 0.02 }, auth: { mode: "psk", psk: new Uint8Array(32) } } });
});
document.body.dataset.result = JSON.stringify({ ok: r.ok, bits: r.finalKeyBits, same: r.keyAlice.every((b, i) => b === r.keyBob[i]),
  workerOk: fromWorker.report?.ok, workerProgress: progress.length });
</script></body></html>`;
  const server = await serve(pkgDir, page);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const tab = await browser.newPage();
    const errors = [];
    tab.on("pageerror", (e) => errors.push(e.message));
    tab.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await tab.goto(`http://127.0.0.1:${server.address().port}/`);
    await tab.waitForSelector("body[data-result]", { state: "attached", timeout: 30_000 });
    const result = JSON.parse(await tab.getAttribute("body", "data-result"));
    assert.deepEqual(errors, []);
    assert.equal(result.ok, true);
    assert.equal(result.same, true);
    assert.equal(result.workerOk, true, "a 1e6-pulse session in the Web Worker");
    assert.ok(result.workerProgress > 0, "the worker reports progress");
    assert.ok(result.bits > 0);
  } finally {
    await browser.close();
    server.close();
  }
});
