// Encrypted chat with keys from the link's ETSI 014 key store (no DOM here): AES-256-GCM
// (WebCrypto), one fresh 256-bit key per message, named by its key id. The receiver spends a
// key only for a message that decrypts under it (AES-GCM authenticates), so a forged message
// naming key ids costs the store nothing.
const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const aes = (raw) => crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);

/** An AES-256-GCM key from a key store's base64 `key`. */
export const importKey = (b64) => aes(unb64(b64));

export async function seal(key, text) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(text)));
  return { type: "chat", iv: b64(iv), ct: b64(ct) };
}

/** The plaintext, or null when the message does not decrypt (a different key, or tampering). */
export async function open(key, msg) {
  try {
    const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(msg.iv) }, key, unb64(msg.ct));
    return new TextDecoder().decode(pt);
  } catch {
    return null;
  }
}

/** One side's chat over `link` (a core Link: its key store), for role "alice" or "bob". */
export class Chat {
  constructor(link, role) {
    this.link = link;
    [this.peerSae, this.peer] = role === "alice" ? ["SAE_B", "bob"] : ["SAE_A", "alice"];
  }

  /** A message to send: `{ type: "chat", iv, ct, keyId }`; throws the store's error (an ETSI
   * 400 when no key is left). */
  async seal(text) {
    const k = this.link.encKeys(this.peerSae, { number: 1 }).keys[0];
    return { ...(await seal(await aes(unb64(k.key)), text)), keyId: k.key_ID };
  }

  /** A received message: `{ ok: true, text, keyId }`, or `{ ok: false, reason, keyId }`
   * ("unknown key": this side never made it; "does not decrypt": a wrong key or tampering).
   * Messages from anyone but the relay-stamped peer return null. */
  async open(msg) {
    if (msg.from !== this.peer) return null;
    const keyId = String(msg.keyId);
    const request = { key_IDs: [{ key_ID: keyId }] };
    let k;
    try {
      k = this.link.peekKeys(this.peerSae, request).keys[0];
    } catch {
      return { ok: false, reason: "unknown key", keyId };
    }
    const text = await open(await aes(unb64(k.key)), msg);
    if (text === null) return { ok: false, reason: "does not decrypt", keyId };
    this.link.decKeys(this.peerSae, request); // spent only now: the message authenticated
    return { ok: true, text, keyId };
  }
}
