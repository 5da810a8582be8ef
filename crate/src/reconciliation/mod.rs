//! Information reconciliation with Cascade (Brassard & Salvail, EUROCRYPT '93), with the
//! choices Martinez-Mateo, Pacher, Peev, Ciurana and Martin analyse in "Demystifying the
//! information reconciliation protocol Cascade", QIC 15 (2015):
//! - block sizes are powers of two, `k1 = 2^ceil(log2(alpha / Q))`, doubling each pass, capped
//!   at `n / 2`;
//! - in binary search Alice discloses only the left half's parity; the right half's follows
//!   from its parent, and every parity Alice ever disclosed is remembered and reused;
//! - Alice sends the top-level parities of every pass at once, and every parity query pending
//!   in a round trip goes in one message, so round trips grow with `log n`, not with the
//!   number of errors.
//!
//! Alice is a parity oracle ([`CascadeAlice`]); Bob runs the search and corrects his key
//! ([`CascadeBob`]). Both build the same shuffles from a seed Alice announces.

mod cascade;

pub use cascade::{CascadeAlice, CascadeBob, CascadeParams, CascadeStep, Layout};
