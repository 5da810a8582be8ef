//! Asymptotic key rate of BB84 against distance: the analytic models the simulator's runs are
//! plotted against.
//!
//! Channel model of Lo, Ma, Chen, "Decoy state quantum key distribution", PRL 94, 230504
//! (2005), and Ma, Qi, Zhao, Lo, "Practical decoy state for quantum key distribution", PRA 72,
//! 012326 (2005): total transmittance `eta = 10^(-alpha L / 10) eta_Bob`, gain
//! `Q_mu = Y0 + 1 - e^{-eta mu}`, error `E_mu Q_mu = e0 Y0 + e_d (1 - e^{-eta mu})`, single-photon
//! yield `Y1 = Y0 + eta - Y0 eta` and error `e1 = (e0 Y0 + e_d eta) / Y1`, `e0 = 1/2`, sifting
//! factor `q = 1/2`. Rates are in key bits per pulse and clamped at zero.

use serde::Deserialize;

use crate::amplification::binary_entropy as h;
use crate::error::Error;

/// Which bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// An ideal single-photon source: `R = q Y1 (1 - h(e1) - f h(e1))`.
    SinglePhoton,
    /// Weak pulses without decoys (GLLP, Gottesman, Lo, Lütkenhaus, Preskill, QIC 4, 325
    /// (2004)): every multi-photon pulse is Eve's, `Delta = P_multi / Q_mu`,
    /// `R = q (-Q_mu f h(E_mu) + Q_mu (1 - Delta)(1 - h(E_mu / (1 - Delta))))`.
    Gllp,
    /// Infinitely many decoys (Lo, Ma, Chen 2005): `Q1 = Y1 mu e^{-mu}`,
    /// `R = q (-Q_mu f h(E_mu) + Q1 (1 - h(e1)))`.
    DecoyInfinite,
    /// Vacuum + one weak decoy `nu` (Ma, Qi, Zhao, Lo 2005, Eqs. (34)-(37)):
    /// `Y1 >= mu / (mu nu - nu^2) (Q_nu e^nu - Q_mu e^mu nu^2/mu^2 - (mu^2 - nu^2)/mu^2 Y0)`,
    /// `e1 <= (E_nu Q_nu e^nu - e0 Y0) / (Y1 nu)`.
    DecoyVacuumWeak,
}

/// The signal intensity: fixed, or the one maximising the rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mu {
    /// The rate's maximiser in (0, 1] (above `nu` for the vacuum + weak decoy bound).
    Optimal,
    /// A fixed mean photon number.
    Fixed(f64),
}

/// The model's inputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyRateParams {
    /// Which bound.
    pub model: Model,
    /// Fiber length, km.
    pub length_km: f64,
    /// Fiber attenuation, dB/km.
    pub attenuation_db_per_km: f64,
    /// Bob's total efficiency (optics and detector).
    pub detector_efficiency: f64,
    /// Dark-count probability per gate (`Y0`).
    pub dark_count_prob: f64,
    /// Misalignment error `e_d`.
    pub error_rate: f64,
    /// Error-correction inefficiency.
    pub f: f64,
    /// Signal intensity.
    pub mu: Mu,
    /// Weak decoy intensity (vacuum + weak decoy only).
    pub nu: f64,
}

impl KeyRateParams {
    /// The GYS experiment's parameters (Gobby, Yuan, Shields, APL 84, 3762 (2004)) as Ma et al.
    /// and Lo, Ma, Chen use them: 0.21 dB/km, eta_Bob 4.5 %, Y0 = 1.7e-6, e_d = 3.3 %, f = 1.22.
    pub fn gys(model: Model, length_km: f64) -> Self {
        Self {
            model,
            length_km,
            attenuation_db_per_km: 0.21,
            detector_efficiency: 0.045,
            dark_count_prob: 1.7e-6,
            error_rate: 0.033,
            f: 1.22,
            mu: Mu::Optimal,
            nu: 0.1,
        }
    }

