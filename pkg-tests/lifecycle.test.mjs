// The authentication lifecycle through the package: links, key stores, identities, attacks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runLink, KeyStore, Identity, safetyNumber, attackManInTheMiddle, attackBreakLater, Alice, Bob, Fiber, frameRoute } from "qkdlab";
import { psk } from "./helpers.mjs";

const base = (extra = {}) => ({
  pulses: 200_000, seed: "link", channel: { lengthKm: 2, errorRate: 0.02 }, auth: { mode: "psk", psk: psk() }, ...extra,
});

test("a PSK link bootstraps, then authenticates from its pool; both stores hold the same keys", () => {
  const r = runLink(base({ rounds: 3, poolTargetBits: 512 }));
  assert.equal(r.stopped, undefined);
  assert.deepEqual(r.rounds.map((x) => x.mode), ["psk-hmac-sha256", "pool-hmac-sha256", "pool-hmac-sha256"]);
  for (const x of r.rounds) {
    assert.equal(x.ok, true);
    for (const d of [0, 1]) assert.equal(x.poolAfter[d], x.poolBefore[d] - x.poolTaken[d] + x.poolAdded[d]);
  }
  assert.deepEqual(r.rounds[1].poolTaken, [256, 256]);
  assert.ok(r.aliceStore.storedKeyCount > 0);
  assert.equal(r.aliceStore.storedKeyCount, r.bobStore.storedKeyCount);
  const status = r.aliceStore.status("SAE_B");
  assert.deepEqual(Object.keys(status).sort(), ["key_size", "master_SAE_ID", "max_SAE_ID_count", "max_key_count", "max_key_per_request", "max_key_size", "min_key_size", "slave_SAE_ID", "source_KME_ID", "stored_key_count", "target_KME_ID"]);
  const enc = r.aliceStore.encKeys("SAE_B", { number: 2 });
  assert.equal(enc.keys.length, 2);
  assert.match(enc.keys[0].key_ID, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const dec = r.bobStore.decKeys("SAE_A", { key_IDs: enc.keys.map(({ key_ID }) => ({ key_ID })) });
  assert.deepEqual(dec, enc);
  assert.equal(Buffer.from(enc.keys[0].key, "base64").length, 32);
});

test("ETSI errors carry the spec's status and body", () => {
  const { aliceStore, bobStore } = runLink(base({ rounds: 1 }));
  const fails = (fn, status, message) =>
    assert.throws(fn, (e) => e.status === status && (message === undefined || e.body.message === message));
  fails(() => aliceStore.status("SAE_X"), 401);
  fails(() => aliceStore.encKeys("SAE_X"), 401);
  fails(() => bobStore.decKeys("SAE_X", { key_IDs: [{ key_ID: "x" }] }), 401);
  fails(() => aliceStore.encKeys("SAE_B", { size: 100 }), 400, "size shall be a multiple of 8");
  fails(() => aliceStore.encKeys("SAE_B", { number: 129 }), 400);
  fails(() => bobStore.decKeys("SAE_A", { key_IDs: [{ key_ID: "00000000-0000-4000-8000-000000000000" }] }), 400, "key not found");
});

test("a PKI link pins identities and shows one safety number", () => {
  const r = runLink(base({ rounds: 2, auth: { mode: "pki" } }));
  assert.equal(r.rounds[0].mode, "pki-ed25519");
  assert.ok(r.rounds.every((x) => x.ok));
  assert.match(r.safetyNumber, /^(\d{5} ){9}\d{5}$/);
  const [a, b] = [new Identity("a"), new Identity("b")];
  assert.equal(safetyNumber(a.publicKey, b.publicKey), safetyNumber(b.publicKey, a.publicKey));
  assert.equal(a.publicKey.length, 32);
});

test("Alice and Bob with PKI credentials run frame by frame; a wrong pinned key is refused", () => {
  const [a, b, m] = [new Identity("a"), new Identity("b"), new Identity("m")];
  const run = (bobPins) => {
    const alice = new Alice({ pulses: 100_000, seed: "p", auth: { mode: "pki", secretKey: a.secretKey, peerPublicKey: b.publicKey } });
    const bob = new Bob({ seed: "q", auth: { mode: "pki", secretKey: b.secretKey, peerPublicKey: bobPins } });
    const fiber = new Fiber({ seed: "f", channel: { lengthKm: 1, errorRate: 0.02 } });
    const q = alice.start().map((f) => [frameRoute(f) === "fiber" ? "fiber" : "bob", f]);
    while (q.length) {
      const [to, f] = q.shift();
      let out;
      try {
        out = to === "fiber" ? fiber.handle(f) : to === "bob" ? bob.handle(f) : alice.handle(f);
      } catch (e) {
        return e.code;
      }
      for (const g of out) q.push([to === "fiber" ? "bob" : frameRoute(g) === "fiber" ? "fiber" : to === "alice" ? "bob" : "alice", g]);
    }
    return alice.finished && bob.finished ? "ok" : "stalled";
  };
  assert.equal(run(a.publicKey), "ok");
  assert.equal(run(m.publicKey), "auth_bad_tag");
});

test("Wegman-Carter rounds spend a pad per frame and report epsilon", () => {
  const r = runLink(base({ pulses: 2_000_000, rounds: 2, afterBootstrap: "wegman-carter", poolTargetBits: 20000, padBudgetBits: 20000 }));
  const second = r.rounds[1];
  assert.equal(second.mode, "pool-wegman-carter");
  assert.equal(second.ok, true, JSON.stringify(second.report.error));
  assert.ok(second.report.auth.tagBits === 64 * second.report.auth.frames);
  assert.equal(second.report.auth.padBitsUsed, 64 * second.report.auth.frames);
  assert.ok(second.report.auth.epsilon > 0 && second.report.auth.epsilon < 1e-14);
});

test("an empty pool stops the link with a clear error", () => {
  const r = runLink(base({ rounds: 3, poolTargetBits: 100 }));
  assert.equal(r.rounds.length, 1);
  assert.equal(r.stopped.code, "auth_pool_exhausted");
  assert.match(r.stopped.message, /instead of reusing key/);
});

test("a man in the middle with the leaked PSK splits the keys; without it both sides abort", () => {
  const leaked = attackManInTheMiddle(base(), { mode: "psk", psk: psk() });
  assert.equal(leaked.withAlice.ok && leaked.withBob.ok, true);
  assert.equal(leaked.keysDiffer, true);
  const blind = attackManInTheMiddle(base(), { mode: "psk", psk: new Uint8Array(32).fill(7) });
  assert.equal(blind.withAlice.error.code, "auth_bad_tag");
  assert.equal(blind.withBob.error.code, "auth_bad_tag");
  assert.equal(blind.keysDiffer, false);
});

test("a PSK leaked after the round gives Eve no better than chance", () => {
  const r = attackBreakLater(base());
  assert.ok(r.framesVerified > 10);
  const sigma = 0.5 / Math.sqrt(r.keyBits);
  assert.ok(Math.abs(r.agreement - 0.5) < 4 * sigma, `agreement ${r.agreement} over ${r.keyBits} bits`);
});
