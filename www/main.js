// The playground: wires the model (the core's Link over the relay, Eve's attacks, the chat)
// to the panels in ui/. No protocol logic and no prose of its own.
import init, * as qkd from "/pkg/web/qkdlab.js";
import { readHash, writeHash, linkProblem } from "./ui/url.js";
import { say, sayError } from "./ui/notice.js";
import { initSetup, initLinks } from "./ui/setup.js";
import { initStatus, setStages } from "./ui/status.js";
import { initEve } from "./ui/eve.js";
import { initChat } from "./ui/chat.js";
import { initPlot } from "./ui/plot.js";
import { initDistance, MODELS } from "./ui/distance.js";
import { initPulses } from "./ui/pulses.js";
import { initPool, showSafetyNumber } from "./ui/pool.js";
import { RelayLink, fingerprintOfBytes, formatFingerprint } from "./model/party.js";
import { Chat } from "./model/chat.js";
import { missingWasmSupport } from "./model/support.js";
import { eveAttack } from "./model/eve.js";
import { Recorder } from "./model/later.js";
import { comparisonRows } from "./model/compare.js";
import { initKex, showComparison } from "./ui/kex.js";
import { initLater } from "./ui/later.js";
import { plainWords, eveSays } from "./ui/words.js";
import { AnchorPeer, provisionCa, toB64, fromB64, chainFrom, toHex, keyFingerprint, stolenAnchor, vouchFor, ROOT_NAME } from "./model/anchors.js";
import { initAnchor, initCarol } from "./ui/anchor.js";

const $ = (id) => document.getElementById(id);
const wsUrl = () => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

function fromHex(field, h, bytes = 32) {
  if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(h ?? "")) throw new Error(`${field} must be ${bytes * 2} hex digits`);
  return Uint8Array.from(h.match(/../g), (x) => parseInt(x, 16));
}

function channelOf(v) {
  return {
    lengthKm: Number(v.lengthKm), errorRate: Number(v.errorRate),
    detectorEfficiency: Number(v.detectorEfficiency), darkCountProb: Number(v.darkCountProb),
    watchdog: v.watchdog === "on",
  };
}

/** The source options of the form (the core checks them). */
function sourceOf(v) {
  if (v.source === "weak-no-decoys") return { kind: "weak-coherent", signal: Number(v.signal), decoys: false, pKeyBasis: Number(v.pKeyBasis) };
  if (v.source !== "weak-coherent") return { kind: "single-photon" };
  const [pSignal, pDecoy, pVacuum] = String(v.classProbs).split("/").map(Number);
  return { kind: "weak-coherent", signal: Number(v.signal), decoy: Number(v.decoy), pSignal, pDecoy, pVacuum, pKeyBasis: Number(v.pKeyBasis) };
}

/** The key-rate chart: the analytic curves for the form's channel, the runs on top. */
let distance = null;
function drawCurves(v) {
  distance ??= initDistance($("distance"), $("distance-plot"));
  const channel = {
    attenuationDbPerKm: qkd.defaults().channel.attenuationDbPerKm,
    // Bob's total efficiency: the detectors behind the receiver's insertion loss.
    detectorEfficiency: Number(v.detectorEfficiency) * 10 ** (-qkd.defaults().channel.insertionLossDb / 10),
    darkCountProb: Number(v.darkCountProb), errorRate: Math.max(Number(v.errorRate), 1e-6),
  };
  // A half-typed or empty field: keep the last curves (nothing to draw from NaN).
  if (!Object.values(channel).every(Number.isFinite) || !(channel.detectorEfficiency > 0) || v.darkCountProb === "" || v.errorRate === "") return;
  try {
    const max = Object.fromEntries(MODELS.map(([model]) => [model, qkd.maxDistance({ ...channel, model })]));
    const range = Math.max(20, Math.min(400, Math.ceil((max["single-photon"] * 1.1) / 10) * 10));
    if (!Number.isFinite(range)) return;
    const curves = MODELS.map(([model, label]) => ({
      model, label, maxKm: max[model],
      points: Array.from({ length: 121 }, (_, i) => (i * range) / 120).map((km) => [km, qkd.keyRate({ ...channel, model, lengthKm: km }).bitsPerPulse]),
    }));
    distance.curves(curves, range);
  } catch {
    // A half-typed form: keep the last curves.
  }
}
const addRun = (km, r, label) => distance?.run(km, r.ok ? r.finalKeyBits / r.summary.pulses : 0, label);