    /// Refuses values outside their ranges, naming the field.
    pub fn validate(&self) -> Result<(), Error> {
        let check = |field, v: f64, lo: f64, hi: f64| {
            if v.is_finite() && v >= lo && v <= hi {
                Ok(())
            } else {
                Err(Error::invalid(field, format!("must be in [{lo}, {hi}], got {v}")))
            }
        };
        check("lengthKm", self.length_km, 0.0, 10_000.0)?;
        check("attenuationDbPerKm", self.attenuation_db_per_km, 0.0, 100.0)?;
        check("detectorEfficiency", self.detector_efficiency, 0.0, 1.0)?;
        check("darkCountProb", self.dark_count_prob, 0.0, 1.0)?;
        check("errorRate", self.error_rate, 0.0, 0.5)?;
        check("f", self.f, 1.0, 10.0)?;
        check("nu", self.nu, 1e-9, 1.0)?;
        if let Mu::Fixed(mu) = self.mu {
            check("mu", mu, 1e-9, 10.0)?;
            if self.model == Model::DecoyVacuumWeak && mu <= self.nu {
                return Err(Error::invalid(
                    "mu",
                    format!("must exceed nu ({}) for the vacuum + weak decoy bound", self.nu),
                ));
            }
        }
        Ok(())
    }

    fn eta(&self) -> f64 {
        10f64.powf(-self.attenuation_db_per_km * self.length_km / 10.0) * self.detector_efficiency
    }
}

/// A rate and the intensity it was reached with.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRate {
    /// Secret key bits per pulse sent (asymptotic).
    pub bits_per_pulse: f64,
    /// The signal intensity used (`None` for the single-photon source, or an optimum where no
    /// intensity gives a key).
    pub mu: Option<f64>,
}

const Q: f64 = 0.5;
const E0: f64 = 0.5;

/// Gain and error rate of intensity `mu` over total transmittance `eta`.
fn gain(p: &KeyRateParams, eta: f64, mu: f64) -> (f64, f64) {
    let click = -(-eta * mu).exp_m1();
    let q = p.dark_count_prob + click;
    (q, (E0 * p.dark_count_prob + p.error_rate * click) / q)
}

/// The rate at one signal intensity.
pub fn rate_at(p: &KeyRateParams, mu: f64) -> f64 {
    let eta = p.eta();
    let y0 = p.dark_count_prob;
    let y1 = y0 + eta - y0 * eta;
    let e1 = (E0 * y0 + p.error_rate * eta) / y1;
    let r = match p.model {
        Model::SinglePhoton => Q * y1 * (1.0 - h(e1) - p.f * h(e1)),
        Model::Gllp => {
            let (qm, em) = gain(p, eta, mu);
            let delta = (1.0 - (-mu).exp() * (1.0 + mu)) / qm;
            if delta >= 1.0 {
                return 0.0;
            }
            Q * (-qm * p.f * h(em) + qm * (1.0 - delta) * (1.0 - h(em / (1.0 - delta))))
        }
        Model::DecoyInfinite => {
            let (qm, em) = gain(p, eta, mu);
            Q * (-qm * p.f * h(em) + y1 * mu * (-mu).exp() * (1.0 - h(e1)))
        }
        Model::DecoyVacuumWeak => {
            let nu = p.nu;
            let (qm, em) = gain(p, eta, mu);
            let (qn, en) = gain(p, eta, nu);
            let y1l = mu / (mu * nu - nu * nu)
                * (qn * nu.exp() - qm * mu.exp() * nu * nu / (mu * mu) - (mu * mu - nu * nu) / (mu * mu) * y0);
            if y1l <= 0.0 {
                return 0.0;
            }
            let e1u = (en * qn * nu.exp() - E0 * y0) / (y1l * nu);
            if e1u >= 0.5 {
                return 0.0;
            }
            Q * (-qm * p.f * h(em) + y1l * mu * (-mu).exp() * (1.0 - h(e1u)))
        }
    };
    r.max(0.0)
}

