// Writes the npm package's README from the repository's: the introduction, the JavaScript
// sections (install, import, the API at a glance) and pointers to the rest, with every link made
// absolute so it works on the registry page (which resolves nothing relative to the package).
// Usage: node scripts/npm-readme.mjs <out-file>
import { readFileSync, writeFileSync } from "node:fs";

const root = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const repo = root.repository.url.replace(/^git\+/, "").replace(/\.git$/, "");
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

/** The `## heading` section (up to the next `## `), or a build error naming it. */
function section(heading) {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start + 1, end < 0 ? undefined : end).trimEnd();
}

/** Relative links and images point into the repository; in-page anchors into its README. */
function absolute(markdown) {
  return markdown.replace(/(!?)\]\(([^)\s]+)\)/g, (whole, bang, target) => {
    if (/^[a-z]+:/i.test(target)) return whole;
    if (target.startsWith("#")) return `${bang}](${repo}#${target.slice(1)})`;
    const path = target.replace(/^\.\//, "");
    return bang ? `!](${repo}/raw/main/${path})` : `](${repo}/blob/main/${path})`;
  });
}

const intro = readme.slice(0, readme.indexOf("\n## ")).trimEnd();
const out = `${intro}

\`\`\`sh
npm install qkdlab
\`\`\`

${section("Use it from JavaScript")}

## More

The playground (two browser tabs, Alice and Bob, and Eve's tab, over a WebSocket relay), the
protocol's stages, the security accounting and the figures are described in the
[repository's README](${repo}#readme); changes are in [CHANGELOG.md](${repo}/blob/main/CHANGELOG.md).
Licensed under MIT or Apache-2.0, at your option.
`;
const final = absolute(out);
const relative = [...final.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^https:\/\//.test(t));
if (relative.length) throw new Error(`npm README keeps links that break on the registry: ${relative.join(", ")}`);
writeFileSync(process.argv[2] ?? "pkg/README.md", final);
