//! The finite-key bound on the secret key length.

/// Binary entropy `h(p) = -p log2 p - (1-p) log2 (1-p)`, with `h(p) = 1` for `p >= 1/2`.
pub fn binary_entropy(p: f64) -> f64 {
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 0.5 {
        return 1.0;
    }
    -p * p.log2() - (1.0 - p) * (1.0 - p).log2()
}

/// Step of the public grid the tolerated QBER is rounded up to (`Q_tol = ceil(Q / step) step`).
pub const QBER_GRID_STEP: f64 = 1.0 / 1024.0;
/// Tolerated QBERs on the grid, up to 1/2.
pub const QBER_GRID_VALUES: u64 = 512;
/// Step of the public grid the error-correction leak is rounded up to, in bits.
pub const LEAK_GRID_STEP: u64 = 256;

/// How far the key's error rate may exceed the sample's, except with probability `eps`:
/// `mu = sqrt( (n + k)/(n k) * (k + 1)/k * ln(1 / eps) )`, for `n` key bits and `k` sampled
/// bits (Serfling's bound; Tomamichel, Lim, Gisin, Renner, "Tight finite-key analysis for
/// quantum cryptography", Nat. Commun. 3, 634 (2012), Supplementary Eqs. S4, S10, S15).
pub fn statistical_deviation(n: usize, k: usize, eps: f64) -> f64 {
    let (n, k) = (n as f64, k as f64);
    ((n + k) / (n * k) * (k + 1.0) / k * (1.0 / eps).ln()).sqrt()
}

/// Every term of the finite-key bound, as reported (camelCase when serialized for JS).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FiniteKey {
    /// Key bits entering privacy amplification.
    pub n: usize,
    /// Bits sampled for parameter estimation.
    pub k: usize,
    /// Sample error rate.
    pub qber: f64,
    /// The tolerated QBER of this round's branch: the sample's rounded up to the public grid.
    pub q_tol: f64,
    /// Statistical deviation `mu` (with `eps = eps_branch / 4`).
    pub mu: f64,
    /// `n h(Q_tol + mu)`: the bits Eve may know from the quantum channel.
    pub phase_error_bits: f64,
    /// Bits disclosed by reconciliation plus the verification tag, as counted.
    pub leak_ec: u64,
    /// `leak_EC` of this round's branch: the count rounded up to the public grid.
    pub leak_bound: u64,
    /// Branches of the variable-length protocol (QBER grid values times leak grid values).
    pub branches: f64,
    /// `log2(2 / (eps_branch^2 eps_cor))`, with `eps_branch = eps_sec / branches`.
    pub epsilon_bits: f64,
    /// The bound before flooring (may be negative).
    pub bound: f64,
    /// The secret key length: `max(0, floor(bound))`.
    pub length: usize,
    /// Secrecy parameter of the whole variable-length protocol.
    pub eps_sec: f64,
    /// Correctness parameter.
    pub eps_cor: f64,
}

/// [`finite_key_length`] for inputs from outside: refuses a QBER outside `[0, 0.5]` and
/// epsilons outside `(0, 1)`, naming the field.
pub fn checked_finite_key_length(
    n: usize,
    k: usize,
    qber: f64,
    leak_ec: u64,
    eps_sec: f64,
    eps_cor: f64,
) -> Result<FiniteKey, crate::error::Error> {
    use crate::error::Error;
    if !(qber.is_finite() && (0.0..=0.5).contains(&qber)) {
        return Err(Error::invalid("qber", format!("must be in [0, 0.5], got {qber}")));
    }
    for (field, v) in [("epsSec", eps_sec), ("epsCor", eps_cor)] {
        if !(v.is_finite() && v > 0.0 && v < 1.0) {
            return Err(Error::invalid(field, format!("must be in (0, 1), got {v}")));
        }
    }
    Ok(finite_key_length(n, k, qber, leak_ec, eps_sec, eps_cor))
}

