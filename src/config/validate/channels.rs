//! Validation of `[channels.ID]`: the type, URLs and keys (shape only:
//! they are secrets, never echoed), delivery settings.

use std::num::NonZeroU32;
use std::time::Duration;

use super::super::document::{Entry, Node, Value};
use super::super::error::closest;
use super::super::located::{read, Located};
use super::super::raw_alerts::*;
use super::{path_of, Validator};
use crate::config::types::*;
use crate::config::{ChannelConfig, ChannelKind};

const CHANNEL_TYPES: &[&str] = &[
    "webhook",
    "slack",
    "teams",
    "discord",
    "pagerduty",
    "opsgenie",
    "email",
];
const PAGERDUTY_ENDPOINT: &str = "https://events.pagerduty.com/v2/enqueue";
const OPSGENIE_ENDPOINT: &str = "https://api.opsgenie.com";

impl Validator {
    /// One `[channels.ID]`.
    pub(super) fn channel(&mut self, entry: &Entry) -> Option<ChannelConfig> {
        let id = entry.key.as_str();
        let (kind, kind_span) = self.component_type(entry, "channels")?;
        let path = path_of(&["channels", id]);
        if !CHANNEL_TYPES.contains(&kind) {
            let hint = closest(kind, CHANNEL_TYPES.iter().copied())
                .map(|s| format!(" (did you mean \"{s}\"?)"))
                .unwrap_or_default();
            let message = format!(
                "unknown channel type \"{kind}\"; supported: {}{hint}",
                CHANNEL_TYPES.join(", ")
            );
            self.invalid(kind_span.start, &path, "type", message);
            return None;
        }
        let Value::Table(keys) = &entry.value.value else {
            return None;
        };
        let (shared, specific): (Vec<Entry>, Vec<Entry>) = keys
            .iter()
            .cloned()
            .partition(|k| CHANNEL_SHARED_KEYS.contains(&k.key.as_str()));
        let as_node = |entries: Vec<Entry>| Node {
            span: entry.value.span.clone(),
            value: Value::Table(entries),
        };
        let before = self.problems.len();
        let shared = match read::<RawChannelShared>(&as_node(shared), &path) {
            Ok(shared) => shared,
            Err(error) => {
                self.read_problem(error, &[]);
                return None;
            }
        };
        let specific = as_node(specific);
        let mut tls = TlsConfig::default();
        let kind = match kind {
            "email" => {
                let raw: RawEmailChannel = self.read_channel(&specific, &path)?;
                if let Some(raw_tls) = &raw.tls {
                    tls = self.tls(&path, &raw_tls.value);
                }
                ChannelKind::Email(self.email(&path, raw))
            }
            "webhook" => {
                let raw: RawWebhookChannel = self.read_channel(&specific, &path)?;
                self.secret_url(&path, "url", &raw.url);
                if let Some(secret) = &raw.secret {
                    self.secret_text(&path, "secret", secret);
                }
                ChannelKind::Webhook {
                    url: Secret::new(raw.url.value),
                    secret: raw.secret.map(|s| Secret::new(s.value)),
                }
            }
            "slack" | "teams" | "discord" => {
                let raw: RawChatChannel = self.read_channel(&specific, &path)?;
                self.secret_url(&path, "webhook_url", &raw.webhook_url);
                let webhook_url = Secret::new(raw.webhook_url.value);
                match kind {
                    "slack" => ChannelKind::Slack { webhook_url },
                    "teams" => ChannelKind::Teams { webhook_url },
                    _ => ChannelKind::Discord { webhook_url },
                }
            }
            "pagerduty" => {
                let raw: RawPagerDutyChannel = self.read_channel(&specific, &path)?;
                self.secret_text(&path, "routing_key", &raw.routing_key);
                ChannelKind::PagerDuty {
                    routing_key: Secret::new(raw.routing_key.value),
                    endpoint: self.endpoint(&path, raw.endpoint.as_ref(), PAGERDUTY_ENDPOINT),
                }
            }
            _ => {
                let raw: RawOpsgenieChannel = self.read_channel(&specific, &path)?;
                self.secret_text(&path, "api_key", &raw.api_key);
                ChannelKind::Opsgenie {
                    api_key: Secret::new(raw.api_key.value),
                    endpoint: self.endpoint(&path, raw.endpoint.as_ref(), OPSGENIE_ENDPOINT),
                }
            }
        };
        let max_age = self.duration(
            &path,
            "max_age",
            &shared.max_age,
            Duration::from_secs(86_400),
            true,
        );
        let request_timeout = self.duration(
            &path,
            "request_timeout",
            &shared.request_timeout,
            Duration::from_secs(10),
            true,
        );
        let rate_limit_per_minute = match &shared.rate_limit_per_minute {
            None => NonZeroU32::new(60).expect("non-zero"),
            Some(rate) => match u32::try_from(rate.value).ok().and_then(NonZeroU32::new) {
                Some(rate) => rate,
                None => {
                    self.invalid(
                        rate.at(),
                        &path,
                        "rate_limit_per_minute",
                        "must be a whole number of at least 1".into(),
                    );
                    NonZeroU32::MIN
                }
            },
        };
        let retry = match &shared.retry {
            Some(retry) => self.retry(&path, &retry.value),
            None => RetryConfig {
                initial: Duration::from_secs(1),
                ..RetryConfig::default()
            },
        };
        (self.problems.len() == before).then(|| ChannelConfig {
            id: id.to_string(),
            kind,
            max_age,
            rate_limit_per_minute,
            request_timeout,
            retry,
            tls,
        })
    }

    fn read_channel<T: serde::de::DeserializeOwned>(
        &mut self,
        node: &Node,
        path: &[String],
    ) -> Option<T> {
        match read::<T>(node, path) {
            Ok(raw) => Some(raw),
            Err(error) => {
                self.read_problem(error, CHANNEL_SHARED_KEYS);
                None
            }
        }
    }

    /// A URL holding a token: checked, never shown.
    fn secret_url(&mut self, table: &[String], key: &str, url: &Located<String>) {
        let ok = url.value.parse::<hyper::Uri>().ok().is_some_and(|u| {
            matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some()
        });
        if !ok {
            let message = "is not an http(s):// URL (the value is not shown: it is a secret; check the environment variable or file it comes from)";
            self.invalid(url.at(), table, key, message.into());
        }
    }

    pub(super) fn secret_text(&mut self, table: &[String], key: &str, value: &Located<String>) {
        if value.value.trim().is_empty() || value.value.chars().any(|c| c.is_control()) {
            let message = "must not be empty nor contain line breaks (check the environment variable or file it comes from)";
            self.invalid(value.at(), table, key, message.into());
        }
    }

    fn endpoint(
        &mut self,
        table: &[String],
        value: Option<&Located<String>>,
        default: &str,
    ) -> String {
        let Some(value) = value else {
            return default.to_string();
        };
        let ok = value.value.parse::<hyper::Uri>().ok().is_some_and(|u| {
            matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some()
        });
        if !ok {
            let message = format!(
                "\"{}\" is not an http(s):// URL, e.g. \"{default}\"",
                value.shown()
            );
            self.invalid(value.at(), table, "endpoint", message);
        }
        value.value.clone()
    }
}
