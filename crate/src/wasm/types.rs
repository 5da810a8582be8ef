//! The package's TypeScript declarations. Each shape is the serde form of a core type (named
//! beside it); pkg-tests/types.test.mjs holds the objects the package returns against them.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** Channel model (`quantum::ChannelSpec`): fiber loss, misalignment, detectors. Every field is optional. */
export interface ChannelOptions {
  /** Fiber length in km (default 10). */ lengthKm?: number;
  /** Fiber attenuation in dB/km (default 0.2). */ attenuationDbPerKm?: number;
  /** Connector and receiver loss in dB (default 1). */ insertionLossDb?: number;
  /** Misalignment error rate in [0, 0.5] (default 0.01). */ errorRate?: number;
  /** Detector efficiency in [0, 1] (default 0.2). */ detectorEfficiency?: number;
  /** Dark-count probability per gate, either detector (Y0; default 1e-6). */ darkCountProb?: number;
  /** Bob's bright-light watchdog, the countermeasure to detector blinding (default false). */ watchdog?: boolean;
}
/** An eavesdropper on the fiber (`options::EveOptions`): intercept-resend (the default), photon-number
 * splitting ("pns": she keeps one photon of every multi-photon pulse) or detector blinding. */
export type EveOptions =
  | {
      attack?: "intercept-resend";
      /** Fraction of pulses Eve measures, in [0, 1]. */ interceptFraction: number;
      /** Her basis: "random" (default), "rectilinear" or "diagonal". */ basis?: "random" | "rectilinear" | "diagonal";
    }
  | { attack: "pns" | "blinding" };
/** Alice's source (`options::SourceOptions`): ideal single photons (default) or weak laser pulses
 * with a signal, a weak decoy and a vacuum intensity. */
export interface SourceOptions {
  /** "single-photon" (default) or "weak-coherent". */ kind?: "single-photon" | "weak-coherent";
  /** Signal mean photon number (default 0.5). */ signal?: number;
  /** Weak decoy mean photon number (default 0.1). */ decoy?: number;
  /** Vacuum decoy mean photon number (default 0). */ vacuum?: number;
  /** Probabilities of the three intensities (default 0.7 / 0.2 / 0.1; they sum to 1). */ pSignal?: number; pDecoy?: number; pVacuum?: number;
  /** false: signal pulses only, no decoys (the key is then bounded as if Eve held every multi-photon pulse). */ decoys?: boolean;
  /** Probability of the key (rectilinear) basis for both parties (default 0.5). */ pKeyBasis?: number;
}
/** The analytic key-rate model's options (`options::KeyRateOptions`). */
export interface KeyRateOptions {
  /** The bound: ideal single photons, weak pulses without decoys (GLLP), infinitely many decoys, or vacuum + one weak decoy. */
  model: "single-photon" | "gllp" | "decoy-infinite" | "decoy-vacuum-weak";
  /** Fiber length in km (default 0). */ lengthKm?: number;
  /** Attenuation in dB/km (default 0.2). */ attenuationDbPerKm?: number;
  /** Bob's total efficiency, optics and detector (default 0.2). */ detectorEfficiency?: number;
  /** Dark counts per gate, Y0 (default 1e-6). */ darkCountProb?: number;
  /** Misalignment error e_d (default 0.01). */ errorRate?: number;
  /** Error-correction inefficiency (default 1.16). */ f?: number;
  /** Signal mean photon number, or "optimal" (default). */ mu?: number | "optimal";
  /** Weak decoy intensity for "decoy-vacuum-weak" (default 0.1). */ nu?: number;
}
/** An asymptotic key rate (`keyrate::KeyRate`): bits per pulse and the intensity used (absent for the single-photon source or where no intensity gives a key). */
export interface KeyRate { bitsPerPulse: number; mu?: number; }
/** How the classical channel is authenticated; `mode` is the same word reports use. "psk": a
 * 32-byte pre-shared key (HMAC-SHA256); "pki": Ed25519 (a party's secret key and the peer's
 * pinned public key; simulate draws both from its seed); "pool-hmac": two 32-byte keys from a
 * key pool. */
