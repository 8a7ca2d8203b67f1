//! Validation of `[alerts.ID]`: each rule's `when` compiled (an error
//! points at the offending character), templates and `group_by` fields
//! known, channel references resolved, `digest` alone with what it
//! replaces, `schedule`'s zone found and `hours` parsed (an error points
//! at the character).

use std::time::Duration;

use super::super::document::Entry;
use super::super::error::closest;
use super::super::located::Located;
use super::super::raw_alerts::*;
use super::{path_of, Validator};
use crate::alerts::event_fields::is_known_path;
use crate::alerts::schedule::BusinessHours;
use crate::alerts::template::Template;
use crate::config::{AlertConfig, ScheduleConfig, ThresholdConfig};
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
        let digest = raw.digest.as_ref().map(|d| {
            self.duration(
                &path,
                "digest",
                &Some(d.clone()),
                Duration::from_secs(900),
                true,
            )
        });
        if digest.is_some() {
            for (key, at) in [
                ("threshold", raw.threshold.as_ref().map(Located::at)),
                ("cooldown", raw.cooldown.as_ref().map(Located::at)),
                ("title", raw.title.as_ref().map(Located::at)),
                ("message", raw.message.as_ref().map(Located::at)),
            ] {
                if let Some(at) = at {
                    let message = "cannot be combined with digest (a digest already sends at most one summary per interval, with its own title); remove one of them";
                    self.invalid(at, &path, key, message.into());
                }
            }
        }
        let schedule = raw
            .schedule
            .as_ref()
            .and_then(|s| self.schedule(&path, &s.value, channels));
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
            self.channel_reference(&path, "channels", channel, channels);
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
            digest,
            schedule,
        })
    }

    fn schedule(
        &mut self,
        alert: &[String],
        raw: &RawSchedule,
        channels: &[&str],
    ) -> Option<ScheduleConfig> {
        let table: Vec<String> = alert
            .iter()
            .cloned()
            .chain(["schedule".to_string()])
            .collect();
        let zone = match crate::alerts::timezone::load(&raw.timezone.value) {
            Ok(zone) => Some(zone),
            Err(error) => {
                self.invalid(raw.timezone.at(), &table, "timezone", error.to_string());
                None
            }
        };
        let hours = match BusinessHours::parse(&raw.hours.value) {
            Ok(hours) => Some(hours),
            Err(error) => {
                // Point at the character: after the opening quote.
                self.invalid(
                    raw.hours.at() + 1 + error.at,
                    &table,
                    "hours",
                    error.to_string(),
                );
                None
            }
        };
        for channel in &raw.off_hours_channels.value {
            self.channel_reference(&table, "off_hours_channels", channel, channels);
        }
        Some(ScheduleConfig {
            timezone: raw.timezone.value.clone(),
            zone: zone?,
            hours: hours?,
            off_hours_channels: raw
                .off_hours_channels
                .value
                .iter()
                .map(|c| c.value.clone())
                .collect(),
        })
    }

    /// `channel` must be one of `channels` (configured ids).
    fn channel_reference(
        &mut self,
        table: &[String],
        key: &str,
        channel: &Located<String>,
        channels: &[&str],
    ) {
        if !channels.contains(&channel.value.as_str()) {
            let hint = closest(&channel.value, channels.iter().copied())
                .map(|s| format!(" (did you mean \"{s}\"?)"))
                .unwrap_or_default();
            let message = format!(
                "\"{}\" is not a configured [channels.ID]{hint}",
                channel.value
            );
            self.invalid(channel.at(), table, key, message);
        }
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
