// The playground: wires the model (the wasm package and the relay) to the panels in ui/.
import init, * as qkd from "/pkg/web/qkdlab.js";
import { readHash, writeHash } from "./ui/url.js";
import { initSetup, initLinks } from "./ui/setup.js";
import { initStatus } from "./ui/status.js";
import { initEve } from "./ui/eve.js";
import { initChat } from "./ui/chat.js";
import { initPlot } from "./ui/plot.js";
import { RelayParty, fingerprint, plainWords } from "./model/party.js";
import { chatKey, seal, open, AES_KEY_BITS } from "./model/chat.js";

const $ = (id) => document.getElementById(id);
const wsUrl = () => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
const say = (text) => ($("role-line").textContent = text);

function pskBytes(hex) {
  if (!/^[0-9a-fA-F]{64}$/.test(hex ?? "")) throw new Error("the pre-shared key must be 64 hex digits (32 bytes)");
  return Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16));
}

function channelOf(v) {
  return {
    lengthKm: Number(v.lengthKm), errorRate: Number(v.errorRate),
    detectorEfficiency: Number(v.detectorEfficiency), darkCountProb: Number(v.darkCountProb),
  };
}

/** Shows the fingerprint and keys the chat with the newest verified key. */
async function onKey(party, status, key, summary) {
  const bits = summary.finiteKey?.length ?? key.length * 8;
  status.done(await fingerprint(key), bits);
  try {
    party.aes = await chatKey(key);
  } catch (e) {
    party.aes = null;
    $("chat").hidden = false;
    $("chat-key").textContent = `No chat this round: ${e.message}.`;
    return;
  }
  if (!party.chat) {
    party.chat = initChat($("chat"), {
      onSend: async (text) => {
        if (!party.aes) return;
        party.sendText(await seal(party.aes, text));
        party.chat.add("me", text);
      },
    });
    const emit = party.emit;
    party.emit = (type, msg) =>
      type === "chat" ? (party.aes ? open(party.aes, msg) : Promise.resolve(null)).then((t) => party.chat.add(msg.from, t)) : emit(type, msg);
  }
  party.chat.keyInfo(bits, AES_KEY_BITS, party.round);
}

function runAlice(hash) {
  say("You are Alice: choose the parameters, then invite Bob.");
  const setup = initSetup($("setup"), hash, {
    onRunLocal: (v) => runLocal(v).catch((e) => say(`Error: ${e.message}`)),
    onOpenRoom: (v) => {
      let psk;
      try {
        psk = pskBytes(v.psk);
      } catch (e) {
        return say(`Error: ${e.message}`);
      }
      writeHash(v);
      setup.disable();
      let links;
      let status;
      let plot;
      const endRound = (summary, ok) => {
        (plot ??= initPlot($("plot"))).add(summary?.qber ?? 0, ok ? summary?.finiteKey?.length ?? 0 : 0);
        links?.nextRound();
      };
      const party = new RelayParty(qkd, {
        role: "alice",
        url: wsUrl(),
        onEvent: (type, msg) => {
          if (type === "joined") {
            links = initLinks($("links"), {
              room: msg.room,
              psk: v.psk,
              onStart: () => {
                links.started();
                status ??= initStatus($("status"));
                const seed = v.seed ? `${v.seed}/round ${party.round + 1}` : undefined;
                try {
                  party.startAlice({ pulses: Number(v.pulses), seed, auth: { mode: "psk", psk } });
                } catch (e) {
                  status.failed(e.code ?? "error", `Cannot start: ${e.message}`);
                }
              },
            });
            say("Room open. Send Bob his link; Eve may join with hers before you start.");
          } else if (type === "members") links?.members(msg.roles);
          else if (type === "round") status?.round(msg.round);
          else if (type === "progress") status?.progress(msg.state, msg.summary);
          else if (type === "done") {
            onKey(party, status, msg.key, msg.summary);
            endRound(msg.summary, true);
          } else if (type === "failed") {
            (status ??= initStatus($("status"))).failed(msg.code, msg.plain, msg.message);
            if (msg.code !== "peer_left" && msg.code !== "relay_closed") endRound(msg.summary, false);
          }
        },
      });
      party.join({ channel: channelOf(v) }).catch((e) => say(`Error: ${e.message}`));
    },
  });
}

