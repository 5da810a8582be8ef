import { simulate } from "qkdlab";
const h = (p) => (p <= 0 ? 0 : -p * Math.log2(p) - (1 - p) * Math.log2(1 - p));
const rounds = +(process.argv[2] ?? 30);
for (const p of [1, 2, 5]) {
  let keys = 0, reveals = 0, n = 0;
  const fs = [];
  for (let i = 0; i < rounds; i++) {
    const r = simulate({ pulses: 1_000_000, seed: `ldpc session ${p} ${i}`, channel: { lengthKm: 5, errorRate: p / 100 },
                         reconciliation: "ldpc", auth: { mode: "psk", psk: new Uint8Array(32) } });
    const s = r.summary;
    if (r.ok && r.finalKeyBits > 0) keys++;
    if (s.ldpcMessages > 1) reveals++;
    n = s.finiteKey?.n;
    const f = s.reconciliationDisclosed / (s.finiteKey.n * h(s.qber));
    if (Number.isFinite(f)) fs.push(f);
  }
  const mean = fs.reduce((a, b) => a + b, 0) / fs.length;
  console.log(`${p}%: ${keys}/${rounds} keys, f ${mean.toFixed(3)}, ${reveals} revealed, n ${n}`);
}
