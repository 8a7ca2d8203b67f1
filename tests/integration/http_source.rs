//! The `http` source: events POSTed as NDJSON, JSON arrays or gzip arrive
//! exactly once; a request is answered 200 only once stored, and refused
//! whole (401, 413, 400) without storing any of it.

use std::io::Write;
use std::time::Duration;

use crate::socket_support::*;
use crate::support::*;

const TOKEN: &str = "s3cret-token";

fn start(ws: &Workspace, extra: &str) -> (Agent, u16) {
    let port = free_port();
    let config = socket_config(
        ws,
        "",
        &format!("[sources.ingest]\ntype = \"http\"\naddress = \"127.0.0.1:{port}\"\ntoken = \"{TOKEN}\"\n{extra}"),
    );
    let agent = Agent::start(ws, &config);
    wait_healthy(port, &agent);
    (agent, port)
}

fn ndjson(range: std::ops::Range<u64>) -> Vec<u8> {
    range
        .map(|i| gen_audit::json_line(7, i) + "\n")
        .collect::<String>()
        .into_bytes()
}

fn json_array(range: std::ops::Range<u64>) -> Vec<u8> {
    let items: Vec<String> = range.map(|i| gen_audit::json_line(7, i)).collect();
    format!("[{}]", items.join(",\n")).into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn post(port: u16, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    request(port, "POST", "/v1/events", headers, body)
}

#[test]
fn http_ingest_of_5000_events_as_ndjson_json_array_and_gzip_arrives_exactly_once() {
    let ws = Workspace::new();
    let (agent, port) = start(&ws, "");
    let auth = format!("Bearer {TOKEN}");
    let auth = ("Authorization", auth.as_str());
    for chunk in 0..4u64 {
        let reply = post(
            port,
            &[auth, ("Content-Type", "application/x-ndjson")],
            &ndjson(chunk * 500..chunk * 500 + 500),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.body, r#"{"accepted":500}"#);
    }
    for chunk in 0..3u64 {
        let from = 2000 + chunk * 500;
        let reply = post(
            port,
            &[auth, ("Content-Type", "application/json")],
            &json_array(from..from + 500),
        );
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    for chunk in 0..3u64 {
        let from = 3500 + chunk * 500;
        let body = gzip(&ndjson(from..from + 500));
        let reply = post(port, &[auth, ("Content-Encoding", "gzip")], &body);
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let events = wait_events(&ws, 5000, &agent);
    assert_eq!(agent.stop(), 0);
    let counts = count_by_seq(&events);
    assert_eq!(events.len(), 5000);
    assert_eq!(counts.len(), 5000);
    assert!(counts.values().all(|&n| n == 1));
    let first = &events[0];
    assert_eq!(first["origin"]["kind"], "http");
    assert!(first["origin"]["peer"]["addr"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
}

#[test]
fn http_refuses_bad_tokens_oversize_bodies_and_bad_lines_and_stores_none_of_them() {
    let ws = Workspace::new();
    let (agent, port) = start(&ws, "max_body_bytes = \"64KiB\"\n");
    let auth = format!("Bearer {TOKEN}");
    let auth = ("Authorization", auth.as_str());

    let reply = post(port, &[], &ndjson(0..3));
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        post(port, &[("Authorization", "Bearer wrong")], &ndjson(0..3)).status,
        401
    );

    let big = ndjson(0..400);
    assert!(big.len() > 64 * 1024);
    assert_eq!(post(port, &[auth], &big).status, 413);
    // Small on the wire, too big once decoded.
    let bomb = gzip(&vec![b' '; 1 << 20]);
    assert!(bomb.len() < 64 * 1024);
    assert_eq!(
        post(port, &[auth, ("Content-Encoding", "gzip")], &bomb).status,
        413
    );

    let mut bad = ndjson(10..12);
    bad.extend_from_slice(b"{\"action\": broken\n");
    bad.extend_from_slice(&ndjson(12..13));
    let reply = post(port, &[auth], &bad);
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("line 3"), "{}", reply.body);
    let reply = post(
        port,
        &[auth, ("Content-Type", "application/json")],
        b"[{\"a\":1},\n{\"b\":}]",
    );
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("line 2"), "{}", reply.body);
    // Invalid UTF-8 inside a JSON string: kept, flagged with the exact bytes.
    let reply = post(
        port,
        &[auth],
        b"{\"action\":\"user.login\",\"userId\":\"b\xffd\"}\n",
    );
    assert_eq!(reply.status, 200, "{}", reply.body);

    assert_eq!(request(port, "GET", "/v1/events", &[auth], b"").status, 405);
    assert_eq!(request(port, "GET", "/nope", &[], b"").status, 404);

    assert_eq!(post(port, &[auth], &ndjson(100..102)).status, 200);
    let events = wait_events(&ws, 3, &agent);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(agent.stop(), 0);
    let events = if ws.output_line_count() > events.len() {
        ws.output_events()
    } else {
        events
    };
    let seqs = count_by_seq(&events);
    assert_eq!(
        events.len(),
        3,
        "only the two accepted requests: {events:#?}"
    );
    assert!(seqs.contains_key(&100) && seqs.contains_key(&101));
    let flagged = events.iter().find(|e| e["action"] == "user.login").unwrap();
    assert!(
        flagged["parse_error"]["raw_base64"].is_string(),
        "{flagged:#}"
    );
}

#[test]
fn http_answers_503_with_retry_after_while_the_journal_is_full() {
    let ws = Workspace::new();
    let (port, dead) = (free_port(), free_port());
    let config = ws.write_config(&format!(
        r#"data_dir = "{data}"
host = "test-host"

[journal]
max_bytes = "64KiB"
batch_interval = "5ms"

[sources.ingest]
type = "http"
address = "127.0.0.1:{port}"

[sinks.down]
type = "http"
uri = "http://127.0.0.1:{dead}/"
"#,
        data = ws.data_dir().display(),
    ));
    let agent = Agent::start(&ws, &config);
    wait_healthy(port, &agent);
    // An empty journal always takes one append; the next one waits.
    assert_eq!(post(port, &[], &ndjson(0..150)).status, 200);
    let waiting = std::thread::spawn(move || post(port, &[], &ndjson(150..300)));
    let full = wait_until(Duration::from_secs(10), || {
        let reply = post(port, &[], &ndjson(300..301));
        reply.status == 503 && reply.header("retry-after").is_some()
    });
    assert!(
        full,
        "no 503 while the journal is full; log:\n{}",
        agent.log()
    );
    let reply = waiting.join().unwrap();
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(reply.header("retry-after").is_some());
    agent.kill9();
}

/// One `audit.k8s.io/v1` `Event` of the stage given.
fn k8s_event(stage: &str, audit_id: &str) -> String {
    format!(
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{audit_id}","stage":"{stage}","verb":"create","user":{{"username":"alice"}},"objectRef":{{"resource":"pods","namespace":"default"}},"sourceIPs":["10.0.0.7"],"responseStatus":{{"code":201}},"requestReceivedTimestamp":"2026-04-01T00:00:00.000000Z"}}"#
    )
}

#[test]
fn the_kubernetes_audit_webhook_posts_event_lists_of_which_the_final_stages_are_kept() {
    let ws = Workspace::new();
    let (agent, port) = start(&ws, "format = \"k8s\"\n");
    let auth = format!("Bearer {TOKEN}");
    let auth = ("Authorization", auth.as_str());
    // What the API server's webhook backend sends: an EventList with the
    // stages of several requests.
    let list = format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{{}},"items":[{},{},{}]}}"#,
        k8s_event("RequestReceived", "req-1"),
        k8s_event("ResponseComplete", "req-1"),
        k8s_event("ResponseComplete", "req-2"),
    );
    let reply = post(
        port,
        &[auth, ("Content-Type", "application/json")],
        list.as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    // A list of early stages only gives no event, and is still answered.
    let early = format!(
        r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{}]}}"#,
        k8s_event("RequestReceived", "req-3")
    );
    let reply = post(
        port,
        &[auth, ("Content-Type", "application/json")],
        early.as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    wait_events(&ws, 2, &agent);
    // Time for anything wrongly kept of the second list to arrive.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(agent.stop(), 0);
    let events: Vec<_> = ws
        .output_events()
        .into_iter()
        .filter(|e| e["origin"]["format"] == "k8s")
        .collect();
    let mut ids: Vec<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["req-1", "req-2"], "{events:?}");
    assert!(events.iter().all(|e| e["action"] == "pods.create"));
}
