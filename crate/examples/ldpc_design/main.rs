//! Designs LDPC degree distributions for the binary symmetric channel, and checks any
//! ensemble's threshold: how the high-rate ensembles in
//! `crate/src/reconciliation/ldpc/distributions.rs` were made.
//!
//! `cargo run --release -p qkdlab --example ldpc_design -- design RATE [DC...]` designs
//! `lambda` for each check degree: `rho` puts its edges on checks of degree `DC` and `DC + 1`
//! (concentrated, as the published ensembles do), and a linear program finds the `lambda` of
//! highest rate whose density evolution converges at crossover `p`, in the Gaussian
//! approximation ([`ga`]): Richardson, Shokrollahi & Urbanke, "Design of capacity-approaching
//! irregular low-density parity-check codes", IEEE Trans. IT 47 (2001), sec. IV. A bisection
//! on `p` meets the requested rate. Each design is then rated by discretized density evolution
//! ([`de`]), which needs no approximation, and the best is printed as a table row.
//!
//! `-- thresholds` prints both thresholds of every published ensemble. `-- simulate ENSEMBLE
//! QBER F FRAMES [KEY_BITS]` decodes frames of 10^5 (or `KEY_BITS`) key bits of a code built by
//! the crate and prints the frames lost, the iterations, the decoding time and the code's
//! construction time ([`simulate`]);
//! ENSEMBLE is a plan rate (`0.9`), `"published 0.9"`, or `2:0.08,3:0.28/50:1` (lambda/rho);
//! `-- search ENSEMBLE STEPS` hill-climbs an ensemble's variable degrees on its DE threshold
//! ([`search`]).
//! `FLOAT=1` also decodes each failed frame in `f64` and prints its wrong bits by degree.
//! `MIN_DEGREE=3` keeps degree-2 variables out of a design: how the plan's rows from rate 0.75
//! were made (see `distributions.rs` for why).

mod de;
mod ga;
mod simulate;

use microlp::{ComparisonOp, OptimizationDirection, Problem};
use qkdlab::reconciliation::ldpc::binary_entropy;
use qkdlab::reconciliation::ldpc::distributions::{DISTRIBUTIONS, Distribution, PUBLISHED};
use rand::Rng;

/// Variable degrees the linear program may use: enough spread for the curve fit, capped where
/// the decoder's work per bit (edges) stops paying.
const VAR_DEGREES: [u32; 24] =
    [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 18, 20, 24, 28, 32, 40, 50, 60, 70, 85, 100];

/// Each iteration must shrink the moment gap by at least this fraction of itself: a margin
/// that keeps the decoder from crawling, which a finite code cannot afford.
const MARGIN: f64 = 0.004;

/// An ensemble in edge-perspective fractions.
#[derive(Debug, Clone)]
struct Ensemble {
    lambda: Vec<(u32, f64)>,
    rho: Vec<(u32, f64)>,
}

impl Ensemble {
    fn rate(&self) -> f64 {
        let integral = |e: &[(u32, f64)]| e.iter().map(|&(d, f)| f / f64::from(d)).sum::<f64>();
        1.0 - integral(&self.rho) / integral(&self.lambda)
    }
}

/// `rho` with mean check degree `dc + share`: edge fractions on degrees `dc` and `dc + 1`.
fn concentrated(dc: u32, share: f64) -> Vec<(u32, f64)> {
    // Node fraction `share` of degree dc+1 -> edge fractions.
    let (a, b) = ((1.0 - share) * f64::from(dc), share * f64::from(dc + 1));
    if share == 0.0 { vec![(dc, 1.0)] } else { vec![(dc, a / (a + b)), (dc + 1, b / (a + b))] }
}

/// The highest-rate `lambda` for `rho` that converges at crossover `p` (Gaussian
/// approximation) and is stable there; `None` if no `lambda` over [`VAR_DEGREES`] does.
fn best_lambda(rho: &[(u32, f64)], p: f64) -> Option<Ensemble> {
    let mut lp = Problem::new(OptimizationDirection::Maximize);
    // MIN_DEGREE=k keeps degrees below k out (fewer weak variables: a lower error floor).
    let min_degree: u32 = std::env::var("MIN_DEGREE").ok().and_then(|m| m.parse().ok()).unwrap_or(2);
    let vars: Vec<_> = VAR_DEGREES
        .iter()
        .map(|&d| lp.add_var(1.0 / f64::from(d), (0.0, if d < min_degree { 0.0 } else { 1.0 })))
        .collect();
    let all: Vec<_> = vars.iter().map(|&v| (v, 1.0)).collect();
    lp.add_constraint(&all[..], ComparisonOp::Eq, 1.0);
    // Stability with 10 % to spare: lambda_2 rho'(1) B <= 0.9.
    let bhattacharyya = 2.0 * (p * (1.0 - p)).sqrt();
    lp.add_constraint([(vars[0], ga::rho_slope(rho) * bhattacharyya)], ComparisonOp::Le, 0.9);
    for g in ga::gap_grid(p, 120) {
        let m = ga::check_mean(rho, g);
        let row: Vec<_> = VAR_DEGREES.iter().zip(&vars).map(|(&d, &v)| (v, g - ga::variable_gap(d, m, p))).collect();
        lp.add_constraint(&row[..], ComparisonOp::Ge, MARGIN * g);
    }
    let solution = lp.solve().ok()?.into_solution().ok()?;
    let lambda = VAR_DEGREES
        .iter()
        .zip(&vars)
        .map(|(&d, &v)| (d, solution.var_value(v)))
        .filter(|&(_, l)| l > 1e-5)
        .collect::<Vec<_>>();
    let total: f64 = lambda.iter().map(|&(_, l)| l).sum();
    Some(Ensemble { lambda: lambda.into_iter().map(|(d, l)| (d, l / total)).collect(), rho: rho.to_vec() })
}

