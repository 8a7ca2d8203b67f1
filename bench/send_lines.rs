//! Sends a file's lines to a stream socket as fast as the receiver reads
//! them, one connection, newline framing — the load generator for the
//! `unix` (stream) and `syslog` (TCP) sources in `bench/socket-throughput`:
//!
//!   cargo run --release --example send-lines -- unix:/path/to.sock FILE
//!   cargo run --release --example send-lines -- tcp:127.0.0.1:6514 FILE
//!
//! Prints the lines sent and the wall seconds the writing took. The file is
//! read whole first, so the sender's own reading is not timed; writes are
//! 256 KiB at a time (whole lines), so the sender costs next to nothing and
//! the agent's reading is what is measured. Std only, so it builds alone:
//! `rustc -O bench/send_lines.rs`.

use std::io::Write;
use std::time::Instant;

const USAGE: &str = "usage: send-lines unix:PATH|tcp:HOST:PORT FILE";
/// Bytes per write: large enough that system calls cost nothing.
const CHUNK: usize = 256 * 1024;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [target, path] = &args[..] else {
        fail(USAGE)
    };
    let data = std::fs::read(path).unwrap_or_else(|e| fail(&format!("{path}: {e}")));
    let lines = data.iter().filter(|b| **b == b'\n').count();
    let mut stream: Box<dyn Write> = if let Some(socket) = target.strip_prefix("unix:") {
        Box::new(
            std::os::unix::net::UnixStream::connect(socket)
                .unwrap_or_else(|e| fail(&format!("cannot connect to {socket}: {e}"))),
        )
    } else if let Some(address) = target.strip_prefix("tcp:") {
        let tcp = std::net::TcpStream::connect(address)
            .unwrap_or_else(|e| fail(&format!("cannot connect to {address}: {e}")));
        let _ = tcp.set_nodelay(true);
        Box::new(tcp)
    } else {
        fail(USAGE)
    };
    let start = Instant::now();
    let mut rest = &data[..];
    while !rest.is_empty() {
        // Cut after the last newline within CHUNK, so no write splits a line.
        let mut end = rest.len().min(CHUNK);
        if end < rest.len() {
            if let Some(newline) = rest[..end].iter().rposition(|b| *b == b'\n') {
                end = newline + 1;
            }
        }
        if let Err(error) = stream.write_all(&rest[..end]) {
            fail(&format!("send-lines: {error}"));
        }
        rest = &rest[end..];
    }
    if let Err(error) = stream.flush() {
        fail(&format!("send-lines: {error}"));
    }
    println!("{lines} {:.3}", start.elapsed().as_secs_f64());
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2);
}
