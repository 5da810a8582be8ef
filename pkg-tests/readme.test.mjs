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

test("the package's README works on the registry page: install line, the same example, absolute links", () => {
  const pkgReadme = readFileSync(new URL("../pkg/README.md", import.meta.url), "utf8");
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  assert.match(pkgReadme, /^npm install qkdlab$/m);
  assert.equal(pkgReadme.match(/```js\n([\s\S]*?)```/)[1], readme.match(/```js\n([\s\S]*?)```/)[1]);
  const links = [...pkgReadme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  assert.ok(links.length >= 2, "it points to the repository");
  for (const link of links) assert.match(link, /^https:\/\/github\.com\/qkdlab\/qkdlab[/#]/, link);
  const pkg = JSON.parse(readFileSync(new URL("../pkg/package.json", import.meta.url), "utf8"));
  assert.equal(pkg.repository.url, "git+https://github.com/qkdlab/qkdlab.git");
  assert.match(pkg.homepage, /^https:\/\//);
  assert.match(pkg.bugs.url, /\/issues$/);
});
