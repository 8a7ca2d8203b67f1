//! Parser throughput on one thread: entry bytes → normalized `AuditEvent`,
//! per format, without output serialization (that is the pipeline's cost,
//! measured by `bench/run`).
//!
//!   cargo bench --bench parsers                        # every format, generated
//!   cargo bench --bench parsers -- k8s auditd          # some formats
//!   cargo bench --bench parsers -- auditd=audit.log    # a file (e.g. from gen-audit)
//!   cargo bench --bench parsers -- --fixtures          # tests/fixtures samples, repeated
//!   cargo bench --bench parsers -- --events 50000 --runs 9
//!
//! Input is made in memory by the project's generator
//! (`tests/support/gen_audit.rs`, the same as `gen-audit`), or read from
//! the file named after `FORMAT=`; nothing outside the repository is read
//! unless named. Each format runs once to warm up, then `--runs` times
//! (default 5); the median run is printed as events/s, MB/s of input and
//! ns per event. A run is timed by the thread's CPU time
//! (`/proc/thread-self/schedstat`), which other jobs on a busy machine do
//! not inflate as they do wall-clock time (used when that file is missing). An event is one *output* event: a grouped auditd event
//! (its records joined by the `AuditdGrouper`, which `auditd` times with
//! the parser; `auditd-parse` times the parser alone on pre-joined
//! entries), one CloudTrail record.
//!
//! The events are dropped inside the timed loop, as the pipeline drops
//! them after serializing: freeing is part of a parser's cost.

#[path = "../tests/support/gen_audit.rs"]
mod gen_audit;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use auditship::config::FormatConfig;
use auditship::event::{AuditEvent, OriginKind};
use auditship::formats::{AuditdGrouper, EntryContext, GroupedEntry, Parser};
use chrono::{TimeZone, Utc};

const USAGE: &str = "usage: cargo bench --bench parsers -- [--events N] [--runs N] [--seed N] \
[--fixtures] [FORMAT[=FILE]]...
FORMAT: json auditd auditd-parse syslog5424 syslog3164 cef k8s cloudtrail logfmt";

/// Every format the bench knows, in the order it prints them.
const FORMATS: [&str; 9] = [
    "json",
    "auditd",
    "auditd-parse",
    "syslog5424",
    "syslog3164",
    "cef",
    "k8s",
    "cloudtrail",
    "logfmt",
];

/// How the bench was asked to run.
struct Options {
    events: u64,
    runs: usize,
    seed: u64,
    fixtures: bool,
    /// (format, file to read instead of generating).
    formats: Vec<(String, Option<PathBuf>)>,
}

/// One format's input, ready to time: the entries as the reader would
/// hand them over (lines, or auditd records still to be grouped).
struct Input {
    format: String,
    parser: Parser,
    /// Entry (or auditd record line) boundaries in `bytes`.
    spans: Vec<(usize, usize)>,
    bytes: Vec<u8>,
    /// Feed the spans through an `AuditdGrouper` first.
    group: bool,
    source: String,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    println!(
        "{:<13} {:>12} {:>9} {:>9} {:>9}  input",
        "format", "events/s", "MB/s", "ns/event", "events"
    );
    let mut status = ExitCode::SUCCESS;
    for (format, file) in &options.formats {
        match build_input(format, file.as_deref(), &options) {
            Ok(input) => report(&input, options.runs),
            Err(message) => {
                eprintln!("{format}: {message}");
                status = ExitCode::FAILURE;
            }
        }
    }
    status
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        events: 100_000,
        runs: 5,
        seed: 11,
        fixtures: false,
        formats: Vec::new(),
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            // `cargo bench` passes `--bench` to every bench binary.
            "--bench" => {}
            "--events" => options.events = number("--events")?.max(1),
            "--runs" => options.runs = number("--runs")?.max(1) as usize,
            "--seed" => options.seed = number("--seed")?,
            "--fixtures" => options.fixtures = true,
            "-h" | "--help" => return Err(String::new()),
            other => {
                let (format, file) = match other.split_once('=') {
                    Some((format, file)) => (format, Some(PathBuf::from(file))),
                    None => (other, None),
                };
                if !FORMATS.contains(&format) {
                    return Err(format!("unknown format `{format}`"));
                }
                options.formats.push((format.to_string(), file));
            }
        }
    }
    if options.formats.is_empty() {
        // The samples: one folder each (syslog holds both forms), none
        // for logfmt.
        let with_samples = ["json", "auditd", "syslog5424", "cef", "k8s", "cloudtrail"];
        options.formats = FORMATS
            .iter()
            .filter(|f| !options.fixtures || with_samples.contains(f))
            .map(|f| (f.to_string(), None))
            .collect();
    }
    Ok(options)
}