export type AuthMode = "psk" | "pki" | "pool-hmac" | "pool-wegman-carter";
export type AuthOptions =
  | { mode: "psk"; psk: Uint8Array }
  | { mode: "pki"; secretKey?: Uint8Array; peerPublicKey?: Uint8Array }
  | { mode: "pool-hmac"; aliceToBob: Uint8Array; bobToAlice: Uint8Array };
/** Protocol parameters (`party::Config`; Alice announces them). */
export interface ProtocolOptions {
  /** Pulses to send, a positive integer up to 2^28. */ pulses: number;
  /** Pulses per photon batch, a multiple of 64 (default 65536). */ batchSize?: number;
  /** Fraction of sifted bits sampled to estimate the QBER (default 0.1). */ sampleFraction?: number;
  /** QBER above which the round aborts (default 0.11). */ qberThreshold?: number;
  /** Secrecy parameter (default 1e-10). */ epsSec?: number;
  /** Correctness parameter (default 1e-15). */ epsCor?: number;
  /** Which classical frames carry a tag (default "transcript": four a round, each over the
   * whole transcript; "per-frame": every frame, for teaching). */ tags?: TagMode;
  /** How the keys are reconciled (default "cascade"). */ reconciliation?: ReconciliationMethod;
  /** Alice's source (default single photons). */ source?: SourceOptions;
}
/** How the keys are reconciled: Cascade (interactive) or LDPC syndromes (one-way). */
export type ReconciliationMethod = "cascade" | "ldpc";
/** Which classical frames carry a tag. */
export type TagMode = "transcript" | "per-frame";
/** Options of simulate() and Session. Without a seed, entropy comes from crypto.getRandomValues. */
export interface SimulateOptions extends ProtocolOptions {
  seed?: string; channel?: ChannelOptions; eve?: EveOptions; auth: AuthOptions;
}
/** Options of a party (Alice uses the protocol fields; Bob adopts Alice's). */
export interface PartyOptions extends Partial<ProtocolOptions> { /** The link id (the relay room) every tag covers. */ link?: string; auth: AuthOptions; }
/** Options of the fiber. */
export interface FiberOptions { seed?: string; channel?: ChannelOptions; eve?: EveOptions; }
/** Options of runLink(): a session's options plus the lifecycle's. */
export interface LinkOptions extends SimulateOptions {
  /** Rounds to run (default 3). */ rounds?: number;
  /** Authentication after round 1: "hmac" (default) or "wegman-carter". */ afterBootstrap?: "hmac" | "wegman-carter";
  /** Pool size each direction is refilled to, in bits (default 4096). */ poolTargetBits?: number;
  /** Wegman-Carter pad bits per direction per round (default 32768). */ padBudgetBits?: number;
}
/** Options of a link endpoint. */
export interface LinkEndpointOptions {
  /** "alice" opens rounds; "bob" follows. */ role: "alice" | "bob";
  /** The link id (the relay's room id): covered by every tag. */ link: string;
  /** The bootstrap credential of this side (PKI: its secret key and the peer's public key). */ auth: AuthOptions;
  /** Authentication after the bootstrap (default "hmac"). */ afterBootstrap?: "hmac" | "wegman-carter";
  /** Pool size each direction is refilled to, in bits (default 4096). */ poolTargetBits?: number;
  /** Wegman-Carter pad bits per direction per round (default 32768). */ padBudgetBits?: number;
}
/** ETSI GS QKD 014 key store description (`options::KeyStoreOptions`, all optional). */
export interface KeyStoreOptions {
  sourceKmeId?: string; targetKmeId?: string; masterSaeId?: string; slaveSaeId?: string;
  keySize?: number; maxKeyCount?: number; maxKeyPerRequest?: number;
}
/** Every term of the finite-key bound (`amplification::FiniteKey`; Tomamichel et al., Nat. Commun. 3, 634 (2012)). */
export interface FiniteKeyTerms {
  n: number; k: number; qber: number; qTol: number; mu: number; phaseErrorBits: number; leakEc: number; leakBound: number; branches: number;
  epsilonBits: number; bound: number; length: number; epsSec: number; epsCor: number;
}
/** Public counts per intensity class [signal, decoy, vacuum] (`amplification::ClassCounts`). */
export interface ClassCounts { pulses: number[]; clicks: number[]; keySifted: number[]; testSifted: number[]; testErrors: number[]; }
/** Every term of a weak-pulse key length (`amplification::DecoyKey`; Lim, Curty, Walenta, Xu, Zbinden, PRA 89, 022307 (2014)). */
export interface DecoyKeyTerms {
  method: "decoy" | "no-decoy"; counts: ClassCounts; gains: number[]; errorRates: number[];
  s0: number; s1: number; s1Test: number; v1Test: number; phaseError: number; gamma: number;
  leakEc: number; leakBound: number; branches: number; epsilonBits: number; bound: number; length: number;
  /** What the single-photon bound would wrongly claim for these bits (never used). */ naiveLength: number;
  /** Why there is no key. */ verdict?: string; epsSec: number; epsCor: number;
}
/** What Eve knows at the end of a simulated session (`eavesdropper::EveReport`). */
export interface EveReport {
  attack: "intercept-resend" | "pns" | "blinding"; touchedPulses: number; knownSiftedBits: number; siftedBits: number;
  knownKeyBits: number; keyBits: number; /** Her guess of the final key equals Alice's. */ finalKeyKnown?: boolean;
}
/** Every stable error code (`error::ERROR_CODES`; `errorCodes()` returns the same list). */
export type ErrorCode = "invalid_parameter" | "decode_error" | "auth_bad_tag" | "auth_sequence" | "auth_direction" | "peer_misbehaved" | "qber_too_high" | "not_enough_bits" | "no_secret_key" | "detector_alarm" | "verification_failed" | "finished" | "timeout" | "entropy" | "auth_pool_exhausted" | "link_not_ready" | "aborted" | "uncommitted" | "stale_round" | "auth_downgrade" | "auth_no_pool" | "pool_out_of_step" | "round_running" | "cert_malformed" | "cert_expired" | "cert_revoked" | "cert_unknown_issuer" | "cert_not_ca" | "cert_bad_signature" | "cert_wrong_name" | "wot_not_enough";
/** A typed failure (`error::Error`): `code` is stable, `message` readable. */
export interface ErrorInfo { code: ErrorCode; message: string; }
/** What every function of the package throws: an `Error` (a `RangeError` or `TypeError` for bad
 * arguments) with a stable `code`, the option's path in `field`, and for key stores the ETSI 014
 * `status` and `body`. */
