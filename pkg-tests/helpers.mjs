// Shared by the package tests: test data from the crate, and Chromium launch flags.
import { readFileSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import { join, normalize, extname } from "node:path";

export const dataRows = (name) =>
  readFileSync(new URL(`../crate/tests/data/${name}`, import.meta.url), "utf8")
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => l.split("|"));

export const hex = (bytes) => Buffer.from(bytes).toString("hex");
export const fromHex = (h) => new Uint8Array(Buffer.from(h, "hex"));
export const psk = () => new Uint8Array(32).fill(0x42);

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-default-apps", "--disable-extensions", "--disable-quic", "--no-first-run",
  "--no-default-browser-check",
  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
];

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

/** A static file server for `root` (on 127.0.0.1, a free port): `page` at `/` if given, else
 * the root's index.html. */
export function serve(root, page) {
  const server = createServer((req, res) => {
    let path = new URL(req.url, "http://x").pathname;
    if (path === "/" && page === undefined) path = "/index.html";
    if (path === "/") {
      res.writeHead(200, { "content-type": "text/html" }).end(page);
      return;
    }
    const file = join(root, normalize(path).replace(/^(\.\.[/\\])+/, ""));
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