/// The secret key length of single-photon BB84 after `leak_ec` disclosed bits.
///
/// **Theorem used.** Tomamichel, Lim, Gisin, Renner, Nat. Commun. 3, 634 (2012), Eq. (2)
/// (Theorem 2 of arXiv:1103.4130): the fixed-length protocol with tolerated QBER `Q_tol`
/// (fixed in advance; it aborts when the sample's error rate exceeds it), error correction
/// disclosing at most `leak_EC` bits, `n` key bits and `k` sampled bits is `eps_sec`-secret if
/// `l <= n (1 - h(Q_tol + mu)) - leak_EC - log2( 2 / (eps_sec^2 eps_cor) )` with
/// `mu = sqrt( (n + k)/(n k) (k + 1)/k ln(4 / eps_sec) )`. The `4` is the split of the
/// supplementary's proof (`eps = eps_sec / 4` for parameter estimation, `eps_bar = eps_sec / 2`
/// for smoothing); some quotations print `ln(2 / eps_sec)`, which is not what the proof gives.
/// Its assumptions: a qubit source; detection independent of the basis; the key from one
/// basis; the QBER estimated on the sample; universal hashing for verification and
/// amplification.
///
/// **How we adapt it.** Our length adapts to the observed QBER and to the bits Cascade
/// actually disclosed, so we run a variable-length protocol: the branch is the pair (`Q_tol`,
/// `leak_EC`) with `Q_tol` the sample's QBER rounded up to a public grid of step 1/1024 (512
/// values up to 1/2) and `leak_EC` the disclosed count rounded up to a multiple of 256 bits
/// (at most `n / 256 + 1` values). Each branch is the fixed-length protocol above, run with
/// `eps_branch = eps_sec / branches`; the branch is public, so the secrecy of the whole is at
/// most the sum over branches (the union-bound recipe; see Tupkary, Tan, Lütkenhaus,
/// "Security proof for variable-length quantum key distribution", arXiv:2308.04397, for the
/// general framework). `n` and `k` are public and the statement holds for each of them.
pub fn finite_key_length(n: usize, k: usize, qber: f64, leak_ec: u64, eps_sec: f64, eps_cor: f64) -> FiniteKey {
    let q_tol = ((qber / QBER_GRID_STEP).ceil() * QBER_GRID_STEP).min(0.5);
    let leak_bound = leak_ec.div_ceil(LEAK_GRID_STEP) * LEAK_GRID_STEP;
    let branches = QBER_GRID_VALUES as f64 * ((n as u64) / LEAK_GRID_STEP + 1) as f64;
    let eps_branch = eps_sec / branches;
    let mu = if n == 0 || k == 0 { f64::INFINITY } else { statistical_deviation(n, k, eps_branch / 4.0) };
    let phase_error_bits = n as f64 * binary_entropy(q_tol + mu);
    let epsilon_bits = (2.0 / (eps_branch * eps_branch * eps_cor)).log2();
    let bound = n as f64 - phase_error_bits - leak_bound as f64 - epsilon_bits;
    let length = if bound >= 1.0 { bound.floor() as usize } else { 0 };
    FiniteKey {
        n,
        k,
        qber,
        q_tol,
        mu,
        phase_error_bits,
        leak_ec,
        leak_bound,
        branches,
        epsilon_bits,
        bound,
        length,
        eps_sec,
        eps_cor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_has_its_known_values() {
        assert_eq!(binary_entropy(0.0), 0.0);
        assert_eq!(binary_entropy(0.5), 1.0);
        assert!((binary_entropy(0.11) - 0.499_915_958_164_528_8).abs() < 1e-12);
    }

    #[test]
    fn length_follows_the_formula_term_by_term() {
        let f = finite_key_length(100_000, 10_000, 0.02, 15_000, 1e-10, 1e-15);
        // 512 QBER values times 100000/256 + 1 = 391 leak values.
        let branches: f64 = 512.0 * 391.0;
        let eps = 1e-10 / branches;
        let mu = ((110_000.0 / (100_000.0 * 10_000.0)) * (10_001.0 / 10_000.0) * (4.0 / eps).ln()).sqrt();
        assert!((f.mu - mu).abs() < 1e-15);
        let q_tol = 21.0 / 1024.0; // 0.02 rounded up to the grid
        assert!((f.q_tol - q_tol).abs() < 1e-15);
        assert_eq!(f.leak_bound, 15_104); // 15000 rounded up to a multiple of 256
        let expect = 100_000.0 * (1.0 - binary_entropy(q_tol + mu)) - 15_104.0 - (2.0 / (eps * eps * 1e-15)).log2();
        assert_eq!(f.length, expect.floor() as usize);
    }

    #[test]
    fn too_little_data_gives_zero_length() {
        assert_eq!(finite_key_length(1000, 100, 0.05, 400, 1e-10, 1e-15).length, 0);
        assert_eq!(finite_key_length(0, 0, 0.0, 0, 1e-10, 1e-15).length, 0);
    }
}
