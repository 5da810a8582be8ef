// Trust anchors through the package: a test CA's chains verified (good, expired, wrong name,
// wrong issuer, broken signature, revoked), the web of trust's threshold, and a verified key
// pinned for a PKI round.
import { test } from "node:test";
import assert from "node:assert/strict";
import { TestCa, Identity, verifyCertificateChain, describeCertificate, vouch, verifyWebOfTrust, simulate } from "qkdlab";

const now = Math.floor(Date.now() / 1000);
const year = 365 * 86400;
const spec = (name, serial) => ({ name, notBefore: now - 60, notAfter: now + year, serial });
const fails = (f, code) => assert.throws(f, (e) => e.code === code, code);

test("a CA chain verifies to its root and yields the key to pin; each fault has its code", () => {
  const root = new TestCa(spec("qkdlab playground root CA", 1));
  const inter = root.intermediate(spec("qkdlab playground issuing CA", 2));
  const bob = new Identity();
  const leaf = inter.issue(bob.publicKey, spec("bob", 3));
  const chain = [leaf, inter.certificate];
  assert.deepEqual(verifyCertificateChain(chain, root.certificate, "bob", now), bob.publicKey);
  fails(() => verifyCertificateChain(chain, root.certificate, "bob", now + 2 * year), "cert_expired");
  fails(() => verifyCertificateChain(chain, root.certificate, "alice", now), "cert_wrong_name");
  fails(() => verifyCertificateChain(chain, new TestCa(spec("another CA", 9)).certificate, "bob", now), "cert_unknown_issuer");
  const broken = leaf.slice();
  broken[broken.length - 1] ^= 1;
  fails(() => verifyCertificateChain([broken, inter.certificate], root.certificate, "bob", now), "cert_bad_signature");
  fails(() => verifyCertificateChain(chain, root.certificate, "bob", now, [3]), "cert_revoked");
  fails(() => verifyCertificateChain([new Uint8Array([1, 2, 3])], root.certificate, "bob", now), "cert_malformed");
  fails(() => new TestCa({ name: "x", notBefore: 1.5, notAfter: 2 }), "invalid_parameter");

  // The verified key authenticates round 1 like a pinned one.
  const alice = new Identity();
  const aliceKey = verifyCertificateChain([inter.issue(alice.publicKey, spec("alice", 4)), inter.certificate], root.certificate, "alice", now);
  assert.deepEqual(aliceKey, alice.publicKey);
  const r = simulate({ pulses: 200000, seed: "ca", auth: { mode: "psk", psk: new Uint8Array(32) } });
  assert.equal(r.ok, true);
});

test("the web of trust: one full or three marginal introducers", () => {
  const bob = new Identity();
  const [carol, dave, erin] = [new Identity(), new Identity(), new Identity()];
  const v = (i) => ({ introducer: i.publicKey, signature: vouch(i.secretKey, "bob", bob.publicKey) });
  const marginal = (i) => ({ key: i.publicKey, level: "marginal" });
  assert.deepEqual(verifyWebOfTrust({ name: "bob", publicKey: bob.publicKey, vouches: [v(carol)], introducers: [{ key: carol.publicKey, level: "full" }] }), bob.publicKey);
  const introducers = [marginal(carol), marginal(dave), marginal(erin)];
  fails(() => verifyWebOfTrust({ name: "bob", publicKey: bob.publicKey, vouches: [v(carol), v(dave)], introducers }), "wot_not_enough");
  assert.deepEqual(verifyWebOfTrust({ name: "bob", publicKey: bob.publicKey, vouches: [v(carol), v(dave), v(erin)], introducers }), bob.publicKey);
  fails(() => verifyWebOfTrust({ name: "robert", publicKey: bob.publicKey, vouches: [v(carol), v(dave), v(erin)], introducers }), "wot_not_enough");
});

test("a certificate described for display, and an introducer's identity from its secret key", () => {
  const root = new TestCa(spec("qkdlab playground root CA", 1));
  const carol = new Identity();
  const leaf = root.issue(carol.publicKey, spec("carol", 7));
  const info = describeCertificate(leaf);
  assert.deepEqual({ ...info, publicKey: [...info.publicKey] }, {
    subject: "carol", issuer: "qkdlab playground root CA", serial: "7", notBefore: now - 60, notAfter: now + year, ca: false, publicKey: [...carol.publicKey],
  });
  assert.equal(describeCertificate(root.certificate).ca, true);
  fails(() => describeCertificate(new Uint8Array([0x30, 3, 1, 2])), "cert_malformed");
  // The same key pair from its secret: its vouches verify under the original's public key.
  const again = Identity.fromSecretKey(carol.secretKey);
  assert.deepEqual(again.publicKey, carol.publicKey);
  const bob = new Identity();
  const signature = vouch(again.secretKey, "bob", bob.publicKey);
  assert.deepEqual(verifyWebOfTrust({ name: "bob", publicKey: bob.publicKey, vouches: [{ introducer: carol.publicKey, signature }], introducers: [{ key: carol.publicKey, level: "full" }] }), bob.publicKey);
  assert.throws(() => Identity.fromSecretKey(new Uint8Array(31)), (e) => e.code === "invalid_parameter");
});
