//! Incident tools: PagerDuty Events API v2 (`trigger` with `dedup_key`) and
//! Opsgenie's Alerts API (`alias`). Both group repeats of one alert key
//! into one incident, so `dedup_key`/`alias` is the notification's
//! `dedup_key` (Opsgenie caps the alias at 512 characters).

use serde_json::{json, Value};

use super::clip;
use crate::alerts::notification::Notification;

/// PagerDuty severities are critical, error, warning, info.
fn pagerduty_severity(severity: &str) -> &'static str {
    match severity {
        "emergency" | "alert" | "critical" => "critical",
        "error" => "error",
        "warning" => "warning",
        _ => "info",
    }
}

pub(super) fn event(routing_key: &str, n: &Notification) -> Value {
    let mut body = json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": clip(&n.dedup_key, 255),
        "payload": {
            "summary": clip(&n.title, 1024),
            "source": n.host,
            "severity": pagerduty_severity(&n.severity),
            "timestamp": n.fired_at,
            "component": "auditship",
            "group": n.alert,
            "class": n.event["action"],
            "custom_details": {
                "message": n.summary_line(),
                "count": n.count,
                "suppressed": n.suppressed,
                "group": n.group,
                "event": n.event,
                "notification_id": n.id,
            },
        },
        "client": "auditship",
    });
    if let Some(runbook) = &n.runbook {
        body["links"] = json!([{"href": runbook, "text": "Runbook"}]);
    }
    body
}

/// Opsgenie priorities P1 (highest) to P5.
fn opsgenie_priority(severity: &str) -> &'static str {
    match severity {
        "emergency" | "alert" | "critical" => "P1",
        "error" => "P2",
        "warning" => "P3",
        "notice" => "P4",
        _ => "P5",
    }
}

pub(super) fn opsgenie(n: &Notification) -> Value {
    let mut details = serde_json::Map::new();
    details.insert("alert".into(), n.alert.clone().into());
    details.insert("count".into(), n.count.to_string().into());
    details.insert("suppressed".into(), n.suppressed.to_string().into());
    for (k, v) in &n.group {
        details.insert(k.clone(), v.clone().into());
    }
    if let Some(runbook) = &n.runbook {
        details.insert("runbook".into(), runbook.clone().into());
    }
    json!({
        "message": clip(&n.title, 130),
        "alias": clip(&n.dedup_key, 512),
        "description": clip(&n.summary_line(), 15000),
        "priority": opsgenie_priority(&n.severity),
        "source": n.host,
        "tags": ["auditship", n.alert],
        "details": details,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::channels::fixtures::notification;

    #[test]
    fn pagerduty_triggers_with_the_dedup_key() {
        let v = event("R0UT1NG", &notification());
        assert_eq!(v["event_action"], "trigger");
        assert_eq!(v["routing_key"], "R0UT1NG");
        assert_eq!(v["dedup_key"], "auditship/login_failures/actor.id=u1");
        assert_eq!(v["payload"]["severity"], "critical");
        assert_eq!(v["payload"]["source"], "web-1");
        assert_eq!(v["links"][0]["href"], "https://runbooks.example.com/login");
    }

    #[test]
    fn opsgenie_uses_the_alias_and_a_priority() {
        let v = opsgenie(&notification());
        assert_eq!(v["alias"], "auditship/login_failures/actor.id=u1");
        assert_eq!(v["priority"], "P1");
        assert_eq!(v["details"]["actor.id"], "u1");
    }
}
