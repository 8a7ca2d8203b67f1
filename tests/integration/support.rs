//! Test harness: runs the real `auditship` binary against temp directories
//! and reads back what it wrote.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) use crate::gen_audit;

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_auditship")
}

/// A scratch area for one test: input logs, data dir, output dir, config.
pub struct Workspace {
    pub root: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(root.path().join("logs")).unwrap();
        Workspace { root }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    pub fn logs(&self) -> PathBuf {
        self.path("logs")
    }

    pub fn out_dir(&self) -> PathBuf {
        self.path("out")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path("data")
    }

    /// Writes a config tailing `logs/<include>` in json into a file sink
    /// under `out/`, with `extra` TOML appended; returns its path.
    pub fn config(&self, include: &str, extra: &str) -> PathBuf {
        let sink = format!(
            "[sinks.out]\ntype = \"file\"\npath = \"{}/events.ndjson\"\n{extra}",
            self.out_dir().display()
        );
        self.config_with_sinks(include, &sink)
    }

    /// Writes a config tailing `logs/<include>` in json (fast polling, 5 ms
    /// group commits) with `sinks` — the test's own `[sinks.ID]` tables —
    /// after it; returns its path.
    pub fn config_with_sinks(&self, include: &str, sinks: &str) -> PathBuf {
        let text = format!(
            r#"data_dir = "{data}"
host = "test-host"

[journal]
batch_interval = "5ms"

[sources.app]
type = "file"
include = ["{logs}/{include}"]
format = "json"
poll_interval = "50ms"
glob_interval = "200ms"

{sinks}"#,
            data = self.data_dir().display(),
            logs = self.logs().display(),
        );
        self.write_config(&text)
    }

    pub fn write_config(&self, text: &str) -> PathBuf {
        let path = self.path("auditship.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Complete lines in the plain output files, signed checkpoints left
    /// out: cheap progress polling (no JSON parsing).
    pub fn output_line_count(&self) -> usize {
        let Ok(entries) = std::fs::read_dir(self.out_dir()) else {
            return 0;
        };
        entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "ndjson"))
            .filter_map(|e| std::fs::read(e.path()).ok())
            .map(|bytes| {
                // Complete lines that do not start like a checkpoint event.
                let mut count = 0;
                let mut start = 0;
                for (i, _) in bytes.iter().enumerate().filter(|(_, &b)| b == b'\n') {
                    count += usize::from(!bytes[start..i].starts_with(CHECKPOINT_START));
                    start = i + 1;
                }
                count
            })
            .sum()
    }

    /// Every event the file sink wrote (plain and gzip files, all parts),
    /// except the agent's own signed checkpoints.
    pub fn output_events(&self) -> Vec<Value> {
        read_ndjson_dir(&self.out_dir())
    }

    /// Every event the file sink wrote, signed checkpoints included.
    pub fn output_events_with_checkpoints(&self) -> Vec<Value> {
        read_ndjson_files(&self.out_dir(), true)
    }
}

/// How a checkpoint event's line starts (keys in canonical order).
/// Tests count the events of their input, so the harness leaves the
/// agent's signed checkpoints out (`tamper_evidence.rs` checks those).
const CHECKPOINT_START: &[u8] = br#"{"action":"agent.checkpoint","#;

/// True for the agent's own `agent.checkpoint` events.
pub fn is_checkpoint(event: &Value) -> bool {
    event["action"] == "agent.checkpoint"
}

/// Every event in the NDJSON files of `dir`, checkpoints left out.
pub fn read_ndjson_dir(dir: &Path) -> Vec<Value> {
    read_ndjson_files(dir, false)
}

fn read_ndjson_files(dir: &Path, with_checkpoints: bool) -> Vec<Value> {
    let mut events = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return events;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let mut text = String::new();
        if path.extension().is_some_and(|e| e == "gz") {
            flate2::read::MultiGzDecoder::new(std::fs::File::open(&path).unwrap())
                .read_to_string(&mut text)
                .unwrap();
        } else {
            text = std::fs::read_to_string(&path).unwrap();
        }
        // A line still being written has no newline yet: not an event yet.
        if !text.ends_with('\n') {
            let complete = text.rfind('\n').map_or(0, |i| i + 1);
            text.truncate(complete);
        }
        for line in text.lines() {
            let event: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("output line is not JSON ({e}): {line}"));
            if with_checkpoints || !is_checkpoint(&event) {
                events.push(event);
            }
        }
    }
    events
}

/// A running agent process.
pub struct Agent {
    pub child: Child,
    stderr_path: PathBuf,
}

impl Agent {
    pub fn start(ws: &Workspace, config: &Path) -> Agent {
        Agent::start_with(ws, config, &[])
    }

    /// Like [`Agent::start`], with more `run` arguments.
    pub fn start_with(ws: &Workspace, config: &Path, run_args: &[&str]) -> Agent {
        Agent::start_logging(ws, config, run_args, "auditship=info")
    }

    /// Like [`Agent::start_with`], logging with the `RUST_LOG` filter `log_filter`.
    pub fn start_logging(
        ws: &Workspace,
        config: &Path,
        run_args: &[&str],
        log_filter: &str,
    ) -> Agent {
        let stderr_path = ws.path(&format!(
            "agent-{}.log",
            Instant::now().elapsed().as_nanos() + rand_suffix()
        ));
        let stderr = std::fs::File::create(&stderr_path).unwrap();
        // Text logs: tests read fields as `key=value` (`agent_logs.rs`
        // covers the JSON format).
        let child = Command::new(bin())
            .args(["--log-format", "text", "run"])
            .args(run_args)
            .arg("-c")
            .arg(config)
            .env("RUST_LOG", log_filter)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start auditship");
        Agent { child, stderr_path }
    }

    /// SIGTERM, then wait for the exit; returns the exit status code.
    pub fn stop(mut self) -> i32 {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = wait_exit(&mut self.child, Duration::from_secs(20))
            .unwrap_or_else(|| panic!("agent did not stop after SIGTERM; log:\n{}", self.log()));
        status
    }

    /// SIGKILL: no chance to save anything.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rand_suffix() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed) as u128
}

fn wait_exit(child: &mut Child, timeout: Duration) -> Option<i32> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status.code().unwrap_or(-1));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Polls `cond` until it holds or `timeout` passes; returns whether it held.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Counts output events by the generator's `seq` (kept in `details.seq`).
pub fn count_by_seq(events: &[Value]) -> HashMap<u64, usize> {
    let mut counts = HashMap::new();
    for e in events {
        if let Some(seq) = e["details"]["seq"].as_u64() {
            *counts.entry(seq).or_insert(0) += 1;
        }
    }
    counts
}

/// Writes generator lines `range` to `path` (appending).
pub fn append_lines(path: &Path, seed: u64, range: std::ops::Range<u64>) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    gen_audit::write_json_lines(&mut f, seed, range).unwrap();
}

/// Runs the binary to completion with `args`; returns (code, stdout, stderr).
pub fn run_cli(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.map(|d| d.to_vec()).unwrap_or_default();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
