//! Reading a syslog line's framing: RFC 5424 (§6: `<PRI>VERSION TIMESTAMP
//! HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]`) or RFC 3164 / BSD
//! (§4.1: `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[pid]: MSG`), told apart per
//! line: a PRI followed by a version digit and a space is RFC 5424.
//!
//! Shared by `syslog.rs` and `cef.rs` (CEF often travels after a syslog
//! header). Pure and total: any text gives a header or a [`SyslogError`].
//!
//! Leniencies, each seen in real files:
//! - RFC 3164 lines in files carry no PRI (rsyslog's file format);
//! - an RFC 3339 timestamp in the BSD position (rsyslog's
//!   `RSYSLOG_FileFormat`) is read as such;
//! - a missing HOSTNAME (`<13>Feb  5 17:32:18 sshd[12]: …`) is noticed when
//!   the next word is already the tag;
//! - the UTF-8 BOM that RFC 5424 §6.4 allows before MSG is removed.

use chrono::{DateTime, Utc};

use super::time::{parse_rfc3164, parse_time_text};

/// One structured-data element (RFC 5424 §6.3): its SD-ID and params in
/// order, values unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SdElement {
    pub id: String,
    pub params: Vec<(String, String)>,
}

/// The framing of one syslog line; absent and NILVALUE (`-`) fields are
/// `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct SyslogHeader<'a> {
    pub pri: Option<u8>,
    /// `Some(1)` for RFC 5424, `None` for RFC 3164.
    pub version: Option<u8>,
    pub time: Option<DateTime<Utc>>,
    pub hostname: Option<&'a str>,
    pub app_name: Option<&'a str>,
    pub proc_id: Option<&'a str>,
    pub msg_id: Option<&'a str>,
    pub structured_data: Vec<SdElement>,
    /// MSG, BOM removed.
    pub msg: &'a str,
}

/// Why a line is not syslog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyslogError {
    #[error("invalid syslog: PRI must be <0> to <191>")]
    BadPri,
    #[error("invalid syslog: no PRI and no RFC 3164 timestamp")]
    NoHeader,
    #[error("invalid RFC 5424 syslog: missing {0}")]
    Missing(&'static str),
    #[error("invalid RFC 5424 syslog: timestamp `{0}` is not RFC 3339")]
    BadTimestamp(String),
    #[error("invalid RFC 5424 syslog: structured data {0}")]
    BadStructuredData(&'static str),
}

/// Reads a syslog line. `reference` (the ingest time) gives RFC 3164
/// timestamps their year.
pub(super) fn parse_syslog(
    line: &str,
    reference: DateTime<Utc>,
) -> Result<SyslogHeader<'_>, SyslogError> {
    let (pri, rest) = read_pri(line)?;
    if pri.is_some() {
        if let Some((version, after)) = read_version(rest) {
            return parse_5424(pri, version, after);
        }
    }
    parse_3164(pri, rest, reference)
}

/// `<PRI>` (RFC 5424 §6.2.1): 1–3 digits, at most 191.
fn read_pri(line: &str) -> Result<(Option<u8>, &str), SyslogError> {
    let Some(rest) = line.strip_prefix('<') else {
        return Ok((None, line));
    };
    let end = rest.find('>').ok_or(SyslogError::BadPri)?;
    let digits = &rest[..end];
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SyslogError::BadPri);
    }
    let pri: u16 = digits.parse().map_err(|_| SyslogError::BadPri)?;
    let pri = u8::try_from(pri)
        .ok()
        .filter(|p| *p <= 191)
        .ok_or(SyslogError::BadPri)?;
    Ok((Some(pri), &rest[end + 1..]))
}

/// VERSION (§6.2.2): a non-zero digit, at most 3 digits, then a space.
fn read_version(rest: &str) -> Option<(u8, &str)> {
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 3 || rest.as_bytes().get(digits) != Some(&b' ') {
        return None;
    }
    let version: u8 = rest[..digits].parse().ok().filter(|v| *v > 0)?;
    Some((version, &rest[digits + 1..]))
}

fn nil(field: &str) -> Option<&str> {
    (field != "-").then_some(field)
}

fn parse_5424(pri: Option<u8>, version: u8, rest: &str) -> Result<SyslogHeader<'_>, SyslogError> {
    let mut words = rest.splitn(6, ' ');
    let mut next = |name| words.next().ok_or(SyslogError::Missing(name));
    let timestamp = next("TIMESTAMP")?;
    let hostname = next("HOSTNAME")?;
    let app_name = next("APP-NAME")?;
    let proc_id = next("PROCID")?;
    let msg_id = next("MSGID")?;
    let tail = next("STRUCTURED-DATA")?;
    let time = match timestamp {
        "-" => None,
        text => {
            Some(parse_time_text(text).ok_or_else(|| SyslogError::BadTimestamp(text.to_string()))?)
        }
    };
    let (structured_data, msg) = read_structured_data(tail)?;
    let msg = msg.strip_prefix('\u{feff}').unwrap_or(msg);
    Ok(SyslogHeader {
        pri,
        version: Some(version),
        time,
        hostname: nil(hostname),
        app_name: nil(app_name),
        proc_id: nil(proc_id),
        msg_id: nil(msg_id),
        structured_data,
        msg,
    })
}

