// The built package, imported as a user imports it.
import { test } from "node:test";
import assert from "node:assert/strict";
import init, { simulate, toeplitzHash, hmacSha256, finiteKeyLength, reconcile, Alice, Bob, Fiber, Session, frameRoute } from "qkdlab";
import { dataRows, hex, fromHex, psk } from "./helpers.mjs";

await init();
const options = (extra = {}) => ({
  pulses: 200_000, seed: "42", channel: { lengthKm: 5, errorRate: 0.02 }, auth: { mode: "psk", psk: psk() }, ...extra,
});
const withoutTimes = (r) => JSON.stringify({ ...r, stages: r.stages.map((s) => s.name), keyAlice: hex(r.keyAlice ?? []), keyBob: hex(r.keyBob ?? []) });

test("a full session gives equal keys of the reported length", () => {
  const r = simulate(options());
  assert.equal(r.ok, true, JSON.stringify(r.error));
  assert.ok(r.keyAlice instanceof Uint8Array);
  assert.deepEqual(r.keyAlice, r.keyBob);
  assert.ok(r.finalKeyBits > 0);
  assert.equal(r.keyAlice.length, Math.ceil(r.finalKeyBits / 8));
  assert.equal(r.finalKeyBits, r.summary.finiteKey.length);
  assert.equal(r.leakedBits, r.disclosed.reconciliation + r.disclosed.verification);
  assert.equal(r.summary.finiteKey.leakEc, r.leakedBits);
  assert.equal(r.disclosed.reconciliation, r.summary.reconciliationDisclosed);
  assert.equal(r.summary.reconciliation, "cascade");
  assert.equal(r.auth.tagMode, "transcript");
  assert.equal(r.auth.tags, 4);
  assert.ok(Math.abs(r.summary.qber - 0.02) < 0.015, `qber ${r.summary.qber}`);
  // The design's minimum contract, flat: the same figures as the nested records.
  assert.equal(r.qber, r.summary.qber);
  assert.equal(r.siftedBits, r.summary.siftedBits);
  assert.ok(r.siftedBits > r.finalKeyBits);
  assert.equal(r.authBitsUsed, r.auth.keyBitsUsed);
  assert.equal(r.authBitsUsed, 0, "HMAC under the PSK consumes no key bits");
  assert.equal(r.epsSec, 1e-10);
  assert.ok(r.roundTrips > 0);
  assert.deepEqual(r.stages.map((s) => s.name), ["quantum", "sifting", "estimation", "reconciliation", "verification", "amplification"]);
});

test("the same seed gives the same report and another seed another key", () => {
  assert.equal(withoutTimes(simulate(options())), withoutTimes(simulate(options())));
  assert.notEqual(hex(simulate(options()).keyAlice), hex(simulate(options({ seed: "43" })).keyAlice));
});

test("intercept-resend on every photon aborts with the QBER error and no key", () => {
  const r = simulate(options({ eve: { interceptFraction: 1 }, channel: { lengthKm: 5, errorRate: 0 } }));
  assert.equal(r.ok, false);
  assert.equal(r.error.code, "qber_too_high");
  assert.equal(r.keyAlice, undefined);
  assert.ok(Math.abs(r.summary.qber - 0.25) < 0.05, `qber ${r.summary.qber}`);
  assert.equal(r.error.party, "bob", "Bob computes the QBER first");
});

test("HMAC-SHA256 matches RFC 4231 through the JS API", () => {
  const rows = dataRows("hmac_sha256_rfc4231.txt");
  assert.equal(rows.length, 7);
  for (const [, key, data, mac] of rows) {
    assert.equal(hex(hmacSha256(fromHex(key), fromHex(data))).slice(0, mac.length), mac);
  }
});

test("toeplitzHash matches the naive reference vectors through the JS API", () => {
  const rows = dataRows("toeplitz_naive.txt");
  assert.equal(rows.length, 12);
  for (const [n, m, seed, input, out] of rows) {
    assert.equal(hex(toeplitzHash(fromHex(seed), fromHex(input), Number(n), Number(m))), out, `n=${n} m=${m}`);
  }
});

test("finiteKeyLength and reconcile stand alone", () => {
  const f = finiteKeyLength(100_000, 10_000, 0.02, 15_000);
  // The variable-length branch: Q_tol on the 1/1024 grid, the leak on the 256-bit grid, and
  // eps_sec split over 512 x (100000 / 256 + 1) branches.
  const eps = 1e-10 / (512 * 391);
  assert.ok(f.length > 0 && Math.abs(f.epsilonBits - Math.log2(2 / (eps * eps * 1e-15))) < 1e-6, JSON.stringify(f));
  assert.equal(f.qTol, 21 / 1024);
  assert.equal(f.leakBound, 15_104);
  const a = new Uint8Array(1250).map((_, i) => (i * 37) & 0xff);
  const b = a.slice();
  for (const i of [3, 100, 700, 1200]) b[i] ^= 0x10;
  const r = reconcile(a, b, 10_000, 0.0004, "s");
  assert.deepEqual(r.key, a);
  assert.equal(r.corrections, 4);
  assert.ok(r.disclosed > 0);
});

