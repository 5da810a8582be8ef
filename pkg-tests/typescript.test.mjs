// The shipped types under `tsc --strict`, with node16 and bundler resolution, over a file that
// uses every export and holds mistakes the types must reject (`@ts-expect-error`); and the
// ErrorCode union against the core's list of codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errorCodes } from "qkdlab";

const root = new URL("../", import.meta.url).pathname;
const tsc = (config) => execFileSync(`${root}node_modules/.bin/tsc`, ["-p", `${root}pkg-tests/tsc/${config}`], { encoding: "utf8" });

for (const resolution of ["node16", "bundler"]) {
  test(`tsc --strict accepts every export and rejects the mistakes (${resolution} resolution)`, () => {
    assert.equal(tsc(`tsconfig.${resolution}.json`), "");
  });
}

test("the ErrorCode union is exactly the core's list of codes", () => {
  const dts = readFileSync(`${root}pkg/web/qkdlab.d.ts`, "utf8");
  const union = dts.match(/export type ErrorCode = ([^;]+);/)[1].split("|").map((s) => s.trim().replace(/"/g, ""));
  assert.deepEqual([...union].sort(), [...errorCodes()].sort());
  assert.ok(union.includes("detector_alarm") && union.length >= 20);
});

// "Are the types wrong?" (@arethetypeswrong/cli) on the packed tarball, as a types-resolution
// check of every entry. The main entry must be clean under every resolution, node10 included.
// The subpaths are browser and bundler ES modules (qkdlab/web, /inline, /worker): Node's
// CommonJS reaches them only by import(), which is what attw's "CJSResolvesToESM" reports, and
// node10 knows no subpath exports; the .wasm file has no types by nature.
test("attw finds nothing wrong with the packed types", () => {
  const dir = mkdtempSync(join(tmpdir(), "qkdlab-attw-"));
  const tarball = execFileSync("npm", ["pack", `${root}pkg`, "--pack-destination", dir, "--silent"], { encoding: "utf8" }).trim().split("\n").pop();
  const attw = (...args) => execFileSync(`${root}node_modules/.bin/attw`, [join(dir, tarball), "--format", "ascii", ...args], { encoding: "utf8" });
  assert.doesNotThrow(() => attw("--entrypoints", "."), "the main entry, every resolution");
  assert.doesNotThrow(
    () => attw("--profile", "node16", "--exclude-entrypoints", "qkdlab_bg.wasm", "--ignore-rules", "cjs-resolves-to-esm"),
    "every subpath under node16 and bundler resolution",
  );
});
