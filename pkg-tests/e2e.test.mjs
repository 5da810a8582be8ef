// The playground end to end: a real relay, real Chromium tabs (Playwright).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";
import { frameInfo } from "qkdlab";
import { CHROMIUM, CHROMIUM_ARGS } from "./helpers.mjs";

const root = new URL("../", import.meta.url).pathname;
const shots = `${root}test-output/e2e`;
let relay, base, browser;

before(async () => {
  mkdirSync(shots, { recursive: true });
  relay = spawn(`${root}target/release/qkdlab-relay`, ["--port", "0", "--www", `${root}www`, "--pkg", `${root}pkg`], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, RUST_LOG: "warn" },
  });
  base = await new Promise((resolve, reject) => {
    relay.stdout.on("data", (d) => {
      const m = String(d).match(/http:\/\/[\d.:]+\//);
      if (m) resolve(m[0]);
    });
    relay.on("exit", (code) => reject(new Error(`relay exited with ${code}`)));
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  relay?.kill();
});

async function tab(context, url) {
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  await page.goto(url);
  return page;
}

/** Alice opens a room with `pulses`; returns her page and the invitation links. */
async function openRoom(context, { pulses = 300000, errorRate = 0.02, psk, bootstrap, reconciliation } = {}) {
  const alice = await tab(context, psk ? `${base}#psk=${psk}` : base);
  await alice.fill("input[name=pulses]", String(pulses));
  await alice.fill("input[name=errorRate]", String(errorRate));
  await alice.fill("input[name=lengthKm]", "5");
  if (bootstrap) await alice.selectOption("select[name=bootstrap]", bootstrap);
  if (reconciliation) await alice.selectOption("select[name=reconciliation]", reconciliation);
  await alice.click("#open-room");
  await alice.waitForSelector("#bob-link[href*=room]");
  return { alice, bobLink: await alice.getAttribute("#bob-link", "href"), eveLink: await alice.getAttribute("#eve-link", "href") };
}

/** Eve joins with her attack: intercept fraction, classical-channel mode, and a PSK if any. */
async function joinEve(context, eveLink, { fraction = "0", mitm = "off", psk } = {}) {
  const eve = await tab(context, eveLink);
  await eve.fill("#eve-form input[name=interceptFraction]", fraction);
  await eve.selectOption("#eve-form select[name=mitm]", mitm);
  if (psk) await eve.fill("#eve-form input[name=psk]", psk);
  await eve.click("#eve-join");
  await eve.waitForSelector("#eve-log:has-text('Joined')");
  return eve;
}

/** Bob joins; Alice starts the first round. */
async function startWithBob(context, alice, bobLink) {
  const bob = await tab(context, bobLink);
  await alice.waitForSelector("#start:not([disabled])");
  await alice.click("#start");
  return bob;
}

const pskOf = (bobLink) => new URL(bobLink).hash.match(/psk=([0-9a-f]+)/)[1];

const outcome = async (page) => {
  await page.waitForSelector("#status[data-outcome]", { state: "attached", timeout: 60_000 });
  return page.getAttribute("#status", "data-outcome");
};

/** Eve in the middle ran a session with each side: both get a key, two different ones, and
 * Eve's tab names both. Returns the two fingerprints. */
async function assertTwoKeys(alice, bob, eve) {
  assert.equal(await outcome(alice), "ok");
  assert.equal(await outcome(bob), "ok");
  const [fa, fb] = [await alice.textContent("#fingerprint"), await bob.textContent("#fingerprint")];
  assert.notEqual(fa, fb, "Alice and Bob hold different keys");
  await eve.waitForSelector("#eve-guess:not([hidden])");
  const eveSays = await eve.textContent("#eve-guess");
  assert.ok(eveSays.includes(fa) && eveSays.includes(fb), eveSays);
  return [fa, fb];
}

test("two tabs grow the same key: same fingerprint, sane QBER, and a working chat", async () => {
  const context = await browser.newContext();
  // The page refills each authentication pool to 1,024 bits from the first key, and the chat
  // needs a 256-bit key per message in the store: 300,000 pulses give a key of 2,800 to 3,100
  // bits, which leaves one key per direction, or none when the key comes out below 2,592 bits.
  // 400,000 pulses give 5,000 to 5,500 bits: five or six keys each way.
  const { alice, bobLink } = await openRoom(context, { pulses: 400000 });
  const bob = await startWithBob(context, alice, bobLink);
  assert.equal(await outcome(alice), "ok");
  assert.equal(await outcome(bob), "ok");
  const fa = await alice.textContent("#fingerprint");
  assert.match(fa, /^[0-9a-f]{4} [0-9a-f]{4}$/);
  for (const page of [alice, bob]) assert.equal(await page.$$eval("#stages li.done", (l) => l.length), 6, "every stage done");
  assert.equal(await bob.textContent("#fingerprint"), fa);
  const figures = await alice.textContent("#figures");
  const qber = Number(figures.match(/QBER \(sample of \d+\)([\d.]+) %/)[1]);
  assert.ok(qber > 0.5 && qber < 4, `QBER ${qber} %`);
  assert.match(figures, /final key(\d+) bits/);
  await alice.fill("#chat-form input[name=text]", "hello Bob");
  await alice.click("#chat-form button");
  await bob.waitForSelector("#chat-log li:has-text('hello Bob')");
  assert.match(await bob.textContent("#chat-log li"), /^alice \[key [0-9a-f]{8}\]: hello Bob$/);
  // A second round over the same room: both plots get a second point.
  await alice.click("#start:not([disabled])");
  for (const page of [alice, bob]) {
    await page.waitForSelector("#status[data-round='2'][data-outcome='ok']", { state: "attached", timeout: 60_000 });
    await page.waitForSelector("#plot[data-rounds='2']", { state: "attached" });
    assert.equal(await page.$$eval("#plot circle.key", (c) => c.length), 2);
  }
  assert.equal(await bob.textContent("#fingerprint"), await alice.textContent("#fingerprint"));
  assert.notEqual(await alice.textContent("#fingerprint"), fa, "a new round gives a new key");
  await alice.screenshot({ path: `${shots}/two-tabs-alice.png`, fullPage: true });
  await bob.screenshot({ path: `${shots}/two-tabs-bob.png`, fullPage: true });
  assert.deepEqual([...alice.errors, ...bob.errors], []);
  // Alice closes her tab: the room closes with it, Bob's tab says so, and its chat stops
  // instead of spending a key on a message nobody can receive.
  await alice.close();
  await bob.waitForSelector("#role-line.error:has-text('Alice left')");
  assert.equal(await bob.isDisabled("#chat-form input[name=text]"), true);
  assert.match(await bob.textContent("#chat-log"), /chat closed: Alice left/);
  assert.deepEqual(bob.errors, []);
  await context.close();
});

test("a link's fragment fills only the form's fields; the form never submits itself; the relay's pulse limit is checked first", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  // "length" and "item" name properties of the form's element list, not fields; an empty
  // detector efficiency must not draw NaN into the chart.
  await page.goto(`${base}#length=1&item=2&namedItem=3&pulses=5000&detectorEfficiency=`);
  await page.waitForSelector("#setup:not([hidden])");
  assert.equal(await page.inputValue("input[name=pulses]"), "5000");
  assert.equal(await page.$eval("#role-line", (e) => e.classList.contains("error")), false, await page.textContent("#role-line"));
  await page.fill("input[name=detectorEfficiency]", "0.6");
  await page.fill("input[name=detectorEfficiency]", "");
  await page.fill("input[name=detectorEfficiency]", "0.6");
  // Over the relay a round holds at most 2^24 pulses: the form says so, no room opens.
  await page.fill("input[name=pulses]", "20000000");
  await page.click("#open-room");
  assert.match(await page.$eval("input[name=pulses]", (i) => i.validationMessage), /at most 16,777,216 pulses/);
  assert.equal(await page.isVisible("#setup"), true);
  await page.fill("input[name=pulses]", "16777216");
  await page.click("#open-room");
  await page.waitForSelector("#bob-link[href*=room]");
  // The page never navigated: no query string (a native submit would carry the PSK in one).
  assert.equal(new URL(page.url()).search, "");
  assert.deepEqual(problems, []);
  await context.close();
});