/// STRUCTURED-DATA (§6.3): `-` or `[ID name="value" …]…`; values escape
/// `"`, `\` and `]` with a backslash (§6.3.3), any other backslash is
/// kept. Returns the elements and the rest (MSG, its leading space gone).
fn read_structured_data(tail: &str) -> Result<(Vec<SdElement>, &str), SyslogError> {
    if let Some(msg) = tail.strip_prefix('-') {
        return Ok((Vec::new(), msg.strip_prefix(' ').unwrap_or(msg)));
    }
    let bytes = tail.as_bytes();
    if bytes.first() != Some(&b'[') {
        return Err(SyslogError::BadStructuredData(
            "must be `-` or start with `[`",
        ));
    }
    let mut elements = Vec::new();
    let mut i = 0;
    while bytes.get(i) == Some(&b'[') {
        i += 1;
        let id_end = i + tail[i..]
            .find([' ', ']'])
            .ok_or(SyslogError::BadStructuredData("is not closed"))?;
        let mut element = SdElement {
            id: tail[i..id_end].to_string(),
            params: Vec::new(),
        };
        if element.id.is_empty() {
            return Err(SyslogError::BadStructuredData("has an empty SD-ID"));
        }
        i = id_end;
        loop {
            match bytes.get(i) {
                Some(b']') => {
                    i += 1;
                    break;
                }
                Some(b' ') => i += 1,
                None => return Err(SyslogError::BadStructuredData("is not closed")),
                Some(_) => {
                    let eq = i + tail[i..]
                        .find('=')
                        .ok_or(SyslogError::BadStructuredData("has a param without `=`"))?;
                    let name = tail[i..eq].to_string();
                    if bytes.get(eq + 1) != Some(&b'"') || name.contains([' ', ']']) {
                        return Err(SyslogError::BadStructuredData(
                            "has a param value without quotes",
                        ));
                    }
                    let (value, after) = read_param_value(tail, eq + 2)?;
                    element.params.push((name, value));
                    i = after;
                }
            }
        }
        elements.push(element);
    }
    let msg = &tail[i..];
    Ok((elements, msg.strip_prefix(' ').unwrap_or(msg)))
}

/// A PARAM-VALUE starting after its opening quote; returns it unescaped
/// and the index after the closing quote.
fn read_param_value(tail: &str, start: usize) -> Result<(String, usize), SyslogError> {
    let mut value = String::new();
    let mut chars = tail[start..].char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Ok((value, start + at + 1)),
            '\\' => match chars.next() {
                Some((_, e @ ('"' | '\\' | ']'))) => value.push(e),
                Some((_, other)) => {
                    value.push('\\');
                    value.push(other);
                }
                None => break,
            },
            c => value.push(c),
        }
    }
    Err(SyslogError::BadStructuredData("has an unterminated value"))
}

fn parse_3164(
    pri: Option<u8>,
    rest: &str,
    reference: DateTime<Utc>,
) -> Result<SyslogHeader<'_>, SyslogError> {
    let (time, after_time) = read_3164_timestamp(rest, reference);
    if time.is_none() && pri.is_none() {
        return Err(SyslogError::NoHeader);
    }
    let mut header = SyslogHeader {
        pri,
        time,
        msg: rest,
        ..SyslogHeader::default()
    };
    let Some(after_time) = after_time else {
        // RFC 3164 §4.3.2: no valid timestamp, the whole rest is MSG.
        return Ok(header);
    };
    let (first, after_first) = split_word(after_time);
    let (hostname, tag_part) = if is_tag(first) {
        (None, after_time)
    } else {
        (Some(first), after_first)
    };
    header.hostname = hostname.filter(|h| !h.is_empty());
    header.msg = tag_part;
    let (tag, after_tag) = split_word(tag_part);
    if let Some(tag) = tag.strip_suffix(':') {
        let (app, pid) = match tag.split_once('[') {
            Some((app, pid)) => (app, pid.strip_suffix(']')),
            None => (tag, None),
        };
        header.app_name = (!app.is_empty()).then_some(app);
        header.proc_id = pid.filter(|p| !p.is_empty());
        header.msg = after_tag;
    }
    Ok(header)
}

/// A TAG word ends in `:` (`sshd:`, `sshd[12]:`).
fn is_tag(word: &str) -> bool {
    word.ends_with(':') && word.len() > 1
}

/// The first word and the text after its separating space(s).
fn split_word(text: &str) -> (&str, &str) {
    match text.find(' ') {
        Some(i) => (&text[..i], text[i..].trim_start_matches(' ')),
        None => (text, ""),
    }
}

/// `Mmm dd hh:mm:ss ` (15 characters) or an RFC 3339 word; the time and
/// the text after it, or `(None, None)`.
fn read_3164_timestamp(
    rest: &str,
    reference: DateTime<Utc>,
) -> (Option<DateTime<Utc>>, Option<&str>) {
    if let Some(stamp) = rest.get(..15) {
        if let Some(t) = parse_rfc3164(stamp, reference) {
            let after = &rest[15..];
            return (Some(t), Some(after.trim_start_matches(' ')));
        }
    }
    let (word, after) = split_word(rest);
    if word.len() >= 19 && word.as_bytes()[0].is_ascii_digit() {
        if let Some(t) = parse_time_text(word) {
            return (Some(t), Some(after));
        }
    }
    (None, None)
}

/// RFC 5424 §6.2.1 facility names, by code.
pub(super) fn facility_name(code: u8) -> &'static str {
    const NAMES: [&str; 24] = [
        "kern",
        "user",
        "mail",
        "daemon",
        "auth",
        "syslog",
        "lpr",
        "news",
        "uucp",
        "cron",
        "authpriv",
        "ftp",
        "ntp",
        "security",
        "console",
        "solaris-cron",
        "local0",
        "local1",
        "local2",
        "local3",
        "local4",
        "local5",
        "local6",
        "local7",
    ];
    NAMES.get(usize::from(code)).copied().unwrap_or("unknown")
}

#[cfg(test)]
#[path = "syslog_header_tests.rs"]
mod tests;
