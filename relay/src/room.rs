//! Rooms and routing: who is in a room, and where each frame goes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use qkdlab::auth::Direction;
use qkdlab::eavesdropper::Notebook;
use qkdlab::msgs::{self, Kind, Msg, Route};
use qkdlab::quantum::MAX_PENDING_BATCHES;
use qkdlab::quantum::{Attack, EveBasis};
use qkdlab::rng::Seed;
use qkdlab::{ChannelModel, Fiber};

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::limits::{
    MAX_MEMBERS, MAX_PENDING_PULSES, MAX_PENDING_PULSES_PER_ADDRESS, MAX_PENDING_PULSES_TOTAL, MAX_ROOMS,
};
use crate::metrics::{BusyBudget, BusyRounds};
use crate::outbox::{Outbox, Outgoing};

/// A member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Sends photons; creates the room.
    Alice,
    /// Measures photons.
    Bob,
    /// The eavesdropper: on the fiber, and optionally in the middle of the classical channel.
    Eve,
    /// An introducer (web of trust): sends and receives control messages only, never a frame.
    Carol,
}

impl Role {
    /// Parses `alice`, `bob`, `eve`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "alice" => Some(Self::Alice),
            "bob" => Some(Self::Bob),
            "eve" => Some(Self::Eve),
            "carol" => Some(Self::Carol),
            _ => None,
        }
    }

    /// The role's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Alice => "alice",
            Self::Bob => "bob",
            Self::Eve => "eve",
            Self::Carol => "carol",
        }
    }
}

/// How Eve sits on the classical channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mitm {
    /// She only listens on the fiber.
    Off,
    /// Classical frames pass through her tab, which may edit, drop or inject them.
    On,
    /// She cuts everything: Alice's photons end at her detectors (she measures them as "Bob")
    /// and Bob measures photons she sends (as "Alice"), on a second fiber; every classical frame
    /// passes through her tab.
    Full,
}

struct Room {
    members: HashMap<Role, (u64, Outbox)>,
    /// The address Alice opened the room from (per-address key): its fibers' pulses count
    /// against that address's share of the budget.
    owner: IpAddr,
    fiber: Fiber,
    /// Eve-to-Bob fiber, used only when Eve cuts the link (`Mitm::Full`).
    fiber2: Fiber,
    mitm: Mitm,
    /// Cleared when the room is removed: a frame routed after that is refused, so the
    /// relay-wide pulse count never counts a removed room's fibers.
    open: bool,
    /// When a fiber frame last came through (a fiber holding pulses long after is stale).
    fiber_seen: std::time::Instant,
    /// The room was told its round ended for lack of fiber room (`busy`), since Alice's last
    /// Hello: said once per round, however many frames follow.
    busy: bool,
    /// What Eve on the fiber overhears of the round's public discussion, joined with her
    /// fiber records to tell her tab what she knows of the sifted key.
    eve_view: Option<EveView>,
}

/// Eve's notebook for one round, and the round's shape from Hello.
struct EveView {
    notebook: Notebook,
    batch_size: usize,
    pulses: usize,
}

/// Eve (on the fiber) overhears a public frame; after the sift reply her tab learns how much
/// of the sifted key and of the key she holds (counts only). Once a round: the view opens at
/// Alice's Hello (the one the relay checked against the fiber's limits) and closes with its
/// report, so repeating a sift reply cannot make the relay rebuild a report over every pulse of
/// the round again and again.
fn overhear(room: &mut Room, from: Role, frame: &[u8]) {
    let Ok(msg) = qkdlab::auth::peek(frame) else { return };
    if let Msg::Hello(_, config) = &msg
        && from == Role::Alice
    {
        let keep = config.pulses <= EVE_VIEW_MAX_PULSES;
        room.fiber.keep_eve_records(keep);
        room.eve_view = keep.then(|| EveView {
            notebook: Notebook::default(),
            batch_size: config.batch_size as usize,
            pulses: config.pulses as usize,
        });
    }
    let Some(view) = &mut room.eve_view else { return };
    view.notebook.overhear(&msg);
    if !matches!(msg, Msg::SiftReply { .. }) {
        return;
    }
    let Some(view) = room.eve_view.take() else { return };
    let Some(attack) = room.fiber.eve() else { return };
    let r = view.notebook.report(
        attack.name(),
        room.fiber.stats().intercepted,
        room.fiber.eve_records(),
        view.batch_size,
        view.pulses,
        None,
    );
    if let Some((_, tx)) = room.members.get(&Role::Eve) {
        let mut v = serde_json::to_value(&r).unwrap_or_default();
        v["type"] = "eveKnows".into();
        tx.send(Outgoing::Text(v.to_string()));
    }
    room.fiber.keep_eve_records(false);
}

