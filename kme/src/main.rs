//! `qkdlab-kme`: a key management entity per site (see the library's docs).
//!
//! ```text
//! qkdlab-kme certs --out DIR                       test PKI for a demo (rcgen)
//! qkdlab-kme run --role alice|bob --psk-file F --state FILE --cert PEM --key PEM --ca PEM
//!                --peer-ca PEM [--https ADDR] [--peer ADDR | --link-listen ADDR] [--relayed yes]
//!                [--pulses N] [--length-km KM] [--max-keys N]
//! qkdlab-kme relay --psk-file F --state P --cert PEM --key PEM --a-ca PEM --b-ca PEM
//!                  --link-listen ADDR --peer ADDR                          (trusted node)
//! qkdlab-kme demo [--dir DIR]                      two sites on this machine, with curl lines
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use qkdlab::ChannelModel;
use qkdlab::link::Endpoint;
use qkdlab::{Credential, Seed};
use qkdlab_kme::link::{self, LinkParams, LinkTls, Shared};
use qkdlab_kme::{api, certs, store::SiteStore, tls};
use tokio::net::TcpListener;

fn usage() -> ! {
    eprintln!(
        "{}",
        include_str!("main.rs")
            .lines()
            .skip(3)
            .take(9)
            .map(|l| l.trim_start_matches("//! "))
            .collect::<Vec<_>>()
            .join("\n")
    );
    std::process::exit(2)
}

fn flags(args: &[String]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let Some(name) = a.strip_prefix("--") else { usage() };
        let Some(v) = it.next() else { usage() };
        out.insert(name.to_string(), v.clone());
    }
    out
}

fn need<'a>(f: &'a HashMap<String, String>, name: &str) -> &'a str {
    f.get(name).map(String::as_str).unwrap_or_else(|| {
        eprintln!("qkdlab-kme: --{name} is required");
        std::process::exit(2)
    })
}

fn number<T: std::str::FromStr>(f: &HashMap<String, String>, name: &str, default: T) -> T {
    f.get(name).map_or(Some(default), |v| v.parse().ok()).unwrap_or_else(|| {
        eprintln!("qkdlab-kme: --{name} must be a number");
        std::process::exit(2)
    })
}

/// The pre-shared key: from `--psk-file`, else the environment's `QKDLAB_KME_PSK`, else
/// `--psk` (which other local users can read in the process list).
fn psk_of(f: &HashMap<String, String>) -> [u8; 32] {
    if let Some(path) = f.get("psk-file") {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
            eprintln!("qkdlab-kme: --psk-file {path}: {e}");
            std::process::exit(2)
        });
        return psk(text.trim());
    }
    if let Ok(hex) = std::env::var("QKDLAB_KME_PSK") {
        return psk(hex.trim());
    }
    psk(need(f, "psk"))
}

fn psk(hex: &str) -> [u8; 32] {
    let bytes: Option<Vec<u8>> =
        (0..hex.len()).step_by(2).map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect();
    bytes.and_then(|b| b.try_into().ok()).unwrap_or_else(|| {
        eprintln!("qkdlab-kme: --psk must be 64 hex digits (32 bytes)");
        std::process::exit(2)
    })
}

/// One site: its store, its link task, its HTTPS server. Returns when the server fails.
pub struct Site {
    role: &'static str,
    params: LinkParams,
    state: PathBuf,
    https: String,
    tls: (PathBuf, PathBuf, PathBuf),
    peer: String,
    /// At the far end of a trusted-node path: the link's keys are pads, the served keys come
    /// from the node.
    relayed: bool,
}

fn open_store(role: &str, path: &Path, psk: &[u8; 32]) -> Result<SiteStore, String> {
    let credential = Credential::psk(psk).map_err(|e| e.to_string())?;
    let mut template = Endpoint::new(role, "template", link::settings(), credential, Seed::from_text("unused"))
        .map_err(|e| e.to_string())?;
    let store = SiteStore::open(path, template.stores_mut()).map_err(|e| format!("{}: {e}", path.display()))?;
    if !store.possibly_lost.is_empty() {
        eprintln!(
            "[kme {role}] the last run removed {} keys whose delivery it could not confirm; they are never served again: {}",
            store.possibly_lost.len(),
            store.possibly_lost.join(", ")
        );
    }
    eprintln!(
        "[kme {role}] {} keys on disk ({} delivered so far)",
        store.counts().iter().sum::<usize>(),
        store.delivered
    );
    Ok(store)
}

