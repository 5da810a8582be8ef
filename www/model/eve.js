// Eve's attacks on the classical channel, over the relay (no DOM here). She sees only what the
// relay forwards to her tab: classical frames (never a photon's bit or basis).
// Reports go to `on`: log(text) for what she does, guess(result) for what she ends up with.
import { fingerprintOfBytes } from "./party.js";

/** The frame handler for Eve's mode: "off" | "edit" | "drop" | "inject" | "pass", "full" (she
 * runs a session with each side, holding the anchor's secret), "leak" (she records round 1 and
 * the secret leaks to her afterwards). `auth` is the PSK credential she knows, if any; `anchor`
 * her use of a stolen CA or introducer key (model/anchors.js `stolenAnchor`). Status messages
 * between the others pass through `status(msg)`, which returns what to send on. */
export function eveAttack(qkd, { mode, auth, room, kex, recorder, anchor, sendText }, on) {
  const attack = chooseAttack(qkd, { mode, auth, room, kex, recorder, anchor, sendText }, on);
  attack.status ??= (msg) => passStatus(mode === "full" ? anchor : null, msg);
  return attack;
}

/** A status between the others: passed on under its sender's name, or, with a stolen anchor,
 * swapped for her forgery (`anchor.status`); then each of `start` runs, so a session waiting
 * for the real key it faces begins once that key is known. */
function passStatus(anchor, msg, ...start) {
  if (!anchor) return [{ ...msg, as: msg.from }];
  const out = anchor.status(msg);
  start.forEach((f) => f());
  return out;
}

function chooseAttack(qkd, { mode, auth, room, kex, recorder, anchor, sendText }, on) {
  let seen = 0;
  if (mode === "full" && kex) return cutKex(qkd, { auth, room, kex, anchor }, on);
  if (mode === "full") return cutLink(qkd, { auth, room, anchor }, on);
  if (mode === "leak" && anchor) return forgeAfterRoundOne(qkd, { anchor, sendText }, on);
  if (mode === "leak") return recordThenBreak(qkd, { auth, room }, on);
  return {
    joined() {},
    frame(f, send) {
      seen++;
      recorder?.frame(f);
      if (seen !== 3 || !["edit", "drop", "inject"].includes(mode)) {
        on.log({ kind: "passed", count: seen });
        return send(f);
      }
      if (mode === "drop") return on.log({ kind: "dropped", index: seen });
      if (mode === "edit") {
        // One bit near the end: inside the tag of a tagged frame, inside the payload of an
        // untagged one (the transcript tags that follow cover it).
        const g = f.slice();
        g[g.length - 2] ^= 0x80;
        on.log({ kind: "edited", index: seen, bytes: g.length });
        return send(g);
      }
      // A forged copy with made-up bytes at the end (a tag, or the payload of an untagged
      // frame; the last byte kept so a bit string's padding stays valid), ahead of the real frame.
      const forged = f.slice();
      crypto.getRandomValues(forged.subarray(Math.max(11, forged.length - 33), forged.length - 1));
      send(forged);
      on.log({ kind: "injected", index: seen });
      send(f);
    },
  };
}

/** Two QKD sessions: as "Bob" with Alice, as "Alice" with Bob. With a stolen anchor, each
 * session starts once she has seen the real key of the side it faces. */
function cutLink(qkd, { auth, room, anchor }, on) {
  let herBob = null;
  let herAlice = null;
  let bobReady = null;
  let helloFromAlice = null;
  let sendFrame = null;
  let done = false;
  const facing = (peer) => (anchor ? anchor.auth(peer) : auth);
  // Her "Bob" announces his nonce to Alice.
  const startHerBob = () => {
    if (herBob || !sendFrame || !facing("alice")) return;
    herBob = new qkd.Bob({ auth: facing("alice"), link: room });
    sendFrame(herBob.readyFrame);
  };
  // Her "Alice" answers Bob once she has both Alice's parameters and Bob's nonce, whichever
  // arrives last.
  const startHerAlice = () => {
    if (herAlice || !helloFromAlice || !bobReady || !facing("bob")) return;
    const { pulses } = qkd.helloParams(helloFromAlice);
    herAlice = new qkd.Alice({ pulses, auth: facing("bob"), link: room });
    herAlice.start(bobReady).forEach(sendFrame);
  };
  return {
    joined(send) {
      sendFrame = send;
      startHerBob();
    },
    status: (msg) => passStatus(anchor, msg, startHerBob, startHerAlice),
    frame(f, send) {
      const info = qkd.frameInfo(f);
      if (info.type === "Ready") {
        bobReady = f; // Bob's nonce: her "Alice" starts with it
        return startHerAlice();
      }
      const toHerBob = info.type === "Detections" || info.direction === "aliceToBob";
      const out = [];
      try {
        out.push(...(toHerBob ? herBob?.handle(f) ?? [] : herAlice?.handle(f) ?? []));
      } catch (e) {
        on.log({ kind: "sessionFailed", with: toHerBob ? "alice" : "bob", code: e.code, message: e.message });
      }
      out.forEach(send);
      if (info.type === "Hello") {
        helloFromAlice = f;
        startHerAlice();
      }
      if (herBob?.finished && herAlice?.finished && !done) {
        done = true;
        on.guess({ kind: "twoKeys", withAlice: fingerprintOfBytes(herBob.takeKey()), withBob: fingerprintOfBytes(herAlice.takeKey()) });
      }
    },
  };
}

