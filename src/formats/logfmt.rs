//! The `logfmt` format: one entry of space-separated `key=value` pairs, as
//! written by Heroku's router, Go's `log/slog` text handler, go-kit and
//! logrus (`time=2026-03-27T10:30:15Z level=info user=alice msg="deployed 2.1"`).
//!
//! There is no formal spec; this follows the de-facto grammar of
//! `github.com/go-logfmt/logfmt` (the reference decoder):
//! - a key is a run of bytes other than space, `=` and `"`;
//! - a value is either bare (up to the next space) or double-quoted with
//!   Go-style escapes `\"` `\\` `\n` `\r` `\t` `\u` + four hex digits;
//! - a key without `=` (a flag) and `key=` both give the empty string.
//!
//! Keys mean what they mean in a JSON line: the pairs are read by the
//! `json` format's default table (`time`/`ts`, `level`, `msg`, `user`,
//! `action`, `status`, `ip`…), values stay strings (logfmt has no types),
//! and everything else lands in `details`. A repeated key keeps its first
//! value; later ones go to `details` as `key_`.
//!
//! An entry that is not logfmt (an unterminated quote, a pair starting with
//! `=` or `"`, no pair at all) becomes a quarantine event with the reason.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::entry_text::{finish_text_event, EntryText};
use super::json::convert_object;
use super::quarantine::quarantine_event;
use super::schema_fill::insert_detail_owned;
use super::EntryContext;
use crate::event::AuditEvent;

pub(crate) const PARSER_NAME: &str = "logfmt";

/// Reads logfmt lines. Built once per source.
#[derive(Debug, Clone)]
pub struct LogfmtParser {
    keep_raw: bool,
}

/// Why a line is not logfmt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogfmtError {
    #[error("invalid logfmt: empty entry")]
    Empty,
    #[error("invalid logfmt: expected a key at byte {0}")]
    ExpectedKey(usize),
    #[error("invalid logfmt: unterminated quoted value for key `{0}`")]
    UnterminatedQuote(String),
    #[error("invalid logfmt: invalid escape in the value of key `{0}`")]
    BadEscape(String),
}

impl LogfmtParser {
    pub fn new(keep_raw: bool) -> LogfmtParser {
        LogfmtParser { keep_raw }
    }

    pub fn parse(&self, entry: &[u8], ctx: &EntryContext<'_>) -> AuditEvent {
        let text = EntryText::new(entry);
        // The pairs go straight into the object: one copy of each key and
        // value, none for a list of pairs in between.
        let mut object = Map::new();
        let read = for_each_pair(&text.text, |key, value| {
            insert_detail_owned(
                &mut object,
                key.to_string(),
                Value::String(value.into_owned()),
            );
        });
        if let Err(error) = read {
            return quarantine_event(entry, &error.to_string(), PARSER_NAME, ctx);
        }
        let mut event = ctx.new_event(PARSER_NAME);
        convert_object(&mut event, object);
        finish_text_event(event, entry, ctx, self.keep_raw, text.lossy)
    }
}

/// Splits a logfmt line into its (key, value) pairs, in order.
#[cfg(test)]
pub fn parse_pairs(line: &str) -> Result<Vec<(String, String)>, LogfmtError> {
    let mut pairs = Vec::new();
    for_each_pair(line, |key, value| {
        pairs.push((key.to_string(), value.into_owned()))
    })?;
    Ok(pairs)
}

/// Calls `pair` with each (key, value) of a logfmt line, in order; values
/// are borrowed from the line unless a quoted one holds escapes.
fn for_each_pair<'a>(
    line: &'a str,
    mut pair: impl FnMut(&'a str, Cow<'a, str>),
) -> Result<(), LogfmtError> {
    let bytes = line.as_bytes();
    let mut count = 0usize;
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == bytes.len() {
            break;
        }
        let key_start = i;
        while i < bytes.len() && !matches!(bytes[i], b'=' | b'"') && !bytes[i].is_ascii_whitespace()
        {
            i += 1;
        }
        if i == key_start {
            return Err(LogfmtError::ExpectedKey(i));
        }
        let key = &line[key_start..i];
        if i < bytes.len() && bytes[i] == b'"' {
            return Err(LogfmtError::ExpectedKey(i));
        }
        count += 1;
        if i == bytes.len() || bytes[i] != b'=' {
            pair(key, Cow::Borrowed(""));
            continue;
        }
        i += 1; // '='
        let value = if i < bytes.len() && bytes[i] == b'"' {
            let (value, next) = quoted_value(line, i + 1, key)?;
            i = next;
            value
        } else {
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            Cow::Borrowed(&line[start..i])
        };
        pair(key, value);
    }
    if count == 0 {
        return Err(LogfmtError::Empty);
    }
    Ok(())
}

