// The authentication lifecycle of one side of a link, in the page (no DOM): round 1 is
// authenticated by the bootstrap credential (PSK or PKI), later rounds by 256-bit HMAC keys
// taken from a per-direction key pool that each round's key refills; the rest of each key goes
// to two ETSI 014 key stores (one per chat direction). Both tabs run the same steps on the same
// key, so their pools and stores stay identical without talking.

export const POOL_TARGET_BITS = 512;
const HMAC_KEY_BITS = 256;

const toBits = (bytes, n) => Array.from({ length: n }, (_, i) => (bytes[i >> 3] >> (7 - (i & 7))) & 1);
function toBytes(bits) {
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => (out[i >> 3] |= b << (7 - (i & 7))));
  return out;
}

export class PoolEmptyError extends Error {
  constructor(have) {
    super(`the authentication key pool is empty (${have} bits left, ${HMAC_KEY_BITS} needed): stopping instead of reusing key`);
    this.code = "auth_pool_exhausted";
  }
}

export class AuthLifecycle {
  constructor(qkd, { bootstrap, room }) {
    this.bootstrap = bootstrap; // auth options of round 1
    this.room = room;
    this.pools = [[], []]; // Alice-to-Bob, Bob-to-Alice
    this.round = 0;
    this.taken = [0, 0];
    this.stores = {
      ab: new qkd.KeyStore({ masterSaeId: "SAE_A", slaveSaeId: "SAE_B" }),
      ba: new qkd.KeyStore({ masterSaeId: "SAE_B", slaveSaeId: "SAE_A" }),
    };
  }

  /** The auth options for the next round (throws PoolEmptyError rather than reuse key). */
  nextRound() {
    this.round += 1;
    if (this.round === 1) {
      this.taken = [0, 0];
      return { mode: this.bootstrap.mode, auth: this.bootstrap };
    }
    for (const p of this.pools) if (p.length < HMAC_KEY_BITS) throw new PoolEmptyError(p.length);
    const [ab, ba] = this.pools.map((p) => toBytes(p.splice(0, HMAC_KEY_BITS)));
    this.taken = [HMAC_KEY_BITS, HMAC_KEY_BITS];
    return { mode: "pool-hmac", auth: { mode: "pool-hmac", aliceToBob: ab, bobToAlice: ba } };
  }

  /** After a round: refill the pools from a verified key, store the rest. An aborted round
   * adds nothing: what it took is burned. */
  afterRound(key, keyBits) {
    const before = this.pools.map((p, d) => p.length + this.taken[d]);
    const added = [0, 0];
    let storedKeys = 0;
    if (key) {
      const bits = toBits(key, keyBits);
      for (const d of [0, 1]) {
        const give = Math.min(POOL_TARGET_BITS - this.pools[d].length, bits.length);
        this.pools[d].push(...bits.splice(0, Math.max(give, 0)));
        added[d] = Math.max(give, 0);
      }
      const half = Math.floor(bits.length / 2);
      const label = `${this.room}/round ${this.round}`;
      storedKeys += this.stores.ab.add(toBytes(bits.slice(0, half)), half, `${label}/ab`);
      storedKeys += this.stores.ba.add(toBytes(bits.slice(half)), bits.length - half, `${label}/ba`);
    }
    return { round: this.round, before, taken: this.taken, added, after: this.pools.map((p) => p.length), storedKeys };
  }
}
