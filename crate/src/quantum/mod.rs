//! The quantum layer: a source that prepares BB84 states (ideal single photons, or weak laser
//! pulses with decoy intensities), a fiber that carries them (with loss, misalignment and an
//! optional eavesdropper: intercept-resend, photon-number splitting, detector blinding), and
//! Bob's two detectors.
//!
//! Everything works 64 pulses (one `u64` word) at a time. The [`Fiber`] is sans-IO like the
//! parties: it takes photon batches from Alice and measurement settings from Bob (as frames)
//! and answers with detections. A photon is measured at most once.

mod bernoulli;
pub mod blinding;
mod channel;
mod detector;
pub(crate) mod eve;
mod fiber;
pub mod photons;
pub mod pns;
mod source;

pub use bernoulli::fill_bernoulli;
pub use channel::{ChannelModel, ChannelSpec};
pub use detector::{Detections, detect, per_detector_dark};
pub use eve::{Attack, EVE_VIEW_PULSES, EveBasis, EveRecord, InterceptResend};
pub use fiber::{Fiber, FiberStats, MAX_PENDING_BATCHES};
pub use source::{
    CLASSES, Emission, MAX_INTENSITY, PulseBatch, Source, SourceConfig, WeakCoherent, random_bases, random_bits,
};

/// A measurement basis. Encoded as one bit: 0 is rectilinear (Z), 1 is diagonal (X).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The rectilinear (Z, +) basis, encoded 0.
    Rectilinear,
    /// The diagonal (X, x) basis, encoded 1.
    Diagonal,
}

impl Basis {
    /// A whole word of this basis.
    pub const fn word(self) -> u64 {
        match self {
            Self::Rectilinear => 0,
            Self::Diagonal => u64::MAX,
        }
    }
}
