//! Reading CEF value forms: the date forms of `rt` and the other date
//! fields, the header Severity, and the firewall verdicts of `act` (ArcSight
//! "Implementing ArcSight CEF", rev. 25: "Date formats", "Severity").

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use super::outcome::outcome_from_word;
use super::time::{parse_rfc3164, parse_time_text};
use crate::event::{Outcome, Severity};

/// Firewall verdicts, as Check Point, Fortinet and Palo Alto write `act`.
pub(super) fn firewall_outcome(act: &str) -> Option<Outcome> {
    match act.trim().to_ascii_lowercase().as_str() {
        "accept" | "allow" | "allowed" | "permit" | "pass" | "bypass" => Some(Outcome::Success),
        "drop" | "deny" | "block" | "blocked" | "reject" | "prevent" | "detect" | "dropped" => {
            Some(Outcome::Blocked)
        }
        other => outcome_from_word(other),
    }
}

/// CEF severity: 0–10 or Low / Medium / High / Very-High (spec "Severity").
pub(super) fn cef_severity(text: &str) -> Option<Severity> {
    let t = text.trim().to_ascii_lowercase();
    Some(match t.as_str() {
        "low" => Severity::Info,
        "medium" => Severity::Warning,
        "high" => Severity::Error,
        "very-high" | "very high" | "veryhigh" => Severity::Critical,
        _ => match t.parse::<u8>().ok()? {
            0..=3 => Severity::Info,
            4..=6 => Severity::Warning,
            7..=8 => Severity::Error,
            9..=10 => Severity::Critical,
            _ => return None,
        },
    })
}

/// `rt` and the other CEF date fields: epoch milliseconds, `MMM dd yyyy
/// HH:mm:ss[.SSS][ zone]` (zone `UTC`/`GMT`/`Z` or an offset), `MMM dd
/// HH:mm:ss`, or RFC 3339.
pub(super) fn parse_cef_time(text: &str, reference: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.bytes().all(|b| b.is_ascii_digit()) && !text.is_empty() {
        let millis: i64 = text.parse().ok()?;
        return Utc.timestamp_millis_opt(millis).single();
    }
    if let Some(t) = parse_time_text(text) {
        return Some(t);
    }
    let (stamp, zone) = match text.rsplit_once(' ') {
        Some((stamp, zone)) if zone.bytes().any(|b| b.is_ascii_alphabetic() || b == b'+') => {
            (stamp, Some(zone))
        }
        _ => (text, None),
    };
    for format in ["%b %d %Y %H:%M:%S%.f", "%b %d %Y %H:%M:%S"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(stamp, format) {
            let utc = naive.and_utc();
            return match zone {
                None | Some("UTC" | "GMT" | "Z") => Some(utc),
                Some(offset) => {
                    let with = format!("{} {offset}", naive.format("%Y-%m-%dT%H:%M:%S%.f"));
                    DateTime::parse_from_str(&with, "%Y-%m-%dT%H:%M:%S%.f %z")
                        .ok()
                        .map(|t| t.to_utc())
                }
            };
        }
    }
    parse_rfc3164(text, reference)
}
