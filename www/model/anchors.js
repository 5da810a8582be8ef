// Trust anchors over the relay (no DOM here): a certificate authority and a web of trust, each
// turning a key that arrived over the hostile relay into one a party may pin. Every check is
// the core's (`verifyCertificateChain`, `verifyWebOfTrust`); this module only moves bytes.
//
// - CA: Alice's tab runs the playground CA (a root and an issuing intermediate), the way an
//   operator provisions two devices: it issues Alice's certificate and Bob's, and Bob's link
//   carries his provisioned identity (his secret key and chain) and the root he trusts. Each
//   side sends its chain to the other; each verifies the peer's chain to the root under the
//   name it expects, then pins the leaf's key for round 1.
// - Web of trust: Carol, an introducer both trust fully, signs each one's key after comparing
//   its fingerprint with its owner (by voice, as at a key-signing party). Her key pair is made
//   in Alice's tab and handed to her in her link; Bob's link carries her public key.
//
// Eve holding the anchor's secret (the root's key, or Carol's) forges what the check accepts:
// a chain for her own key, or Carol's vouch for it, and so sits in the middle of round 1.

export const ROOT_NAME = "qkdlab playground root CA";
export const ISSUER_NAME = "qkdlab playground issuing CA";
const YEAR = 365 * 86400;
const nowSecs = () => Math.floor(Date.now() / 1000);
const spec = (name, serial, years) => ({ name, notBefore: nowSecs() - 3600, notAfter: nowSecs() + years * YEAR, serial });
const randomSerial = () => 1000 + crypto.getRandomValues(new Uint32Array(1))[0];

export const toHex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

export function fromHex(field, h, bytes = 32) {
  if (typeof h !== "string" || !new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(h)) {
    throw Object.assign(new Error(`${field} must be ${bytes * 2} hex digits`), { code: "invalid_parameter" });
  }
  return Uint8Array.from(h.match(/../g), (x) => parseInt(x, 16));
}

