//! `qkdlab-relay [--port 8080] [--host 127.0.0.1] [--www DIR] [--pkg DIR]`: serves the playground.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use qkdlab_relay::{Paths, ServeLimits, Settings, Timeouts};

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let mut port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
    let mut host = "127.0.0.1".to_string();
    let mut paths = Paths { www: PathBuf::from("www"), pkg: PathBuf::from("pkg") };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let Some(value) = args.next() else {
            eprintln!("{flag} needs a value");
            return ExitCode::FAILURE;
        };
        match flag.as_str() {
            "--port" => match value.parse() {
                Ok(p) => port = p,
                Err(_) => {
                    eprintln!("--port: not a port number: {value}");
                    return ExitCode::FAILURE;
                }
            },
            "--host" => host = value,
            "--www" => paths.www = value.into(),
            "--pkg" => paths.pkg = value.into(),
            other => {
                eprintln!("unknown flag {other}; usage: qkdlab-relay [--port N] [--host H] [--www DIR] [--pkg DIR]");
                return ExitCode::FAILURE;
            }
        }
    }
    let addr: SocketAddr = match format!("{host}:{port}").parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bad address {host}:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bound = listener.local_addr().map_or(addr, |a| a);
    let serve = ServeLimits::from_file_limit();
    println!("qkdlab playground on http://{bound}/ (up to {} connections)", serve.max_sockets);
    let settings = Settings { timeouts: Timeouts::default(), serve };
    qkdlab_relay::run(listener, &paths, settings, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    ExitCode::SUCCESS
}
