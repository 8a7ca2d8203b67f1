//! The agent's own logs: JSON lines for collectors (`--log-format json`,
//! and the default when stderr is not a terminal), text on request.

use crate::support::*;

/// Runs a short `run --once` with `log_args` before the subcommand;
/// returns its stderr.
fn once_logs(log_args: &[&str]) -> String {
    let ws = Workspace::new();
    append_lines(&ws.logs().join("a.log"), 3, 0..10);
    let config = ws.config("*.log", "");
    let mut args = log_args.to_vec();
    args.extend(["run", "--once", "-c", config.to_str().unwrap()]);
    let (code, _, stderr) = run_cli(&args, None);
    assert_eq!(code, 0, "{stderr}");
    stderr
}

fn parse_json_lines(stderr: &str) -> Vec<serde_json::Value> {
    stderr
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {line}"))
        })
        .collect()
}

#[test]
fn log_format_json_writes_one_json_object_per_line_with_level_and_fields() {
    let logs = parse_json_lines(&once_logs(&["--log-format", "json"]));
    assert!(logs.len() >= 3, "{logs:?}");
    assert!(logs
        .iter()
        .all(|l| l["level"].is_string() && l["message"].is_string()));
    let running = logs
        .iter()
        .find(|l| l["message"] == "auditship is running.")
        .expect("the start line");
    assert_eq!(running["sources"], 1, "fields are top-level: {running}");
    assert!(
        logs.iter().any(|l| l["span"]["source"] == "app"),
        "a source's lines carry its span: {logs:?}"
    );
}

#[test]
fn logs_default_to_json_when_stderr_is_not_a_terminal_and_text_on_request() {
    parse_json_lines(&once_logs(&[]));
    let text = once_logs(&["--log-format", "text"]);
    assert!(text.contains("auditship is running."), "{text}");
    assert!(
        text.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_err()),
        "{text}"
    );
}
