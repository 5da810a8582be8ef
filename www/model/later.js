// Eve's recording and what she reads of it years later (no DOM here). She records every frame
// the relay passes through her tab and every encrypted chat message; the core says what falls
// (`KexRecording.yearsLater`), and only keys it really recovered are used to decrypt.
import { importKey, open } from "./chat.js";

export class Recorder {
  constructor(qkd, room) {
    this.qkd = qkd;
    this.room = room;
    this.frames = [];
    this.chats = [];
  }

  frame(f) {
    this.frames.push(f.slice());
  }

  chat(msg) {
    if (msg.from === "alice" || msg.from === "bob") this.chats.push(msg);
  }

  /** What was recorded: "kex" (a classical exchange), "qkd" (a QKD round) or null. */
  kind() {
    const types = this.frames.map((f) => {
      try {
        return this.qkd.frameInfo(f).type;
      } catch {
        return null;
      }
    });
    if (types.includes("KexHello")) return "kex";
    return types.includes("Hello") ? "qkd" : null;
  }

  /** `{ verdict: { method, falls, recovered, why }, messages: [{ from, text }] }`: the text is
   * null for a message she cannot read. `psk` (hex bytes) is what leaked, if anything. */
  async yearsLater(breaks, psk) {
    const kind = this.kind();
    if (kind === null) return { verdict: { method: null, falls: false, recovered: false, why: "Nothing recorded yet: join before Alice starts." }, messages: [] };
    if (kind === "qkd") return { verdict: this.#qkd(breaks, psk), messages: this.chats.map((m) => ({ from: m.from, text: null })) };
    const rec = new this.qkd.KexRecording(this.room);
    this.frames.forEach((f) => rec.add(f));
    const verdict = rec.yearsLater(breaks);
    const messages = [];
    for (const m of this.chats) {
      let text = null;
      if (verdict.recovered) {
        try {
          const k = rec.peekKeys(m.from === "alice" ? "SAE_A" : "SAE_B", { key_IDs: [{ key_ID: String(m.keyId) }] }).keys[0];
          text = await open(await importKey(k.key), m);
        } catch {
          text = null;
        }
      }
      messages.push({ from: m.from, text });
    }
    return { verdict, messages };
  }

  #qkd(breaks, psk) {
    let why = "A QKD key stays closed under every switch: it was distilled by privacy amplification from photons she never measured, so no computation on the recording reveals it; her best guess agrees with it on about half the bits.";
    if (breaks.credential && psk) {
      try {
        const r = this.qkd.breakLater(this.frames, psk, this.room);
        why += ` With the leaked PSK ${r.framesVerified} recorded frames verify, which proves they were genuine, and still gives her no key.`;
      } catch (e) {
        why += ` (The leaked PSK did not verify the recording: ${e.message})`;
      }
    }
    return { method: "qkd", falls: false, recovered: false, why };
  }
}
