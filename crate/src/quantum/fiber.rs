//! The fiber: a sans-IO simulation of the optical path between Alice and Bob.
//!
//! It takes Alice's photon batches and Bob's measurement settings (as frames, in any order),
//! lets Eve intercept in between, and answers each batch with Bob's detections once both
//! sides of it have arrived. A batch is measured exactly once; after that its states are gone.

use std::collections::{BTreeMap, BTreeSet};

use super::blinding::{self, FakedStates};
use super::photons::{Photons, surviving};
use super::{Attack, ChannelModel, EveRecord, PulseBatch, detect, pns};
use crate::bits::BitVec;
use crate::error::Error;
use crate::msgs::FiberMsg;
use crate::rng::{QkdRng, Seed};

/// Most batches the fiber holds while waiting for their other half.
pub const MAX_PENDING_BATCHES: usize = 4096;

/// Counts the fiber keeps (no secrets: no bit or basis).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FiberStats {
    /// Pulses Alice sent.
    pub pulses: u64,
    /// Pulses Eve measured, split or re-sent.
    pub intercepted: u64,
    /// Pulses whose bit Eve knows for certain once the bases are public.
    pub eve_known: u64,
    /// Detector clicks at Bob.
    pub clicks: u64,
}

/// A batch on its way: the prepared states, and what reaches Bob's detectors.
struct InFlight {
    batch: PulseBatch,
    path: Path,
    /// Pulse-equivalents (bits) the path holds beyond the batch while it waits.
    extra: usize,
}

/// What reaches Bob's detectors.
enum Path {
    /// Photons (through the fiber or Eve's line, after the detectors' efficiency).
    Photons(Photons),
    /// Eve's bright faked states on blinded detectors.
    Blinded(FakedStates),
}

/// The simulated optical channel, with an optional eavesdropper.
pub struct Fiber {
    model: ChannelModel,
    eve: Option<Attack>,
    rng: QkdRng,
    eve_rng: QkdRng,
    photons: BTreeMap<u32, InFlight>,
    records: Option<BTreeMap<u32, EveRecord>>,
    eve_first: Vec<[u8; 2]>,
    settings: BTreeMap<u32, BitVec>,
    measured: BTreeSet<u32>,
    stats: FiberStats,
    /// Pulses held (photons or settings) waiting for their other half, and the most allowed.
    pending_pulses: usize,
    max_pending_pulses: usize,
}

impl Fiber {
    /// A fiber following `model`, with Eve on it if `eve` is given; its randomness (loss, noise,
    /// Eve's choices) comes from `seed`.
    pub fn new(model: ChannelModel, eve: Option<Attack>, seed: &Seed) -> Result<Self, Error> {
        model.validate()?;
        if let Some(e) = &eve {
            e.validate()?;
        }
        Ok(Self {
            model,
            eve,
            rng: seed.rng("fiber"),
            eve_rng: seed.rng("eve"),
            photons: BTreeMap::new(),
            records: None,
            eve_first: Vec::new(),
            settings: BTreeMap::new(),
            measured: BTreeSet::new(),
            stats: FiberStats::default(),
            pending_pulses: 0,
            max_pending_pulses: crate::party::MAX_PULSES as usize,
        })
    }

    /// Caps the pulses the fiber holds while waiting (a server's memory bound per room).
    pub fn with_pending_limit(mut self, pulses: usize) -> Self {
        self.max_pending_pulses = pulses;
        self
    }

    /// Keeps Eve's record of every batch (what she knows), for a simulation's report.
    pub fn with_eve_records(mut self) -> Self {
        self.records = Some(BTreeMap::new());
        self
    }

    /// Starts or stops keeping Eve's records (a server keeps them only for rounds it can hold).
    pub fn keep_eve_records(&mut self, on: bool) {
        self.records = on.then(BTreeMap::new);
    }

    /// Eve's records so far, by batch (empty unless [`Fiber::with_eve_records`]).
    pub fn eve_records(&self) -> impl Iterator<Item = (&u32, &EveRecord)> {
        self.records.iter().flatten()
    }

    /// Eve's own view of the round's first pulses (her basis and result per pulse; 2 for none).
    pub fn eve_first(&self) -> &[[u8; 2]] {
        &self.eve_first
    }

    /// The attack on the fiber, if any.
    pub fn eve(&self) -> Option<&Attack> {
        self.eve.as_ref()
    }

