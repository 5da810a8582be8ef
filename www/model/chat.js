// Encrypted chat with the QKD key: AES-256-GCM (WebCrypto) keyed with the key's first 256 bits.
const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

export const AES_KEY_BITS = 256;

export async function chatKey(finalKey) {
  if (finalKey.length * 8 < AES_KEY_BITS) throw new Error(`the key has ${finalKey.length * 8} bits; AES-256 needs 256`);
  return crypto.subtle.importKey("raw", finalKey.slice(0, 32), "AES-GCM", false, ["encrypt", "decrypt"]);
}

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
