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

  /** Alice: prepares the photons of a new round and sends the first frames. */
  startAlice(options) {
    this.party = new this.qkd.Alice(options);
    this.over = false;
    this.emit("round", { round: ++this.round });
    this.#send(this.party.start());
    this.#progress(true);
  }

  /** Bob: ready to measure whatever arrives; each Hello after a round's end opens the next.
   * `optionsFor()` gives each round's options (its credential changes round by round). */
  startBob(optionsFor) {
    this.bobOptions = optionsFor;
    this.over = false;
    try {
      this.party = new this.qkd.Bob(optionsFor());
    } catch (e) {
      this.party = null;
      return this.#fail(e.code, e.message);
    }
    this.emit("round", { round: ++this.round });
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
    if (this.role === "bob" && this.over && frame[1] === 0x10 && this.bobOptions) this.startBob(this.bobOptions);
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
      return;
    }
    this.#progress(false);
  }

  #onText(msg) {
    switch (msg.type) {
      case "left":
        if (this.role !== "eve" && msg.role !== "eve" && !this.over && this.party) this.#fail("peer_left", `${msg.role} left`);
        return this.emit("left", msg);
      case "abort":
        if (!this.over && this.role !== "eve") this.#fail(msg.code, `${msg.from} aborted: ${msg.message}`);
        return;
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
  }
}

/** First 8 bytes of SHA-256 of the key, grouped: both tabs show it, never the key. */
export async function fingerprint(key) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", key));
  const hex = [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return hex.match(/.{4}/g).join(" ");
}