/// Reads a quoted value whose first byte after `"` is at `start`; returns
/// it unescaped with the index after the closing quote.
fn quoted_value<'a>(
    line: &'a str,
    start: usize,
    key: &str,
) -> Result<(Cow<'a, str>, usize), LogfmtError> {
    // Most quoted values hold no escape: borrow them.
    match memchr::memchr2(b'"', b'\\', &line.as_bytes()[start..]) {
        Some(end) if line.as_bytes()[start + end] == b'"' => {
            return Ok((Cow::Borrowed(&line[start..start + end]), start + end + 1))
        }
        Some(_) => {}
        None => return Err(LogfmtError::UnterminatedQuote(key.to_string())),
    }
    let mut value = String::new();
    let mut chars = line[start..].char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Ok((Cow::Owned(value), start + at + 1)),
            '\\' => {
                let bad = || LogfmtError::BadEscape(key.to_string());
                let (_, escaped) = chars
                    .next()
                    .ok_or_else(|| LogfmtError::UnterminatedQuote(key.to_string()))?;
                match escaped {
                    '"' | '\\' | '/' => value.push(escaped),
                    'n' => value.push('\n'),
                    'r' => value.push('\r'),
                    't' => value.push('\t'),
                    'u' => {
                        let hex: String = chars.by_ref().take(4).map(|(_, c)| c).collect();
                        let code = u32::from_str_radix(&hex, 16).map_err(|_| bad())?;
                        value.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    }
                    _ => return Err(bad()),
                }
            }
            c => value.push(c),
        }
    }
    Err(LogfmtError::UnterminatedQuote(key.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{OriginKind, Outcome, Severity};
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    fn ctx() -> EntryContext<'static> {
        EntryContext {
            origin_kind: OriginKind::File,
            path: Some("/var/log/app.log"),
            offset: Some(0),
            position_key: "f00d",
            host: "h",
            ingest_time: Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap(),
        }
    }

    fn parse(line: &str) -> AuditEvent {
        LogfmtParser::new(false).parse(line.as_bytes(), &ctx())
    }

    #[test]
    fn pairs_with_quotes_escapes_flags_and_empty_values_split() {
        let pairs = parse_pairs(r#"a=1 b="two words" c="q\"uote\\d\n" flag d= e=x=y"#).unwrap();
        let expect = [
            ("a", "1"),
            ("b", "two words"),
            ("c", "q\"uote\\d\n"),
            ("flag", ""),
            ("d", ""),
            ("e", "x=y"),
        ];
        assert_eq!(pairs.len(), expect.len());
        for ((k, v), (ek, ev)) in pairs.iter().zip(expect) {
            assert_eq!((k.as_str(), v.as_str()), (ek, ev));
        }
        assert_eq!(
            parse_pairs(r#"x="\u00e9t\u00e9""#).unwrap()[0].1,
            "été".to_string()
        );
    }

    #[test]
    fn slog_style_line_maps_time_level_actor_action_outcome() {
        let e = parse(
            r#"time=2026-03-27T10:30:15.123Z level=WARN msg="login failed for alice" user=alice action=user.login status=failure ip=10.0.0.7 tenantId=acme attempt=3"#,
        );
        assert_eq!(e.origin.format, "logfmt");
        assert_eq!(e.time.to_rfc3339(), "2026-03-27T10:30:15.123+00:00");
        assert!(!e.time_inferred);
        assert_eq!(e.action, "user.login");
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.severity, Severity::Warning);
        assert_eq!(e.actor.id.as_deref(), Some("alice"));
        assert_eq!(e.message.as_deref(), Some("login failed for alice"));
        assert_eq!(e.source.unwrap().ip.as_deref(), Some("10.0.0.7"));
        assert_eq!(e.tenant.unwrap().id, "acme");
        assert_eq!(e.details["attempt"], "3");
        assert_eq!(e.category.as_deref(), Some("auth"));
        assert!(e.parse_error.is_none());
        assert_eq!(e.id.len(), 32);
    }

    #[test]
    fn repeated_keys_keep_the_first_value_and_the_rest_in_details() {
        let e = parse("action=a.b tag=x tag=y");
        assert_eq!(e.details["tag"], "x");
        assert_eq!(e.details["tag_"], "y");
    }

    #[test]
    fn broken_lines_are_quarantined_with_the_reason() {
        let e = parse(r#"a=1 b="open"#);
        let pe = e.parse_error.unwrap();
        assert_eq!(
            pe.reason,
            "invalid logfmt: unterminated quoted value for key `b`"
        );
        assert_eq!(pe.parser, "logfmt");
        assert_eq!(e.raw.as_deref(), Some(r#"a=1 b="open"#));
        assert_eq!(
            parse("=x").parse_error.unwrap().reason,
            "invalid logfmt: expected a key at byte 0"
        );
        assert_eq!(
            parse("  ").parse_error.unwrap().reason,
            "invalid logfmt: empty entry"
        );
    }

    #[test]
    fn invalid_utf8_is_parsed_and_flagged() {
        let e = LogfmtParser::new(false).parse(b"action=x.y who=a\xffb", &ctx());
        assert_eq!(e.action, "x.y");
        assert_eq!(e.parse_error.unwrap().reason, "invalid UTF-8");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let e = LogfmtParser::new(true).parse(&bytes, &ctx());
            prop_assert!(!e.id.is_empty() && !e.action.is_empty());
        }

        #[test]
        fn logfmt_like_text_never_panics(text in r#"([a-z]{1,4}=("[^"]{0,6}"?|[a-z\\\\"]{0,4}) ?){0,6}"#) {
            let e = LogfmtParser::new(false).parse(text.as_bytes(), &ctx());
            prop_assert!(!e.action.is_empty());
        }
    }
}

/// The reader against the one it replaced (commit 0d899cd: owned pairs
/// collected first, quoted values copied char by char).
#[cfg(test)]
mod equivalence_tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    use crate::event::OriginKind;

    fn reference_parse_pairs(line: &str) -> Result<Vec<(String, String)>, LogfmtError> {
        let bytes = line.as_bytes();
        let mut pairs = Vec::new();
        let mut i = 0;
        loop {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i == bytes.len() {
                break;
            }
            let key_start = i;
            while i < bytes.len()
                && !matches!(bytes[i], b'=' | b'"')
                && !bytes[i].is_ascii_whitespace()
            {
                i += 1;
            }
            if i == key_start {
                return Err(LogfmtError::ExpectedKey(i));
            }
            let key = &line[key_start..i];
            if i < bytes.len() && bytes[i] == b'"' {
                return Err(LogfmtError::ExpectedKey(i));
            }
            if i == bytes.len() || bytes[i] != b'=' {
                pairs.push((key.to_string(), String::new()));
                continue;
            }
            i += 1; // '='
            let value = if i < bytes.len() && bytes[i] == b'"' {
                let (value, next) = reference_quoted_value(line, i + 1, key)?;
                i = next;
                value
            } else {
                let start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                line[start..i].to_string()
            };
            pairs.push((key.to_string(), value));
        }
        if pairs.is_empty() {
            return Err(LogfmtError::Empty);
        }
        Ok(pairs)
    }

    /// Reads a quoted value whose first byte after `"` is at `start`; returns
    /// it unescaped with the index after the closing quote.
    fn reference_quoted_value(
        line: &str,
        start: usize,
        key: &str,
    ) -> Result<(String, usize), LogfmtError> {
        let mut value = String::new();
        let mut chars = line[start..].char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '"' => return Ok((value, start + at + 1)),
                '\\' => {
                    let bad = || LogfmtError::BadEscape(key.to_string());
                    let (_, escaped) = chars
                        .next()
                        .ok_or_else(|| LogfmtError::UnterminatedQuote(key.to_string()))?;
                    match escaped {
                        '"' | '\\' | '/' => value.push(escaped),
                        'n' => value.push('\n'),
                        'r' => value.push('\r'),
                        't' => value.push('\t'),
                        'u' => {
                            let hex: String = chars.by_ref().take(4).map(|(_, c)| c).collect();
                            let code = u32::from_str_radix(&hex, 16).map_err(|_| bad())?;
                            value.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        _ => return Err(bad()),
                    }
                }
                c => value.push(c),
            }
        }
        Err(LogfmtError::UnterminatedQuote(key.to_string()))
    }

    fn reference_parse(line: &str) -> AuditEvent {
        let ctx = EntryContext {
            origin_kind: OriginKind::File,
            path: None,
            offset: Some(3),
            position_key: "f00d",
            host: "h",
            ingest_time: Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap(),
        };
        let pairs = match reference_parse_pairs(line) {
            Ok(pairs) => pairs,
            Err(error) => {
                return quarantine_event(line.as_bytes(), &error.to_string(), PARSER_NAME, &ctx)
            }
        };
        let mut object = Map::new();
        for (key, value) in pairs {
            super::super::schema_fill::insert_detail(&mut object, &key, Value::String(value));
        }
        let mut event = ctx.new_event(PARSER_NAME);
        convert_object(&mut event, object);
        finish_text_event(event, line.as_bytes(), &ctx, false, false)
    }

    fn parse_now(line: &str) -> AuditEvent {
        let ctx = EntryContext {
            origin_kind: OriginKind::File,
            path: None,
            offset: Some(3),
            position_key: "f00d",
            host: "h",
            ingest_time: Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap(),
        };
        LogfmtParser::new(false).parse(line.as_bytes(), &ctx)
    }

    proptest! {
        #[test]
        fn same_pairs_and_events_as_the_replaced_reader(
            line in r#"( ?(user|time|level|msg|action|a|a_|ip)(=("([^"\\]|\\["\\nrtx/]|\\u00e9|\\u12){0,6}"?|[a-z0-9.:"]{0,5}))?){0,7}"#
        ) {
            prop_assert_eq!(parse_pairs(&line), reference_parse_pairs(&line));
            prop_assert_eq!(parse_now(&line), reference_parse(&line), "{}", line);
        }
    }
}
