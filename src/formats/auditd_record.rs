//! Reading one Linux audit record, as `auditd` writes it to `audit.log`
//! (linux-audit userspace, `auparse`; record layout in `audit.rules(7)` and
//! the "Understanding Audit Log Files" chapter of the RHEL Security Guide):
//!
//! `[node=NAME ]type=TYPE msg=audit(SECS.MILLIS:SERIAL): key=value …`
//!
//! Values come three ways: `"quoted"` (no escapes exist inside), `'single
//! quoted'` — the `msg='…'` of user-space records, whose inner `key=value`
//! pairs are read as the record's own — and bare. A bare value of a field
//! the kernel may hex-encode (an untrusted string holding a space, a quote
//! or a control character: `proctitle`, `exe`, `cwd`, `name`, `cmd`, the
//! `aN` arguments of `EXECVE`…) is decoded when it is even-length hex;
//! NULs (argument separators in `proctitle`) become spaces. Text that is
//! not `key=value` (`auditd start, ver=…`, `tty pid=…`) is kept as words.
//! The "enriched" log format appends translated fields after a `0x1d`
//! byte (`UID="root"`): it is read as a separator.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use super::time::parse_auditd_stamp;

/// One record, values decoded. It borrows from the line: only hex-decoded
/// values and loose text of several words are owned, so reading a record
/// allocates little more than its field list (the event's `details` make
/// their own copies once, at the end).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct AuditRecord<'a> {
    pub node: Option<&'a str>,
    /// `SYSCALL`, `USER_LOGIN`, `UNKNOWN[1329]`…
    pub kind: &'a str,
    pub time: Option<DateTime<Utc>>,
    pub serial: Option<u64>,
    pub fields: Vec<(&'a str, Cow<'a, str>)>,
    /// Words that were not `key=value`, joined by spaces.
    pub text: Cow<'a, str>,
}

/// The last `msg=audit(…)` stamp read and its meaning: the records of one
/// event share their stamp, so it is parsed once per event, not per record.
#[derive(Debug, Default)]
pub(super) struct StampCache<'a> {
    last: Option<(&'a str, Stamp)>,
}

/// A stamp's time and serial.
type Stamp = (DateTime<Utc>, Option<u64>);

impl<'a> StampCache<'a> {
    fn parse(&mut self, stamp: &'a str) -> Option<Stamp> {
        match self.last {
            Some((text, parsed)) if text == stamp => Some(parsed),
            _ => {
                let parsed = parse_auditd_stamp(stamp)?;
                self.last = Some((stamp, parsed));
                Some(parsed)
            }
        }
    }
}

/// Why a line is not an audit record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditdError {
    #[error("invalid auditd record: no `type=`")]
    NoType,
    #[error("invalid auditd record: `msg=audit(…)` stamp `{0}` is not SECS.MILLIS:SERIAL")]
    BadStamp(String),
}

impl AuditRecord<'_> {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_ref())
    }
}

/// Reads one record line.
#[cfg(test)]
pub(super) fn parse_record(line: &str) -> Result<AuditRecord<'_>, AuditdError> {
    parse_record_with(line, &mut StampCache::default())
}

/// Reads one record line, reusing the stamp of the event's previous record.
pub(super) fn parse_record_with<'a>(
    line: &'a str,
    stamps: &mut StampCache<'a>,
) -> Result<AuditRecord<'a>, AuditdError> {
    let line = line.trim_end_matches(['\r', '\n']);
    let mut rest = line;
    let mut node = None;
    if let Some(after) = rest.strip_prefix("node=") {
        let (name, after) = split_at_space(after);
        node = Some(name);
        rest = after.trim_start();
    }
    let after_type = rest.strip_prefix("type=").ok_or(AuditdError::NoType)?;
    let (kind, mut body) = split_at_space(after_type);
    if kind.is_empty() {
        return Err(AuditdError::NoType);
    }
    let (mut time, mut serial) = (None, None);
    if let Some(after) = body.trim_start().strip_prefix("msg=audit(") {
        let end = memchr::memchr(b')', after.as_bytes())
            .ok_or_else(|| AuditdError::BadStamp(after.into()))?;
        let stamp = &after[..end];
        let (t, s) = stamps
            .parse(stamp)
            .ok_or_else(|| AuditdError::BadStamp(stamp.to_string()))?;
        time = Some(t);
        serial = s;
        body = after[end + 1..]
            .strip_prefix(':')
            .unwrap_or(&after[end + 1..]);
    } else if let Some(after) = body.trim_start().strip_prefix("msg=?") {
        body = after;
    }
    let mut record = AuditRecord {
        node,
        kind,
        time,
        serial,
        // One slot per `=`: enough for every pair (the inner `msg='…'`
        // ones too) and, unlike a fixed 32, no 1 KiB+ block for a short
        // record (glibc serves those through a slower path).
        fields: Vec::with_capacity(memchr::memchr_iter(b'=', body.as_bytes()).count()),
        text: Cow::Borrowed(""),
    };
    read_pairs(body, &mut record, true);
    Ok(record)
}

/// `text` split at its first space (`str::split_once(' ')`, found with
/// `memchr`); all of it and `""` without one.
fn split_at_space(text: &str) -> (&str, &str) {
    match memchr::memchr(b' ', text.as_bytes()) {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, ""),
    }
}

