// The packed package in the bundlers an npm user reaches for: esbuild (the embedded-module
// entry `qkdlab/inline`, the worker built as its own entry), Vite and webpack (the default
// entry, whose .wasm they emit), each page run in Chromium; and a Node bundle (esbuild).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, serve } from "./helpers.mjs";

const root = new URL("../", import.meta.url).pathname;
const work = join(root, "test-output", "bundlers");
const bin = (name) => join(root, "node_modules", ".bin", name);
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
let browser, tarball;

const OPTIONS = `{ pulses: 200000, seed: "bundle", channel: { lengthKm: 1, errorRate: 0.02 }, auth: { mode: "psk", psk: new Uint8Array(32) } }`;
const page = (from, worker = "") => `import init, { simulate } from "${from}";
await init();
const r = simulate(${OPTIONS});
document.body.dataset.ok = String(r.ok && r.finalKeyBits > 0);
${worker}`;

/** A fresh project under test-output/ with the packed package installed from its tarball. */
function project(name) {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `bundle-${name}`, private: true, type: "module" }));
  run("npm", ["install", "--no-audit", "--no-fund", "--offline", tarball], dir);
  return dir;
}

async function runPage(dir, { worker = false } = {}) {
  const server = await serve(dir);
  const tab = await browser.newPage();
  const errors = [];
  tab.on("pageerror", (e) => errors.push(e.message));
  tab.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  try {
    await tab.goto(`http://127.0.0.1:${server.address().port}/`);
    await tab.waitForSelector("body[data-ok]", { state: "attached", timeout: 60_000 });
    assert.equal(await tab.getAttribute("body", "data-ok"), "true");
    if (worker) {
      await tab.waitForSelector("body[data-worker]", { state: "attached", timeout: 60_000 });
      assert.equal(await tab.getAttribute("body", "data-worker"), "true");
    }
    assert.deepEqual(errors, []);
  } finally {
    await tab.close();
    server.close();
  }
}

const html = (script) => `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>qkdlab bundle</title></head><body><script type="module" src="${script}"></script></body></html>`;

before(async () => {
  mkdirSync(work, { recursive: true });
  tarball = join(work, run("npm", ["pack", join(root, "pkg"), "--pack-destination", work, "--silent"], work).trim().split("\n").pop());
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
});

test("esbuild: qkdlab/inline runs in the page, and its worker built as its own entry", async () => {
  const dir = project("esbuild");
  const worker = `const w = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
w.onmessage = ({ data }) => { if (data.report) document.body.dataset.worker = String(data.report.ok); if (data.error) document.body.dataset.worker = data.error.message; };
w.postMessage({ options: ${OPTIONS} });`;
  writeFileSync(join(dir, "main.js"), page("qkdlab/inline", worker));
  writeFileSync(join(dir, "worker.js"), `import "qkdlab/worker/inline";\n`);
  run(bin("esbuild"), ["main.js", "worker.js", "--bundle", "--format=esm", "--outdir=dist", "--log-level=warning"], dir);
  writeFileSync(join(dir, "dist", "index.html"), html("./main.js"));
  await runPage(join(dir, "dist"), { worker: true });
});

test("Vite builds the default entry with no configuration", async () => {
  const dir = project("vite");
  writeFileSync(join(dir, "main.js"), page("qkdlab"));
  writeFileSync(join(dir, "index.html"), html("/main.js"));
  run(bin("vite"), ["build", "--logLevel", "warn"], dir);
  await runPage(join(dir, "dist"));
});

test("webpack builds the default entry with no configuration beyond the entry", async () => {
  const dir = project("webpack");
  writeFileSync(join(dir, "main.js"), page("qkdlab"));
  run(bin("webpack"), ["--mode", "production", "--entry", "./main.js", "--output-path", "dist", "--no-stats"], dir);
  writeFileSync(join(dir, "dist", "index.html"), html("./main.js"));
  await runPage(join(dir, "dist"));
});

test("a Node bundle (esbuild, platform node) runs with the embedded module", () => {
  const dir = project("node-bundle");
  writeFileSync(join(dir, "main.js"), `import init, { simulate } from "qkdlab/inline";
await init();
const r = simulate(${OPTIONS});
console.log(JSON.stringify({ ok: r.ok, bits: r.finalKeyBits }));`);
  run(bin("esbuild"), ["main.js", "--bundle", "--platform=node", "--format=esm", "--outfile=dist/app.mjs", "--log-level=warning"], dir);
  rmSync(join(dir, "node_modules"), { recursive: true, force: true }); // the bundle stands alone
  const out = JSON.parse(run(process.execPath, ["dist/app.mjs"], dir));
  assert.equal(out.ok, true);
  assert.ok(out.bits > 0);
});
