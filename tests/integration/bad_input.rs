//! Bad bytes never stop the agent: every entry becomes an event (a
//! quarantine event when it cannot be parsed) and reading carries on.

use std::io::Write;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;

use crate::support::*;

fn find(events: &[Value], pred: impl Fn(&Value) -> bool) -> &Value {
    events
        .iter()
        .find(|e| pred(e))
        .unwrap_or_else(|| panic!("no matching event in {events:#?}"))
}

#[test]
fn huge_lines_garbage_invalid_utf8_and_a_missing_final_newline_all_become_events() {
    let ws = Workspace::new();
    let path = ws.logs().join("audit.log");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "{}", gen_audit::json_line(1, 0)).unwrap();
    // 10 MiB line.
    let mut huge = Vec::with_capacity(10 * 1024 * 1024 + 1);
    huge.extend_from_slice(b"{\"action\":\"x\",\"pad\":\"");
    huge.resize(10 * 1024 * 1024, b'a');
    huge.extend_from_slice(b"\"}\n");
    f.write_all(&huge).unwrap();
    // Binary garbage.
    f.write_all(&[0x00, 0xff, 0xfe, 0x1b, b'[', 0x07, 0x80, b'\n'])
        .unwrap();
    // Valid JSON with invalid UTF-8 inside a string.
    f.write_all(b"{\"action\":\"user.login\",\"userId\":\"b\xffob\",\"status\":\"failure\"}\n")
        .unwrap();
    writeln!(f, "{}", gen_audit::json_line(1, 1)).unwrap();
    // Final line without a newline: shipped after the quiet period.
    write!(f, "{}", gen_audit::json_line(1, 2)).unwrap();
    drop(f);

    let agent = Agent::start(&ws, &ws.config("*.log", ""));
    assert!(
        wait_until(Duration::from_secs(60), || ws.output_events().len() >= 6),
        "{} events; log:\n{}",
        ws.output_events().len(),
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let events = ws.output_events();
    assert_eq!(events.len(), 6, "{events:#?}");

    let too_long = find(&events, |e| {
        e["parse_error"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("too long"))
    });
    assert!(too_long["raw"].as_str().unwrap().len() <= 1024);

    let garbage = find(&events, |e| {
        e["parse_error"].is_object()
            && e["origin"]["offset"].as_u64().unwrap() > 10_000_000
            && e["action"] != "user.login"
    });
    assert!(garbage["raw"].is_string());

    let utf8 = find(&events, |e| e["action"] == "user.login");
    assert_eq!(utf8["outcome"], "failure");
    let exact = base64::engine::general_purpose::STANDARD
        .decode(utf8["parse_error"]["raw_base64"].as_str().unwrap())
        .unwrap();
    assert!(exact.windows(4).any(|w| w == b"b\xffob"));

    let seqs = count_by_seq(&events);
    assert_eq!(
        seqs.len(),
        3,
        "the three good lines, the last one without newline"
    );
}

#[test]
fn an_empty_file_is_fine_and_later_content_is_read() {
    let ws = Workspace::new();
    let path = ws.logs().join("audit.log");
    std::fs::File::create(&path).unwrap();
    let agent = Agent::start(&ws, &ws.config("*.log", ""));
    std::thread::sleep(Duration::from_millis(500));
    assert!(ws.output_events().is_empty());
    append_lines(&path, 1, 0..10);
    assert!(
        wait_until(Duration::from_secs(30), || ws.output_events().len() >= 10),
        "log:\n{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    assert_eq!(ws.output_events().len(), 10);
}
