// The trust anchor's panel in Alice's and Bob's tabs: what this side trusts, the chain or the
// vouch that made it accept the peer's key, and any refusal. Carol's panel: the keys she is
// asked to sign.
import { keyFingerprint } from "../model/anchors.js";

const date = (secs) => new Date(secs * 1000).toISOString().slice(0, 10);

const WHAT = {
  psk: "A pre-shared key. Both sides hold the same 32 random bytes (Bob's link carries them); round 1's tags are HMAC-SHA256 under it, so whoever else holds the link can sit in the middle of round 1.",
  pki: "Public keys and a safety number. Each side pins the other's Ed25519 key as it arrived; reading the safety number aloud proves it was not swapped on the way. Nobody else vouches for anything: the comparison is the anchor.",
  ca: "Certificates from a certificate authority. This side trusts one root certificate; the peer's key is accepted when a chain of signatures leads from that root, through an issuing CA, to a certificate naming the peer, every certificate within its dates and unrevoked. Whoever holds a CA's key can issue any name.",
  wot: "A web of trust. This side trusts Carol fully; the peer's key is accepted when Carol's signature says it is the peer's. Carol signs after its owner read her the fingerprint. Whoever holds Carol's key can vouch for any key.",
};

export function initAnchor(root, kind) {
  root.hidden = false;
  root.dataset.kind = kind;
  root.querySelector("#anchor-what").textContent = WHAT[kind];
  const figures = root.querySelector("#anchor-figures");
  const rows = new Map();
  const show = (k, v) => {
    rows.set(k, v);
    figures.replaceChildren(...[...rows].flatMap(([a, b]) => [
      Object.assign(document.createElement("dt"), { textContent: a }),
      Object.assign(document.createElement("dd"), { textContent: b }),
    ]));
  };
  const outcome = root.querySelector("#anchor-outcome");
  const say = (text, state) => {
    outcome.textContent = text;
    root.dataset.state = state;
  };
  say("waiting for the peer's credentials", "waiting");
  return {
    show,
    /** The peer's chain, from the root this side trusts down to the peer's certificate. */
    chain(certs, name) {
      const list = root.querySelector("#anchor-chain");
      list.replaceChildren(...[...certs].reverse().map((c, i) => {
        const role = i === 0 ? "root (your trust anchor)" : c.ca ? "issuing CA" : `${name}'s certificate`;
        return Object.assign(document.createElement("li"), {
          className: "ok",
          textContent: `${role}: "${c.subject}", issued by "${c.issuer}", serial ${c.serial}, valid ${date(c.notBefore)} to ${date(c.notAfter)}, key ${keyFingerprint(c.publicKey)}`,
        });
      }));
    },
    accepted(text) {
      say(text, "accepted");
    },
    /** A refused credential; after a pin, the accepted state stays and the refusal is added. */
    refused(text, afterPin = false) {
      if (afterPin) outcome.textContent = `${outcome.textContent.split(" Later: ")[0]} Later: ${text}`;
      else say(text, "refused");
      root.dataset.refusals = String(Number(root.dataset.refusals ?? 0) + 1);
    },
    /** The anchor's secret, shown folded (for the compromise demo). */
    secret(hex) {
      const d = root.querySelector("#anchor-secret");
      d.hidden = false;
      d.querySelector("code").textContent = hex;
    },
  };
}

/** Carol's tab: each key she is asked to sign, with its fingerprint and a button. */
export function initCarol(root, ownFingerprint) {
  root.hidden = false;
  root.querySelector("#carol-own").textContent = ownFingerprint;
  const list = root.querySelector("#carol-requests");
  return {
    /** One request; `sign()` sends the vouch. */
    request(name, fingerprint, sign) {
      const li = document.createElement("li");
      li.dataset.name = name;
      const button = Object.assign(document.createElement("button"), { type: "button", textContent: `Sign this key as ${name}'s` });
      li.append(`${name} asks you to sign the key ${fingerprint}. Compare it with the fingerprint ${name} reads you. `, button);
      button.addEventListener("click", () => {
        button.disabled = true;
        sign();
        li.dataset.signed = "1";
        li.append(" Signed: your vouch went to the other side.");
      });
      list.append(li);
    },
  };
}
