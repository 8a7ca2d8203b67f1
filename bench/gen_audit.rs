//! Writes deterministic app-audit JSON lines for benchmarks and manual
//! testing: `cargo run --release --example gen-audit -- LINES [SEED] > audit.log`.
//! Each line's `seq` is its index, so receivers can check loss and
//! duplicates.

#[path = "../tests/support/gen_audit.rs"]
mod gen_audit;

use std::io::{BufWriter, Write};

fn main() {
    let mut args = std::env::args().skip(1);
    let lines: u64 = match args.next().map(|a| a.parse()) {
        Some(Ok(n)) => n,
        _ => {
            eprintln!("usage: gen-audit LINES [SEED] > audit.log");
            std::process::exit(2);
        }
    };
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    if let Err(error) =
        gen_audit::write_json_lines(&mut out, seed, 0..lines).and_then(|()| out.flush())
    {
        eprintln!("gen-audit: {error}");
        std::process::exit(1);
    }
}