/** Everything one side (Alice or Bob) shows at the end of a round: the core's outcome (its
 * fingerprint, pools and stores), the chart and the chat. */
function roundView(side) {
  const { party, status } = side;
  const pool = () => (party.poolView ??= initPool($("pool")));
  const plot = () => (party.plotView ??= initPlot($("plot")));
  const counts = () => {
    const [ab, ba] = party.link.storedKeyCounts;
    return { ab, ba };
  };
  return {
    ended(e) {
      pool().round(e, counts());
      if (e.summary) plot().add(e.summary.qber, e.ok ? e.keyBits : 0);
      if (e.ok) {
        status.done(formatFingerprint(e.fingerprint), e.keyBits - 32);
        openChat(side);
      }
    },
    stopped(message) {
      pool().stopped(message);
      status.failed("auth_pool_exhausted", message);
    },
  };
}

/** The pulse table of this tab's party (one per tab, redrawn each round). */
function pulseTable(side, who) {
  return (side.pulses ??= initPulses($("status"), `The first pulses, as ${who} knows them`));
}

/** The round's public outcome for the room (Eve's tab shows what her attack did): only numbers
 * Alice and Bob disclose anyway, and no authority (a status message decides nothing). */
function publishOutcome(side, { round, ok, code, summary }) {
  if (!summary) return;
  side.party.sendText({
    type: "status", outcome: { round, ok, code, qber: summary.qber, sampleBits: summary.sampleBits, siftedBits: summary.siftedBits, clicks: summary.clicks },
  });
}

/** The chat panel over the link's key store (model/chat.js decides what a key may do). */
function openChat(side) {
  const { party, role } = side;
  if (side.chat) return;
  const chat = new Chat(party.link, role);
  const view = initChat($("chat"), {
    onSend: async (text) => {
      if (side.gone) return view.add("me", `(not sent: ${side.gone})`);
      let msg;
      try {
        msg = await chat.seal(text);
      } catch (e) {
        return view.add("me", `(not sent: ${e.body?.message ?? e.message})`);
      }
      party.sendText(msg);
      view.add(`me [key ${msg.keyId.slice(0, 8)}]`, text);
    },
  });
  side.chatView = view;
  if (side.gone) view.closed(side.gone);
  $("chat-key").textContent = "One fresh 256-bit key from the key store per message, named by its key id.";
  side.chat = async (msg) => {
    const r = await chat.open(msg);
    if (r === null) return; // not from the peer: the relay stamps the sender
    const key = r.keyId.slice(0, 8);
    if (r.ok) view.add(`${msg.from} [key ${key}]`, r.text);
    else if (r.reason === "unknown key") view.bad(msg.from, `(a message under key ${key}, which this side does not hold: it does not decrypt here)`);
    else view.add(`${msg.from} [key ${key}]`, null);
  };
}

/** What a tab says when its connection to the relay ends (with the relay's reason, if any). */
function closedWords(msg, role) {
  const next = role === "alice" ? "Open a new room to go on." : "Ask Alice for a new link.";
  return `${msg.reason ? `The relay closed this tab's connection: ${msg.reason}.` : "The connection to the relay was lost: this tab can no longer take part."} ${next}`;
}

/** The peer is gone for good (the room closed, or this tab's connection): the chat stops
 * sending, so no key is spent on a message nobody can receive. */
function peerGone(side, why) {
  side.gone = why;
  side.chatView?.closed(why);
}

