//! Reading times in every form audit sources write them; output is always
//! UTC with nanoseconds kept. Public so every format shares one reading.
//!
//! Accepted (see [`parse_time_text`]):
//! - RFC 3339 with any offset: `2026-03-27T10:30:15.123456789+02:00`, `Z`/`z`.
//! - Its relatives: `,` as the decimal mark (`10:30:15,109`), a space instead
//!   of `T`, offsets written `+0200` or `+02`, seconds left out, a bare date
//!   (midnight). A time **without a zone is read as UTC** — the agent cannot
//!   know the writer's zone, and UTC is what servers log in.
//! - Epochs, as numbers or numeric strings, the unit told by magnitude:
//!   below 10^11 seconds, below 10^14 milliseconds, below 10^17
//!   microseconds, else nanoseconds. A fraction is read as part of that
//!   unit (`1774607415.123` seconds).
//! - RFC 3164 `Mmm dd hh:mm:ss` ([`parse_rfc3164`]): the year comes from a
//!   reference time, one year earlier when the date would be more than a
//!   day ahead of it (a December line read in January).
//! - auditd `SECS.MS` as in `msg=audit(1364481363.243:24287)`
//!   ([`parse_auditd_time`]).
//!
//! Invariant: total — any input gives `Some(time)` or `None`, never a panic.
//! A time is only `Some` in the years RFC 3339 can write, 0000–9999
//! ([`writable`]).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc};
use serde_json::{Number, Value};

/// Reads a JSON value as a time: numbers as epochs, strings by
/// [`parse_time_text`].
pub fn parse_time_value(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::Number(n) => parse_epoch_number(n),
        Value::String(s) => parse_time_text(s),
        _ => None,
    }
}

/// Reads an RFC 3339-like timestamp or a numeric epoch string.
pub fn parse_time_text(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let first = *text.as_bytes().first()?;
    if looks_like_epoch(text) {
        return parse_epoch_text(text);
    }
    if first.is_ascii_digit() {
        return parse_rfc3339_like(text);
    }
    None
}

fn looks_like_epoch(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let mut dots = 0;
    !digits.is_empty()
        && digits.bytes().all(|b| {
            if b == b'.' {
                dots += 1;
                dots == 1
            } else {
                b.is_ascii_digit()
            }
        })
        && !digits.starts_with('.')
}

/// An epoch as a JSON number; the unit told by magnitude.
pub fn parse_epoch_number(n: &Number) -> Option<DateTime<Utc>> {
    if let Some(i) = n.as_i64() {
        return epoch_from_parts(i128::from(i), 0, 0);
    }
    if let Some(u) = n.as_u64() {
        return epoch_from_parts(i128::from(u), 0, 0);
    }
    // A float: its shortest decimal text keeps every digit it holds.
    let text = n.to_string();
    if looks_like_epoch(&text) {
        return parse_epoch_text(&text);
    }
    epoch_from_float(n.as_f64()?)
}

/// An epoch written as decimal text, `1774607415` or `1774607415.123456`.
pub fn parse_epoch_text(text: &str) -> Option<DateTime<Utc>> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() || int_part.len() > 30 || !all_digits(int_part) || !all_digits(frac_part)
    {
        return None;
    }
    let mut whole: i128 = int_part.parse().ok()?;
    if negative {
        whole = -whole;
    }
    // Up to 18 fraction digits, as a fraction numerator over 10^digits.
    let frac_digits = &frac_part[..frac_part.len().min(18)];
    let numerator: i128 = if frac_digits.is_empty() {
        0
    } else {
        frac_digits.parse().ok()?
    };
    let numerator = if negative { -numerator } else { numerator };
    epoch_from_parts(whole, numerator, frac_digits.len() as u32)
}

/// `whole + numerator / 10^scale` in the unit its magnitude implies.
fn epoch_from_parts(whole: i128, numerator: i128, scale: u32) -> Option<DateTime<Utc>> {
    let magnitude = whole.unsigned_abs();
    // Nanoseconds per unit.
    let unit: i128 = if magnitude < 100_000_000_000 {
        1_000_000_000
    } else if magnitude < 100_000_000_000_000 {
        1_000_000
    } else if magnitude < 100_000_000_000_000_000 {
        1_000
    } else {
        1
    };
    let frac_nanos = numerator.checked_mul(unit)? / 10i128.checked_pow(scale)?;
    let nanos = whole.checked_mul(unit)?.checked_add(frac_nanos)?;
    from_unix_nanos(nanos)
}

