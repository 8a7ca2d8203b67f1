//! Files and secrets: every file and directory the agent creates has the
//! mode its module promises (`data_dir` 0700 inside and out, files 0600;
//! the `file` sink's archive 0640 in 0750 directories), a `data_dir` others
//! may write to stops the start, and no secret of the configuration ever
//! reaches stdout, stderr, `/metrics` or `/status` — through a start, sinks
//! that fail, `validate`, a refused and an applied reload, and start-up
//! errors.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::gcp_emulator::{service_account_key, GcpEmulator};
use crate::http_receiver::{HttpReceiver, Mode};
use crate::support::*;

const SEED: u64 = 77;

/// Mode bits of everything under `root` (root included), by relative path.
fn modes_under(root: &Path) -> BTreeMap<PathBuf, (bool, u32)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let rel = path.strip_prefix(root).unwrap().to_path_buf();
        out.insert(rel, (meta.is_dir(), meta.permissions().mode() & 0o7777));
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
        }
    }
    out
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `GET path` on the admin endpoint: the body, or `None` while nothing answers.
fn admin_get(port: u16, path: &str) -> Option<String> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    answer.starts_with("HTTP/1.1 200").then_some(answer)
}

#[test]
fn every_file_and_directory_the_agent_creates_is_private() {
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::Status(400)); // Refused for good: dead letters.
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..200);
    let config = ws.write_config(&format!(
        r#"data_dir = "{data}"
host = "test-host"
[journal]
batch_interval = "5ms"
segment_bytes = "64KiB"
[integrity]
checkpoint_interval = "1s"
[sources.app]
type = "file"
include = ["{logs}/*.log"]
poll_interval = "50ms"
[sinks.archive]
type = "file"
path = "{out}/nested/events.ndjson"
[sinks.central]
type = "http"
uri = "{url}/v1/audit"
"#,
        data = ws.data_dir().display(),
        logs = ws.logs().display(),
        out = ws.out_dir().display(),
        url = receiver.url(),
    ));
    let agent = Agent::start(&ws, &config);
    let dead_dir = ws.data_dir().join("dead");
    assert!(
        wait_until(Duration::from_secs(60), || {
            read_ndjson_dir(&dead_dir).len() >= 200
                && read_ndjson_dir(&ws.out_dir().join("nested")).len() >= 200
        }),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);

    let data = modes_under(&ws.data_dir());
    for kind in ["journal", "checkpoints", "keys", "dead"] {
        assert!(
            data.keys()
                .any(|p| p.starts_with(kind) && p != Path::new(kind)),
            "expected files under {kind}: {data:?}"
        );
    }
    for (path, (is_dir, mode)) in &data {
        let want = if *is_dir { 0o700 } else { 0o600 };
        assert_eq!(*mode, want, "data_dir/{} is {mode:04o}", path.display());
    }
    let out = modes_under(&ws.out_dir());
    assert!(out.len() >= 3, "{out:?}");
    for (path, (is_dir, mode)) in &out {
        let want = if *is_dir { 0o750 } else { 0o640 };
        assert_eq!(*mode, want, "out/{} is {mode:04o}", path.display());
    }
}

#[test]
fn a_data_dir_others_can_write_to_stops_the_start_with_the_chmod_to_run() {
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..10);
    let config = ws.config("*.log", "");
    std::fs::create_dir_all(ws.data_dir()).unwrap();
    std::fs::set_permissions(ws.data_dir(), std::fs::Permissions::from_mode(0o770)).unwrap();
    let (code, _, stderr) = run_cli(&["run", "-c", config.to_str().unwrap()], None);
    assert_ne!(code, 0, "{stderr}");
    let chmod = format!("chmod 700 {}", ws.data_dir().display());
    assert!(stderr.contains(&chmod), "{stderr}");
    assert!(
        !ws.data_dir().join("journal").exists(),
        "nothing is created in a refused data_dir"
    );
    // After the chmod the operator was told to run, it starts.
    std::fs::set_permissions(ws.data_dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(30), || ws.output_line_count() >= 10),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
}

const SENTINEL: &str = "S3NT1NEL";