/// The design of rate `rate` for `rho`: bisection on the crossover at which the linear
/// program's best rate equals `rate`.
fn design(rate: f64, rho: &[(u32, f64)]) -> Option<(f64, Ensemble)> {
    let (mut lo, mut hi) = (1e-4, 0.15);
    let mut found = None;
    for _ in 0..24 {
        let mid = 0.5 * (lo + hi);
        match best_lambda(rho, mid) {
            Some(e) if e.rate() >= rate => {
                lo = mid;
                found = Some((mid, e));
            }
            _ => hi = mid,
        }
    }
    found
}

fn print_ensemble(e: &Ensemble) {
    let terms = |v: &[(u32, f64)]| v.iter().map(|(d, f)| format!("({d}, {f:.5})")).collect::<Vec<_>>().join(", ");
    println!("    lambda: &[{}],", terms(&e.lambda));
    println!("    rho: &[{}],", terms(&e.rho));
}

/// A published ensemble by its rate, or `lambda/rho` as `degree:fraction` lists.
fn parse_ensemble(text: &str) -> Distribution {
    // "0.9" is the plan's (designed) row, "published 0.9" Table I's.
    let published = text.strip_prefix("published ");
    let table: Vec<&Distribution> =
        if published.is_some() { PUBLISHED.iter().collect() } else { DISTRIBUTIONS.to_vec() };
    if let Some(d) = table.iter().find(|d| format!("{}", d.nominal_rate) == published.unwrap_or(text)) {
        return **d;
    }
    let list = |s: &str| -> &'static [(u32, f64)] {
        let v: Vec<(u32, f64)> = s
            .split(',')
            .map(|t| {
                let (d, f) = t.split_once(':').expect("degree:fraction");
                (d.trim().parse().expect("a degree"), f.trim().parse().expect("a fraction"))
            })
            .collect();
        Box::leak(v.into_boxed_slice())
    };
    let (l, r) = text.split_once('/').expect("lambda/rho");
    let (lambda, rho) = (list(l), list(r));
    let mut d = Distribution { nominal_rate: 0.0, threshold: 0.0, lambda, rho };
    d.nominal_rate = (d.design_rate() * 1e4).round() / 1e4;
    d
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("thresholds") => {
            for d in &PUBLISHED {
                let (g, e) = (ga::threshold(d.lambda, d.rho), de::threshold(d.lambda, d.rho));
                let f = |p: f64| (1.0 - d.design_rate()) / binary_entropy(p);
                println!(
                    "rate {:.2}: published {:.4}, density evolution {e:.4} (f {:.3}), Gaussian approximation {g:.4} (f {:.3})",
                    d.nominal_rate,
                    d.threshold,
                    f(e),
                    f(g)
                );
            }
        }
        Some("design") => {
            let rate: f64 = args.get(1).and_then(|r| r.parse().ok()).expect("design RATE [DC...]");
            let dcs: Vec<u32> = args[2..].iter().filter_map(|d| d.parse().ok()).collect();
            let mut best: Option<(f64, Ensemble)> = None;
            for &dc in &dcs {
                for share in [0.0, 0.5] {
                    let Some((p_ga, e)) = design(rate, &concentrated(dc, share)) else {
                        println!("dc {dc}+{share}: no design");
                        continue;
                    };
                    let p = de::threshold(&e.lambda, &e.rho);
                    let f = (1.0 - e.rate()) / binary_entropy(p);
                    println!(
                        "dc {dc}+{share}: rate {:.4}, GA threshold {p_ga:.5}, DE threshold {p:.5} (f {f:.4})",
                        e.rate()
                    );
                    print_ensemble(&e);
                    if best.as_ref().is_none_or(|(bp, _)| p > *bp) {
                        best = Some((p, e));
                    }
                }
            }
            if let Some((p, e)) = best {
                println!("best: rate {:.4}, DE threshold {p:.5}", e.rate());
                print_ensemble(&e);
            }
        }
        Some("simulate") => {
            // simulate ENSEMBLE QBER F FRAMES [KEY_BITS], ENSEMBLE a published rate ("0.9") or
            // "2:0.08,3:0.28/50:1" (lambda/rho); frames of 10^5 key bits unless KEY_BITS.
            let usage = "simulate ENSEMBLE QBER F FRAMES [KEY_BITS]";
            let dist = parse_ensemble(args.get(1).expect(usage));
            let num = |i: usize| args.get(i).and_then(|a| a.parse::<f64>().ok()).expect(usage);
            let (qber, f, frames) = (num(2), num(3), num(4) as usize);
            let key_bits = args.get(5).map_or(Some(100_000), |a| a.parse().ok()).expect(usage);
            let o = simulate::run(&dist, key_bits, qber, f, frames);
            println!(
                "QBER {qber}: f {:.4} (punctured {}): failed {}/{}, iterations {:.1} on average, {:.1} ms per frame; code built in {:.0} ms (threshold: DE {:.5})",
                o.efficiency,
                o.punctured,
                o.failed,
                o.frames,
                o.mean_iterations,
                o.decode_ms,
                o.build_ms,
                de::threshold(dist.lambda, dist.rho)
            );
        }
        Some("search") => {
            // search ENSEMBLE STEPS: hill-climbs lambda (degrees from 3, rho and the rate fixed)
            // on the density-evolution threshold.
            let dist = parse_ensemble(args.get(1).expect("search ENSEMBLE STEPS"));
            let steps: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(200);
            search(dist, steps);
        }
        _ => eprintln!(
            "usage: ldpc_design thresholds | design RATE DC... | simulate ENSEMBLE QBER F FRAMES [KEY_BITS] | search ENSEMBLE STEPS"
        ),
    }
}

