// One side of the link over the relay (no DOM here: the UI listens to events). Alice and Bob
// each drive a core `Link` endpoint, which owns the rounds, the authentication pools and the
// key stores; this class only moves frames between it and the WebSocket.
// Events: joined {room, role}, members {roles}, ready {} (Alice: Bob's nonce arrived),
// round {round, mode}, progress {state, summary}, done {round event}, failed {code, message,
// event?}, refused {code, message}, helloRefused {code, message}, chat {from, ...}, status
// {from, ...}, frame {frame, send} (Eve), closed {reason}.


/** The control messages the relay may deliver; anything else is dropped (the relay is not
 * trusted to drive the page: it cannot fake a round's end or re-open the link). */
const RELAY_TEXT = new Set(["joined", "members", "left", "chat", "status", "abort", "busy", "fiber", "eveKnows"]);
/** A running round that hears nothing for this long ends (a dropped frame must not stall the
 * link; the round's pool bits stay burned). */
export const ROUND_IDLE_MS = 20_000;

export class RelayLink {
  constructor(qkd, { role, url, onEvent }) {
    this.qkd = qkd;
    this.role = role;
    this.emit = onEvent;
    this.ws = new WebSocket(url);
    this.ws.binaryType = "arraybuffer";
    this.link = null;
    this.room = null;
    this.round = 0;
    this.lastProgress = 0;
    this.idle = null;
    this.ws.addEventListener("message", (e) => this.#onMessage(e));
    this.ws.addEventListener("close", (e) => {
      // With or without a reason (a reset connection, a relay that went away), a running
      // round cannot go on: it ends now, not when the idle timer fires.
      const why = e.reason || `the connection to the relay was lost (code ${e.code})`;
      if (this.link?.running) this.#endFromOutside("relay_closed", `The relay closed the connection: ${why}`);
      this.emit("closed", { reason: e.reason, code: e.code });
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

  /** The endpoint, once the room is known: `{ auth, afterBootstrap?, poolTargetBits? }` for a
   * QKD link, `{ auth, method }` for a classical key exchange (same frames' path, same key
   * stores). Bob announces his fresh nonce at once. */
  open(options) {
    if (this.link) return; // one endpoint per tab: its pools and stores are never replaced
    this.kex = options.method ?? null;
    this.link = this.kex
      ? new this.qkd.KeyExchange({ role: this.role, link: this.room, method: options.method, auth: options.auth })
      : new this.qkd.Link({ role: this.role, link: this.room, poolTargetBits: 1024, ...options });
    if (this.role === "bob") this.ws.send(this.link.readyFrame);
    if (this.early) {
      // Bob's Ready that came before the endpoint existed (PKI: before his key was pinned).
      this.#apply(this.link.handle(this.early));
      this.early = null;
      if (this.link.ready) this.emit("ready", {});
    }
  }

  /** Whether Alice can start a round (Bob's nonce arrived, none running). */
  get ready() {
    return this.link?.ready ?? false;
  }

  /** Alice: opens the next round. Throws a typed error (no nonce yet, pool exhausted). */
  startRound(options) {
    const step = this.link.startRound(options);
    this.tags = options.tags ?? "transcript";
    this.emit("round", { round: ++this.round, mode: this.link.mode, tags: this.tags });
    this.#apply(step);
    this.#progress(true);
    this.#watch();
  }

  /** Alice: sends her share of the key exchange (once `ready`). */
  startKex() {
    this.#apply(this.link.start());
  }

  sendText(obj) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  close() {
    this.ws.close();
  }

  #apply(step, frame) {
    for (const f of step.frames) this.ws.send(f);
    for (const e of step.events) {
      if (e.type === "established") {
        this.emit("kexDone", e);
        continue;
      }
      if (e.type === "refused") {
        this.emit("refused", e.error);
        if (this.role === "bob" && frame && ["Hello", "KexHello"].includes(this.#kind(frame))) {
          // A Hello Bob refused (forged, replayed, another session): Alice's round cannot go
          // on; tell her (unauthenticated: it ends her round, it decides nothing else).
          this.sendText({ type: "abort", code: e.error.code, message: e.error.message });
          this.emit("helloRefused", e.error);
        }
        continue;
      }
      if (e.ok) {
        this.emit("progress", { state: "Finished", summary: e.summary, pulseView: e.pulseView });
        this.emit("done", e);
      } else {
        const { code, message } = e.error;
        // Tell the peer, so its round ends too (an abort carries no authority: the peer's own
        // endpoint decides what it burns).
        if (code !== "aborted") this.sendText({ type: "abort", code, message });
        this.emit("failed", { code, message, event: e, summary: e.summary });
      }
    }
  }

  #onMessage(e) {
    if (typeof e.data === "string") return this.#onText(JSON.parse(e.data));
    const frame = new Uint8Array(e.data);
    if (this.role === "eve") return this.emit("frame", { frame, send: (f) => this.ws.send(f) });
    if (!this.link) {
      if (this.#kind(frame) === "Ready") this.early = frame;
      return;
    }
    const step = this.link.handle(frame);
    this.#apply(step, frame);
    // Bob: a round begins only with a Hello that verified (the endpoint then runs).
    const kind = this.#kind(frame);
    if (this.role === "bob" && kind === "Hello" && this.link.running && !step.events.some((e) => e.type === "refused")) {
      this.tags = this.qkd.helloParams(frame).tags;
      this.emit("round", { round: ++this.round, mode: this.link.mode, tags: this.tags });
    }
    if (this.role === "alice" && kind === "Ready" && this.link.ready) this.emit("ready", {});
    if (this.link.running) this.#progress(false);
    this.#watch();
  }

  /** A frame's type from the core's message table, or null for a malformed frame. */
  #kind(frame) {
    try {
      return this.qkd.frameInfo(frame).type;
    } catch {
      return null;
    }
  }

  /** Restarts the idle timer of a running round. */
  #watch() {
    clearTimeout(this.idle);
    if (this.link?.running) {
      this.idle = setTimeout(() => this.#endFromOutside("timeout", "nothing arrived for 20 s: the round ends"), ROUND_IDLE_MS);
    }
  }

  /** Ends the running round for a reason from outside (the peer's abort, its departure). */
  #endFromOutside(code, message) {
    if (this.kex && this.link && !this.link.established) return this.emit("kexFailed", { code, message });
    if (!this.link?.running) return;
    const step = this.link.abortRound(message);
    for (const f of step.frames) if (this.ws.readyState === WebSocket.OPEN) this.ws.send(f);
    for (const e of step.events) {
      if (e.type === "roundEnded") this.emit("failed", { code, message, event: e, summary: e.summary });
    }
  }

  #onText(msg) {
    if (!RELAY_TEXT.has(msg?.type)) return;
    switch (msg.type) {
      case "joined":
        if (this.room !== null) return; // once: a second "joined" must not reset anything
        this.room = String(msg.room);
        return this.emit("joined", msg);
      case "left":
        // Only the peer's departure ends a round (not Eve's, nor Carol's, the introducer's).
        if (msg.role === { alice: "bob", bob: "alice" }[this.role]) this.#endFromOutside("peer_left", `${msg.role} left`);
        return this.emit("left", msg);
      case "busy":
        // The relay's fibers had no room for a frame: it dropped it and ends the round (it
        // could always do that by dropping a frame; this only says so at once).
        if (this.role !== "eve") this.#endFromOutside("relay_busy", `the relay: ${String(msg.message).slice(0, 300)}`);
        return this.emit("busy", msg);
      case "abort": {
        // Unauthenticated: it may end the round, and only if it comes from the peer (the relay
        // stamps the sender); what was burned is decided by this side's endpoint alone.
        const peer = this.role === "alice" ? "bob" : "alice";
        if (this.role === "eve") return this.emit("peerAbort", msg);
        if (msg.from === peer) {
          this.#endFromOutside(String(msg.code).slice(0, 40), `${msg.from} aborted: ${String(msg.message).slice(0, 300)}`);
        }
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
    this.emit("progress", { state: this.link.state, summary: this.link.summary, pulseView: this.link.pulseView, corrections: this.link.corrections });
  }
}

/** A key's fingerprint as both tabs show it: its first 32 bits in hex, grouped. The link's
 * keys never leave the core: their fingerprint comes from it (those 32 bits are discarded);
 * this formats that, and Eve's own keys and guesses the same way. */
export function formatFingerprint(hex) {
  return hex.match(/.{4}/g).join(" ");
}

export function fingerprintOfBytes(key) {
  return formatFingerprint([...key.slice(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(""));
}
