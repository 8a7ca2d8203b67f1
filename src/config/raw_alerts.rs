//! `[alerts.ID]` and `[channels.ID]` as written. A channel's table is split
//! like a sink's: [`RawChannelShared`] keys, then the struct of its `type`.

use serde::Deserialize;

use super::located::Located;
use super::raw::{RawRetry, RawTls};
use super::units::NumberOrText;

/// `[alerts.ID]`: a rule checked on every event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAlert {
    /// A CEL expression over the event's fields, e.g.
    /// `'action == "user.login" && outcome == "failure"'`. Fields: `id`,
    /// `action`, `outcome`, `severity`, `category`, `message`, `actor.*`,
    /// `source.*`, `resource.*`, `tenant.id`, `project.id`, `status.*`,
    /// `correlation.*`, `details.*`, `origin.*`, `host`. Functions include
    /// `startsWith`, `endsWith`, `contains`, `matches` (a literal RE2-style
    /// regex), `in [...]`, `size`, `has`. Required.
    pub when: Located<String>,
    /// Fire only when `count` matching events of one group occur within
    /// `window`: `{ count = 5, window = "1m", group_by = ["actor.id"] }`.
    /// Default: every matching event fires.
    pub threshold: Option<Located<RawThreshold>>,
    /// After a notification for a key (alert + group), hold back the same
    /// alert for this long; the number held back is reported in the next
    /// notification. Default: none.
    pub cooldown: Option<Located<NumberOrText>>,
    /// Channel ids (`[channels.ID]`) to notify, e.g. `["security"]`. Required.
    pub channels: Located<Vec<Located<String>>>,
    /// `debug`, `info`, `notice`, `warning` (default), `error`, `critical`,
    /// `alert` or `emergency`. Mapped to each channel's own levels.
    pub severity: Option<Located<String>>,
    /// Title template, `{field.path}` filled from the event, e.g.
    /// `"Break-glass session opened by {actor.name}"`. Default:
    /// `"Alert ID: {action} by {actor.name}"`.
    pub title: Option<Located<String>>,
    /// Message template shown under the title. Default: a count and the
    /// action.
    pub message: Option<Located<String>>,
    /// A link to the runbook, shown with the notification.
    pub runbook: Option<Located<String>>,
    /// Instead of one notification per match, one summary per interval,
    /// e.g. `"15m"`: counts per action, distinct actors, first and last
    /// time, sample event ids; nothing is sent for an interval without
    /// matches. Not combined with `threshold`, `cooldown`, `title` or
    /// `message`. Default: none.
    pub digest: Option<Located<NumberOrText>>,
    /// Business hours: `{ timezone = "Europe/Berlin", hours = "Mon-Fri
    /// 09:00-18:00", off_hours_channels = ["pagerduty"] }`. Inside the
    /// hours `channels` are notified, outside `off_hours_channels`.
    /// Default: `channels` at all times.
    pub schedule: Option<Located<RawSchedule>>,
}

/// `schedule = { … }` of an alert.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSchedule {
    /// An IANA time zone, e.g. `"Europe/Berlin"` (read from the system's
    /// zoneinfo, `$TZDIR` or `/usr/share/zoneinfo`). Required.
    pub timezone: Located<String>,
    /// Days and local times, e.g. `"Mon-Fri 09:00-18:00, Sat 10:00-14:00"`.
    /// A range includes its start, not its end. Required.
    pub hours: Located<String>,
    /// Channel ids notified outside `hours`; `[]` sends nothing then (the
    /// `alert.fire` event is still recorded). Required.
    pub off_hours_channels: Located<Vec<Located<String>>>,
}

/// `threshold = { … }` of an alert.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawThreshold {
    /// Events needed, at least 1. Required.
    pub count: Located<i64>,
    /// Sliding window, e.g. `"1m"`. Required.
    pub window: Located<NumberOrText>,
    /// Event fields that form the group key, e.g. `["actor.id"]`. Default:
    /// one group for all events.
    pub group_by: Option<Vec<Located<String>>>,
    /// Most groups tracked; beyond it the least recently seen group is
    /// forgotten (counted). Default `10000`.
    pub max_groups: Option<Located<i64>>,
}

