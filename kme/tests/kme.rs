//! Two KMEs as separate processes, driven by a client nobody here wrote: `curl` with client
//! certificates. The same keys by id at both sites, the spec's errors, a TLS refusal, link
//! status, and no key delivered twice across a KME killed mid-delivery.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

struct Kme(Child);

impl Drop for Kme {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const PSK: &str = "0707070707070707070707070707070707070707070707070707070707070707";

fn kme(dir: &Path, role: &str, https: u16, link: u16) -> Kme {
    kme_with(dir, role, https, link, &[])
}

fn kme_with(dir: &Path, role: &str, https: u16, link: u16, extra: &[&str]) -> Kme {
    let (name, ca, peer_ca) =
        if role == "alice" { ("kme-a", "ca-a.pem", "ca-b.pem") } else { ("kme-b", "ca-b.pem", "ca-a.pem") };
    // Through a trusted node, each end's link peer is R.
    let peer_ca = if extra.contains(&"--relayed") || extra.contains(&"via-r") { "ca-r.pem" } else { peer_ca };
    let extra: Vec<&str> = extra.iter().copied().filter(|a| *a != "via-r").collect();
    let link_flag = if role == "alice" { "--peer" } else { "--link-listen" };
    let child = Command::new(env!("CARGO_BIN_EXE_qkdlab-kme"))
        .args(["run", "--role", role, "--pulses", "300000", "--length-km", "5"])
        .env("QKDLAB_KME_PSK", PSK)
        .args(["--https", &format!("127.0.0.1:{https}"), link_flag, &format!("127.0.0.1:{link}")])
        .arg("--state")
        .arg(dir.join(format!("{name}-store.json")))
        .arg("--cert")
        .arg(dir.join(format!("{name}.pem")))
        .arg("--key")
        .arg(dir.join(format!("{name}.key")))
        .arg("--ca")
        .arg(dir.join(ca))
        .arg("--peer-ca")
        .arg(dir.join(peer_ca))
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the KME binary");
    Kme(child)
}

/// `curl` as SAE `who` (a file prefix in `dir`) against the site whose CA is `ca`: (HTTP
/// status, body); status 0 when the TLS handshake failed.
fn curl(dir: &Path, who: &str, ca: &str, port: u16, path: &str, data: Option<&str>) -> (u16, String) {
    let mut c = Command::new("curl");
    c.args(["-s", "-w", "\n%{http_code}", "--max-time", "10"])
        .arg("--cacert")
        .arg(dir.join(ca))
        .arg("--cert")
        .arg(dir.join(format!("{who}.pem")))
        .arg("--key")
        .arg(dir.join(format!("{who}.key")));
    if let Some(d) = data {
        c.args(["-H", "Content-Type: application/json", "--data", d]);
    }
    let out = c.arg(format!("https://localhost:{port}{path}")).output().expect("curl is installed");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

fn wait_for_keys(dir: &Path, port: u16, at_least: u64) -> Value {
    let t = Instant::now();
    loop {
        let (code, body) = curl(dir, "sae-a", "ca-a.pem", port, "/api/v1/keys/SAE_B/status", None);
        if code == 200 {
            let s = json(&body);
            if s["stored_key_count"].as_u64().unwrap_or(0) >= at_least {
                return s;
            }
        }
        assert!(t.elapsed() < Duration::from_secs(120), "no keys after 120 s (last: {code} {body})");
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn ids(container: &Value) -> Vec<String> {
    container["keys"].as_array().expect("keys").iter().map(|k| k["key_ID"].as_str().expect("id").to_string()).collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qkdlab-kme-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    qkdlab_kme::certs::write_demo(&dir).expect("test certificates");
    dir
}

#[test]
fn two_sites_deliver_the_same_keys_by_id_over_mutual_tls() {
    let dir = temp_dir("pair");
    let (a_https, b_https, link) = (free_port(), free_port(), free_port());
    let _bob = kme(&dir, "bob", b_https, link);
    std::thread::sleep(Duration::from_millis(300));
    // Someone who reaches the link port first and says nothing: the link must still come up.
    let _squatter = std::net::TcpStream::connect(("127.0.0.1", link)).expect("the link port");
    let mut alice = kme(&dir, "alice", a_https, link);
    let status = wait_for_keys(&dir, a_https, 4);
    assert_eq!(status["status_extension"]["link"], "up");
    assert_eq!((status["master_SAE_ID"].as_str(), status["slave_SAE_ID"].as_str()), (Some("SAE_A"), Some("SAE_B")));

    // SAE_A takes two keys at site A; SAE_B fetches the same by id at site B (GET and POST).
    let t = Instant::now();
    let (code, body) = curl(&dir, "sae-a", "ca-a.pem", a_https, "/api/v1/keys/SAE_B/enc_keys?number=2", None);
    assert_eq!(code, 200, "{body}");
    let sent = json(&body);
    let got_ids = ids(&sent);
    let (code, body) =
        curl(&dir, "sae-b", "ca-b.pem", b_https, &format!("/api/v1/keys/SAE_A/dec_keys?key_ID={}", got_ids[0]), None);
    let pair_ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(code, 200, "{body}");
    assert_eq!(json(&body)["keys"][0], sent["keys"][0]);
    let post = format!(r#"{{"key_IDs":[{{"key_ID":"{}"}}]}}"#, got_ids[1]);
    let (code, body) = curl(&dir, "sae-b", "ca-b.pem", b_https, "/api/v1/keys/SAE_A/dec_keys", Some(&post));
    assert_eq!((code, json(&body)["keys"][0].clone()), (200, sent["keys"][1].clone()));
    // Once only, at each site.
    let (code, _) = curl(&dir, "sae-b", "ca-b.pem", b_https, "/api/v1/keys/SAE_A/dec_keys", Some(&post));
    assert_eq!(code, 400, "a delivered key is gone");
    let (code, body) = curl(&dir, "sae-a", "ca-a.pem", a_https, "/api/v1/keys/SAE_B/enc_keys", Some(r#"{"number":1}"#));
    assert_eq!(code, 200);
    assert!(!got_ids.contains(&ids(&json(&body))[0]));

    // The spec's errors.
    let (code, body) = curl(&dir, "sae-c", "ca-a.pem", a_https, "/api/v1/keys/SAE_B/enc_keys", None);
    assert_eq!((code, json(&body)["message"].as_str()), (401, Some("Unauthorized")), "another SAE of the same CA");
    // SAE_A's name under site B's CA opens nothing of A's stream at site B.
    let (code, _) = curl(&dir, "impostor", "ca-b.pem", b_https, "/api/v1/keys/SAE_B/enc_keys", None);
    assert_eq!(code, 401, "an SAE is known by its site, not its name alone");
    let (code, body) = curl(
        &dir,
        "sae-b",
        "ca-b.pem",
        b_https,
        "/api/v1/keys/SAE_A/dec_keys?key_ID=00000000-0000-4000-8000-000000000000",
        None,
    );
    assert_eq!(code, 400, "{body}");
    let (code, body) = curl(&dir, "sae-a", "ca-a.pem", a_https, "/api/v1/keys/SAE_B/enc_keys?number=100000", None);
    assert_eq!(code, 400);
    assert!(json(&body)["message"].as_str().is_some_and(|m| m.starts_with("number shall be")), "{body}");
    let (code, body) = curl(&dir, "sae-a", "ca-a.pem", a_https, "/api/v1/keys/SAE_B/enc_keys?number=128", None);
    assert!(code == 503 || code == 200, "{code} {body}");
    if code == 503 {
        assert!(json(&body)["message"].as_str().is_some_and(|m| m.contains("Not enough key material")));
    }
    // A certificate from a CA the site does not trust: refused in the TLS handshake.
    let (code, body) = curl(&dir, "rogue", "ca-a.pem", a_https, "/api/v1/keys/SAE_B/status", None);
    assert_eq!((code, body.as_str()), (0, ""), "no HTTP exchange at all");

    // Restart safety: A delivers, is killed at once, restarts on the same state: nothing it
    // delivered comes back.
    let (code, body) = curl(&dir, "sae-a", "ca-a.pem", a_https, "/api/v1/keys/SAE_B/enc_keys?number=1", None);
    assert_eq!(code, 200);
    let before = ids(&json(&body));
    alice.0.kill().expect("kill -9");
    let _ = alice.0.wait();
    let _alice = kme(&dir, "alice", a_https, link);
    let status = wait_for_keys(&dir, a_https, 1);
    let (code, body) = curl(&dir, "sae-a", "ca-a.pem", a_https, "/api/v1/keys/SAE_B/enc_keys?number=1", None);
    assert_eq!(code, 200, "{body}");
    let after = ids(&json(&body));
    assert!(after.iter().all(|id| !before.contains(id) && !got_ids.contains(id)), "no key delivered twice");
    assert!(status["status_extension"]["qkdlab"].is_object());
    println!("enc_keys at A + dec_keys at B over mutual TLS (two curl processes): {pair_ms:.1} ms");
}

#[test]
fn a_site_whose_peer_is_down_says_so_in_status() {
    let dir = temp_dir("down");
    let (a_https, link) = (free_port(), free_port());
    let _alice = kme(&dir, "alice", a_https, link);
    let t = Instant::now();
    loop {
        let (code, body) = curl(&dir, "sae-a", "ca-a.pem", a_https, "/api/v1/keys/SAE_B/status", None);
        if code == 200 {
            let s = json(&body);
            assert_eq!(s["status_extension"]["link"], "down");
            if s["status_extension"]["qkdlab"]["last_error"].as_str().is_some_and(|e| e.contains("cannot reach")) {
                break;
            }
        }
        assert!(t.elapsed() < Duration::from_secs(20), "no link-down status ({code} {body})");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (code, body) = curl(&dir, "sae-a", "ca-a.pem", a_https, "/api/v1/keys/SAE_B/enc_keys", None);
    assert_eq!(code, 503, "no key while the link never came up: {body}");
}

#[test]
fn a_trusted_node_relays_keys_from_a_to_b_and_a_sees_when_its_onward_link_is_down() {
    let dir = temp_dir("relay");
    let (a_https, b_https, ar, rb) = (free_port(), free_port(), free_port(), free_port());
    let mut bob = kme_with(&dir, "bob", b_https, rb, &["--relayed", "yes"]);
    let log = std::fs::File::create(dir.join("relay.log")).expect("a log file");
    let _relay = Kme(Command::new(env!("CARGO_BIN_EXE_qkdlab-kme"))
        .args(["relay", "--pulses", "300000", "--length-km", "5"])
        .env("QKDLAB_KME_PSK", PSK)
        .arg("--cert")
        .arg(dir.join("kme-r.pem"))
        .arg("--key")
        .arg(dir.join("kme-r.key"))
        .arg("--a-ca")
        .arg(dir.join("ca-a.pem"))
        .arg("--b-ca")
        .arg(dir.join("ca-b.pem"))
        .args(["--link-listen", &format!("127.0.0.1:{ar}"), "--peer", &format!("127.0.0.1:{rb}")])
        .arg("--state")
        .arg(dir.join("relay"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the KME binary"));
    std::thread::sleep(Duration::from_millis(300));
    let _alice = kme_with(&dir, "alice", a_https, ar, &["via-r"]);
    wait_for_keys(&dir, a_https, 2);
    let (code, body) = curl(&dir, "sae-a", "ca-a.pem", a_https, "/api/v1/keys/SAE_B/enc_keys?number=1", None);
    assert_eq!(code, 200, "{body}");
    let sent = json(&body);
    let id = ids(&sent).remove(0);
    // B holds it once R relayed it (R relays every 300 ms, when it has R-B keys to pad it).
    let t = Instant::now();
    let got = loop {
        let (code, body) =
            curl(&dir, "sae-b", "ca-b.pem", b_https, &format!("/api/v1/keys/SAE_A/dec_keys?key_ID={id}"), None);
        if code == 200 {
            break json(&body);
        }
        assert!(t.elapsed() < Duration::from_secs(90), "B never received the key ({code} {body})");
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(got["keys"][0], sent["keys"][0], "A and B share the key through R");
    let relay_log = std::fs::read_to_string(dir.join("relay.log")).expect("R's log");
    assert!(relay_log.contains("relayed") && relay_log.contains("this node saw them"), "{relay_log}");

    // R's link to B goes down: A's status says so.
    bob.0.kill().expect("kill B");
    let _ = bob.0.wait();
    let t = Instant::now();
    loop {
        let (code, body) = curl(&dir, "sae-a", "ca-a.pem", a_https, "/api/v1/keys/SAE_B/status", None);
        if code == 200 && json(&body)["status_extension"]["qkdlab"]["onward"] == "down" {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "A never saw the onward link down ({code} {body})");
        std::thread::sleep(Duration::from_millis(200));
    }
}
