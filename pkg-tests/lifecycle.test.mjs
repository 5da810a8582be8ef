// The authentication lifecycle through the package: links, key stores, identities, attacks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runLink, KeyStore, Identity, safetyNumber, attackManInTheMiddle, attackBreakLater, Alice, Bob, Fiber, Link, frameRoute, frameInfo, helloParams, protocolStages } from "qkdlab";
import { psk } from "./helpers.mjs";

const base = (extra = {}) => ({
  pulses: 200_000, seed: "link", channel: { lengthKm: 2, errorRate: 0.02 }, auth: { mode: "psk", psk: psk() }, ...extra,
});

test("a PSK link bootstraps, then authenticates from its pool; both stores hold the same keys", () => {
  const r = runLink(base({ rounds: 3, poolTargetBits: 512 }));
  assert.equal(r.stopped, undefined);
  assert.deepEqual(r.rounds.map((x) => x.mode), ["psk", "pool-hmac", "pool-hmac"]);
  for (const x of r.rounds) {
    assert.equal(x.ok, true);
    for (const d of [0, 1]) assert.equal(x.poolAfter[d], x.poolBefore[d] - x.poolTaken[d] + x.poolAdded[d]);
  }
  assert.deepEqual(r.rounds[1].poolTaken, [256, 256]);
  assert.ok(r.aliceStore.storedKeyCount > 0);
  assert.equal(r.aliceStore.storedKeyCount, r.bobStore.storedKeyCount);
  assert.ok(r.rounds.every((x) => /^[0-9a-f]{8}$/.test(x.fingerprint)), "32 discarded bits as the fingerprint");
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
  assert.equal(r.rounds[0].mode, "pki");
  assert.ok(r.rounds.every((x) => x.ok));
  assert.match(r.safetyNumber, /^(\d{5} ){9}\d{5}$/);
  const [a, b] = [new Identity("a"), new Identity("b")];
  assert.equal(safetyNumber(a.publicKey, b.publicKey), safetyNumber(b.publicKey, a.publicKey));
  assert.equal(a.publicKey.length, 32);
});