const refused = (fn, code, field, Kind = RangeError) => {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Kind, `${e.constructor.name}: ${e.message}`);
    assert.equal(e.code, code);
    if (field) assert.equal(e.field, field);
    assert.ok(e.message.length > 10);
    return true;
  });
};

test("bad arguments are refused with their code and field", () => {
  refused(() => simulate(options({ pulses: -1 })), "invalid_parameter", "pulses");
  refused(() => simulate(options({ pulses: 1.5 })), "invalid_parameter", "pulses");
  refused(() => simulate(options({ pulses: NaN })), "invalid_parameter", "pulses");
  refused(() => simulate(options({ pulses: 2 ** 40 })), "invalid_parameter", "pulses");
  refused(() => simulate(options({ pulses: "1000" })), "invalid_parameter", "pulses", TypeError);
  refused(() => simulate(options({ pulsez: 10 })), "invalid_parameter", undefined, TypeError);
  refused(() => simulate(options({ channel: { errorrate: 0.01 } })), "invalid_parameter", "channel.errorrate", TypeError);
  refused(() => simulate(options({ channel: { lengthKm: "far" } })), "invalid_parameter", "channel.lengthKm", TypeError);
  // No auth, no default: the message says why.
  assert.throws(() => simulate({ pulses: 1000 }), (e) => e.field === "auth" && /authenticated classical channel/.test(e.message));
  refused(() => simulate(null), "invalid_parameter", undefined, TypeError);
  refused(() => simulate(options({ channel: { errorRate: 0.6 } })), "invalid_parameter", "errorRate");
  refused(() => simulate(options({ channel: { errorRate: -0.01 } })), "invalid_parameter", "errorRate");
  refused(() => simulate(options({ channel: { lengthKm: NaN } })), "invalid_parameter", "lengthKm");
  refused(() => simulate(options({ channel: { detectorEfficiency: 1.5 } })), "invalid_parameter", "detectorEfficiency");
  refused(() => simulate(options({ eve: { interceptFraction: 2 } })), "invalid_parameter", "interceptFraction");
  refused(() => simulate(options({ eve: { interceptFraction: 0.5, basis: "circular" } })), "invalid_parameter", "eve.basis");
  refused(() => simulate(options({ auth: { mode: "psk", psk: new Uint8Array(31) } })), "invalid_parameter", "psk");
  refused(() => simulate(options({ auth: { mode: "x509", psk: psk() } })), "invalid_parameter", "auth.mode");
  refused(() => new Alice({ pulses: 1000, auth: { mode: "pki", secretKey: new Uint8Array(31), peerPublicKey: new Uint8Array(32) } }), "invalid_parameter", "auth.secretKey");
  refused(() => simulate(options({ auth: undefined })), "invalid_parameter", "auth");
  refused(() => simulate(options({ batchSize: 100 })), "invalid_parameter", "batchSize");
  refused(() => simulate(options({ sampleFraction: 0 })), "invalid_parameter", "sampleFraction");
  refused(() => toeplitzHash(new Uint8Array(1), new Uint8Array(1), 8, 4), "invalid_parameter", "seed");
  refused(() => toeplitzHash(new Uint8Array(2), new Uint8Array(1), 8.5, 4), "invalid_parameter", "inputBits");
  refused(() => finiteKeyLength(1000, 100, 0.7, 0), "invalid_parameter", "qber");
  // A count past 2^32 - 1 is refused in wasm32, never cut to its low 32 bits.
  refused(() => finiteKeyLength(2 ** 32 + 1e6, 1e5, 0.02, 2e5), "invalid_parameter", "n");
  refused(() => toeplitzHash(new Uint8Array(2), new Uint8Array(1), 2 ** 32 + 8, 8), "invalid_parameter", "inputBits");
  refused(() => reconcile(new Uint8Array([0xa5]), new Uint8Array([0xa4]), 2 ** 32 + 8, 0.05), "invalid_parameter", "bits");
  refused(() => reconcile(new Uint8Array(2), new Uint8Array(3), 16, 0.01), "invalid_parameter", "noisy");
  refused(() => frameRoute(new Uint8Array([9, 1])), "decode_error", undefined, Error);
});

