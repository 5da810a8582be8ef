// The classical key exchange's panel (method, fingerprint, sizes) and the comparison table.
const NAMES = {
  x25519: "X25519 (elliptic-curve Diffie-Hellman, RFC 7748)",
  "ml-kem-768": "ML-KEM-768 (module-lattice KEM, FIPS 203)",
  hybrid: "hybrid X25519 + ML-KEM-768 (both secrets into one KDF)",
  "toy-dh": "toy Diffie-Hellman in a 40-bit group (breakable on purpose)",
};

export function initKex(root, method) {
  root.hidden = false;
  const figures = root.querySelector("#kex-figures");
  const outcome = root.querySelector("#kex-outcome");
  const rows = new Map([["method", NAMES[method] ?? method], ["state", "waiting for the other side"]]);
  const draw = () => figures.replaceChildren(...[...rows].flatMap(([k, v]) => [
    Object.assign(document.createElement("dt"), { textContent: k }),
    Object.assign(document.createElement("dd"), { textContent: v }),
  ]));
  draw();
  return {
    state(text) {
      rows.set("state", text);
      draw();
    },
    done(o) {
      root.dataset.fingerprint = o.fingerprint;
      rows.set("state", "keys released (the peer's tag over the whole exchange verified)");
      rows.set("bytes exchanged", `${o.bytesExchanged.toLocaleString()} in ${o.messages} messages`);
      rows.set("keys in the stores", `${o.storedKeys[0]} + ${o.storedKeys[1]} of 256 bits (HKDF-SHA256 from one shared secret)`);
      draw();
      outcome.className = "outcome ok";
      outcome.textContent = `Key fingerprint ${o.fingerprint.match(/.{4}/g).join(" ")}: compare it with the other tab.`;
    },
    failed(code, message) {
      rows.set("state", `stopped (${code})`);
      draw();
      outcome.className = "outcome bad";
      outcome.textContent = message;
    },
  };
}

/** The comparison table: `rows` are [label, qkd, x25519, ml-kem, hybrid] (strings). */
export function showComparison(root, rows) {
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const h of ["", "BB84 QKD", "X25519", "ML-KEM-768", "hybrid"]) head.append(Object.assign(document.createElement("th"), { textContent: h, scope: "col" }));
  const body = table.createTBody();
  for (const [label, ...cells] of rows) {
    const tr = body.insertRow();
    tr.append(Object.assign(document.createElement("th"), { textContent: label, scope: "row" }));
    for (const c of cells) tr.insertCell().textContent = c;
  }
  root.replaceChildren(table);
}
