//! What the tamper-evidence chain costs per event (issue: ≤ 10 % of the
//! pipeline's throughput).
//!
//!   cargo bench --bench chain_cost                # 200,000 generated events
//!   cargo bench --bench chain_cost -- FILE [N]    # JSON lines, e.g. gen-audit's
//!
//! The chain is work the journal's writer does for every event on top of
//! writing its line, plus a signed checkpoint every 10,000 events, plus
//! the longer line every sink then carries. Each is timed here on one
//! thread against the same events without the chain:
//! - `write`: the line with `agent.seq` only, as without a chain;
//! - `write_chained`: SHA-256 over `prev ‖ seq ‖ canonical`, its hex and
//!   the splice into the line (what the journal writer really does);
//! - a checkpoint: build, sign (Ed25519) and encode the event, divided by
//!   the 10,000 events it covers;
//! - gzip (level 1, as the HTTP sinks send) of 1,000-line batches with and
//!   without `agent.chain`: the sink-side price of the 76 extra bytes.
//!
//! The per-event CPU of the whole pipeline comes from `bench/run` (CPU
//! seconds per 100,000 events); pass it as `PIPELINE_US=…` to print the
//! share, otherwise the share of this bench's own in-memory work (parse +
//! normalize + encode + write: less than the pipeline, so an upper bound)
//! is printed.

#[path = "../tests/support/gen_audit.rs"]
mod gen_audit;

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use auditship::chain::checkpoint::{Checkpoint, CheckpointSigner};
use auditship::chain::{Link, GENESIS};
use auditship::config::FormatConfig;
use auditship::event::OriginKind;
use auditship::formats::{EntryContext, Parser};
use auditship::pipeline::encoded_event::EncodedEvent;
use chrono::Utc;
use flate2::write::GzEncoder;

const DEFAULT_EVENTS: usize = 200_000;
/// `integrity.checkpoint_events`' default.
const CHECKPOINT_EVENTS: u64 = 10_000;
const GZIP_BATCH: usize = 1_000;
const RUNS: usize = 5;

fn main() {
    // `cargo bench` passes `--bench`; the rest are ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let lines = input_lines(&args);
    let n = lines.len();
    println!("chain cost: {n} events, median of {RUNS} runs, one thread");

    let parser = Parser::from_config(&FormatConfig::Json { map: Vec::new() }, false)
        .expect("the json parser builds");
    let (parse_time, encoded) = median_of(|| parse_and_encode(&parser, &lines));
    let plain_time = median_of(|| write_plain(&encoded)).0;
    let chained_time = median_of(|| write_chained(&encoded)).0;
    let checkpoint_time = median_of(sign_checkpoints).0 / CHECKPOINTS_TIMED;
    let plain_lines = write_plain(&encoded);
    let chained_lines = write_chained(&encoded);
    let gzip_plain = median_of(|| gzip_batches(&plain_lines)).0;
    let gzip_chained = median_of(|| gzip_batches(&chained_lines)).0;

    let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    let hashing = per(chained_time) - per(plain_time);
    let checkpoint = checkpoint_time.as_secs_f64() * 1e6 / CHECKPOINT_EVENTS as f64;
    let gzip_extra = per(gzip_chained) - per(gzip_plain);
    let chain_total = hashing + checkpoint + gzip_extra;
    let avg = |v: &[Vec<u8>]| v.iter().map(Vec::len).sum::<usize>() as f64 / n as f64;
    println!(
        "  parse + normalize + encode  {:8.3} µs/event",
        per(parse_time)
    );
    println!(
        "  write line (seq only)       {:8.3} µs/event  ({:.0} bytes)",
        per(plain_time),
        avg(&plain_lines)
    );
    println!(
        "  write line + chain link     {:8.3} µs/event  ({:.0} bytes)",
        per(chained_time),
        avg(&chained_lines)
    );
    println!(
        "  signed checkpoint           {:8.1} µs each, {:.4} µs/event",
        checkpoint_time.as_secs_f64() * 1e6,
        checkpoint
    );
    println!(
        "  gzip -1 of the lines        {:8.3} µs/event without chain, {:.3} with",
        per(gzip_plain),
        per(gzip_chained)
    );
    println!(
        "  chain: hashing {hashing:.3} + checkpoints {checkpoint:.4} + longer lines in gzip {gzip_extra:.3} = {chain_total:.3} µs/event"
    );
    match std::env::var("PIPELINE_US")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
    {
        Some(pipeline) => println!(
            "  = {:.1} % of the pipeline's {pipeline} µs/event (PIPELINE_US)",
            100.0 * chain_total / pipeline
        ),
        None => {
            let own = per(parse_time) + per(chained_time) + per(gzip_chained) + checkpoint;
            println!(
                "  = {:.1} % of this bench's in-memory work ({own:.3} µs/event; an upper bound — set PIPELINE_US from bench/run for the real share)",
                100.0 * chain_total / own
            );
        }
    }
}

