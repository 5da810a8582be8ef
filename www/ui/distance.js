// Key bits per pulse against fiber length (log scale): the analytic curves for the current
// channel and the user's own runs on top, as an SVG chart.
import { el } from "./svg.js";

const W = 600, H = 300, L = 56, R = 16, T = 16, B = 40;

export const MODELS = [
  ["single-photon", "ideal single photons"],
  ["decoy-infinite", "weak pulses, infinitely many decoys"],
  ["decoy-vacuum-weak", "weak pulses, vacuum + one weak decoy"],
  ["gllp", "weak pulses, no decoys (GLLP)"],
];

/** `rate(model, km)` gives bits per pulse; `maxKm(model)` the last length with a key. */
export function initDistance(root, figure) {
  root.hidden = false;
  const runs = [];
  let curves = [];
  let kmMax = 100;
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "key bits per pulse against fiber length" });
  figure.replaceChildren(svg);
  const legend = Object.assign(document.createElement("ul"), { className: "legend" });
  figure.append(legend);

  const draw = () => {
    const all = [...curves.flatMap((c) => c.points.map((p) => p[1])), ...runs.map((r) => r.rate)].filter((y) => y > 0);
    const yTop = Math.ceil(Math.log10(Math.max(1e-3, ...all)));
    const yBottom = Math.max(yTop - 8, Math.floor(Math.log10(Math.min(1e-3, ...all))));
    const x = (km) => L + (km / kmMax) * (W - L - R);
    const y = (r) => T + ((yTop - Math.log10(r)) / (yTop - yBottom)) * (H - T - B);
    const kids = [
      el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }),
      el("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }),
      el("text", { x: (L + W - R) / 2, y: H - 6, class: "label", "text-anchor": "middle" }, "fiber length (km)"),
      el("text", { x: 12, y: (T + H - B) / 2, class: "label", transform: `rotate(-90 12 ${(T + H - B) / 2})`, "text-anchor": "middle" }, "key bits per pulse"),
    ];
    for (let e = yBottom; e <= yTop; e++) {
      kids.push(el("line", { x1: L - 4, y1: y(10 ** e), x2: W - R, y2: y(10 ** e), class: "grid" }));
      kids.push(el("text", { x: L - 6, y: y(10 ** e) + 4, class: "label", "text-anchor": "end" }, `1e${e}`));
    }
    const step = kmMax > 150 ? 50 : kmMax > 60 ? 25 : 10;
    for (let km = 0; km <= kmMax + 1e-9; km += step) {
      kids.push(el("text", { x: x(km), y: H - B + 16, class: "label", "text-anchor": "middle" }, String(km)));
    }
    for (const c of curves) {
      const pts = c.points.filter(([, r]) => r > 0 && Math.log10(r) >= yBottom);
      kids.push(el("polyline", { class: `curve ${c.model}`, "data-model": c.model, points: pts.map(([km, r]) => `${x(km)},${y(r)}`).join(" ") }));
    }
    for (const r of runs) {
      const dot = el("circle", { class: `run${r.rate > 0 ? "" : " zero"}`, cx: x(Math.min(r.km, kmMax)), cy: r.rate > 0 ? y(r.rate) : H - B, r: 4 });
      dot.append(el("title", {}, `${r.label}: ${r.km} km, ${r.rate > 0 ? r.rate.toExponential(2) : "no key"} bits per pulse`));
      kids.push(dot);
    }
    svg.replaceChildren(...kids);
    figure.dataset.runs = String(runs.length);
  };

  return {
    /** New curves: `[{ model, label, points: [[km, rate]], maxKm }]`, and the x range. */
    curves(list, range) {
      curves = list;
      kmMax = range;
      legend.replaceChildren(...list.map((c) => {
        const li = Object.assign(document.createElement("li"), { className: c.model });
        li.textContent = `${c.label}: up to ${c.maxKm.toFixed(0)} km`;
        return li;
      }));
      draw();
    },
    /** One of the user's runs: its length and key bits per pulse sent. */
    run(km, rate, label) {
      runs.push({ km, rate, label });
      draw();
    },
  };
}