/// The largest round whose per-pulse Eve records the relay keeps (2 bits a pulse: 4 MiB).
const EVE_VIEW_MAX_PULSES: u64 = 1 << 24;

/// A fiber holding pulses this long after its last frame is stale: when the relay-wide budget
/// runs out, stale fibers are emptied before anyone is refused.
const STALE_FIBER: std::time::Duration = std::time::Duration::from_secs(30);

impl Room {
    /// Pulses both fibers hold.
    fn pending(&self) -> usize {
        self.fiber.pending_pulses() + self.fiber2.pending_pulses()
    }
}

/// All rooms. The map's lock is held only to find, add or remove a room; each room has its
/// own lock, so one room's fiber work never stalls another room.
pub struct Rooms {
    inner: Mutex<HashMap<String, Arc<Mutex<Room>>>>,
    next_id: Mutex<u64>,
    /// Pulses all fibers hold (bounded by [`MAX_PENDING_PULSES_TOTAL`]).
    pending: AtomicUsize,
    /// Pulses the fibers of each address's rooms hold (bounded by
    /// [`MAX_PENDING_PULSES_PER_ADDRESS`]); addresses holding none are absent.
    by_owner: Mutex<HashMap<IpAddr, usize>>,
    /// [`MAX_PENDING_PULSES_PER_ADDRESS`] (smaller in tests).
    address_share: usize,
    /// Rounds ended by [`busy_round`], by budget (shared with `/metrics`).
    busy_rounds: BusyRounds,
}

impl Default for Rooms {
    fn default() -> Self {
        Self::with_address_share(MAX_PENDING_PULSES_PER_ADDRESS)
    }
}

fn guard<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding a lock cannot leave a room half-updated in a way that matters more
    // than refusing service, so recover the guard.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Why a join or a frame was refused (sent as the close reason).
pub type Refusal = String;

fn random_id() -> Result<String, Refusal> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| format!("no randomness for a room id: {e}"))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

impl Rooms {
    fn with_address_share(address_share: usize) -> Self {
        Self {
            inner: Mutex::default(),
            next_id: Mutex::default(),
            pending: AtomicUsize::new(0),
            by_owner: Mutex::default(),
            address_share,
            busy_rounds: BusyRounds::default(),
        }
    }