fn format_config(format: &str) -> FormatConfig {
    match format {
        "json" => FormatConfig::Json { map: Vec::new() },
        "auditd" | "auditd-parse" => FormatConfig::Auditd,
        "syslog5424" | "syslog3164" => FormatConfig::Syslog,
        "cef" => FormatConfig::Cef,
        "k8s" => FormatConfig::k8s(),
        "cloudtrail" => FormatConfig::CloudTrail,
        "logfmt" => FormatConfig::Logfmt,
        other => unreachable!("format {other} is checked in parse_args"),
    }
}

fn build_input(format: &str, file: Option<&Path>, options: &Options) -> Result<Input, String> {
    let parser = Parser::from_config(&format_config(format), false).map_err(|e| e.to_string())?;
    let group = format == "auditd";
    let mut input = Input {
        format: format.to_string(),
        parser,
        spans: Vec::new(),
        bytes: Vec::new(),
        group,
        source: String::new(),
    };
    if let Some(file) = file {
        let text =
            std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        push_file(&mut input, &text, format == "auditd-parse");
        input.source = file.display().to_string();
    } else if options.fixtures {
        let dir = fixture_dir(format);
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .collect();
        paths.sort();
        let mut texts = Vec::new();
        for path in &paths {
            texts.push(std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?);
        }
        // Repeat the samples until there are about `events` entries.
        while (input.spans.len() as u64) < options.events {
            let before = input.spans.len();
            for text in &texts {
                if format == "cloudtrail" {
                    // A pretty-printed `Records` file: one entry, as the
                    // fixture test reads it.
                    push_span(&mut input, text);
                } else {
                    push_file(&mut input, text, false);
                }
            }
            if input.spans.len() == before {
                return Err(format!("no entries in {}", dir.display()));
            }
        }
        input.source = format!("{} (repeated)", dir.display());
    } else {
        generate(&mut input, options.seed, options.events);
        input.source = format!("generated, seed {}", options.seed);
    }
    Ok(input)
}

fn fixture_dir(format: &str) -> PathBuf {
    let dir = match format {
        "syslog5424" | "syslog3164" => "syslog",
        "auditd-parse" => "auditd",
        other => other,
    };
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
}

fn generate(input: &mut Input, seed: u64, events: u64) {
    let render: fn(u64, u64) -> String = match input.format.as_str() {
        "json" => gen_audit::json_line,
        "auditd" | "auditd-parse" => gen_audit::auditd_lines,
        "syslog5424" => gen_audit::syslog5424_line,
        "syslog3164" => gen_audit::syslog3164_line,
        "cef" => gen_audit::cef_line,
        "k8s" => gen_audit::k8s_line,
        "cloudtrail" => gen_audit::cloudtrail_line,
        "logfmt" => gen_audit::logfmt_line,
        other => unreachable!("format {other} is checked in parse_args"),
    };
    for seq in 0..events {
        let text = render(seed, seq);
        if input.group {
            // The grouper gets the records one line at a time.
            for line in text.split('\n') {
                push_span(input, line.as_bytes());
            }
        } else {
            // `auditd-parse`: the joined event is one entry.
            push_span(input, text.as_bytes());
        }
    }
}

fn push_span(input: &mut Input, bytes: &[u8]) {
    let start = input.bytes.len();
    input.bytes.extend_from_slice(bytes);
    input.spans.push((start, input.bytes.len()));
}

