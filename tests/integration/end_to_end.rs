//! The core promise on the happy path: every line in, exactly one
//! normalized event out, fields mapped, `agent.seq` gap-free.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::Value;

use crate::support::*;

#[test]
fn hundred_thousand_generated_lines_arrive_once_each_fully_mapped() {
    const N: u64 = 100_000;
    const SEED: u64 = 7;
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), SEED, 0..N);
    let config = ws.config("*.log", "");
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(180), || ws.output_line_count() as u64
            >= N),
        "only {} of {N} events arrived; log:\n{}",
        ws.output_events().len(),
        agent.log()
    );
    assert_eq!(agent.stop(), 0);

    let events = ws.output_events();
    assert_eq!(events.len() as u64, N);
    let counts = count_by_seq(&events);
    assert_eq!(counts.len() as u64, N);
    assert!(counts.values().all(|&c| c == 1));

    let mut agent_seqs = HashSet::new();
    for event in &events {
        let gen_seq = event["details"]["seq"].as_u64().unwrap();
        let source: Value = serde_json::from_str(&gen_audit::json_line(SEED, gen_seq)).unwrap();
        assert_eq!(event["id"], source["id"]);
        assert_eq!(event["actor"]["id"], source["userId"]);
        assert_eq!(event["actor"]["type"], source["actorType"]);
        assert_eq!(event["action"], source["action"]);
        assert_eq!(event["outcome"], source["status"]);
        assert_eq!(event["tenant"]["id"], source["tenantId"]);
        assert_eq!(event["project"]["id"], source["projectId"]);
        assert_eq!(
            event["correlation"]["git_commit_sha"],
            source["gitCommitSha"]
        );
        assert_eq!(event["source"]["ip"], source["ip"]);
        let parse = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
        assert_eq!(parse(&event["time"]), parse(&source["createdAt"]));
        assert!(event["time"].as_str().unwrap().ends_with('Z'));
        assert_eq!(event["schema_version"], "1");
        assert_eq!(event["agent"]["host"], "test-host");
        assert_eq!(event["origin"]["kind"], "file");
        assert_eq!(event["origin"]["format"], "json");
        assert!(event["ingest_time"].is_string());
        assert!(event.get("parse_error").is_none());
        assert!(agent_seqs.insert(event["agent"]["seq"].as_u64().unwrap()));
    }
    // Signed checkpoints take seqs too (`output_events` leaves them out).
    let all = ws.output_events_with_checkpoints();
    let all_seqs: HashSet<u64> = all
        .iter()
        .filter_map(|e| e["agent"]["seq"].as_u64())
        .collect();
    let expected: HashSet<u64> = (1..=all.len() as u64).collect();
    assert_eq!(all_seqs, expected, "agent.seq must be gap-free from 1");
    assert!(agent_seqs.is_subset(&all_seqs));
}

#[test]
fn sinks_receive_only_their_inputs() {
    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path("other")).unwrap();
    append_lines(&ws.logs().join("a.log"), 1, 0..300);
    append_lines(&ws.path("other").join("b.log"), 2, 0..200);
    let config = ws.write_config(&format!(
        r#"data_dir = "{data}"
[sources.a]
type = "file"
include = ["{logs}/a.log"]
poll_interval = "50ms"
[sources.b]
type = "file"
include = ["{other}/b.log"]
poll_interval = "50ms"
[sinks.only_a]
type = "file"
inputs = ["a"]
path = "{out}/a/events.ndjson"
[sinks.both]
type = "file"
path = "{out}/both/events.ndjson"
"#,
        data = ws.data_dir().display(),
        logs = ws.logs().display(),
        other = ws.path("other").display(),
        out = ws.out_dir().display(),
    ));
    let agent = Agent::start(&ws, &config);
    let both = ws.out_dir().join("both");
    assert!(
        wait_until(Duration::from_secs(60), || read_ndjson_dir(&both).len()
            >= 500),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let only_a = read_ndjson_dir(&ws.out_dir().join("a"));
    assert_eq!(only_a.len(), 300);
    assert!(only_a
        .iter()
        .all(|e| e["origin"]["path"].as_str().unwrap().ends_with("a.log")));
    assert_eq!(read_ndjson_dir(&both).len(), 500);
}

#[test]
fn the_console_sink_prints_one_event_per_line_on_stdout() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), 4, 0..20);
    let config = ws.write_config(&format!(
        "data_dir = \"{}\"\n[sources.app]\ntype = \"file\"\ninclude = [\"{}/*.log\"]\npoll_interval = \"50ms\"\n[sinks.stdout]\ntype = \"console\"\n",
        ws.data_dir().display(),
        ws.logs().display()
    ));
    let mut child = Command::new(bin())
        .args(["run", "-c", config.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).unwrap();
        text
    });
    let done = wait_until(Duration::from_secs(30), || {
        std::fs::read_dir(ws.data_dir().join("journal").join("cursors"))
            .map(|d| d.count() > 0)
            .unwrap_or(false)
            && std::fs::read_to_string(ws.data_dir().join("journal/cursors/stdout"))
                .map(|s| s.trim() == "21")
                .unwrap_or(false)
    });
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let text = reader.join().unwrap();
    assert!(done, "cursor never reached 21; stdout:\n{text}");
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|e| !is_checkpoint(e))
        .collect();
    assert_eq!(events.len(), 20);
    assert_eq!(count_by_seq(&events).len(), 20);
}
