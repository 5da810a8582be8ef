//! The secret key length of weak-coherent BB84: the three-intensity decoy-state finite-key
//! bound, and (without decoys) a GLLP-style bound that counts every multi-photon pulse as
//! known to Eve. The single-photon bound ([`super::finite_key_length`]) is never applied to
//! weak pulses; it is only reported, as `naive_length`, to show what it would wrongly claim.

use super::finite_key::{
    LEAK_GRID_STEP, QBER_GRID_STEP, QBER_GRID_VALUES, binary_entropy, finite_key_length, statistical_deviation,
};

/// Public counts of one round, per intensity class (signal, decoy, vacuum). The key basis is
/// the rectilinear one; every sifted bit of the diagonal (test) basis is disclosed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassCounts {
    /// Pulses Alice sent.
    pub pulses: [u64; 3],
    /// Clicks at Bob.
    pub clicks: [u64; 3],
    /// Sifted bits in the key basis (`n_{X,k}` of Lim et al.).
    pub key_sifted: [u64; 3],
    /// Sifted bits in the test basis (`n_{Z,k}`).
    pub test_sifted: [u64; 3],
    /// Errors among the test-basis bits (`m_{Z,k}`).
    pub test_errors: [u64; 3],
}

impl ClassCounts {
    /// Gain of each class: clicks per pulse sent.
    pub fn gains(&self) -> [f64; 3] {
        core::array::from_fn(|k| ratio(self.clicks[k], self.pulses[k]))
    }

    /// Error rate of each class in the test basis.
    pub fn error_rates(&self) -> [f64; 3] {
        core::array::from_fn(|k| ratio(self.test_errors[k], self.test_sifted[k]))
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// The source as the bound sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SourceTerms {
    /// Mean photon numbers of signal, decoy, vacuum.
    pub intensities: [f64; 3],
    /// Class probabilities.
    pub probabilities: [f64; 3],
    /// Probability of the key basis (both parties).
    pub key_basis_probability: f64,
}

/// Every term of a weak-coherent key length, as reported (camelCase for JS).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecoyKey {
    /// "decoy" (Lim et al. 2014) or "no-decoy" (GLLP-style: multi-photon pulses all known).
    pub method: &'static str,
    /// The counts it was computed from.
    pub counts: ClassCounts,
    /// Gain per class.
    pub gains: [f64; 3],
    /// Test-basis error rate per class.
    pub error_rates: [f64; 3],
    /// Lower bound on vacuum detections in the key basis (`s_{X,0}`).
    pub s0: f64,
    /// Lower bound on single-photon detections in the key basis (`s_{X,1}`).
    pub s1: f64,
    /// Lower bound on single-photon detections in the test basis (`s_{Z,1}`).
    pub s1_test: f64,
    /// Upper bound on single-photon errors in the test basis (`v_{Z,1}`).
    pub v1_test: f64,
    /// Upper bound on the single-photon phase error rate of the key (`phi_X`), rounded up to the
    /// public grid.
    pub phase_error: f64,
    /// Statistical term of the phase error (`gamma`, at least Serfling's deviation).
    pub gamma: f64,
    /// Bits disclosed by reconciliation plus the verification tag.
    pub leak_ec: u64,
    /// The leak rounded up to the public grid.
    pub leak_bound: u64,
    /// Branches of the variable-length protocol (phase-error grid values times leak grid values).
    pub branches: f64,
    /// `6 log2(21 / eps) + log2(2 / eps_cor)`, with `eps = eps_sec / branches`.
    pub epsilon_bits: f64,
    /// The bound before flooring.
    pub bound: f64,
    /// The secret key length.
    pub length: usize,
    /// What the single-photon bound would have claimed for these bits (never used: with weak
    /// pulses it is insecure).
    pub naive_length: usize,
    /// Why there is no key, when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// Secrecy parameter.
    pub eps_sec: f64,
    /// Correctness parameter.
    pub eps_cor: f64,
}

/// Hoeffding's deviation for `n` trials and failure probability `eps`: `sqrt(n/2 ln(1/eps))`.
fn hoeffding(n: f64, eps: f64) -> f64 {
    (n / 2.0 * (1.0 / eps).ln()).sqrt()
}

/// `gamma(a, b, c, d)` of Lim et al., Eq. (5): the random-sampling term of the phase error.
fn gamma(a: f64, b: f64, c: f64, d: f64) -> f64 {
    if b <= 0.0 || b >= 0.5 || c <= 0.0 || d <= 0.0 {
        return 0.0;
    }
    let v = (c + d) * (1.0 - b) * b / (c * d * core::f64::consts::LN_2)
        * ((c + d) / (c * d * (1.0 - b) * b) * 441.0 / (a * a)).log2();
    v.max(0.0).sqrt()
}