export interface QkdlabError extends Error {
  code: ErrorCode | "unauthorized" | "bad_request" | "unavailable";
  /** The option or argument at fault (`pulses`, `channel.lengthKm`). */ field?: string;
  /** ETSI 014 HTTP status. */ status?: 400 | 401 | 503;
  /** ETSI 014 error body. */ body?: EtsiErrorBody;
}
/** ETSI GS QKD 014 V1.1.1 Status (section 6.1). */
export interface EtsiStatus {
  source_KME_ID: string; target_KME_ID: string; master_SAE_ID: string; slave_SAE_ID: string; key_size: number;
  stored_key_count: number; max_key_count: number; max_key_per_request: number; max_key_size: number; min_key_size: number;
  max_SAE_ID_count: number;
}
/** ETSI 014 Key request (section 6.2): how many keys, of how many bits. */
export interface EtsiKeyRequest { number?: number; size?: number; }
/** ETSI 014 Key IDs (section 6.4). */
export interface EtsiKeyIds { key_IDs: { key_ID: string }[]; }
/** ETSI 014 Key container (section 6.3): UUID ids, base64 keys. */
export interface EtsiKeyContainer { keys: { key_ID: string; key: string }[]; }
/** ETSI 014 Error (section 6.5). */
export interface EtsiErrorBody { message: string; details?: Record<string, unknown>[]; }
/** A session's failure (`session::Failure`), with the party that stopped first. */
export interface ReportError extends ErrorInfo { party: "alice" | "bob" | "driver"; }
/** The round's agreed record (`party::Summary`): public numbers only; Alice's and Bob's are
 * equal once the round ends. */