async fn run_site(site: Site) -> Result<(), String> {
    let store = open_store(site.role, &site.state, &site.params.psk)?;
    let pads = if site.relayed {
        Some(open_store(site.role, &site.state.with_extension("pads.json"), &site.params.psk)?)
    } else {
        None
    };
    let shared = Arc::new(Shared::new(store, pads, site.role == "alice"));
    let config = tls::server_config(&site.tls.0, &site.tls.1, &site.tls.2)?;
    let listener = TcpListener::bind(&site.https).await.map_err(|e| format!("{}: {e}", site.https))?;
    eprintln!("[kme {}] ETSI GS QKD 014 on https://{}", site.role, listener.local_addr().map_err(|e| e.to_string())?);
    if site.role == "alice" {
        tokio::spawn(link::alice(site.peer.clone(), site.params.clone(), shared.clone()));
    } else {
        let l = TcpListener::bind(&site.peer).await.map_err(|e| format!("{}: {e}", site.peer))?;
        eprintln!("[kme bob] waiting for the peer site's link on {}", site.peer);
        tokio::spawn(link::bob(l, site.params.clone(), shared.clone()));
    }
    tls::serve(listener, config, api::router(shared)).await;
    Ok(())
}

fn site_from(f: &HashMap<String, String>) -> Site {
    let role = match need(f, "role") {
        "alice" => "alice",
        "bob" => "bob",
        _ => usage(),
    };
    let peer = if role == "alice" { need(f, "peer") } else { need(f, "link-listen") };
    let (cert, key, peer_ca) = (Path::new(need(f, "cert")), Path::new(need(f, "key")), Path::new(need(f, "peer-ca")));
    Site {
        role,
        params: LinkParams {
            psk: psk_of(f),
            pulses: number(f, "pulses", 1_000_000),
            channel: ChannelModel { length_km: number(f, "length-km", 10.0), ..ChannelModel::default() },
            max_keys: number(f, "max-keys", 10_000),
            tls: exit_on_error(link_tls(role == "alice", cert, key, peer_ca)),
        },
        state: PathBuf::from(need(f, "state")),
        https: f.get("https").cloned().unwrap_or_else(|| "127.0.0.1:8443".into()),
        tls: (need(f, "cert").into(), need(f, "key").into(), need(f, "ca").into()),
        peer: peer.into(),
        relayed: f.get("relayed").is_some_and(|v| v == "yes"),
    }
}

fn exit_on_error<T>(r: Result<T, String>) -> T {
    r.unwrap_or_else(|e| {
        eprintln!("qkdlab-kme: {e}");
        std::process::exit(2)
    })
}

/// The link's mutual TLS: dialling (Alice's side) or accepting (Bob's), with this KME's
/// certificate and the CA the peer KME's certificate must chain to.
fn link_tls(dials: bool, cert: &Path, key: &Path, peer_ca: &Path) -> Result<LinkTls, String> {
    Ok(if dials {
        LinkTls { client: Some(tls::client_config(cert, key, peer_ca)?), server: None }
    } else {
        LinkTls { client: None, server: Some(tls::server_config(cert, key, peer_ca)?) }
    })
}

