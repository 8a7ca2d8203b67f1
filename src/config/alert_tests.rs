//! `[channels.ID]` and `[alerts.ID]`: the CONFIG.md example loads; each
//! mistake is reported at its place, and never with a secret in it.

use std::time::Duration;

use super::*;

const CHANNELS: &str = r#"
[channels.security]
type = "slack"
webhook_url = "https://hooks.slack.com/services/${SECRET}"

[channels.siem_hook]
type = "webhook"
url = "https://hooks.example.com/auditship"
secret = "${SECRET}"
"#;

#[test]
fn the_config_md_alerts_example_loads() {
    let text = format!(
        r#"{MINIMAL}{CHANNELS}
[channels.oncall]
type = "pagerduty"
routing_key = "${{SECRET}}"
max_age = "1h"
rate_limit_per_minute = 10

[alerts.break_glass]
when = 'action == "break_glass.opened"'
channels = ["security"]
severity = "critical"

[alerts.login_failures]
when = 'action == "user.login" && outcome == "failure"'
threshold = {{ count = 5, window = "1m", group_by = ["actor.id"] }}
cooldown = "15m"
channels = ["security", "oncall"]
title = "Failed logins for {{actor.id}}"
runbook = "https://runbooks.example.com/logins"
"#
    );
    let config = load_text(&text).unwrap();
    assert_eq!(config.channels.len(), 3);
    assert_eq!(
        config.channels[0].kind,
        ChannelKind::Slack {
            webhook_url: Secret::new("https://hooks.slack.com/services/hunter2")
        }
    );
    assert_eq!(config.channels[0].max_age, Duration::from_secs(86_400));
    assert_eq!(config.channels[2].max_age, Duration::from_secs(3600));
    assert_eq!(config.channels[2].rate_limit_per_minute.get(), 10);
    let login = &config.alerts[1];
    assert_eq!(login.cooldown, Duration::from_secs(900));
    let threshold = login.threshold.as_ref().unwrap();
    assert_eq!(
        (
            threshold.count,
            threshold.window,
            threshold.group_by.clone()
        ),
        (5, Duration::from_secs(60), vec!["actor.id".to_string()])
    );
    assert_eq!(config.alerts[0].severity, crate::event::Severity::Critical);
    assert!(
        !format!("{config:?}").contains("hunter2"),
        "secrets stay hidden in Debug"
    );
}

#[test]
fn an_invalid_when_is_reported_at_the_offending_character() {
    let text = format!(
        "{MINIMAL}{CHANNELS}\n[alerts.x]\nwhen = 'action == \"a\" &&'\nchannels = [\"security\"]\n"
    );
    let found = problem(&text);
    assert!(found.starts_with("auditship.toml:19:25:"), "{found}");
    assert!(found.contains("when"), "{found}");
}

#[test]
fn unknown_fields_channels_and_templates_are_refused() {
    let text = format!(
        "{MINIMAL}{CHANNELS}\n[alerts.x]\nwhen = 'acton == \"a\"'\nchannels = [\"securty\"]\ntitle = \"{{actor.nme}}\"\nthreshold = {{ count = 0, window = \"1m\", group_by = [\"actor.idd\"] }}\n"
    );
    let found = problems(&text).join("\n");
    assert!(found.contains("did you mean \"action\""), "{found}");
    assert!(
        found
            .contains("\"securty\" is not a configured [channels.ID] (did you mean \"security\"?)"),
        "{found}"
    );
    assert!(found.contains("unknown field \"actor.nme\""), "{found}");
    assert!(found.contains("count"), "{found}");
    assert!(
        found.contains("\"actor.idd\" is not an event field"),
        "{found}"
    );
}

#[test]
fn a_bad_webhook_url_is_refused_without_showing_it() {
    let text = format!(
        "{MINIMAL}\n[channels.c]\ntype = \"webhook\"\nurl = \"ftp://${{SECRET}}\"\n\n[alerts.x]\nwhen = 'true'\nchannels = [\"c\"]\n"
    );
    let found = problem(&text);
    assert!(found.contains("is not an http(s):// URL"), "{found}");
    assert!(!found.contains("hunter2"), "{found}");
}

#[test]
fn email_digest_and_schedule_are_refused_as_not_yet_available() {
    let text = format!(
        "{MINIMAL}\n[channels.mail]\ntype = \"email\"\n\n[channels.c]\ntype = \"discord\"\nwebhook_url = \"https://discord.com/api/webhooks/1/x\"\n\n[alerts.x]\nwhen = 'true'\nchannels = [\"c\"]\ndigest = \"15m\"\n"
    );
    let found = problems(&text).join("\n");
    assert!(
        found.contains("\"email\" channels are not available"),
        "{found}"
    );
    assert!(found.contains("digest"), "{found}");
}
