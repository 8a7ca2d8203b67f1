//! The `subject` template of the `nats` sink, e.g.
//! `"audit.{tenant.id}.{action}"`: parsed once at validation, rendered for
//! each event from its JSON (pure, no I/O).
//!
//! Rules, so that every event gets a valid, literal NATS subject whatever
//! its fields hold:
//! - `{path}` is a dotted path into the event (`tenant.id`, `actor.id`,
//!   `details.region`); a string is used as is, a number or boolean as
//!   written in JSON;
//! - a missing field, `null`, an empty string, an object or an array
//!   becomes [`PLACEHOLDER`] (`_`);
//! - in a field's value, every character a subject token cannot hold —
//!   `.` (the token separator), `*` and `>` (wildcards), whitespace and
//!   control characters — becomes `_`; so `tenant.id = "acme corp.eu"`
//!   gives the one token `acme_corp_eu`;
//! - the literal text around placeholders is checked at validation: no
//!   whitespace, no wildcard, no empty token.

/// What a missing or empty field, or a forbidden character, becomes.
pub const PLACEHOLDER: char = '_';

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// The dotted path, split.
    Field(Vec<String>),
}

/// A parsed `subject`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectTemplate {
    text: String,
    parts: Vec<Part>,
}

impl std::fmt::Display for SubjectTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl SubjectTemplate {
    /// Parses `text`; the error says what to fix, for the operator.
    pub fn parse(text: &str) -> Result<SubjectTemplate, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find(['{', '}']) {
            if rest[open..].starts_with('}') {
                return Err("has a '}' without its '{'".into());
            }
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or("has a '{' without its '}' (write fields as {tenant.id})")?;
            let path = &after[..close];
            let valid = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            };
            if !path.split('.').all(valid) {
                return Err(format!(
                    "has the field {{{path}}}, which is not a dotted field path such as {{tenant.id}}"
                ));
            }
            parts.push(Part::Field(path.split('.').map(str::to_string).collect()));
            rest = &after[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        // Check the shape with every field as one plain token.
        let sample: String = parts
            .iter()
            .map(|part| match part {
                Part::Literal(text) => text.as_str(),
                Part::Field(_) => "x",
            })
            .collect();
        if sample.is_empty() {
            return Err("is empty".into());
        }
        if sample.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("contains whitespace, which NATS subjects cannot hold".into());
        }
        if sample.split('.').any(str::is_empty) {
            return Err("has an empty token (a leading or trailing '.', or '..')".into());
        }
        if sample.contains(['*', '>']) {
            return Err(
                "contains a wildcard ('*' or '>'): events are published to one literal subject"
                    .into(),
            );
        }
        Ok(SubjectTemplate {
            text: text.to_string(),
            parts,
        })
    }

    /// The subjects a stream needs to take every rendered subject: each
    /// token holding a field becomes `*` (`audit.{tenant.id}.{action}` →
    /// `audit.*.*`). The default of `create_stream.subjects`.
    pub fn stream_filter(&self) -> String {
        let mut marked = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => marked.push_str(text),
                Part::Field(_) => marked.push('\u{0}'),
            }
        }
        marked
            .split('.')
            .map(|token| if token.contains('\u{0}') { "*" } else { token })
            .collect::<Vec<_>>()
            .join(".")
    }

    /// The dotted paths of the fields, split.
    pub fn field_paths(&self) -> impl Iterator<Item = &[String]> {
        self.parts.iter().filter_map(|part| match part {
            Part::Field(path) => Some(path.as_slice()),
            Part::Literal(_) => None,
        })
    }

    /// The subject of one event (its JSON object).
    pub fn render(&self, event: &serde_json::Value) -> String {
        let mut subject = String::with_capacity(self.text.len() + 32);
        for part in &self.parts {
            match part {
                Part::Literal(text) => subject.push_str(text),
                Part::Field(path) => push_token(&mut subject, lookup(event, path)),
            }
        }
        subject
    }
}

fn lookup<'a>(event: &'a serde_json::Value, path: &[String]) -> Option<&'a serde_json::Value> {
    path.iter().try_fold(event, |value, key| value.get(key))
}

/// Appends a field's value as (part of) one token; see the module rules.
fn push_token(subject: &mut String, value: Option<&serde_json::Value>) {
    let start = subject.len();
    match value {
        Some(serde_json::Value::String(text)) => subject.extend(text.chars().map(|c| {
            if c == '.' || c == '*' || c == '>' || c.is_whitespace() || c.is_control() {
                PLACEHOLDER
            } else {
                c
            }
        })),
        Some(value @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
            // A number such as 1.5 holds a '.'.
            subject.extend(value.to_string().chars().map(|c| match c {
                '.' => PLACEHOLDER,
                c => c,
            }))
        }
        _ => {}
    }
    if subject.len() == start {
        subject.push(PLACEHOLDER);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(template: &str, event: serde_json::Value) -> String {
        SubjectTemplate::parse(template).unwrap().render(&event)
    }

    #[test]
    fn fields_are_filled_from_the_event_including_nested_paths() {
        let event = json!({"action": "user.login", "tenant": {"id": "acme"}, "n": 42, "ok": true});
        assert_eq!(
            render("audit.{tenant.id}.{action}", event.clone()),
            "audit.acme.user_login"
        );
        assert_eq!(render("a.{n}-{ok}", event.clone()), "a.42-true");
        assert_eq!(render("static.subject", event), "static.subject");
    }

    #[test]
    fn missing_null_empty_and_structured_values_become_an_underscore() {
        let event = json!({"action": "", "tenant": null, "actor": {"groups": ["a"]}, "x": {}});
        assert_eq!(
            render(
                "audit.{tenant.id}.{action}.{actor.groups}.{x}.{nope}",
                event
            ),
            "audit._._._._._"
        );
    }

    #[test]
    fn characters_a_token_cannot_hold_become_underscores() {
        let event = json!({"tenant": {"id": "acme corp.eu*>\t\u{7}x"}, "v": 1.5});
        let subject = render("audit.{tenant.id}.{v}", event);
        assert_eq!(subject, "audit.acme_corp_eu____x.1_5");
        assert_eq!(subject.split('.').count(), 3);
        // Non-ASCII is valid in a subject and kept.
        assert_eq!(render("a.{t}", json!({"t": "zürich"})), "a.zürich");
    }

    #[test]
    fn templates_that_cannot_give_a_valid_subject_are_refused() {
        for (bad, why) in [
            ("", "is empty"),
            ("audit.{tenant.id", "without its '}'"),
            ("audit.tenant}", "without its '{'"),
            ("audit.{}", "not a dotted field path"),
            ("audit.{a..b}", "not a dotted field path"),
            ("audit.{a b}", "not a dotted field path"),
            ("audit..{action}", "empty token"),
            (".audit", "empty token"),
            ("audit.", "empty token"),
            ("audit.*", "wildcard"),
            ("audit.>", "wildcard"),
            ("audit log.{action}", "whitespace"),
        ] {
            let error = SubjectTemplate::parse(bad).expect_err(bad);
            assert!(error.contains(why), "{bad:?}: {error}");
        }
    }

    #[test]
    fn the_stream_filter_puts_a_wildcard_for_every_token_with_a_field() {
        let filter = |t: &str| SubjectTemplate::parse(t).unwrap().stream_filter();
        assert_eq!(filter("audit.{tenant.id}.{action}"), "audit.*.*");
        assert_eq!(filter("audit.t-{tenant.id}.all"), "audit.*.all");
        assert_eq!(filter("audit.events"), "audit.events");
    }
}
