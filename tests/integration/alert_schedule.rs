//! `schedule` end to end: the same kind of alert goes to `channels` inside
//! business hours and to `off_hours_channels` outside them.

use std::io::Write;
use std::time::Duration;

use chrono::Timelike;

use crate::alert_emulator::{AlertEmulator, WEBHOOK_SECRET};
use crate::support::*;

#[test]
fn alerts_schedule_routes_inside_hours_to_channels_and_outside_to_off_hours_channels() {
    let emulator = AlertEmulator::start();
    let ws = Workspace::new();
    // A one-hour range six hours from now (UTC): certainly not now.
    let start = (chrono::Utc::now().hour() + 6) % 24;
    let later = format!("Mon-Sun {start:02}:00-{:02}:00", start + 1);
    let rules = format!(
        r#"
[channels.hook]
type = "webhook"
url = "{hook}"
secret = "{WEBHOOK_SECRET}"

[channels.chat]
type = "slack"
webhook_url = "{slack}"

[alerts.always_open]
when = 'action == "door.open"'
channels = ["hook"]
schedule = {{ timezone = "Europe/Berlin", hours = "Mon-Sun 00:00-24:00", off_hours_channels = ["chat"] }}

[alerts.closed_now]
when = 'action == "door.open"'
channels = ["hook"]
schedule = {{ timezone = "UTC", hours = "{later}", off_hours_channels = ["chat"] }}
"#,
        hook = emulator.url("/webhook"),
        slack = emulator.url("/slack"),
    );
    let config = ws.config("*.log", &rules);
    let agent = Agent::start(&ws, &config);
    let mut f = std::fs::File::create(ws.logs().join("audit.log")).unwrap();
    writeln!(
        f,
        r#"{{"time":"2026-01-01T00:00:00Z","action":"door.open","actor":{{"id":"u1"}}}}"#
    )
    .unwrap();
    assert!(
        wait_until(Duration::from_secs(20), || emulator.accepted().len() >= 2),
        "accepted {:?}, refused {:?}; log:\n{}",
        emulator.accepted(),
        emulator.refused(),
        agent.log()
    );
    std::thread::sleep(Duration::from_secs(1));
    let hook = emulator.accepted_on("/webhook");
    assert_eq!(hook.len(), 1, "{hook:?}");
    assert_eq!(hook[0].body["alert"], "always_open");
    let chat = emulator.accepted_on("/slack");
    assert_eq!(chat.len(), 1, "{chat:?}");
    let text = chat[0].body.to_string();
    assert!(text.contains("Alert closed_now"), "{text}");
    assert_eq!(agent.stop(), 0);
}
