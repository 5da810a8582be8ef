// Weak laser pulses, decoy states, photon-number splitting, detector blinding and the analytic
// key rate, through the built package as an npm user calls them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { simulate, keyRate, maxDistance } from "qkdlab";
import { psk } from "./helpers.mjs";

const reference = JSON.parse(readFileSync(new URL("../crate/tests/data/keyrate_python.json", import.meta.url), "utf8"));
const weak = (extra = {}) => ({ kind: "weak-coherent", ...extra });
const run = (options) => simulate({ seed: "physics", auth: { mode: "psk", psk: psk() }, ...options });

test("keyRate and maxDistance agree with the independent Python computation within 1 %", () => {
  let checked = 0;
  for (const set of Object.values(reference.sets)) {
    for (const p of set.points) {
      const r = keyRate({ ...set.params, model: p.model, lengthKm: p.lengthKm, mu: p.mu ?? "optimal" });
      if (p.bitsPerPulse === 0) assert.ok(r.bitsPerPulse < 1e-12, `${p.model} ${p.lengthKm} km: ${r.bitsPerPulse}`);
      else assert.ok(Math.abs(r.bitsPerPulse / p.bitsPerPulse - 1) < 0.01, `${p.model} ${p.lengthKm} km: ${r.bitsPerPulse} vs ${p.bitsPerPulse}`);
      checked++;
    }
    for (const [model, km] of Object.entries(set.maxDistanceKm)) {
      assert.ok(Math.abs(maxDistance({ ...set.params, model }) - km) <= 0.01 * Math.max(km, 1), `${model}: ${km}`);
    }
  }
  assert.ok(checked >= 100);
  // With the GYS parameters: ~140 km with decoys, ~40 km without (Lo, Ma, Chen 2005).
  const gys = { attenuationDbPerKm: 0.21, detectorEfficiency: 0.045, darkCountProb: 1.7e-6, errorRate: 0.033, f: 1.22 };
  assert.ok(maxDistance({ ...gys, model: "decoy-vacuum-weak" }) > 130);
  assert.ok(maxDistance({ ...gys, model: "gllp" }) < 45);
  const single = keyRate({ model: "single-photon", lengthKm: 20 });
  assert.equal(single.mu, undefined);
  assert.ok(keyRate({ model: "decoy-infinite", lengthKm: 20 }).mu > 0.1);
});

test("bad key-rate options throw with a code and the field", () => {
  assert.throws(() => keyRate({ model: "decoy-vacuum-weak", mu: 0.05, nu: 0.1 }), (e) => e.code === "invalid_parameter" && /mu/.test(e.message));
  assert.throws(() => keyRate({ model: "laser" }), (e) => e instanceof TypeError);
  assert.throws(() => keyRate({ model: "gllp", mu: "best" }), (e) => e.code === "invalid_parameter");
  assert.throws(() => maxDistance({ model: "gllp", lengthKm: -1 }), (e) => e.code === "invalid_parameter");
  assert.throws(() => run({ pulses: 1000, source: weak({ pSignal: 0.8, pDecoy: 0.2, pVacuum: 0 }) }), (e) => e.code === "invalid_parameter" && /vacuum/.test(e.message));
  assert.throws(() => run({ pulses: 1000, source: { signal: 0.5 } }), (e) => e.code === "invalid_parameter");
  assert.throws(() => run({ pulses: 1000, eve: { attack: "pns", interceptFraction: 1 } }), (e) => e.code === "invalid_parameter");
});

test("weak pulses with decoys give a key bounded by the decoy method, never the single-photon bound", () => {
  const r = run({ pulses: 30_000_000, channel: { lengthKm: 0 }, source: weak() });
  assert.equal(r.ok, true, JSON.stringify(r.error));
  const d = r.summary.decoyKey;
  assert.equal(d.method, "decoy");
  assert.equal(r.summary.finiteKey, undefined);
  assert.equal(r.finalKeyBits, d.length);
  assert.ok(d.length < d.naiveLength && d.s1 > 0 && d.phaseError < 0.5);
  const c = r.summary.classCounts;
  assert.equal(c.pulses.reduce((a, b) => a + b, 0), 30_000_000);
  assert.ok(c.clicks[2] < c.clicks[1] && c.clicks[1] < c.clicks[0]);
  assert.ok(Math.abs(d.gains[1] / d.gains[0] - 0.2) < 0.02, `decoy/signal gain ${d.gains[1] / d.gains[0]}`);
});

test("PNS without decoys looks honest, Eve knows the key, and the protocol releases none", () => {
  const opts = { pulses: 20_000_000, channel: { lengthKm: 50 }, source: weak({ decoys: false }) };
  const honest = run(opts);
  const attacked = run({ ...opts, eve: { attack: "pns" } });
  const gain = (r) => r.summary.clicks / r.summary.pulses;
  assert.ok(Math.abs(gain(attacked) / gain(honest) - 1) < 0.05);
  assert.ok(Math.abs(attacked.summary.qber - honest.summary.qber) < 0.004, `${attacked.summary.qber} vs ${honest.summary.qber}`);
  assert.ok(attacked.eve.knownKeyBits > 0.95 * attacked.eve.keyBits, JSON.stringify(attacked.eve));
  assert.ok(attacked.summary.decoyKey.naiveLength > 1000, "the single-photon bound would have claimed a key");
  assert.equal(attacked.ok, false);
  assert.equal(attacked.error.code, "no_secret_key");
  assert.match(attacked.error.message, /photon-number splitting/);
});

test("with decoys the same attack is caught by the decoy statistics", () => {
  const r = run({ pulses: 30_000_000, channel: { lengthKm: 25 }, source: weak(), eve: { attack: "pns" } });
  assert.equal(r.ok, false);
  assert.equal(r.error.code, "no_secret_key");
  assert.equal(r.summary.decoyKey.length, 0);
  assert.match(r.summary.decoyKey.verdict, /photon-number-splitting attack/);
});

test("detector blinding: Eve holds the final key without raising the QBER; the watchdog stops her", () => {
  const opts = { pulses: 300_000, channel: { lengthKm: 2, errorRate: 0.02 }, eve: { attack: "blinding" } };
  const r = run(opts);
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.ok(r.summary.qber < 0.03, `qber ${r.summary.qber}`);
  assert.equal(r.eve.finalKeyKnown, true);
  const guarded = run({ ...opts, channel: { ...opts.channel, watchdog: true } });
  assert.equal(guarded.ok, false);
  assert.equal(guarded.error.code, "detector_alarm");
  assert.equal(guarded.keyAlice, undefined);
});