/// Fields the kernel or `audit_log_untrustedstring` may hex-encode.
fn may_be_hex(kind: &str, key: &str) -> bool {
    match key {
        "proctitle" | "exe" | "comm" | "cwd" | "name" | "path" | "cmd" | "data" | "acct"
        | "key" | "root_dir" | "new-disk" | "old-disk" | "vm" | "ocomm" => true,
        _ => {
            kind == "EXECVE"
                && key.starts_with('a')
                && key[1..]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'[' || b == b']')
        }
    }
}

/// The bytes of even-length hex `text`, trailing NULs dropped and inner
/// NULs (argument separators) as spaces; `None` when `text` is not hex or
/// the bytes are not UTF-8.
fn decode_hex(text: &str) -> Option<String> {
    fn nibble(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    if text.len() < 2 || !text.len().is_multiple_of(2) {
        return None;
    }
    let mut bytes = Vec::with_capacity(text.len() / 2);
    for pair in text.as_bytes().chunks_exact(2) {
        bytes.push(nibble(pair[0])? << 4 | nibble(pair[1])?);
    }
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    for b in &mut bytes {
        if *b == 0 {
            *b = b' ';
        }
    }
    String::from_utf8(bytes).ok()
}

/// Appends a loose word to the record's text: one word stays borrowed.
fn push_word<'a>(text: &mut Cow<'a, str>, word: &'a str) {
    if text.is_empty() {
        *text = Cow::Borrowed(word);
    } else {
        let text = text.to_mut();
        text.push(' ');
        text.push_str(word);
    }
}

/// Reads `key=value` pairs and loose words into `record`; `top` is false
/// inside `msg='…'`.
fn read_pairs<'a>(body: &'a str, record: &mut AuditRecord<'a>, top: bool) {
    let bytes = body.as_bytes();
    let mut i = 0;
    let is_space = |b: u8| b == b' ' || b == 0x1d || b == b'\t';
    while i < bytes.len() {
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'=' {
            i += 1;
        }
        if i >= bytes.len() || bytes[i] != b'=' || start == i {
            let word = body[start..i].trim_end_matches(',');
            if !word.is_empty() {
                push_word(&mut record.text, word);
            }
            if i < bytes.len() && bytes[i] == b'=' {
                i += 1;
            }
            continue;
        }
        let key = &body[start..i];
        i += 1;
        let (value, quoted) = match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = memchr::memchr(q, &bytes[i + 1..]).map_or(body.len(), |e| i + 1 + e);
                let value = &body[i + 1..end];
                i = (end + 1).min(body.len());
                if q == b'\'' && key == "msg" && top {
                    read_pairs(value, record, false);
                    continue;
                }
                (value, true)
            }
            _ => {
                // Bare values are short (`59`, `yes`, `c000003e`): a plain
                // loop ends sooner than setting up a vector search.
                let end = bytes[i..]
                    .iter()
                    .position(|&b| is_space(b))
                    .map_or(body.len(), |e| i + e);
                let value = &body[i..end];
                i = end;
                (value, false)
            }
        };
        let value = match (!quoted && may_be_hex(record.kind, key))
            .then(|| decode_hex(value))
            .flatten()
        {
            Some(decoded) => Cow::Owned(decoded),
            None => Cow::Borrowed(value),
        };
        record.fields.push((key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_record_reads_stamp_and_decodes_hex_exe() {
        let r = parse_record(r#"type=SYSCALL msg=audit(1492037289.295:58): arch=c000003e syscall=42 success=no exit=-115 auid=4294967295 tty=(none) comm="google_accounts" exe=2F7573722F62696E2F707974686F6E322E373B3538643163636662202864656C6574656429 key=(null)"#).unwrap();
        assert_eq!(r.kind, "SYSCALL");
        assert_eq!(r.serial, Some(58));
        assert_eq!(
            r.time.unwrap().to_rfc3339(),
            "2017-04-12T22:48:09.295+00:00"
        );
        assert_eq!(r.get("exe"), Some("/usr/bin/python2.7;58d1ccfb (deleted)"));
        assert_eq!(r.get("arch"), Some("c000003e"));
        assert_eq!(r.get("key"), Some("(null)"));
        assert_eq!(r.get("comm"), Some("google_accounts"));
    }

    #[test]
    fn user_records_read_the_inner_msg_and_node() {
        let r = parse_record(r#"node=localhost.localdomain type=SERVICE_START msg=audit(1594053514.709:6): pid=1 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:init_t:s0 msg='unit=auditd comm="systemd" exe="/usr/lib/systemd/systemd" hostname=? addr=? terminal=? res=success'"#).unwrap();
        assert_eq!(r.node, Some("localhost.localdomain"));
        assert_eq!(r.get("unit"), Some("auditd"));
        assert_eq!(r.get("res"), Some("success"));
        assert_eq!(r.get("pid"), Some("1"));
    }

    #[test]
    fn loose_words_unknown_types_and_proctitle_nuls() {
        let r = parse_record("type=DAEMON_CONFIG msg=audit(1490239800.477:34) config changed, auid=0 pid=1512 res=success").unwrap();
        assert_eq!(r.text, "config changed");
        assert_eq!(r.get("auid"), Some("0"));
        let r = parse_record("type=UNKNOWN[1329] msg=?").unwrap();
        assert_eq!((r.kind, r.time), ("UNKNOWN[1329]", None));
        let r = parse_record("type=PROCTITLE msg=audit(1.0:1): proctitle=6C73002D6C61").unwrap();
        assert_eq!(r.get("proctitle"), Some("ls -la"));
        assert_eq!(
            parse_record("type=X msg=audit(abc:1): a=b"),
            Err(AuditdError::BadStamp("abc:1".into()))
        );
        assert_eq!(parse_record("hello"), Err(AuditdError::NoType));
    }
}
