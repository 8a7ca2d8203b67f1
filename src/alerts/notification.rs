//! [`Notification`]: what one fired alert says, channel-neutral. It is the
//! payload of an outbox record (`{"channel": ID, "notification": {...}}`)
//! and the body of a `webhook` channel, so its field names are a contract.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::digest::DigestSummary;

/// One alert to deliver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// Unique per notification; receivers may use it as an idempotency key.
    pub id: String,
    /// The `[alerts.ID]` id.
    pub alert: String,
    /// Stable per alert and group (`auditship/ID/field=value,…`): repeats of
    /// one alert share it, so PagerDuty and Opsgenie group them.
    pub dedup_key: String,
    pub severity: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
    /// RFC 3339, UTC.
    pub fired_at: String,
    /// `fired_at` in milliseconds since the epoch (for `max_age`).
    pub fired_at_ms: u64,
    /// Events that made it fire: 1, or the threshold's count.
    pub count: u32,
    /// Notifications of this key held back by `cooldown` since the previous
    /// one.
    pub suppressed: u64,
    /// The `group_by` fields and their values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub group: BTreeMap<String, String>,
    /// A summary of the (last) event that fired it.
    pub event: serde_json::Value,
    /// `agent.host` of the agent that fired it.
    pub host: String,
    /// Set on a `digest` rule's summary (then `count` is its events and
    /// `event` the last of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<DigestSummary>,
}

/// One outbox record: a notification for one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxRecord {
    pub channel: String,
    pub notification: Notification,
}

impl Notification {
    /// The text line chat channels show under the title.
    pub fn summary_line(&self) -> String {
        let mut line = match &self.message {
            Some(message) => message.clone(),
            None => format!(
                "{} × {} (severity {})",
                self.count,
                self.event["action"].as_str().unwrap_or("-"),
                self.severity
            ),
        };
        if self.suppressed > 0 {
            line.push_str(&format!(
                " — {} more suppressed by cooldown since the last notification",
                self.suppressed
            ));
        }
        line
    }
}