/** What both sides do with their link's events; the header line follows the round. */
function onRoundEvents(side, view, type, msg) {
  const who = side.role === "alice" ? "Alice" : "Bob";
  if (type === "chat") side.chat?.(msg);
  else if (type === "round") {
    side.round = msg.round;
    side.status.round(msg.round);
    side.status.auth(msg.mode, msg.tags);
    say(`You are ${who}. Round ${msg.round} is running.`);
  }
  else if (type === "progress") {
    if (msg.corrections !== undefined && msg.corrections !== null) side.status.corrections(msg.corrections);
    side.status.progress(msg.state, msg.summary);
    if (msg.pulseView) pulseTable(side, who).show(msg.pulseView);
    const stage = side.status.stage();
    if (stage && msg.state !== "Finished") say(`You are ${who}. Round ${side.round ?? 1}: ${stage}…`);
  }
  else if (type === "done") {
    side.status.summary(msg.summary);
    pulseTable(side, who).show(msg.pulseView);
    say(`You are ${who}. Round ${msg.round}: a shared key of ${msg.keyBits - 32} bits, verified by both sides.`);
    publishOutcome(side, { round: msg.round, ok: true, summary: msg.summary });
    view.ended(msg);
  } else if (type === "failed") {
    side.status.summary(msg.summary);
    if (msg.event?.pulseView) pulseTable(side, who).show(msg.event.pulseView);
    const plain = plainWords(msg.code, msg.message);
    side.status.failed(msg.code, plain, msg.message);
    say(`You are ${who}. Round ${msg.event?.round ?? side.round ?? 1} ended without a key: ${plain}`);
    publishOutcome(side, { round: msg.event?.round ?? side.round, ok: false, code: msg.code, summary: msg.summary });
    if (msg.event) view.ended(msg.event);
  } else if (type === "refused") side.status.refused?.(msg.code, msg.message);
}

/** The comparison table on Alice's page, measured on demand (a QKD round takes a moment). */
function initCompare() {
  const root = $("compare");
  root.hidden = false;
  $("compare-measure").addEventListener("click", () => {
    $("compare-measure").disabled = true;
    say("Measuring the four methods in this tab…");
    setTimeout(() => {
      try {
        showComparison($("compare-table"), comparisonRows(qkd));
        say("Measured: see the comparison table.");
      } catch (e) {
        sayError(`The measurement failed: ${e.message}`);
      }
      $("compare-measure").disabled = false;
    });
  });
}

const ROOM_OPEN = {
  psk: "Room open. Send Bob his link; Eve may join with hers before you start.",
  pki: "Room open (public-key bootstrap). Send Bob his link, then compare safety numbers.",
  ca: "Room open (CA certificates). Send Bob his link: it carries his provisioned identity. Eve joins before Bob if she is to sit in the middle.",
  wot: "Room open (web of trust). Send Bob his link and Carol hers; read your key's fingerprint to Carol so she can sign it.",
};

/** The anchor's side in a party's tab: the check that pins the peer's key, and its panel.
 * `pin(key)` runs once, with the first key the anchor vouched for. */
function anchorSide(kind, role, material, send, pin) {
  const view = initAnchor($("anchor"), kind);
  const peerName = role === "alice" ? "Bob" : "Alice";
  const peer = new AnchorPeer(qkd, { kind, role, ...material }, send, {
    pinned(key, shown) {
      pin(key); // opens the endpoint; if that throws, nothing is shown as pinned
      if (kind === "ca") view.chain(shown, peerName.toLowerCase());
      else view.show("vouch", `Carol (${shown.introducer}) signed: key ${shown.key} is ${peerName}'s`);
      view.show(`${peerName}'s key, pinned for round 1`, keyFingerprint(key));
      view.accepted(`${peerName}'s key verified by the ${kind === "ca" ? "certificate chain" : "web of trust"} and pinned: round 1 is signed with it.`);
    },
    refused(code, text, afterPin) {
      view.refused(`Refused ${peerName}'s credential (${code}): ${text}`, afterPin);
    },
  });
  return { peer, view };
}

/** Alice's anchor: the playground CA provisions both sides, or Carol's key pair is made for her
 * link. Returns the links' extras and the anchor's side, or null for the PSK and safety numbers. */
function anchorForAlice(kind, identity, send, pin) {
  if (kind === "ca") {
    const ca = provisionCa(qkd, identity);
    const side = anchorSide("ca", "alice", { identity, root: ca.root, chain: ca.aliceChain }, send, pin);
    side.view.show("you trust", `the root "${ROOT_NAME}" (key ${keyFingerprint(qkd.describeCertificate(ca.root).publicKey)})`);
    side.view.show("your certificate", `"alice", from the issuing CA (key ${keyFingerprint(identity.publicKey)})`);
    side.view.secret(toHex(ca.rootSecret));
    const bobExtra = { bootstrap: "ca", root: toB64(ca.root), bsk: toHex(ca.bob.secretKey), chain: ca.bob.chain.map(toB64).join(".") };
    return { ...side, bobExtra };
  }
  if (kind === "wot") {
    const carol = new qkd.Identity();
    const side = anchorSide("wot", "alice", { identity, carolKey: carol.publicKey }, send, pin);
    side.view.show("you trust", `Carol, fully (key ${keyFingerprint(carol.publicKey)})`);
    side.view.show("your key (read it to Carol)", keyFingerprint(identity.publicKey));
    return { ...side, bobExtra: { bootstrap: "wot", cpk: toHex(carol.publicKey) }, carolExtra: { bootstrap: "wot", csk: toHex(carol.secretKey) } };
  }
  return null;
}