/** Two classical key exchanges: as "Bob" with Alice, as "Alice" with Bob (same method). */
function cutKex(qkd, { auth, room, kex, anchor }, on) {
  let herBob = null;
  let herAlice = null;
  let sendFrame = null;
  const keys = {};
  const facing = (peer) => (anchor ? anchor.auth(peer) : auth);
  const startHerBob = () => {
    if (herBob || !sendFrame || !facing("alice")) return;
    herBob = new qkd.KeyExchange({ role: "bob", method: kex, link: room, auth: facing("alice") });
    sendFrame(herBob.readyFrame);
  };
  const take = (side, step, send) => {
    step.frames.forEach(send);
    for (const e of step.events) {
      if (e.type === "established") keys[side] = e.fingerprint;
      else on.log({ kind: "sessionFailed", with: side, code: e.error.code, message: e.error.message });
    }
    if (keys.alice && keys.bob && !keys.told) {
      keys.told = true;
      on.guess({ kind: "twoKeys", withAlice: keys.alice.match(/.{4}/g).join(" "), withBob: keys.bob.match(/.{4}/g).join(" ") });
    }
  };
  return {
    joined(send) {
      sendFrame = send;
      startHerBob();
    },
    status: (msg) => passStatus(anchor, msg, startHerBob),
    frame(f, send) {
      const info = qkd.frameInfo(f);
      if (info.type === "Ready") {
        // Bob's nonce: her "Alice" starts her exchange with Bob (with a stolen anchor, she has
        // Bob's real key by now: his chain or his identity came before his nonce).
        if (!facing("bob")) return on.log({ kind: "sessionFailed", with: "bob", code: "no_key", message: "Bob's nonce came before his key" });
        herAlice = new qkd.KeyExchange({ role: "alice", method: kex, link: room, auth: facing("bob") });
        herAlice.handle(f);
        return take("bob", herAlice.start(), send);
      }
      if (info.direction === "aliceToBob") herBob && take("alice", herBob.handle(f), send);
      else if (herAlice) take("bob", herAlice.handle(f), send);
    },
  };
}

/** The anchor's secret leaks after round 1: when round 1 ends, Eve sends each side what the
 * anchor's check accepts as the other's key (hers). Both pinned their peer's key in round 1
 * and authenticate later rounds from their key pools: they refuse it. */
function forgeAfterRoundOne(qkd, { anchor, sendText }, on) {
  let done = false;
  return {
    joined() {},
    frame(f, send) {
      send(f);
      if (done || qkd.frameInfo(f).type !== "Done") return;
      done = true;
      for (const [to, name] of [["alice", "bob"], ["bob", "alice"]]) {
        const payload = anchor.forgeFor(name);
        sendText({ type: "status", to, as: payload.vouch ? "carol" : name, ...payload });
      }
      on.guess({ kind: "anchorLate" });
    },
  };
}

/** Record round 1; when it ends, the PSK "leaks" and Eve tries the transcript. */
function recordThenBreak(qkd, { auth, room }, on) {
  const recorded = [];
  let done = false;
  return {
    joined() {},
    frame(f, send) {
      send(f);
      if (done) return;
      recorded.push(f);
      if (qkd.frameInfo(f).type !== "Done") return;
      done = true;
      try {
        const r = qkd.breakLater(recorded, auth.psk, room);
        on.guess({ kind: "leaked", framesVerified: r.framesVerified, fingerprint: fingerprintOfBytes(r.guess) });
      } catch (e) {
        on.guess({ kind: "leakFailed", message: e.message });
      }
    },
  };
}
