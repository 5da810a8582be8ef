//! The photon-number-splitting attack (Brassard, Lütkenhaus, Mor, Sanders, PRL 85, 1330
//! (2000)): Eve counts the photons of each pulse without disturbing their polarisation, keeps
//! one photon of every multi-photon pulse in a quantum memory, and sends the rest to Bob over a
//! lossless line instead of the lossy fiber; she blocks single photons as needed so that Bob's
//! click rate stays what the fiber would give. After the bases are announced she measures her
//! stored photons in the right basis and knows those bits exactly, without causing errors.
//!
//! She cannot see a pulse's intensity class, only its photon number: that is why decoy states
//! catch her (Hwang, PRL 91, 057901 (2003)); she tunes her blocking for the public signal
//! intensity, and the decoy and vacuum classes then show gains an honest fiber would not give.

use super::photons::{Photons, binomial, surviving};
use super::{ChannelModel, Emission, EveRecord, PulseBatch};
use crate::rng::{QkdRng, unit_f64};

/// How Eve tunes her blocking: the fraction of multi-photon pulses she forwards and the
/// fraction of single photons she lets through, for a signal of mean `mu` (`None`: the
/// single-photon source) so that Bob's click rate equals the fiber's.
pub fn forwarding(mu: Option<f64>, model: &ChannelModel) -> (f64, f64) {
    let eta_bob = model.bob_efficiency();
    let (target, p1, multi) = match mu {
        None => (model.detection_probability(), 1.0, 0.0),
        Some(mu) => {
            let target = -(-mu * model.detection_probability()).exp_m1();
            // sum over n >= 2 of P(n) (1 - (1 - eta_bob)^(n - 1)) for Poisson(mu), in closed form:
            // sum P(n) - sum P(n) (1 - eta_bob)^(n-1) over n >= 2.
            let e = (-mu).exp();
            let p_multi = 1.0 - e - mu * e;
            let keep = 1.0 - eta_bob;
            let weighted = if keep > 0.0 { (e * ((mu * keep).exp() - 1.0 - mu * keep)) / keep } else { 0.0 };
            (target, mu * e, p_multi - weighted)
        }
    };
    if multi >= target { (target / multi, 0.0) } else { (1.0, ((target - multi) / (p1 * eta_bob)).clamp(0.0, 1.0)) }
}

/// Runs the attack on one batch: the photons that reach Bob's detectors, and what Eve knows.
pub fn split(batch: &PulseBatch, model: &ChannelModel, rng: &mut QkdRng) -> (Photons, EveRecord) {
    let len = batch.len();
    let mu = match &batch.emission {
        Emission::SinglePhoton => None,
        Emission::WeakCoherent { intensities, .. } => Some(intensities[0]),
    };
    let (forward_multi, forward_single) = forwarding(mu, model);
    let eta_bob = model.bob_efficiency();
    let at_source = surviving(batch, 1.0, rng);
    let mut arrived = Photons::none(len);
    let mut record = EveRecord::new(len);
    let mut multi = at_source.multi.iter().peekable();
    for w in 0..at_source.any.len() {
        let mut m = at_source.any[w];
        while m != 0 {
            let bit = m.leading_zeros() as usize;
            m &= !(1u64 << (63 - bit));
            let i = w * 64 + bit;
            let n = match multi.peek() {
                Some(&&(p, c)) if p as usize == i => {
                    multi.next();
                    c
                }
                _ => 1,
            };
            let forwarded = if n >= 2 {
                record.learn(i, batch.bits.get(i));
                record.note(i, 3, 2);
                if unit_f64(rng) < forward_multi { n - 1 } else { 0 }
            } else if unit_f64(rng) < forward_single {
                1
            } else {
                0
            };
            arrived.push(i, binomial(forwarded, eta_bob, rng));
        }
    }
    (arrived, record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eve_forwards_enough_to_copy_the_fibers_gain() {
        // 50 km of default fiber: the fiber's gain is below what multi-photon pulses alone give
        // through a lossless line, so she blocks every single photon.
        let far = ChannelModel { length_km: 50.0, ..ChannelModel::default() };
        let (a, b) = forwarding(Some(0.5), &far);
        assert!(a < 1.0 && b == 0.0, "{a} {b}");
        // 0 km: she must pass single photons too.
        let near = ChannelModel { length_km: 0.0, ..ChannelModel::default() };
        let (a, b) = forwarding(Some(0.5), &near);
        assert!(a == 1.0 && b > 0.0, "{a} {b}");
    }

    #[test]
    fn her_own_table_marks_stored_photons_without_their_bit() {
        use crate::quantum::{Source, SourceConfig, WeakCoherent};
        let mut rng = crate::rng::Seed::from_text("pns view").rng("t");
        let src = WeakCoherent { intensities: [1.5, 0.1, 0.0], ..WeakCoherent::default() };
        let batch = Source::new(SourceConfig::WeakCoherent(src)).prepare(0, 640, &mut rng);
        let (_, record) = split(&batch, &ChannelModel::default(), &mut rng);
        assert!(record.first.iter().any(|f| f[0] == 3), "some of the first pulses were split");
        // A stored photon is unmeasured: no basis, no bit of Alice's in Eve's view.
        assert!(record.first.iter().all(|f| f[1] == 2));
    }
}