/** Bob's anchor from his link: his provisioned identity and the root (CA), or Carol's key and
 * a fresh identity of his own (web of trust). Throws on a malformed link. */
function anchorForBob(hash, send, pin) {
  if (hash.bootstrap === "ca") {
    const identity = qkd.Identity.fromSecretKey(fromHex("Bob's secret key", hash.bsk));
    const root = fromB64("the root certificate", hash.root);
    const chain = chainFrom("Bob's chain", String(hash.chain ?? "").split("."));
    // The link's certificate must be Bob's and for this very key, or round 1 would fail later
    // with a less helpful error.
    const own = qkd.describeCertificate(chain[0]);
    if (own.subject !== "bob" || hex(own.publicKey) !== hex(identity.publicKey)) throw new Error("the certificate in this link is not Bob's for the key it carries");
    const side = anchorSide("ca", "bob", { identity, root, chain }, send, pin);
    side.view.show("you trust", `the root "${qkd.describeCertificate(root).subject}" (key ${keyFingerprint(qkd.describeCertificate(root).publicKey)})`);
    side.view.show("your certificate", `"${qkd.describeCertificate(chain[0]).subject}", issued by "${qkd.describeCertificate(chain[0]).issuer}" (key ${keyFingerprint(identity.publicKey)})`);
    return { ...side, identity };
  }
  const identity = new qkd.Identity();
  const carolKey = fromHex("Carol's public key", hash.cpk);
  const side = anchorSide("wot", "bob", { identity, carolKey }, send, pin);
  side.view.show("you trust", `Carol, fully (key ${keyFingerprint(carolKey)})`);
  side.view.show("your key (read it to Carol)", keyFingerprint(identity.publicKey));
  return { ...side, identity };
}

/** The panel for the two anchors without a chain: the PSK, and public keys checked by a
 * safety number (this side's own key shown; the peer's when pinned). */
function plainAnchor(kind, identity) {
  const view = initAnchor($("anchor"), kind);
  if (kind === "psk") {
    view.show("you trust", "the pre-shared key (32 bytes, in Bob's link; never shown)");
    view.accepted("Round 1 is accepted only with tags that verify under the pre-shared key.");
  } else {
    view.show("you trust", "the safety number, compared by voice");
    view.show("your key", keyFingerprint(identity.publicKey));
  }
  return view;
}