/// The asymptotic key rate, with the signal intensity fixed or optimised.
///
/// ```
/// use qkdlab::keyrate::{KeyRateParams, Model, key_rate, max_distance};
///
/// // The GYS experiment at 50 km: decoys keep a key where the single-photon-blind GLLP bound
/// // has none, and reach about 140 km.
/// let decoy = key_rate(&KeyRateParams::gys(Model::DecoyVacuumWeak, 50.0))?;
/// assert!(decoy.bits_per_pulse > 1e-5 && decoy.mu.is_some());
/// assert_eq!(key_rate(&KeyRateParams::gys(Model::Gllp, 50.0))?.bits_per_pulse, 0.0);
/// assert!((135.0..145.0).contains(&max_distance(&KeyRateParams::gys(Model::DecoyVacuumWeak, 0.0))?));
/// # Ok::<(), qkdlab::Error>(())
/// ```
pub fn key_rate(p: &KeyRateParams) -> Result<KeyRate, Error> {
    p.validate()?;
    Ok(rate_unchecked(p))
}

fn rate_unchecked(p: &KeyRateParams) -> KeyRate {
    match (p.model, p.mu) {
        (Model::SinglePhoton, _) => KeyRate { bits_per_pulse: rate_at(p, 1.0), mu: None },
        (_, Mu::Fixed(mu)) => KeyRate { bits_per_pulse: rate_at(p, mu), mu: Some(mu) },
        (_, Mu::Optimal) => optimal(p),
    }
}

/// Maximises the rate over `mu`: a log-spaced grid over (lo, 1], then golden-section search
/// around the best grid point.
fn optimal(p: &KeyRateParams) -> KeyRate {
    let lo = if p.model == Model::DecoyVacuumWeak { p.nu * (1.0 + 1e-9) } else { 1e-7 };
    let steps = 2000;
    let at = |i: usize| lo * (1.0 / lo).powf(i as f64 / steps as f64);
    let (mut best_i, mut best) = (0, f64::MIN);
    for i in 0..=steps {
        let r = rate_at(p, at(i));
        if r > best {
            (best_i, best) = (i, r);
        }
    }
    if best <= 0.0 {
        return KeyRate { bits_per_pulse: 0.0, mu: None };
    }
    let (mut a, mut b) = (at(best_i.saturating_sub(1)).ln(), at((best_i + 1).min(steps)).ln());
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..100 {
        let (c, d) = (b - g * (b - a), a + g * (b - a));
        if rate_at(p, c.exp()) >= rate_at(p, d.exp()) {
            b = d;
        } else {
            a = c;
        }
    }
    let mu = ((a + b) / 2.0).exp();
    let r = rate_at(p, mu);
    if r >= best {
        KeyRate { bits_per_pulse: r, mu: Some(mu) }
    } else {
        KeyRate { bits_per_pulse: best, mu: Some(at(best_i)) }
    }
}

/// The largest length (km, rounded down to 1 m) with a positive rate, up to 1000 km; `0` if
/// there is no key even at 0 km. The rate falls with length, so bisection finds the edge.
pub fn max_distance(p: &KeyRateParams) -> Result<f64, Error> {
    p.validate()?;
    let at = |km: f64| rate_unchecked(&KeyRateParams { length_km: km, ..*p }).bits_per_pulse;
    if at(0.0) <= 0.0 {
        return Ok(0.0);
    }
    let (mut good, mut bad) = (0.0, 1000.0);
    if at(bad) > 0.0 {
        return Ok(bad);
    }
    while bad - good > 1e-7 {
        let mid = (good + bad) / 2.0;
        if at(mid) > 0.0 {
            good = mid;
        } else {
            bad = mid;
        }
    }
    Ok((good * 1000.0).floor() / 1000.0)
}