/// Keys every channel has, whatever its type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChannelShared {
    /// `"webhook"`, `"slack"`, `"teams"`, `"discord"`, `"pagerduty"`,
    /// `"opsgenie"` or `"email"`.
    #[serde(rename = "type")]
    #[allow(dead_code)] // dispatched on by `validate` before this struct is read
    pub kind: Located<String>,
    /// Give up on a notification not delivered within this (logged as an
    /// error and counted). Default `"24h"`.
    pub max_age: Option<Located<NumberOrText>>,
    /// Most notifications sent per minute (Slack allows about 60). Default
    /// `60`.
    pub rate_limit_per_minute: Option<Located<i64>>,
    /// Longest wait for one request. Default `"10s"`.
    pub request_timeout: Option<Located<NumberOrText>>,
    /// Back-off between attempts: `{ initial = "1s", max = "60s", jitter = true }`.
    pub retry: Option<Located<RawRetry>>,
}

pub(crate) const CHANNEL_SHARED_KEYS: &[&str] = &[
    "type",
    "max_age",
    "rate_limit_per_minute",
    "request_timeout",
    "retry",
];

/// `type = "webhook"`: the notification as JSON, optionally signed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWebhookChannel {
    /// URL to POST to. Required. Treated as a secret (never printed).
    pub url: Located<String>,
    /// Key of the `X-Auditship-Signature` HMAC-SHA256 header, e.g.
    /// `"${WEBHOOK_SECRET}"`. Default: unsigned.
    pub secret: Option<Located<String>>,
}

/// `type = "slack"`, `"teams"` or `"discord"`: an incoming webhook.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChatChannel {
    /// The incoming webhook URL, e.g. `"${SLACK_WEBHOOK_URL}"`. Required. A
    /// secret (never printed).
    pub webhook_url: Located<String>,
}

/// `type = "pagerduty"`: Events API v2.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPagerDutyChannel {
    /// The integration's routing key, e.g. `"${PAGERDUTY_ROUTING_KEY}"`.
    /// Required. A secret.
    pub routing_key: Located<String>,
    /// Default `"https://events.pagerduty.com/v2/enqueue"` (EU:
    /// `https://events.eu.pagerduty.com/v2/enqueue`).
    pub endpoint: Option<Located<String>>,
}

/// `type = "opsgenie"`: Alerts API.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOpsgenieChannel {
    /// An API integration key, e.g. `"${OPSGENIE_API_KEY}"`. Required. A
    /// secret.
    pub api_key: Located<String>,
    /// Default `"https://api.opsgenie.com"` (EU: `https://api.eu.opsgenie.com`).
    pub endpoint: Option<Located<String>>,
}

/// `type = "email"`: one message per notification over SMTP.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEmailChannel {
    /// The SMTP server (submission service), e.g. `"smtp.example.com"`.
    /// Required.
    pub host: Located<String>,
    /// Default: 587 for `starttls`, 465 for `tls`, 25 for `plain`.
    pub port: Option<Located<i64>>,
    /// `"starttls"` (default: the connection must be upgraded, never
    /// silently left plain), `"tls"` (TLS from the start, port 465) or
    /// `"plain"` (no encryption: a relay on the same host; no credentials).
    pub protocol: Option<Located<String>>,
    /// `AUTH` user name; needs `password`. Default: no authentication.
    pub username: Option<Located<String>>,
    /// `AUTH` password, e.g. `"${SMTP_PASSWORD}"`. A secret.
    pub password: Option<Located<String>>,
    /// Sender address, e.g. `"auditship@example.com"`. Required.
    pub from: Located<String>,
    /// Recipient addresses, at least one. Required.
    pub to: Located<Vec<Located<String>>>,
    /// TLS client settings, as for sinks: `{ ca = "…", server_name = "…" }`.
    pub tls: Option<Located<RawTls>>,
}