/// The three-intensity bounds of Lim, Curty, Walenta, Xu, Zbinden, "Concise security bounds for
/// practical decoy-state quantum key distribution", PRA 89, 022307 (2014), Eqs. (2)-(4), for
/// one basis: `(s0, s1)` from the sifted counts `n` of that basis, with
/// `n_k^± = e^{mu_k} / p_k (n_k ± sqrt(n/2 ln(21/eps)))`, `tau_j = sum_k p_k e^{-mu_k} mu_k^j / j!`,
/// `s0 >= tau_0 (mu2 n_3^- - mu3 n_2^+) / (mu2 - mu3)` and
/// `s1 >= tau_1 mu1 (n_2^- - n_3^+ - (mu2^2 - mu3^2)/mu1^2 (n_1^+ - s0/tau_0)) / (mu1 (mu2 - mu3) - mu2^2 + mu3^2)`.
fn decoy_yields(n: [u64; 3], src: &SourceTerms, eps: f64) -> (f64, f64) {
    let [mu1, mu2, mu3] = src.intensities;
    let p = src.probabilities;
    let total: u64 = n.iter().sum();
    let d = hoeffding(total as f64, eps / 21.0);
    let scaled = |k: usize, sign: f64| (src.intensities[k]).exp() / p[k] * (n[k] as f64 + sign * d);
    // j! is 1 for j = 0, 1.
    let tau = |j: i32| -> f64 { (0..3).map(|k| p[k] * (-src.intensities[k]).exp() * src.intensities[k].powi(j)).sum() };
    let (tau0, tau1) = (tau(0), tau(1));
    let s0 = (tau0 * (mu2 * scaled(2, -1.0) - mu3 * scaled(1, 1.0)) / (mu2 - mu3)).max(0.0);
    let s1 = tau1
        * mu1
        * (scaled(1, -1.0) - scaled(2, 1.0) - (mu2 * mu2 - mu3 * mu3) / (mu1 * mu1) * (scaled(0, 1.0) - s0 / tau0))
        / (mu1 * (mu2 - mu3) - mu2 * mu2 + mu3 * mu3);
    (s0, s1)
}

/// Lim et al., Eq. (4): `v_{Z,1} <= tau_1 (m_2^+ - m_3^-) / (mu2 - mu3)` from the test-basis
/// error counts.
fn decoy_errors(m: [u64; 3], src: &SourceTerms, eps: f64) -> f64 {
    let [_, mu2, mu3] = src.intensities;
    let p = src.probabilities;
    let total: u64 = m.iter().sum();
    let d = hoeffding(total as f64, eps / 21.0);
    let scaled = |k: usize, sign: f64| src.intensities[k].exp() / p[k] * (m[k] as f64 + sign * d);
    let tau1: f64 = (0..3).map(|k| p[k] * (-src.intensities[k]).exp() * src.intensities[k]).sum();
    tau1 * (scaled(1, 1.0) - scaled(2, -1.0)) / (mu2 - mu3)
}

/// Without decoys (GLLP: Gottesman, Lo, Lütkenhaus, Preskill, QIC 4, 325 (2004)): Eve may hold
/// a copy of every multi-photon pulse, so only detections beyond the most multi-photon pulses
/// there could be count. Of `pulses` signal pulses, those with two or more photons in which
/// both parties chose `basis_prob`'s basis number at most
/// `N p_multi q^2 + sqrt(N/2 ln(21/eps))` (Hoeffding), and `s1 >= n - that`.
fn multi_photon_bound(pulses: u64, mu: f64, basis_prob: f64, eps: f64) -> f64 {
    let p_multi = 1.0 - (-mu).exp() * (1.0 + mu);
    pulses as f64 * p_multi * basis_prob * basis_prob + hoeffding(pulses as f64, eps / 21.0)
}

