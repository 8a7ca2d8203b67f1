//! The `auditship` command line: a thin shell over the library.
//!
//! Only this file turns errors into exit codes: 0 success, 1 a runtime
//! failure, 2 a configuration or usage error.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser as ClapParser, Subcommand, ValueEnum};

use auditship::config::{self, Config, FormatConfig};
use auditship::event::OriginKind;
use auditship::formats::{self, EntryContext, Parser};
use auditship::pipeline::{self, ReloadCause, ReloadRequests, RunOptions};
use auditship::{shutdown, status};

mod allocator;
mod startup_pages;

/// auditship — ships audit trails: tails files, normalizes every entry to
/// one audit-event schema, keeps it durably on local disk and forwards it.
#[derive(Debug, ClapParser)]
#[command(name = "auditship", version, about, long_about = None)]
struct Cli {
    /// Log level of the agent's own logs on stderr (error, warn, info,
    /// debug, trace); RUST_LOG overrides it with a full filter.
    #[arg(long, global = true, default_value = "info")]
    log_level: String,
    /// Format of the agent's own logs on stderr: `text` for people, `json`
    /// (one object a line) for log collectors. Default: text when stderr is
    /// a terminal, json otherwise (systemd journal, Docker, Kubernetes).
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the agent until SIGTERM or Ctrl-C.
    ///
    /// Without -c it runs the built-in demo: it tails ./examples/*.log and
    /// writes normalized events to ./data/out/, state under ./data/.
    ///
    /// SIGHUP (`systemctl reload`) re-reads the configuration: sources and
    /// sinks added, removed or changed are started, stopped or restarted
    /// from their saved positions, the others run on untouched; an invalid
    /// file is rejected and the running configuration kept.
    Run {
        /// Configuration file (TOML). Default: the built-in demo.
        #[arg(short, long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Also reload when the configuration file's content changes
        /// (checked every second).
        #[arg(long, requires = "config", conflicts_with = "once")]
        watch_config: bool,
        /// Backfill: read the configured file sources to their end, deliver
        /// everything to every sink, then exit (0 when all was delivered,
        /// 1 when events were dead-lettered or the run was stopped first).
        /// Socket sources are not started. Shows a progress bar when stderr
        /// is a terminal.
        #[arg(long)]
        once: bool,
    },
    /// Check a configuration file and print what it would run.
    ///
    /// Exits with 2 and prints file:line:column: reason for every error.
    Validate {
        /// Configuration file (TOML).
        #[arg(short, long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Show how entries normalize: read entries from FILE (or stdin) and
    /// print one normalized event per line (JSON).
    Parse {
        /// Input format of the entries.
        #[arg(short, long, value_enum, default_value = "json")]
        format: ParseFormat,
        /// Map a schema field to a source key, like [sources.ID.map]:
        /// --map actor.id=userId (repeatable).
        #[arg(long, value_name = "FIELD=PATH")]
        map: Vec<String>,
        /// Keep each entry's original text in `raw`.
        #[arg(long)]
        keep_raw: bool,
        /// Lines longer than this many bytes become quarantine events.
        #[arg(long, default_value_t = 1024 * 1024)]
        max_line_bytes: usize,
        /// File to read; stdin when absent.
        file: Option<PathBuf>,
    },
    /// Show per-sink backlog and per-source file positions, read from the
    /// data directory (works whether or not the agent is running); with
    /// [admin], also the running agent's per-sink sent, retries, dead
    /// letters and last error.
    Status {
        /// Configuration file (TOML). Default: the built-in demo.
        #[arg(short, long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Stream live normalized events from a running agent (NDJSON on
    /// stdout), to see what a mapping produces. Reads the agent's
    /// `[admin] address` from the configuration; the agent only answers
    /// on loopback. Events the terminal cannot keep up with are dropped
    /// (a `{"tap":{"dropped":N}}` line says how many); the agent never waits.
    Tap {
        /// Configuration file of the running agent (TOML).
        #[arg(short, long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Show only matching events: comparisons joined by `&&`, each
        /// `FIELD == "v"`, `FIELD != "v"` or `FIELD ^= "prefix"` on a dotted
        /// path, e.g. 'action == "user.login" && actor.id ^= "svc-"'.
        #[arg(long, value_name = "EXPR")]
        filter: Option<String>,
    },
    /// Check exported trails (NDJSON as the file sink writes it, `.gz`
    /// too): hash chain, sequence continuity, signed checkpoints.
    ///
    /// Prints FILE:LINE: KIND: message per finding and a summary; exits 0
    /// only when every host's trail is complete, unmodified and signed to
    /// its end, 1 otherwise.
    Verify {
        /// The agent's public key as printed by `auditship key show`
        /// (base64), or a file holding it. Without it checkpoints are only
        /// checked against the key they carry.
        #[arg(long, value_name = "KEY")]
        pubkey: Option<String>,
        /// Trail files, in the order they were written.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// The checkpoint signing key.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Print the public key (base64) that `auditship verify --pubkey` takes.
    Show {
        /// Configuration file (TOML). Default: the built-in demo.
        #[arg(short, long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ParseFormat {
    Json,
    Auditd,
    Syslog,
    Cef,
    K8s,
    Cloudtrail,
    Logfmt,
    Raw,
    /// Each line read by the format it looks like.
    Auto,
}

fn main() -> ExitCode {
    allocator::tune();
    let cli = Cli::parse();
    init_logging(&cli.log_level, cli.log_format);
    let result = match cli.command {
        Command::Run {
            config,
            watch_config,
            once,
        } => run(config.as_deref(), watch_config, once),
        Command::Validate { config } => validate(&config),
        Command::Parse {
            format,
            map,
            keep_raw,
            max_line_bytes,
            file,
        } => parse(format, &map, keep_raw, max_line_bytes, file.as_deref()),
        Command::Status { config } => show_status(config.as_deref()),
        Command::Tap { config, filter } => tap(config.as_deref(), filter.as_deref()),
        Command::Verify { pubkey, files } => verify(pubkey.as_deref(), &files),
        Command::Key {
            command: KeyCommand::Show { config },
        } => key_show(config.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

fn init_logging(level: &str, format: Option<LogFormat>) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(format!("auditship={level},warn")))
        .unwrap_or_else(|_| EnvFilter::new("auditship=info,warn"));
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let format = format.unwrap_or(if terminal {
        LogFormat::Text
    } else {
        LogFormat::Json
    });
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match format {
        LogFormat::Text => logs.with_ansi(terminal).init(),
        // Fields at the top level next to `message`, the span's fields
        // (`source`, `sink`) under `span`: what log collectors index.
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// Loads `path`, or the demo configuration; a config error is printed and
/// becomes exit code 2.
fn load_config(path: Option<&Path>) -> Result<Config, ExitCode> {
    match path {
        None => Ok(config::demo()),
        Some(path) => config::load(path).map_err(|error| {
            eprintln!("{error}");
            ExitCode::from(2)
        }),
    }
}

fn run(path: Option<&Path>, watch_config: bool, once: bool) -> anyhow::Result<ExitCode> {
    let config = match load_config(path) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    if path.is_none() {
        tracing::info!(
            "No -c given: running the built-in demo (tails ./examples/*.log, writes ./data/out/)."
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("auditship")
        // Parsing and file I/O run on the blocking pool; a few threads keep
        // both cores busy, and fewer threads means fewer malloc arenas (RSS).
        .max_blocking_threads(8)
        .build()
        .context("cannot start the async runtime")?;
    let options = RunOptions {
        once,
        progress_bar: once && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        drain_timeout: config.shutdown_timeout,
        on_started: Some(startup_pages::release),
        ..RunOptions::default()
    };
    let report = runtime.block_on(async {
        let (trigger, shutdown) = shutdown::channel();
        let (reload_tx, reload_rx) = tokio::sync::mpsc::channel(4);
        tokio::spawn(forward_signals(trigger, reload_tx.clone()));
        if let (true, Some(path)) = (watch_config, path) {
            tokio::spawn(pipeline::watch_config_file(
                path.to_path_buf(),
                pipeline::WATCH_INTERVAL,
                reload_tx,
                shutdown.clone(),
            ));
        }
        let reloads = ReloadRequests {
            path: path.map(Path::to_path_buf),
            requests: reload_rx,
        };
        pipeline::run(config, options, shutdown, reloads)
            .await
            .context("the agent stopped with an error")
    })?;
    if once {
        let dead_lettered = report.stats.snapshot().dead_lettered;
        if !report.backfill_complete {
            eprintln!("error: --once was stopped before everything was delivered; the rest stays in the journal");
            return Ok(ExitCode::from(1));
        }
        if dead_lettered > 0 {
            eprintln!("error: {dead_lettered} events were refused for good and written to the dead-letter files under data_dir/dead/");
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM or SIGINT fire the shutdown; a second one exits at once (state
/// on disk is consistent at every instant, so this loses nothing). SIGHUP
/// asks for a reload.
async fn forward_signals(
    trigger: shutdown::ShutdownTrigger,
    reloads: tokio::sync::mpsc::Sender<ReloadCause>,
) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) else {
        tracing::error!("Cannot install signal handlers; stop the agent with SIGKILL.");
        return;
    };
    let mut round = 0;
    loop {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            // `systemctl reload` sends SIGHUP (ExecReload= in the unit).
            // Requests arriving during a reload are coalesced (try_send).
            _ = hup.recv() => {
                tracing::info!("SIGHUP: reloading the configuration.");
                let _ = reloads.try_send(ReloadCause::Signal);
                continue;
            }
        }
        if round == 0 {
            tracing::info!("Stop signal received; shutting down (send it again to exit at once).");
            trigger.fire();
        } else {
            tracing::warn!(
                "Second stop signal: exiting now; undelivered events stay in the journal."
            );
            std::process::exit(130);
        }
        round += 1;
    }
}

fn validate(path: &Path) -> anyhow::Result<ExitCode> {
    let config = match load_config(Some(path)) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    print!("{}", config.describe());
    println!("{}: configuration is valid", path.display());
    Ok(ExitCode::SUCCESS)
}

fn parse(
    format: ParseFormat,
    map: &[String],
    keep_raw: bool,
    max_line_bytes: usize,
    file: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    if !map.is_empty() && !matches!(format, ParseFormat::Json) {
        eprintln!("--map applies to --format json only");
        return Ok(ExitCode::from(2));
    }
    let format_config = match format {
        ParseFormat::Raw => FormatConfig::Raw,
        ParseFormat::Auditd => FormatConfig::Auditd,
        ParseFormat::Syslog => FormatConfig::Syslog,
        ParseFormat::Cef => FormatConfig::Cef,
        ParseFormat::K8s => FormatConfig::k8s(),
        ParseFormat::Cloudtrail => FormatConfig::CloudTrail,
        ParseFormat::Logfmt => FormatConfig::Logfmt,
        ParseFormat::Auto => FormatConfig::Auto,
        ParseFormat::Json => {
            let mut pairs = Vec::new();
            for item in map {
                let Some((field, path)) = item.split_once('=') else {
                    eprintln!("--map {item:?}: expected FIELD=PATH, e.g. --map actor.id=userId");
                    return Ok(ExitCode::from(2));
                };
                pairs.push((field.trim().to_string(), path.trim().to_string()));
            }
            FormatConfig::Json { map: pairs }
        }
    };
    let parser = match Parser::from_config(&format_config, keep_raw) {
        Ok(parser) => parser,
        Err(error) => {
            eprintln!("{error}");
            return Ok(ExitCode::from(2));
        }
    };
    let (input, name): (Box<dyn Read>, String) = match file {
        Some(path) => (
            Box::new(
                std::fs::File::open(path)
                    .with_context(|| format!("cannot open {}", path.display()))?,
            ),
            path.display().to_string(),
        ),
        None => (Box::new(std::io::stdin().lock()), "stdin".to_string()),
    };
    let host = config::machine_hostname();
    let mut reader = BufReader::with_capacity(64 * 1024, input);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut line = Vec::new();
    let mut offset = 0u64;
    let mut json = Vec::with_capacity(1024);
    let mut events = Vec::with_capacity(1);
    // auditd: the records of one event are joined before parsing.
    let mut grouper = parser.groups_lines().then(formats::AuditdGrouper::new);
    let mut entries = Vec::new();
    let mut at_end = false;
    while !at_end {
        line.clear();
        let n = (&mut reader)
            .take(max_line_bytes as u64 + 1)
            .read_until(b'\n', &mut line)
            .with_context(|| format!("cannot read {name}"))?;
        if n == 0 {
            at_end = true;
            entries.extend(grouper.as_mut().and_then(formats::AuditdGrouper::take_open));
        } else {
            let entry_offset = offset;
            let mut too_long = None;
            if line.last() != Some(&b'\n') && line.len() > max_line_bytes {
                // Skip the rest of the over-long line without keeping it.
                let mut skipped = line.len() as u64;
                skipped += skip_line(&mut reader).with_context(|| format!("cannot read {name}"))?;
                too_long = Some(skipped);
                line.truncate(1024);
            }
            offset += too_long.unwrap_or(n as u64);
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if too_long.is_none() && line.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let too_long = too_long.map(|len| len.saturating_sub(1));
            match &mut grouper {
                Some(grouper) => grouper.push(entry_offset, &line, too_long, &mut entries),
                None => entries.push(formats::GroupedEntry {
                    offset: entry_offset,
                    bytes: std::mem::take(&mut line),
                    too_long,
                }),
            }
        }
        for entry in entries.drain(..) {
            let ctx = EntryContext {
                origin_kind: OriginKind::Stdin,
                path: file.map(|_| name.as_str()),
                offset: Some(entry.offset),
                position_key: &name,
                host: &host,
                ingest_time: chrono::Utc::now(),
            };
            match entry.too_long {
                Some(len) => events.push(formats::line_too_long_event(
                    &entry.bytes,
                    len,
                    parser.name(),
                    &ctx,
                )),
                None => parser.parse_into(&entry.bytes, &ctx, &mut events),
            }
            for event in events.drain(..) {
                json.clear();
                event.to_json_line(&mut json);
                json.push(b'\n');
                if let Err(error) = out.write_all(&json) {
                    if error.kind() == std::io::ErrorKind::BrokenPipe {
                        return Ok(ExitCode::SUCCESS);
                    }
                    return Err(error).context("cannot write to stdout");
                }
            }
        }
    }
    out.flush().ok();
    Ok(ExitCode::SUCCESS)
}

/// Consumes bytes up to and including the next newline; returns how many.
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<u64> {
    let mut skipped = 0u64;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(skipped);
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(skipped + i as u64 + 1);
            }
            None => {
                let n = buf.len();
                reader.consume(n);
                skipped += n as u64;
            }
        }
    }
}

fn show_status(path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = match load_config(path) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    let report = status::collect(&config).context("cannot read the agent's state")?;
    print!("{report}");
    // The running agent adds what only it knows: why a sink is failing now.
    if let Some(admin) = &config.admin {
        println!();
        let live = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?
            .block_on(auditship::live_status::fetch(&admin.address));
        match live {
            Ok(live) => print!("{}", auditship::live_status::render(&live)),
            Err(reason) => println!("running   {reason}"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn tap(path: Option<&Path>, filter: Option<&str>) -> anyhow::Result<ExitCode> {
    if let Some(filter) = filter {
        if let Err(error) = auditship::event_filter::FieldFilter::parse(filter) {
            eprintln!("--filter: {error}");
            return Ok(ExitCode::from(2));
        }
    }
    let config = match load_config(path) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    let Some(admin) = config.admin else {
        eprintln!("the configuration has no [admin] address; tap needs the agent's admin endpoint (add [admin] address = \"127.0.0.1:8686\")");
        return Ok(ExitCode::from(2));
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    runtime.block_on(auditship::admin::tap_client::stream_events(
        &admin.address,
        filter,
        &mut out,
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn verify(pubkey: Option<&str>, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    use auditship::chain::{checkpoint, verify::Verifier, verify_report::Kind};
    let pubkey = match pubkey {
        None => None,
        Some(text) => {
            let text = match std::fs::read_to_string(text) {
                Ok(contents) => contents,
                Err(_) => text.to_string(),
            };
            match checkpoint::parse_public_key(&text) {
                Ok(key) => Some(key),
                Err(error) => {
                    eprintln!("--pubkey: {error}");
                    return Ok(ExitCode::from(2));
                }
            }
        }
    };
    let mut verifier = Verifier::new(pubkey);
    for path in files {
        let name = path.display().to_string();
        let file = verifier.add_file(&name);
        let input = std::fs::File::open(path).with_context(|| format!("cannot open {name}"))?;
        let input: Box<dyn Read> = if name.ends_with(".gz") {
            Box::new(flate2::read::MultiGzDecoder::new(input))
        } else {
            Box::new(input)
        };
        let mut reader = BufReader::with_capacity(256 * 1024, input);
        let mut line = Vec::new();
        let mut number = 0;
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {
                    number += 1;
                    let text = line.strip_suffix(b"\n").unwrap_or(&line);
                    verifier.add_line(file, number, text);
                }
                Err(error) => {
                    let message = format!("cannot read further ({error}): the file was cut");
                    verifier.file_problem(file, number + 1, Kind::Malformed, message);
                    break;
                }
            }
        }
    }
    let report = verifier.finish();
    println!("{report}");
    Ok(if report.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn key_show(path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = match load_config(path) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    let signer = pipeline::signing_key::load_existing(&config.integrity, &config.data_dir)?;
    println!("{}", signer.public_key_base64());
    eprintln!(
        "key id {} ({})",
        signer.key_id(),
        pipeline::signing_key::key_path(&config.integrity, &config.data_dir).display()
    );
    Ok(ExitCode::SUCCESS)
}
