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
        }
    }
}