/// Every secret option, each set to its own sentinel (so a leak names the
/// option), against destinations that fail: the HTTP ones answer 401 or
/// are closed ports, so every sink logs errors.
fn secrets_config(ws: &Workspace, admin: u16, receiver: &str, gcp_key: &Path) -> String {
    let closed = free_port();
    format!(
        r#"data_dir = "{data}"
host = "test-host"
[journal]
batch_interval = "5ms"
[admin]
address = "127.0.0.1:{admin}"
[sources.app]
type = "file"
include = ["{logs}/*.log"]
poll_interval = "50ms"
[sources.ingest]
type = "http"
address = "127.0.0.1:{ingest}"
token = "{S}-http-source-token"
[sinks.central]
type = "http"
uri = "{receiver}/v1/audit"
request_timeout = "2s"
headers = {{ Authorization = "Bearer {S}-http-header" }}
[sinks.splunk]
type = "splunk_hec"
endpoint = "https://splunk.invalid:8088"
token = "{S}-hec-token"
request_timeout = "2s"
[sinks.datadog]
type = "datadog_logs"
endpoint = "{receiver}"
api_key = "{S}-dd-api-key"
request_timeout = "2s"
[sinks.es_basic]
type = "elasticsearch"
endpoint = "{receiver}"
user = "auditship"
password = "{S}-es-password"
request_timeout = "2s"
[sinks.es_key]
type = "elasticsearch"
endpoint = "http://127.0.0.1:{closed}"
api_key = "{S}-es-api-key"
request_timeout = "2s"
[sinks.pg_url]
type = "postgres"
url = "postgres://auditship:{S}-pg-url@127.0.0.1:{closed}/audit?sslmode=disable"
request_timeout = "2s"
[sinks.pg_password]
type = "postgres"
url = "postgres://auditship@127.0.0.1:{closed}/audit?sslmode=disable"
password = "{S}-pg-password"
request_timeout = "2s"
[sinks.gcp]
type = "gcp_logging"
project_id = "test-project"
log_id = "audit"
endpoint = "http://127.0.0.1:{closed}"
credentials = "{gcp_key}"
request_timeout = "2s"
"#,
        S = SENTINEL,
        data = ws.data_dir().display(),
        logs = ws.logs().display(),
        ingest = free_port(),
        gcp_key = gcp_key.display(),
    )
}

/// The middle line of the service-account key's PEM body: secret material
/// that must never be printed either.
fn private_key_line(key_file: &Path) -> String {
    let key: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(key_file).unwrap()).unwrap();
    let pem = key["private_key"].as_str().unwrap();
    let lines: Vec<&str> = pem.lines().collect();
    lines[lines.len() / 2].to_string()
}

fn assert_no_secret(what: &str, text: &str, key_line: &str) {
    if let Some(at) = text.find(SENTINEL) {
        let from = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let to = text[at..].find('\n').map_or(text.len(), |i| at + i);
        panic!("a secret leaked into {what}: {}", &text[from..to]);
    }
    assert!(
        !text.contains(key_line),
        "the GCP private key leaked into {what}"
    );
}

