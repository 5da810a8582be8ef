// What the page says, in plain words (the model reports codes; the UI speaks).
const PLAIN = {
  qber_too_high: "The error rate is too high: an eavesdropper measured the photons (or the channel is too noisy). No key.",
  auth_bad_tag: "Authentication failed: a classical message was altered or forged on the way. No key.",
  auth_sequence: "Authentication failed: a classical message was replayed, reordered or dropped. No key.",
  auth_direction: "Authentication failed: a message came back reflected. No key.",
  auth_pool_exhausted: "The authentication key pool is empty: the link stops rather than reuse key.",
  auth_downgrade: "Refused: a round asked for the bootstrap credential after the link had its own keys.",
  auth_no_pool: "Refused: this round is authenticated with the link's own keys, which Bob's tab no longer holds (it was reloaded and started over from the link). Open a new room to go on.",
  stale_round: "Refused: a replayed opening of an earlier round.",
  uncommitted: "Alice never released this round's key, so Bob discarded it too.",
  aborted: "The round was ended before a key was agreed. No key this round.",
  verification_failed: "The keys still differed after error correction; they were thrown away.",
  no_secret_key: "Too few bits survived for a secret key: send more pulses or lower the error rate.",
  detector_alarm: "Bob's watchdog saw bright light at his detectors: someone is blinding them. No key.",
  not_enough_bits: "Too few photons were detected: send more pulses or shorten the fiber.",
  peer_left: "The other party left before the key was finished. No key.",
  relay_closed: "The relay closed the connection.",
  link_not_ready: "Bob has not sent his fresh nonce yet: wait for Bob to join.",
  timeout: "Nothing arrived for a while (a message was dropped): the round ended without a key.",
  relay_busy: "The relay had no room for this round's photons right now: the round ended without a key. Start again in a moment.",
};

export function plainWords(code, message) {
  // A key-length bound that knows why (weak pulses, decoys) says it better than the generic line.
  const why = code === "no_secret_key" && /bits\): (.*)$/.exec(message ?? "");
  if (why && !/send more pulses or lower the error rate$/.test(why[1])) return `No secret key: ${why[1]}`;
  return PLAIN[code] ?? message ?? code;
}

/** Eve's log lines. */
export function eveSays(e) {
  switch (e.kind) {
    case "passed":
      return `Passed ${e.count} classical frames on.`;
    case "dropped":
      return `Dropped classical frame #${e.index}.`;
    case "edited":
      return `Edited classical frame #${e.index} (${e.bytes} bytes).`;
    case "injected":
      return `Injected a forged frame before classical frame #${e.index}.`;
    case "sessionFailed":
      return `My session with ${e.with === "alice" ? "Alice" : "Bob"} failed: ${plainWords(e.code, e.message)}`;
    case "twoKeys":
      return `I share one key with Alice (fingerprint ${e.withAlice}) and another with Bob (fingerprint ${e.withBob}). I can read and rewrite everything they encrypt.`;
    case "leaked":
      return `The PSK leaked after round 1. It verifies all ${e.framesVerified} recorded frames, but my best guess of the round-1 key has fingerprint ${e.fingerprint}. Without the photons, such a guess agrees with the real key on about half the bits, like a coin toss (the package's attackBreakLater measures it). Later rounds are authenticated from the key pool, which the PSK does not open.`;
    case "anchorKey":
      return `I read ${e.who === "alice" ? "Alice" : "Bob"}'s real key (${e.fingerprint}) on its way.`;
    case "anchorForged":
      return `With the stolen anchor secret I sent ${e.to === "alice" ? "Alice" : e.to === "bob" ? "Bob" : "Carol"} a credential for my own key as ${e.as === "alice" ? "Alice" : "Bob"}'s; the anchor's check accepts it.`;
    case "anchorUnreadable":
      return `Could not read ${e.who}'s credential: ${e.message}`;
    case "anchorLate":
      return "The anchor's secret leaked after round 1. I sent Alice and Bob credentials for my key that the anchor's check accepts, but each pinned the other's key in round 1 and authenticates later rounds from its key pool: they refuse mine, and nothing made earlier depends on the anchor any more.";
    case "leakFailed":
      return `The leaked key does not open the transcript: ${e.message}`;
    default:
      return String(e.kind);
  }
}
