// The page's parameters live in the URL hash, so every run is a shareable link.
export function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  return Object.fromEntries(params.entries());
}

export function writeHash(values) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== "") params.set(k, String(v));
  history.replaceState(null, "", `#${params}`);
}

export function linkFor(values) {
  const params = new URLSearchParams(values);
  return `${location.origin}${location.pathname}#${params}`;
}

/** What is wrong with a link's fragment, in words, or null. Alice's own page has no role. */
export function linkProblem(hash) {
  const { role, room } = hash;
  if (role !== undefined && !["bob", "eve", "carol"].includes(role)) return `This link's role "${role}" is not bob, eve or carol. Ask Alice for a new link.`;
  if (room !== undefined && role === undefined) return "This link names a room but no role (bob, eve or carol). Ask Alice for the full link.";
  if (role !== undefined && room === undefined) return `This ${role} link names no room. Ask Alice for the full link.`;
  if (room !== undefined && !/^[0-9a-f]{32}$/.test(room)) return `The room id in this link is malformed (${room.length} characters; a room id is 32 hex digits). Ask Alice for a new link.`;
  if (hash.kex !== undefined && !["qkd", "x25519", "ml-kem-768", "hybrid", "toy-dh"].includes(hash.kex)) return `This link names an unknown key establishment "${hash.kex}". Ask Alice for a new link.`;
  if (hash.bootstrap !== undefined && !["psk", "pki", "ca", "wot"].includes(hash.bootstrap)) return `This link names an unknown trust anchor "${hash.bootstrap}". Ask Alice for a new link.`;
  const hex64 = (v) => /^[0-9a-fA-F]{64}$/.test(v ?? "");
  if (role === "carol" && !hex64(hash.csk)) return "This link does not carry Carol's secret key (64 hex digits). Ask Alice for the full link.";
  if (role === "bob" && hash.bootstrap === "ca" && !(hex64(hash.bsk) && hash.root && hash.chain)) return "This link does not carry Bob's provisioned identity (his secret key, his certificate chain and the root). Ask Alice for the full link.";
  if (role === "bob" && hash.bootstrap === "wot" && !hex64(hash.cpk)) return "This link does not carry Carol's public key (64 hex digits). Ask Alice for the full link.";
  if (role === "bob" && (hash.bootstrap ?? "psk") === "psk") {
    if (!hash.psk) return "This link carries no pre-shared key: Bob cannot authenticate Alice. Ask her for the full link.";
    if (!/^[0-9a-fA-F]{64}$/.test(hash.psk)) return `The pre-shared key in this link has ${hash.psk.length} characters; it must be 64 hex digits. Ask Alice for the full link.`;
  }
  if (role === "bob" && hash.bootstrap === "pki" && !/^[0-9a-fA-F]{64}$/.test(hash.apk ?? "")) return "This link does not carry Alice's public key (64 hex digits). Ask her for the full link.";
  return null;
}
