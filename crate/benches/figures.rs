//! Prints the figures the README and issue notes quote: Cascade efficiency and round trips,
//! Toeplitz hashing time, and quantum-layer throughput. A benchmark, not a test: it asserts
//! nothing and prints numbers. `cargo bench --bench figures` (add `-- --quick` for fewer runs).

use std::fmt::Write as _;
use std::time::Instant;

use qkdlab::amplification::binary_entropy;
use qkdlab::bits::BitVec;
use qkdlab::quantum::{ChannelModel, PulseBatch, Source, detect, fill_bernoulli, random_bits};
use qkdlab::reconciliation::reconcile;
use qkdlab::rng::Seed;
use qkdlab::toeplitz_hash;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let runs = if quick { 3 } else { 10 };
    let mut json = String::from("{");
    for (q, ms) in cascade(runs) {
        let _ = write!(json, "\"cascade_ms_{q}\":{ms:.3},");
    }
    let _ = write!(json, "\"toeplitz_ms\":{:.3},", toeplitz(if quick { 3 } else { 10 }));
    quantum(if quick { 20_000_000 } else { 100_000_000 });
    let _ = write!(json, "\"session_quantum_ms\":{:.3}}}", session_quantum_stage());
    // The last line is machine-readable, for the wasm comparison in `npm run bench`.
    println!("{json}");
}

/// The quantum stage of a whole 2e6-pulse session (source, frames, fiber, detection), the
/// workload `npm run bench` also runs in wasm.
fn session_quantum_stage() -> f64 {
    use qkdlab::session::{Passive, StdClock, run};
    use qkdlab::{Config, Credential, SessionConfig};
    let config = SessionConfig {
        protocol: Config { pulses: 2_000_000, ..Config::default() },
        channel: ChannelModel { length_km: 10.0, error_rate: 0.02, ..ChannelModel::default() },
        eve: None,
        credential: Credential::psk(&[0; 32]).expect("32 bytes"),
        seed: Seed::from_text("bench"),
    };
    let r = run(&config, &mut Passive, &StdClock::default()).expect("valid config");
    let ms = r.stages[0].ms;
    println!("Session quantum stage, 2000000 pulses: {ms:.1} ms = {:.1} million pulses/s", 2e6 / ms / 1e3);
    ms
}

fn cascade(runs: usize) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let n = 100_000;
    println!("Cascade, n = {n} bits, {runs} runs per QBER (f = disclosed / (n h(Q)), Q the actual error rate)");
    println!(
        "  {:>6} {:>8} {:>8} {:>8} {:>10} {:>10} {:>8}",
        "QBER", "k1", "f mean", "f max", "rounds", "ms/run", "residual"
    );
    for q in [0.01, 0.02, 0.05, 0.08] {
        let (mut fs, mut rounds, mut ms, mut residual) = (Vec::new(), 0usize, 0.0, 0usize);
        let mut k1 = 0;
        for run in 0..runs {
            let seed = Seed::from_text(&format!("cascade bench {q} {run}"));
            let mut rng = seed.rng("keys");
            let alice = random_bits(n, &mut rng);
            let mut errors = vec![0u64; n.div_ceil(64)];
            fill_bernoulli(&mut errors, n, q, &mut rng);
            let mut bob = alice.clone();
            bob ^= &BitVec::from_words(errors, n);
            let actual = alice.hamming_distance(&bob) as f64 / n as f64;
            let t = Instant::now();
            let r = reconcile(&alice, &bob, actual, &[run as u8; 32]).expect("honest Cascade cannot fail");
            ms += t.elapsed().as_secs_f64() * 1e3;
            fs.push(r.disclosed as f64 / (n as f64 * binary_entropy(actual)));
            rounds = rounds.max(r.round_trips);
            residual += r.key.hamming_distance(&alice);
            k1 = r.params.first_block;
        }
        let mean = fs.iter().sum::<f64>() / fs.len() as f64;
        let max = fs.iter().copied().fold(0.0, f64::max);
        println!(
            "  {:>5.0}% {:>8} {:>8.3} {:>8.3} {:>10} {:>10.1} {:>8}",
            q * 100.0,
            k1,
            mean,
            max,
            rounds,
            ms / runs as f64,
            residual
        );
        out.push((q, ms / runs as f64));
    }
    out
}

fn toeplitz(runs: usize) -> f64 {
    let n = 1_000_000;
    let m = n / 2;
    let mut rng = Seed::from_text("toeplitz bench").rng("t");
    let input = random_bits(n, &mut rng);
    let seed = random_bits(n + m - 1, &mut rng);
    let mut best = f64::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        let y = toeplitz_hash(&seed, &input, m).expect("lengths match");
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(y);
    }
    println!("Toeplitz hash, n = {n} -> m = {m}: best of {runs} {best:.1} ms");
    best
}

fn quantum(pulses: usize) {
    let model = ChannelModel { error_rate: 0.02, ..ChannelModel::default() };
    let source = Source::default();
    let seed = Seed::from_text("quantum bench");
    let (mut a, mut b, mut f) = (seed.rng("alice"), seed.rng("bob"), seed.rng("fiber"));
    let batch = 1 << 16;
    let t = Instant::now();
    let mut clicks = 0;
    for i in 0..pulses / batch {
        let photons: PulseBatch = source.prepare(i as u32, batch, &mut a);
        let bases = random_bits(batch, &mut b);
        clicks += detect(&photons, &bases, &model, &mut f).clicks.count_ones();
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "Source + fiber + detection: {pulses} pulses in {:.0} ms = {:.1} million pulses/s ({clicks} clicks)",
        s * 1e3,
        pulses as f64 / s / 1e6
    );
}