fn epoch_from_float(f: f64) -> Option<DateTime<Utc>> {
    if !f.is_finite() {
        return None;
    }
    let magnitude = f.abs();
    let unit = if magnitude < 1e11 {
        1e9
    } else if magnitude < 1e14 {
        1e6
    } else if magnitude < 1e17 {
        1e3
    } else {
        1.0
    };
    let nanos = f * unit;
    if nanos.abs() > 9.0e27 {
        return None;
    }
    from_unix_nanos(nanos as i128)
}

fn from_unix_nanos(nanos: i128) -> Option<DateTime<Utc>> {
    let secs = i64::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
    let sub = u32::try_from(nanos.rem_euclid(1_000_000_000)).ok()?;
    writable(Utc.timestamp_opt(secs, sub).single()?)
}

/// `t` if its year has four digits (0000–9999), as RFC 3339 writes years.
///
/// Why: chrono reads times up to year ±262,143 (a 13-digit auditd stamp
/// in seconds is year 48,903) and writes such years with a sign
/// (`+48903-06-08T…`), which no RFC 3339 reader takes back — the agent's
/// own included, so the event's line could not be read by an aggregator
/// or `auditship verify`. Found by fuzzing (`fuzz/`). Such a stamp is
/// garbage, not a time: the event keeps its ingest time, as for any
/// unreadable time.
fn writable(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (0..=9999).contains(&t.year()).then_some(t)
}

/// A cursor over ASCII bytes for the hand-written timestamp readers.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Cursor<'a> {
        Cursor {
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Exactly `n` ASCII digits as a number.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let slice = self.bytes.get(self.pos..self.pos + n)?;
        let mut v = 0u32;
        for &b in slice {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(b - b'0');
        }
        self.pos += n;
        Some(v)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}

