//! Alerts end to end: the real binary tails a log, a rule fires, and the
//! notification reaches local emulators of the channels — with the
//! documented payload shapes, once per dedup key after the channel
//! recovers, and after a `kill -9` between firing and delivery.

use std::io::Write;
use std::time::Duration;

use crate::alert_emulator::{AlertEmulator, WEBHOOK_SECRET};
use crate::support::*;

fn log_event(ws: &Workspace, action: &str, actor: &str, outcome: &str) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(ws.logs().join("audit.log"))
        .unwrap();
    writeln!(
        f,
        r#"{{"time":"2026-01-01T00:00:00Z","action":"{action}","outcome":"{outcome}","actor":{{"id":"{actor}","name":"{actor}-name"}}}}"#
    )
    .unwrap();
}

/// Fast retries so recovery is seen within a test's patience.
const FAST_RETRY: &str = "retry = { initial = \"100ms\", max = \"300ms\" }\n";

fn channels(emulator: &AlertEmulator) -> String {
    format!(
        r#"
[channels.hook]
type = "webhook"
url = "{webhook}"
secret = "{WEBHOOK_SECRET}"
{FAST_RETRY}
[channels.chat]
type = "slack"
webhook_url = "{slack}"
{FAST_RETRY}
[channels.pager]
type = "pagerduty"
routing_key = "R0UTINGKEY0000000000000000000000"
endpoint = "{pagerduty}"
{FAST_RETRY}
[channels.teams]
type = "teams"
webhook_url = "{teams}"

[channels.discord]
type = "discord"
webhook_url = "{discord}"

[channels.genie]
type = "opsgenie"
api_key = "test-key"
endpoint = "{opsgenie}"
"#,
        webhook = emulator.url("/webhook"),
        slack = emulator.url("/slack"),
        pagerduty = emulator.url("/pagerduty"),
        teams = emulator.url("/teams"),
        discord = emulator.url("/discord"),
        opsgenie = emulator.url("/opsgenie"),
    )
}

const BREAK_GLASS: &str = r#"
[alerts.break_glass]
when = 'action == "break_glass.opened"'
channels = ["hook", "chat", "pager", "teams", "discord", "genie"]
severity = "critical"
title = "Break-glass session opened by {actor.name}"
runbook = "https://runbooks.example.com/break-glass"
"#;

#[test]
fn alerts_every_channel_gets_its_documented_payload_and_the_siem_sees_alert_fire() {
    let emulator = AlertEmulator::start();
    let ws = Workspace::new();
    let config = ws.config("*.log", &format!("{}{BREAK_GLASS}", channels(&emulator)));
    let agent = Agent::start(&ws, &config);
    log_event(&ws, "user.login", "u1", "success");
    log_event(&ws, "break_glass.opened", "u1", "success");
    assert!(
        wait_until(Duration::from_secs(20), || emulator.accepted().len() >= 6),
        "accepted {:?}, refused {:?}; log:\n{}",
        emulator.accepted(),
        emulator.refused(),
        agent.log()
    );
    assert!(emulator.refused().is_empty(), "{:?}", emulator.refused());

    let hook = &emulator.accepted_on("/webhook")[0].body;
    assert_eq!(hook["alert"], "break_glass");
    assert_eq!(hook["title"], "Break-glass session opened by u1-name");
    assert_eq!(hook["severity"], "critical");
    assert_eq!(hook["event"]["action"], "break_glass.opened");
    assert_eq!(hook["host"], "test-host");
    let slack = &emulator.accepted_on("/slack")[0].body;
    assert_eq!(
        slack["blocks"][0]["text"]["text"],
        "Break-glass session opened by u1-name"
    );
    let pager = &emulator.accepted_on("/pagerduty")[0].body;
    assert_eq!(pager["event_action"], "trigger");
    assert_eq!(pager["dedup_key"], "auditship/break_glass");
    assert_eq!(pager["payload"]["severity"], "critical");
    assert_eq!(
        pager["links"][0]["href"],
        "https://runbooks.example.com/break-glass"
    );
    assert_eq!(
        emulator.accepted_on("/opsgenie/v2/alerts")[0].body["alias"],
        "auditship/break_glass"
    );

    assert!(
        wait_until(Duration::from_secs(10), || ws
            .output_events()
            .iter()
            .any(|e| e["action"] == "alert.fire")),
        "log:\n{}",
        agent.log()
    );
    let fire = ws
        .output_events()
        .into_iter()
        .find(|e| e["action"] == "alert.fire")
        .unwrap();
    assert_eq!(fire["details"]["alert"]["alert"], "break_glass");
    assert_eq!(fire["origin"]["kind"], "agent");
    assert_eq!(agent.stop(), 0);
    assert_eq!(emulator.accepted().len(), 6, "one per channel, no repeats");

    // alert.fire events are chained like the others: the trail verifies.
    let (code, key, err) = run_cli(&["key", "show", "-c", config.to_str().unwrap()], None);
    assert_eq!(code, 0, "{err}");
    let trail = ws.out_dir().join("events.ndjson");
    let (code, out, err) = run_cli(
        &["verify", "--pubkey", key.trim(), trail.to_str().unwrap()],
        None,
    );
    assert_eq!(code, 0, "verify:\n{out}{err}");
}