test("LDPC over the relay: one-way reconciliation in at most three messages, the same key in both tabs", async () => {
  const context = await browser.newContext();
  const { alice, bobLink } = await openRoom(context, { pulses: 1000000, reconciliation: "ldpc" });
  const bob = await startWithBob(context, alice, bobLink);
  assert.equal(await outcome(alice), "ok");
  assert.equal(await outcome(bob), "ok");
  assert.equal(await bob.textContent("#fingerprint"), await alice.textContent("#fingerprint"));
  for (const page of [alice, bob]) {
    const figures = await page.textContent("#figures");
    const m = figures.match(/LDPC(\d+) frame\(s\), (\d) message\(s\)/);
    assert.ok(m && Number(m[2]) <= 3, figures);
    assert.doesNotMatch(figures, /Cascade/);
    assert.match(figures, /four tags a round/);
  }
  assert.deepEqual([...alice.errors, ...bob.errors], []);
  await context.close();
});

test("Eve intercepting every photon: both tabs show the QBER that aborted, where it stopped, and Eve sees what she did", async () => {
  const context = await browser.newContext();
  const { alice, bobLink, eveLink } = await openRoom(context, { errorRate: 0 });
  const eve = await joinEve(context, eveLink, { fraction: "1" });
  const bob = await startWithBob(context, alice, bobLink);
  assert.equal(await outcome(alice), "qber_too_high");
  assert.equal(await outcome(bob), "qber_too_high");
  assert.match(await bob.textContent("#outcome"), /error rate is too high/);
  assert.equal(await alice.$("#fingerprint"), null);
  for (const page of [alice, bob]) {
    // The figures are the round's own: the QBER that caused the abort (about 25 %), its sample,
    // the clicks and sifted bits; the chip of the stage where it stopped is marked, none spins.
    const figures = await page.textContent("#figures");
    const [, k, q] = figures.match(/QBER \(sample of (\d+)\)([\d.]+) %/);
    const sigma = Math.sqrt((0.25 * 0.75) / Number(k)) * 100;
    assert.ok(Math.abs(Number(q) - 25) < 3 * sigma + 0.5, `QBER ${q} % on ${k} bits`);
    assert.doesNotMatch(figures, /detected \(clicks\)0\b/);
    assert.equal(await page.getAttribute("#status", "data-stopped-at"), "estimation");
    assert.equal(await page.$$eval("#stages li.active", (l) => l.length), 0);
    assert.match(await page.textContent("#role-line"), /ended without a key/);
  }
  // Eve's tab: what she touched, what she holds, and the QBER Alice and Bob measured.
  await eve.waitForSelector("#eve[data-outcome='qber_too_high']", { state: "attached" });
  const touched = Number(await eve.getAttribute("#eve", "data-touched"));
  const known = Number(await eve.getAttribute("#eve", "data-known"));
  assert.equal(touched, 300000, "every pulse measured");
  assert.ok(Math.abs(known / touched - 0.5) < 0.01, `basis matched on ${known} of ${touched}`);
  assert.ok(Math.abs(Number(await eve.getAttribute("#eve", "data-qber")) - 0.25) < 0.03);
  assert.match(await eve.textContent("#eve-figures"), /Bob, round 1no key \(qber_too_high\); QBER 2\d\.\d\d %/);
  // Of the sifted key she knows about half: the bits she measured in Alice's basis.
  const sifted = await eve.textContent("#eve-figures");
  const [knownSifted, siftedBits] = sifted.match(/sifted bits you know([\d,]+) of ([\d,]+)/).slice(1).map((x) => Number(x.replaceAll(",", "")));
  assert.ok(Math.abs(knownSifted / siftedBits - 0.5) < 0.03, `${knownSifted} of ${siftedBits}`);
  await alice.screenshot({ path: `${shots}/eve-qber-alice.png`, fullPage: true });
  await bob.screenshot({ path: `${shots}/eve-qber-bob.png`, fullPage: true });
  await eve.screenshot({ path: `${shots}/eve-qber-eve.png`, fullPage: true });
  assert.deepEqual([...alice.errors, ...bob.errors, ...eve.errors], []);
  await context.close();
});

