//! Runs one BB84 session in memory and prints its report stage by stage.
//!
//! cargo run --release --example session -- --pulses 1000000 --length-km 10 --error-rate 0.02 \
//!     [--eve 0.5] [--seed 42] [--efficiency 0.2] [--dark 1e-6]

use std::process::ExitCode;

use qkdlab::session::{self, Passive, StdClock};
use qkdlab::{ChannelModel, Config, Credential, InterceptResend, Report, Seed, SessionConfig};

fn main() -> ExitCode {
    match parse(std::env::args().skip(1).collect()) {
        Ok(config) => match session::run(&config, &mut Passive, &StdClock::default()) {
            Ok(report) => {
                print_report(&config, &report);
                if report.ok { ExitCode::SUCCESS } else { ExitCode::from(2) }
            }
            Err(e) => {
                eprintln!("error [{}]: {e}", e.code());
                ExitCode::FAILURE
            }
        },
        Err(msg) => {
            eprintln!(
                "{msg}\nusage: session [--pulses N] [--length-km KM] [--error-rate Q] [--eve FRACTION] [--seed TEXT] [--efficiency E] [--dark P]"
            );
            ExitCode::FAILURE
        }
    }
}

fn parse(args: Vec<String>) -> Result<SessionConfig, String> {
    let mut protocol = Config::default();
    let mut channel = ChannelModel::default();
    let mut eve = None;
    let mut seed = Seed::from_text("42");
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = || value.parse::<f64>().map_err(|_| format!("{flag}: not a number: {value}"));
        match flag.as_str() {
            "--pulses" => {
                protocol.pulses =
                    value.replace('_', "").parse().map_err(|_| format!("--pulses: not an integer: {value}"))?
            }
            "--length-km" => channel.length_km = num()?,
            "--error-rate" => channel.error_rate = num()?,
            "--efficiency" => channel.detector_efficiency = num()?,
            "--dark" => channel.dark_count_prob = num()?,
            "--eve" => eve = Some(InterceptResend { fraction: num()?, basis: Default::default() }.into()),
            "--seed" => seed = Seed::from_text(&value),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let credential = Credential::psk(&[0x42; 32]).map_err(|e| e.to_string())?;
    Ok(SessionConfig { protocol, channel, eve, credential, seed })
}

fn print_report(config: &SessionConfig, r: &Report) {
    let ch = &config.channel;
    println!("qkdlab BB84 session");
    println!(
        "  channel        {} km, {:.2} dB loss, detection probability {:.4}, misalignment {:.2} %",
        ch.length_km,
        ch.loss_db(),
        ch.detection_probability(),
        ch.error_rate * 100.0
    );
    println!(
        "1 quantum        {} pulses, {} intercepted by Eve, {} clicks",
        r.summary.pulses, r.intercepted, r.summary.clicks
    );
    println!("2 sifting        {} sifted bits", r.summary.sifted_bits);
    println!(
        "3 estimation     {} sampled, QBER {:.3} % (abort above {:.1} %)",
        r.summary.sample_bits,
        r.summary.qber * 100.0,
        config.protocol.qber_threshold * 100.0
    );
    let c = &r.summary;
    println!(
        "4 reconciliation Cascade k1={} passes={}: {} parities disclosed, {} corrections, {} query round trips",
        c.cascade_first_block, c.cascade_passes, r.disclosed.reconciliation, r.corrections, c.cascade_round_trips
    );
    println!(
        "5 verification   {}-bit tag, collision probability {:.1e}",
        r.disclosed.verification, c.verification_collision
    );
    if let Some(fk) = &c.finite_key {
        println!(
            "6 amplification  l = n - n h(Q_tol+mu) - leak - log2(2/(eps^2 eps_cor)), eps = eps_sec / {:.0} branches",
            fk.branches
        );
        println!(
            "                 n={} k={} Q_tol={:.4} mu={:.4} n h(Q_tol+mu)={:.1} leak={} (disclosed {}) eps term={:.1} -> l={}",
            fk.n, fk.k, fk.q_tol, fk.mu, fk.phase_error_bits, fk.leak_bound, fk.leak_ec, fk.epsilon_bits, fk.length
        );
    }
    println!(
        "  authentication {} : {} frames, {} tag bits, {} key bits",
        r.auth.mode, r.auth.frames, r.auth.tag_bits, r.auth.key_bits_used
    );
    println!("  round trips    {}", r.round_trips);
    let times: Vec<String> = r.stages.iter().map(|s| format!("{} {:.1} ms", s.name, s.ms)).collect();
    println!("  timings        {}", times.join(", "));
    match (&r.error, r.ok) {
        (_, true) => println!(
            "OK: both sides hold the same {}-bit key (compared in memory; no bit of it is printed)",
            r.final_key_bits
        ),
        (Some(f), _) => println!("ABORTED by {} [{}]: {}", f.party, f.error.code(), f.error),
        (None, false) => println!("ABORTED"),
    }
}