/** Runs Alice, Bob and the fiber over an in-process queue; `tamper` may edit classical frames. */
function frameByFrame(tamper = (f) => f, extra = {}) {
  const alice = new Alice({ pulses: 200_000, link: "test room", auth: { mode: "psk", psk: psk() }, ...extra });
  const bob = new Bob({ link: "test room", auth: { mode: "psk", psk: psk() } });
  const fiber = new Fiber({ seed: "frames", channel: { lengthKm: 5, errorRate: 0.02 } });
  const queue = alice.start(bob.readyFrame).map((f) => [frameRoute(f) === "fiber" ? "fiber" : "bob", f]);
  let classical = 0;
  while (queue.length) {
    const [to, frame] = queue.shift();
    const from = to;
    let out;
    try {
      out = to === "fiber" ? fiber.handle(frame) : to === "bob" ? bob.handle(frame) : alice.handle(frame);
    } catch (e) {
      return { alice, bob, error: e };
    }
    for (const f of out) {
      if (from === "fiber") queue.push(["bob", f]);
      else if (frameRoute(f) === "fiber") queue.push(["fiber", f]);
      else queue.push([from === "alice" ? "bob" : "alice", tamper(f, classical++)]);
    }
  }
  return { alice, bob, error: null };
}

test("a session driven frame by frame through Alice, Bob and Fiber agrees on a key of the finite-key length", () => {
  const { alice, bob, error } = frameByFrame();
  assert.equal(error, null);
  assert.equal(alice.state, "Finished");
  assert.equal(bob.state, "Finished");
  const ka = alice.takeKey();
  assert.deepEqual(ka, bob.takeKey());
  assert.equal(alice.takeKey(), undefined, "a key is yielded once");
  assert.equal(ka.length, Math.ceil(alice.summary.finiteKey.length / 8));
});

test("parties over a transport refuse a seed and draw from the OS: two runs send different photons", () => {
  refused(() => new Alice({ pulses: 1000, seed: "42", auth: { mode: "psk", psk: psk() } }), "invalid_parameter", "seed");
  refused(() => new Bob({ seed: "42", auth: { mode: "psk", psk: psk() } }), "invalid_parameter", "seed");
  const photons = () => {
    const bob = new Bob({ auth: { mode: "psk", psk: psk() } });
    const alice = new Alice({ pulses: 4096, auth: { mode: "psk", psk: psk() } });
    return Buffer.from(alice.start(bob.readyFrame).find((f) => frameRoute(f) === "fiber")).toString("hex");
  };
  assert.notEqual(photons(), photons());
});

test("an adversary flipping one bit of a classical frame gets the authentication error", () => {
  const { alice, bob, error } = frameByFrame((f, i) => {
    if (i !== 3) return f;
    const g = f.slice();
    g[12] ^= 0x04;
    return g;
  }, { tags: "per-frame" });
  assert.ok(error instanceof Error);
  assert.equal(error.code, "auth_bad_tag");
  assert.equal(alice.finished || bob.finished, false);
  assert.equal(alice.takeKey(), undefined);
  assert.equal(bob.takeKey(), undefined);
  assert.ok([alice.failure?.code, bob.failure?.code].includes("auth_bad_tag"));
});

test("under transcript tags, a bit flipped in an untagged frame ends the round: no key on either side", () => {
  // Frame 2 is Bob's SampleReply; one of his sample bits flipped on the way. Alice's QBER
  // estimate then counts one error more or less than Bob's. Mostly both still pick the same
  // Cascade blocks, and Alice's check of Bob's transcript tag at Reconciled catches the flip;
  // when the estimates straddle a block-size step, Bob already sees Alice's parities
  // contradict his own plan (a typed protocol violation) before any tag is due.
  const { alice, bob, error } = frameByFrame((f, i) => {
    if (i !== 2) return f;
    const g = f.slice();
    g[g.length - 2] ^= 0x80;
    return g;
  });
  assert.ok(error instanceof Error);
  if (error.code === "auth_bad_tag") {
    assert.equal(alice.failure?.code, "auth_bad_tag", "Alice checks Bob's transcript at Reconciled");
  } else {
    assert.equal(error.code, "peer_misbehaved", error.message);
    assert.equal(bob.failure?.code, "peer_misbehaved", "Bob refuses parities that do not fit his plan");
  }
  assert.equal(alice.finished || bob.finished, false);
  assert.equal(alice.takeKey(), undefined);
  assert.equal(bob.takeKey(), undefined);
});

test("Session runs in chunks with progress and gives the same report as simulate", async () => {
  const s = new Session(options());
  const states = new Set();
  let steps = 0;
  while (s.step()) {
    states.add(s.progress.bob);
    steps++;
    await new Promise((r) => setImmediate(r));
  }
  assert.ok(steps > 10);
  assert.ok(states.has("ExpectParities"), [...states].join(","));
  assert.equal(withoutTimes(s.report()), withoutTimes(simulate(options())));
  assert.throws(() => s.report(), (e) => e.code === "finished");
});
