//! qkdlab's key management entity (KME): one per site. It runs a continuous QKD link with the
//! peer site's KME (the core's link endpoint over TCP; the simulated fiber sits at Bob's site,
//! in front of his detectors), keeps the keys on disk, and delivers them to the site's secure
//! application entities (SAEs) with the ETSI GS QKD 014 V1.1.1 REST API over HTTPS with mutual
//! TLS: an SAE is whoever holds a client certificate from the site's CA, named by its common
//! name.
//!
//! The two sites agree on key ids without sending keys: both link endpoints file the same key
//! material under the same ids, so the master SAE's `enc_keys` at one site and the slave SAE's
//! `dec_keys` by id at the other return the same keys.

pub mod api;
pub mod certs;
pub mod link;
pub mod relay;
pub mod store;
pub mod tls;
pub mod wire;
