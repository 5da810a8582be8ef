// The live view of a session: stage chips, a progress bar, the figures, the outcome.
// The stages and the stage of each party state come from the core (qkd.protocolStages()).
let STAGES = [];
let STAGE_OF_STATE = {};
export function setStages({ stages, stateStage }) {
  STAGES = stages;
  STAGE_OF_STATE = stateStage;
}

/** The stage whose check raises each protocol abort. */
const CODE_STAGE = {
  detector_alarm: "quantum",
  qber_too_high: "estimation",
  verification_failed: "verification",
  no_secret_key: "amplification",
};

const pct = (x) => `${(x * 100).toFixed(2)} %`;
const AUTH = {
  psk: "HMAC-SHA256 keyed by the 256-bit pre-shared key (bootstrap)",
  pki: "Ed25519 signatures, public keys pinned by the safety number (bootstrap)",
  "pool-hmac": "HMAC-SHA256 keyed by 2 × 256 bits taken from the key pool",
  "pool-wegman-carter": "Wegman-Carter tags: a hash point and 64 pad bits per tag from the key pool",
};
const TAGS = {
  transcript: "four tags a round (Hello, Reconciled, Done, Commit), each over the whole transcript so far",
  "per-frame": "a tag on every classical frame",
};

/** One sentence per stage, with this round's numbers. */
function explain(s) {
  const out = [];
  if (s.clicks) out.push(`Photons: ${s.pulses.toLocaleString()} pulses sent, ${s.clicks.toLocaleString()} detected (${pct(s.clicks / s.pulses)}): the fiber and the detectors lose the rest, and a lost photon carries no information to anyone.`);
  if (s.siftedBits) out.push(`Sifting: Bob announced his bases at his clicks, Alice said where hers matched; ${s.siftedBits.toLocaleString()} of ${s.clicks.toLocaleString()} clicks kept (about half: the bases agree half of the time). No bit value was said aloud.`);
  if (s.sampleBits) out.push(`Estimation: ${s.sampleBits.toLocaleString()} sifted bits were compared in public and discarded; ${pct(s.qber)} of them differed. An eavesdropper measuring photons causes errors (25 % on what she touched), so the error rate bounds what she can know.`);
  const f = s.finiteKey;
  if (f) {
    out.push(`QBER bound Q_tol + μ = ${pct(f.qTol + f.mu)}: the sample only estimates the key's error rate; μ = ${pct(f.mu)} is how far the unsampled bits may exceed it except with probability ε (Serfling's bound), and Q is first rounded up to a public grid (${pct(f.qTol)}).`);
    out.push(`Privacy amplification: of n = ${f.n.toLocaleString()} key bits, Eve may know n·h(Q_tol+μ) = ${f.phaseErrorBits.toFixed(0)} from the photons and ${f.leakBound.toLocaleString()} from reconciliation's public parities; ε costs ${f.epsilonBits.toFixed(1)} bits (log2 2/(ε_sec² ε_cor)). Hashing down to ${f.length.toLocaleString()} bits leaves her nothing (Tomamichel et al. 2012).`);
  }
  if (s.reconciliationDisclosed && s.sampleBits) out.push(`Reconciliation disclosed ${s.reconciliationDisclosed.toLocaleString()} bits (${s.reconciliation === "ldpc" ? `LDPC syndromes, ${s.ldpcMessages} message(s)` : `Cascade parities, ${s.cascadeRoundTrips} round trips`}); each counts as known to Eve.`);
  if (s.verificationBits) out.push(`Verification: a ${s.verificationBits}-bit hash of both keys must match; different keys pass with probability at most ${s.verificationCollision.toExponential(1)}.`);
  return out;
}

