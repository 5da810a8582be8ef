// A party (Alice or Bob) or Eve over the relay. No DOM here: the UI listens to events.
// Events: joined {room, role}, members {roles}, progress {state, summary}, done {key, summary},
// failed {code, message}, chat {from, iv, ct}, frame {dir, type} (Eve), closed {reason}.

const PLAIN = {
  qber_too_high: "The error rate is too high: an eavesdropper measured the photons (or the channel is too noisy). No key.",
  auth_bad_tag: "Authentication failed: a classical message was altered or forged on the way. No key.",
  auth_sequence: "Authentication failed: a classical message was replayed, reordered or dropped. No key.",
  auth_direction: "Authentication failed: a message came back reflected. No key.",
  auth_pool_exhausted: "The authentication key pool is empty: the link stops rather than reuse key.",
  verification_failed: "The keys still differed after error correction; they were thrown away.",
  no_secret_key: "Too few bits survived for a secret key: send more pulses or lower the error rate.",
  not_enough_bits: "Too few photons were detected: send more pulses or shorten the fiber.",
  peer_left: "The other party left before the key was finished. No key.",
  aborted: "The other side ended the round (its reason is below). No key this round.",
  link_not_ready: "Bob has not sent his fresh nonce yet: wait for Bob to join.",
  relay_closed: "The relay closed the connection.",
};

export function plainWords(code, message) {
  return PLAIN[code] ?? message ?? code;
}

export class RelayParty {
  constructor(qkd, { role, url, onEvent }) {
    this.qkd = qkd;
    this.role = role;
    this.emit = onEvent;
    this.ws = new WebSocket(url);
    this.ws.binaryType = "arraybuffer";
    this.party = null;
    this.over = false;
    this.round = 0;
    this.bobOptions = null;
    this.ready = null; // Alice: Bob's latest Ready (his fresh nonce for the next round)
    this.room = null;
    this.lastProgress = 0;
    this.ws.addEventListener("message", (e) => this.#onMessage(e));
    this.ws.addEventListener("close", (e) => {
      if (!this.over && e.reason) this.#fail("relay_closed", `The relay closed the connection: ${e.reason}`);
      this.emit("closed", { reason: e.reason });
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.addEventListener("open", resolve, { once: true });
      this.ws.addEventListener("error", () => reject(new Error("cannot reach the relay")), { once: true });
    });
  }

  async join(request) {
    await this.opened;
    this.ws.send(JSON.stringify({ type: "join", role: this.role, ...request }));
  }

  /** Alice: prepares the photons of a new round on Bob's latest Ready and sends the first
   * frames. Her randomness comes from the OS; the room id is covered by every tag. */
  startAlice(options) {
    if (!this.ready) throw Object.assign(new Error("Bob has not sent his fresh nonce yet: wait for Bob"), { code: "link_not_ready" });
    this.party = new this.qkd.Alice({ ...options, link: this.room });
    this.over = false;
    this.emit("round", { round: ++this.round });
    const ready = this.ready;
    this.ready = null;
    this.#send(this.party.start(ready));
    this.#progress(true);
  }

  /** Bob: a party for the next round, whose fresh nonce (Ready) goes to Alice at once.
   * `optionsFor()` gives each round's options (its credential changes round by round). */
  startBob(optionsFor) {
    this.bobOptions = optionsFor;
    this.over = false;
    try {
      this.party = new this.qkd.Bob({ ...optionsFor(), link: this.room });
    } catch (e) {
      this.party = null;
      return this.#fail(e.code, e.message);
    }
    this.ws.send(this.party.readyFrame);
    this.emit("round", { round: ++this.round });
  }

  #nextBob() {
    if (this.role === "bob" && this.bobOptions) setTimeout(() => this.startBob(this.bobOptions));
  }

  sendText(obj) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  close() {
    this.ws.close();
  }

  #send(frames) {
    for (const f of frames) this.ws.send(f);
  }

  #onMessage(e) {
    if (typeof e.data === "string") return this.#onText(JSON.parse(e.data));
    const frame = new Uint8Array(e.data);
    if (this.role === "eve") return this.emit("frame", { frame, send: (f) => this.ws.send(f) });
    if (this.role === "alice" && frame[1] === 0x1b) {
      this.ready = frame;
      return this.emit("ready", {});
    }
    if (!this.party || this.over) return;
    try {
      this.#send(this.party.handle(frame));
    } catch (err) {
      this.sendText({ type: "abort", code: err.code, message: err.message });
      return this.#fail(err.code, err.message);
    }
    const failure = this.party.failure;
    if (failure) {
      this.sendText({ type: "abort", code: failure.code, message: failure.message });
      return this.#fail(failure.code, failure.message);
    }
    if (this.party.finished) {
      this.over = true;
      const summary = this.party.summary;
      this.emit("progress", { state: "Finished", summary });
      this.emit("done", { key: this.party.takeKey(), summary });
      return this.#nextBob();
    }
    this.#progress(false);
  }

  #onText(msg) {
    switch (msg.type) {
      case "joined":
        this.room = msg.room;
        return this.emit("joined", msg);
      case "left":
        if (this.role !== "eve" && msg.role !== "eve" && !this.over && this.party) this.#fail("peer_left", `${msg.role} left`);
        return this.emit("left", msg);
      case "abort": {
        // Unauthenticated: it may end the round, and only if it comes from the peer (the relay
        // stamps the sender); what was burned is decided by this side alone.
        const peer = this.role === "alice" ? "bob" : "alice";
        if (!this.over && this.role !== "eve" && msg.from === peer) this.#fail(msg.code, `${msg.from} aborted: ${msg.message}`);
        return;
      }
      default:
        return this.emit(msg.type, msg);
    }
  }

  #progress(force) {
    const now = performance.now();
    if (!force && now - this.lastProgress < 50) return;
    this.lastProgress = now;
    this.emit("progress", { state: this.party.state, summary: this.party.summary });
  }

  #fail(code, message) {
    if (this.over) return;
    this.over = true;
    this.emit("failed", { code, message, plain: plainWords(code, message), summary: this.party?.summary });
    if (code !== "peer_left" && code !== "relay_closed") this.#nextBob();
  }
}

/** First 8 bytes of SHA-256 of the key, grouped (for keys that are thrown away: Eve's guesses). */
export async function fingerprint(key) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", key));
  const hex = [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return hex.match(/.{4}/g).join(" ");
}
