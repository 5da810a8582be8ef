import { initPulses } from "./pulses.js";

// Eve's panel: her attack on the fiber and on the classical channel.
export function initEve(root, { onJoin }) {
  root.hidden = false;
  const form = root.querySelector("#eve-form");
  const log = root.querySelector("#eve-log");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = Object.fromEntries(new FormData(form).entries());
    form.querySelectorAll("input, select, button").forEach((el) => (el.disabled = true));
    onJoin({ attack: v.attack, interceptFraction: Number(v.interceptFraction), basis: v.basis, mitm: v.mitm, psk: v.psk });
  });
  const figures = Object.assign(document.createElement("dl"), { id: "eve-figures", className: "figures" });
  root.querySelector("#eve-log").before(figures);
  const rows = new Map();
  const show = (key, text) => {
    rows.set(key, text);
    figures.replaceChildren(...[...rows].flatMap(([k, v]) => [
      Object.assign(document.createElement("dt"), { textContent: k }),
      Object.assign(document.createElement("dd"), { textContent: v }),
    ]));
  };
  const pct = (x) => `${(x * 100).toFixed(2)} %`;
  const WHAT = {
    "intercept-resend": "measured and re-sent",
    pns: "split (you kept one photon of each multi-photon pulse)",
    blinding: "measured behind blinded detectors",
  };
  return {
    /** The relay's counts of her fiber attack (no bit, no basis). */
    fiber(f) {
      if (Array.isArray(f.bases) && f.bases.length && !root.querySelector("section.pulses")) {
        initPulses(root, "The first pulses, as you (Eve) know them").show({ pulses: f.bases.length, eveBases: f.bases, eveBits: f.bits });
      }
      root.dataset.touched = String(f.touched);
      root.dataset.known = String(f.known);
      show("pulses on the fiber", f.pulses.toLocaleString());
      show(`pulses ${WHAT[f.attack] ?? f.attack}`, f.touched.toLocaleString());
      if (f.attack === "pns") {
        show("photons you stored (each readable once its basis is public, i.e. where Bob clicked)", f.known.toLocaleString());
      } else {
        const share = f.touched ? ` (${pct(f.known / f.touched)} of those: your basis matched Alice's)` : "";
        show("bits you hold for certain once the bases are public", `${f.known.toLocaleString()}${share}`);
      }
    },
    /** Counts of what she did on the classical channel. */
    frames(e) {
      const c = (root.frameCounts ??= { seen: 0, edited: 0, dropped: 0, injected: 0 });
      if (e.kind === "passed") c.seen = Math.max(c.seen, e.count);
      else if (e.kind in c) {
        c[e.kind]++;
        c.seen = Math.max(c.seen, e.index);
      } else return;
      show("classical frames", `${c.seen} seen, ${c.edited} edited, ${c.dropped} dropped, ${c.injected} injected`);
    },
    /** What she holds of the sifted key and of the key (the relay joins her records with the
     * public sifting she overheard). */
    knows(r) {
      root.dataset.knownSifted = String(r.knownSiftedBits);
      const frac = (a, b) => (b ? ` (${pct(a / b)})` : "");
      show("sifted bits you know", `${r.knownSiftedBits.toLocaleString()} of ${r.siftedBits.toLocaleString()}${frac(r.knownSiftedBits, r.siftedBits)}`);
      show("key bits you know (before privacy amplification)", `${r.knownKeyBits.toLocaleString()} of ${r.keyBits.toLocaleString()}${frac(r.knownKeyBits, r.keyBits)}`);
    },
    /** A round's public outcome as Alice or Bob announced it. */
    outcome(from, o) {
      const who = from === "alice" ? "Alice" : "Bob";
      const q = o.sampleBits ? `QBER ${pct(o.qber)} on ${o.sampleBits.toLocaleString()} sample bits` : "no QBER measured";
      show(`${who}, round ${o.round ?? "?"}`, `${o.ok ? "got a verified key" : `no key (${o.code})`}; ${q}; ${Number(o.siftedBits ?? 0).toLocaleString()} sifted bits`);
      if (from === "bob" || !root.dataset.qber) root.dataset.qber = String(o.qber);
      root.dataset.outcome = o.ok ? "ok" : String(o.code);
    },
    log(text) {
      log.textContent = text;
    },
    guess(text) {
      const el = root.querySelector("#eve-guess");
      el.hidden = false;
      el.textContent = text;
    },
  };
}