/// JSON lines from `FILE [N]`, or `DEFAULT_EVENTS` generated ones (seed 7,
/// the suite's data).
fn input_lines(args: &[String]) -> Vec<Vec<u8>> {
    let limit = args
        .get(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_EVENTS);
    match args.first() {
        Some(path) => {
            let text = std::fs::read(path).unwrap_or_else(|e| {
                eprintln!("chain_cost: cannot read {path}: {e}");
                std::process::exit(2)
            });
            text.split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .take(limit)
                .map(<[u8]>::to_vec)
                .collect()
        }
        None => (0..limit as u64)
            .map(|seq| gen_audit::json_line(7, seq).into_bytes())
            .collect(),
    }
}

fn parse_and_encode(parser: &Parser, lines: &[Vec<u8>]) -> Vec<EncodedEvent> {
    let now = Utc::now();
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let ctx = EntryContext {
                origin_kind: OriginKind::File,
                path: Some("/var/log/app/audit.log"),
                offset: Some(i as u64 * 512),
                position_key: "0123456789abcdef",
                host: "bench-host",
                ingest_time: now,
            };
            EncodedEvent::encode(&parser.parse(line, &ctx))
        })
        .collect()
}

fn write_plain(events: &[EncodedEvent]) -> Vec<Vec<u8>> {
    events
        .iter()
        .zip(1u64..)
        .map(|(event, seq)| {
            let mut line = Vec::with_capacity(event.len() + 96);
            event.write_with_seq(seq, &mut line);
            line
        })
        .collect()
}

fn write_chained(events: &[EncodedEvent]) -> Vec<Vec<u8>> {
    let mut link: Link = GENESIS;
    events
        .iter()
        .zip(1u64..)
        .map(|(event, seq)| {
            let mut line = Vec::with_capacity(event.len() + 96);
            link = event.write_chained(seq, &link, &mut line);
            line
        })
        .collect()
}

const CHECKPOINTS_TIMED: u32 = 200;

fn sign_checkpoints() -> Vec<EncodedEvent> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).expect("a key");
    let signer = CheckpointSigner::from_pkcs8(pkcs8.as_ref()).expect("the key loads");
    (0..u64::from(CHECKPOINTS_TIMED))
        .map(|i| {
            let checkpoint = Checkpoint {
                host: "bench-host".into(),
                seq_from: i * CHECKPOINT_EVENTS + 1,
                seq_to: (i + 1) * CHECKPOINT_EVENTS,
                link: [i as u8; 32],
            };
            EncodedEvent::encode(&signer.event(&checkpoint, Utc::now()))
        })
        .collect()
}

fn gzip_batches(lines: &[Vec<u8>]) -> usize {
    lines
        .chunks(GZIP_BATCH)
        .map(|batch| {
            let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
            for line in batch {
                gz.write_all(line).expect("writing to a Vec");
                gz.write_all(b"\n").expect("writing to a Vec");
            }
            gz.finish().expect("writing to a Vec").len()
        })
        .sum()
}

/// Runs `work` `RUNS` times; the median time and the last result.
fn median_of<T>(mut work: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let result = black_box(work());
        times.push(start.elapsed());
        last = Some(result);
    }
    times.sort();
    (times[RUNS / 2], last.expect("RUNS > 0"))
}