#[test]
fn alerts_a_channel_failing_with_500_gets_each_alert_once_after_it_recovers() {
    let emulator = AlertEmulator::start();
    emulator.set_failing(true);
    let ws = Workspace::new();
    let rules = r#"
[alerts.login_failures]
when = 'action == "user.login" && outcome == "failure"'
threshold = { count = 3, window = "1m", group_by = ["actor.id"] }
cooldown = "15m"
channels = ["pager"]
"#;
    let config = ws.config("*.log", &format!("{}{rules}", channels(&emulator)));
    let agent = Agent::start(&ws, &config);
    for _ in 0..5 {
        log_event(&ws, "user.login", "alice", "failure");
    }
    for _ in 0..3 {
        log_event(&ws, "user.login", "bob", "failure");
    }
    // Failing for a while: retried, never accepted.
    assert!(
        wait_until(Duration::from_secs(20), || emulator.failed_requests() >= 10),
        "log:\n{}",
        agent.log()
    );
    std::thread::sleep(Duration::from_secs(3));
    assert!(emulator.accepted().is_empty());
    emulator.set_failing(false);
    assert!(
        wait_until(Duration::from_secs(20), || emulator.accepted().len() >= 2),
        "log:\n{}",
        agent.log()
    );
    std::thread::sleep(Duration::from_secs(2));
    let mut keys: Vec<String> = emulator
        .accepted()
        .iter()
        .map(|a| a.body["dedup_key"].as_str().unwrap().to_string())
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "auditship/login_failures/actor.id=alice",
            "auditship/login_failures/actor.id=bob"
        ],
        "exactly once per dedup key"
    );
    assert_eq!(agent.stop(), 0);
}

#[test]
fn alerts_fired_before_a_kill_9_are_delivered_after_restart() {
    let emulator = AlertEmulator::start();
    emulator.set_failing(true);
    let ws = Workspace::new();
    let rules = r#"
[alerts.apikeys]
when = 'action.startsWith("apikey.")'
channels = ["hook"]
"#;
    let config = ws.config("*.log", &format!("{}{rules}", channels(&emulator)));
    let agent = Agent::start(&ws, &config);
    log_event(&ws, "apikey.create", "svc", "success");
    // An attempt was made: the notification is in the outbox.
    assert!(
        wait_until(Duration::from_secs(20), || emulator.failed_requests() >= 1),
        "log:\n{}",
        agent.log()
    );
    agent.kill9();
    emulator.set_failing(false);
    let agent = Agent::start(&ws, &config);
    assert!(
        wait_until(Duration::from_secs(20), || !emulator.accepted().is_empty()),
        "log:\n{}",
        agent.log()
    );
    std::thread::sleep(Duration::from_secs(1));
    let accepted = emulator.accepted();
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    assert_eq!(accepted[0].body["event"]["action"], "apikey.create");
    assert_eq!(agent.stop(), 0);
}
