//! Which events `auditship tap --filter EXPR` shows: a small expression
//! language over an event's JSON, behind the [`EventFilter`] trait so that
//! a fuller evaluator (CEL, as alert rules will use) can replace it without
//! touching the tap.
//!
//! Syntax: comparisons joined by `&&` (all must hold):
//!
//! ```text
//! action == "user.login" && outcome != "success" && actor.id ^= "svc-"
//! ```
//!
//! - the left side is a dotted path into the event JSON (`actor.id`,
//!   `details.seq`); a path that does not exist matches `!=` only;
//! - `==` equal, `!=` not equal, `^=` starts with;
//! - the right side is a double-quoted string (`\"` and `\\` escape); it
//!   is compared with strings as they are, with numbers and booleans by
//!   their JSON text (`details.seq == "42"`).
//!
//! Pure: no I/O, total on any event.

use serde_json::Value;

/// Decides whether an event is shown. Implementations are pure.
pub trait EventFilter: Send + Sync {
    fn matches(&self, event: &Value) -> bool;
}

/// Why an expression was refused; `at` is the byte offset in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filter expression, at character {at}: {reason} (expected e.g. action == \"user.login\" && actor.id ^= \"svc-\")")]
pub struct FilterError {
    pub at: usize,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Equals,
    NotEquals,
    StartsWith,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Comparison {
    path: Vec<String>,
    operator: Operator,
    value: String,
}

/// Comparisons joined by `&&`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldFilter {
    all: Vec<Comparison>,
}

impl FieldFilter {
    /// Parses an expression (see the module doc).
    pub fn parse(expression: &str) -> Result<FieldFilter, FilterError> {
        let mut parser = ExpressionParser {
            text: expression,
            at: 0,
        };
        let mut all = vec![parser.comparison()?];
        loop {
            parser.skip_spaces();
            if parser.at == expression.len() {
                return Ok(FieldFilter { all });
            }
            parser.expect("&&")?;
            all.push(parser.comparison()?);
        }
    }
}

impl EventFilter for FieldFilter {
    fn matches(&self, event: &Value) -> bool {
        self.all.iter().all(|comparison| comparison.holds(event))
    }
}

impl Comparison {
    fn holds(&self, event: &Value) -> bool {
        let found = self
            .path
            .iter()
            .try_fold(event, |value, key| value.get(key.as_str()));
        let text = match found {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        };
        match (self.operator, text) {
            (Operator::Equals, Some(text)) => text == self.value,
            (Operator::StartsWith, Some(text)) => text.starts_with(&self.value),
            (Operator::NotEquals, Some(text)) => text != self.value,
            (Operator::NotEquals, None) => true,
            (_, None) => false,
        }
    }
}

struct ExpressionParser<'a> {
    text: &'a str,
    at: usize,
}

impl ExpressionParser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn error<T>(&self, reason: impl Into<String>) -> Result<T, FilterError> {
        Err(FilterError {
            at: self.at,
            reason: reason.into(),
        })
    }

    fn skip_spaces(&mut self) {
        let trimmed = self.rest().trim_start();
        self.at = self.text.len() - trimmed.len();
    }

    fn expect(&mut self, token: &str) -> Result<(), FilterError> {
        self.skip_spaces();
        if !self.rest().starts_with(token) {
            return self.error(format!("expected {token:?}"));
        }
        self.at += token.len();
        Ok(())
    }

    fn comparison(&mut self) -> Result<Comparison, FilterError> {
        self.skip_spaces();
        let length = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
            .unwrap_or(self.rest().len());
        let path_text = &self.rest()[..length];
        if path_text.is_empty() || path_text.split('.').any(str::is_empty) {
            return self.error("expected a field path such as actor.id");
        }
        let path = path_text.split('.').map(str::to_string).collect();
        self.at += length;
        self.skip_spaces();
        let operator = match self.rest().get(..2) {
            Some("==") => Operator::Equals,
            Some("!=") => Operator::NotEquals,
            Some("^=") => Operator::StartsWith,
            _ => return self.error("expected ==, != or ^="),
        };
        self.at += 2;
        self.skip_spaces();
        let value = self.quoted()?;
        Ok(Comparison {
            path,
            operator,
            value,
        })
    }

    fn quoted(&mut self) -> Result<String, FilterError> {
        if !self.rest().starts_with('"') {
            return self.error("expected a double-quoted value");
        }
        let mut value = String::new();
        let mut chars = self.rest().char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.at += i + 1;
                    return Ok(value);
                }
                '\\' => match chars.next() {
                    Some((_, escaped @ ('"' | '\\'))) => value.push(escaped),
                    _ => {
                        self.at += i;
                        return self.error("only \\\" and \\\\ may be escaped");
                    }
                },
                other => value.push(other),
            }
        }
        self.error("the quoted value is not closed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Value {
        json!({
            "action": "user.login",
            "outcome": "failure",
            "actor": {"id": "svc-deploy"},
            "details": {"seq": 42, "say": "a \"quote\""}
        })
    }

    fn matches(expression: &str) -> bool {
        FieldFilter::parse(expression)
            .unwrap_or_else(|e| panic!("{e}"))
            .matches(&event())
    }

    #[test]
    fn comparisons_follow_dotted_paths_and_are_joined_by_and() {
        assert!(matches(r#"action == "user.login""#));
        assert!(matches(r#"action=="user.login"&&actor.id ^= "svc-""#));
        assert!(!matches(
            r#"action == "user.login" && outcome == "success""#
        ));
        assert!(matches(r#"outcome != "success""#));
        assert!(
            matches(r#"details.seq == "42""#),
            "numbers by their JSON text"
        );
        assert!(matches(r#"details.say == "a \"quote\"""#));
    }

    #[test]
    fn a_missing_field_matches_only_not_equals() {
        assert!(!matches(r#"tenant.id == "x""#));
        assert!(!matches(r#"tenant.id ^= """#));
        assert!(matches(r#"tenant.id != "x""#));
    }

    #[test]
    fn malformed_expressions_say_where_and_what_was_expected() {
        let cases = [
            ("", 0, "field path"),
            (r#"action = "x""#, 7, "==, != or ^="),
            (r#"action == x"#, 10, "double-quoted"),
            (r#"action == "x"#, 10, "not closed"),
            (r#"action == "x" || outcome == "y""#, 14, "\"&&\""),
            (r#"a..b == "x""#, 0, "field path"),
        ];
        for (expression, at, reason) in cases {
            let error = FieldFilter::parse(expression).unwrap_err();
            assert_eq!(error.at, at, "{expression}: {error}");
            assert!(error.reason.contains(reason), "{expression}: {error}");
        }
    }
}
