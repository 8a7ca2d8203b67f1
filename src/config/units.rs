//! Sizes and durations as users write them.
//!
//! Sizes: a TOML integer (bytes), or a string `"<integer>[ ]<unit>"` with
//! unit `B`, `KB`/`MB`/`GB`/`TB` (powers of 1000) or `KiB`/`MiB`/`GiB`/`TiB`
//! (powers of 1024); a string of digits alone is bytes. Units are
//! case-insensitive.
//!
//! Durations: a string `"<integer>[ ]<unit>"` with unit `ms`, `s`, `m`, `h`
//! or `d` (lower case). A bare number is refused: `batch_interval = 10` could mean ten
//! seconds or ten milliseconds, and guessing wrong is a silent outage.
//!
//! Also owns the reverse: [`format_size`] and [`format_duration`] for
//! `auditship validate` listings. Pure functions, no I/O.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A size or duration as written: a TOML integer or a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NumberOrText {
    Number(i64),
    Text(String),
}

impl<'de> Deserialize<'de> for NumberOrText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NumberOrTextVisitor;
        impl Visitor<'_> for NumberOrTextVisitor {
            type Value = NumberOrText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string with a unit, such as \"1MiB\" or \"10s\"")
            }
            fn visit_i64<E>(self, v: i64) -> Result<NumberOrText, E> {
                Ok(NumberOrText::Number(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<NumberOrText, E> {
                i64::try_from(v)
                    .map(NumberOrText::Number)
                    .map_err(|_| E::custom("number is too large"))
            }
            fn visit_str<E>(self, v: &str) -> Result<NumberOrText, E> {
                Ok(NumberOrText::Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(NumberOrTextVisitor)
    }
}

pub(crate) const SIZE_UNITS: &str =
    "B, KB, MB, GB, TB (1000-based), KiB, MiB, GiB, TiB (1024-based)";
pub(crate) const DURATION_UNITS: &str = "ms, s, m, h, d";

/// Parses a size into bytes. The error is a sentence for the operator
/// without the value itself (the caller shows what was written).
pub(crate) fn parse_size(written: &NumberOrText) -> Result<u64, String> {
    let text = match written {
        NumberOrText::Number(n) => {
            return u64::try_from(*n).map_err(|_| "a size cannot be negative".to_string())
        }
        NumberOrText::Text(text) => text,
    };
    let (number, unit) = split_number(text).ok_or_else(|| {
        format!("a size is a whole number followed by a unit (accepted units: {SIZE_UNITS})")
    })?;
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "mb" => 1000u64.pow(2),
        "gb" => 1000u64.pow(3),
        "tb" => 1000u64.pow(4),
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "unknown size unit \"{unit}\" (accepted units: {SIZE_UNITS})"
            ))
        }
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| "size is too large".to_string())
}

/// Parses a duration.
pub(crate) fn parse_duration(written: &NumberOrText) -> Result<Duration, String> {
    let text = match written {
        NumberOrText::Number(n) => {
            return Err(format!(
                "a duration needs a unit: write \"{n}s\" or \"{n}ms\" (accepted units: {DURATION_UNITS})"
            ))
        }
        NumberOrText::Text(text) => text,
    };
    let (number, unit) = split_number(text).ok_or_else(|| {
        format!(
            "a duration is a whole number followed by a unit (accepted units: {DURATION_UNITS})"
        )
    })?;
    let seconds_per_unit: u64 = match unit {
        "ms" => return Ok(Duration::from_millis(number)),
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "" => {
            return Err(format!(
                "a duration needs a unit: write \"{number}s\" or \"{number}ms\" (accepted units: {DURATION_UNITS})"
            ))
        }
        _ => {
            return Err(format!(
                "unknown duration unit \"{unit}\" (accepted units: {DURATION_UNITS})"
            ))
        }
    };
    number
        .checked_mul(seconds_per_unit)
        .map(Duration::from_secs)
        .ok_or_else(|| "duration is too large".to_string())
}