/// Splits a file into lines as the agent's reader does (no `\r`, blank
/// lines skipped); `pre_group` joins auditd records before timing.
fn push_file(input: &mut Input, text: &[u8], pre_group: bool) {
    let mut grouper = pre_group.then(AuditdGrouper::new);
    let mut grouped = Vec::new();
    let mut offset = 0u64;
    for line in text.split(|b| *b == b'\n') {
        let line_offset = offset;
        offset += line.len() as u64 + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match &mut grouper {
            Some(grouper) => grouper.push(line_offset, line, None, &mut grouped),
            None => push_span(input, line),
        }
    }
    if let Some(grouper) = &mut grouper {
        grouped.extend(grouper.take_open());
    }
    for entry in grouped {
        push_span(input, &entry.bytes);
    }
}

/// Parses every entry once; returns (events, quarantine events among
/// them). Every event is looked at, so the optimizer cannot drop the work.
#[inline(never)] // a symbol to profile: `callgrind --toggle-collect=*run_once*`
fn run_once(input: &Input) -> (u64, u64) {
    let ingest_time = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
    let ctx = |offset: u64| EntryContext {
        origin_kind: OriginKind::File,
        path: Some("/var/log/bench/audit.log"),
        offset: Some(offset),
        position_key: "0000000000000801",
        host: "bench-host",
        ingest_time,
    };
    let mut events: Vec<AuditEvent> = Vec::with_capacity(8);
    let mut count = 0u64;
    let mut quarantined = 0u64;
    let mut consume = |events: &mut Vec<AuditEvent>| {
        count += events.len() as u64;
        for event in events.drain(..) {
            quarantined += u64::from(black_box(&event).parse_error.is_some());
        }
    };
    if input.group {
        let mut grouper = AuditdGrouper::new();
        let mut entries: Vec<GroupedEntry> = Vec::with_capacity(4);
        let mut parse_entries = |entries: &mut Vec<GroupedEntry>| {
            for entry in entries.drain(..) {
                input
                    .parser
                    .parse_into(&entry.bytes, &ctx(entry.offset), &mut events);
                consume(&mut events);
            }
        };
        for &(start, end) in &input.spans {
            grouper.push(start as u64, &input.bytes[start..end], None, &mut entries);
            parse_entries(&mut entries);
        }
        entries.extend(grouper.take_open());
        parse_entries(&mut entries);
    } else {
        for &(start, end) in &input.spans {
            input
                .parser
                .parse_into(&input.bytes[start..end], &ctx(start as u64), &mut events);
            consume(&mut events);
        }
    }
    (count, quarantined)
}

/// CPU time this thread has run, from the kernel's scheduler accounting
/// (nanoseconds): on a shared machine it counts only this bench's own
/// time, where wall-clock time also counts other jobs'. `None` when the
/// kernel does not offer it (no `CONFIG_SCHEDSTATS`).
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

fn report(input: &Input, runs: usize) {
    let (events, quarantined) = run_once(input); // warm-up
    if quarantined > 0 {
        // Not what the figure should measure: say so.
        eprintln!(
            "{}: {quarantined} of {events} events are quarantine events (parse_error set)",
            input.format
        );
    }
    let mut walls = Vec::with_capacity(runs);
    let mut cpus = Vec::with_capacity(runs);
    for _ in 0..runs {
        let (cpu0, start) = (thread_cpu(), Instant::now());
        black_box(run_once(input));
        walls.push(start.elapsed());
        if let (Some(before), Some(after)) = (cpu0, thread_cpu()) {
            cpus.push(after.saturating_sub(before));
        }
    }
    // CPU time when the kernel reports it: steadier under load.
    let mut times = if cpus.len() == runs { cpus } else { walls };
    times.sort();
    let median = times[times.len() / 2].as_secs_f64();
    println!(
        "{:<13} {:>12.0} {:>9.1} {:>9.0} {:>9}  {}",
        input.format,
        events as f64 / median,
        input.bytes.len() as f64 / median / 1e6,
        median * 1e9 / events as f64,
        events,
        input.source
    );
}
