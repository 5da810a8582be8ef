// The live view of a session: stage chips, a progress bar, the figures, the outcome.
// The stages and the stage of each party state come from the core (qkd.protocolStages()).
let STAGES = [];
let STAGE_OF_STATE = {};
export function setStages({ stages, stateStage }) {
  STAGES = stages;
  STAGE_OF_STATE = stateStage;
}

const pct = (x) => `${(x * 100).toFixed(2)} %`;
const AUTH = {
  psk: "HMAC-SHA256 keyed by the 256-bit pre-shared key (bootstrap)",
  pki: "Ed25519 signatures, public keys pinned by the safety number (bootstrap)",
  "pool-hmac": "HMAC-SHA256 keyed by 2 × 256 bits taken from the key pool",
  "pool-wegman-carter": "Wegman-Carter tags: a hash point and 64 pad bits per frame from the key pool",
};

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

  const showFigures = (s) => {
    const rows = [
      ["photons sent", s.pulses.toLocaleString()],
      ["detected (clicks)", s.clicks.toLocaleString()],
      ["sifted bits", s.siftedBits.toLocaleString()],
      ["QBER (sample of " + s.sampleBits + ")", s.sampleBits ? `${pct(s.qber)} (abort above ${pct(qberThreshold)})` : "–"],
    ];
    if (s.cascadePasses) {
      const rt = s.cascadeRoundTrips ? `, ${s.cascadeRoundTrips} round trips` : "";
      rows.push(["Cascade", `k1 = ${s.cascadeFirstBlock}, k2 = ${s.cascadeSecondBlock}, ${s.cascadePasses} passes, ${s.cascadeDisclosed} parity bits disclosed${rt}`]);
    }
    if (s.verificationBits) rows.push(["verification", `${s.verificationBits}-bit tag, collision ≤ ${s.verificationCollision.toExponential(1)}`]);
    const f = s.finiteKey;
    if (f) {
      rows.push(["QBER bound Q_tol + μ", `${pct(f.qTol + f.mu)} (Q rounded up to the public grid: ${pct(f.qTol)})`]);
      rows.push(["finite-key terms", `n ${f.n} − n·h(Q_tol+μ) ${f.phaseErrorBits.toFixed(0)} − leak ${f.leakBound} (${f.leakEc} disclosed, rounded up) − ε ${f.epsilonBits.toFixed(1)}`]);
      rows.push(["final key", `${f.length} bits (ε_sec ${f.epsSec}, ε_cor ${f.epsCor})`]);
    }
    rows.push(["authentication", authText]);
    figures.replaceChildren(...rows.flatMap(([k, v]) => [
      Object.assign(document.createElement("dt"), { textContent: k }),
      Object.assign(document.createElement("dd"), { textContent: v }),
    ]));
  };

  return {
    auth(mode) {
      authText = AUTH[mode] ?? mode;
    },
    round(n) {
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
    failed(code, plain, detail) {
      outcome.className = "outcome fail";
      outcome.textContent = plain;
      outcome.title = detail ?? "";
      root.dataset.outcome = code;
    },
  };
}