/// Splits `"12 MiB"` into `(12, "MiB")`; `None` when there is no leading
/// whole number. The unit is returned trimmed; it may be empty.
fn split_number(text: &str) -> Option<(u64, &str)> {
    let text = text.trim();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number = text[..digits_end].parse().ok()?;
    Some((number, text[digits_end..].trim()))
}

/// Writes bytes in the largest binary unit that divides them exactly.
pub fn format_size(bytes: u64) -> String {
    for (unit, size) in [
        ("TiB", 1u64 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ] {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{}{unit}", bytes / size);
        }
    }
    format!("{bytes}B")
}

/// Writes a duration in the largest unit that divides it exactly.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis == 0 || !millis.is_multiple_of(1000) {
        return format!("{millis}ms");
    }
    let seconds = millis / 1000;
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60)] {
        if seconds.is_multiple_of(size) {
            return format!("{}{unit}", seconds / size);
        }
    }
    format!("{seconds}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(text: &str) -> Result<u64, String> {
        parse_size(&NumberOrText::Text(text.to_string()))
    }

    fn duration(text: &str) -> Result<Duration, String> {
        parse_duration(&NumberOrText::Text(text.to_string()))
    }

    #[test]
    fn sizes_accept_decimal_and_binary_units_and_plain_bytes() {
        assert_eq!(size("1KB"), Ok(1000));
        assert_eq!(size("1KiB"), Ok(1024));
        assert_eq!(size("256MiB"), Ok(256 << 20));
        assert_eq!(size("2 GiB"), Ok(2 << 30));
        assert_eq!(size("3gb"), Ok(3_000_000_000));
        assert_eq!(size("512"), Ok(512));
        assert_eq!(size("10B"), Ok(10));
        assert_eq!(parse_size(&NumberOrText::Number(4096)), Ok(4096));
    }

    #[test]
    fn sizes_reject_unknown_units_listing_the_accepted_ones() {
        let error = size("12 parsecs").unwrap_err();
        assert_eq!(
            error,
            format!("unknown size unit \"parsecs\" (accepted units: {SIZE_UNITS})")
        );
        assert!(size("MiB").unwrap_err().contains("whole number"));
        assert!(size("1.5GiB")
            .unwrap_err()
            .contains("unknown size unit \".5GiB\""));
        assert!(parse_size(&NumberOrText::Number(-1)).is_err());
        assert_eq!(size("99999999999TiB"), Err("size is too large".to_string()));
    }

    #[test]
    fn durations_accept_the_listed_units() {
        assert_eq!(duration("10ms"), Ok(Duration::from_millis(10)));
        assert_eq!(duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(duration("5 m"), Ok(Duration::from_secs(300)));
        assert_eq!(duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
    }

    #[test]
    fn durations_refuse_bare_numbers_and_unknown_units() {
        let bare = parse_duration(&NumberOrText::Number(10)).unwrap_err();
        assert!(bare.contains("write \"10s\" or \"10ms\""), "{bare}");
        assert!(duration("10").unwrap_err().contains("needs a unit"));
        let error = duration("12 parsecs").unwrap_err();
        assert_eq!(
            error,
            "unknown duration unit \"parsecs\" (accepted units: ms, s, m, h, d)"
        );
        assert!(
            duration("1S").is_err(),
            "units are case-sensitive for durations"
        );
    }

    #[test]
    fn formatting_picks_the_largest_exact_unit() {
        assert_eq!(format_size(2 << 30), "2GiB");
        assert_eq!(format_size(1536), "1536B");
        assert_eq!(format_size(1000), "1000B");
        assert_eq!(format_duration(Duration::from_millis(10)), "10ms");
        assert_eq!(format_duration(Duration::from_secs(90)), "90s");
        assert_eq!(format_duration(Duration::from_secs(3600)), "1h");
    }
}
