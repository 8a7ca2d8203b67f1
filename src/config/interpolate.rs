//! `${NAME}` environment references and `@file:` secrets in string values.
//!
//! Rules, applied to every string value (never to keys) after the TOML is
//! parsed — so a value from the environment is only ever data: quotes,
//! newlines or `]` in it cannot change the structure of the file, and every
//! value keeps the line and column where it was written.
//!
//! - `${NAME}`: the environment variable NAME (`[A-Za-z_][A-Za-z0-9_]*`).
//!   Unset is an error naming the variable.
//! - `${NAME:-default}`: the default when NAME is unset *or empty* (as in
//!   the shell). The default is literal text up to the first `}`.
//! - `$$`: a literal `$`. A `$` followed by anything else than `{` or `$` is
//!   kept as it is.
//! - `@file:/path` at the very start of a value: the whole value is the
//!   content of that file, less one trailing newline. The path itself may
//!   use `${NAME}` (`@file:${CREDENTIALS_DIRECTORY}/token`). Errors name the
//!   path, never the content.
//!
//! `[alerts.*]` is not interpolated: rules hold no secrets, and a `when`
//! expression or a template may well contain `$` (`[channels.*]`, which
//! holds webhook URLs and keys, is).
//!
//! Invariant: the interpolated value is stored beside the text as written
//! ([`Text::written`]); errors show the latter.

use std::path::Path;

use super::document::{Node, Span, Text, Value};
use super::error::Reason;

/// Where the environment and secret files come from (injected by tests).
pub(crate) struct Interpolator<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub read_file: &'a dyn Fn(&Path) -> std::io::Result<String>,
}

const SECRET_PREFIX: &str = "@file:";