function runAlice(hash) {
  say("You are Alice: choose the parameters, then invite Bob.");
  initCompare();
  const setup = initSetup($("setup"), hash, qkd.defaults(), {
    onChange: drawCurves,
    onRunLocal: (v) => runLocal(v).catch((e) => sayError(`Error: ${e.message}`)),
    onOpenRoom: (v) => {
      let psk;
      try {
        if (v.bootstrap === "psk") psk = fromHex("the pre-shared key", v.psk);
      } catch (e) {
        return sayError(`Error: ${e.message}`);
      }
      // Alice's own URL keeps no key material and no seed: only Bob's invitation carries the PSK.
      writeHash({ ...v, psk: undefined, seed: undefined });
      setup.disable();
      const pki = v.bootstrap === "pki";
      // A classical key exchange instead of QKD: the same room, frames, chat and key stores.
      const kex = v.kex && v.kex !== "qkd" ? v.kex : null;
      const method = kex ? { method: kex } : {};
      const identity = v.bootstrap !== "psk" ? new qkd.Identity() : null;
      let bobKey = null;
      let roles = [];
      let links;
      const side = { role: "alice" };
      const canStart = () => (v.bootstrap === "psk" || bobKey !== null) && party.ready;
      // A CA or a web of trust: the anchor's material, the links that carry it, and the check
      // that pins Bob's key (then round 1 is signed as with a compared safety number).
      const plainView = v.bootstrap === "psk" || pki ? plainAnchor(v.bootstrap, identity) : null;
      const anchored = anchorForAlice(v.bootstrap, identity, (m) => party.sendText(m), (key) => {
        bobKey = key;
        party.open({ auth: { mode: "pki", secretKey: identity.secretKey, peerPublicKey: key }, ...method });
        links?.members(roles.length ? roles : ["alice", "bob"], canStart());
      });
      const party = new RelayLink(qkd, {
        role: "alice",
        url: wsUrl(),
        onEvent: (type, msg) => {
          if (type === "joined") {
            if (psk) party.open({ auth: { mode: "psk", psk }, ...method });
            links = initLinks($("links"), {
              room: msg.room,
              extra: { ...(anchored?.bobExtra ?? (pki ? { bootstrap: "pki", apk: hex(identity.publicKey) } : { psk: v.psk })), ...(kex ? { kex } : {}) },
              eveExtra: { ...(kex ? { kex } : {}), ...(anchored ? { bootstrap: v.bootstrap } : {}) },
              carolExtra: anchored?.carolExtra,
              onStart: () => {
                links.started();
                if (kex) {
                  side.kexView ??= initKex($("kex"), kex);
                  side.kexView.state("Alice sent her share; waiting for Bob's");
                  try {
                    party.startKex();
                  } catch (e) {
                    side.kexView.failed(e.code ?? "error", e.message);
                  }
                  return;
                }
                side.status ??= initStatus($("status"));
                side.view ??= roundView(side);
                try {
                  // Relay mode: every random choice comes from the OS, never from a seed.
                  party.startRound({ pulses: Number(v.pulses), reconciliation: v.reconciliation, tags: v.tags, source: sourceOf(v) });
                } catch (e) {
                  if (e.code === "auth_pool_exhausted") side.view.stopped(e.message);
                  else side.status.failed(e.code ?? "error", plainWords(e.code, e.message), e.message);
                  links.nextRound();
                }
              },
            });
            say(ROOM_OPEN[v.bootstrap] ?? ROOM_OPEN.psk);
          } else if (type === "members") {
            roles = msg.roles;
            anchored?.peer.members(roles);
            links?.members(roles, canStart());
          } else if (type === "ready") links?.members(roles, canStart());
          else if (type === "closed") {
            links?.closed();
            peerGone(side, "this tab's connection to the relay is closed");
            sayError(closedWords(msg, "alice"));
          }
          else if (type === "status" && anchored?.peer.status(msg)) return;
          else if (kex && type === "kexDone") {
            side.kexView.done(msg);
            say(`You are Alice. ${kex}: a shared key with fingerprint ${formatFingerprint(msg.fingerprint)}; Bob's tag over the whole exchange verified.`);
            openChat(side);
          } else if (kex && (type === "refused" || type === "kexFailed")) {
            (side.kexView ??= initKex($("kex"), kex)).failed(msg.code, `${plainWords(msg.code, msg.message)} (${msg.message})`);
          }
          else if (kex && type === "chat") side.chat?.(msg);
          else if (type === "status" && msg.identity && pki) {
            // Bob's identity is accepted once, from the relay-stamped Bob, and then frozen.
            if (msg.from !== "bob") return;
            const offered = String(msg.identity);
            if (bobKey !== null) {
              if (offered !== hex(bobKey)) say("Refused: a second public key for Bob arrived after his key was pinned. The safety number stays as compared.");
              return;
            }
            try {
              bobKey = fromHex("Bob's public key", offered);
            } catch (e) {
              return say(`Refused Bob's public key: ${e.message}`);
            }
            party.open({ auth: { mode: "pki", secretKey: identity.secretKey, peerPublicKey: bobKey }, ...method });
            plainView?.show("Bob's key, pinned for round 1", keyFingerprint(bobKey));
            side.status ??= initStatus($("status"));
            showSafetyNumber($("safety"), qkd.safetyNumber(identity.publicKey, bobKey));
            links?.members(roles.length ? roles : ["alice", "bob"], canStart());
          } else if (side.view) {
            onRoundEvents(side, side.view, type, msg);
            if ((type === "done" || type === "failed") && (msg.summary ?? msg.event?.summary)) {
              const summary = msg.summary ?? msg.event.summary;
              const bits = type === "done" ? msg.keyBits : 0;
              distance?.run(Number(v.lengthKm), summary.pulses ? bits / summary.pulses : 0, `relay round ${msg.round ?? ""}`);
            }
            if (type === "done" || type === "failed") links?.nextRound(canStart());
          }
        },
      });
      side.party = party;
      party.join({ channel: channelOf(v) }).catch((e) => sayError(`Error: ${e.message}`));
    },
  });
}

