//! `title` and `message` templates: text with `{field.path}` holes filled
//! from the event (`"{actor.name} opened a break-glass session"`).
//!
//! Parsed once at start; an unknown field or an unclosed `{` is an error
//! then, not a surprise at 3 a.m. `{{` and `}}` write literal braces. A
//! field the event does not have renders as `-`.

use super::event_fields::{field_text, is_known_path};
use crate::event::AuditEvent;

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Field(String),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

/// Why a template cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("\"{{\" at character {at} is not closed (write {{{{ for a literal brace)")]
    Unclosed { at: usize },
    #[error("unknown field \"{field}\" (use event fields such as actor.name, action, source.ip, details.NAME)")]
    UnknownField { field: String },
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|(_, c)| *c) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|(_, c)| *c) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let rest = &text[at + 1..];
                    let end = rest
                        .find('}')
                        .ok_or(TemplateError::Unclosed { at: at + 1 })?;
                    let field = rest[..end].trim().to_string();
                    if !is_known_path(&field) {
                        return Err(TemplateError::UnknownField { field });
                    }
                    for _ in 0..rest[..=end].chars().count() {
                        chars.next();
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Field(field));
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Template { parts })
    }

    /// The text for `event`.
    pub fn render(&self, event: &AuditEvent) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Field(path) => match field_text(event, path) {
                    Some(value) => out.push_str(&value),
                    None => out.push('-'),
                },
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Origin, OriginKind};

    fn event() -> AuditEvent {
        let origin = Origin {
            kind: OriginKind::File,
            format: "json".into(),
            path: None,
            offset: None,
            peer: None,
        };
        let mut e = AuditEvent::new(origin, "h", chrono::Utc::now());
        e.action = "user.login".into();
        e.actor.name = Some("alice".into());
        e.details.insert("ip".into(), serde_json::json!("10.0.0.9"));
        e
    }

    #[test]
    fn fields_are_filled_and_braces_escaped() {
        let t = Template::parse("{actor.name} did {action} from {details.ip} {{x}} {actor.email}")
            .unwrap();
        assert_eq!(
            t.render(&event()),
            "alice did user.login from 10.0.0.9 {x} -"
        );
    }

    #[test]
    fn unknown_fields_and_unclosed_braces_are_refused() {
        assert_eq!(
            Template::parse("{actr.name}"),
            Err(TemplateError::UnknownField {
                field: "actr.name".into()
            })
        );
        assert_eq!(
            Template::parse("a {action"),
            Err(TemplateError::Unclosed { at: 3 })
        );
    }
}