/// Local search on the density-evolution threshold: moves edge mass among three variable
/// degrees (from 3 on, in [`VAR_DEGREES`]) so that the fractions still sum to one and the rate
/// stays, and keeps a move that raises the threshold. From the plan's rate-0.9 row (threshold
/// 0.01159, f 1.097) 800 steps reach 0.0119 to 0.0120 (f 1.071 to 1.064, depending on the
/// moves drawn); `DESIGNED` says why that row stays.
fn search(dist: Distribution, steps: usize) {
    let degrees: Vec<u32> = VAR_DEGREES.iter().copied().filter(|&d| d >= 3).collect();
    let mut lambda: Vec<f64> =
        degrees.iter().map(|&d| dist.lambda.iter().filter(|&&(e, _)| e == d).map(|&(_, l)| l).sum()).collect();
    let pairs = |l: &[f64]| degrees.iter().zip(l).filter(|&(_, &f)| f > 0.0).map(|(&d, &f)| (d, f)).collect::<Vec<_>>();
    let rate = |l: &[f64]| {
        let e = Ensemble { lambda: pairs(l), rho: dist.rho.to_vec() };
        e.rate()
    };
    let f_of = |p: f64, l: &[f64]| (1.0 - rate(l)) / binary_entropy(p);
    let mut best = de::threshold(&pairs(&lambda), dist.rho);
    println!("start: threshold {best:.5}, rate {:.4}, f {:.4}", rate(&lambda), f_of(best, &lambda));
    let mut rng = qkdlab::Seed::from_text("ldpc design search").rng("moves");
    let mut next = move || rng.next_u64();
    let mut scale = 0.02;
    for step in 0..steps {
        let n = degrees.len() as u64;
        let (a, b, c) = ((next() % n) as usize, (next() % n) as usize, (next() % n) as usize);
        if a == b || b == c || a == c {
            continue;
        }
        let (da, db, dc) = (f64::from(degrees[a]), f64::from(degrees[b]), f64::from(degrees[c]));
        let delta = scale * ((next() % 2001) as f64 / 1000.0 - 1.0);
        // lambda_a += delta; lambda_b, lambda_c absorb it keeping sum and sum / d.
        let x_b = (-delta / da + delta / dc) / (1.0 / db - 1.0 / dc);
        let x_c = -delta - x_b;
        let mut l = lambda.clone();
        l[a] += delta;
        l[b] += x_b;
        l[c] += x_c;
        if l.iter().any(|&f| f < 0.0) {
            continue;
        }
        for f in &mut l {
            if *f < 1e-4 {
                *f = 0.0;
            }
        }
        let total: f64 = l.iter().sum();
        l.iter_mut().for_each(|f| *f /= total);
        if (rate(&l) - rate(&lambda)).abs() > 2e-4 {
            continue;
        }
        let p = de::threshold(&pairs(&l), dist.rho);
        if p > best {
            best = p;
            lambda = l;
            println!("step {step}: threshold {best:.5}, rate {:.4}, f {:.4}", rate(&lambda), f_of(best, &lambda));
            print_ensemble(&Ensemble { lambda: pairs(&lambda), rho: dist.rho.to_vec() });
        }
        if step % 100 == 99 {
            scale *= 0.7;
        }
    }
}