function runBob(hash) {
  say("You are Bob: waiting for Alice's photons.");
  const pki = hash.bootstrap === "pki";
  const kex = hash.kex && hash.kex !== "qkd" ? hash.kex : null;
  let auth;
  let identity = null;
  let anchored = null;
  try {
    if (hash.bootstrap === "ca" || hash.bootstrap === "wot") {
      // The anchor pins Alice's key; the endpoint opens then.
      anchored = anchorForBob(hash, (m) => party.sendText(m), (key) => {
        party.open({ auth: { mode: "pki", secretKey: anchored.identity.secretKey, peerPublicKey: key }, ...(kex ? { method: kex } : {}) });
      });
    } else if (pki) {
      identity = new qkd.Identity();
      auth = { mode: "pki", secretKey: identity.secretKey, peerPublicKey: fromHex("Alice's public key", hash.apk) };
    } else {
      auth = { mode: "psk", psk: fromHex("the pre-shared key", hash.psk) };
    }
  } catch (e) {
    return sayError(`This link is incomplete (${e.message}). Ask Alice for a new one.`);
  }
  const side = { role: "bob", status: kex ? null : initStatus($("status")) };
  if (kex) side.kexView = initKex($("kex"), kex);
  const party = new RelayLink(qkd, {
    role: "bob",
    url: wsUrl(),
    onEvent: (type, msg) => {
      if (type === "joined" && msg.room !== hash.room) return sayError("The relay put this tab in another room than the link names.");
      if (type === "closed") {
        peerGone(side, "this tab's connection to the relay is closed");
        if (!msg.reason) return sayError(closedWords(msg));
        side.kexView?.failed("relay_closed", `The relay refused this link: ${msg.reason}.`);
        side.status?.failed("relay_closed", `The relay refused this link: ${msg.reason}.`);
        return sayError(`The relay refused this link: ${msg.reason}. Ask Alice for a new one.`);
      }
      if (type === "left" && msg.role === "alice") {
        // Alice's departure closes the room: no round and no message can follow.
        peerGone(side, "Alice left and the room is closed");
        return sayError("Alice left, so the room is closed: no more rounds or messages here. Ask her for a new link.");
      }
      if (type === "helloRefused") {
        if (kex) return side.kexView.failed(msg.code, `${plainWords(msg.code, msg.message)} (${msg.message})`);
        say(`You are Bob. Alice's round was refused: ${plainWords(msg.code, msg.message)}`);
        return side.status.failed(msg.code, plainWords(msg.code, msg.message), msg.message);
      }
      if (kex && type === "kexDone") {
        side.kexView.done(msg);
        say(`You are Bob. ${kex}: a shared key with fingerprint ${formatFingerprint(msg.fingerprint)}; Alice's confirmation verified.`);
        return openChat(side);
      }
      if (kex && (type === "refused" || type === "kexFailed")) return side.kexView.failed(msg.code, `${plainWords(msg.code, msg.message)} (${msg.message})`);
      if (kex && type === "chat") return side.chat?.(msg);
      if (type === "members") anchored?.peer.members(msg.roles);
      if (type === "status" && anchored?.peer.status(msg)) return;
      if (type === "joined") {
        if (pki) {
          party.sendText({ type: "status", to: "alice", identity: hex(identity.publicKey) });
          showSafetyNumber($("safety"), qkd.safetyNumber(identity.publicKey, auth.peerPublicKey));
        }
        if (!anchored) {
          const view = plainAnchor(pki ? "pki" : "psk", identity);
          if (pki) view.show("Alice's key, pinned from the link", keyFingerprint(auth.peerPublicKey));
        }
        if (!anchored) party.open({ auth, ...(kex ? { method: kex } : {}) });
        if (!kex) side.view = roundView(side);
      } else if (side.view) onRoundEvents(side, side.view, type, msg);
    },
  });
  side.party = party;
  party.join({ room: hash.room }).catch((e) => sayError(`Error: ${e.message}`));
}

