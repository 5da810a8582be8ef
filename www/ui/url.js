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
