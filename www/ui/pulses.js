// BB84 made visible: the first pulses of a round as this tab's party knows them (the core
// decides what each side knows; this only draws it).
const BASIS = ["+", "×"];
const CLASS = ["μ", "ν", "0"];
const ROWS = [
  ["aliceBits", "Alice's bit", (v) => String(v), "The bit Alice encoded: hers alone."],
  ["aliceBases", "Alice's basis", (v) => BASIS[v], "+ rectilinear (0°/90°), × diagonal (45°/135°), chosen at random."],
  ["classes", "intensity", (v) => CLASS[v], "Laser pulses: signal μ, weak decoy ν or vacuum; Alice says which only after detection."],
  ["bobBases", "Bob's basis", (v) => (v === 2 ? "·" : BASIS[v]), "Bob's random measurement basis (Alice learns it only where he clicked)."],
  ["clicks", "click", (v) => (v ? "✓" : ""), "A detector fired: most photons are lost in the fiber."],
  ["bobBits", "Bob's bit", (v) => (v === 2 ? "" : String(v)), "What Bob measured: random when his basis differs from Alice's."],
  ["sifted", "kept (same basis)", (v) => (v ? "✓" : ""), "Sifting: both announce bases (never bits) and keep the clicks where they agree."],
  ["sampled", "disclosed (sample)", (v) => (v ? "✓" : ""), "Estimation: these bits are compared in public to measure the error rate, then discarded."],
  ["corrected", "corrected", (v) => (v ? "↺" : ""), "Reconciliation: bits Bob flipped to match Alice, found by parity checks."],
  ["eveBases", "your basis", (v) => (v === 3 ? "▫" : v === 2 ? "" : BASIS[v]), "Eve: the basis you measured in (empty: untouched; ▫ a photon you stored, to measure once the bases are public)."],
  ["eveBits", "your result", (v) => (v === 2 ? "" : String(v)), "Eve: what you measured (nothing yet for a stored photon)."],
];

export function initPulses(root, title) {
  const box = document.createElement("section");
  box.className = "pulses";
  box.setAttribute("aria-label", title);
  const heading = Object.assign(document.createElement("h3"), { textContent: title });
  const scroller = Object.assign(document.createElement("div"), { className: "pulse-scroll", tabIndex: 0 });
  scroller.setAttribute("role", "region");
  scroller.setAttribute("aria-label", `${title} (scrolls sideways)`);
  const table = document.createElement("table");
  scroller.append(table);
  const legend = Object.assign(document.createElement("ul"), { className: "explain pulse-legend" });
  const more = Object.assign(document.createElement("button"), { type: "button", className: "more", textContent: "Show me more pulses", hidden: true });
  box.append(heading, scroller, more, legend);
  root.append(box);
  let shown = 0;
  let limit = 64;
  let last = null;
  more.addEventListener("click", () => {
    limit += 64;
    draw(last);
  });

  const draw = (view) => {
    const n = Math.min(view.pulses, limit);
    more.hidden = view.pulses <= limit;
    const rows = ROWS.filter(([key]) => Array.isArray(view[key]));
    const head = document.createElement("tr");
    head.append(Object.assign(document.createElement("th"), { textContent: "pulse", scope: "row" }));
    for (let i = 0; i < n; i++) head.append(Object.assign(document.createElement("th"), { textContent: String(i + 1), scope: "col" }));
    const body = rows.map(([key, label, fmt]) => {
      const tr = document.createElement("tr");
      tr.dataset.row = key;
      tr.append(Object.assign(document.createElement("th"), { textContent: label, scope: "row" }));
      view[key].slice(0, n).forEach((v, i) => {
        const td = Object.assign(document.createElement("td"), { textContent: fmt(v) });
        if (view.sifted?.[i]) td.classList.add("kept");
        if (view.sampled?.[i]) td.classList.add("sample");
        if (view.corrected?.[i]) td.classList.add("fixed");
        // The first pulses fly in one after another the first time they are drawn.
        if (shown === 0 && i < 32) td.style.animationDelay = `${i * 25}ms`;
        tr.append(td);
      });
      return tr;
    });
    table.replaceChildren(head, ...body);
    table.classList.toggle("fly", shown === 0);
    shown++;
    legend.replaceChildren(...rows.map(([, label, , help]) => Object.assign(document.createElement("li"), { textContent: `${label}: ${help}` })));
    box.dataset.rows = rows.map(([key]) => key).join(" ");
    box.dataset.shown = String(n);
  };

  return {
    element: box,
    show(view) {
      if (!view || !view.pulses) return;
      last = view;
      draw(view);
    },
  };
}