/** Most keys Carol's tab lists for signing. */
const MAX_CAROL_REQUESTS = 8;

function runCarol(hash) {
  say("You are Carol, an introducer: sign Alice's and Bob's keys once each has read you its fingerprint.");
  let carol;
  try {
    carol = qkd.Identity.fromSecretKey(fromHex("Carol's secret key", hash.csk));
  } catch (e) {
    return sayError(`This link is incomplete (${e.message}). Ask Alice for a new one.`);
  }
  const view = initCarol($("carol"), keyFingerprint(carol.publicKey));
  const requests = new Set();
  const party = new RelayLink(qkd, {
    role: "carol",
    url: wsUrl(),
    onEvent: (type, msg) => {
      if (type === "joined" && msg.room !== hash.room) return sayError("The relay put this tab in another room than the link names.");
      if (type === "closed") return sayError(closedWords(msg));
      if (type !== "status" || msg.identity === undefined || (msg.from !== "alice" && msg.from !== "bob")) return;
      let key;
      try {
        key = fromHex(`${msg.from}'s key`, msg.identity);
      } catch (e) {
        return say(`Ignored a malformed key from ${msg.from}: ${e.message}`);
      }
      // Her vouch goes to the other side, who needs it to accept this key.
      const to = msg.from === "alice" ? "bob" : "alice";
      // Each (name, key) once, and a bounded list: a flood of look-alike requests stops here.
      const seen = `${msg.from} ${msg.identity.toLowerCase()}`;
      if (requests.has(seen)) return;
      if (requests.size >= MAX_CAROL_REQUESTS) return say(`Ignored a further key from ${msg.from}: ${MAX_CAROL_REQUESTS} requests are listed already.`);
      requests.add(seen);
      view.request(msg.from, keyFingerprint(key), () => party.sendText({ type: "status", to, vouch: vouchFor(qkd, carol, msg.from, key) }));
    },
  });
  party.join({ room: hash.room }).catch((e) => sayError(`Error: ${e.message}`));
}

function runEve(hash) {
  say("You are Eve. Choose your attack, then join before Alice starts.");
  const eve = initEve($("eve"), {
    onJoin: ({ attack: fiberAttack, interceptFraction, basis, mitm, psk }) => {
      let auth = null;
      let anchor = null;
      const sendText = (m) => party.sendText(m);
      if (mitm === "full" || mitm === "leak") {
        try {
          // The secret she holds: the PSK, or the CA's or Carol's key when the link names that anchor.
          if (hash.bootstrap === "ca" || hash.bootstrap === "wot") {
            anchor = stolenAnchor(qkd, hash.bootstrap, fromHex("the stolen key", psk), { log: (e) => eve.log(eveSays(e)) });
          } else auth = { mode: "psk", psk: fromHex("the PSK", psk) };
        } catch (e) {
          return eve.log(`Error: ${e.message}`);
        }
      }
      const recorder = mitm === "record" ? new Recorder(qkd, hash.room) : null;
      if (recorder) {
        initLater($("later"), {
          onRead: (breaks) => recorder.yearsLater(breaks, breaks.credential && /^[0-9a-fA-F]{64}$/.test(psk ?? "") ? fromHex("the PSK", psk) : null),
        });
      }
      const attack = eveAttack(qkd, { mode: mitm, auth, anchor, sendText, room: hash.room, kex: hash.kex && hash.kex !== "qkd" ? hash.kex : null, recorder }, {
        log: (e) => {
          eve.frames(e);
          eve.log(eveSays(e));
        },
        guess: (e) => eve.guess(eveSays(e)),
      });
      const relayMitm = mitm === "off" ? false : mitm === "full" ? "full" : true;
      const party = new RelayLink(qkd, {
        role: "eve",
        url: wsUrl(),
        onEvent: (type, msg) => {
          if (type === "joined") {
            const onFiber = mitm === "full" ? "cutting the fiber (100 %)"
              : fiberAttack === "pns" ? "splitting every multi-photon pulse (PNS)"
              : fiberAttack === "blinding" ? "blinding Bob's detectors"
              : `intercepting ${interceptFraction * 100} % of the photons`;
            eve.log(`Joined. On the fiber: ${onFiber}; classical channel: ${mitm}.`);
            attack.joined((f) => party.ws.send(f));
          } else if (type === "frame") attack.frame(msg.frame, msg.send);
          else if (type === "status" && msg.to !== undefined && msg.to !== "eve") attack.status(msg).forEach(sendText);
          else if (type === "chat") recorder?.chat(msg);
          else if (type === "fiber") eve.fiber(msg);
          else if (type === "eveKnows") eve.knows(msg);
          else if (type === "status" && msg.outcome && (msg.from === "alice" || msg.from === "bob")) eve.outcome(msg.from, msg.outcome);
          else if (type === "peerAbort") eve.log(`${msg.from === "alice" ? "Alice" : "Bob"} ended the round: ${plainWords(msg.code, msg.message)}`);
          else if (type === "closed") sayError(closedWords(msg));
        },
      });
      const fiber = relayMitm === "full" ? {} : fiberAttack === "pns" || fiberAttack === "blinding" ? { attack: fiberAttack } : { interceptFraction, basis };
      party.join({ room: hash.room, ...fiber, mitm: relayMitm }).catch((e) => eve.log(`Error: ${e.message}`));
    },
  });
}