/** Base64url without padding, for certificates in links and messages. */
export function toB64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromB64(field, s) {
  const bad = () => Object.assign(new Error(`${field} is not base64url`), { code: "invalid_parameter" });
  if (typeof s !== "string" || s.length > 8192 || !/^[A-Za-z0-9_-]+$/.test(s)) throw bad();
  let bin;
  try {
    bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    throw bad();
  }
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** A chain from a message or a link: a list of at most four base64url certificates. */
export function chainFrom(field, list) {
  if (!Array.isArray(list) || list.length < 1 || list.length > 4) {
    throw Object.assign(new Error(`${field} must list one to four certificates`), { code: "invalid_parameter" });
  }
  return list.map((c, i) => fromB64(`${field}[${i}]`, c));
}

/** The playground CA in Alice's tab: a root (ten years), an issuing intermediate (five), and
 * one-year certificates for Alice's key and for a fresh identity provisioned to Bob. */
export function provisionCa(qkd, alice) {
  const root = new qkd.TestCa(spec(ROOT_NAME, 1, 10));
  const issuer = root.intermediate(spec(ISSUER_NAME, 2, 5));
  const bob = new qkd.Identity();
  const chain = (key, name, serial) => [issuer.issue(key, spec(name, serial, 1)), issuer.certificate];
  return {
    root: root.certificate,
    rootSecret: root.secretKey,
    aliceChain: chain(alice.publicKey, "alice", 3),
    bob: { secretKey: bob.secretKey, chain: chain(bob.publicKey, "bob", 4) },
  };
}

/** The peer's key from its chain: verified to `root` under `name` now, or a thrown `cert_*`
 * error. Returns the key and what each certificate says (for the panel). */
export function verifyPeerChain(qkd, chain, root, name) {
  const key = qkd.verifyCertificateChain(chain, root, name, nowSecs());
  return { key, certs: [...chain.map((c) => qkd.describeCertificate(c)), qkd.describeCertificate(root)] };
}

/** Carol's vouch that `key` is `name`'s, as a status payload. */
export function vouchFor(qkd, carol, name, key) {
  return { name, key: toHex(key), introducer: toHex(carol.publicKey), signature: toHex(qkd.vouch(carol.secretKey, name, key)) };
}

/** The key a vouch speaks for, if Carol's signature on it verifies for `name` (Carol fully
 * trusted: GnuPG's one complete introducer); throws `wot_not_enough` otherwise. */
export function verifyVouch(qkd, vouch, carolKey, name) {
  if (vouch?.name !== name) throw Object.assign(new Error(`the vouch names ${JSON.stringify(String(vouch?.name).slice(0, 40))}, not ${name}`), { code: "wot_not_enough" });
  const key = fromHex("the vouched key", vouch.key);
  const signature = fromHex("the vouch's signature", vouch.signature, 64);
  const introducer = fromHex("the introducer's key", vouch.introducer);
  return qkd.verifyWebOfTrust({ name, publicKey: key, vouches: [{ introducer, signature }], introducers: [{ key: carolKey, level: "full" }] });
}

/** What Eve makes with a stolen anchor secret: `forge(name)` gives, for her own key, the status
 * payload the other side would accept as `name`'s (a chain, or Carol's vouch). */
export function forger(qkd, bootstrap, secret) {
  const eve = new qkd.Identity();
  if (bootstrap === "ca") {
    // The root's key re-signs a root certificate of the same name: the same issuer to every
    // verifier (names and key are all a chain is checked against), and her own intermediate.
    const root = new qkd.TestCa(spec(ROOT_NAME, 1, 10), secret);
    const issuer = root.intermediate(spec(ISSUER_NAME, randomSerial(), 5));
    return {
      identity: eve,
      forge: (name) => ({ chain: [issuer.issue(eve.publicKey, spec(name, randomSerial(), 1)), issuer.certificate].map(toB64) }),
      /** The real key inside a real party's chain (read, not verified: Eve wants it, not trust). */
      keyOf: (msg) => qkd.describeCertificate(chainFrom("chain", msg.chain)[0]).publicKey,
    };
  }
  const carol = qkd.Identity.fromSecretKey(secret);
  return {
    identity: eve,
    forge: (name) => ({ vouch: vouchFor(qkd, carol, name, eve.publicKey) }),
    keyOf: (msg) => fromHex("identity", msg.identity),
  };
}

/** One party's side of a CA or web-of-trust bootstrap over the relay. It sends this side's
 * credentials when the one who needs them is in the room (the peer's chain; Carol, for her
 * signature), checks what arrives, and pins the first key the anchor vouches for; a different
 * key later is refused (the pin never moves). `on.pinned(key, shown)`, `on.refused(code, text)`.
 * `send(msg)` sends a status message. */
export class AnchorPeer {
  constructor(qkd, { kind, role, identity, root, chain, carolKey }, send, on) {
    Object.assign(this, { qkd, kind, role, identity, root, chain, carolKey, send, on });
    this.peer = role === "alice" ? "bob" : "alice";
    this.sentTo = new Set();
    this.pinned = null;
  }

  /** The room's members changed: send this side's credentials to whoever needs them. */
  members(roles) {
    const to = this.kind === "ca" ? this.peer : "carol";
    if (!roles.includes(to)) return this.sentTo.delete(to);
    if (this.sentTo.has(to)) return;
    this.sentTo.add(to);
    if (this.kind === "ca") this.send({ type: "status", to, chain: this.chain.map(toB64) });
    else this.send({ type: "status", to, identity: toHex(this.identity.publicKey) });
  }

  /** A status message; returns whether it was an anchor's (checked, pinned or refused). Call
   * it only once the room is joined (the endpoint it opens needs the room's id). */
  status(msg) {
    const credential = this.kind === "ca" ? msg.chain : msg.vouch;
    if (credential === undefined) return false;
    const expected = this.kind === "ca" ? this.peer : "carol";
    if (msg.from !== expected) return true; // the relay's stamp is no authority, but a wrong one is not even a claim
    const refuse = (code, text) => this.on.refused(code, text, this.pinned !== null);
    let key;
    let shown;
    try {
      if (this.kind === "ca") ({ key, certs: shown } = verifyPeerChain(this.qkd, chainFrom("the chain", credential), this.root, this.peer));
      else {
        key = verifyVouch(this.qkd, credential, this.carolKey, this.peer);
        shown = { introducer: keyFingerprint(this.carolKey), key: keyFingerprint(key) };
      }
    } catch (e) {
      refuse(typeof e.code === "string" ? e.code : "invalid_parameter", String(e.message).slice(0, 300));
      return true;
    }
    if (toHex(key) === toHex(this.identity.publicKey)) {
      refuse("own_key", `the credential names this side's own key as ${this.peer}'s (a careless signature, or a reflection)`);
      return true;
    }
    if (this.pinned) {
      if (toHex(key) !== toHex(this.pinned)) refuse("pinned", `a second key for ${this.peer} (${keyFingerprint(key)}) arrived after ${keyFingerprint(this.pinned)} was pinned: refused, the pin stays`);
      return true;
    }
    try {
      this.on.pinned(key, shown);
      this.pinned = key;
    } catch (e) {
      refuse(typeof e.code === "string" ? e.code : "error", `the link could not open with this key: ${e.message}`);
    }
    return true;
  }
}

/** A key's fingerprint as every tab shows it: its first 8 bytes in hex, in groups of four. */
export function keyFingerprint(key) {
  return toHex(key.slice(0, 8)).match(/.{4}/g).join(" ");
}

/** Eve in the middle with a stolen anchor secret (`bootstrap` "ca": the root's key; "wot":
 * Carol's). `status(msg)` takes a status message between the others and returns what she
 * sends on (with `as`: the relay stamps it with that name): a party's real chain or key is
 * noted and replaced by her forgery; Carol's real vouches are dropped. `auth(peer)` is her
 * credential facing `peer` once she has seen its real key, else null. `forgeFor(name)` is the
 * payload that passes the anchor's check as `name`'s. */
export function stolenAnchor(qkd, bootstrap, secret, on) {
  const f = forger(qkd, bootstrap, secret);
  const real = {};
  const noted = (who, msg) => {
    real[who] = f.keyOf(msg);
    on.log({ kind: "anchorKey", who, fingerprint: keyFingerprint(real[who]) });
  };
  return {
    auth: (peer) => (real[peer] ? { mode: "pki", secretKey: f.identity.secretKey, peerPublicKey: real[peer] } : null),
    forgeFor: (name) => f.forge(name),
    status(msg) {
      const { from, to } = msg;
      const party = from === "alice" || from === "bob";
      const other = from === "alice" ? "bob" : "alice";
      try {
        if (bootstrap === "ca" && party && msg.chain !== undefined) {
          noted(from, msg);
          on.log({ kind: "anchorForged", as: from, to });
          return [{ type: "status", to, as: from, ...f.forge(from) }];
        }
        if (bootstrap === "wot" && party && msg.identity !== undefined) {
          noted(from, msg);
          on.log({ kind: "anchorForged", as: other, to: from });
          return [{ ...msg, as: from }, { type: "status", to: from, as: "carol", ...f.forge(other) }];
        }
      } catch (e) {
        on.log({ kind: "anchorUnreadable", who: from, message: e.message });
      }
      if (bootstrap === "wot" && from === "carol" && msg.vouch !== undefined) return [];
      return [{ ...msg, as: from }];
    },
  };
}
