//! Appends generated app-audit JSON lines to many files at a steady total
//! rate, for the benchmark's "many files", "idle" and "latency" scenarios:
//!
//!   cargo run --release --example append-slowly -- DIR FILES RATE SECONDS
//!
//! Creates `DIR/f00000.log` … (FILES of them, kept open in append mode),
//! then writes RATE lines a second in all, round-robin over the files, for
//! SECONDS seconds (`0`: only create the files). Each line is one `write`
//! (the tailer never sees half a line) and carries `"writeNs":<Unix
//! nanoseconds>` taken just before the write, which `count-receiver
//! --latency` turns into write-to-arrival latency. The pace follows a fixed
//! schedule (line k is due at start + k / RATE), so a late wake-up is made
//! up for instead of lowering the rate. Prints `appended N` at the end.

#[path = "../tests/support/gen_audit.rs"]
mod gen_audit;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const USAGE: &str = "usage: append-slowly DIR FILES RATE SECONDS";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, files, rate, seconds] = &args[..] else {
        fail(USAGE)
    };
    let number = |text: &String| text.parse::<u64>().unwrap_or_else(|_| fail(USAGE));
    let (files, rate, seconds) = (number(files), number(rate), number(seconds));
    if files == 0 || rate == 0 {
        fail(USAGE);
    }
    let mut open = (0..files)
        .map(|i| open_append(&Path::new(dir).join(format!("f{i:05}.log"))))
        .collect::<Vec<File>>();
    let total = rate * seconds;
    let start = Instant::now();
    for seq in 0..total {
        let due = start + Duration::from_nanos(seq * 1_000_000_000 / rate);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let file = &mut open[(seq % files) as usize];
        if let Err(error) = file.write_all(line(seq).as_bytes()) {
            fail(&format!("append-slowly: write: {error}"));
        }
    }
    println!("appended {total}");
}

/// Generated line `seq` with its write time added as the last key.
fn line(seq: u64) -> String {
    let mut line = gen_audit::json_line(7, seq);
    line.pop(); // the closing brace
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    line.push_str(&format!(",\"writeNs\":{now}}}\n"));
    line
}

fn open_append(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|error| {
            fail(&format!(
                "append-slowly: cannot open {} ({error}); for many files raise `ulimit -n`",
                path.display()
            ))
        })
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2);
}
