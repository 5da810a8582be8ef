//! The physical channel model: fiber loss, insertion loss, misalignment and detectors.

use crate::error::Error;

/// Fiber plus detectors. Defaults: 0.2 dB/km (telecom fiber at 1550 nm), 1 dB insertion loss,
/// 1 % misalignment, 20 % detector efficiency, 1e-6 dark counts per gate.
#[derive(Debug, Clone, PartialEq)]
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
    /// Probability of a dark count in one detection gate.
    pub dark_count_prob: f64,
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
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_km_default_fiber_detects_one_photon_in_about_eighteen() {
        let m = ChannelModel::default();
        assert!((m.loss_db() - 3.0).abs() < 1e-12);
        assert!((m.detection_probability() - 0.2 * 10f64.powf(-0.3)).abs() < 1e-12);
    }

    #[test]
    fn nan_and_out_of_range_values_are_refused_with_their_field() {
        let m = ChannelModel { error_rate: 0.6, ..Default::default() };
        assert!(matches!(m.validate(), Err(Error::InvalidParameter { field: "errorRate", .. })));
        let m = ChannelModel { length_km: f64::NAN, ..Default::default() };
        assert!(matches!(m.validate(), Err(Error::InvalidParameter { field: "lengthKm", .. })));
    }
}
