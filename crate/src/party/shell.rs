//! The party shell: what Alice and Bob share. One phase field (running in a protocol state,
//! finished, failed), the round's agreed summary, the authenticated channel and the randomness;
//! each protocol state consumes itself on a frame and names what comes next (as rustls'
//! `State::handle(self: Box<Self>)`), so no state outlives the step that ends it.

use super::{FinalKey, Summary};
use crate::auth::{AuthStats, Channel, Credential, KeyPool, SESSION_ID_LEN};
use crate::error::Error;
use crate::msgs::{self, Route};
use crate::rng::QkdRng;

/// A protocol role (Alice's or Bob's): its fixed data and its states.
pub trait Role: Sized {
    /// The role's protocol states, each named for what it waits for.
    type State;

    /// The state's name, as [`super::STATE_STAGES`] lists it.
    fn name(state: &Self::State) -> &'static str;

    /// Consumes the state on one frame and says what comes next.
    fn step(cx: &mut Cx<Self>, state: Self::State, frame: &[u8]) -> Result<Next<Self::State>, Error>;
}

/// What a state's step leads to.
pub enum Next<S> {
    /// The next state, and the frames to send.
    Go(S, Vec<Vec<u8>>),
    /// A verified key: the round is over for this side once the frames are sent.
    Finish(FinalKey, Vec<Vec<u8>>),
    /// An abort both sides compute from public data, after sending the frames that let the
    /// peer compute it too.
    Abort(Error, Vec<Vec<u8>>),
    /// The frame is refused and the state kept (a key waiting for Commit survives forgeries).
    Refuse(S, Error),
}

/// Everything of a party but its phase: what the states work with.
pub struct Cx<R> {
    /// The role's fixed data.
    pub(super) role: R,
    pub(super) credential: Credential,
    pub(super) channel: Option<Channel>,
    pub(super) rng: QkdRng,
    pub(super) summary: Summary,
    /// This side's knowledge of the first pulses (a teaching view).
    pub(super) view: super::PulseView,
}

impl<R> Cx<R> {
    /// The channel, once the session id is known (Alice: Ready arrived; Bob: Hello arrived).
    pub(super) fn channel(&mut self) -> &mut Channel {
        self.channel.as_mut().expect("the channel exists once the session id is known")
    }

    /// Seals one message for the peer.
    pub(super) fn seal(&mut self, msg: &msgs::Msg) -> Result<Vec<u8>, Error> {
        self.channel().seal(msg)
    }
}

enum Phase<S> {
    Running(S),
    Finished(Option<FinalKey>),
    Failed(Error),
}

/// Alice or Bob: a role in its shell.
pub struct Party<R: Role> {
    pub(super) cx: Cx<R>,
    phase: Phase<R::State>,
}

impl<R: Role> Party<R> {
    pub(super) fn with(cx: Cx<R>, first: R::State) -> Self {
        Self { cx, phase: Phase::Running(first) }
    }

    /// Takes one frame and returns the frames to send. An error ends the party (except a
    /// refusal that keeps a verified key waiting for Commit).
    pub fn handle(&mut self, frame: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
        if !matches!(self.phase, Phase::Running(_)) {
            // Still authenticate: a replay after the end is reported as what it is.
            if let (Ok(Route::Classical), false, Some(c)) =
                (msgs::route(frame), msgs::is_ready(frame), &mut self.cx.channel)
            {
                c.open(frame)?;
            }
            return Err(Error::Finished);
        }
        let Phase::Running(state) = core::mem::replace(&mut self.phase, Phase::Finished(None)) else {
            unreachable!("checked above");
        };
        let (phase, result) = match R::step(&mut self.cx, state, frame) {
            Ok(Next::Go(s, out)) => (Phase::Running(s), Ok(out)),
            Ok(Next::Finish(key, out)) => (Phase::Finished(Some(key)), Ok(out)),
            Ok(Next::Abort(e, out)) => (Phase::Failed(e), Ok(out)),
            Ok(Next::Refuse(s, e)) => (Phase::Running(s), Err(e)),
            Err(e) => (Phase::Failed(e.clone()), Err(e)),
        };
        self.phase = phase;
        result
    }

    /// The protocol state's name while running, then "Finished" or "Failed".
    pub fn state(&self) -> &'static str {
        match &self.phase {
            Phase::Running(s) => R::name(s),
            Phase::Finished(_) => "Finished",
            Phase::Failed(_) => "Failed",
        }
    }

    /// Why the party stopped, if it failed.
    pub fn failure(&self) -> Option<&Error> {
        match &self.phase {
            Phase::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the party finished with a verified key.
    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Finished(_))
    }

    /// The final key, once (later calls return `None`).
    pub fn take_key(&mut self) -> Option<FinalKey> {
        match &mut self.phase {
            Phase::Finished(k) => k.take(),
            _ => None,
        }
    }

    /// The round's summary as far as this side got: public data only, and the same record on
    /// both sides once the round ends (a test holds them equal).
    pub fn summary(&self) -> &Summary {
        &self.cx.summary
    }

    /// This side's view of the first pulses: only what it knows.
    pub fn pulse_view(&self) -> &super::PulseView {
        &self.cx.view
    }

    /// Authentication costs so far.
    pub fn auth_stats(&self) -> AuthStats {
        self.cx.channel.as_ref().map(|c| c.stats().clone()).unwrap_or_default()
    }

    /// The round's session id, once known.
    pub fn session_id(&self) -> Option<[u8; SESSION_ID_LEN]> {
        self.cx.channel.as_ref().map(Channel::session_id)
    }

    /// Wegman-Carter pad bits left, as `(sending, receiving)` pools.
    pub fn auth_pads(&self) -> Option<(KeyPool, KeyPool)> {
        self.cx.channel.as_ref().and_then(Channel::pads_left)
    }

    /// The running state, for a role's own accessors.
    pub(super) fn running(&self) -> Option<&R::State> {
        match &self.phase {
            Phase::Running(s) => Some(s),
            _ => None,
        }
    }

    /// Takes the running state out if `wanted` accepts it (the party is then finished without
    /// a key to take); otherwise leaves it.
    pub(super) fn take_running_if(&mut self, wanted: impl FnOnce(&R::State) -> bool) -> Option<R::State> {
        if !matches!(&self.phase, Phase::Running(s) if wanted(s)) {
            return None;
        }
        match core::mem::replace(&mut self.phase, Phase::Finished(None)) {
            Phase::Running(s) => Some(s),
            _ => unreachable!("checked above"),
        }
    }
}

/// A role's context before its first frame: no channel yet (the session id needs both nonces).
pub(super) fn cx<R>(role: R, credential: &Credential, rng: QkdRng, summary: Summary) -> Cx<R> {
    let view = super::PulseView::new(summary.pulses);
    Cx { role, credential: credential.clone(), channel: None, rng, summary, view }
}