#[test]
fn no_secret_reaches_stdout_stderr_metrics_or_status() {
    let receiver = HttpReceiver::start();
    receiver.set_mode(Mode::Status(401)); // Rejected credentials: logged, retried.
    let gcp = GcpEmulator::start();
    let ws = Workspace::new();
    let gcp_key = service_account_key(ws.root.path(), &gcp);
    drop(gcp); // Its token endpoint is gone: the GCP sink fails too.
    let key_line = private_key_line(&gcp_key);
    append_lines(&ws.logs().join("audit.log"), SEED, 0..50);
    let admin = free_port();
    let text = secrets_config(&ws, admin, &receiver.url(), &gcp_key);
    let config = ws.write_config(&text);
    let config_arg = config.to_str().unwrap();

    // validate: the described configuration.
    let (code, stdout, stderr) = run_cli(&["validate", "-c", config_arg], None);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_no_secret("validate's stdout", &stdout, &key_line);
    assert_no_secret("validate's stderr", &stderr, &key_line);

    // validate: configurations refused, with the error on a secret's line.
    let broken = [
        text.replace("[sinks.central]", "[sinks.central]\nbogus = 1"),
        text.replace(
            "Bearer S3NT1NEL-http-header\"",
            "Bearer S3NT1NEL-http-header\\r\\nX: y\"",
        ),
        text.replace(
            "token = \"S3NT1NEL-hec-token\"",
            "token = [\"S3NT1NEL-hec-token\"]",
        ),
        text.replace("@127.0.0.1:", "@[127.0.0.1:"),
        text.replace(
            "api_key = \"S3NT1NEL-dd-api-key\"",
            "api_key = \"S3NT1NEL-dd-api-key\"\napi_key = \"x\"",
        ),
    ];
    for (i, broken) in broken.iter().enumerate() {
        let path = ws.path(&format!("broken-{i}.toml"));
        std::fs::write(&path, broken).unwrap();
        let (code, stdout, stderr) = run_cli(&["validate", "-c", path.to_str().unwrap()], None);
        assert_ne!(code, 0, "broken config {i} was accepted:\n{stdout}");
        assert_no_secret(&format!("validate's errors (case {i})"), &stdout, &key_line);
        assert_no_secret(&format!("validate's errors (case {i})"), &stderr, &key_line);
    }

    // run: every sink fails and says so, at debug level.
    let out_path = ws.path("agent.out");
    let err_path = ws.path("agent.err");
    let mut child = Command::new(bin())
        .args(["run", "--log-format", "text", "-c", config_arg])
        .env("RUST_LOG", "auditship=debug")
        .env(
            "HTTPS_PROXY",
            format!(
                "http://proxy-user:{SENTINEL}-proxy@127.0.0.1:{}",
                free_port()
            ),
        )
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let log = || std::fs::read_to_string(&err_path).unwrap_or_default();
    let mut metrics = String::new();
    let ok = wait_until(Duration::from_secs(60), || {
        metrics = admin_get(admin, "/metrics").unwrap_or_default();
        // Every failing sink has tried at least twice.
        let failing = metrics
            .lines()
            .filter(|l| l.starts_with("auditship_sink_retries_total{"))
            .filter(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()) >= Some(1.0))
            .count();
        failing >= 8
    });
    assert!(
        ok,
        "sinks did not all fail and retry; metrics:\n{metrics}\nlog:\n{}",
        log()
    );
    // Reload: a refused file with an error on a secret's line, then a
    // valid one that changes a secret (the splunk sink restarts).
    let reloads = |result: &str| {
        let wanted = format!("auditship_config_reloads_total{{result=\"{result}\"}} 1");
        wait_until(Duration::from_secs(30), || {
            admin_get(admin, "/metrics").is_some_and(|m| m.contains(&wanted))
        })
    };
    let hup = || {
        Command::new("kill")
            .args(["-HUP", &child.id().to_string()])
            .status()
            .unwrap()
    };
    std::fs::write(&config, &broken[1]).unwrap();
    hup();
    assert!(reloads("rejected"), "log:\n{}", log());
    std::fs::write(
        &config,
        text.replace("S3NT1NEL-hec-token\"", "S3NT1NEL-hec-token-rotated\""),
    )
    .unwrap();
    hup();
    assert!(reloads("applied"), "log:\n{}", log());
    metrics = admin_get(admin, "/metrics").unwrap_or_default();

    let status = admin_get(admin, "/status").expect("/status answers");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let exited = wait_until(Duration::from_secs(30), || {
        child.try_wait().unwrap().is_some()
    });
    if !exited {
        let _ = child.kill();
    }
    let _ = child.wait();
    let stderr = log();
    for sink in [
        "central",
        "splunk",
        "datadog",
        "es_basic",
        "es_key",
        "pg_url",
        "pg_password",
        "gcp",
    ] {
        assert!(
            stderr.contains(&format!("sink={sink} ")),
            "the log names the failing sink {sink}:\n{stderr}"
        );
    }
    assert_no_secret("the agent's stderr", &stderr, &key_line);
    assert_no_secret(
        "the agent's stdout",
        &std::fs::read_to_string(&out_path).unwrap(),
        &key_line,
    );
    assert_no_secret("/metrics", &metrics, &key_line);
    assert_no_secret("/status", &status, &key_line);

    // Start-up errors: an unreadable GCP key and a bad signing key, both
    // holding the sentinel, are refused without being echoed.
    std::fs::write(
        &gcp_key,
        format!("{{\"private_key\": \"{SENTINEL}-gcp-key-file\""),
    )
    .unwrap();
    let (code, stdout, stderr) = run_cli(&["run", "-c", config_arg], None);
    assert_ne!(code, 0);
    assert_no_secret(
        "a refused start (GCP key)",
        &format!("{stdout}{stderr}"),
        &key_line,
    );
    let signing_key = ws.path("signing.pk8");
    std::fs::write(&signing_key, format!("{SENTINEL}-signing-key")).unwrap();
    let with_key = format!(
        "{}\n[integrity]\nsigning_key = \"{}\"\n",
        text.replace(&format!("credentials = \"{}\"", gcp_key.display()), ""),
        signing_key.display()
    );
    let config = ws.write_config(&with_key);
    let (code, stdout, stderr) = run_cli(&["run", "-c", config.to_str().unwrap()], None);
    assert_ne!(code, 0, "{stderr}");
    assert!(stderr.contains("signing"), "{stderr}");
    assert_no_secret(
        "a refused start (signing key)",
        &format!("{stdout}{stderr}"),
        &key_line,
    );
}