export interface PartySummary {
  pulses: number; clicks: number; siftedBits: number; sampleBits: number; qber: number;
  reconciliation: ReconciliationMethod; reconciliationDisclosed: number; ldpcFrames: number; ldpcDroppedFrames: number; ldpcMessages: number;
  cascadeFirstBlock: number; cascadeSecondBlock: number; cascadePasses: number;
  cascadeRoundTrips: number; verificationBits: number; verificationCollision: number; finiteKey?: FiniteKeyTerms;
  classCounts?: ClassCounts; decoyKey?: DecoyKeyTerms;
}
/** One party's knowledge of a round's first 256 pulses (`party::PulseView`): each row one entry
 * per pulse (0/1; bases 0 rectilinear, 1 diagonal; 2 where this party cannot know), absent while
 * (or where) the party does not know it. */
export interface PulseView {
  pulses: number; aliceBits?: number[]; aliceBases?: number[]; classes?: number[]; bobBases?: number[]; clicks?: number[];
  bobBits?: number[]; sifted?: number[]; sampled?: number[]; corrected?: number[];
}
/** Authentication costs of a session, both sides (`session::AuthReport`). */
export interface AuthReport { mode: AuthMode; tagMode: TagMode; frames: number; tags: number; tagBits: number; keyBitsUsed: number; padBitsUsed: number; epsilon: number; }
/** What a session did (`session::Report`). Keys are present only when both sides verified the same key. */
export interface Report {
  ok: boolean; error?: ReportError; summary: PartySummary;
  /** The contract's flat figures: `summary.qber`, `summary.siftedBits`, `auth.keyBitsUsed`, and the secrecy parameter. */
  qber: number; siftedBits: number; authBitsUsed: number; epsSec: number;
  intercepted: number; eve?: EveReport; corrections: number;
  disclosed: { estimation: number; reconciliation: number; verification: number }; leakedBits: number;
  roundTrips: number; /** Bytes of the classical frames exchanged. */ classicalBytes: number; finalKeyBits: number; keyAlice?: Uint8Array; keyBob?: Uint8Array;
  auth: AuthReport; stages: { name: string; ms: number }[];
  /** Each party's view of the first pulses, [Alice's, Bob's]. */ pulseViews: PulseView[];
}
/** One side's authentication costs in a round (`auth::AuthStats`). */
export interface AuthStats { framesSent: number; framesReceived: number; tagsSent: number; tagsReceived: number; tagBitsSent: number; padBitsUsed: number; epsilon: number; }
/** How a round ended on one side of a link (`link::RoundOutcome`). */
export interface LinkRound {
  round: number; ok: boolean; error?: ErrorInfo; mode: AuthMode; summary: PartySummary; auth: AuthStats;
  poolBefore: number[]; poolTaken: number[]; poolAdded: number[]; poolAfter: number[]; keyBits: number;
  /** 32 key bits shown and discarded, hex; both sides show the same. */ fingerprint?: string;
  /** Keys each store received, [A->B, B->A]. */ storedKeys: number[]; storedBits: number;
  /** This side's view of the round's first pulses. */ pulseView: PulseView;
}
/** A link endpoint's event: a round ended on this side. */
export interface RoundEnded extends LinkRound { type: "roundEnded"; }
/** A link endpoint's event: a frame refused without ending a round. */
export interface Refused { type: "refused"; error: ErrorInfo; }
/** What a link endpoint returns for one input (`link::Step`). */
export interface LinkStep { frames: Uint8Array[]; events: (RoundEnded | Refused)[]; }
/** One use of pool bits (`link::LedgerEntry`). */
export interface LedgerEntry { start: number; len: number; round: number; usedFor: "hmacKey" | "wcPoint" | "wcPad" | "skipped"; }
/** A link endpoint's pools (`link::PoolsView`), [A->B, B->A]. */
export interface Pools { available: number[]; cursor: number[]; ledger: LedgerEntry[][]; }
/** Result of reconcile() (`reconciliation::Reconciled`). */
export interface Reconciliation {
  key: Uint8Array; disclosed: number; roundTrips: number; corrections: number; firstBlock: number; secondBlock: number; passes: number;
}
/** One LDPC frame's code and rate (`reconciliation::ldpc::FramePlan`). */
export interface LdpcFramePlan {
  keyBits: number; codeLength: number; motherRate: number; syndromeBits: number; punctured: number; shortened: number; reveal: number;
}
/** Result of reconcileLdpc() (`reconciliation::ldpc::LdpcReconciled`). */
export interface LdpcReconciliation {
  key: Uint8Array; aliceKey: Uint8Array; disclosed: number; efficiency: number; frames: number; failedFrames: number[];
  revealedFrames: number; messages: number; iterations: number; plan: { qber: number; keyBits: number; frames: LdpcFramePlan[] };
}
/** A classical key-exchange method (`kex::Method`): X25519 (RFC 7748), ML-KEM-768 (FIPS 203),
 * both (X25519MLKEM768-style hybrid), or Diffie-Hellman in a 40-bit group that a tab breaks. */
