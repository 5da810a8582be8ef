// QBER and final key length per round, as an SVG chart: rounds on the x axis, the QBER (%) on
// the left axis, key bits on the right one, each with its numbers.
import { el } from "./svg.js";

const W = 560, H = 220, L = 48, R = 60, T = 24, B = 36;

/** A round number for an axis maximum: 1, 2 or 5 times a power of ten, at least `x`. */
const nice = (x) => {
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= x);
};

export function initPlot(root) {
  const points = [];
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "QBER and key length per round" });
  root.replaceChildren(svg);
  root.hidden = false;

  const draw = () => {
    const n = points.length;
    const x = (i) => (n <= 1 ? (L + W - R) / 2 : L + (i * (W - L - R)) / (n - 1));
    const qMax = nice(Math.max(0.15, ...points.map((p) => p.qber)));
    const kMax = nice(Math.max(10, ...points.map((p) => p.keyBits)));
    const yq = (q) => H - B - (q / qMax) * (H - T - B);
    const yk = (k) => H - B - (k / kMax) * (H - T - B);
    const ticks = [0, 0.25, 0.5, 0.75, 1];
    svg.replaceChildren(
      el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }),
      el("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }),
      el("line", { x1: W - R, y1: T, x2: W - R, y2: H - B, class: "axis" }),
      ...ticks.flatMap((t) => [
        el("text", { x: L - 4, y: yq(t * qMax) + 3, class: "tick qber", "text-anchor": "end" }, `${(t * qMax * 100).toFixed(qMax < 0.1 ? 1 : 0)} %`),
        el("text", { x: W - R + 4, y: yk(t * kMax) + 3, class: "tick key" }, (t * kMax).toLocaleString()),
      ]),
      ...points.map((_, i) => el("text", { x: x(i), y: H - B + 14, class: "tick", "text-anchor": "middle" }, String(i + 1))),
      el("line", { x1: L, y1: yq(0.11), x2: W - R, y2: yq(0.11), class: "threshold" }),
      el("text", { x: L + 4, y: yq(0.11) - 4, class: "label" }, "abort at 11 %"),
      el("text", { x: L, y: T - 8, class: "label qber" }, "QBER (%)"),
      el("text", { x: W - R, y: T - 8, class: "label key", "text-anchor": "end" }, "final key (bits)"),
      el("text", { x: (L + W - R) / 2, y: H - 4, class: "label", "text-anchor": "middle" }, "round"),
      el("polyline", { class: "qber", points: points.map((p, i) => `${x(i)},${yq(p.qber)}`).join(" ") }),
      el("polyline", { class: "key", points: points.map((p, i) => `${x(i)},${yk(p.keyBits)}`).join(" ") }),
      ...points.flatMap((p, i) => {
        const title = `round ${i + 1}: QBER ${(p.qber * 100).toFixed(2)} %, final key ${p.keyBits} bits`;
        return [
          el("circle", { class: "qber", cx: x(i), cy: yq(p.qber), r: 4 }),
          el("circle", { class: "key", cx: x(i), cy: yk(p.keyBits), r: 4 }),
        ].map((c) => (c.append(el("title", {}, title)), c));
      }),
    );
  };
  draw();
  return {
    add(qber, keyBits) {
      points.push({ qber, keyBits });
      root.dataset.rounds = String(points.length);
      draw();
    },
  };
}