/// A trusted node: Bob to A (`--link-listen`, A's KME certified by `--a-ca`), Alice to B
/// (`--peer`, B's KME certified by `--b-ca`), relaying A's keys to B. It serves no SAE.
async fn run_relay(f: &HashMap<String, String>) -> Result<(), String> {
    let (cert, key) = (Path::new(need(f, "cert")), Path::new(need(f, "key")));
    let params = LinkParams {
        psk: psk_of(f),
        pulses: number(f, "pulses", 1_000_000),
        channel: ChannelModel { length_km: number(f, "length-km", 10.0), ..ChannelModel::default() },
        max_keys: number(f, "max-keys", 10_000),
        tls: link_tls(false, cert, key, Path::new(need(f, "a-ca")))?,
    };
    let onward = LinkParams { tls: link_tls(true, cert, key, Path::new(need(f, "b-ca")))?, ..params.clone() };
    let state = PathBuf::from(need(f, "state"));
    let ar = Arc::new(Shared::new(open_store("bob", &state.with_extension("ar.json"), &params.psk)?, None, false));
    let rb = Arc::new(Shared::new(open_store("alice", &state.with_extension("rb.json"), &params.psk)?, None, true));
    let listen = need(f, "link-listen");
    let l = TcpListener::bind(listen).await.map_err(|e| format!("{listen}: {e}"))?;
    eprintln!("[kme relay] waiting for site A's link on {listen}; linking to site B at {}", need(f, "peer"));
    tokio::spawn(link::bob(l, params.clone(), ar.clone()));
    tokio::spawn(link::alice(need(f, "peer").into(), onward, rb.clone()));
    qkdlab_kme::relay::run(ar, rb).await;
    Ok(())
}

fn demo_lines(dir: &Path) {
    let d = dir.display();
    println!(
        "Two KMEs on this machine: site A (Alice's, https://localhost:8443) and site B (Bob's, https://localhost:8444)."
    );
    println!("Keys appear after the first QKD round (a few seconds). As SAE_A at site A, take a key:");
    println!(
        "  curl --cacert {d}/ca-a.pem --cert {d}/sae-a.pem --key {d}/sae-a.key 'https://localhost:8443/api/v1/keys/SAE_B/enc_keys?number=1'"
    );
    println!("As SAE_B at site B, fetch the same key by its id:");
    println!(
        "  curl --cacert {d}/ca-b.pem --cert {d}/sae-b.pem --key {d}/sae-b.key 'https://localhost:8444/api/v1/keys/SAE_A/dec_keys?key_ID=KEY_ID'"
    );
    println!("The link's state and the stores:");
    println!(
        "  curl --cacert {d}/ca-a.pem --cert {d}/sae-a.pem --key {d}/sae-a.key https://localhost:8443/api/v1/keys/SAE_B/status"
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else { usage() };
    let f = flags(&args[1..]);
    let result = match command.as_str() {
        "certs" => certs::write_demo(Path::new(need(&f, "out"))).map_err(|e| e.to_string()),
        "run" => run_site(site_from(&f)).await,
        "relay" => run_relay(&f).await,
        "demo" => {
            let dir = PathBuf::from(f.get("dir").cloned().unwrap_or_else(|| "target/kme-demo".into()));
            let secret: String = {
                let mut b = [0u8; 32];
                getrandom::fill(&mut b).expect("OS randomness");
                b.iter().map(|x| format!("{x:02x}")).collect()
            };
            if let Err(e) = certs::write_demo(&dir) {
                eprintln!("qkdlab-kme: {e}");
                std::process::exit(1);
            }
            let site = |role: &'static str, https: &str, name: &str, ca: &str, peer_ca: &str| Site {
                role,
                params: LinkParams {
                    psk: psk(&secret),
                    pulses: 1_000_000,
                    channel: ChannelModel::default(),
                    max_keys: 10_000,
                    tls: exit_on_error(link_tls(
                        role == "alice",
                        &dir.join(format!("{name}.pem")),
                        &dir.join(format!("{name}.key")),
                        &dir.join(peer_ca),
                    )),
                },
                state: dir.join(format!("{name}-store.json")),
                https: https.into(),
                tls: (dir.join(format!("{name}.pem")), dir.join(format!("{name}.key")), dir.join(ca)),
                peer: "127.0.0.1:9444".into(),
                relayed: false,
            };
            demo_lines(&dir);
            let b = tokio::spawn(run_site(site("bob", "127.0.0.1:8444", "kme-b", "ca-b.pem", "ca-a.pem")));
            let a = tokio::spawn(run_site(site("alice", "127.0.0.1:8443", "kme-a", "ca-a.pem", "ca-b.pem")));
            tokio::select! {
                r = a => r.unwrap_or_else(|e| Err(e.to_string())),
                r = b => r.unwrap_or_else(|e| Err(e.to_string())),
            }
        }
        _ => usage(),
    };
    if let Err(e) = result {
        eprintln!("qkdlab-kme: {e}");
        std::process::exit(1);
    }
}
