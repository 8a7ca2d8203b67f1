//! The command line: `validate` reports every configuration error class with
//! file:line:column, `parse` shows normalization, `status` reads state.

use std::time::Duration;

use crate::support::*;

fn validate(text: &str) -> (i32, String, String) {
    let ws = Workspace::new();
    let path = ws.write_config(text);
    run_cli(&["validate", "-c", path.to_str().unwrap()], None)
}

const SOURCE: &str = "[sources.app]\ntype = \"file\"\ninclude = [\"/tmp/*.log\"]\n";
const SINK: &str = "[sinks.out]\ntype = \"file\"\npath = \"/tmp/out.ndjson\"\n";

#[test]
fn a_valid_file_lists_its_components() {
    let (code, out, err) = validate(&format!("{SOURCE}{SINK}"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("app") && out.contains("out"), "{out}");
}

#[test]
fn an_unknown_key_names_line_column_and_a_suggestion() {
    let (code, _, err) = validate(&format!(
        "[sources.app]\ntype = \"file\"\ninclde = [\"/tmp/*.log\"]\n{SINK}"
    ));
    assert_eq!(code, 2);
    assert!(err.contains("auditship.toml:3:"), "{err}");
    assert!(
        err.contains("inclde") && err.contains("did you mean \"include\""),
        "{err}"
    );
}

#[test]
fn a_wrong_type_is_reported_at_its_line() {
    let (code, _, err) = validate(&format!(
        "[sources.app]\ntype = \"file\"\ninclude = [\"/tmp/*.log\"]\nmax_line_bytes = true\n{SINK}"
    ));
    assert_eq!(code, 2);
    assert!(err.contains("auditship.toml:4:"), "{err}");
}

#[test]
fn a_missing_required_key_is_reported() {
    let (code, _, err) = validate(&format!("[sources.app]\ntype = \"file\"\n{SINK}"));
    assert_eq!(code, 2);
    assert!(
        err.contains("auditship.toml:1:") && err.contains("include"),
        "{err}"
    );
}

#[test]
fn a_sink_input_naming_no_source_is_reported_at_that_entry() {
    let (code, _, err) = validate(&format!(
        "{SOURCE}[sinks.out]\ntype = \"file\"\ninputs = [\"ap\"]\npath = \"/tmp/o.ndjson\"\n"
    ));
    assert_eq!(code, 2);
    assert!(err.contains("auditship.toml:6:"), "{err}");
    assert!(
        err.contains("\"ap\"") && err.contains("did you mean \"app\""),
        "{err}"
    );
}

#[test]
fn a_bad_size_unit_is_reported() {
    let (code, _, err) = validate(&format!(
        "[journal]\nmax_bytes = \"12 parsecs\"\n{SOURCE}{SINK}"
    ));
    assert_eq!(code, 2);
    assert!(
        err.contains("auditship.toml:2:") && err.contains("parsecs"),
        "{err}"
    );
}

#[test]
fn an_unset_environment_variable_is_reported_without_starting() {
    let (code, _, err) = validate(&format!(
        "{SOURCE}[sinks.out]\ntype = \"file\"\npath = \"${{AUDITSHIP_TEST_UNSET_VAR}}/o.ndjson\"\n"
    ));
    assert_eq!(code, 2);
    assert!(
        err.contains("AUDITSHIP_TEST_UNSET_VAR") && err.contains("auditship.toml:6:"),
        "{err}"
    );
}

#[test]
fn parse_prints_one_normalized_event_per_entry() {
    let input = format!(
        "{}\nnot json at all\n{}\n",
        gen_audit::json_line(9, 0),
        gen_audit::json_line(9, 1)
    );
    let (code, out, err) = run_cli(&["parse", "--format", "json"], Some(input.as_bytes()));
    assert_eq!(code, 0, "{err}");
    let events: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 3);
    assert!(events[0]["actor"]["id"].is_string());
    assert!(events[1]["parse_error"]["reason"].is_string());
    assert_eq!(events[1]["raw"], "not json at all");
}

#[test]
fn help_is_useful_for_every_command() {
    for cmd in ["run", "validate", "parse", "status", "tap"] {
        let (code, out, _) = run_cli(&[cmd, "--help"], None);
        assert_eq!(code, 0);
        assert!(out.contains("Usage: auditship"), "{cmd}: {out}");
        assert!(out.lines().count() > 4, "{cmd}: {out}");
    }
}

#[test]
fn status_reports_backlog_and_positions() {
    let ws = Workspace::new();
    append_lines(&ws.logs().join("audit.log"), 1, 0..500);
    let config = ws.config("*.log", "");
    let agent = Agent::start(&ws, &config);
    assert!(wait_until(Duration::from_secs(30), || ws
        .output_events()
        .len()
        >= 500));
    // Checkpoints are saved about once a second.
    let mut out = String::new();
    let shown = wait_until(Duration::from_secs(10), || {
        let (code, stdout, err) = run_cli(&["status", "-c", config.to_str().unwrap()], None);
        assert_eq!(code, 0, "{err}");
        out = stdout;
        out.contains("audit.log")
    });
    assert!(shown, "{out}");
    assert!(out.contains("next seq 501"), "{out}");
    let sink_line = out.lines().find(|l| l.starts_with("out ")).unwrap();
    assert_eq!(
        sink_line.split_whitespace().take(3).collect::<Vec<_>>(),
        ["out", "501", "0"],
        "{out}"
    );
    assert_eq!(agent.stop(), 0);
}

#[test]
fn the_readme_configuration_example_is_valid() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("```toml\n").expect("a toml example") + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let ws = Workspace::new();
    let path = ws.write_config(&readme[start..end]);
    let out = std::process::Command::new(bin())
        .args(["validate", "-c", path.to_str().unwrap()])
        .env("CENTRAL_TOKEN", "test-token")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("configuration is valid"), "{stdout}");
    assert!(
        !stdout.contains("test-token"),
        "secrets never printed: {stdout}"
    );
}
