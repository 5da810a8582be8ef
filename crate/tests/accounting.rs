//! The reported key lengths, recomputed from the reported terms with a formula written here
//! independently of the crate (Tomamichel, Lim, Gisin, Renner, Nat. Commun. 3, 634 (2012),
//! Eq. (2), run as a variable-length protocol over public grids).

mod common;

fn h(p: f64) -> f64 {
    if p <= 0.0 {
        0.0
    } else if p >= 0.5 {
        1.0
    } else {
        -p * p.log2() - (1.0 - p) * (1.0 - p).log2()
    }
}

/// The length from first principles: `Q_tol` is the sample QBER rounded up to a multiple of
/// 1/1024, the leak rounded up to a multiple of 256 bits; `eps_sec` is split over the 512 x
/// (n / 256 + 1) branches; `mu` uses `ln(4 / eps)`.
fn independent_length(n: usize, k: usize, qber: f64, leak: u64, eps_sec: f64, eps_cor: f64) -> i64 {
    let q_tol = (qber * 1024.0).ceil() / 1024.0;
    let leak = leak.div_ceil(256) * 256;
    let branches = 512.0 * ((n / 256) + 1) as f64;
    let eps = eps_sec / branches;
    let (nf, kf) = (n as f64, k as f64);
    let mu = ((nf + kf) / (nf * kf) * (kf + 1.0) / kf * (4.0 / eps).ln()).sqrt();
    let bound = nf * (1.0 - h(q_tol + mu)) - leak as f64 - (2.0 / (eps * eps * eps_cor)).log2();
    bound.floor() as i64
}

#[test]
fn reported_key_lengths_match_the_independent_formula() {
    let mut checked = 0;
    for (q, seed) in [(0.01, "acc a"), (0.02, "acc b"), (0.03, "acc c"), (0.04, "acc d"), (0.05, "acc e")] {
        let r = common::run(&common::small(q, seed));
        let f = r.summary.finite_key.as_ref().expect("the round reached amplification");
        let expect = independent_length(f.n, f.k, r.summary.qber, f.leak_ec, 1e-10, 1e-15);
        assert_eq!(f.length as i64, expect.max(0), "QBER {q}");
        assert_eq!(f.leak_ec, r.disclosed.reconciliation + r.disclosed.verification);
        if r.ok {
            assert_eq!(r.final_key_bits as i64, expect);
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} sessions made a key");
}
