//! Notification → an RFC 5322 message, and the DATA encoding of it. Pure.
//!
//! Headers: `Date` (the firing time), `Message-ID: <NOTIFICATION-ID@HOST>`
//! (so a repeat after a crash is recognisable), `From`, `To`, `Subject` =
//! the title (RFC 2047 `=?UTF-8?B?…?=` when not ASCII), `MIME-Version`,
//! `Content-Type: text/plain; charset=utf-8`. The body is sent `7bit` when
//! it is short-lined ASCII, else base64 (valid on any server, with or
//! without `8BITMIME`). Lines end in CRLF; `DATA` dot-stuffs them.

use base64::Engine;

use crate::alerts::notification::Notification;

/// Longest subject kept, in characters.
const MAX_SUBJECT: usize = 200;

/// The message (CRLF line ends, not yet dot-stuffed).
pub fn compose(n: &Notification, from: &str, to: &[String]) -> String {
    let date = chrono::DateTime::from_timestamp_millis(n.fired_at_ms as i64)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S +0000");
    let body = body_text(n);
    let (encoding, body) = if body.is_ascii() && body.lines().all(|l| l.len() <= 998) {
        ("7bit", crlf(&body))
    } else {
        let encoded = base64::engine::general_purpose::STANDARD.encode(body.as_bytes());
        let lines: Vec<&str> = encoded
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
            .collect();
        ("base64", lines.join("\r\n") + "\r\n")
    };
    format!(
        "Date: {date}\r\nMessage-ID: <{}@{}>\r\nFrom: {from}\r\nTo: {}\r\nSubject: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: {encoding}\r\nAuto-Submitted: auto-generated\r\n\r\n{body}",
        atom(&n.id),
        atom(&n.host),
        to.join(", "),
        subject(&n.title),
    )
}

/// `text` as sent after DATA: lines starting with `.` get another `.`,
/// then the terminating `.` line (RFC 5321 §4.5.2). `text` ends in CRLF.
pub fn dot_stuff(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 8);
    for line in text.split_inclusive("\r\n") {
        if line.starts_with('.') {
            out.push(b'.');
        }
        out.extend_from_slice(line.as_bytes());
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

/// Every line break as CRLF, ending with one.
fn crlf(text: &str) -> String {
    let mut out: String = text.lines().flat_map(|l| [l, "\r\n"]).collect();
    if out.is_empty() {
        out.push_str("\r\n");
    }
    out
}

/// A header-safe subject: one line, clipped, encoded when not ASCII.
fn subject(title: &str) -> String {
    let one_line: String = title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_SUBJECT)
        .collect();
    if one_line.is_ascii() {
        return one_line;
    }
    // Encoded words of at most 75 characters: 45 bytes of UTF-8 each,
    // never splitting a character.
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in one_line.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    words.push(chunk);
    words
        .iter()
        .map(|w| {
            let b64 = base64::engine::general_purpose::STANDARD.encode(w.as_bytes());
            format!("=?UTF-8?B?{b64}?=")
        })
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// `text` reduced to characters allowed in a Message-ID part.
fn atom(text: &str) -> String {
    let kept: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if kept.is_empty() {
        "auditship".into()
    } else {
        kept
    }
}

/// The readable body: the facts chat channels show, one per line.
fn body_text(n: &Notification) -> String {
    let mut lines = vec![
        n.title.clone(),
        String::new(),
        n.summary_line(),
        String::new(),
    ];
    lines.push(format!("Severity: {}", n.severity));
    lines.push(format!("Alert: {}", n.alert));
    lines.push(format!("Events: {}", n.count));
    if n.suppressed > 0 {
        lines.push(format!("Suppressed by cooldown: {}", n.suppressed));
    }
    for (field, value) in &n.group {
        lines.push(format!("Group {field}: {value}"));
    }
    if let Some(digest) = &n.digest {
        lines.push(format!("Window: {} to {}", digest.from, digest.to));
        for (action, count) in &digest.actions {
            lines.push(format!("  {count} × {action}"));
        }
        lines.push(format!("Actors: {}", digest.actors));
    }
    lines.push(format!("Host: {}", n.host));
    lines.push(format!("Fired at: {}", n.fired_at));
    if let Some(runbook) = &n.runbook {
        lines.push(format!("Runbook: {runbook}"));
    }
    if let Some(event) = n.event.as_object() {
        lines.push(String::new());
        lines.push("Event:".into());
        for (key, value) in event {
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            lines.push(format!("  {key}: {value}"));
        }
    }
    lines.push(String::new());
    lines.push(format!(
        "Notification {} (dedup key {}).",
        n.id, n.dedup_key
    ));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::channels::fixtures::notification;

    #[test]
    fn dot_stuffing_doubles_leading_dots_and_terminates() {
        assert_eq!(
            dot_stuff("a\r\n.b\r\n..c\r\n"),
            b"a\r\n..b\r\n...c\r\n.\r\n"
        );
        assert_eq!(dot_stuff(".\r\n"), b"..\r\n.\r\n");
    }

    #[test]
    fn the_message_has_the_headers_and_crlf_lines() {
        let mut n = notification();
        n.suppressed = 0; // the suppressed line has an em dash: not ASCII
        let m = compose(
            &n,
            "auditship@example.com",
            &["a@example.com".into(), "b@example.com".into()],
        );
        let (head, body) = m.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains("Date: Fri, 02 Jan 2026 03:04:05 +0000"),
            "{head}"
        );
        assert!(
            head.contains("Message-ID: <login_failures-1-1@web-1>"),
            "{head}"
        );
        assert!(head.contains("To: a@example.com, b@example.com"), "{head}");
        assert!(
            head.contains("Subject: 5 failed logins for alice"),
            "{head}"
        );
        assert!(head.contains("Content-Transfer-Encoding: 7bit"), "{head}");
        assert!(
            body.contains("Runbook: https://runbooks.example.com/login\r\n"),
            "{body}"
        );
        assert!(!m.replace("\r\n", "").contains('\n'), "no bare LF");
    }

    #[test]
    fn non_ascii_goes_base64_and_the_subject_is_encoded() {
        let mut n = notification();
        n.title = "Zugriff für Jürgen\r\nBcc: evil@example.com".into();
        let m = compose(&n, "f@example.com", &["t@example.com".into()]);
        let (head, body) = m.split_once("\r\n\r\n").unwrap();
        assert!(head.contains("Subject: =?UTF-8?B?"), "{head}");
        assert!(
            !head.split("\r\n").any(|l| l.starts_with("Bcc")),
            "no header injection: {head}"
        );
        assert!(head.contains("Content-Transfer-Encoding: base64"), "{head}");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(body.replace("\r\n", ""))
            .unwrap();
        assert!(String::from_utf8(decoded)
            .unwrap()
            .starts_with("Zugriff für Jürgen"));
    }
}
