// The shipped types under `tsc --strict`, with node16 and bundler resolution, over a file that
// uses every export and holds mistakes the types must reject (`@ts-expect-error`); and the
// ErrorCode union against the core's list of codes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
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
