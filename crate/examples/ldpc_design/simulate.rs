//! Finite-length check of an ensemble: build a code of it with the crate's builder, puncture it
//! to a given efficiency at a given error rate, and count frames belief propagation fails on.
//! Thresholds say where an infinitely long code stops working; a 10^5-bit frame needs margin.

use qkdlab::bits::BitVec;
use qkdlab::reconciliation::ldpc::distributions::Distribution;
use qkdlab::reconciliation::ldpc::{LdpcCode, MAX_ITERATIONS, binary_entropy, decode};
use qkdlab::rng::{Seed, unit_f64};
use rand::Rng;

/// What `frames` frames of `key_bits` key bits gave.
pub struct Outcome {
    pub failed: usize,
    pub frames: usize,
    pub mean_iterations: f64,
    pub efficiency: f64,
    pub punctured: usize,
    /// Time spent in `decode`, per frame, in milliseconds.
    pub decode_ms: f64,
    /// Time the code took to build, in milliseconds.
    pub build_ms: f64,
}

/// Decodes `frames` frames: a code of the ensemble with `key_bits + p` bits, `p` punctured so
/// that `(M - p) / (key_bits h(qber)) = efficiency` (no shortening; `p = 0` if the code's own
/// rate is already above the target).
pub fn run(dist: &Distribution, key_bits: usize, qber: f64, efficiency: f64, frames: usize) -> Outcome {
    let rate = dist.design_rate();
    let target = efficiency * key_bits as f64 * binary_entropy(qber);
    // (1 - R)(n + p) - p = target.
    let p = (((1.0 - rate) * key_bits as f64 - target) / rate).max(0.0).round() as usize;
    // Rounded up to whole circulants, so that a long code is quasi-cyclic as in the plan.
    let n = (key_bits + p).next_multiple_of(qkdlab::reconciliation::ldpc::LIFT);
    let p = n - key_bits;
    let started = std::time::Instant::now();
    let code = LdpcCode::build(n, dist, &[7; 32]);
    let build_ms = started.elapsed().as_secs_f64() * 1e3;
    let m = code.checks();
    let mut rng = Seed::from_text("ldpc design simulate").rng(&format!("{n} {qber}"));
    let llr0 = ((1.0 - qber) / qber).ln() as f32;
    let (mut failed, mut iterations, mut decoding) = (0, 0u64, 0.0);
    for _ in 0..frames {
        let word = BitVec::from_bools(&(0..n).map(|_| rng.next_u32() & 1 == 1).collect::<Vec<_>>());
        let syndrome = code.syndrome(&word);
        // The punctured bits are the last p (positions are random in the graph anyway).
        let llr: Vec<f32> = (0..n)
            .map(|v| {
                if v >= key_bits {
                    return 0.0;
                }
                let bit = word.get(v) ^ (unit_f64(&mut rng) < qber);
                if bit { -llr0 } else { llr0 }
            })
            .collect();
        let started = std::time::Instant::now();
        let d = decode(&code, &syndrome, &llr, MAX_ITERATIONS);
        decoding += started.elapsed().as_secs_f64();
        iterations += u64::from(d.iterations);
        if !(d.success && (0..key_bits).all(|v| d.word.get(v) == word.get(v))) {
            failed += 1;
            if std::env::var_os("FLOAT").is_some() {
                let (w, it) = decode_float(&code, &syndrome, &llr, 200);
                let wrong = (0..key_bits).filter(|&v| w.get(v) != word.get(v)).count();
                let fixed = (0..key_bits).filter(|&v| d.word.get(v) != word.get(v)).count();
                let degrees = code.var_degrees();
                let mut by_degree = std::collections::BTreeMap::new();
                for v in (0..key_bits).filter(|&v| d.word.get(v) != word.get(v)) {
                    *by_degree.entry(degrees[v]).or_insert(0) += 1;
                }
                let unsatisfied = code.syndrome(&d.word).hamming_distance(&syndrome);
                println!(
                    "  failed frame: fixed point {} iterations, {fixed} wrong {by_degree:?}, {unsatisfied} checks unsatisfied; float {it} iterations, {wrong} wrong",
                    d.iterations
                );
            }
        }
    }
    Outcome {
        failed,
        frames,
        mean_iterations: iterations as f64 / frames as f64,
        efficiency: (m - p) as f64 / (key_bits as f64 * binary_entropy(qber)),
        punctured: p,
        decode_ms: decoding * 1e3 / frames as f64,
        build_ms,
    }
}

/// Layered sum-product in `f64`, no quantization: the reference the crate's fixed-point
/// decoder is compared with. Returns the hard decisions after convergence or `max` iterations.
pub fn decode_float(code: &LdpcCode, syndrome: &BitVec, llr: &[f32], max: u32) -> (BitVec, u32) {
    let phi = |x: f64| {
        let x = x.clamp(1e-12, 60.0);
        -(x / 2.0).tanh().ln()
    };
    let mut belief: Vec<f64> = llr.iter().map(|&l| f64::from(l)).collect();
    let mut msg = vec![0.0f64; code.edges()];
    let mut t = Vec::new();
    let mut iterations = 0;
    while iterations < max {
        iterations += 1;
        let mut offset = 0;
        for c in 0..code.checks() {
            let vars = code.check(c);
            t.clear();
            let (mut sum, mut negative) = (0.0, syndrome.get(c));
            for (k, &v) in vars.iter().enumerate() {
                let x = belief[v as usize] - msg[offset + k];
                negative ^= x < 0.0;
                sum += phi(x.abs());
                t.push(x);
            }
            for (k, &v) in vars.iter().enumerate() {
                let x = t[k];
                let magnitude = phi(sum - phi(x.abs()));
                let out = if negative ^ (x < 0.0) { -magnitude } else { magnitude };
                msg[offset + k] = out;
                belief[v as usize] = x + out;
            }
            offset += vars.len();
        }
        let word = BitVec::from_bools(&belief.iter().map(|&b| b < 0.0).collect::<Vec<_>>());
        if code.syndrome(&word) == *syndrome {
            return (word, iterations);
        }
    }
    (BitVec::from_bools(&belief.iter().map(|&b| b < 0.0).collect::<Vec<_>>()), iterations)
}
