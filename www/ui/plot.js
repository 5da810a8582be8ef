// QBER and final key length per round, as an SVG chart (two scales, one per series).
const NS = "http://www.w3.org/2000/svg";
const W = 560, H = 200, PAD = 36;

const el = (name, attrs, text) => {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

export function initPlot(root) {
  const points = [];
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "QBER and key length per round" });
  root.replaceChildren(svg);
  root.hidden = false;

  const draw = () => {
    const n = Math.max(points.length, 2);
    const x = (i) => PAD + (i * (W - 2 * PAD)) / (n - 1);
    const qMax = Math.max(0.15, ...points.map((p) => p.qber));
    const kMax = Math.max(1, ...points.map((p) => p.keyBits));
    const yq = (q) => H - PAD - (q / qMax) * (H - 2 * PAD);
    const yk = (k) => H - PAD - (k / kMax) * (H - 2 * PAD);
    svg.replaceChildren(
      el("line", { x1: PAD, y1: H - PAD, x2: W - PAD, y2: H - PAD, class: "axis" }),
      el("line", { x1: PAD, y1: PAD, x2: PAD, y2: H - PAD, class: "axis" }),
      el("line", { x1: W - PAD, y1: PAD, x2: W - PAD, y2: H - PAD, class: "axis" }),
      el("line", { x1: PAD, y1: yq(0.11), x2: W - PAD, y2: yq(0.11), class: "threshold" }),
      el("text", { x: PAD + 4, y: yq(0.11) - 4, class: "label" }, "abort at 11 %"),
      el("text", { x: 4, y: PAD - 10, class: "label qber" }, `QBER (max ${(qMax * 100).toFixed(0)} %)`),
      el("text", { x: W - 4, y: PAD - 10, class: "label key", "text-anchor": "end" }, `key bits (max ${kMax})`),
      el("text", { x: W / 2, y: H - 8, class: "label", "text-anchor": "middle" }, "round"),
      el("polyline", { class: "qber", points: points.map((p, i) => `${x(i)},${yq(p.qber)}`).join(" ") }),
      el("polyline", { class: "key", points: points.map((p, i) => `${x(i)},${yk(p.keyBits)}`).join(" ") }),
      ...points.flatMap((p, i) => [
        el("circle", { class: "qber", cx: x(i), cy: yq(p.qber), r: 4 }, undefined),
        el("circle", { class: "key", cx: x(i), cy: yk(p.keyBits), r: 4 }),
      ]),
    );
    for (const [i, c] of [...svg.querySelectorAll("circle.qber")].entries()) {
      c.append(el("title", {}, `round ${i + 1}: QBER ${(points[i].qber * 100).toFixed(2)} %, key ${points[i].keyBits} bits`));
    }
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
