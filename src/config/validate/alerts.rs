//! Validation of `[alerts.ID]`: each rule's `when` compiled (an error
//! points at the offending character), templates and `group_by` fields
//! known, channel references resolved.

use std::time::Duration;

use super::super::document::Entry;
use super::super::error::closest;
use super::super::located::Located;
use super::super::raw_alerts::*;
use super::{path_of, Validator};
use crate::alerts::event_fields::is_known_path;
use crate::alerts::template::Template;
use crate::config::{AlertConfig, ThresholdConfig};
use crate::event::Severity;

impl Validator {
    /// One `[alerts.ID]`; `channels` are the configured channel ids.
    pub(super) fn alert(&mut self, entry: &Entry, channels: &[&str]) -> Option<AlertConfig> {
        let id = entry.key.as_str();
        let path = path_of(&["alerts", id]);
        let raw: RawAlert = self.read_component(entry, &path)?;
        let before = self.problems.len();
        if let Err(error) = crate::alerts::expr::compile(&raw.when.value) {
            // Point at the character: after the opening quote, on line 1.
            let at = raw.when.at() + if error.line == 1 { error.column } else { 1 };
            self.invalid(at, &path, "when", error.to_string());
        }
        for (key, value) in [
            ("digest", raw.digest.as_ref().map(Located::at)),
            ("schedule", raw.schedule.as_ref().map(Located::at)),
        ] {
            if let Some(at) = value {
                self.invalid(at, &path, key, "is not available in this version of auditship yet; remove it (use cooldown to limit repeats)".into());
            }
        }
        let threshold = raw
            .threshold
            .as_ref()
            .and_then(|t| self.threshold(&path, &t.value));
        let cooldown = self.duration(&path, "cooldown", &raw.cooldown, Duration::ZERO, false);
        if raw.channels.value.is_empty() {
            self.invalid(
                raw.channels.at(),
                &path,
                "channels",
                "must name at least one [channels.ID]".into(),
            );
        }
        for channel in &raw.channels.value {
            if !channels.contains(&channel.value.as_str()) {
                let hint = closest(&channel.value, channels.iter().copied())
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                let message = format!(
                    "\"{}\" is not a configured [channels.ID]{hint}",
                    channel.value
                );
                self.invalid(channel.at(), &path, "channels", message);
            }
        }
        let severity = match &raw.severity {
            None => Severity::Warning,
            Some(s) => Severity::parse(&s.value).unwrap_or_else(|| {
                let message = format!("\"{}\" is not a severity (debug, info, notice, warning, error, critical, alert, emergency)", s.value);
                self.invalid(s.at(), &path, "severity", message);
                Severity::Warning
            }),
        };
        for (key, template) in [("title", &raw.title), ("message", &raw.message)] {
            if let Some(template) = template {
                if let Err(error) = Template::parse(&template.value) {
                    self.invalid(template.at(), &path, key, error.to_string());
                }
            }
        }
        if let Some(runbook) = &raw.runbook {
            if !runbook.value.starts_with("https://") && !runbook.value.starts_with("http://") {
                self.invalid(
                    runbook.at(),
                    &path,
                    "runbook",
                    "must be an http(s):// link".into(),
                );
            }
        }
        (self.problems.len() == before).then(|| AlertConfig {
            id: id.to_string(),
            when: raw.when.value,
            threshold,
            cooldown,
            channels: raw.channels.value.into_iter().map(|c| c.value).collect(),
            severity,
            title: raw.title.map(|t| t.value),
            message: raw.message.map(|m| m.value),
            runbook: raw.runbook.map(|r| r.value),
        })
    }

    fn threshold(&mut self, alert: &[String], raw: &RawThreshold) -> Option<ThresholdConfig> {
        let table: Vec<String> = alert
            .iter()
            .cloned()
            .chain(["threshold".to_string()])
            .collect();
        let count = match u32::try_from(raw.count.value) {
            Ok(count) if count >= 1 => count,
            _ => {
                self.invalid(
                    raw.count.at(),
                    &table,
                    "count",
                    "must be a whole number of at least 1".into(),
                );
                1
            }
        };
        let window = self.duration(
            &table,
            "window",
            &Some(raw.window.clone()),
            Duration::from_secs(60),
            true,
        );
        let mut group_by = Vec::new();
        for field in raw.group_by.iter().flatten() {
            if !is_known_path(&field.value) {
                let message = format!("\"{}\" is not an event field (e.g. actor.id, source.ip, tenant.id, details.NAME)", field.value);
                self.invalid(field.at(), &table, "group_by", message);
            }
            group_by.push(field.value.clone());
        }
        let max_groups = match &raw.max_groups {
            None => crate::alerts::window::DEFAULT_MAX_GROUPS,
            Some(n) if (1..=10_000_000).contains(&n.value) => n.value as usize,
            Some(n) => {
                self.invalid(
                    n.at(),
                    &table,
                    "max_groups",
                    "must be between 1 and 10000000".into(),
                );
                1
            }
        };
        Some(ThresholdConfig {
            count,
            window,
            group_by,
            max_groups,
        })
    }
}