test("Alice and Bob with PKI credentials run frame by frame; a wrong pinned key is refused", () => {
  const [a, b, m] = [new Identity("a"), new Identity("b"), new Identity("m")];
  const run = (bobPins) => {
    const alice = new Alice({ pulses: 300_000, auth: { mode: "pki", secretKey: a.secretKey, peerPublicKey: b.publicKey } });
    const bob = new Bob({ auth: { mode: "pki", secretKey: b.secretKey, peerPublicKey: bobPins } });
    const fiber = new Fiber({ seed: "f", channel: { lengthKm: 1, errorRate: 0.02 } });
    const q = alice.start(bob.readyFrame).map((f) => [frameRoute(f) === "fiber" ? "fiber" : "bob", f]);
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
  // LDPC: a handful of frames a round, so the pads needed do not depend on Cascade's round trips.
  const r = runLink(base({ pulses: 2_000_000, rounds: 2, afterBootstrap: "wegman-carter", poolTargetBits: 20000, padBudgetBits: 20000, tags: "per-frame", reconciliation: "ldpc" }));
  const second = r.rounds[1];
  assert.equal(second.mode, "pool-wegman-carter");
  assert.equal(second.ok, true, JSON.stringify(second.error));
  assert.equal(second.auth.padBitsUsed, 64 * (second.auth.framesSent + second.auth.framesReceived));
  // Alice's view: each frame she accepted costs the bound of the longest acceptable frame.
  const perFrame = (Math.ceil((2 ** 26 + 1024 + 32) / 8) + 1) / 2 ** 64;
  assert.ok(Math.abs(second.auth.epsilon - perFrame * second.auth.framesReceived) < 1e-22, String(second.auth.epsilon));
});

test("Wegman-Carter over the transcript: four tags a round, 256 pad bits, epsilon charged on the longest transcript", () => {
  const r = runLink(base({ pulses: 2_000_000, rounds: 2, afterBootstrap: "wegman-carter", poolTargetBits: 20000 }));
  const second = r.rounds[1];
  assert.equal(second.ok, true, JSON.stringify(second.error));
  assert.ok(second.auth.framesSent + second.auth.framesReceived > 20);
  assert.deepEqual([second.auth.tagsSent, second.auth.tagsReceived], [2, 2]);
  assert.equal(second.auth.padBitsUsed, 256);
  const perTag = (Math.ceil(2 ** 30 / 8) + 1) / 2 ** 64;
  assert.ok(Math.abs(second.auth.epsilon - 2 * perTag) < 1e-22, String(second.auth.epsilon));
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

/** Two link endpoints over an in-process queue with a fiber; `tamper(frame, i)` returns the
 * frames delivered instead of classical frame `i` (counted over the whole link). */
function linkPair({ room = "room", pulses = 200_000, tamper = (f) => [f] } = {}) {
  const auth = { mode: "psk", psk: psk() };
  const alice = new Link({ role: "alice", link: room, auth, poolTargetBits: 1024 });
  const bob = new Link({ role: "bob", link: room, auth, poolTargetBits: 1024 });
  let fiber;
  let n = 0;
  const events = { alice: [], bob: [] };
  const q = [];
  const push = (from, frames) => {
    for (const f of frames) {
      if (from === "fiber") q.push(["bob", f]);
      else if (frameRoute(f) === "fiber") q.push(["fiber", f]);
      else for (const g of tamper(f, n++)) q.push([from === "alice" ? "bob" : "alice", g]);
    }
  };
  const run = () => {
    while (q.length) {
      const [to, f] = q.shift();
      if (to === "fiber") push("fiber", fiber.handle(f));
      else {
        const step = (to === "alice" ? alice : bob).handle(f);
        events[to].push(...step.events);
        push(to, step.frames);
      }
    }
  };
  push("bob", [bob.readyFrame]);
  run();
  return {
    alice, bob, events,
    round() {
      fiber = new Fiber({ channel: { lengthKm: 1, errorRate: 0.02 } });
      if (!alice.ready) return false;
      const step = alice.startRound({ pulses });
      push("alice", step.frames);
      run();
      // The channel went quiet: whoever still waits gives up on this round.
      events.alice.push(...alice.abortRound("timeout").events);
      const b = bob.abortRound("timeout");
      events.bob.push(...b.events);
      push("bob", b.frames);
      run();
      return true;
    },
  };
}

test("Link endpoints over any transport: rounds commit on both sides with equal fingerprints and stores", () => {
  const p = linkPair();
  for (let i = 0; i < 3; i++) assert.ok(p.round());
  const ended = (side) => p.events[side].filter((e) => e.type === "roundEnded");
  assert.deepEqual(ended("alice").map((e) => [e.round, e.ok, e.mode]), [[1, true, "psk"], [2, true, "pool-hmac"], [3, true, "pool-hmac"]]);
  assert.deepEqual(ended("bob").map((e) => e.fingerprint), ended("alice").map((e) => e.fingerprint));
  assert.equal(p.alice.lastCommitted, 3);
  assert.equal(p.bob.lastCommitted, 3);
  // Keys leave only through the key store API: Alice's SAE asks, Bob's fetches by id.
  const enc = p.alice.encKeys("SAE_B", { number: 2 });
  const ids = { key_IDs: enc.keys.map(({ key_ID }) => ({ key_ID })) };
  assert.deepEqual(p.bob.peekKeys("SAE_A", ids), enc, "peeking leaves them in the store");
  assert.deepEqual(p.bob.decKeys("SAE_A", ids), enc);
  assert.throws(() => p.bob.decKeys("SAE_A", ids), (e) => e.status === 400, "a delivered key leaves");
  // And the other direction: Bob's SAE is the master of its own store.
  const back = p.bob.encKeys("SAE_A", { number: 1 });
  assert.deepEqual(p.alice.decKeys("SAE_B", { key_IDs: [{ key_ID: back.keys[0].key_ID }] }), back);
  // The pool ledgers: no position used twice on a side.
  for (const link of [p.alice, p.bob]) {
    for (const ledger of link.pools.ledger) {
      const used = new Set();
      for (const e of ledger) for (let i = e.start; i < e.start + e.len; i++) {
        assert.ok(!used.has(i), `bit ${i} used twice`);
        used.add(i);
      }
    }
  }
});

test("a forged frame costs one round; the next clean round grows a key; endpoints refuse a seed", () => {
  const p = linkPair({ tamper: (f, i) => (i === 20 ? [Uint8Array.from(f, (b, j) => (j === f.length - 1 ? b ^ 1 : b))] : [f]) });
  for (let i = 0; i < 3; i++) assert.ok(p.round());
  const ok = p.events.alice.filter((e) => e.type === "roundEnded").map((e) => e.ok);
  assert.equal(ok.filter((x) => !x).length, 1, JSON.stringify(ok));
  assert.equal(ok.at(-1), true);
  assert.equal(p.alice.lastCommitted, p.bob.lastCommitted);
  assert.throws(() => new Link({ role: "alice", link: "r", seed: "42", auth: { mode: "psk", psk: psk() } }), (e) => e.code === "invalid_parameter" && e.field === "seed");
});

test("a Hello replayed into another room with the same PSK is refused at the first frame", () => {
  const p = linkPair({ room: "room A" });
  const hello = [];
  const q = new Link({ role: "alice", link: "room A", auth: { mode: "psk", psk: psk() } });
  q.handle(p.bob.readyFrame);
  for (const f of q.startRound({ pulses: 4096 }).frames) if (frameInfo(f).type === "Hello") hello.push(f);
  const other = new Link({ role: "bob", link: "room B", auth: { mode: "psk", psk: psk() } });
  const step = other.handle(hello[0]);
  assert.deepEqual(step.events.map((e) => e.type === "refused" && e.error.code), ["auth_bad_tag"]);
  assert.equal(other.running, false);
});

test("frameInfo and helloParams read the public header from the core's message table", () => {
  const bob = new Bob({ auth: { mode: "psk", psk: psk() } });
  const alice = new Alice({ pulses: 4096, batchSize: 1024, auth: { mode: "psk", psk: psk() } });
  assert.deepEqual(frameInfo(bob.readyFrame), { type: "Ready", route: "classical", stage: "quantum" });
  const frames = alice.start(bob.readyFrame);
  const infos = frames.map(frameInfo);
  assert.deepEqual(infos.filter((i) => i.type === "Photons").length, 4);
  const hello = frames[infos.findIndex((i) => i.type === "Hello")];
  assert.deepEqual(frameInfo(hello), { type: "Hello", route: "classical", stage: "quantum", direction: "aliceToBob", sequence: 0 });
  assert.equal(helloParams(hello).pulses, 4096);
  assert.equal(helloParams(hello).batchSize, 1024);
  assert.throws(() => frameInfo(new Uint8Array([1, 0x7f])), (e) => e.code === "decode_error");
  // The state-to-stage map the page's progress view reads, as a plain object.
  const { stages, stateStage } = protocolStages();
  assert.deepEqual(stages, ["quantum", "sifting", "estimation", "reconciliation", "verification", "amplification"]);
  assert.equal(stateStage.ExpectParities, 3);
  assert.equal(stateStage.ExpectCommit, 5);
  assert.equal(stateStage.Finished, 6);
});

test("the page's chat spends a key only for a message that authenticates under it", async () => {
  const { Chat } = await import("../www/model/chat.js");
  const p = linkPair({ pulses: 600_000 });
  assert.ok(p.round());
  assert.ok(p.alice.storedKeyCounts[0] > 0, "keys in the store");
  const [sender, receiver] = [new Chat(p.alice, "alice"), new Chat(p.bob, "bob")];
  const real = await sender.seal("meet at noon");
  const ids = { key_IDs: [{ key_ID: real.keyId }] };
  // A forgery naming the real key id (the relay can stamp any sender): refused, key kept.
  const forged = { ...real, from: "alice", ct: Buffer.from("not the ciphertext").toString("base64") };
  assert.deepEqual(await receiver.open(forged), { ok: false, reason: "does not decrypt", keyId: real.keyId });
  assert.equal(p.bob.peekKeys("SAE_A", ids).keys.length, 1, "the key is still there");
  // Only the relay-stamped peer is heard at all.
  assert.equal(await receiver.open({ ...real, from: "eve" }), null);
  // The real message opens and spends the key; a replay then finds no key.
  assert.deepEqual(await receiver.open({ ...real, from: "alice" }), { ok: true, text: "meet at noon", keyId: real.keyId });
  assert.throws(() => p.bob.peekKeys("SAE_A", ids), (e) => e.status === 400);
  assert.deepEqual(await receiver.open({ ...real, from: "alice" }), { ok: false, reason: "unknown key", keyId: real.keyId });
});