impl Interpolator<'_> {
    /// Interpolates every string in the tree in place, and returns the
    /// problems found with the span of the value they were found in.
    pub fn interpolate_document(&self, root: &mut Node) -> Vec<(Span, Reason)> {
        let mut problems = Vec::new();
        if let Value::Table(entries) = &mut root.value {
            for entry in entries {
                if entry.key == "alerts" {
                    continue;
                }
                self.interpolate_node(&mut entry.value, &mut problems);
            }
        }
        problems
    }

    fn interpolate_node(&self, node: &mut Node, problems: &mut Vec<(Span, Reason)>) {
        match &mut node.value {
            Value::String(text) => match self.interpolate_value(&text.value) {
                Ok(Some(value)) => {
                    *text = Text {
                        written: Some(std::mem::take(&mut text.value)),
                        value,
                    }
                }
                Ok(None) => {}
                Err(reasons) => {
                    problems.extend(reasons.into_iter().map(|r| (node.span.clone(), r)))
                }
            },
            Value::Array(items) => {
                for item in items {
                    self.interpolate_node(item, problems);
                }
            }
            Value::Table(entries) => {
                for entry in entries {
                    self.interpolate_node(&mut entry.value, problems);
                }
            }
            Value::Integer(_) | Value::Float(_) | Value::Boolean(_) | Value::Datetime => {}
        }
    }

    /// The interpolated value, or `None` when the text has nothing to
    /// interpolate.
    pub fn interpolate_value(&self, text: &str) -> Result<Option<String>, Vec<Reason>> {
        if let Some(path) = text.strip_prefix(SECRET_PREFIX) {
            let path = self.expand(path)?.unwrap_or_else(|| path.to_string());
            if path.is_empty() {
                return Err(vec![Reason::BadReference {
                    message: "@file: needs a path, as in \"@file:/etc/auditship/token\"".into(),
                }]);
            }
            return match (self.read_file)(Path::new(&path)) {
                Ok(mut content) => {
                    if content.ends_with('\n') {
                        content.pop();
                        if content.ends_with('\r') {
                            content.pop();
                        }
                    }
                    Ok(Some(content))
                }
                Err(error) => Err(vec![Reason::SecretFileUnreadable {
                    path,
                    error: error.to_string(),
                }]),
            };
        }
        self.expand(text)
    }

    /// Expands `${…}` and `$$`; `None` when there is no `$` at all.
    fn expand(&self, text: &str) -> Result<Option<String>, Vec<Reason>> {
        if !text.contains('$') {
            return Ok(None);
        }
        let mut out = String::with_capacity(text.len());
        let mut problems = Vec::new();
        let mut rest = text;
        while let Some(dollar) = rest.find('$') {
            out.push_str(&rest[..dollar]);
            let after = &rest[dollar + 1..];
            if let Some(after_escape) = after.strip_prefix('$') {
                out.push('$');
                rest = after_escape;
            } else if let Some(reference) = after.strip_prefix('{') {
                let Some(close) = reference.find('}') else {
                    problems.push(Reason::BadReference {
                        message: "\"${\" is not closed by \"}\"".into(),
                    });
                    return Err(problems);
                };
                match self.resolve(&reference[..close]) {
                    Ok(value) => out.push_str(&value),
                    Err(reason) => problems.push(reason),
                }
                rest = &reference[close + 1..];
            } else {
                out.push('$');
                rest = after;
            }
        }
        out.push_str(rest);
        if problems.is_empty() {
            Ok(Some(out))
        } else {
            Err(problems)
        }
    }

    /// Resolves the inside of `${…}`: `NAME` or `NAME:-default`.
    fn resolve(&self, inside: &str) -> Result<String, Reason> {
        let (name, default) = match inside.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (inside, None),
        };
        if !is_variable_name(name) {
            return Err(Reason::BadReference {
                message: format!(
                    "\"${{{name}}}\" is not a variable name (letters, digits and '_', not starting with a digit)"
                ),
            });
        }
        match ((self.env)(name), default) {
            (Some(value), Some(default)) if value.is_empty() => Ok(default.to_string()),
            (Some(value), _) => Ok(value),
            (None, Some(default)) => Ok(default.to_string()),
            (None, None) => Err(Reason::UnsetVariable {
                name: name.to_string(),
            }),
        }
    }
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    fn env(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("s3cret".into()),
            "EMPTY" => Some(String::new()),
            "DIR" => Some("/run/creds".into()),
            _ => None,
        }
    }

    fn no_files(_: &Path) -> io::Result<String> {
        Err(io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }

    fn run(text: &str) -> Result<Option<String>, Vec<Reason>> {
        Interpolator {
            env: &env,
            read_file: &no_files,
        }
        .interpolate_value(text)
    }

    #[test]
    fn references_are_replaced_by_the_environment() {
        assert_eq!(
            run("Bearer ${TOKEN}").unwrap().as_deref(),
            Some("Bearer s3cret")
        );
        assert_eq!(
            run("${DIR}/${TOKEN}").unwrap().as_deref(),
            Some("/run/creds/s3cret")
        );
        assert_eq!(run("plain").unwrap(), None);
    }

    #[test]
    fn unset_variables_are_errors_naming_every_one() {
        assert_eq!(
            run("${NOPE}-${ALSO_NOPE}").unwrap_err(),
            vec![
                Reason::UnsetVariable {
                    name: "NOPE".into()
                },
                Reason::UnsetVariable {
                    name: "ALSO_NOPE".into()
                }
            ]
        );
    }

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        assert_eq!(run("${NOPE:-x.log}").unwrap().as_deref(), Some("x.log"));
        assert_eq!(
            run("${EMPTY:-fallback}").unwrap().as_deref(),
            Some("fallback")
        );
        assert_eq!(
            run("${TOKEN:-fallback}").unwrap().as_deref(),
            Some("s3cret")
        );
        assert_eq!(run("${NOPE:-}").unwrap().as_deref(), Some(""));
    }

    #[test]
    fn double_dollar_is_a_literal_dollar_and_lone_dollars_stay() {
        assert_eq!(
            run("cost $$5 ${TOKEN}").unwrap().as_deref(),
            Some("cost $5 s3cret")
        );
        assert_eq!(run("$${TOKEN}").unwrap().as_deref(), Some("${TOKEN}"));
        assert_eq!(run("a$b$").unwrap().as_deref(), Some("a$b$"));
    }

    #[test]
    fn malformed_references_are_errors() {
        assert!(matches!(
            &run("${TOKEN").unwrap_err()[0],
            Reason::BadReference { .. }
        ));
        assert!(matches!(
            &run("${}").unwrap_err()[0],
            Reason::BadReference { .. }
        ));
        assert!(matches!(
            &run("${1X}").unwrap_err()[0],
            Reason::BadReference { .. }
        ));
    }

    #[test]
    fn secret_files_are_read_and_one_trailing_newline_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "hunter2\n\n").unwrap();
        let read = |p: &Path| std::fs::read_to_string(p);
        let interpolator = Interpolator {
            env: &env,
            read_file: &read,
        };
        let value = interpolator
            .interpolate_value(&format!("@file:{}", path.display()))
            .unwrap();
        assert_eq!(value.as_deref(), Some("hunter2\n"));
    }

    #[test]
    fn secret_file_paths_may_use_variables_and_errors_never_show_content() {
        let seen = std::cell::RefCell::new(None);
        let read = |p: &Path| {
            *seen.borrow_mut() = Some(p.to_path_buf());
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "permission denied",
            ))
        };
        let error = Interpolator {
            env: &env,
            read_file: &read,
        }
        .interpolate_value("@file:${DIR}/token")
        .unwrap_err();
        assert_eq!(
            seen.borrow().as_deref(),
            Some(Path::new("/run/creds/token"))
        );
        assert_eq!(
            error,
            vec![Reason::SecretFileUnreadable {
                path: "/run/creds/token".into(),
                error: "permission denied".into()
            }]
        );
    }

    #[test]
    fn file_prefix_counts_only_at_the_start() {
        assert_eq!(run("x @file:/etc/passwd").unwrap(), None);
    }
}
