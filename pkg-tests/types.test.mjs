// The TypeScript interfaces shipped in qkdlab.d.ts against the objects the package returns:
// every required field present, no field the types do not declare.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { simulate, runLink, Link, Alice, Bob, Fiber, frameRoute, frameInfo, helloParams } from "qkdlab";
import { psk } from "./helpers.mjs";

// The declarations the package ships (npm test builds it into pkg/ and installs it from there).
const dts = readFileSync(new URL("../pkg/web/qkdlab.d.ts", import.meta.url), "utf8");

/** The top-level fields of `export interface name`: `{ required: Set, optional: Set }`. */
function fields(name) {
  const start = dts.search(new RegExp(`export interface ${name}\\b[^{]*\\{`));
  assert.ok(start >= 0, `interface ${name} is declared`);
  let i = dts.indexOf("{", start) + 1;
  let depth = 1;
  let body = "";
  for (; depth > 0; i++) {
    const c = dts[i];
    if (c === "{") depth++;
    if (c === "}") depth--;
    if (depth === 1 && c !== "}") body += c;
    else if (depth === 2 && c === "{") body += "{}";
  }
  body = body.replace(/\/\*[\s\S]*?\*\//g, "");
  const required = new Set();
  const optional = new Set();
  for (const m of body.matchAll(/(\w+)(\?)?\s*:/g)) (m[2] ? optional : required).add(m[1]);
  return { required, optional };
}

function conforms(name, obj, extends_ = []) {
  const f = [name, ...extends_].map(fields).reduce((a, b) => ({
    required: new Set([...a.required, ...b.required]),
    optional: new Set([...a.optional, ...b.optional]),
  }));
  const keys = Object.keys(obj);
  for (const k of f.required) assert.ok(keys.includes(k), `${name}: field ${k} is missing`);
  for (const k of keys) assert.ok(f.required.has(k) || f.optional.has(k), `${name}: field ${k} is not declared`);
}

test("simulate's report, its finite-key terms and a party's summary match their declared types", () => {
  const r = simulate({ pulses: 300_000, seed: "types", channel: { lengthKm: 2, errorRate: 0.02 }, auth: { mode: "psk", psk: psk() } });
  assert.ok(r.ok);
  conforms("Report", r);
  conforms("PartySummary", r.summary);
  conforms("FiniteKeyTerms", r.summary.finiteKey);
  conforms("AuthReport", r.auth);
  const failed = simulate({ pulses: 300_000, seed: "types", eve: { interceptFraction: 1 }, auth: { mode: "psk", psk: psk() } });
  conforms("ReportError", failed.error, ["ErrorInfo"]);
  const bob = new Bob({ auth: { mode: "psk", psk: psk() } });
  const alice = new Alice({ pulses: 300_000, auth: { mode: "psk", psk: psk() } });
  const fiber = new Fiber({ channel: { lengthKm: 2, errorRate: 0.02 } });
  const q = alice.start(bob.readyFrame).map((f) => [frameRoute(f) === "fiber" ? "fiber" : "bob", f]);
  while (q.length) {
    const [to, f] = q.shift();
    const out = to === "fiber" ? fiber.handle(f) : to === "bob" ? bob.handle(f) : alice.handle(f);
    for (const g of out) q.push([to === "fiber" ? "bob" : frameRoute(g) === "fiber" ? "fiber" : to === "alice" ? "bob" : "alice", g]);
  }
  conforms("PartySummary", alice.summary);
  conforms("PartySummary", bob.summary);
  assert.ok(alice.finished && bob.finished);
  assert.deepEqual(alice.summary, bob.summary, "one agreed record, filled by both sides");
});

test("runLink's rounds and a Link's events match their declared types", () => {
  const r = runLink({ pulses: 300_000, seed: "types", rounds: 2, channel: { lengthKm: 2, errorRate: 0.02 }, auth: { mode: "psk", psk: psk() } });
  for (const round of r.rounds) {
    conforms("LinkRound", round);
    conforms("AuthStats", round.auth);
    conforms("PartySummary", round.summary);
  }
  const auth = { mode: "psk", psk: psk() };
  const alice = new Link({ role: "alice", link: "types", auth });
  const bob = new Link({ role: "bob", link: "types", auth });
  alice.handle(bob.readyFrame);
  const step = alice.startRound({ pulses: 4096 });
  conforms("LinkStep", step);
  const hello = step.frames.find((f) => frameRoute(f) === "classical");
  conforms("HelloParams", helloParams(hello), ["ProtocolOptions"]);
  conforms("FrameInfo", frameInfo(hello));
  const forged = hello.slice();
  forged[forged.length - 1] ^= 1;
  const refused = new Link({ role: "bob", link: "types", auth }).handle(forged).events[0];
  conforms("Refused", refused);
  conforms("ErrorInfo", refused.error);
  conforms("Pools", alice.pools);
  const ended = alice.abortRound("types").events[0];
  conforms("RoundEnded", ended, ["LinkRound"]);
  conforms("PartySummary", ended.summary);
  conforms("ErrorInfo", ended.error);
});

test("a laser round's counts and decoy terms, Eve's report and a key rate match their declared types", async () => {
  const { keyRate } = await import("qkdlab");
  const r = simulate({
    pulses: 2_000_000, seed: "types", channel: { lengthKm: 30 }, source: { kind: "weak-coherent", decoys: false },
    eve: { attack: "pns" }, auth: { mode: "psk", psk: psk() },
  });
  conforms("Report", r);
  conforms("PartySummary", r.summary);
  conforms("ClassCounts", r.summary.classCounts);
  conforms("DecoyKeyTerms", r.summary.decoyKey);
  conforms("EveReport", r.eve);
  conforms("KeyRate", keyRate({ model: "decoy-infinite", lengthKm: 10 }));
  conforms("KeyRate", keyRate({ model: "single-photon" }));
});
