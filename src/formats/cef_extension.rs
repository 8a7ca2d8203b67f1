//! Splitting a CEF record (ArcSight "Implementing ArcSight CEF", rev. 25,
//! "Header" and "Extension" sections):
//! `CEF:Version|Device Vendor|Device Product|Device Version|Device Event
//! Class ID|Name|Severity|Extension`.
//!
//! Escaping differs between the two parts, as the spec says:
//! - header fields escape `|` and `\` (`\|`, `\\`);
//! - extension values escape `=` and `\` (`\=`, `\\`) and write line
//!   breaks as `\n` / `\r`; a `|` needs no escape there (`\|` is still
//!   read as `|`, as senders write it anyway).
//!
//! Extension values may hold spaces: a value runs to the last space before
//! the next unescaped `key=`, where a key is a run of letters, digits and
//! `_ . - [ ]` right after a space. An unescaped `=` that does not follow
//! such a key stays in the value (lenient: senders forget to escape).

use std::borrow::Cow;

/// The seven header fields, unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CefHeader {
    pub version: String,
    pub device_vendor: String,
    pub device_product: String,
    pub device_version: String,
    pub signature_id: String,
    pub name: String,
    pub severity: String,
}

/// Why a record is not CEF.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CefError {
    #[error("invalid CEF: no `CEF:` prefix")]
    NoPrefix,
    #[error("invalid CEF: {0} of 7 header fields before the extension")]
    ShortHeader(usize),
}

/// Splits `CEF:…` (the prefix included) into its header and the raw
/// extension text.
pub(super) fn split_record(record: &str) -> Result<(CefHeader, &str), CefError> {
    let body = record.strip_prefix("CEF:").ok_or(CefError::NoPrefix)?;
    let bytes = body.as_bytes();
    let mut fields: Vec<String> = Vec::with_capacity(7);
    let mut current = String::new();
    let mut at = 0;
    let mut extension_start = None;
    // Jump from one `\` or `|` to the next, copying the text between.
    while let Some(found) = memchr::memchr2(b'\\', b'|', &bytes[at..]) {
        let special = at + found;
        current.push_str(&body[at..special]);
        if bytes[special] == b'|' {
            fields.push(std::mem::take(&mut current));
            at = special + 1;
            if fields.len() == 7 {
                extension_start = Some(at);
                break;
            }
            continue;
        }
        // `\|` and `\\` are escapes; any other `\` stays as it is.
        match bytes.get(special + 1) {
            Some(&escaped @ (b'|' | b'\\')) => {
                current.push(char::from(escaped));
                at = special + 2;
            }
            _ => {
                current.push('\\');
                at = special + 1;
            }
        }
    }
    let Some(start) = extension_start else {
        current.push_str(&body[at..]);
        // Seven fields and no final `|` is a record without extension.
        if fields.len() == 6 {
            fields.push(current);
        } else {
            return Err(CefError::ShortHeader(fields.len()));
        }
        return Ok((header_from(fields), ""));
    };
    Ok((header_from(fields), &body[start..]))
}

pub(super) fn header_from(fields: Vec<String>) -> CefHeader {
    let mut it = fields.into_iter();
    let mut next = || it.next().unwrap_or_default();
    CefHeader {
        version: next(),
        device_vendor: next(),
        device_product: next(),
        device_version: next(),
        signature_id: next(),
        name: next(),
        severity: next(),
    }
}

pub(super) fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'[' | b']')
}

/// The extension's `key=value` pairs in order, values unescaped and
/// trimmed of the spaces that separate pairs.
#[cfg(test)]
pub(super) fn parse_extension(text: &str) -> Vec<(String, String)> {
    parse_extension_borrowed(text)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_owned()))
        .collect()
}

/// [`parse_extension`], borrowing keys and the values without escapes
/// from `text`.
pub(super) fn parse_extension_borrowed(text: &str) -> Vec<(&str, Cow<'_, str>)> {
    let bytes = text.as_bytes();
    // (key start, index of its `=`) for every key.
    let mut keys: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while let Some(found) = memchr::memchr2(b'\\', b'=', &bytes[i.min(bytes.len())..]) {
        i += found;
        if bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        let mut start = i;
        while start > 0 && is_key_byte(bytes[start - 1]) {
            start -= 1;
        }
        let at_boundary = start == 0 || bytes[start - 1] == b' ';
        let after_previous = keys.last().is_none_or(|&(_, eq)| start > eq);
        if start < i && at_boundary && after_previous {
            keys.push((start, i));
        }
        i += 1;
    }
    let mut pairs = Vec::with_capacity(keys.len());
    for (n, &(start, eq)) in keys.iter().enumerate() {
        let end = keys.get(n + 1).map_or(text.len(), |&(next, _)| next);
        let key = &text[start..eq];
        let raw = text[eq + 1..end].trim_end_matches(' ');
        pairs.push((key, unescape_value(raw)));
    }
    pairs
}

fn unescape_value(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(e @ ('=' | '\\' | '|')) => out.push(e),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_escapes_pipe_and_backslash() {
        let (h, ext) =
            split_record(r"CEF:0|Ven\|dor|Pro\\d|1.0|100|Name with \| pipe|10|src=10.0.0.1")
                .unwrap();
        assert_eq!(h.device_vendor, "Ven|dor");
        assert_eq!(h.device_product, r"Pro\d");
        assert_eq!(h.name, "Name with | pipe");
        assert_eq!(h.severity, "10");
        assert_eq!(ext, "src=10.0.0.1");
        assert_eq!(split_record("CEF:0|a|b"), Err(CefError::ShortHeader(2)));
        assert_eq!(split_record("LEEF:1.0|a"), Err(CefError::NoPrefix));
    }

    #[test]
    fn extension_values_hold_spaces_escapes_and_stray_equals() {
        let pairs = parse_extension(
            r"act=Accept cs2Label=Rule Name msg=a\=b c\\d\ne x=1=2 originsicname=CN\=R80,O\=R80_M..6u6bdo  end=",
        );
        let got: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("act", "Accept"),
                ("cs2Label", "Rule Name"),
                ("msg", "a=b c\\d\ne"),
                ("x", "1=2"),
                ("originsicname", "CN=R80,O=R80_M..6u6bdo"),
                ("end", ""),
            ]
        );
    }
}
