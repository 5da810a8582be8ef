// The comparison of QKD with classical key establishment (no DOM here): what can be measured
// is measured in this tab, the rest is stated (the README's table says the same).
const METHODS = ["x25519", "ml-kem-768", "hybrid"];

/** Mean milliseconds and bytes of one in-tab exchange of `method` (both sides, PSK). */
function timeExchange(qkd, method, runs = 5) {
  const auth = { mode: "psk", psk: crypto.getRandomValues(new Uint8Array(32)) };
  let ms = 0;
  let bytes = 0;
  // One run first, untimed: the engine compiles the code paths it takes.
  for (let i = -1; i < runs; i++) {
    if (i === 0) ms = 0;
    const t = performance.now();
    const alice = new qkd.KeyExchange({ role: "alice", method, link: "measure", auth });
    const bob = new qkd.KeyExchange({ role: "bob", method, link: "measure", auth });
    alice.handle(bob.readyFrame);
    let toBob = alice.start().frames;
    while (toBob.length) {
      const toAlice = toBob.flatMap((f) => bob.handle(f).frames);
      toBob = toAlice.flatMap((f) => alice.handle(f).frames);
    }
    ms += performance.now() - t;
    bytes = alice.outcome.bytesExchanged;
  }
  return { ms: ms / runs, bytes };
}

/** One 10^6-pulse QKD round in this tab on `km` of fiber: its time, key and classical bytes. */
function qkdRound(qkd, km) {
  const t = performance.now();
  const r = qkd.simulate({ pulses: 1_000_000, channel: { lengthKm: km }, auth: { mode: "psk", psk: crypto.getRandomValues(new Uint8Array(32)) } });
  return { ms: performance.now() - t, keyBits: r.finalKeyBits, bytes: r.classicalBytes };
}

/** The table's rows: [label, qkd, x25519, ml-kem-768, hybrid], measured in this tab where
 * they can be (QKD on `km` of fiber, its key rate from the decoy-state bound). */
export function comparisonRows(qkd, km = 25) {
  const qkdRun = qkdRound(qkd, km);
  const rate = qkd.keyRate({ model: "decoy-vacuum-weak", lengthKm: km }).bitsPerPulse;
  const m = Object.fromEntries(METHODS.map((x) => [x, timeExchange(qkd, x)]));
  const fmt = (n, d = 1) => n.toLocaleString(undefined, { maximumFractionDigits: d });
  const per = (x) => `${fmt(m[x].bytes, 0)} B for 128 keys of 256 bits (${fmt(m[x].bytes / 128, 1)} B per key)`;
  return [
    ["bytes exchanged per key (measured)", `${fmt(qkdRun.bytes, 0)} B of classical frames for ${fmt(qkdRun.keyBits / 256, 0)} keys (${fmt(qkdRun.bytes / Math.max(1, qkdRun.keyBits / 256), 0)} B per key), plus the photons`, per("x25519"), per("ml-kem-768"), per("hybrid")],
    ["time per key establishment in wasm (measured)", `${fmt(qkdRun.ms, 0)} ms for one 10^6-pulse round on ${km} km (simulated photons included; ${fmt(qkdRun.keyBits, 0)} key bits)`, `${fmt(m.x25519.ms, 2)} ms`, `${fmt(m["ml-kem-768"].ms, 2)} ms`, `${fmt(m.hybrid.ms, 2)} ms`],
    [`key bits per second at ${km} km`, `${fmt(rate * 1e9, 0)} bit/s with a 1 GHz source (decoy-state bound, this page's detectors)`, "no distance limit: as fast as messages travel", "same", "same"],
    ["what must stay secret, and for how long", "the bootstrap credential, only until round 1 is done", "the ephemeral scalars, and the discrete-log problem forever", "the ephemeral decapsulation key, and module lattices forever", "either problem forever"],
    ["record now, decrypt later", "nothing to decrypt: no computation on the recording reveals the key", "falls when discrete logs fall (Shor's algorithm)", "falls if module lattices fall (no known attack)", "falls only if both fall"],
    ["a later break of the authentication", "nothing to past keys", "nothing to past keys", "nothing to past keys", "nothing to past keys"],
    ["distance and nodes", "about 100-200 km of fiber per link; farther only through trusted nodes that see the keys", "any network", "any network", "any network"],
    ["what the implementation must get right", "detectors and source (side channels such as blinding); certification: the ETSI QKD protection profile, ISO/IEC 23837", "constant-time code, randomness", "constant-time code, randomness, a young standard", "both"],
  ];
}