const localTables = {};
let localPlot = null;

/** Eve on the fiber in local mode. */
function eveOf(v) {
  if (v.localAttack === "pns" || v.localAttack === "blinding") return { attack: v.localAttack };
  const fraction = Number(v.interceptFraction || 0);
  if (v.localAttack === "intercept-resend" || fraction > 0) return { attack: "intercept-resend", interceptFraction: fraction };
  return undefined;
}

async function runLocal(v) {
  writeHash(v);
  const status = initStatus($("status"));
  // Both reconciliations replay the same photons, so the comparison is like for like.
  const seed = v.seed || [...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, "0")).join("");
  const options = {
    pulses: Number(v.pulses), seed, channel: channelOf(v), reconciliation: v.reconciliation, tags: v.tags,
    source: sourceOf(v), eve: eveOf(v),
    // Every anchor but the PSK ends in a pinned key; in one tab the keys are pinned directly.
    auth: v.bootstrap !== "psk" ? { mode: "pki" } : { mode: "psk", psk: fromHex("the pre-shared key", v.psk) },
  };
  let session;
  try {
    session = new qkd.Session(options);
  } catch (e) {
    return status.failed(e.code, `Bad parameters: ${e.message}`);
  }
  let state = session.progress.bob;
  while (session.step()) {
    state = session.progress.bob;
    status.progress(state);
    await new Promise((r) => setTimeout(r));
  }
  const r = session.report();
  status.auth(r.auth.mode, r.auth.tagMode);
  status.progress(r.ok ? "Finished" : state, r.summary); // the same summary shape as a relay round's
  if (r.ok) status.done(fingerprintOfBytes(r.keyAlice), r.finalKeyBits, { replay: true });
  else status.failed(r.error.code, plainWords(r.error.code, r.error.message), r.error.message);
  status.eve(r.eve);
  // Local mode runs both parties: each table shows what that party alone knows.
  localTables.alice ??= initPulses($("status"), "The first pulses, as Alice knows them");
  localTables.bob ??= initPulses($("status"), "The first pulses, as Bob knows them");
  localTables.alice.show(r.pulseViews[0]);
  localTables.bob.show(r.pulseViews[1]);
  localPlot ??= initPlot($("plot"));
  localPlot.add(r.summary.qber, r.ok ? r.finalKeyBits : 0);
  addRun(Number(v.lengthKm), r, `local run (${v.source}${options.eve ? `, Eve: ${options.eve.attack}` : ""})`);
  const other = options.reconciliation === "ldpc" ? "cascade" : "ldpc";
  const twin = qkd.simulate({ ...options, reconciliation: other });
  status.compare(options.reconciliation === "ldpc" ? [twin, r] : [r, twin]);
}

try {
  const missing = missingWasmSupport();
  if (missing) throw new Error(missing);
  await init();
  setStages(qkd.protocolStages());
  const hash = readHash();
  const problem = linkProblem(hash);
  if (problem) sayError(problem);
  else if (hash.role === "bob") runBob(hash);
  else if (hash.role === "eve") runEve(hash);
  else if (hash.role === "carol") runCarol(hash);
  else runAlice(hash);
} catch (e) {
  sayError(`The playground could not start: ${e.message}`);
}