test("a browser whose WebAssembly has no SIMD is told so in words, and the module itself needs it", async () => {
  const context = await browser.newContext();
  // An engine without SIMD: the same Chromium, its validate() refusing any module with a v128
  // type (0x7b) in its type section, as such an engine does.
  await context.addInitScript(() => {
    const validate = WebAssembly.validate.bind(WebAssembly);
    WebAssembly.validate = (bytes) => !new Uint8Array(bytes.buffer ?? bytes).slice(8, 16).includes(0x7b) && validate(bytes);
  });
  const page = await tab(context, base);
  await page.waitForSelector("#role-line.error", { timeout: 15_000 });
  assert.match(await page.textContent("#role-line"), /The playground could not start: this browser's WebAssembly has no SIMD/);
  assert.equal(await page.isVisible("#setup"), false);
  await context.close();
  // The module served is built with SIMD, so the check above is needed: its target_features
  // section (written by the compiler, kept by wasm-opt) lists +simd128.
  const module = new WebAssembly.Module(await (await fetch(`${base}pkg/web/qkdlab_bg.wasm`)).arrayBuffer());
  const [section] = WebAssembly.Module.customSections(module, "target_features");
  assert.ok(section, "a target_features section");
  const b = new Uint8Array(section);
  const features = [];
  for (let k = 0, i = 1; k < b[0]; k++) {
    const prefix = String.fromCharCode(b[i]);
    const len = b[i + 1];
    features.push(prefix + Buffer.from(b.subarray(i + 2, i + 2 + len)).toString());
    i += 2 + len;
  }
  assert.ok(features.includes("+simd128"), features.join(" "));
});

test("every bad link says what is wrong on screen", async () => {
  const context = await browser.newContext();
  const room = "0123456789abcdef0123456789abcdef";
  const cases = [
    [`#room=${room}`, /names a room but no role/],
    ["#role=mallory&room=" + room, /not bob, eve or carol/],
    ["#role=bob&room=zzz&psk=" + "ab".repeat(32), /room id in this link is malformed/],
    ["#role=bob", /names no room/],
    [`#role=bob&room=${room}`, /carries no pre-shared key/],
    [`#role=bob&room=${room}&psk=abcd`, /has 4 characters; it must be 64 hex digits/],
    [`#role=bob&room=${room}&psk=${"ab".repeat(32)}`, /The relay refused this link: no such room/],
  ];
  for (const [hash, message] of cases) {
    const page = await tab(context, `${base}${hash}`);
    await page.waitForSelector("#role-line.error", { timeout: 15_000 });
    assert.match(await page.textContent("#role-line"), message, hash);
    assert.equal(await page.isVisible("#setup"), false, `${hash}: no silent Alice form`);
    await page.close();
  }
  // The PKI form has no PSK field, and Bob's invitation says it carries no secret.
  const alice = await tab(context, base);
  await alice.waitForSelector("input[name=psk]", { state: "visible" });
  await alice.selectOption("select[name=bootstrap]", "pki");
  assert.equal(await alice.isVisible("input[name=psk]"), false);
  await alice.selectOption("select[name=bootstrap]", "psk");
  await alice.fill("input[name=psk]", "abcd");
  assert.match(await alice.$eval("input[name=psk]", (i) => i.validationMessage), /64 hex digits/);
  await alice.fill("input[name=psk]", "ab".repeat(32));
  await alice.selectOption("select[name=bootstrap]", "pki");
  await alice.fill("input[name=pulses]", "123457");
  assert.equal(await alice.$eval("input[name=pulses]", (i) => i.validity.valid), true, "any pulse count");
  await alice.click("#open-room");
  await alice.waitForSelector("#bob-link[href*=room]");
  assert.match(await alice.textContent("#bob-link-label"), /no secret/);
  assert.equal(await alice.isVisible("#setup"), false, "the form gives way to the room");
  await context.close();
});

test("Eve in the middle editing a frame: both tabs show the authentication abort and no key", async () => {
  const context = await browser.newContext();
  const { alice, bobLink, eveLink } = await openRoom(context);
  const eve = await joinEve(context, eveLink, { mitm: "edit" });
  const bob = await startWithBob(context, alice, bobLink);
  const codes = [await outcome(alice), await outcome(bob)];
  assert.deepEqual(codes, ["auth_bad_tag", "auth_bad_tag"]);
  assert.match(await alice.textContent("#outcome"), /Authentication failed/);
  assert.match(await bob.textContent("#outcome"), /Authentication failed/);
  assert.equal(await bob.$("#fingerprint"), null);
  assert.match(await eve.textContent("#eve-figures"), /classical frames\d+ seen, 1 edited, 0 dropped, 0 injected/);
  await eve.screenshot({ path: `${shots}/mitm-eve.png`, fullPage: true });
  await bob.screenshot({ path: `${shots}/mitm-bob.png`, fullPage: true });
  await context.close();
});

test("Eve injecting a forged frame: both tabs show the authentication abort", async () => {
  const context = await browser.newContext();
  const { alice, bobLink, eveLink } = await openRoom(context);
  await joinEve(context, eveLink, { mitm: "inject" });
  const bob = await startWithBob(context, alice, bobLink);
  // Frame 3 is Bob's Sift, untagged under transcript tags: Alice acts on the forgery, then the
  // real frame's sequence number is one she already saw.
  const codes = [await outcome(alice), await outcome(bob)];
  assert.equal(codes[0], codes[1]);
  assert.match(codes[0], /^auth_(bad_tag|sequence)$/);
  assert.equal(await alice.$$eval("#stages progress", (bars) => bars.length), 6);
  await context.close();
});

test("a tab closed mid-session: the other shows peer left", async () => {
  const context = await browser.newContext();
  const { alice, bobLink } = await openRoom(context, { pulses: 8000000 });
  const bob = await tab(context, bobLink);
  await alice.waitForSelector("#start:not([disabled])");
  await alice.click("#start");
  await bob.waitForSelector("#status[data-state]", { state: "attached" });
  await bob.close();
  assert.equal(await outcome(alice), "peer_left");
  assert.match(await alice.textContent("#outcome"), /left before the key was finished/);
  await alice.screenshot({ path: `${shots}/peer-left-alice.png`, fullPage: true });
  await context.close();
});

test("local mode runs every party in one tab, and its link replays the run", async () => {
  const context = await browser.newContext();
  const page = await tab(context, `${base}#pulses=300000&lengthKm=5&errorRate=0.03&seed=replay&psk=${"ab".repeat(32)}`);
  // The form shows once the module has loaded and filled it.
  await page.waitForSelector("input[name=errorRate]", { state: "visible" });
  assert.equal(await page.inputValue("input[name=errorRate]"), "0.03");
  // What the fragment does not set comes from the core's defaults (one definition).
  const d = await page.evaluate(async () => (await import("/pkg/web/qkdlab.js")).defaults());
  assert.equal(Number(await page.inputValue("input[name=detectorEfficiency]")), d.channel.detectorEfficiency);
  assert.equal(Number(await page.inputValue("input[name=darkCountProb]")), d.channel.darkCountProb);
  const fresh = await tab(context, base);
  await fresh.waitForSelector("input[name=errorRate]", { state: "visible" });
  assert.equal(Number(await fresh.inputValue("input[name=errorRate]")), d.channel.errorRate);
  assert.equal(Number(await fresh.inputValue("input[name=pulses]")), d.pulses);
  await fresh.close();
  await page.click("#run-local");
  assert.equal(await outcome(page), "ok");
  const first = await page.textContent("#fingerprint");
  // The same photons reconciled both ways, side by side.
  const compare = await page.$$eval("#compare tr", (rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
  assert.deepEqual(compare[0], ["", "Cascade", "LDPC"]);
  const f = compare.find((r) => r[0].startsWith("efficiency")).slice(1).map(Number);
  assert.ok(f.every((x) => x > 1 && x < 1.6), `efficiencies ${f}`);
  const messages = compare.find((r) => r[0] === "reconciliation messages").slice(1).map(Number);
  assert.ok(messages[0] > 3 && messages[1] <= 3, `messages ${messages}`);
  const link = page.url();
  assert.match(link, /seed=replay/);
  const again = await tab(context, link);
  await again.click("#run-local");
  assert.equal(await outcome(again), "ok");
  assert.equal(await again.textContent("#fingerprint"), first, "the same link gives the same key");
  await page.screenshot({ path: `${shots}/local-mode.png`, fullPage: true });
  assert.deepEqual([...page.errors, ...again.errors], []);
  await context.close();
});

test("a PKI bootstrap: equal safety numbers, then rounds authenticated from the key pool", async () => {
  const context = await browser.newContext();
  const { alice, bobLink } = await openRoom(context, { bootstrap: "pki" });
  assert.match(bobLink, /bootstrap=pki/);
  assert.doesNotMatch(bobLink, /psk=/, "no pre-shared key in a PKI link");
  const bob = await tab(context, bobLink);
  await alice.waitForSelector("#safety:not([hidden])");
  await bob.waitForSelector("#safety:not([hidden])");
  const sa = await alice.textContent("#safety output");
  assert.match(sa, /^(\d{5} ){9}\d{5}$/);
  assert.equal(await bob.textContent("#safety output"), sa);
  // Each tab's anchor panel: Bob pinned the key Alice's tab calls its own, and the reverse.
  const figures = async (page) => page.textContent("#anchor-figures");
  const own = async (page) => (await figures(page)).match(/your key([0-9a-f ]{19})/)[1];
  assert.ok((await figures(bob)).includes(`Alice's key, pinned from the link${await own(alice)}`));
  await alice.waitForSelector("#anchor-figures:has-text('pinned for round 1')");
  assert.ok((await figures(alice)).includes(`Bob's key, pinned for round 1${await own(bob)}`));
  for (const round of [1, 2, 3]) {
    await alice.click("#start:not([disabled])");
    for (const page of [alice, bob]) {
      await page.waitForSelector(`#pool[data-rounds='${round}']`, { state: "attached", timeout: 60_000 });
    }
    assert.equal(await bob.textContent("#fingerprint"), await alice.textContent("#fingerprint"));
  }
  const log = await bob.textContent("#pool-log");
  assert.match(log, /Round 1 \(pki\)/);
  assert.match(log, /Round 2 \(pool-hmac\).*took 256 \+ 256/);
  assert.equal(await alice.textContent("#pool-log"), log, "same pools and stores on both sides");
  await alice.fill("#chat-form input[name=text]", "pki hello");
  await alice.click("#chat-form button");
  await bob.waitForSelector("#chat-log li:has-text('pki hello')");
  await bob.screenshot({ path: `${shots}/pki-rounds-bob.png`, fullPage: true });
  await context.close();
});

test("Eve with the leaked PSK cuts the link: both sides get a key, but the chat fails", async () => {
  const context = await browser.newContext();
  const { alice, bobLink, eveLink } = await openRoom(context);
  const eve = await joinEve(context, eveLink, { mitm: "full", psk: pskOf(bobLink) });
  const bob = await startWithBob(context, alice, bobLink);
  await assertTwoKeys(alice, bob, eve);
  await alice.fill("#chat-form input[name=text]", "secret plans");
  await alice.click("#chat-form button");
  await bob.waitForSelector("#chat-log li.bad");
  assert.match(await bob.textContent("#chat-log li.bad"), /does not decrypt/);
  await eve.screenshot({ path: `${shots}/mitm-leaked-psk-eve.png`, fullPage: true });
  await bob.screenshot({ path: `${shots}/mitm-leaked-psk-bob.png`, fullPage: true });
  await context.close();
});

test("Eve cutting the link without the PSK: both sides abort on authentication", async () => {
  const context = await browser.newContext();
  const { alice, bobLink, eveLink } = await openRoom(context);
  await joinEve(context, eveLink, { mitm: "full", psk: "13".repeat(32) });
  const bob = await startWithBob(context, alice, bobLink);
  assert.equal(await outcome(bob), "auth_bad_tag");
  assert.equal(await outcome(alice), "auth_bad_tag");
  assert.equal(await alice.$("#fingerprint"), null);
  await context.close();
});

test("a PSK leaked after round 1 gives Eve's recorded transcript nothing", async () => {
  const context = await browser.newContext();
  const { alice, bobLink, eveLink } = await openRoom(context);
  const eve = await joinEve(context, eveLink, { mitm: "leak", psk: pskOf(bobLink) });
  const bob = await startWithBob(context, alice, bobLink);
  assert.equal(await outcome(alice), "ok");
  assert.equal(await outcome(bob), "ok");
  await eve.waitForSelector("#eve-guess:not([hidden])");
  const text = await eve.textContent("#eve-guess");
  assert.match(text, /verifies all \d+ recorded frames/);
  const guess = text.match(/fingerprint ([0-9a-f]{4} [0-9a-f]{4})/)[1];
  assert.notEqual(guess, await alice.textContent("#fingerprint"));
  // Round 2 is authenticated from the pool: Eve passes frames on and the round succeeds.
  await alice.click("#start:not([disabled])");
  await alice.waitForSelector("#status[data-round='2'][data-outcome='ok']", { state: "attached", timeout: 60_000 });
  await eve.screenshot({ path: `${shots}/leak-later-eve.png`, fullPage: true });
  await context.close();
});

// ---- Security from outside: only what a tab, the relay or a room member can see and send ----

/** Every binary frame a page sends over its WebSocket, in order. */
function recordSent(page) {
  const sent = [];
  page.on("websocket", (ws) => ws.on("framesent", (f) => {
    if (typeof f.payload !== "string") sent.push(new Uint8Array(f.payload));
  }));
  return sent;
}

/** A hostile room member: a raw WebSocket from a page of the relay's origin, joined as Eve in
 * the middle of the classical channel (she may send any text or frame). */
async function hostile(context, room) {
  const page = await tab(context, `${base}#role=none`);
  await page.evaluate(async (room) => {
    const ws = new WebSocket(`ws://${location.host}/ws`);
    ws.binaryType = "arraybuffer";
    window.got = [];
    ws.onmessage = (e) => window.got.push(typeof e.data === "string" ? e.data : new Uint8Array(e.data));
    await new Promise((r) => (ws.onopen = r));
    ws.send(JSON.stringify({ type: "join", role: "eve", room, mitm: true }));
    window.sock = ws;
  }, room);
  await page.waitForFunction(() => window.got.some((m) => typeof m === "string" && m.includes("joined")));
  return {
    text: (obj) => page.evaluate((o) => window.sock.send(JSON.stringify(o)), obj),
    frame: (bytes) => page.evaluate((b) => window.sock.send(new Uint8Array(b)), [...bytes]),
    // Pass every classical frame on unchanged (she sits in the middle), and the status
    // messages the parties address to each other, under their own names.
    relay: () => page.evaluate(() => {
      window.sock.onmessage = (e) => {
        if (typeof e.data !== "string") return window.sock.send(e.data);
        const m = JSON.parse(e.data);
        if (m.type === "status" && m.to && m.to !== "eve") window.sock.send(JSON.stringify({ ...m, as: m.from }));
      };
    }),
    page,
  };
}

const roomOf = (link) => new URL(link).hash.match(/room=([0-9a-f]+)/)[1];

test("relay mode draws from the OS: two rooms with the page's defaults send different photons; Alice's URL holds no key", async () => {
  const context = await browser.newContext();
  const photons = [];
  for (let i = 0; i < 2; i++) {
    const alice = await tab(context, base);
    const sent = recordSent(alice);
    await alice.click("#open-room");
    await alice.waitForSelector("#bob-link[href*=room]");
    assert.doesNotMatch(alice.url(), /psk=|seed=/, "no key material or seed in Alice's own URL");
    assert.equal(await alice.isVisible("input[name=seed]"), false, "no seed field in relay mode");
    const bob = await tab(context, await alice.getAttribute("#bob-link", "href"));
    await alice.waitForSelector("#start:not([disabled])");
    await alice.click("#start");
    assert.equal(await outcome(alice), "ok");
    assert.equal(await outcome(bob), "ok");
    photons.push(Buffer.from(sent.find((f) => frameInfo(f).type === "Photons")).toString("hex"));
  }
  assert.notEqual(photons[0], photons[1], "the same settings prepare different photons");
  await context.close();
});

test("a Hello recorded in one room and replayed into another with the same PSK is refused; the real round still works", async () => {
  const context = await browser.newContext();
  const psk = "5a".repeat(32);
  const first = await tab(context, `${base}#psk=${psk}`);
  const sent = recordSent(first);
  await first.click("#open-room");
  await first.waitForSelector("#bob-link[href*=room]");
  const bob1 = await tab(context, await first.getAttribute("#bob-link", "href"));
  await first.waitForSelector("#start:not([disabled])");
  await first.click("#start");
  assert.equal(await outcome(bob1), "ok");
  const hello = sent.find((f) => frameInfo(f).type === "Hello");

  const { alice, bobLink } = await openRoom(context, { psk });
  const bob = await tab(context, bobLink);
  await alice.waitForSelector("#start:not([disabled])");
  const eve = await hostile(context, roomOf(bobLink));
  await eve.frame(hello);
  await bob.waitForSelector("#refusals li", { state: "attached" });
  assert.match(await bob.textContent("#refusals"), /auth_bad_tag/);
  await eve.relay();
  await alice.click("#start");
  assert.equal(await outcome(alice), "ok");
  assert.equal(await outcome(bob), "ok");
  assert.equal(await bob.textContent("#fingerprint"), await alice.textContent("#fingerprint"));
  await context.close();
});

test("PKI: a second identity for Bob from a room member is refused and the safety number stays", async () => {
  const context = await browser.newContext();
  const { alice, bobLink } = await openRoom(context, { bootstrap: "pki" });
  const eve = await hostile(context, roomOf(bobLink));
  await eve.relay();
  // Before Bob: Eve's identity claim is not Bob's (the relay stamps her role) and is ignored.
  await eve.text({ type: "status", to: "alice", identity: "11".repeat(32) });
  const bob = await tab(context, bobLink);
  await alice.waitForSelector("#safety:not([hidden])");
  const sa = await alice.textContent("#safety output");
  assert.equal(await bob.textContent("#safety output"), sa);
  await eve.text({ type: "status", to: "alice", identity: "22".repeat(32) });
  await alice.waitForTimeout(300);
  assert.equal(await alice.textContent("#safety output"), sa, "the pinned key does not change");
  await alice.click("#start:not([disabled])");
  assert.equal(await outcome(alice), "ok");
  assert.equal(await outcome(bob), "ok");
  assert.equal(await bob.textContent("#fingerprint"), await alice.textContent("#fingerprint"));
  await context.close();
});

test("forged control messages from a room member carry no authority: no abort, no key spent, the link goes on", async () => {
  const context = await browser.newContext();
  const { alice, bobLink } = await openRoom(context);
  const eve = await hostile(context, roomOf(bobLink));
  await eve.relay();
  const bob = await startWithBob(context, alice, bobLink);
  await eve.text({ type: "abort", to: "alice", code: "qber_too_high", message: "forged" });
  await eve.text({ type: "abort", to: "bob", code: "auth_bad_tag", message: "forged" });
  assert.equal(await outcome(alice), "ok");
  assert.equal(await outcome(bob), "ok");
  // A forged chat naming key ids spends nothing; the real chat still decrypts.
  await eve.text({ type: "chat", to: "bob", keyId: "00000000-0000-4000-8000-000000000000", iv: "AAAAAAAAAAAAAAAA", ct: "AAAA" });
  await alice.fill("#chat-form input[name=text]", "still here");
  await alice.click("#chat-form button");
  await bob.waitForSelector("#chat-log li:has-text('still here')");
  assert.equal(await bob.$$eval("#chat-log li.bad", (l) => l.length), 0);
  // A second round grows a key too.
  await alice.click("#start:not([disabled])");
  for (const page of [alice, bob]) {
    await page.waitForSelector("#status[data-round='2'][data-outcome='ok']", { state: "attached", timeout: 60_000 });
  }
  assert.equal(await bob.textContent("#fingerprint"), await alice.textContent("#fingerprint"));
  await context.close();
});

test("the key-rate chart: four models for the form's channel; a local PNS run without decoys shows Eve's knowledge and no key", async () => {
  const context = await browser.newContext();
  const page = await tab(context, `${base}#pulses=20000000&lengthKm=50&errorRate=0.01&source=weak-no-decoys&localAttack=pns&seed=pns&psk=${"ab".repeat(32)}`);
  await page.waitForSelector("#distance-plot polyline[data-model=gllp]", { state: "attached" });
  const models = await page.$$eval("#distance-plot polyline", (ps) => ps.map((p) => p.dataset.model));
  assert.deepEqual(models.sort(), ["decoy-infinite", "decoy-vacuum-weak", "gllp", "single-photon"]);
  const legend = await page.$$eval("#distance-plot .legend li", (ls) => ls.map((l) => [l.className, Number(l.textContent.match(/up to (\d+) km/)[1])]));
  const km = Object.fromEntries(legend);
  assert.ok(km["single-photon"] > km["decoy-infinite"] && km["decoy-infinite"] > km.gllp && km.gllp > 0, JSON.stringify(km));
  // The curves follow the form: a worse detector shortens every line.
  await page.fill("input[name=detectorEfficiency]", "0.05");
  await page.waitForFunction((before) => Number(document.querySelector("#distance-plot .legend li.gllp").textContent.match(/up to (\d+) km/)[1]) < before, km.gllp);
  await page.fill("input[name=detectorEfficiency]", "0.2");
  await page.click("#run-local");
  assert.equal(await outcome(page), "no_secret_key");
  const eve = await page.textContent("#eve-knows");
  const [known, total] = eve.match(/knows ([\d,]+) of the ([\d,]+) key bits/).slice(1).map((x) => Number(x.replaceAll(",", "")));
  assert.ok(known > 0.95 * total && total > 1000, eve);
  assert.match(await page.textContent("#figures"), /photon-number splitting/);
  assert.match(await page.textContent("#figures"), /single-photon bound would say/);
  assert.equal(await page.$$eval("#intensities tr", (rs) => rs.length), 4, "a header and three intensity classes");
  assert.equal(await page.getAttribute("#distance-plot", "data-runs"), "1");
  await page.screenshot({ path: `${shots}/pns-local.png`, fullPage: true });
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("over the relay, Eve's photon-number splitting is caught by the decoys in both tabs", async () => {
  const context = await browser.newContext();
  const alice = await tab(context, base);
  await alice.waitForSelector("input[name=pulses]", { state: "visible" });
  await alice.fill("input[name=pulses]", "10000000");
  await alice.fill("input[name=lengthKm]", "25");
  await alice.selectOption("select[name=source]", "weak-coherent");
  await alice.click("#open-room");
  await alice.waitForSelector("#bob-link[href*=room]");
  const eveLink = await alice.getAttribute("#eve-link", "href");
  const eve = await tab(context, eveLink);
  await eve.selectOption("#eve-form select[name=attack]", "pns");
  await eve.click("#eve-join");
  await eve.waitForSelector("#eve-log:has-text('PNS')");
  const bob = await startWithBob(context, alice, await alice.getAttribute("#bob-link", "href"));
  assert.equal(await outcome(alice), "no_secret_key");
  assert.equal(await outcome(bob), "no_secret_key");
  for (const page of [alice, bob]) {
    assert.match(await page.textContent("#figures"), /photon-number-splitting attack/);
    assert.equal(await page.$$eval("#intensities tr", (rs) => rs.length), 4);
  }
  await alice.screenshot({ path: `${shots}/pns-relay-alice.png`, fullPage: true });
  assert.deepEqual([...alice.errors, ...bob.errors, ...eve.errors], []);
  await context.close();
});

/** The pulse table of a tab as rows of cell texts, by row key. */
const pulseRows = (page, title) =>
  page.$eval(`section.pulses[aria-label="${title}"] table`, (t) =>
    Object.fromEntries([...t.querySelectorAll("tr[data-row]")].map((r) => [r.dataset.row, [...r.querySelectorAll("td")].map((c) => c.textContent)])));

test("BB84 made visible: each tab's pulse table shows only its party's knowledge and both agree on the sifting", async () => {
  const context = await browser.newContext();
  const { alice, bobLink } = await openRoom(context, { errorRate: 0.03, pulses: 1000000 });
  const bob = await startWithBob(context, alice, bobLink);
  assert.equal(await outcome(alice), "ok");
  assert.equal(await outcome(bob), "ok");
  const a = await pulseRows(alice, "The first pulses, as Alice knows them");
  const b = await pulseRows(bob, "The first pulses, as Bob knows them");
  assert.ok(a.aliceBits && !a.bobBits, "Alice's tab: her bits, never Bob's results");
  assert.ok(b.bobBits && !b.aliceBits && !b.aliceBases, "Bob's tab: his results, never Alice's bits or bases");
  assert.deepEqual(a.clicks, b.clicks);
  assert.deepEqual(a.sifted, b.sifted);
  assert.deepEqual(a.sampled, b.sampled);
  assert.equal(a.aliceBits.length, 64);
  for (let i = 0; i < 64; i++) {
    // Alice knows Bob's basis exactly where he clicked.
    if (a.clicks[i]) assert.equal(a.bobBases[i], b.bobBases[i]);
    else assert.equal(a.bobBases[i], "·");
    // A key bit: Bob's result, corrected where reconciliation flipped it, is Alice's bit.
    if (a.sifted[i] && !a.sampled[i]) assert.equal(Number(b.bobBits[i]) ^ (b.corrected[i] ? 1 : 0), Number(a.aliceBits[i]), `pulse ${i + 1}`);
  }
  assert.match(await alice.textContent("#explain-round"), /compared in public and discarded/);
  // Bob's tab counts the errors reconciliation corrected, and they match his table's marks.
  const fixed = Number(await bob.getAttribute("#status", "data-corrections"));
  assert.ok(fixed > 0, "a 3 % round has errors to correct");
  assert.match(await bob.textContent("#figures"), new RegExp(`errors Bob corrected${fixed.toLocaleString("en-US")} so far`));
  // More pulses on request.
  await bob.click("section.pulses button.more");
  assert.equal(await bob.getAttribute("section.pulses", "data-shown"), "128");
  await context.close();
});

test("every view passes axe-core without serious or critical violations, and fits a phone", async () => {
  const axe = new URL("../node_modules/axe-core/axe.min.js", import.meta.url).pathname;
  const check = async (page, name) => {
    await page.addScriptTag({ path: axe });
    const violations = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
    });
    assert.deepEqual(violations, [], `${name}: ${violations.join("; ")}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: ${overflow} px wider than the screen`);
  };
  // bypassCSP: only so the test can inject axe-core; the page itself runs under its CSP.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, bypassCSP: true });
  const { alice, bobLink, eveLink } = await openRoom(context, { errorRate: 0 });
  const eve = await joinEve(context, eveLink, { fraction: "1" });
  const bob = await startWithBob(context, alice, bobLink);
  assert.equal(await outcome(bob), "qber_too_high");
  await outcome(alice);
  await check(alice, "Alice, aborted");
  await check(bob, "Bob, aborted");
  await check(eve, "Eve");
  const local = await tab(context, `${base}#pulses=300000&lengthKm=5&seed=axe`);
  await local.waitForSelector("input[name=pulses]", { state: "visible" });
  await check(local, "Alice's form");
  await local.click("#run-local");
  assert.equal(await outcome(local), "ok");
  await check(local, "local run");
  await local.screenshot({ path: `${shots}/phone-local.png`, fullPage: true });
  await bob.screenshot({ path: `${shots}/phone-bob.png`, fullPage: true });
  // The trust anchors' views: Alice's panel with the CA's chain, Carol's tab with a request.
  const ca = await openRoom(context, { bootstrap: "ca" });
  const caBob = await tab(context, ca.bobLink);
  await ca.alice.waitForSelector("#anchor[data-state=accepted]", { state: "attached" });
  await check(ca.alice, "Alice, CA chain verified");
  await check(caBob, "Bob, CA");
  const wot = await openRoom(context, { bootstrap: "wot" });
  const carol = await tab(context, await wot.alice.getAttribute("#carol-link", "href"));
  await carol.waitForSelector("#carol-requests li[data-name=alice]");
  await check(carol, "Carol");
  await carol.screenshot({ path: `${shots}/phone-carol.png`, fullPage: true });
  await context.close();
});

test("Eve's own pulse table: her bases and results on the pulses she measured", async () => {
  const context = await browser.newContext();
  const { alice, bobLink, eveLink } = await openRoom(context);
  const eve = await joinEve(context, eveLink, { fraction: "0.5" });
  await startWithBob(context, alice, bobLink);
  await outcome(alice);
  const rows = await pulseRows(eve, "The first pulses, as you (Eve) know them");
  assert.deepEqual(Object.keys(rows).sort(), ["eveBases", "eveBits"]);
  const measured = rows.eveBases.filter((b) => b !== "").length;
  assert.ok(measured > 16 && measured < 48, `measured ${measured} of 64 at fraction 0.5`);
  rows.eveBases.forEach((b, i) => assert.equal(b === "", rows.eveBits[i] === "", `pulse ${i + 1}`));
  await context.close();
});

/** Alice opens a room for a classical key exchange (`method`), under a PSK. */
async function openKexRoom(context, method) {
  const alice = await tab(context, base);
  await alice.selectOption("select[name=kex]", method);
  await alice.click("#open-room");
  await alice.waitForSelector("#bob-link[href*=room]");
  return { alice, bobLink: await alice.getAttribute("#bob-link", "href"), eveLink: await alice.getAttribute("#eve-link", "href") };
}

const kexFingerprint = async (page) => {
  await page.waitForSelector("#kex[data-fingerprint]", { state: "attached", timeout: 30_000 });
  return page.getAttribute("#kex", "data-fingerprint");
};

/** Eve, years later: sets the switches and reads her recording. */
async function readLater(eve, switches) {
  for (const name of ["discreteLog", "lattice", "credential"]) {
    await eve.setChecked(`#later-form input[name=${name}]`, switches.includes(name));
  }
  await eve.evaluate(() => document.querySelector("#later").removeAttribute("data-falls"));
  await eve.click("#later-go");
  await eve.waitForSelector("#later[data-falls]", { state: "attached", timeout: 30_000 });
  return {
    falls: await eve.getAttribute("#later", "data-falls"),
    recovered: await eve.getAttribute("#later", "data-recovered"),
    verdict: await eve.textContent("#later-verdict"),
    messages: await eve.$$eval("#later-log li", (l) => l.map((li) => li.textContent)),
  };
}

async function chat(from, to, text) {
  await from.fill("#chat-form input[name=text]", text);
  await from.click("#chat-form button");
  await to.waitForSelector(`#chat-log li:has-text('${text}')`);
}

test("X25519 over the relay: the same key in both tabs and a working chat; years later Eve's recording falls only on paper", async () => {
  const context = await browser.newContext();
  const { alice, bobLink, eveLink } = await openKexRoom(context, "x25519");
  const eve = await joinEve(context, eveLink, { mitm: "record" });
  const bob = await startWithBob(context, alice, bobLink);
  const fa = await kexFingerprint(alice);
  assert.match(fa, /^[0-9a-f]{8}$/);
  assert.equal(await kexFingerprint(bob), fa);
  assert.match(await alice.textContent("#kex-figures"), /bytes exchanged\s*\d+ in 4 messages/);
  await chat(alice, bob, "meet at noon");
  assert.match(await bob.textContent("#chat-log li"), /^alice \[key [0-9a-f]{8}\]: meet at noon$/);
  await eve.waitForFunction(() => true);
  const closed = await readLater(eve, ["lattice", "credential"]);
  assert.equal(closed.falls, "false");
  assert.deepEqual(closed.messages, ["Alice: (unreadable)"]);
  const later = await readLater(eve, ["discreteLog"]);
  assert.deepEqual([later.falls, later.recovered], ["true", "false"]);
  assert.match(later.verdict, /Falls \(simulated\): Shor's algorithm/);
  assert.deepEqual(later.messages, ["Alice: (unreadable)"], "a simulated break decrypts nothing");
  await eve.screenshot({ path: `${shots}/kex-x25519-eve-later.png`, fullPage: true });
  assert.deepEqual([...alice.errors, ...bob.errors, ...eve.errors], []);
  await context.close();
});

test("the toy group: Eve's tab really decrypts the recorded chat after the discrete-log switch, and not before", async () => {
  const context = await browser.newContext();
  const { alice, bobLink, eveLink } = await openKexRoom(context, "toy-dh");
  const eve = await joinEve(context, eveLink, { mitm: "record" });
  const bob = await startWithBob(context, alice, bobLink);
  assert.equal(await kexFingerprint(bob), await kexFingerprint(alice));
  await chat(alice, bob, "the vault code is 4711");
  await chat(bob, alice, "noted");
  await eve.waitForFunction(() => true);
  const before = await readLater(eve, ["lattice", "credential"]);
  assert.equal(before.falls, "false");
  assert.deepEqual(before.messages, ["Alice: (unreadable)", "Bob: (unreadable)"]);
  const after = await readLater(eve, ["discreteLog"]);
  assert.deepEqual([after.falls, after.recovered], ["true", "true"]);
  assert.match(after.verdict, /Broken for real in this tab/);
  assert.deepEqual(after.messages, ["Alice: the vault code is 4711 (decrypted years later)", "Bob: noted (decrypted years later)"]);
  await eve.screenshot({ path: `${shots}/kex-toy-eve-later.png`, fullPage: true });
  await context.close();
});

test("a QKD round recorded by Eve stays closed under every switch", async () => {
  const context = await browser.newContext();
  // Enough pulses that the round's key fills the authentication pools and still stores keys
  // for the chat (a key near 2,500 bits, as 300,000 pulses give, sometimes left none).
  const { alice, bobLink, eveLink } = await openRoom(context, { pulses: 600000 });
  const eve = await joinEve(context, eveLink, { mitm: "record", psk: pskOf(bobLink) });
  const bob = await startWithBob(context, alice, bobLink);
  assert.equal(await outcome(alice), "ok");
  assert.equal(await outcome(bob), "ok");
  await chat(alice, bob, "quantum hello");
  const later = await readLater(eve, ["discreteLog", "lattice", "credential"]);
  assert.deepEqual([later.falls, later.recovered], ["false", "false"]);
  assert.match(later.verdict, /stays closed under every switch/);
  assert.match(later.verdict, /recorded frames verify/);
  assert.deepEqual(later.messages, ["Alice: (unreadable)"]);
  await context.close();
});

test("a man in the middle on a classical exchange: with the PSK two keys and a dead chat, without it Bob refuses at the first tag", async () => {
  for (const method of ["ml-kem-768", "hybrid"]) {
    const context = await browser.newContext();
    const { alice, bobLink, eveLink } = await openKexRoom(context, method);
    const eve = await joinEve(context, eveLink, { mitm: "full", psk: pskOf(bobLink) });
    const bob = await startWithBob(context, alice, bobLink);
    const [fa, fb] = [await kexFingerprint(alice), await kexFingerprint(bob)];
    assert.notEqual(fa, fb, `${method}: Alice and Bob hold different keys`);
    await eve.waitForSelector("#eve-guess:not([hidden])");
    const says = await eve.textContent("#eve-guess");
    assert.ok(says.replace(/ /g, "").includes(fa) && says.replace(/ /g, "").includes(fb), says);
    await alice.fill("#chat-form input[name=text]", "secret plans");
    await alice.click("#chat-form button");
    await bob.waitForSelector("#chat-log li.bad");
    await context.close();
  }
  const context = await browser.newContext();
  const { alice, bobLink, eveLink } = await openKexRoom(context, "x25519");
  await joinEve(context, eveLink, { mitm: "full", psk: "13".repeat(32) });
  const bob = await startWithBob(context, alice, bobLink);
  await bob.waitForSelector("#kex-outcome.bad");
  assert.match(await bob.textContent("#kex-outcome"), /auth_bad_tag|tag/);
  assert.equal(await alice.getAttribute("#kex", "data-fingerprint"), null);
  await context.close();
});

test("the comparison table: measured rows for QKD and the three classical methods", async () => {
  const context = await browser.newContext();
  const alice = await tab(context, base);
  await alice.click("#compare-measure");
  await alice.waitForSelector("#compare-table table", { timeout: 60_000 });
  const rows = await alice.$$eval("#compare-table tbody tr", (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  assert.equal(rows[0].length, 5);
  const bytes = rows.find((r) => r[0].startsWith("bytes exchanged"));
  const [x, mlkem, hybrid] = bytes.slice(2).map((c) => Number(c.match(/^([\d,]+) B/)[1].replace(/,/g, "")));
  assert.ok(x < 400 && mlkem > 2272 && hybrid === mlkem + 64, bytes.join(" | "));
  assert.match(rows.find((r) => r[0].startsWith("time per key")).slice(1).join(" "), /\d+ ms.*\d ms.*\d ms.*\d ms/);
  assert.match(rows.find((r) => r[0].startsWith("record now")).join(" "), /falls only if both fall/);
  await alice.screenshot({ path: `${shots}/compare.png`, fullPage: true });
  await context.close();
});

/** A link's hash parameter. */
const param = (link, name) => new URLSearchParams(new URL(link).hash.slice(1)).get(name);

/** Carol's tab signs every key she is asked to, once both requests are in. */
async function carolSignsBoth(carol) {
  for (const name of ["alice", "bob"]) {
    await carol.click(`#carol-requests li[data-name=${name}] button`);
  }
}

test("CA certificates: each tab verifies the other's chain to the root it trusts, then the same key", async () => {
  const context = await browser.newContext();
  const { alice, bobLink } = await openRoom(context, { bootstrap: "ca" });
  assert.match(await alice.textContent("#bob-link-label"), /provisioned/);
  const bob = await startWithBob(context, alice, bobLink);
  assert.equal(await outcome(alice), "ok");
  assert.equal(await outcome(bob), "ok");
  assert.equal(await bob.textContent("#fingerprint"), await alice.textContent("#fingerprint"));
  for (const [page, peer] of [[alice, "bob"], [bob, "alice"]]) {
    assert.equal(await page.getAttribute("#anchor", "data-state"), "accepted");
    const chain = await page.$$eval("#anchor-chain li", (l) => l.map((x) => x.textContent));
    assert.equal(chain.length, 3, chain.join(" / "));
    assert.match(chain[0], /^root \(your trust anchor\): "qkdlab playground root CA", issued by "qkdlab playground root CA"/);
    assert.match(chain[1], /^issuing CA: "qkdlab playground issuing CA", issued by "qkdlab playground root CA"/);
    assert.match(chain[2], new RegExp(`^${peer}'s certificate: "${peer}", issued by "qkdlab playground issuing CA"`));
  }
  // The key Bob pinned is the one in Alice's own certificate, as her tab shows it.
  const aliceKey = (await alice.textContent("#anchor-figures")).match(/your certificate"alice", from the issuing CA \(key ([0-9a-f ]+)\)/)[1];
  assert.ok((await bob.textContent("#anchor-figures")).includes(`Alice's key, pinned for round 1${aliceKey}`));
  await alice.screenshot({ path: `${shots}/anchor-ca-alice.png`, fullPage: true });
  assert.deepEqual([...alice.errors, ...bob.errors], []);
  await context.close();
});

test("CA: Eve holding the CA's key during round 1 cuts the link; with another key her chains are refused", async () => {
  const context = await browser.newContext();
  const { alice, bobLink, eveLink } = await openRoom(context, { bootstrap: "ca" });
  const caKey = (await alice.textContent("#anchor-secret code")).trim();
  assert.match(caKey, /^[0-9a-f]{64}$/);
  const eve = await joinEve(context, eveLink, { mitm: "full", psk: caKey });
  const bob = await startWithBob(context, alice, bobLink);
  await assertTwoKeys(alice, bob, eve);
  // Both chains verified: the forgery is a valid chain to the same root.
  for (const page of [alice, bob]) assert.equal(await page.getAttribute("#anchor", "data-state"), "accepted");
  await context.close();

  // Eve with a key that is not the CA's: her chains do not verify and nobody pins her key.
  const context2 = await browser.newContext();
  const room2 = await openRoom(context2, { bootstrap: "ca" });
  await joinEve(context2, room2.eveLink, { mitm: "full", psk: "42".repeat(32) });
  const bob2 = await tab(context2, room2.bobLink);
  for (const page of [room2.alice, bob2]) {
    await page.waitForSelector("#anchor[data-state=refused]", { state: "attached" });
    assert.match(await page.textContent("#anchor-outcome"), /cert_bad_signature/);
  }
  assert.equal(await room2.alice.isDisabled("#start"), true, "no key pinned, no round");
  await context2.close();
});

test("web of trust: Carol's tab signs both keys after comparing fingerprints, then the same key in both tabs", async () => {
  const context = await browser.newContext();
  const { alice, bobLink } = await openRoom(context, { bootstrap: "wot" });
  const carolLink = await alice.getAttribute("#carol-link", "href");
  assert.equal(param(bobLink, "csk"), null, "Bob's link carries no secret of Carol's");
  assert.match(param(bobLink, "cpk"), /^[0-9a-f]{64}$/);
  const carol = await tab(context, carolLink);
  const bob = await tab(context, bobLink);
  await carol.waitForSelector("#carol-requests li[data-name=bob]");
  await carol.waitForSelector("#carol-requests li[data-name=alice]");
  // The fingerprint Carol sees for each key is the one its owner reads her.
  for (const [page, name] of [[alice, "alice"], [bob, "bob"]]) {
    const own = (await page.textContent("#anchor-figures")).match(/your key \(read it to Carol\)([0-9a-f ]+)/)[1];
    assert.ok((await carol.textContent(`#carol-requests li[data-name=${name}]`)).includes(own));
  }
  // Before Carol signs, Alice cannot start: no key is accepted for Bob.
  assert.equal(await alice.isDisabled("#start"), true);
  await carolSignsBoth(carol);
  await alice.waitForSelector("#start:not([disabled])");
  await alice.click("#start");
  assert.equal(await outcome(alice), "ok");
  assert.equal(await outcome(bob), "ok");
  assert.equal(await bob.textContent("#fingerprint"), await alice.textContent("#fingerprint"));
  for (const page of [alice, bob]) {
    assert.equal(await page.getAttribute("#anchor", "data-state"), "accepted");
    assert.match(await page.textContent("#anchor-figures"), /vouchCarol \([0-9a-f ]+\) signed: key [0-9a-f ]+ is (Alice|Bob)'s/);
  }
  await carol.screenshot({ path: `${shots}/anchor-wot-carol.png`, fullPage: true });
  assert.deepEqual([...alice.errors, ...bob.errors, ...carol.errors], []);
  await context.close();
});

test("web of trust: Eve with Carol's key in round 1 sits in the middle; leaked after round 1 it is refused and round 2 goes on", async () => {
  const context = await browser.newContext();
  const { alice, bobLink, eveLink } = await openRoom(context, { bootstrap: "wot" });
  const carolLink = await alice.getAttribute("#carol-link", "href");
  const eve = await joinEve(context, eveLink, { mitm: "full", psk: param(carolLink, "csk") });
  await tab(context, carolLink);
  const bob = await startWithBob(context, alice, bobLink);
  await assertTwoKeys(alice, bob, eve);
  await context.close();

  // The same key leaking after round 1: Eve's vouches come too late.
  const context2 = await browser.newContext();
  const r = await openRoom(context2, { bootstrap: "wot" });
  const carolLink2 = await r.alice.getAttribute("#carol-link", "href");
  const eve2 = await joinEve(context2, r.eveLink, { mitm: "leak", psk: param(carolLink2, "csk") });
  const carol2 = await tab(context2, carolLink2);
  const bob2 = await tab(context2, r.bobLink);
  await carol2.waitForSelector("#carol-requests li[data-name=bob]");
  await carol2.waitForSelector("#carol-requests li[data-name=alice]");
  await carolSignsBoth(carol2);
  await r.alice.waitForSelector("#start:not([disabled])");
  await r.alice.click("#start");
  assert.equal(await outcome(r.alice), "ok");
  assert.equal(await outcome(bob2), "ok");
  assert.equal(await bob2.textContent("#fingerprint"), await r.alice.textContent("#fingerprint"));
  await eve2.waitForSelector("#eve-guess:not([hidden])");
  assert.match(await eve2.textContent("#eve-guess"), /leaked after round 1/);
  for (const page of [r.alice, bob2]) {
    await page.waitForSelector("#anchor[data-refusals='1']", { state: "attached" });
    assert.match(await page.textContent("#anchor-outcome"), /and pinned: .* Later: Refused .*\(pinned\): a second key .* refused, the pin stays/);
    assert.equal(await page.getAttribute("#anchor", "data-state"), "accepted", "the pin and its panel stay");
  }
  await r.alice.click("#start:not([disabled])");
  for (const page of [r.alice, bob2]) await page.waitForSelector("#status[data-round='2'][data-outcome='ok']", { state: "attached", timeout: 60_000 });
  assert.equal(await bob2.textContent("#fingerprint"), await r.alice.textContent("#fingerprint"));
  await context2.close();
});
