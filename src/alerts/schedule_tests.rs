//! `schedule`: business hours in Europe/Berlin (read from the system's
//! zoneinfo) across both daylight-saving changes of 2026, the Friday
//! 18:00 edge, routing, and `hours` errors with their position.

use std::time::Duration;

use super::schedule::{channels_at, BusinessHours};
use crate::config::{AlertConfig, ScheduleConfig};
use crate::event::Severity;

fn at(utc: &str) -> u64 {
    chrono::DateTime::parse_from_rfc3339(utc)
        .unwrap()
        .timestamp_millis() as u64
}

fn berlin() -> tz::TimeZone {
    super::timezone::load("Europe/Berlin").expect("tzdata is installed (/usr/share/zoneinfo)")
}

#[test]
fn office_hours_follow_the_wall_clock_across_daylight_saving() {
    let zone = berlin();
    let hours = BusinessHours::parse("Mon-Fri 09:00-18:00").unwrap();
    let cases = [
        // Before the spring change (CET, UTC+1).
        ("2026-03-27T07:30:00Z", false, "Fri 08:30 CET"),
        ("2026-03-27T08:00:00Z", true, "Fri 09:00 CET"),
        // After it (CEST, UTC+2): the same UTC time is now inside.
        ("2026-03-30T07:30:00Z", true, "Mon 09:30 CEST"),
        ("2026-03-30T06:59:59Z", false, "Mon 08:59:59 CEST"),
        ("2026-03-30T15:59:59Z", true, "Mon 17:59:59 CEST"),
        ("2026-03-30T16:00:00Z", false, "Mon 18:00 CEST"),
        // The Friday 18:00 edge (CET again).
        ("2026-11-27T16:59:59Z", true, "Fri 17:59:59 CET"),
        ("2026-11-27T17:00:00Z", false, "Fri 18:00 CET"),
        ("2026-11-28T10:00:00Z", false, "Sat 11:00 CET"),
        ("2026-11-30T08:00:00Z", true, "Mon 09:00 CET"),
    ];
    for (utc, inside, what) in cases {
        assert_eq!(
            hours.contains_instant(&zone, at(utc)),
            inside,
            "{what} ({utc})"
        );
    }
}

#[test]
fn skipped_and_repeated_local_hours_on_change_days() {
    let zone = berlin();
    let hours = BusinessHours::parse("Sun 02:00-03:00").unwrap();
    // 29 March: 02:00 CET jumps to 03:00 CEST; 02:xx never happens.
    assert!(
        !hours.contains_instant(&zone, at("2026-03-29T00:59:59Z")),
        "01:59:59 CET"
    );
    assert!(
        !hours.contains_instant(&zone, at("2026-03-29T01:00:00Z")),
        "03:00 CEST"
    );
    // 25 October: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    assert!(
        hours.contains_instant(&zone, at("2026-10-25T00:30:00Z")),
        "02:30 CEST"
    );
    assert!(
        hours.contains_instant(&zone, at("2026-10-25T01:30:00Z")),
        "02:30 CET"
    );
    assert!(
        !hours.contains_instant(&zone, at("2026-10-25T02:00:00Z")),
        "03:00 CET"
    );
}

#[test]
fn several_ranges_and_wrapping_day_spans() {
    let hours = BusinessHours::parse("Fri-Mon 10:00-11:00, Wed 08:00-09:00 13:00-24:00").unwrap();
    let minute = |h: u16, m: u16| h * 60 + m;
    for day in [4, 5, 6, 0] {
        assert!(hours.contains(day, minute(10, 30)), "day {day}");
    }
    assert!(!hours.contains(1, minute(10, 30)), "Tuesday");
    assert!(hours.contains(2, minute(8, 0)) && !hours.contains(2, minute(9, 0)));
    assert!(hours.contains(2, minute(23, 59)));
}

#[test]
fn malformed_hours_are_refused_with_the_position() {
    let cases = [
        ("Mon-Fri 9:00-18:00", 8, "not a time"),
        ("Mon-Fry 09:00-18:00", 4, "\"Fry\" is not a day"),
        ("Mon 18:00-09:00", 10, "ends before it starts"),
        ("Mon-Fri", 0, "expected days then a time range"),
        ("Mon 09:00-18:00,", 16, "empty entry"),
        ("Mon 09:00-25:00", 10, "not a time"),
        ("Mon 0900-1800", 4, "not a time"),
    ];
    for (text, at, says) in cases {
        let error = BusinessHours::parse(text).unwrap_err();
        assert_eq!(error.at, at, "{text}: {error}");
        assert!(error.to_string().contains(says), "{text}: {error}");
    }
}

#[test]
fn inside_hours_go_to_channels_outside_to_off_hours_channels() {
    let mut config = AlertConfig {
        id: "x".into(),
        when: "true".into(),
        threshold: None,
        cooldown: Duration::ZERO,
        channels: vec!["slack".into()],
        severity: Severity::Warning,
        title: None,
        message: None,
        runbook: None,
        digest: None,
        schedule: None,
    };
    let friday_evening = at("2026-11-27T17:00:00Z");
    assert_eq!(
        channels_at(&config, friday_evening),
        ["slack"],
        "no schedule: always"
    );
    config.schedule = Some(ScheduleConfig {
        timezone: "Europe/Berlin".into(),
        zone: berlin(),
        hours: BusinessHours::parse("Mon-Fri 09:00-18:00").unwrap(),
        off_hours_channels: vec!["pagerduty".into()],
    });
    assert_eq!(channels_at(&config, friday_evening - 1000), ["slack"]);
    assert_eq!(channels_at(&config, friday_evening), ["pagerduty"]);
}

#[test]
fn unknown_and_unsafe_zone_names_are_refused() {
    let message = super::timezone::load("Europe/Berln")
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("unknown time zone \"Europe/Berln\""),
        "{message}"
    );
    for bad in ["../etc/passwd", "/etc/localtime", "Europe/../../x", ""] {
        let message = super::timezone::load(bad).unwrap_err().to_string();
        assert!(
            message.contains("is not an IANA time zone name"),
            "{bad}: {message}"
        );
    }
    assert!(super::timezone::load("UTC").is_ok());
}
