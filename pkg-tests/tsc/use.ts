// Every export used as an npm user writes it, under `tsc --strict` (node16 and bundler
// resolution). The `@ts-expect-error` lines are mistakes the types must reject: tsc fails if
// one of them compiles.
import init, {
  simulate, keyRate, maxDistance, toeplitzHash, hmacSha256, finiteKeyLength, reconcile, errorCodes,
  KeyStore, Alice, Bob, Fiber, Session, Link, Identity, frameInfo,
  KeyExchange, KexRecording, x25519, mlKem768Keygen, mlKem768Encapsulate, mlKem768Decapsulate,
  TestCa, verifyCertificateChain, vouch, verifyWebOfTrust,
  type ErrorCode, type KexVerdict, type KexStep, type QkdlabError, type Report, type EtsiKeyContainer,
} from "qkdlab";
import type { WorkerMessage, WorkerRequest } from "qkdlab/worker";

export async function main(): Promise<number> {
  await init();
  const psk = new Uint8Array(32);
  const r: Report = simulate({ pulses: 1000, auth: { mode: "psk", psk }, source: { kind: "weak-coherent", decoys: false }, eve: { attack: "pns" } });
  const code: ErrorCode | undefined = r.error?.code;
  const id = new Identity();
  simulate({ pulses: 1000, auth: { mode: "pki", secretKey: id.secretKey, peerPublicKey: id.publicKey } });
  const store = new KeyStore();
  const status = store.status("SAE_B");
  const got: EtsiKeyContainer = store.encKeys("SAE_B", { number: 1, size: 256 });
  store.encKeys("SAE_B");
  const back = store.decKeys("SAE_A", { key_IDs: got.keys.map((k) => ({ key_ID: k.key_ID })) });
  const rate = keyRate({ model: "decoy-vacuum-weak", lengthKm: 50, mu: "optimal" }).bitsPerPulse + maxDistance({ model: "gllp" });
  toeplitzHash(new Uint8Array(2), new Uint8Array([1]), 8, 9);
  hmacSha256(psk, new Uint8Array(1));
  finiteKeyLength(1000, 100, 0.01, 10);
  reconcile(new Uint8Array(2), new Uint8Array(2), 16, 0.01);
  const codes: ErrorCode[] = errorCodes();
  const bob = new Bob({ auth: { mode: "psk", psk } });
  const alice = new Alice({ pulses: 1000, auth: { mode: "psk", psk } });
  const fiber = new Fiber({ channel: { lengthKm: 1, watchdog: true } });
  alice.start(bob.readyFrame).forEach((f) => frameInfo(f).route === "fiber" ? fiber.handle(f) : bob.handle(f));
  const s = new Session({ pulses: 1000, auth: { mode: "psk", psk } });
  s.step();
  const link = new Link({ role: "bob", link: "room", auth: { mode: "psk", psk } });
  const view = link.pulseView;
  const request: WorkerRequest = { options: { pulses: 1000, auth: { mode: "psk", psk } } };
  const onMessage = (m: WorkerMessage) => ("report" in m ? m.report.ok : "error" in m ? m.error.code === "timeout" : false);
  const kx = new KeyExchange({ role: "bob", method: "hybrid", link: "room", auth: { mode: "psk", psk } });
  const step: KexStep = kx.handle(kx.readyFrame ?? new Uint8Array(0));
  const fingerprint = step.events.map((e) => (e.type === "established" ? e.fingerprint : e.error.code));
  const recording = new KexRecording("room");
  const verdict: KexVerdict = recording.yearsLater({ discreteLog: true });
  const ca = new TestCa({ name: "root", notBefore: 0, notAfter: 2e9 });
  const pinned = verifyCertificateChain([ca.issue(id.publicKey, { name: "bob", notBefore: 0, notAfter: 2e9 })], ca.certificate, "bob", 1e9);
  const web = verifyWebOfTrust({ name: "bob", publicKey: pinned, vouches: [{ introducer: id.publicKey, signature: vouch(id.secretKey, "bob", pinned) }], introducers: [{ key: id.publicKey, level: "full" }] });
  const pair = mlKem768Keygen();
  const enc = mlKem768Encapsulate(pair.encapsulationKey);
  const shared = mlKem768Decapsulate(pair.decapsulationKey, enc.ciphertext).length + x25519(new Uint8Array(32), new Uint8Array(32)).length;
  try {
    store.decKeys("SAE_A", { key_IDs: [{ key_ID: "nope" }] });
  } catch (e) {
    const err = e as QkdlabError;
    if (err.status === 400 && err.body?.message) return err.body.message.length;
  }

  // @ts-expect-error a misspelt ETSI field
  got.keys[0].kye_ID;
  // @ts-expect-error no such auth mode
  simulate({ pulses: 1, auth: { mode: "pkx" } });
  // @ts-expect-error auth is required
  simulate({ pulses: 1 });
  // @ts-expect-error not an error code
  const wrong: ErrorCode = "qber_to_high";
  // @ts-expect-error intercept-resend options do not go with PNS
  simulate({ pulses: 1, auth: { mode: "psk", psk }, eve: { attack: "pns", interceptFraction: 1 } });
  // @ts-expect-error a trust level is full or marginal
  verifyWebOfTrust({ name: "bob", publicKey: pinned, vouches: [], introducers: [{ key: pinned, level: "total" }] });
  // @ts-expect-error no such key-exchange method
  new KeyExchange({ role: "alice", method: "rsa", link: "room", auth: { mode: "psk", psk } });
  // @ts-expect-error the key rate's model is a closed set
  keyRate({ model: "laser" });

  return [code, status.key_size, back.keys.length, rate, codes.length, view, request, onMessage, wrong, fingerprint, verdict.falls, shared, kx.outcome?.bytesExchanged, web.length].length;
}
