//! Writes deterministic audit input for benchmarks and manual testing:
//!
//!   cargo run --release --example gen-audit -- LINES [SEED] [FORMAT] > audit.log
//!
//! FORMAT is `json` (default: app-audit JSON lines), `auditd` (five records
//! per event — SYSCALL, EXECVE, CWD, PROCTITLE, EOE — so LINES events make
//! 5 × LINES lines, for the `auditd` grouping), `k8s` (Kubernetes
//! `audit.k8s.io/v1` events, one a line), `syslog5424` (RFC 5424 with
//! structured data), `syslog3164` (BSD lines: sshd, sudo, an app),
//! `cef`, `cloudtrail` (one record a line) or `logfmt`, all from the same
//! events. LINES always counts *events*.
//! Each event's `seq` is its index, so receivers can check loss and
//! duplicates.

#[path = "../tests/support/gen_audit.rs"]
mod gen_audit;

use std::io::{BufWriter, Write};

const USAGE: &str = "usage: gen-audit LINES [SEED] \
     [json|auditd|k8s|syslog5424|syslog3164|cef|cloudtrail|logfmt] > audit.log";

fn main() {
    let mut args = std::env::args().skip(1);
    let lines: u64 = match args.next().map(|a| a.parse()) {
        Some(Ok(n)) => n,
        _ => fail(USAGE),
    };
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let render: fn(u64, u64) -> String = match args.next().as_deref() {
        None | Some("json") => gen_audit::json_line,
        Some("auditd") => gen_audit::auditd_lines,
        Some("k8s") => gen_audit::k8s_line,
        Some("syslog5424") => gen_audit::syslog5424_line,
        Some("syslog3164") => gen_audit::syslog3164_line,
        Some("cef") => gen_audit::cef_line,
        Some("cloudtrail") => gen_audit::cloudtrail_line,
        Some("logfmt") => gen_audit::logfmt_line,
        Some(_) => fail(USAGE),
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let written = (0..lines)
        .try_for_each(|seq| {
            out.write_all(render(seed, seq).as_bytes())?;
            out.write_all(b"\n")
        })
        .and_then(|()| out.flush());
    if let Err(error) = written {
        fail(&format!("gen-audit: {error}"));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2);
}
