// The classical key exchanges through the package: known answers (RFC 7748, NIST ACVP for
// FIPS 203), both sides of each method deriving the same keys into the ETSI 014 stores, a
// tampered frame refused with its code, and "record now, decrypt later" on a recording.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { KeyExchange, KexRecording, x25519, mlKem768Keygen, mlKem768Encapsulate, mlKem768Decapsulate } from "qkdlab";

const data = (name) => JSON.parse(readFileSync(new URL(`../crate/tests/data/${name}`, import.meta.url), "utf8"));
const unhex = (h) => Uint8Array.from(h.match(/../g), (x) => parseInt(x, 16));
const hex = (b) => Buffer.from(b).toString("hex");
const psk = new Uint8Array(32).fill(5);

test("x25519 and ML-KEM-768 give the published answers", () => {
  const x = data("x25519_rfc7748.json");
  for (const t of x.function) assert.equal(hex(x25519(unhex(t.scalar), unhex(t.u))), t.output);
  assert.equal(hex(x25519(unhex(x.diffieHellman.alicePrivate), unhex(x.diffieHellman.bobPublic))), x.diffieHellman.shared);
  assert.throws(() => x25519(new Uint8Array(31), new Uint8Array(32)), (e) => e.code === "invalid_parameter" && e.field === "scalar");

  const k = data("mlkem768_acvp.json");
  for (const t of k.keyGen) {
    const pair = mlKem768Keygen(unhex(t.d + t.z));
    assert.equal(hex(pair.encapsulationKey), t.ek);
    assert.equal(hex(pair.decapsulationKey), t.dk);
  }
  for (const t of k.encapsulation) {
    const e = mlKem768Encapsulate(unhex(t.ek), unhex(t.m));
    assert.equal(hex(e.ciphertext), t.c);
    assert.equal(hex(e.sharedKey), t.k);
  }
  for (const t of k.decapsulation.tests) assert.equal(hex(mlKem768Decapsulate(unhex(k.decapsulation.dk), unhex(t.c))), t.k, t.reason);
  // Fresh keys from the OS agree with themselves.
  const pair = mlKem768Keygen();
  const e = mlKem768Encapsulate(pair.encapsulationKey);
  assert.deepEqual(mlKem768Decapsulate(pair.decapsulationKey, e.ciphertext), e.sharedKey);
  assert.throws(() => mlKem768Encapsulate(new Uint8Array(1184).fill(255)), (e) => e.code === "invalid_parameter");
});

/** Alice and Bob over an in-memory wire; `meddle(i, frame)` may change frame i in flight. */
function exchange(method, meddle = (_, f) => f) {
  const alice = new KeyExchange({ role: "alice", method, link: "room", auth: { mode: "psk", psk } });
  const bob = new KeyExchange({ role: "bob", method, link: "room", auth: { mode: "psk", psk } });
  const events = [];
  const wire = [];
  let i = 0;
  const send = (to, f) => {
    const g = meddle(i++, f);
    wire.push(g);
    const step = to.handle(g);
    events.push(...step.events);
    for (const h of step.frames) send(to === alice ? bob : alice, h);
  };
  send(alice, bob.readyFrame);
  assert.ok(alice.ready);
  for (const f of alice.start().frames) send(bob, f);
  return { alice, bob, events, wire };
}

for (const method of ["x25519", "ml-kem-768", "hybrid", "toy-dh"]) {
  test(`${method}: both sides hold the same keys by id; a tampered frame is refused`, () => {
    const { alice, bob, events, wire } = exchange(method);
    const done = events.filter((e) => e.type === "established");
    assert.equal(done.length, 2);
    assert.equal(done[0].fingerprint, done[1].fingerprint);
    assert.equal(done[0].bytesExchanged, wire.reduce((n, f) => n + f.length, 0));
    assert.deepEqual(alice.storedKeyCounts, [128, 128]);
    const sent = alice.encKeys("SAE_B", { number: 2 });
    assert.deepEqual(bob.decKeys("SAE_A", { key_IDs: sent.keys.map((k) => ({ key_ID: k.key_ID })) }), sent);

    // The Reply (frame 2) with one payload bit flipped: Alice refuses it, nobody gets keys.
    const bad = exchange(method, (i, f) => (i === 2 ? Object.assign(f.slice(), { [12]: f[12] ^ 1 }) : f));
    assert.deepEqual(bad.events.map((e) => e.type === "refused" && e.error.code), ["auth_bad_tag"]);
    assert.equal(bad.alice.established || bad.bob.established, false);
    assert.throws(() => bad.bob.encKeys("SAE_A", { number: 1 }), (e) => e.status === 503 && e.code === "unavailable");
  });
}

test("years later: the toy group's recording is decrypted after the break and not before; the others are only described", () => {
  const { alice, wire } = exchange("toy-dh");
  const rec = new KexRecording("room");
  wire.forEach((f) => rec.add(f));
  assert.equal(rec.method, "toy-dh");
  const before = rec.yearsLater({ lattice: true, credential: true });
  assert.equal(before.falls, false);
  assert.throws(() => rec.peekKeys("SAE_A", { key_IDs: [{ key_ID: "x" }] }));
  const after = rec.yearsLater({ discreteLog: true });
  assert.equal(after.recovered, true);
  assert.equal(after.fingerprint, alice.outcome.fingerprint);
  const sent = alice.encKeys("SAE_B", { number: 1 });
  assert.deepEqual(rec.peekKeys("SAE_A", { key_IDs: [{ key_ID: sent.keys[0].key_ID }] }), sent);

  for (const [method, breaks, falls] of [["x25519", { discreteLog: true }, true], ["hybrid", { discreteLog: true }, false], ["hybrid", { discreteLog: true, lattice: true }, true]]) {
    const r = new KexRecording("room");
    exchange(method).wire.forEach((f) => r.add(f));
    const v = r.yearsLater(breaks);
    assert.equal(v.falls, falls, method);
    assert.equal(v.recovered, false, "never a fake decryption");
    if (falls) assert.match(v.why, /^Falls \(simulated\)/);
  }
  assert.throws(() => new KeyExchange({ role: "alice", method: "rsa", link: "room", auth: { mode: "psk", psk } }), (e) => e.field === "method");
  assert.throws(() => new KeyExchange({ role: "alice", method: "x25519", link: "room", seed: "1", auth: { mode: "psk", psk } }), (e) => e.field === "seed");
});
