// The README's JavaScript example, run as written against the built package.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

test("the README example runs and prints equal keys", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const code = readme.match(/```js\n([\s\S]*?)```/)[1];
  assert.ok(code.split("\n").length <= 12, "the example stays short");
  const dir = mkdtempSync(join(new URL(".", import.meta.url).pathname, ".readme-"));
  const file = join(dir, "example.mjs");
  writeFileSync(file, code);
  const out = execFileSync(process.execPath, [file], { encoding: "utf8" }).trim().split("\n");
  assert.match(out[0], /^true 0\.0\d+ \d+ 0\.\d+$/);
  assert.equal(out[1], "true");
  assert.equal(out[2], "32 2");
});
