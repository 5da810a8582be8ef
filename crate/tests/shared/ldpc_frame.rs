// One quasi-cyclic LDPC frame, decoded the same way on every target (included by ldpc.rs and
// wasm/body.rs). The layered decoder looks its `phi` tables up by AVX2 byte shuffles where the
// CPU has them and by scalar loads elsewhere (wasm included). Both give the tables' exact values
// (shuffle.rs's tests try every index), so the frame comes back exactly and in the same passes
// everywhere. The pass count is a coarse check: a lookup off by one in a few cells can leave it
// unchanged.

use qkdlab::BitVec;
use qkdlab::reconciliation::ldpc::{LIFT, LdpcCode, MIN_BASE_COLUMNS, decode, distributions::DESIGNED};
use rand::Rng;

/// Passes the reference frame takes: measured natively, with the byte shuffles and with the
/// scalar lookups before them, and held to in wasm. A decoder that computes other messages
/// would change it; update it from `cargo test --test ldpc reference_frame`.
const REFERENCE_FRAME_PASSES: u32 = 18;

/// Decodes a 65,536-bit frame of the rate-0.85 design with 1.5 % of its bits flipped and its
/// last 2 % punctured, and checks that the word came back exactly in
/// [`REFERENCE_FRAME_PASSES`] passes.
fn assert_the_reference_frame_decodes() {
    let n = MIN_BASE_COLUMNS * LIFT;
    let code = LdpcCode::build(n, &DESIGNED[2], &[5; 32]);
    assert!(code.lifting().is_some(), "a quasi-cyclic code");
    let mut rng = qkdlab::Seed::from_text("reference frame").rng("bits");
    let word = BitVec::from_bools(&(0..n).map(|_| rng.next_u32() & 1 == 1).collect::<Vec<_>>());
    let syndrome = code.syndrome(&word);
    let punctured = n - n / 50;
    let llr0 = (0.985f32 / 0.015).ln();
    let llr: Vec<f32> = (0..n)
        .map(|v| {
            let flipped = rng.next_u32() % 1000 < 15;
            match (v >= punctured, word.get(v) ^ flipped) {
                (true, _) => 0.0,
                (false, true) => -llr0,
                (false, false) => llr0,
            }
        })
        .collect();
    let d = decode(&code, &syndrome, &llr, 200);
    assert!(d.success && d.word == word, "the reference frame decodes");
    assert_eq!(d.iterations, REFERENCE_FRAME_PASSES, "passes of the reference frame");
}