/// `YYYY-MM-DD[(T|t| )hh:mm[:ss][(.|,)frac]][Z|±hh[:mm]|±hhmm]`; no zone → UTC.
fn parse_rfc3339_like(text: &str) -> Option<DateTime<Utc>> {
    let mut c = Cursor::new(text);
    let year = c.digits(4)?;
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    if c.at_end() {
        return Some(date.and_hms_opt(0, 0, 0)?.and_utc());
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    let hour = c.digits(2)?;
    if !c.eat(b':') {
        return None;
    }
    let minute = c.digits(2)?;
    let mut second = 0;
    let mut nanos = 0u32;
    if c.eat(b':') {
        second = c.digits(2)?;
        if c.eat(b'.') || c.eat(b',') {
            nanos = fraction_nanos(&mut c)?;
        }
    }
    let offset_secs = zone_offset_seconds(&mut c)?;
    if !c.at_end() {
        return None;
    }
    let naive = naive_with_leap_second(date, hour, minute, second, nanos)?;
    let utc = naive.checked_sub_signed(TimeDelta::seconds(i64::from(offset_secs)))?;
    writable(utc.and_utc())
}

/// Reads fraction digits (at least one), keeping the first nine.
fn fraction_nanos(c: &mut Cursor<'_>) -> Option<u32> {
    let mut nanos = 0u32;
    let mut count = 0;
    while let Some(b) = c.peek().filter(u8::is_ascii_digit) {
        if count < 9 {
            nanos = nanos * 10 + u32::from(b - b'0');
        }
        count += 1;
        c.pos += 1;
    }
    if count == 0 {
        return None;
    }
    for _ in count..9 {
        nanos *= 10;
    }
    Some(nanos)
}

/// `Z`, `±hh:mm`, `±hhmm`, `±hh` or nothing (UTC), as seconds east of UTC.
fn zone_offset_seconds(c: &mut Cursor<'_>) -> Option<i32> {
    // Tolerate one space before the zone (`10:30:15 +0000`).
    let save = c.pos;
    c.eat(b' ');
    if c.eat(b'Z') || c.eat(b'z') {
        return Some(0);
    }
    let sign = if c.eat(b'+') {
        1
    } else if c.eat(b'-') {
        -1
    } else {
        c.pos = save;
        return Some(0);
    };
    let hours = c.digits(2)?;
    let minutes = if c.eat(b':') {
        c.digits(2)?
    } else {
        c.digits(2).unwrap_or(0)
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * i32::try_from(hours * 3600 + minutes * 60).ok()?)
}

/// A naive time, second 60 read as chrono's leap-second form.
fn naive_with_leap_second(
    date: NaiveDate,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
) -> Option<NaiveDateTime> {
    if second == 60 {
        date.and_hms_nano_opt(hour, minute, 59, 1_000_000_000 + nanos)
    } else {
        date.and_hms_nano_opt(hour, minute, second, nanos)
    }
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Reads an RFC 3164 timestamp `Mmm dd hh:mm:ss` (day space- or
/// zero-padded) as UTC. The year is `reference`'s, or the one before when
/// that would put the time more than a day after `reference`.
pub fn parse_rfc3164(text: &str, reference: DateTime<Utc>) -> Option<DateTime<Utc>> {
    parse_rfc3164_at_offset(text, reference, FixedOffset::east_opt(0)?)
}

/// [`parse_rfc3164`] for a writer whose clock runs at `offset` from UTC.
pub fn parse_rfc3164_at_offset(
    text: &str,
    reference: DateTime<Utc>,
    offset: FixedOffset,
) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let month_text = bytes.get(..3)?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(month_text))? as u32
        + 1;
    let mut c = Cursor::new(text);
    c.pos = 3;
    if !c.eat(b' ') {
        return None;
    }
    let day = if c.eat(b' ') {
        c.digits(1)?
    } else {
        c.digits(2).or_else(|| c.digits(1))?
    };
    if !c.eat(b' ') {
        return None;
    }
    let hour = c.digits(2)?;
    let minute = if c.eat(b':') {
        c.digits(2)?
    } else {
        return None;
    };
    let second = if c.eat(b':') {
        c.digits(2)?
    } else {
        return None;
    };
    let nanos = if c.eat(b'.') {
        fraction_nanos(&mut c)?
    } else {
        0
    };
    if !c.at_end() {
        return None;
    }
    let latest = reference + TimeDelta::days(1);
    let year = reference.with_timezone(&offset).year();
    // Try this year, then the one before (and before that, for 29 February).
    (0..=4).find_map(|back| {
        let date = NaiveDate::from_ymd_opt(year - back, month, day)?;
        let naive = naive_with_leap_second(date, hour, minute, second, nanos)?;
        let t = offset.from_local_datetime(&naive).single()?.to_utc();
        (t <= latest).then_some(t)
    })
}

/// Reads the auditd stamp `SECS.MS`, also inside `audit(SECS.MS:SERIAL)`,
/// `msg=audit(…)` or followed by `:SERIAL`.
pub fn parse_auditd_time(text: &str) -> Option<DateTime<Utc>> {
    parse_auditd_stamp(text).map(|(t, _)| t)
}

/// Reads an auditd stamp and its serial: `1364481363.243:24287` →
/// (time, `Some(24287)`).
pub fn parse_auditd_stamp(text: &str) -> Option<(DateTime<Utc>, Option<u64>)> {
    let mut text = text.trim();
    text = text.strip_prefix("msg=").unwrap_or(text);
    if let Some(inner) = text.strip_prefix("audit(") {
        text = inner.strip_suffix(':').unwrap_or(inner);
        text = text.strip_suffix(')').unwrap_or(text);
    }
    let (stamp, serial) = match text.split_once(':') {
        Some((stamp, serial)) => (stamp, Some(serial.parse().ok()?)),
        None => (text, None),
    };
    let (secs, millis) = stamp.split_once('.').unwrap_or((stamp, "0"));
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if millis.is_empty() || millis.len() > 9 || !millis.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    let mut nanos: u32 = millis.parse().ok()?;
    for _ in millis.len()..9 {
        nanos *= 10;
    }
    Some((writable(Utc.timestamp_opt(secs, nanos).single()?)?, serial))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn rfc3339_with_any_offset_reads_as_utc_keeping_nanoseconds() {
        assert_eq!(
            parse_time_text("2026-03-27T12:30:15.123456789+02:00"),
            Some(utc("2026-03-27T10:30:15.123456789Z"))
        );
        assert_eq!(
            parse_time_text("2026-03-27T10:30:15.123Z"),
            Some(utc("2026-03-27T10:30:15.123Z"))
        );
        assert_eq!(
            parse_time_text("2026-03-27t05:00:00-05:30"),
            Some(utc("2026-03-27T10:30:00Z"))
        );
        assert_eq!(
            parse_time_text("2023-06-19T15:18:47.298+00:00"),
            Some(utc("2023-06-19T15:18:47.298Z"))
        );
    }

    #[test]
    fn rfc3339_relatives_read_comma_space_short_offsets_and_no_zone_as_utc() {
        let want = utc("2018-10-31T09:34:25.109Z");
        assert_eq!(parse_time_text("2018-10-31T09:34:25,109"), Some(want));
        assert_eq!(parse_time_text("2018-10-31 09:34:25.109"), Some(want));
        assert_eq!(parse_time_text("2018-10-31T09:34:25,109Z"), Some(want));
        assert_eq!(parse_time_text("2018-10-31T10:34:25.109+0100"), Some(want));
        assert_eq!(parse_time_text("2018-10-31T10:34:25.109+01"), Some(want));
        assert_eq!(parse_time_text("2018-10-31 09:34:25.109 +0000"), Some(want));
        assert_eq!(
            parse_time_text("2018-10-31T09:34Z"),
            Some(utc("2018-10-31T09:34:00Z"))
        );
        assert_eq!(
            parse_time_text("2018-10-31"),
            Some(utc("2018-10-31T00:00:00Z"))
        );
        assert_eq!(
            parse_time_text("2016-12-31T23:59:60Z"),
            Some(utc("2016-12-31T23:59:60Z"))
        );
        // More than nine fraction digits: the rest is dropped.
        assert_eq!(
            parse_time_text("2026-03-27T10:30:15.1234567891Z"),
            Some(utc("2026-03-27T10:30:15.123456789Z"))
        );
    }

    #[test]
    fn malformed_times_are_none() {
        for text in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-02-30",
            "2026-03-27T25:00:00Z",
            "2026-03-27T10:30:15.Z",
            "2026-03-27T10:30:15Zjunk",
            "2026-03-27T10:30:15+99:00",
            "1.2.3",
            "-",
            "９",
        ] {
            assert_eq!(parse_time_text(text), None, "{text:?}");
        }
    }

    #[test]
    fn epochs_read_their_unit_from_magnitude() {
        let want = utc("2026-03-27T10:30:15Z");
        assert_eq!(parse_time_value(&json!(1_774_607_415)), Some(want));
        assert_eq!(parse_time_value(&json!(1_774_607_415_000u64)), Some(want));
        assert_eq!(
            parse_time_value(&json!(1_774_607_415_000_000u64)),
            Some(want)
        );
        assert_eq!(
            parse_time_value(&json!(1_774_607_415_000_000_000u64)),
            Some(want)
        );
        assert_eq!(parse_time_text("1774607415"), Some(want));
        assert_eq!(parse_time_text("1774607415000"), Some(want));
    }

    #[test]
    fn epoch_fractions_keep_precision() {
        assert_eq!(
            parse_time_text("1774607415.123456789"),
            Some(utc("2026-03-27T10:30:15.123456789Z"))
        );
        assert_eq!(
            parse_time_value(&json!(1774607415.5)),
            Some(utc("2026-03-27T10:30:15.5Z"))
        );
        assert_eq!(
            parse_time_text("1774607415123.456"),
            Some(utc("2026-03-27T10:30:15.123456Z"))
        );
        assert_eq!(parse_time_text("0"), Some(utc("1970-01-01T00:00:00Z")));
        assert_eq!(parse_time_text("-1"), Some(utc("1969-12-31T23:59:59Z")));
    }

    #[test]
    fn huge_or_odd_numbers_do_not_panic() {
        assert!(parse_time_value(&json!(u64::MAX)).is_some());
        assert_eq!(parse_time_value(&json!(1e300)), None);
        assert_eq!(parse_time_value(&json!(-1e300)), None);
        assert_eq!(parse_time_text(&"9".repeat(40)), None);
        assert_eq!(parse_time_value(&json!(true)), None);
        assert_eq!(parse_epoch_text("1.ééééééééééééééééééé"), None);
        assert_eq!(parse_epoch_text("+5"), None);
    }

    /// Found by fuzzing: chrono reads these, then writes them as
    /// `+48903-…`/`-0001-…`, which do not read back as RFC 3339.
    #[test]
    fn times_outside_years_0000_to_9999_are_none() {
        // Seconds since 1970 by magnitude stop at 10^11 (year 5138), but
        // an auditd stamp is always seconds.
        assert_eq!(parse_auditd_time("1543076992414.414"), None);
        assert_eq!(
            parse_auditd_stamp("msg=audit(1543076992414.414:385):"),
            None
        );
        assert_eq!(parse_epoch_text("-99999999999"), None);
        assert_eq!(parse_time_value(&json!(-99_999_999_999i64)), None);
        assert_eq!(parse_time_text("0000-01-01T00:00:00+01:00"), None);
        assert_eq!(parse_time_text("9999-12-31T23:59:59-01:00"), None);
        // The edges themselves are times.
        assert_eq!(
            parse_time_text("0000-01-01T00:00:00Z"),
            Some(utc("0000-01-01T00:00:00Z"))
        );
        assert_eq!(
            parse_auditd_time("253402300799.999"),
            Some(utc("9999-12-31T23:59:59.999Z"))
        );
    }

    #[test]
    fn rfc3164_takes_the_reference_year_and_rolls_back_from_the_future() {
        let reference = utc("2026-03-27T10:00:00Z");
        assert_eq!(
            parse_rfc3164("Mar 27 09:59:58", reference),
            Some(utc("2026-03-27T09:59:58Z"))
        );
        assert_eq!(
            parse_rfc3164("Feb  5 01:02:03", reference),
            Some(utc("2026-02-05T01:02:03Z"))
        );
        assert_eq!(
            parse_rfc3164("Dec 31 23:59:59", reference),
            Some(utc("2025-12-31T23:59:59Z"))
        );
        // A few hours of clock skew is not "the future".
        assert_eq!(
            parse_rfc3164("Mar 27 12:00:00", reference),
            Some(utc("2026-03-27T12:00:00Z"))
        );
        assert_eq!(
            parse_rfc3164("Feb 29 00:00:00", reference),
            Some(utc("2024-02-29T00:00:00Z"))
        );
        assert_eq!(parse_rfc3164("Foo 27 09:59:58", reference), None);
        assert_eq!(parse_rfc3164("Mar 27 09:59", reference), None);
    }

    #[test]
    fn rfc3164_reads_a_writer_offset() {
        let reference = utc("2026-03-27T10:00:00Z");
        let plus2 = FixedOffset::east_opt(7200).unwrap();
        assert_eq!(
            parse_rfc3164_at_offset("Mar 27 11:00:00", reference, plus2),
            Some(utc("2026-03-27T09:00:00Z"))
        );
    }

    #[test]
    fn auditd_stamps_read_seconds_millis_and_serial() {
        let want = utc("2013-03-28T14:36:03.243Z");
        assert_eq!(parse_auditd_time("1364481363.243"), Some(want));
        assert_eq!(
            parse_auditd_stamp("1364481363.243:24287"),
            Some((want, Some(24287)))
        );
        assert_eq!(
            parse_auditd_stamp("msg=audit(1364481363.243:24287):"),
            Some((want, Some(24287)))
        );
        assert_eq!(parse_auditd_time("audit(1364481363.243:24287)"), Some(want));
        assert_eq!(parse_auditd_time("abc.243"), None);
        assert_eq!(parse_auditd_time("1364481363.243:x"), None);
    }

    proptest::proptest! {
        #[test]
        fn time_readers_are_total(text in "\\PC{0,40}", digits in "[0-9 .:,TZ+-]{0,40}") {
            let reference = utc("2026-03-27T10:00:00Z");
            for t in [text.as_str(), digits.as_str()] {
                let _ = parse_time_text(t);
                let _ = parse_epoch_text(t);
                let _ = parse_rfc3164(t, reference);
                let _ = parse_auditd_stamp(t);
            }
        }
    }
}