/// The key length of a weak-coherent round from its public counts and the bits reconciliation
/// disclosed (plus the verification tag), following Lim et al. (2014), Eq. (1):
/// `l = floor( s0 + s1 (1 - h(phi)) - leak_EC - 6 log2(21/eps_sec) - log2(2/eps_cor) )`, with
/// `phi <= v1/s1_test + gamma(eps_sec, v1/s1_test, s1_test, s1)`. Lim et al.'s assumptions: a
/// phase-randomised laser whose intensities are set exactly; basis-independent detection
/// efficiency (which detector attacks break); key from one basis, phase errors from the other.
///
/// Two safeguards beyond the paper's closed form: `gamma` (a smooth approximation that vanishes
/// as the observed phase error goes to 0) is never taken below Serfling's sampling deviation
/// for the same populations ([`super::statistical_deviation`], the bound the single-photon path
/// uses), so a test basis with no error still costs its statistical term; and as for single
/// photons ([`super::finite_key_length`]) the round is a variable-length protocol whose branch
/// is public: the phase-error bound is rounded up to the grid of step 1/1024 and `leak_EC` up to
/// a multiple of 256 bits, and `eps_sec` is split over every (phase error, leak) branch (union
/// bound). The length never exceeds `key_bits`, the bits it is hashed from.
pub fn decoy_key_length(
    counts: &ClassCounts,
    src: &SourceTerms,
    key_bits: u64,
    leak_ec: u64,
    eps_sec: f64,
    eps_cor: f64,
) -> DecoyKey {
    let n_key: u64 = counts.key_sifted.iter().sum();
    let n_test: u64 = counts.test_sifted.iter().sum();
    let m_test: u64 = counts.test_errors.iter().sum();
    let leak_bound = leak_ec.div_ceil(LEAK_GRID_STEP) * LEAK_GRID_STEP;
    let branches = QBER_GRID_VALUES as f64 * (n_key / LEAK_GRID_STEP + 1) as f64;
    let eps = eps_sec / branches;
    let decoys = src.probabilities[1] > 0.0;
    let (s0, s1, s1_test, v1_test) = if decoys {
        let (s0, s1) = decoy_yields(counts.key_sifted, src, eps);
        let (_, s1_test) = decoy_yields(counts.test_sifted, src, eps);
        (s0, s1, s1_test, decoy_errors(counts.test_errors, src, eps))
    } else {
        let q = src.key_basis_probability;
        let mu = src.intensities[0];
        // Every pulse of a round without decoys is a signal (Bob refuses other announcements).
        let pulses = counts.pulses.iter().fold(0u64, |a, &b| a.saturating_add(b));
        let s1 = n_key as f64 - multi_photon_bound(pulses, mu, q, eps);
        let s1_test = n_test as f64 - multi_photon_bound(pulses, mu, 1.0 - q, eps);
        (0.0, s1, s1_test, m_test as f64)
    };
    let ratio = if s1_test > 0.0 { (v1_test / s1_test).max(0.0) } else { 0.5 };
    let ratio = if ratio.is_finite() { ratio.min(0.5) } else { 0.5 };
    let serfling = if s1 >= 1.0 && s1_test >= 1.0 {
        statistical_deviation(s1.floor() as usize, s1_test.floor() as usize, eps / 21.0)
    } else {
        0.5
    };
    let g = gamma(eps, ratio, s1_test, s1).max(serfling);
    let phase_error = (((ratio + g) / QBER_GRID_STEP).ceil() * QBER_GRID_STEP).min(0.5);
    let epsilon_bits = 6.0 * (21.0 / eps).log2() + (2.0 / eps_cor).log2();
    let secret = if s1 > 0.0 && s1_test > 0.0 { s1 * (1.0 - binary_entropy(phase_error)) } else { 0.0 };
    let bound = s0 + secret - leak_bound as f64 - epsilon_bits;
    let length = if bound >= 1.0 { (bound.floor() as u64).min(key_bits) as usize } else { 0 };
    let naive = finite_key_length(n_key as usize, n_test as usize, ratio_of(m_test, n_test), leak_ec, eps_sec, eps_cor);
    let verdict = (length == 0).then(|| verdict(src, s1, s1_test, phase_error, counts));
    DecoyKey {
        method: if decoys { "decoy" } else { "no-decoy" },
        counts: counts.clone(),
        gains: counts.gains(),
        error_rates: counts.error_rates(),
        s0,
        s1,
        s1_test,
        v1_test,
        phase_error,
        gamma: g,
        leak_ec,
        leak_bound,
        branches,
        epsilon_bits,
        bound,
        length,
        naive_length: naive.length,
        verdict,
        eps_sec,
        eps_cor,
    }
}

fn ratio_of(a: u64, b: u64) -> f64 {
    ratio(a, b).min(0.5)
}

