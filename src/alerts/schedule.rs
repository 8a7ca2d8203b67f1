//! `schedule`: business hours in a time zone, deciding which channels a
//! notification goes to (`channels` inside the hours, `off_hours_channels`
//! outside), as escalation policies do.
//!
//! `hours` grammar (parsed once at start; an error names the character):
//!
//! ```text
//! hours  = spec ("," spec)*            "Mon-Fri 09:00-18:00, Sat 10:00-14:00"
//! spec   = days range (" " range)*     "Mon-Fri 09:00-12:00 13:00-18:00"
//! days   = day | day "-" day           Mon Tue Wed Thu Fri Sat Sun; "Fri-Mon" wraps
//! range  = HH:MM "-" HH:MM             start < end; end may be 24:00
//! ```
//!
//! A range includes its start and excludes its end: with `09:00-18:00`,
//! 17:59:59 is inside and 18:00:00 is outside. The local time is found
//! from the zone's rules at each instant (tz data read at start, see
//! `timezone`), so daylight-saving changes move the hours with the clock
//! on the wall; a local time skipped by a change never occurs.

use std::fmt;

/// Weekday names, Monday first.
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Inside-hours ranges for each weekday (Monday = 0), in minutes of the
/// local day, `[start, end)`.
#[derive(Clone, PartialEq, Eq)]
pub struct BusinessHours {
    by_day: [Vec<(u16, u16)>; 7],
}

impl fmt::Debug for BusinessHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(DAYS.iter().zip(&self.by_day).filter(|(_, r)| !r.is_empty()))
            .finish()
    }
}

/// Why `hours` cannot be read: `at` is the 0-based character offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at character {} (e.g. \"Mon-Fri 09:00-18:00, Sat 10:00-14:00\")", .at + 1)]
pub struct HoursError {
    pub at: usize,
    pub message: String,
}

fn error(at: usize, message: impl Into<String>) -> HoursError {
    HoursError {
        at,
        message: message.into(),
    }
}

impl BusinessHours {
    pub fn parse(text: &str) -> Result<BusinessHours, HoursError> {
        let mut by_day: [Vec<(u16, u16)>; 7] = Default::default();
        let mut offset = 0;
        for spec in text.split(',') {
            let mut words = Vec::new();
            let mut at = offset;
            for word in spec.split(' ') {
                if !word.is_empty() {
                    words.push((at, word));
                }
                at += word.len() + 1;
            }
            let Some(&(days_at, days)) = words.first() else {
                return Err(error(offset, "empty entry"));
            };
            if words.len() < 2 {
                return Err(error(days_at, "expected days then a time range"));
            }
            let days = parse_days(days_at, days)?;
            for &(range_at, range) in &words[1..] {
                let range = parse_range(range_at, range)?;
                for &day in &days {
                    by_day[day].push(range);
                }
            }
            offset += spec.len() + 1;
        }
        Ok(BusinessHours { by_day })
    }

    /// Whether `minute` (of the local day) of `weekday` (Monday = 0) is
    /// inside the hours.
    pub fn contains(&self, weekday: usize, minute: u16) -> bool {
        self.by_day[weekday % 7]
            .iter()
            .any(|&(start, end)| start <= minute && minute < end)
    }

    /// Whether the instant `unix_ms` is inside the hours in `zone`.
    pub fn contains_instant(&self, zone: &tz::TimeZone, unix_ms: u64) -> bool {
        let secs = (unix_ms / 1000) as i64;
        let offset = zone
            .find_local_time_type(secs)
            .map_or(0, |t| i64::from(t.ut_offset()));
        let local = secs + offset;
        // 1970-01-01 was a Thursday (3 with Monday = 0).
        let weekday = (local.div_euclid(86_400) + 3).rem_euclid(7) as usize;
        let minute = (local.rem_euclid(86_400) / 60) as u16;
        self.contains(weekday, minute)
    }
}

fn parse_day(at: usize, word: &str) -> Result<usize, HoursError> {
    DAYS.iter()
        .position(|d| d.eq_ignore_ascii_case(word))
        .ok_or_else(|| {
            error(
                at,
                format!("\"{word}\" is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)"),
            )
        })
}

fn parse_days(at: usize, word: &str) -> Result<Vec<usize>, HoursError> {
    match word.split_once('-') {
        None => Ok(vec![parse_day(at, word)?]),
        Some((first, last)) => {
            let first = parse_day(at, first)?;
            let last = parse_day(at + word.find('-').unwrap_or(0) + 1, last)?;
            let count = (last + 7 - first) % 7 + 1;
            Ok((0..count).map(|i| (first + i) % 7).collect())
        }
    }
}

fn parse_time(at: usize, text: &str) -> Result<u16, HoursError> {
    let bad = || error(at, format!("\"{text}\" is not a time HH:MM"));
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn parse_range(at: usize, word: &str) -> Result<(u16, u16), HoursError> {
    let Some((start, end)) = word.split_once('-') else {
        return Err(error(
            at,
            format!("\"{word}\" is not a time range HH:MM-HH:MM"),
        ));
    };
    let end_at = at + start.len() + 1;
    let (start, end) = (parse_time(at, start)?, parse_time(end_at, end)?);
    if start >= end {
        return Err(error(
            end_at,
            "the range ends before it starts (split a range over midnight in two: \"Mon 22:00-24:00, Tue 00:00-06:00\")",
        ));
    }
    Ok((start, end))
}

/// The channels a notification of `config` fired at `unix_ms` goes to.
pub fn channels_at(config: &crate::config::AlertConfig, unix_ms: u64) -> &[String] {
    match &config.schedule {
        Some(s) if !s.hours.contains_instant(&s.zone, unix_ms) => &s.off_hours_channels,
        _ => &config.channels,
    }
}
