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

/// How far the key's error rate may exceed the sample's, except with probability `eps_sec`:
/// `mu = sqrt( (n + k)/(n k) * (k + 1)/k * ln(2 / eps_sec) )`, for `n` key bits and `k`
/// sampled bits. Tomamichel, Lim, Gisin, Renner, "Tight finite-key analysis for quantum
/// cryptography", Nat. Commun. 3, 634 (2012), Eq. (3) with the sampling bound of its Methods.
pub fn statistical_deviation(n: usize, k: usize, eps_sec: f64) -> f64 {
    let (n, k) = (n as f64, k as f64);
    ((n + k) / (n * k) * (k + 1.0) / k * (2.0 / eps_sec).ln()).sqrt()
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
    /// Statistical deviation `mu`.
    pub mu: f64,
    /// `n h(Q + mu)`: the bits Eve may know from the quantum channel.
    pub phase_error_bits: f64,
    /// `leak_EC`: every bit disclosed by reconciliation plus the verification tag.
    pub leak_ec: u64,
    /// `log2(2 / (eps_sec^2 eps_cor))`.
    pub epsilon_bits: f64,
    /// The bound before flooring (may be negative).
    pub bound: f64,
    /// The secret key length: `max(0, floor(bound))`.
    pub length: usize,
    /// Secrecy parameter.
    pub eps_sec: f64,
    /// Correctness parameter.
    pub eps_cor: f64,
}

/// The secret key length of single-photon BB84 after `leak_ec` disclosed bits:
/// `l = floor( n (1 - h(Q + mu)) - leak_EC - log2( 2 / (eps_sec^2 eps_cor) ) )`.
/// Tomamichel, Lim, Gisin, Renner, Nat. Commun. 3, 634 (2012), Eq. (2).
pub fn finite_key_length(n: usize, k: usize, qber: f64, leak_ec: u64, eps_sec: f64, eps_cor: f64) -> FiniteKey {
    let mu = if n == 0 || k == 0 { f64::INFINITY } else { statistical_deviation(n, k, eps_sec) };
    let phase_error_bits = n as f64 * binary_entropy(qber + mu);
    let epsilon_bits = (2.0 / (eps_sec * eps_sec * eps_cor)).log2();
    let bound = n as f64 - phase_error_bits - leak_ec as f64 - epsilon_bits;
    let length = if bound >= 1.0 { bound.floor() as usize } else { 0 };
    FiniteKey { n, k, qber, mu, phase_error_bits, leak_ec, epsilon_bits, bound, length, eps_sec, eps_cor }
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
        let mu = ((110_000.0 / (100_000.0 * 10_000.0)) * (10_001.0 / 10_000.0) * (2e10f64).ln()).sqrt();
        assert!((f.mu - mu).abs() < 1e-15);
        let expect = 100_000.0 * (1.0 - binary_entropy(0.02 + mu)) - 15_000.0 - (2.0 / (1e-20 * 1e-15f64)).log2();
        assert_eq!(f.length, expect.floor() as usize);
        assert!((f.epsilon_bits - 117.267_483_321_057_68).abs() < 1e-9);
    }

    #[test]
    fn too_little_data_gives_zero_length() {
        assert_eq!(finite_key_length(1000, 100, 0.05, 400, 1e-10, 1e-15).length, 0);
        assert_eq!(finite_key_length(0, 0, 0.0, 0, 1e-10, 1e-15).length, 0);
    }
}
