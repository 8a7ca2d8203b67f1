//! Typed `[alerts.ID]` and `[channels.ID]`, as validated.

use std::num::NonZeroU32;
use std::time::Duration;

use super::types::{RetryConfig, Secret, TlsConfig};
use crate::event::Severity;

/// One `[alerts.ID]` rule. `when` and the templates were checked to compile.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertConfig {
    pub id: String,
    /// The CEL expression, as written.
    pub when: String,
    pub threshold: Option<ThresholdConfig>,
    /// Quiet time per alert key after a notification; zero: none.
    pub cooldown: Duration,
    /// Channel ids, each a configured `[channels.ID]`.
    pub channels: Vec<String>,
    pub severity: Severity,
    pub title: Option<String>,
    pub message: Option<String>,
    pub runbook: Option<String>,
    /// Send one summary per interval instead of one notification per
    /// match (`digest = "15m"`); `None`: every firing is sent.
    pub digest: Option<Duration>,
    /// Business hours: outside them, `off_hours_channels` are notified
    /// instead of `channels`.
    pub schedule: Option<ScheduleConfig>,
}

/// `schedule = { timezone, hours, off_hours_channels }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleConfig {
    /// The IANA name, as written (`Europe/Berlin`).
    pub timezone: String,
    /// The zone's rules, read from the system's zoneinfo at start.
    pub zone: tz::TimeZone,
    pub hours: crate::alerts::schedule::BusinessHours,
    /// Channel ids notified outside `hours` (may be empty: recorded only).
    pub off_hours_channels: Vec<String>,
}

/// `threshold = { count, window, group_by }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdConfig {
    pub count: u32,
    pub window: Duration,
    /// Dotted event fields forming the group key; empty: one group.
    pub group_by: Vec<String>,
    /// Most groups tracked at once; the least recently seen is evicted.
    pub max_groups: usize,
}

/// One `[channels.ID]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelConfig {
    pub id: String,
    pub kind: ChannelKind,
    /// A notification not delivered within this is dropped (logged, counted).
    pub max_age: Duration,
    /// Most notifications sent per minute.
    pub rate_limit_per_minute: NonZeroU32,
    /// Longest wait for one request.
    pub request_timeout: Duration,
    /// Back-off between attempts (`max_elapsed` is not used: `max_age` is).
    pub retry: RetryConfig,
    pub tls: TlsConfig,
}

/// Where and how a channel posts. URLs that carry a token are [`Secret`]s.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelKind {
    Webhook {
        url: Secret,
        /// HMAC-SHA256 key for the `X-Auditship-Signature` header.
        secret: Option<Secret>,
    },
    Slack {
        webhook_url: Secret,
    },
    Teams {
        webhook_url: Secret,
    },
    Discord {
        webhook_url: Secret,
    },
    PagerDuty {
        routing_key: Secret,
        /// Events API v2 enqueue URL.
        endpoint: String,
    },
    Opsgenie {
        api_key: Secret,
        /// Alerts API base URL (`/v2/alerts` is appended).
        endpoint: String,
    },
    Email(EmailConfig),
}

/// `type = "email"`: one message per notification over SMTP.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailConfig {
    pub host: String,
    pub port: u16,
    pub protocol: SmtpProtocol,
    /// `AUTH` credentials; `None`: no authentication.
    pub username: Option<Secret>,
    pub password: Option<Secret>,
    /// The sender address (envelope and `From:`).
    pub from: String,
    /// Recipient addresses (envelope and `To:`), at least one.
    pub to: Vec<String>,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpProtocol {
    /// Plain connection upgraded with `STARTTLS` (required, never skipped).
    StartTls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
    /// No encryption (a relay on the same host); no credentials allowed.
    Plain,
}

impl SmtpProtocol {
    pub fn default_port(self) -> u16 {
        match self {
            SmtpProtocol::StartTls => 587,
            SmtpProtocol::Tls => 465,
            SmtpProtocol::Plain => 25,
        }
    }
}

impl ChannelKind {
    pub fn name(&self) -> &'static str {
        match self {
            ChannelKind::Webhook { .. } => "webhook",
            ChannelKind::Slack { .. } => "slack",
            ChannelKind::Teams { .. } => "teams",
            ChannelKind::Discord { .. } => "discord",
            ChannelKind::PagerDuty { .. } => "pagerduty",
            ChannelKind::Opsgenie { .. } => "opsgenie",
            ChannelKind::Email(_) => "email",
        }
    }
}
