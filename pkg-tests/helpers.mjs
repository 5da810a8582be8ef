// Shared by the package tests: test data from the crate, and Chromium launch flags.
import { readFileSync } from "node:fs";

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