    /// Puts Eve on the fiber (or takes her off) for the photons that arrive from now on.
    pub fn set_eve(&mut self, eve: Option<Attack>) -> Result<(), Error> {
        if let Some(e) = &eve {
            e.validate()?;
        }
        self.eve = eve;
        Ok(())
    }

    /// Starts a new round: batches still waiting are dropped and batch numbers may be used
    /// again (each batch of the new round is new photons, still measured at most once).
    pub fn reset(&mut self) {
        self.photons.clear();
        self.eve_first.clear();
        if let Some(r) = &mut self.records {
            r.clear();
        }
        self.settings.clear();
        self.measured.clear();
        self.pending_pulses = 0;
    }

    /// Pulses held waiting for their other half (photons or settings).
    pub fn pending_pulses(&self) -> usize {
        self.pending_pulses
    }

    /// Whether any photon has entered the fiber yet.
    pub fn in_use(&self) -> bool {
        self.stats.pulses > 0
    }

    /// Counts so far.
    pub fn stats(&self) -> &FiberStats {
        &self.stats
    }

    /// Takes one fiber frame (Photons from Alice or Measure from Bob) and returns the frames
    /// for Bob (Detections) that became ready.
    pub fn handle(&mut self, frame: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        let ready = match FiberMsg::decode(frame)? {
            FiberMsg::Photons(batch) => self.photons(batch)?,
            FiberMsg::Measure { index, bases } => self.measure(index, bases)?,
            FiberMsg::Detections(_) => {
                return Err(Error::unexpected("Photons or Measure", crate::msgs::Kind::Detections));
            }
        };
        Ok(ready.into_iter().collect())
    }

    /// Alice's photons enter the fiber; Eve acts on them in flight.
    pub fn photons(&mut self, mut batch: PulseBatch) -> Result<Option<Vec<u8>>, Error> {
        self.check_new(
            batch.index,
            self.photons.contains_key(&batch.index),
            batch.len(),
            self.settings.contains_key(&batch.index),
        )?;
        if let Some(s) = self.settings.get(&batch.index)
            && s.len() != batch.len()
        {
            return Err(Error::inconsistent("batch length between photons and measurement"));
        }
        self.stats.pulses += batch.len() as u64;
        let eta = self.model.detection_probability();
        let (path, record) = match &self.eve {
            None => (Path::Photons(surviving(&batch, eta, &mut self.rng)), None),
            Some(Attack::InterceptResend(a)) => {
                let record = a.intercept(&mut batch, &mut self.eve_rng);
                (Path::Photons(surviving(&batch, eta, &mut self.rng)), Some(record))
            }
            Some(Attack::PhotonNumberSplitting) => {
                let (arrived, record) = pns::split(&batch, &self.model, &mut self.eve_rng);
                (Path::Photons(arrived), Some(record))
            }
            Some(Attack::Blinding) => {
                let (faked, record) = blinding::intercept(&batch, &self.model, &mut self.eve_rng);
                (Path::Blinded(faked), Some(record))
            }
        };
        let index = batch.index;
        // Multi-photon counts are held beside the batch while it waits for Bob's bases: they count
        // against the same budget (one pulse per bit), so a peer's high intensities cannot buy
        // memory the pulse count does not show.
        let waiting = !self.settings.contains_key(&index);
        let extra = match &path {
            Path::Photons(p) if waiting => p.extra_bytes() * 8,
            _ => 0,
        };
        if extra > 0 && self.pending_pulses + extra > self.max_pending_pulses {
            self.pending_pulses -= batch.len();
            return Err(Error::inconsistent("number of pending pulses (limit reached)"));
        }
        self.pending_pulses += extra;
        if let Some(record) = record {
            if index == 0 {
                self.eve_first = record.first.clone();
            }
            self.stats.intercepted += record.touched;
            self.stats.eve_known += record.knows.iter().map(|w| u64::from(w.count_ones())).sum::<u64>();
            if let Some(r) = &mut self.records {
                r.insert(index, record);
            }
        }
        self.photons.insert(index, InFlight { batch, path, extra });
        Ok(self.try_detect(index))
    }

    /// Bob's measurement bases for a batch.
    pub fn measure(&mut self, index: u32, bases: BitVec) -> Result<Option<Vec<u8>>, Error> {
        self.check_new(index, self.settings.contains_key(&index), bases.len(), self.photons.contains_key(&index))?;
        if let Some(b) = self.photons.get(&index)
            && b.batch.len() != bases.len()
        {
            return Err(Error::inconsistent("batch length between photons and measurement"));
        }
        self.settings.insert(index, bases);
        Ok(self.try_detect(index))
    }