function runBob(hash) {
  say("You are Bob: waiting for Alice's photons.");
  let psk;
  try {
    psk = pskBytes(hash.psk);
  } catch (e) {
    return say(`Error: this link is incomplete (${e.message}). Ask Alice for a new one.`);
  }
  const status = initStatus($("status"));
  let plot;
  const party = new RelayParty(qkd, {
    role: "bob",
    url: wsUrl(),
    onEvent: (type, msg) => {
      if (type === "joined") party.startBob({ auth: { mode: "psk", psk } });
      else if (type === "round") status.round(msg.round);
      else if (type === "progress") status.progress(msg.state, msg.summary);
      else if (type === "done") {
        onKey(party, status, msg.key, msg.summary);
        (plot ??= initPlot($("plot"))).add(msg.summary.qber, msg.summary.finiteKey?.length ?? 0);
      } else if (type === "failed") {
        status.failed(msg.code, msg.plain, msg.message);
        if (msg.summary && msg.code !== "peer_left") (plot ??= initPlot($("plot"))).add(msg.summary.qber, 0);
      }
    },
  });
  party.join({ room: hash.room }).catch((e) => say(`Error: ${e.message}`));
}

function runEve(hash) {
  say("You are Eve. Choose your attack, then join before Alice starts.");
  const eve = initEve($("eve"), {
    onJoin: ({ interceptFraction, basis, mitm }) => {
      let seen = 0;
      const party = new RelayParty(qkd, {
        role: "eve",
        url: wsUrl(),
        onEvent: (type, msg) => {
          if (type === "joined") eve.log(`Joined. Intercepting ${interceptFraction * 100} % of the photons; classical channel: ${mitm}.`);
          else if (type === "frame") {
            seen++;
            let frame = msg.frame;
            if (seen === 3 && mitm === "edit") {
              frame = frame.slice();
              frame[frame.length - 1] ^= 0x01;
              eve.log(`Edited classical frame #${seen} (${frame.length} bytes).`);
            } else if (seen === 3 && mitm === "drop") {
              eve.log(`Dropped classical frame #${seen}.`);
              return;
            } else eve.log(`Passed ${seen} classical frames on.`);
            msg.send(frame);
          } else if (type === "closed" && msg.reason) eve.log(`The relay closed: ${msg.reason}`);
        },
      });
      party.join({ room: hash.room, interceptFraction, basis, mitm: mitm !== "off" }).catch((e) => eve.log(`Error: ${e.message}`));
    },
  });
}

async function runLocal(v) {
  writeHash(v);
  const status = initStatus($("status"));
  const options = {
    pulses: Number(v.pulses), seed: v.seed || undefined, channel: channelOf(v),
    eve: { interceptFraction: Number(v.interceptFraction || 0) }, auth: { mode: "psk", psk: pskBytes(v.psk) },
  };
  let session;
  try {
    session = new qkd.Session(options);
  } catch (e) {
    return status.failed(e.code, `Bad parameters: ${e.message}`);
  }
  while (session.step()) {
    status.progress(session.progress.bob);
    await new Promise((r) => setTimeout(r));
  }
  const r = session.report();
  status.report(r);
  if (r.ok) status.done(await fingerprint(r.keyAlice), r.finalKeyBits);
  else status.failed(r.error.code, plainWords(r.error.code, r.error.message), r.error.message);
}

try {
  await init();
  const hash = readHash();
  if (hash.role === "bob") runBob(hash);
  else if (hash.role === "eve") runEve(hash);
  else runAlice(hash);
} catch (e) {
  say(`The playground could not start: ${e.message}`);
}