/// A sentence on why a weak-coherent round has no key.
fn verdict(src: &SourceTerms, s1: f64, s1_test: f64, phase_error: f64, counts: &ClassCounts) -> String {
    let g = counts.gains();
    let decoys = src.probabilities[1] > 0.0;
    let single_photons_gone = s1 <= 0.0 || s1_test <= 0.0;
    if decoys && (single_photons_gone || phase_error >= 0.5) {
        let ratio = if g[0] > 0.0 { g[1] / g[0] } else { 0.0 };
        let honest = src.intensities[1] / src.intensities[0];
        let term = if single_photons_gone {
            "leave no single-photon detections (s1 <= 0)"
        } else {
            "bound the single-photon error rate at 50 %"
        };
        // Over a lossy fiber the gains scale with the intensity (Q_k ~ mu_k eta), so the decoy's
        // gain is about nu/mu of the signal's; a PNS attack, which cannot tell the classes
        // apart, starves the weak decoy (mostly single photons) and breaks that ratio.
        let cause = if ratio < 0.7 * honest {
            "not what a lossy fiber gives: a photon-number-splitting attack looks like this"
        } else {
            "what a fiber gives, but the decoy classes are too small for the finite-size terms: \
             send more pulses or choose the decoys more often"
        };
        format!(
            "the decoy statistics {term}: decoy/signal gain ratio {ratio:.3} where a lossy fiber gives about {honest:.3} \
             (gains: signal {:.3e}, decoy {:.3e}, vacuum {:.3e}), {cause}",
            g[0], g[1], g[2]
        )
    } else if single_photons_gone {
        "without decoys, multi-photon pulses could account for every detection: Eve may know the whole key \
         (photon-number splitting); use decoy states, a lower intensity or a shorter fiber"
            .into()
    } else if phase_error >= 0.5 {
        "the single-photon phase error bound reached 50 %: nothing is secret".into()
    } else {
        "the single-photon part minus the leak and finite-size terms is below one bit: send more pulses".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: SourceTerms =
        SourceTerms { intensities: [0.5, 0.1, 0.0], probabilities: [0.7, 0.2, 0.1], key_basis_probability: 0.5 };

    /// Expected counts of an honest channel of total efficiency `eta` (dark counts 1e-6,
    /// misalignment 1 %), `pulses` pulses.
    fn honest(pulses: f64, eta: f64) -> ClassCounts {
        let mut c = ClassCounts::default();
        for k in 0..3 {
            let n = pulses * SRC.probabilities[k];
            let q = 1e-6 + 1.0 - (-SRC.intensities[k] * eta).exp();
            let e = (0.5e-6 + 0.01 * (1.0 - (-SRC.intensities[k] * eta).exp())) / q;
            c.pulses[k] = n as u64;
            c.clicks[k] = (n * q) as u64;
            c.key_sifted[k] = (n * q / 4.0) as u64;
            c.test_sifted[k] = (n * q / 4.0) as u64;
            c.test_errors[k] = (n * q / 4.0 * e) as u64;
        }
        c
    }

    #[test]
    fn single_photon_lower_bound_is_below_and_near_the_true_count_for_many_pulses() {
        let c = honest(1e10, 0.05);
        let k = decoy_key_length(&c, &SRC, u64::MAX, 0, 1e-10, 1e-15);
        // True single-photon detections in the key basis: sum_k N p_k mu_k e^-mu_k eta / 4.
        let truth: f64 = (0..3)
            .map(|k| 1e10 * SRC.probabilities[k] * SRC.intensities[k] * (-SRC.intensities[k]).exp() * 0.05 / 4.0)
            .sum();
        assert!(k.s1 < truth && k.s1 > 0.8 * truth, "s1 {} truth {truth}", k.s1);
        assert!(k.phase_error > 0.01 && k.phase_error < 0.03, "{}", k.phase_error);
        assert!(k.length > 0 && k.verdict.is_none());
    }

    #[test]
    fn a_decoy_gain_far_below_the_signals_leaves_no_key() {
        let mut c = honest(1e9, 0.05);
        // PNS: decoy pulses (mostly single photons) are blocked.
        c.clicks[1] /= 20;
        c.key_sifted[1] /= 20;
        c.test_sifted[1] /= 20;
        let k = decoy_key_length(&c, &SRC, u64::MAX, 0, 1e-10, 1e-15);
        assert_eq!(k.length, 0);
        assert!(k.verdict.as_deref().is_some_and(|v| v.contains("photon-number-splitting")), "{:?}", k.verdict);
        assert!(k.naive_length > 0, "the single-photon bound would have claimed a key");
    }

    #[test]
    fn a_test_basis_without_errors_still_pays_a_statistical_phase_error() {
        let mut c = honest(1e9, 0.05);
        c.test_errors = [0, 0, 0];
        let k = decoy_key_length(&c, &SRC, u64::MAX, 0, 1e-10, 1e-15);
        assert!(k.gamma > 0.0 && k.phase_error > 0.0, "{} {}", k.gamma, k.phase_error);
        let serfling = statistical_deviation(k.s1 as usize, k.s1_test as usize, 1e-10 / k.branches / 21.0);
        assert!(k.gamma >= serfling);
        // Never more than the bits it is hashed from.
        assert!(decoy_key_length(&c, &SRC, 1000, 0, 1e-10, 1e-15).length <= 1000);
    }

    #[test]
    fn without_decoys_a_strong_signal_over_loss_gives_nothing() {
        let src = SourceTerms { probabilities: [1.0, 0.0, 0.0], ..SRC };
        let mut c = honest(1e9, 0.01);
        c.pulses = [1_000_000_000, 0, 0];
        let k = decoy_key_length(&c, &src, u64::MAX, 0, 1e-10, 1e-15);
        assert_eq!((k.method, k.length), ("no-decoy", 0));
    }
}
