// The core benchmark's workloads in wasm under Node, printed beside the native figures.
// Run by `npm run bench` after the native benchmark; figures, not pass/fail.
import { reconcile, reconcileLdpc, toeplitzHash, simulate, KeyExchange } from "qkdlab";

const native = JSON.parse(process.argv[2] ?? "{}");
const h = (p) => (p <= 0 ? 0 : -p * Math.log2(p) - (1 - p) * Math.log2(1 - p));
let x = 0x9e3779b9;
const rand = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
const randomBytes = (n) => Uint8Array.from({ length: n }, () => (rand() * 256) | 0);
const time = (f) => {
  const t = performance.now();
  const v = f();
  return [performance.now() - t, v];
};

const rows = [];
const figures = {};
const n = 100_000;
const noisy = (q) => {
  const a = randomBytes(n / 8);
  const b = a.slice();
  let errors = 0;
  for (let i = 0; i < n; i++) if (rand() < q) (b[i >> 3] ^= 0x80 >> (i & 7)), errors++;
  return [a, b, errors / n];
};
for (const p of [1, 2, 5, 8]) {
  const [a, b, q] = noisy(p / 100);
  const [ms, r] = time(() => reconcile(a, b, n, q, "bench"));
  const f = r.disclosed / (n * h(q));
  rows.push([`Cascade ${p}% ms (f ${f.toFixed(3)}, ${r.roundTrips} rt)`, native[`cascade_ms_${p}`], ms]);
  figures[`cascade_ms_${p}`] = +ms.toFixed(3);
}
for (const p of [1, 2, 5, 8]) {
  const [a, b, q] = noisy(p / 100);
  const [ms, r] = time(() => reconcileLdpc(a, b, n, q, "bench"));
  const f = r.disclosed / (n * h(q));
  rows.push([`LDPC ${p}% ms (f ${f.toFixed(3)}, ${r.failedFrames.length} dropped)`, native[`ldpc_ms_${p}`], ms]);
  figures[`ldpc_ms_${p}`] = +ms.toFixed(3);
}
{
  const m = 500_000;
  const input = randomBytes(1_000_000 / 8);
  const seed = randomBytes(Math.ceil((1_000_000 + m - 1) / 8));
  seed[seed.length - 1] &= 0xfe; // 1499999 bits: the padding bit must be zero
  let best = Infinity;
  for (let i = 0; i < 3; i++) best = Math.min(best, time(() => toeplitzHash(seed, input, 1_000_000, m))[0]);
  rows.push(["Toeplitz 1e6 -> 5e5 ms", native.toeplitz_ms, best]);
  figures.toeplitz_ms = +best.toFixed(3);
}
{
  const r = simulate({ pulses: 2_000_000, seed: "bench", channel: { lengthKm: 10, errorRate: 0.02 }, auth: { mode: "psk", psk: new Uint8Array(32) } });
  rows.push(["Session quantum stage 2e6 pulses ms", native.session_quantum_ms, r.stages[0].ms]);
}
// LDPC in whole sessions: the plan sees the sample's QBER (raised by its margin), not the
// truth, so f counts against the sample's QBER and a round can end without a key.
const sessionRows = [];
for (const p of [1, 2, 5]) {
  let keys = 0;
  const fs = [];
  const rounds = 30;
  for (let i = 0; i < rounds; i++) {
    const r = simulate({ pulses: 1_000_000, seed: `ldpc session ${p} ${i}`, channel: { lengthKm: 5, errorRate: p / 100 },
                         reconciliation: "ldpc", auth: { mode: "psk", psk: new Uint8Array(32) } });
    const s = r.summary;
    if (r.ok && r.finalKeyBits > 0) keys++;
    const f = s.reconciliationDisclosed / (s.finiteKey.n * h(s.qber));
    if (Number.isFinite(f)) fs.push(f);
  }
  const mean = fs.reduce((a, b) => a + b, 0) / fs.length;
  sessionRows.push(`  ${p}%: ${keys} of ${rounds} rounds keep a key, f ${mean.toFixed(3)} (mean)`);
  figures[`ldpc_session_keys_${p}`] = keys;
  figures[`ldpc_session_f_${p}`] = +mean.toFixed(4);
}
// The classical key exchanges, both sides in one process (no native counterpart is timed).
for (const method of ["toy-dh", "x25519", "ml-kem-768", "hybrid"]) {
  const auth = { mode: "psk", psk: randomBytes(32) };
  const once = () => {
    const alice = new KeyExchange({ role: "alice", method, link: "bench", auth });
    const bob = new KeyExchange({ role: "bob", method, link: "bench", auth });
    alice.handle(bob.readyFrame);
    let toBob = alice.start().frames;
    while (toBob.length) toBob = toBob.flatMap((f) => bob.handle(f).frames).flatMap((f) => alice.handle(f).frames);
    return alice.outcome.bytesExchanged;
  };
  once();
  const runs = 50;
  const [ms, bytes] = time(() => Array.from({ length: runs }, once)[0]);
  rows.push([`key exchange ${method} ms (${bytes} B)`, undefined, ms / runs]);
  figures[`kex_ms_${method.replace(/-/g, "_")}`] = +(ms / runs).toFixed(3);
  figures[`kex_bytes_${method.replace(/-/g, "_")}`] = bytes;
}
console.log(`\n${"workload".padEnd(44)} ${"native".padStart(10)} ${"wasm".padStart(10)} ${"wasm/native".padStart(12)}`);
for (const [name, nat, wasm] of rows) {
  const ratio = nat ? (wasm / nat).toFixed(2) : "-";
  console.log(`${name.padEnd(44)} ${(nat ?? NaN).toFixed(1).padStart(10)} ${wasm.toFixed(1).padStart(10)} ${ratio.padStart(12)}`);
}
console.log("\nLDPC sessions of 10^6 pulses over 5 km (wasm):");
for (const row of sessionRows) console.log(row);
// The wasm figures, machine-readable.
console.log(JSON.stringify({ wasm: figures }));
