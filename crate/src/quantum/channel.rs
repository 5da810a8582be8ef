//! The physical channel model: fiber loss, insertion loss, misalignment and detectors.

use crate::error::Error;

/// Fiber plus detectors. Defaults: 0.2 dB/km (telecom fiber at 1550 nm), 1 dB insertion loss,
/// 1 % misalignment, 20 % detector efficiency, 1e-6 dark counts per gate.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelModel {
    /// Fiber length in km.
    pub length_km: f64,
    /// Fiber attenuation in dB per km.
    pub attenuation_db_per_km: f64,
    /// Fixed loss of connectors and Bob's optics, in dB.
    pub insertion_loss_db: f64,
    /// Probability that a photon measured in the right basis flips (misalignment; the
    /// channel's intrinsic error rate).
    pub error_rate: f64,
    /// Probability that a photon reaching Bob is detected.
    pub detector_efficiency: f64,
    /// Probability of a dark count in one detection gate (either of Bob's two detectors: the
    /// vacuum yield `Y0`).
    pub dark_count_prob: f64,
    /// Bob's watchdog: a monitor of the optical power at his input that sees detector-blinding
    /// light (the countermeasure to [`super::blinding`]).
    pub watchdog: bool,
}

impl Default for ChannelModel {
    fn default() -> Self {
        Self {
            length_km: 10.0,
            attenuation_db_per_km: 0.2,
            insertion_loss_db: 1.0,
            error_rate: 0.01,
            detector_efficiency: 0.2,
            dark_count_prob: 1e-6,
            watchdog: false,
        }
    }
}

/// A channel model as options give it (JS, JSON): camelCase, every field optional, missing
/// fields take [`ChannelModel::default`]'s values.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChannelSpec {
    /// Fiber length in km.
    pub length_km: Option<f64>,
    /// Attenuation in dB/km.
    pub attenuation_db_per_km: Option<f64>,
    /// Insertion loss in dB.
    pub insertion_loss_db: Option<f64>,
    /// Misalignment error rate.
    pub error_rate: Option<f64>,
    /// Detector efficiency.
    pub detector_efficiency: Option<f64>,
    /// Dark-count probability per gate.
    pub dark_count_prob: Option<f64>,
    /// Bob's bright-light watchdog.
    pub watchdog: Option<bool>,
}

impl ChannelSpec {
    /// The model, defaults filled in and validated.
    pub fn model(&self) -> Result<ChannelModel, Error> {
        let d = ChannelModel::default();
        let m = ChannelModel {
            length_km: self.length_km.unwrap_or(d.length_km),
            attenuation_db_per_km: self.attenuation_db_per_km.unwrap_or(d.attenuation_db_per_km),
            insertion_loss_db: self.insertion_loss_db.unwrap_or(d.insertion_loss_db),
            error_rate: self.error_rate.unwrap_or(d.error_rate),
            detector_efficiency: self.detector_efficiency.unwrap_or(d.detector_efficiency),
            dark_count_prob: self.dark_count_prob.unwrap_or(d.dark_count_prob),
            watchdog: self.watchdog.unwrap_or(d.watchdog),
        };
        m.validate()?;
        Ok(m)
    }
}

impl ChannelModel {
    /// Refuses NaN, negative lengths or losses, and probabilities outside their ranges.
    pub fn validate(&self) -> Result<(), Error> {
        let nonneg = |field, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(field, format!("must be a finite number >= 0, got {v}")))
            }
        };
        let prob = |field, v: f64, max: f64| {
            if v.is_finite() && (0.0..=max).contains(&v) {
                Ok(())
            } else {
                Err(Error::invalid(field, format!("must be in [0, {max}], got {v}")))
            }
        };
        nonneg("lengthKm", self.length_km)?;
        nonneg("attenuationDbPerKm", self.attenuation_db_per_km)?;
        nonneg("insertionLossDb", self.insertion_loss_db)?;
        prob("errorRate", self.error_rate, 0.5)?;
        prob("detectorEfficiency", self.detector_efficiency, 1.0)?;
        prob("darkCountProb", self.dark_count_prob, 1.0)?;
        Ok(())
    }

    /// Total loss in dB between Alice and Bob's detectors.
    pub fn loss_db(&self) -> f64 {
        self.length_km * self.attenuation_db_per_km + self.insertion_loss_db
    }

    /// Probability that one photon sent by Alice produces a click: 10^(-loss/10) times the
    /// detector efficiency.
    pub fn detection_probability(&self) -> f64 {
        10f64.powf(-self.loss_db() / 10.0) * self.detector_efficiency
    }

    /// Transmittance of the fiber alone: 10^(-length attenuation / 10).
    pub fn transmittance(&self) -> f64 {
        10f64.powf(-self.length_km * self.attenuation_db_per_km / 10.0)
    }

    /// Efficiency of Bob's side (insertion loss and detectors): what a photon delivered at his
    /// door by a lossless line still has to pass.
    pub fn bob_efficiency(&self) -> f64 {
        10f64.powf(-self.insertion_loss_db / 10.0) * self.detector_efficiency
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_km_default_fiber_detects_one_photon_in_about_eighteen() {
        // 10 km at 0.2 dB/km plus 1 dB insertion: 3 dB, half the photons arrive (10^-0.3 is
        // 0.501); a 20 % detector then clicks for about one photon in ten, one in 20 pulses
        // of the ideal single-photon source.
        let m = ChannelModel::default();
        assert!((m.loss_db() - 3.0).abs() < 1e-12);
        assert!((m.detection_probability() - 0.100_237_446).abs() < 1e-9);
        // Every 3 dB more halves it again.
        let far = ChannelModel { length_km: 25.0, ..ChannelModel::default() };
        assert!((far.detection_probability() / m.detection_probability() - 0.501_187_234).abs() < 1e-9);
    }

    #[test]
    fn nan_and_out_of_range_values_are_refused_with_their_field() {
        let m = ChannelModel { error_rate: 0.6, ..Default::default() };
        assert!(matches!(m.validate(), Err(Error::InvalidParameter { field: "errorRate", .. })));
        let m = ChannelModel { length_km: f64::NAN, ..Default::default() };
        assert!(matches!(m.validate(), Err(Error::InvalidParameter { field: "lengthKm", .. })));
    }
}
