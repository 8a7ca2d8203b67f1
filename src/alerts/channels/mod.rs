//! Notification → the HTTP request one channel type expects. Pure: no I/O,
//! no clock (the timestamp is an argument), so each payload shape is unit
//! tested and checked again against an emulator in `tests/`.

mod chat;
mod pagerduty;
mod webhook;

use crate::config::ChannelKind;

use super::notification::Notification;

pub use webhook::{signature, SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// A POST to make. `url` may hold a token (Slack, Teams, Discord URLs do):
/// it is never logged.
pub struct OutgoingRequest {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for OutgoingRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingRequest")
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// The request delivering `n` through a channel of `kind` at `now_secs`;
/// `None` for `email`, which is not HTTP (see `smtp`).
pub fn request(kind: &ChannelKind, n: &Notification, now_secs: u64) -> Option<OutgoingRequest> {
    Some(match kind {
        ChannelKind::Webhook { url, secret } => webhook::request(
            url.expose(),
            secret.as_ref().map(|s| s.expose()),
            n,
            now_secs,
        ),
        ChannelKind::Slack { webhook_url } => json(webhook_url.expose(), &chat::slack(n), vec![]),
        ChannelKind::Teams { webhook_url } => json(webhook_url.expose(), &chat::teams(n), vec![]),
        ChannelKind::Discord { webhook_url } => {
            json(webhook_url.expose(), &chat::discord(n), vec![])
        }
        ChannelKind::PagerDuty {
            routing_key,
            endpoint,
        } => json(endpoint, &pagerduty::event(routing_key.expose(), n), vec![]),
        ChannelKind::Opsgenie { api_key, endpoint } => json(
            &format!("{}/v2/alerts", endpoint.trim_end_matches('/')),
            &pagerduty::opsgenie(n),
            vec![("authorization", format!("GenieKey {}", api_key.expose()))],
        ),
        ChannelKind::Email(_) => return None,
    })
}

fn json(
    url: &str,
    body: &serde_json::Value,
    mut headers: Vec<(&'static str, String)>,
) -> OutgoingRequest {
    headers.push(("content-type", "application/json".into()));
    OutgoingRequest {
        url: url.to_string(),
        headers,
        body: serde_json::to_vec(body).expect("JSON values serialize"),
    }
}

/// At most `max` characters of `text`, with `…` when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub fn notification() -> Notification {
        Notification {
            id: "login_failures-1-1".into(),
            alert: "login_failures".into(),
            dedup_key: "auditship/login_failures/actor.id=u1".into(),
            severity: "critical".into(),
            title: "5 failed logins for alice".into(),
            message: Some("alice failed to log in".into()),
            runbook: Some("https://runbooks.example.com/login".into()),
            fired_at: "2026-01-02T03:04:05Z".into(),
            fired_at_ms: 1_767_323_045_000,
            count: 5,
            suppressed: 2,
            group: [("actor.id".to_string(), "u1".to_string())].into(),
            event: serde_json::json!({"id": "e1", "action": "user.login", "outcome": "failure"}),
            host: "web-1".into(),
            digest: None,
        }
    }
}
