//! Chat channels: Slack (incoming webhook, Block Kit), Microsoft Teams
//! (incoming webhook / Workflows, an Adaptive Card), Discord (webhook,
//! one embed). Each shows the title, the summary line, the fields that
//! matter (severity, alert, count, group, host) and the runbook link.

use serde_json::{json, Value};

use super::clip;
use crate::alerts::notification::Notification;

/// (label, value) pairs every chat message shows.
fn facts(n: &Notification) -> Vec<(&'static str, String)> {
    let mut facts = vec![
        ("Severity", n.severity.clone()),
        ("Alert", n.alert.clone()),
        ("Events", n.count.to_string()),
        ("Host", n.host.clone()),
        ("Fired at", n.fired_at.clone()),
    ];
    if !n.group.is_empty() {
        let group: Vec<String> = n.group.iter().map(|(k, v)| format!("{k}={v}")).collect();
        facts.push(("Group", group.join(", ")));
    }
    if n.suppressed > 0 {
        facts.push(("Suppressed", n.suppressed.to_string()));
    }
    facts
}

/// Slack Block Kit: header, section, fields, runbook. `text` is the
/// notification fallback Slack requires alongside blocks.
pub(super) fn slack(n: &Notification) -> Value {
    let fields: Vec<Value> = facts(n)
        .into_iter()
        .take(10) // Slack's limit per section
        .map(|(k, v)| json!({"type": "mrkdwn", "text": format!("*{k}*\n{}", clip(&v, 1900))}))
        .collect();
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": clip(&n.title, 150)}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": clip(&n.summary_line(), 3000)}}),
        json!({"type": "section", "fields": fields}),
    ];
    if let Some(runbook) = &n.runbook {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("<{runbook}|Runbook>")}}));
    }
    json!({"text": clip(&format!("[{}] {}", n.severity, n.title), 3000), "blocks": blocks})
}

/// Teams: an Adaptive Card 1.4 in a `message` envelope (what both the
/// classic connector and Workflows webhooks accept).
pub(super) fn teams(n: &Notification) -> Value {
    let facts: Vec<Value> = facts(n)
        .into_iter()
        .map(|(k, v)| json!({"title": k, "value": v}))
        .collect();
    let mut body = vec![
        json!({"type": "TextBlock", "size": "Large", "weight": "Bolder", "wrap": true, "text": n.title}),
        json!({"type": "TextBlock", "wrap": true, "text": n.summary_line()}),
        json!({"type": "FactSet", "facts": facts}),
    ];
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
    });
    if let Some(runbook) = &n.runbook {
        card["actions"] = json!([{"type": "Action.OpenUrl", "title": "Runbook", "url": runbook}]);
    }
    card["body"] = Value::Array(std::mem::take(&mut body));
    json!({"type": "message", "attachments": [{
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": card,
    }]})
}

/// Discord: one embed, coloured by severity.
pub(super) fn discord(n: &Notification) -> Value {
    let color = match n.severity.as_str() {
        "emergency" | "alert" | "critical" => 0xD0_21_1B,
        "error" => 0xE6_7E_22,
        "warning" => 0xF1_C4_0F,
        _ => 0x34_98_DB,
    };
    let fields: Vec<Value> = facts(n)
        .into_iter()
        .take(25)
        .map(|(k, v)| json!({"name": k, "value": clip(&v, 1024), "inline": true}))
        .collect();
    let mut embed = json!({
        "title": clip(&n.title, 256),
        "description": clip(&n.summary_line(), 4096),
        "color": color,
        "fields": fields,
        "timestamp": n.fired_at,
    });
    if let Some(runbook) = &n.runbook {
        embed["url"] = json!(runbook);
    }
    json!({"username": "auditship", "embeds": [embed]})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::channels::fixtures::notification;

    #[test]
    fn slack_blocks_have_a_header_fields_and_a_fallback_text() {
        let v = slack(&notification());
        assert_eq!(v["blocks"][0]["type"], "header");
        assert_eq!(v["blocks"][0]["text"]["text"], "5 failed logins for alice");
        assert!(v["text"].as_str().unwrap().starts_with("[critical]"));
        assert!(v["blocks"][1]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("2 more suppressed"));
        assert!(v["blocks"][3]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("<https://runbooks.example.com/login|Runbook>"));
    }

    #[test]
    fn teams_is_an_adaptive_card_and_discord_an_embed() {
        let t = teams(&notification());
        assert_eq!(t["attachments"][0]["content"]["type"], "AdaptiveCard");
        assert_eq!(
            t["attachments"][0]["content"]["actions"][0]["url"],
            "https://runbooks.example.com/login"
        );
        let d = discord(&notification());
        assert_eq!(d["embeds"][0]["color"], 0xD0211B);
        assert_eq!(d["embeds"][0]["title"], "5 failed logins for alice");
    }
}