/** Gains and error rates per intensity class, announced after detection. */
function intensityTable(c) {
  const table = Object.assign(document.createElement("table"), { id: "intensities", className: "intensities" });
  const row = (tag, cells) => {
    const tr = document.createElement("tr");
    tr.append(...cells.map((t) => Object.assign(document.createElement(tag), { textContent: t })));
    return tr;
  };
  table.append(Object.assign(document.createElement("caption"), { textContent: "Per intensity (announced after detection)" }));
  table.append(row("th", ["", "pulses", "clicks", "gain", "key-basis bits", "test-basis bits", "test errors", "error rate"]));
  ["signal", "decoy", "vacuum"].forEach((name, k) => {
    const gain = c.pulses[k] ? c.clicks[k] / c.pulses[k] : 0;
    const e = c.testSifted[k] ? c.testErrors[k] / c.testSifted[k] : 0;
    table.append(row("td", [name, c.pulses[k].toLocaleString(), c.clicks[k].toLocaleString(), gain.toExponential(3),
      c.keySifted[k].toLocaleString(), c.testSifted[k].toLocaleString(), c.testErrors[k].toLocaleString(), c.testSifted[k] ? pct(e) : "–"]));
  });
  return table;
}

export function initStatus(root, { qberThreshold = 0.11 } = {}) {
  root.hidden = false;
  const stages = root.querySelector("#stages");
  // One chip per stage, each with its own progress bar (indeterminate while the stage runs).
  stages.replaceChildren(
    ...STAGES.map((name) => {
      const li = Object.assign(document.createElement("li"), { textContent: name });
      const bar = Object.assign(document.createElement("progress"), { max: 1, value: 0 });
      bar.setAttribute("aria-label", `${name} progress`);
      li.append(bar);
      return li;
    }),
  );
  const bar = root.querySelector("#progress");
  const figures = root.querySelector("#figures");
  const outcome = root.querySelector("#outcome");
  let authText = AUTH.psk;
  let corrected = null;

  const showFigures = (s) => {
    const rows = [
      ["photons sent", s.pulses.toLocaleString()],
      ["detected (clicks)", s.clicks.toLocaleString()],
      ["sifted bits", s.siftedBits.toLocaleString()],
      ["QBER (sample of " + s.sampleBits + ")", s.sampleBits ? `${pct(s.qber)} (abort above ${pct(qberThreshold)})` : "–"],
    ];
    if (s.reconciliation === "cascade" && s.cascadePasses) {
      const rt = s.cascadeRoundTrips ? `, ${s.cascadeRoundTrips} round trips` : "";
      rows.push(["Cascade", `k1 = ${s.cascadeFirstBlock}, k2 = ${s.cascadeSecondBlock}, ${s.cascadePasses} passes, ${s.reconciliationDisclosed} parity bits disclosed${rt}`]);
    }
    if (corrected !== null && s.reconciliation === "cascade" && s.cascadePasses) {
      rows.push(["errors Bob corrected", `${corrected.toLocaleString()} so far (found by binary searches on blocks of odd parity)`]);
    }
    if (s.reconciliation === "ldpc" && s.ldpcFrames) {
      const dropped = s.ldpcDroppedFrames ? `, ${s.ldpcDroppedFrames} frame(s) Bob could not decode dropped from both keys` : "";
      rows.push(["LDPC", `${s.ldpcFrames} frame(s), ${s.ldpcMessages} message(s), ${s.reconciliationDisclosed} bits disclosed (syndromes less punctured bits, plus revealed bits)${dropped}`]);
    }
    if (s.verificationBits) rows.push(["verification", `${s.verificationBits}-bit tag, collision ≤ ${s.verificationCollision.toExponential(1)}`]);
    const d = s.decoyKey;
    if (d) {
      rows.push(["weak-pulse bound", d.method === "decoy"
        ? "decoy states (Lim, Curty, Walenta, Xu, Zbinden 2014): single-photon detections bounded from the gains of three intensities"
        : "no decoys (GLLP): every multi-photon pulse counted as Eve's"]);
      rows.push(["single-photon key bits s₁ ≥", `${Math.max(0, d.s1).toFixed(0)} of ${d.counts.keySifted.reduce((a, b) => a + b, 0)} key-basis bits (vacuum s₀ ≥ ${d.s0.toFixed(0)})`]);
      rows.push(["phase error φ ≤", `${pct(d.phaseError)} (statistical term γ ${pct(d.gamma)})`]);
      rows.push(["final key", `${d.length} bits = s₀ + s₁(1 − h(φ)) − leak ${d.leakBound} − ε ${d.epsilonBits.toFixed(1)} (ε_sec ${d.epsSec}, ε_cor ${d.epsCor})`]);
      rows.push(["the single-photon bound would say", `${d.naiveLength} bits: not secure with laser pulses, never used`]);
      if (d.verdict) rows.push(["why no key", d.verdict]);
    }
    const f = s.finiteKey;
    if (f) {
      rows.push(["QBER bound Q_tol + μ", `${pct(f.qTol + f.mu)} (Q rounded up to the public grid: ${pct(f.qTol)})`]);
      rows.push(["finite-key terms", `n ${f.n} − n·h(Q_tol+μ) ${f.phaseErrorBits.toFixed(0)} − leak ${f.leakBound} (${f.leakEc} disclosed, rounded up) − ε ${f.epsilonBits.toFixed(1)}`]);
      rows.push(["final key", `${f.length} bits (ε_sec ${f.epsSec}, ε_cor ${f.epsCor})`]);
    }
    rows.push(["authentication", authText]);
    figures.replaceChildren(...rows.flatMap(([k, v]) => [
      Object.assign(document.createElement("dt"), { textContent: k }),
      Object.assign(document.createElement("dd"), { textContent: v, className: k === "why no key" ? "verdict" : "" }),
    ]));
    root.querySelector("#intensities")?.remove();
    if (s.classCounts) figures.after(intensityTable(s.classCounts));
    root.querySelector("#explain-round")?.remove();
    const notes = explain(s);
    if (notes.length) {
      const d = Object.assign(document.createElement("details"), { id: "explain-round", className: "explain" });
      d.append(Object.assign(document.createElement("summary"), { textContent: "What these numbers mean, for this round" }));
      const ul = document.createElement("ul");
      ul.append(...notes.map((t) => Object.assign(document.createElement("li"), { textContent: t })));
      d.append(ul);
      (root.querySelector("#intensities") ?? figures).after(d);
    }
  };

  const h = (q) => (q <= 0 || q >= 1 ? 0 : -q * Math.log2(q) - (1 - q) * Math.log2(1 - q));
  return {
    /** Cascade and LDPC on the same photons, side by side (local mode). */
    compare(reports) {
      const table = document.createElement("table");
      table.id = "compare";
      const cell = (tag, text) => Object.assign(document.createElement(tag), { textContent: text });
      const row = (tag, cells) => {
        const tr = document.createElement("tr");
        tr.append(...cells.map((c) => cell(tag, c)));
        return tr;
      };
      table.append(cell("caption", "The same photons, reconciled both ways"));
      table.append(row("th", ["", ...reports.map((r) => r.summary.reconciliation === "ldpc" ? "LDPC" : "Cascade")]));
      const n = (r) => r.summary.siftedBits - r.summary.sampleBits;
      const f = (r) => r.summary.reconciliationDisclosed / (n(r) * h(r.summary.qber));
      const messages = (r) => (r.summary.reconciliation === "ldpc" ? r.summary.ldpcMessages : 1 + 2 * r.summary.cascadeRoundTrips);
      const ms = (r) => r.stages.find((s) => s.name === "reconciliation")?.ms ?? 0;
      const rows = [
        ["bits disclosed", (r) => r.summary.reconciliationDisclosed.toLocaleString()],
        ["efficiency f = disclosed / n·h(Q)", (r) => (Number.isFinite(f(r)) ? f(r).toFixed(3) : "–")],
        ["reconciliation messages", (r) => String(messages(r))],
        ["frames dropped", (r) => (r.summary.reconciliation === "ldpc" ? `${r.summary.ldpcDroppedFrames} of ${r.summary.ldpcFrames}` : "–")],
        ["time in this tab", (r) => `${ms(r).toFixed(0)} ms`],
        ["final key", (r) => (r.ok ? `${r.finalKeyBits.toLocaleString()} bits` : r.error.code)],
      ];
      for (const [name, value] of rows) table.append(row("td", [name, ...reports.map(value)]));
      root.querySelector("#compare")?.remove();
      figures.after(table);
    },
    /** Bits Bob has corrected so far (his tab only). */
    corrections(n) {
      corrected = n;
      root.dataset.corrections = String(n);
    },
    /** The running stage's name, if any. */
    stage() {
      return stages.querySelector("li.active")?.firstChild.textContent ?? null;
    },
    /** The round's final record (after an abort too: every term computed so far). */
    summary(s) {
      if (s) showFigures(s);
    },
    auth(mode, tags = "transcript") {
      authText = `${AUTH[mode] ?? mode}; ${TAGS[tags] ?? tags}`;
    },
    round(n) {
      corrected = null;
      root.dataset.round = String(n);
      root.querySelector("#status-h").textContent = `Session, round ${n}`;
      delete root.dataset.outcome;
      outcome.textContent = "";
      outcome.className = "outcome";
    },
    progress(state, summary) {
      const at = STAGE_OF_STATE[state] ?? 0;
      [...stages.children].forEach((li, i) => {
        li.className = i < at ? "done" : i === at ? "active" : "";
        const bar = li.querySelector("progress");
        if (i === at) bar.removeAttribute("value");
        else bar.value = i < at ? 1 : 0;
      });
      bar.value = at;
      root.dataset.state = state;
      if (summary) showFigures(summary);
    },
    done(fp, bits, { replay = false } = {}) {
      outcome.className = "outcome ok";
      outcome.innerHTML = "";
      outcome.append(
        replay ? `Shared key (a replay from the seed, not secret): ${bits} bits. Fingerprint ` : `Shared secret key: ${bits} bits. Fingerprint `,
        Object.assign(document.createElement("span"), { className: "fingerprint", id: "fingerprint", textContent: fp }),
        replay
          ? " (its first 32 bits: a local run is a replay, anyone with the link recomputes it)."
          : " (32 more bits of the key, shown here and then discarded: the fingerprint costs the key nothing).",
      );
      root.dataset.outcome = "ok";
    },
    refused(code, message) {
      // A frame the link refused without ending a round (forged, replayed, from another session).
      let list = root.querySelector("#refusals");
      if (!list) {
        list = Object.assign(document.createElement("ul"), { id: "refusals", className: "refusals" });
        root.append(list);
      }
      list.append(Object.assign(document.createElement("li"), { textContent: `Refused a frame (${code}): ${message}` }));
      while (list.children.length > 20) list.firstElementChild.remove(); // the latest 20
      list.dataset.count = String(Number(list.dataset.count ?? 0) + 1);
    },
    /** What Eve ended up knowing (local mode: the simulation knows). */
    eve(e) {
      let p = root.querySelector("#eve-knows");
      if (!p) {
        p = Object.assign(document.createElement("p"), { id: "eve-knows", className: "explain" });
        outcome.after(p);
      }
      if (!e) return p.remove();
      const final = e.finalKeyKnown === undefined ? "" : e.finalKeyKnown ? " She computes the final key exactly." : " Her guess of the final key is wrong.";
      p.textContent = `Eve (${e.attack}) touched ${e.touchedPulses.toLocaleString()} pulses and knows ${e.knownKeyBits.toLocaleString()} of the ${e.keyBits.toLocaleString()} key bits for certain.${final}`;
      root.dataset.eveKnows = String(e.knownKeyBits);
    },
    failed(code, plain, detail) {
      // The chips stop where the round stopped: the stage whose check ended it (the QBER check is
      // estimation even while a party waits for a sifting frame), else the running one.
      const chips = [...stages.children];
      const named = chips.findIndex((li) => li.firstChild.textContent === CODE_STAGE[code]);
      const at = named >= 0 ? named : chips.findIndex((li) => li.classList.contains("active"));
      if (at >= 0) {
        chips.forEach((li, i) => {
          li.className = i < at ? "done" : i === at ? "stopped" : "";
          li.querySelector("progress").value = i < at ? 1 : 0;
        });
        root.dataset.stoppedAt = chips[at].firstChild.textContent;
      }
      outcome.className = "outcome fail";
      outcome.replaceChildren(
        plain,
        ...(detail && detail !== plain ? [Object.assign(document.createElement("span"), { className: "detail", textContent: ` (${detail})` })] : []),
        ...(root.dataset.stoppedAt ? [Object.assign(document.createElement("span"), { className: "detail", textContent: ` The round stopped in ${root.dataset.stoppedAt}.` })] : []),
      );
      root.dataset.outcome = code;
    },
  };
}