    /// The count of rounds ended for lack of fiber room (a clone shares the counts).
    pub fn busy_rounds(&self) -> BusyRounds {
        self.busy_rounds.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Mutex<Room>>>> {
        guard(&self.inner)
    }

    /// The room `id`, found under the map's lock (released at once).
    fn room(&self, id: &str) -> Option<Arc<Mutex<Room>>> {
        self.lock().get(id).cloned()
    }

    /// A connection id, for telling a member from a later one with the same role.
    pub fn connection_id(&self) -> u64 {
        let mut n = self.next_id.lock().unwrap_or_else(|p| p.into_inner());
        *n += 1;
        *n
    }

    /// Alice opens a room from address `owner` (a per-address key) with her channel model;
    /// returns the unguessable room id.
    pub fn create(&self, conn: u64, owner: IpAddr, channel: ChannelModel, tx: Outbox) -> Result<String, Refusal> {
        let seed = Seed::from_entropy().map_err(|e| e.to_string())?;
        let fiber =
            Fiber::new(channel.clone(), None, &seed).map_err(|e| e.to_string())?.with_pending_limit(MAX_PENDING_PULSES);
        let fiber2 = Fiber::new(channel, None, &Seed::from_entropy().map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?
            .with_pending_limit(MAX_PENDING_PULSES);
        let mut rooms = self.lock();
        if rooms.len() >= MAX_ROOMS {
            return Err(format!("the relay is full ({MAX_ROOMS} rooms); try again later"));
        }
        let id = random_id()?;
        let mut members = HashMap::new();
        members.insert(Role::Alice, (conn, tx));
        rooms.insert(
            id.clone(),
            Arc::new(Mutex::new(Room {
                members,
                owner,
                fiber,
                fiber2,
                mitm: Mitm::Off,
                open: true,
                fiber_seen: std::time::Instant::now(),
                busy: false,
                eve_view: None,
            })),
        );
        Ok(id)
    }

    /// Bob or Eve joins a room. Eve brings her attack: intercept-resend on the fiber and
    /// whether she sits in the middle of the classical channel.
    pub fn join(
        &self,
        id: &str,
        role: Role,
        conn: u64,
        tx: Outbox,
        eve: Option<(Attack, Mitm)>,
    ) -> Result<(), Refusal> {
        let room = self.room(id).ok_or("no such room (the link is wrong or Alice left)")?;
        let mut room = guard(&room);
        if !room.open {
            return Err("no such room (Alice left)".into());
        }
        if room.members.contains_key(&role) {
            return Err(format!("the role {} is already taken in this room", role.name()));
        }
        if room.members.len() >= MAX_MEMBERS {
            return Err("the room is full".into());
        }
        if let Some((attack, mitm)) = eve {
            if room.fiber.in_use() {
                return Err("the session has already started; Eve must join before the photons fly".into());
            }
            if mitm != Mitm::Full {
                room.fiber.set_eve(Some(attack)).map_err(|e| e.to_string())?;
            }
            room.mitm = mitm;
        }
        room.members.insert(role, (conn, tx));
        Ok(())
    }

    /// The roles present in a room.
    pub fn roles(&self, id: &str) -> Vec<Role> {
        let mut roles: Vec<Role> =
            self.room(id).map(|r| guard(&r).members.keys().copied().collect()).unwrap_or_default();
        roles.sort_by_key(|r| r.name());
        roles
    }

    /// Sends a text message to every member of a room but `except`.
    pub fn broadcast(&self, id: &str, except: Option<Role>, text: &str) {
        if let Some(room) = self.room(id) {
            for (role, (_, tx)) in &guard(&room).members {
                if Some(*role) != except {
                    tx.send(Outgoing::Text(text.to_string()));
                }
            }
        }
    }

    /// Whether Eve sits in the middle of this room's classical channel: then control messages
    /// addressed from one party to another pass through her tab, and she may send hers under
    /// another member's name (the classical channel is not authenticated; only the parties'
    /// own checks are).
    pub fn eve_in_middle(&self, id: &str) -> bool {
        self.room(id).is_some_and(|r| {
            let room = guard(&r);
            room.mitm != Mitm::Off && room.members.contains_key(&Role::Eve)
        })
    }

    /// Sends a text message to one role, if present.
    pub fn send_text(&self, id: &str, to: Role, text: String) {
        if let Some(room) = self.room(id)
            && let Some((_, tx)) = guard(&room).members.get(&to)
        {
            tx.send(Outgoing::Text(text));
        }
    }

    /// Routes one binary frame from `from`. Photon and measurement frames go to the fiber (its
    /// detections to Bob); classical frames go to the peer, through Eve when she is in the
    /// middle; Eve's frames go where their direction byte says.
    pub fn route(&self, id: &str, from: Role, frame: Vec<u8>) -> Result<(), Refusal> {
        let info = msgs::frame_info(&frame).map_err(|e| format!("malformed frame: {e}"))?;
        let room = self.room(id).ok_or("the room is gone")?;
        let mut room = guard(&room);
        if !room.open {
            return Err("the room is gone".into());
        }
        let before = room.pending();
        let routed = self.route_in(&mut room, from, &info, frame);
        // The counts follow every change of this room's fibers (new batches, detections out,
        // a reset).
        self.account(room.owner, before, room.pending());
        routed
    }

    /// Moves the relay-wide and the owner's counts from `before` to `after` pulses.
    fn account(&self, owner: IpAddr, before: usize, after: usize) {
        if after == before {
            // A classical frame: no count moves, and the owners' map is not locked.
            return;
        }
        if after >= before {
            self.pending.fetch_add(after - before, Ordering::Relaxed);
        } else {
            self.pending.fetch_sub(before - after, Ordering::Relaxed);
        }
        let mut by_owner = guard(&self.by_owner);
        let held = by_owner.entry(owner).or_insert(0);
        *held = (*held + after).saturating_sub(before);
        if *held == 0 {
            by_owner.remove(&owner);
        }
    }

    /// Pulses the fibers of `owner`'s rooms hold now.
    pub fn pending_pulses_of(&self, owner: IpAddr) -> usize {
        guard(&self.by_owner).get(&owner).copied().unwrap_or(0)
    }

    /// Empties the fibers that hold pulses but saw no frame for [`STALE_FIBER`] (a round
    /// abandoned half-way, or pulses parked to hold the budget). Rooms locked right now are
    /// skipped (the caller holds its own room's lock).
    fn empty_stale_fibers(&self) {
        let rooms: Vec<Arc<Mutex<Room>>> = self.lock().values().cloned().collect();
        for shared in rooms {
            let Ok(mut room) = shared.try_lock() else { continue };
            let held = room.pending();
            if room.open && held > 0 && room.fiber_seen.elapsed() >= STALE_FIBER {
                room.fiber.reset();
                room.fiber2.reset();
                self.account(room.owner, held, 0);
            }
        }
    }

    /// Pulses all fibers hold now.
    pub fn pending_pulses(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    fn route_in(&self, room: &mut Room, from: Role, info: &msgs::FrameInfo, frame: Vec<u8>) -> Result<(), Refusal> {
        let (route, kind) = (info.route, Some(info.kind));
        let send = |room: &Room, to: Role, f: Vec<u8>| {
            if let Some((_, tx)) = room.members.get(&to) {
                tx.send(Outgoing::Binary(f));
            }
        };
        let full = room.mitm == Mitm::Full && room.members.contains_key(&Role::Eve);
        match (from, route) {
            (Role::Carol, _) => return Err("Carol (an introducer) sends control messages only, never a frame".into()),
            (_, Route::Fiber) => {
                // Photons come from a sender, measurement settings from a receiver.
                let (photons, measure) = (Some(Kind::Photons), Some(Kind::Measure));
                let (fiber_no, receiver) = match (from, kind, full) {
                    (Role::Alice, k, false) if k == photons => (1, Role::Bob),
                    (Role::Bob, k, false) if k == measure => (1, Role::Bob),
                    (Role::Alice, k, true) if k == photons => (1, Role::Eve),
                    (Role::Eve, k, true) if k == measure => (1, Role::Eve),
                    (Role::Eve, k, true) if k == photons => (2, Role::Bob),
                    (Role::Bob, k, true) if k == measure => (2, Role::Bob),
                    _ => return Err(format!("{} may not send this fiber frame", from.name())),
                };
                // A round ended busy takes no more photons: its frames are dropped until Alice's
                // next Hello (its members have ended it; keeping them would hold pulses nobody
                // measures).
                if room.busy {
                    return Ok(());
                }
                // A frame of n bytes holds at most 8n pulses: refused while it could overrun
                // the fibers' relay-wide budget, or the owner's share of it.
                let fits = || self.pending.load(Ordering::Relaxed) + 8 * frame.len() <= MAX_PENDING_PULSES_TOTAL;
                if !fits() {
                    self.empty_stale_fibers();
                }
                let busy = if !fits() {
                    Some((
                        "relay",
                        "the relay's fibers hold all the pulses they may; try again in a moment".to_string(),
                    ))
                } else if self.pending_pulses_of(room.owner) + 8 * frame.len() > self.address_share {
                    Some((
                        "address",
                        format!(
                            "the rooms opened from this address hold all the pulses one address may ({}); finish a round first",
                            self.address_share
                        ),
                    ))
                } else {
                    None
                };
                if let Some((budget, message)) = busy {
                    if busy_round(room, &message) {
                        self.busy_rounds.get_or_create(&BusyBudget { budget: budget.into() }).inc();
                    }
                    return Ok(());
                }
                room.fiber_seen = std::time::Instant::now();
                let fiber = if fiber_no == 1 { &mut room.fiber } else { &mut room.fiber2 };
                let out = fiber.handle(&frame).map_err(|e| format!("the fiber refused a frame: {e}"))?;
                for f in out {
                    send(room, receiver, f);
                }
                // Eve on the fiber hears what her attack did: counts, never a bit or a basis.
                if fiber_no == 1
                    && kind == photons
                    && !full
                    && let (Some((_, tx)), Some(attack)) = (room.members.get(&Role::Eve), room.fiber.eve())
                {
                    let s = room.fiber.stats();
                    let first = room.fiber.eve_first();
                    let text = serde_json::json!({
                        "type": "fiber", "attack": attack.name(), "pulses": s.pulses,
                        "touched": s.intercepted, "known": s.eve_known,
                        "bases": first.iter().map(|f| f[0]).collect::<Vec<_>>(),
                        "bits": first.iter().map(|f| f[1]).collect::<Vec<_>>(),
                    });
                    tx.send(Outgoing::Text(text.to_string()));
                }
            }
            (Role::Eve, Route::Classical) => {
                if room.mitm == Mitm::Off {
                    return Err("Eve is not in the middle of the classical channel".into());
                }
                // Ready (Bob's nonce) carries no direction: from Eve it can only be for Alice.
                let to_bob = info.direction == Some(Direction::AliceToBob);
                // Her own Hello to Bob opens a round on the second fiber.
                if full && to_bob && kind == Some(Kind::Hello) {
                    room.fiber2.reset();
                }
                send(room, if to_bob { Role::Bob } else { Role::Alice }, frame);
            }
            (_, Route::Classical) => {
                // Alice's Hello opens a round: the fiber forgets the last round's batches. A round
                // the fiber could not hold is refused here, before any photon is taken.
                if from == Role::Alice && kind == Some(Kind::Hello) {
                    fits_the_fiber(&frame)?;
                    room.fiber.reset();
                    room.busy = false;
                }
                if room.fiber.eve().is_some() && room.members.contains_key(&Role::Eve) {
                    overhear(room, from, &frame);
                }
                let peer = if from == Role::Alice { Role::Bob } else { Role::Alice };
                let to = if room.mitm != Mitm::Off && room.members.contains_key(&Role::Eve) { Role::Eve } else { peer };
                send(room, to, frame);
            }
        }
        Ok(())
    }

    /// Removes a connection and tells every member still there (`{"type":"left","role"}`),
    /// before Alice leaving closes the room. Returns the roles still there.
    pub fn leave(&self, id: &str, role: Role, conn: u64) -> Vec<Role> {
        let Some(shared) = self.room(id) else { return Vec::new() };
        let left: Vec<Role> = {
            let mut room = guard(&shared);
            if room.members.get(&role).is_some_and(|(c, _)| *c == conn) {
                room.members.remove(&role);
                if role == Role::Eve {
                    // Her attack leaves with her: the fiber carries the next photons untouched
                    // (and a later Eve may join before the next round begins).
                    let _ = room.fiber.set_eve(None);
                    room.fiber.keep_eve_records(false);
                    room.mitm = Mitm::Off;
                    room.eve_view = None;
                }
                let text = serde_json::json!({ "type": "left", "role": role.name() }).to_string();
                for (_, tx) in room.members.values() {
                    tx.send(Outgoing::Text(text.clone()));
                }
            }
            room.members.keys().copied().collect()
        };
        if role == Role::Alice || left.is_empty() {
            let mut rooms = self.lock();
            if rooms.get(id).is_some_and(|r| Arc::ptr_eq(r, &shared)) {
                rooms.remove(id);
                let mut room = guard(&shared);
                room.open = false;
                self.account(room.owner, room.pending(), 0);
                room.fiber.reset();
                room.fiber2.reset();
            }
        }
        left
    }

    /// Number of open rooms.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no room is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Ends the room's round when its fibers cannot take a frame for lack of room (the relay's or
/// the owner's budget): the frame is dropped, the fibers let go of the round's pulses, and
/// Alice, Bob and Eve are told (`busy`), so the round ends at once and Alice may start another
/// later. Nobody is closed: nothing is wrong with the room. (A relay could always end a round
/// by dropping a frame; saying so gives it no new power.) Said once per round: the round's
/// later frames are dropped without a word, so a sender cannot turn its frames into a flood of
/// messages to the others. Returns whether this frame ended the round (the first one did).
fn busy_round(room: &mut Room, message: &str) -> bool {
    room.fiber.reset();
    room.fiber2.reset();
    if std::mem::replace(&mut room.busy, true) {
        return false;
    }
    let text = serde_json::json!({ "type": "busy", "message": message }).to_string();
    for (role, (_, tx)) in &room.members {
        if *role != Role::Carol {
            tx.send(Outgoing::Text(text.clone()));
        }
    }
    true
}

/// Refuses a Hello announcing more pulses or batches than a room's fiber holds at once (its
/// parameters are public; the tag is the receiver's to check).
fn fits_the_fiber(hello: &[u8]) -> Result<(), Refusal> {
    let Ok(qkdlab::msgs::Msg::Hello(_, p)) = qkdlab::auth::peek(hello) else {
        return Err("malformed Hello".into());
    };
    if p.pulses > MAX_PENDING_PULSES as u64 {
        return Err(format!("this relay holds at most {MAX_PENDING_PULSES} pulses per round; send fewer"));
    }
    if p.batch_size == 0 || p.pulses.div_ceil(u64::from(p.batch_size)) > MAX_PENDING_BATCHES as u64 {
        return Err(format!("this relay holds at most {MAX_PENDING_BATCHES} batches per round; raise batchSize"));
    }
    Ok(())
}

/// Eve's basis strategy from its name.
pub fn eve_basis(name: Option<&str>) -> Result<EveBasis, Refusal> {
    use qkdlab::quantum::Basis;
    match name {
        None | Some("random") => Ok(EveBasis::Random),
        Some("rectilinear") => Ok(EveBasis::Fixed(Basis::Rectilinear)),
        Some("diagonal") => Ok(EveBasis::Fixed(Basis::Diagonal)),
        Some(other) => Err(format!("unknown basis strategy {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::Budget;
    use qkdlab::msgs::Ready;
    use qkdlab::party::RoundContext;
    use qkdlab::{Alice, Config, Credential};

    /// Alice's Hello and photon frames for `room` (8,192 pulses in two batches).
    fn round_frames(room: &str) -> Vec<Vec<u8>> {
        let psk = Credential::psk(&[0x42; 32]).expect("32 bytes");
        let config = Config { pulses: 8192, batch_size: 4096, ..Config::default() };
        let mut alice = Alice::new(config, &psk, RoundContext::single(room), Seed::from_text("share").rng("alice"))
            .expect("config");
        alice.handle(&Ready { nonce_b: [5; 32] }.encode()).expect("start")
    }

    #[tokio::test]
    async fn one_address_holds_at_most_its_share_of_the_fibers_and_others_are_not_turned_away() {
        // A share between 1.5 and 2 rounds (a frame counts as 8 pulses a byte until the fiber reads it).
        let rooms = Rooms::with_address_share(14_000);
        let budget = Budget::new(1 << 20);
        let (mallory, honest): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        let open = |owner: IpAddr| {
            let id = rooms.create(rooms.connection_id(), owner, ChannelModel::default(), Outbox::new(&budget).0);
            id.expect("a room")
        };
        let (first, other) = (open(mallory), open(honest));
        let (alice, alice_inbox) = Outbox::new(&budget);
        let second = rooms.create(rooms.connection_id(), mallory, ChannelModel::default(), alice).expect("a room");
        // The first room's photons wait for Bob (who never measures): 8,192 pulses held.
        for f in round_frames(&first) {
            rooms.route(&first, Role::Alice, f).expect("within the share");
        }
        assert_eq!(rooms.pending_pulses_of(mallory), 8192);
        // The same address's second room: its Hello passes, its first photons would overrun.
        let frames = round_frames(&second);
        rooms.route(&second, Role::Alice, frames[0].clone()).expect("a Hello holds no pulses");
        rooms.route(&second, Role::Alice, frames[1].clone()).expect("over the share: the round ends, Alice stays");
        assert_eq!(rooms.pending_pulses_of(mallory), 8192, "the refused frame holds nothing");
        // Alice is told why her round ended, and is not closed (the message is queued already).
        let busy = match alice_inbox.recv().await.map(|q| q.msg) {
            Some(Outgoing::Text(t)) => t,
            other => panic!("expected a text message, got {other:?}"),
        };
        let busy: serde_json::Value = serde_json::from_str(&busy).expect("JSON");
        assert_eq!(busy["type"], "busy", "{busy}");
        assert!(busy["message"].as_str().is_some_and(|m| m.contains("this address")), "{busy}");
        // Said once a round: another frame of it is dropped without a word, and not kept,
        // though the emptied fibers would now have room for it.
        rooms.route(&second, Role::Alice, frames[2].clone()).expect("dropped");
        assert_eq!(rooms.pending_pulses_of(mallory), 8192, "a busy round's later photons are dropped");
        let quiet = tokio::time::timeout(std::time::Duration::from_millis(50), alice_inbox.recv()).await;
        assert!(quiet.is_err(), "a second busy message: {:?}", quiet.map(|q| q.map(|q| q.msg)));
        // One round ended, on the address's share, and /metrics says so.
        let busy = rooms.busy_rounds();
        let count = |budget: &str| busy.get_or_create(&BusyBudget { budget: budget.into() }).get();
        assert_eq!((count("address"), count("relay")), (1, 0));
        let text = crate::metrics::Metrics::new(rooms.busy_rounds()).render(crate::metrics::Now {
            rooms: 3,
            queued: 0,
            sockets: 0,
            pending_pulses: 0,
        });
        assert!(text.contains(r#"qkdlab_busy_rounds_total{budget="address"} 1"#), "{text}");
        rooms.route(&second, Role::Alice, frames[0].clone()).expect("a new Hello");
        // Another address is served as before.
        for f in round_frames(&other) {
            rooms.route(&other, Role::Alice, f).expect("another address's share");
        }
        assert_eq!(rooms.pending_pulses_of(honest), 8192);
        assert_eq!(rooms.pending_pulses(), 2 * 8192);
        // Closing the first room gives its pulses back to the address.
        rooms.leave(&first, Role::Alice, 1);
        assert_eq!(rooms.pending_pulses_of(mallory), 0);
        rooms.route(&second, Role::Alice, frames[1].clone()).expect("the share is free again");
        assert_eq!(rooms.pending_pulses_of(mallory), 4096);
        assert_eq!(rooms.pending_pulses(), 4096 + 8192);
    }

    /// Eve's report of what she knows is built once a round, at the first sift reply after
    /// Alice's Hello: repeated replies, or a Hello from Bob (which the relay does not check
    /// against the fiber's limits), make the relay rebuild nothing.
    #[tokio::test]
    async fn eve_hears_one_report_a_round_however_often_the_sift_reply_comes() {
        use qkdlab::BitVec;
        use qkdlab::auth::{Channel, Direction, session_id};
        use qkdlab::msgs::{Msg, Opening, RoundAuth};
        use qkdlab::quantum::{EveBasis, InterceptResend};
        let rooms = Rooms::default();
        let budget = Budget::new(1 << 26);
        let (alice, _a) = Outbox::new(&budget);
        let id =
            rooms.create(rooms.connection_id(), [10, 0, 0, 9].into(), ChannelModel::default(), alice).expect("room");
        let (bob, _b) = Outbox::new(&budget);
        rooms.join(&id, Role::Bob, rooms.connection_id(), bob, None).expect("bob");
        let (eve, eve_inbox) = Outbox::new(&budget);
        let attack: Attack = InterceptResend { fraction: 1.0, basis: EveBasis::Random }.into();
        rooms.join(&id, Role::Eve, rooms.connection_id(), eve, Some((attack, Mitm::Off))).expect("eve");
        let psk = Credential::psk(&[1; 32]).expect("psk");
        let mut ch = Channel::new(&psk, Direction::AliceToBob, session_id(&id, 1, &[0; 32], &[0; 32]));
        let pulses = 1 << 16;
        let config = Config { pulses, batch_size: 1 << 12, ..Config::default() };
        let opening = Opening { round: 1, nonce_a: [0; 32], auth: RoundAuth::Bootstrap, prev_committed: 0 };
        let hello = ch.seal(&Msg::Hello(opening, config)).expect("hello");
        let mut clicks = BitVec::zeros(pulses as usize);
        clicks.set(0, true);
        let sift = ch.seal(&Msg::Sift { clicks, bases: BitVec::zeros(1) }).expect("sift");
        let mut one = BitVec::zeros(1);
        one.set(0, true);
        let reply =
            Msg::SiftReply { matches: one, sample: BitVec::zeros(1), sample_bits: BitVec::zeros(0), classes: None };
        let reply = ch.seal(&reply).expect("reply");
        let reports = || async {
            let mut n = 0;
            while let Ok(Some(q)) = tokio::time::timeout(std::time::Duration::from_millis(20), eve_inbox.recv()).await {
                n += usize::from(matches!(q.msg, Outgoing::Text(t) if t.contains("eveKnows")));
            }
            n
        };
        // Bob's Hello opens no view.
        for (from, frame) in [(Role::Bob, &hello), (Role::Bob, &sift), (Role::Alice, &reply)] {
            rooms.route(&id, from, frame.clone()).expect("routed");
        }
        assert_eq!(reports().await, 0);
        // Alice's does: one report, however many replies follow.
        rooms.route(&id, Role::Alice, hello).expect("hello");
        rooms.route(&id, Role::Bob, sift).expect("sift");
        for _ in 0..5 {
            rooms.route(&id, Role::Alice, reply.clone()).expect("reply");
        }
        assert_eq!(reports().await, 1);
    }
}