    /// Admits one half of a batch; `completes` when the other half already waits (then the
    /// batch is measured at once and holds nothing more).
    fn check_new(&mut self, index: u32, duplicate: bool, pulses: usize, completes: bool) -> Result<(), Error> {
        if duplicate || self.measured.contains(&index) {
            return Err(Error::inconsistent("batch index (already sent or measured)"));
        }
        if self.photons.len() + self.settings.len() >= MAX_PENDING_BATCHES {
            return Err(Error::inconsistent("number of pending batches (limit reached)"));
        }
        if !completes {
            if self.pending_pulses + pulses > self.max_pending_pulses {
                return Err(Error::inconsistent("number of pending pulses (limit reached)"));
            }
            self.pending_pulses += pulses;
        }
        Ok(())
    }

    fn try_detect(&mut self, index: u32) -> Option<Vec<u8>> {
        if !(self.photons.contains_key(&index) && self.settings.contains_key(&index)) {
            return None;
        }
        let InFlight { batch, path, extra } = self.photons.remove(&index)?;
        let bases = self.settings.remove(&index)?;
        self.pending_pulses -= batch.len() + extra;
        self.measured.insert(index);
        let d = match &path {
            Path::Photons(arrived) => detect(&batch, arrived, &bases, &self.model, &mut self.rng),
            Path::Blinded(faked) => blinding::detect(index, batch.len(), faked, &bases, &self.model),
        };
        self.stats.clicks += d.clicks.count_ones() as u64;
        Some(FiberMsg::Detections(d).encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgs::FiberMsg;
    use crate::quantum::Source;

    fn fiber() -> Fiber {
        Fiber::new(ChannelModel::default(), None, &Seed::from_text("fiber")).expect("valid model")
    }

    #[test]
    fn a_batch_is_measured_once_and_a_second_measurement_is_refused() {
        let mut f = fiber();
        let mut rng = Seed::from_text("src").rng("alice");
        let batch = Source::default().prepare(0, 640, &mut rng);
        assert_eq!(f.handle(&FiberMsg::Photons(batch.clone()).encode()).map(|v| v.len()), Ok(0));
        let measure = FiberMsg::Measure { index: 0, bases: BitVec::zeros(640) }.encode();
        assert_eq!(f.handle(&measure).map(|v| v.len()), Ok(1));
        assert!(matches!(f.handle(&measure), Err(Error::Peer(_))));
        assert!(matches!(f.handle(&FiberMsg::Photons(batch.clone()).encode()), Err(Error::Peer(_))));
        // A new round may reuse the numbers, with new photons.
        f.reset();
        assert_eq!(f.handle(&FiberMsg::Photons(batch).encode()).map(|v| v.len()), Ok(0));
        assert_eq!(f.handle(&measure).map(|v| v.len()), Ok(1));
    }

    #[test]
    fn pulses_waiting_beyond_the_limit_are_refused() {
        let mut f = fiber().with_pending_limit(1000);
        let mut rng = Seed::from_text("src").rng("alice");
        let source = Source::default();
        assert!(f.handle(&FiberMsg::Photons(source.prepare(0, 640, &mut rng)).encode()).is_ok());
        assert!(matches!(f.handle(&FiberMsg::Photons(source.prepare(1, 640, &mut rng)).encode()), Err(Error::Peer(_))));
        // Measuring batch 0 frees its room.
        f.handle(&FiberMsg::Measure { index: 0, bases: BitVec::zeros(640) }.encode()).expect("measured");
        assert!(f.handle(&FiberMsg::Photons(source.prepare(1, 640, &mut rng)).encode()).is_ok());
    }

    #[test]
    fn lengths_that_disagree_are_refused() {
        let mut f = fiber();
        let mut rng = Seed::from_text("src").rng("alice");
        let batch = Source::default().prepare(3, 128, &mut rng);
        f.handle(&FiberMsg::Photons(batch).encode()).expect("photons accepted");
        let measure = FiberMsg::Measure { index: 3, bases: BitVec::zeros(64) }.encode();
        assert!(matches!(f.handle(&measure), Err(Error::Peer(_))));
    }
}
