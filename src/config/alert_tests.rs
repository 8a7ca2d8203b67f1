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

/// `file:line:col` of the first `needle` in `text`, 1-based, plus `skip`
/// characters.
fn place(text: &str, needle: &str, skip: usize) -> String {
    let at = text.find(needle).unwrap() + skip;
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("auditship.toml:{line}:{col}:")
}

const DISCORD: &str =
    "\n[channels.c]\ntype = \"discord\"\nwebhook_url = \"https://discord.com/api/webhooks/1/x\"\n";

#[test]
fn an_email_channel_loads_with_defaults_and_hides_its_password() {
    let text = format!(
        "{MINIMAL}\n[channels.mail]\ntype = \"email\"\nhost = \"smtp.example.com\"\nusername = \"alerts\"\npassword = \"${{SECRET}}\"\nfrom = \"auditship@example.com\"\nto = [\"sec@example.com\", \"ops@example.com\"]\ntls = {{ server_name = \"mx.example.com\" }}\n\n[alerts.x]\nwhen = 'true'\nchannels = [\"mail\"]\n"
    );
    let config = load_text(&text).unwrap();
    let ChannelKind::Email(email) = &config.channels[0].kind else {
        panic!("{:?}", config.channels[0].kind)
    };
    assert_eq!((email.port, email.protocol), (587, SmtpProtocol::StartTls));
    assert_eq!(email.to, ["sec@example.com", "ops@example.com"]);
    assert_eq!(email.password, Some(Secret::new("hunter2")));
    assert_eq!(
        config.channels[0].tls.server_name.as_deref(),
        Some("mx.example.com")
    );
    assert!(!format!("{config:?}").contains("hunter2"));
    let tls = text.replace("host = ", "protocol = \"tls\"\nhost = ");
    let ChannelKind::Email(email) = &load_text(&tls).unwrap().channels[0].kind else {
        panic!()
    };
    assert_eq!((email.port, email.protocol), (465, SmtpProtocol::Tls));
}

#[test]
fn email_mistakes_are_refused_at_their_place_without_the_password() {
    let text = format!(
        "{MINIMAL}\n[channels.mail]\ntype = \"email\"\nhost = \"smtp.example.com\"\nprotocol = \"plain\"\nusername = \"alerts\"\npassword = \"${{SECRET}}\"\nfrom = \"Audit <a@example.com>\"\nto = []\n\n[alerts.x]\nwhen = 'true'\nchannels = [\"mail\"]\n"
    );
    let found = problems(&text).join("\n");
    assert!(found.contains("would be sent unencrypted"), "{found}");
    assert!(
        found.contains("\"Audit <a@example.com>\" is not an email address"),
        "{found}"
    );
    assert!(found.contains("must list at least one address"), "{found}");
    assert!(!found.contains("hunter2"), "{found}");
    let bad = text.replace("\"plain\"", "\"ssl\"");
    assert!(problems(&bad)
        .join("\n")
        .contains("\"ssl\" is not a protocol"));
}

#[test]
fn digest_loads_and_refuses_what_it_replaces() {
    let text = format!(
        "{MINIMAL}{DISCORD}\n[alerts.x]\nwhen = 'true'\nchannels = [\"c\"]\ndigest = \"15m\"\n"
    );
    assert_eq!(
        load_text(&text).unwrap().alerts[0].digest,
        Some(Duration::from_secs(900))
    );
    let both = format!("{text}cooldown = \"1h\"\n");
    let found = problem(&both);
    assert!(found.starts_with(&place(&both, "\"1h\"", 0)), "{found}");
    assert!(found.contains("invalid \"cooldown\""), "{found}");
    assert!(found.contains("cannot be combined with digest"), "{found}");
    let zero = text.replace("\"15m\"", "\"0s\"");
    assert!(problem(&zero).contains("digest"), "{}", problem(&zero));
}

#[test]
fn schedule_loads_and_bad_zones_or_hours_are_reported_at_their_place() {
    let text = format!(
        "{MINIMAL}{DISCORD}\n[channels.pager]\ntype = \"pagerduty\"\nrouting_key = \"${{SECRET}}\"\n\n[alerts.x]\nwhen = 'true'\nchannels = [\"c\"]\nschedule = {{ timezone = \"Europe/Berlin\", hours = \"Mon-Fri 09:00-18:00\", off_hours_channels = [\"pager\"] }}\n"
    );
    let schedule = load_text(&text).unwrap().alerts[0]
        .schedule
        .clone()
        .unwrap();
    assert_eq!(schedule.timezone, "Europe/Berlin");
    assert_eq!(schedule.off_hours_channels, ["pager"]);

    let zone = text.replace("Europe/Berlin", "Europe/Berln");
    let found = problem(&zone);
    assert!(
        found.starts_with(&place(&zone, "\"Europe/Berln", 0)),
        "{found}"
    );
    assert!(
        found.contains("unknown time zone \"Europe/Berln\""),
        "{found}"
    );

    let hours = text.replace("Mon-Fri 09:00", "Mon-Fri 9:00");
    let found = problem(&hours);
    // The opening quote, then "Mon-Fri " (8 characters): at "9:00".
    assert!(
        found.starts_with(&place(&hours, "\"Mon-Fri 9:00", 9)),
        "{found}"
    );
    assert!(found.contains("\"9:00\" is not a time"), "{found}");

    let channel = text.replace("[\"pager\"]", "[\"pagr\"]");
    assert!(problem(&channel)
        .contains("\"pagr\" is not a configured [channels.ID] (did you mean \"pager\"?)"));
}