export type KexMethod = "x25519" | "ml-kem-768" | "hybrid" | "toy-dh";
/** Options of a KeyExchange: like a link endpoint's, plus the method. */
export interface KeyExchangeOptions {
  /** "alice" starts; "bob" answers. */ role: "alice" | "bob";
  /** The method (both sides must name the same one: the tags cover it). */ method: KexMethod;
  /** The link id (the relay's room id): covered by every tag. */ link: string;
  /** The bootstrap credential (a PSK, or this side's secret key and the peer's public key). */ auth: AuthOptions;
}
/** How an exchange ended (`kex::KexOutcome`). */
export interface KexOutcome {
  method: KexMethod; ok: boolean;
  /** 32 bits derived beside the keys, hex: both sides show them. */ fingerprint: string;
  /** Keys each store received, [A->B, B->A]. */ storedKeys: number[]; storedBits: number;
  /** Bytes of every frame of the exchange (both directions). */ bytesExchanged: number; messages: number;
}
/** A key exchange's event: keys released, or a frame refused (it changed nothing). */
export type KexEvent = ({ type: "established" } & KexOutcome) | Refused;
/** What a KeyExchange returns for one input. */
export interface KexStep { frames: Uint8Array[]; events: KexEvent[]; }
/** What has fallen, years later (every field optional, default false). */
export interface KexBreaks {
  /** A quantum computer runs Shor's algorithm: discrete logarithms fall (X25519, the toy group). */ discreteLog?: boolean;
  /** A cryptanalytic break of module lattices (ML-KEM). */ lattice?: boolean;
  /** The bootstrap credential (PSK or signing key) leaked. */ credential?: boolean;
}
/** What a recorded exchange yields under the breaks (`kex::Verdict`). */
export interface KexVerdict {
  method: KexMethod;
  /** Whether its keys fall. */ falls: boolean;
  /** Whether this tab really recovered them (only the toy group); otherwise the break is described, not shown. */ recovered: boolean;
  /** The recovered keys' fingerprint. */ fingerprint?: string;
  /** Why, in words. */ why: string;
}
/** An ML-KEM-768 key pair in the FIPS 203 encodings (1184 and 2400 bytes). */
export interface MlKemKeyPair { encapsulationKey: Uint8Array; decapsulationKey: Uint8Array; }
/** An ML-KEM-768 encapsulation: the 1088-byte ciphertext and the 32-byte shared key. */
export interface MlKemEncapsulation { ciphertext: Uint8Array; sharedKey: Uint8Array; }
/** A certificate's contents (`trust::CertificateSpec`): the subject's common name, validity in Unix seconds, serial number. */
export interface CertificateSpec { name: string; notBefore: number; notAfter: number; serial?: number; }
/** What a certificate says (`trust::CertificateInfo`), unverified: common names, serial (decimal), validity in Unix seconds, CA flag, the subject's Ed25519 key. */
export interface CertificateInfo { subject: string; issuer: string; serial: string; notBefore: number; notAfter: number; ca: boolean; publicKey: Uint8Array; }
/** A web-of-trust check: the key claimed for `name`, the vouches it carries, the introducers the verifier trusts. */
export interface WebOfTrustOptions {
  name: string; publicKey: Uint8Array;
  vouches: { introducer: Uint8Array; signature: Uint8Array }[];
  introducers: { key: Uint8Array; level: "full" | "marginal" }[];
}
/** What anyone reads of a frame without a key (`msgs::FrameInfo`). */
export interface FrameInfo { type: string; route: "fiber" | "classical"; stage: string; direction?: "aliceToBob" | "bobToAlice"; sequence?: number; }
/** The public parameters a Hello announces (`auth::HelloParams`). */
export interface HelloParams extends Required<ProtocolOptions> { round: number; }
"#;
