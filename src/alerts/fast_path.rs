//! A native evaluator for the common subset of `when` expressions, so that
//! 100 rules stay cheap on every event.
//!
//! CEL stays the language: every expression is parsed (and its errors
//! reported) by the `cel` crate. What this module adds is a *lowering*: when
//! an expression uses only string fields of the schema, string literals,
//! `==`, `!=`, `&&`, `||`, `!`, `in [...]`, `startsWith`, `endsWith`,
//! `contains` and `matches`, it is turned into a small tree evaluated
//! straight against the [`AuditEvent`] — no CEL values, maps or scopes are
//! built. Anything else (numbers, `details.*`, lists, macros, `has`) is left
//! to the interpreter. `fast_path_agrees_with_cel` in the tests checks both
//! give the same answer on a table of expressions and events.
//!
//! Absent fields are `null`, as in `event_fields`: `==` is false, `!=` true,
//! `in` false; a string function on `null` is an error. Errors follow the
//! CEL specification (`false && error` is false, `true || error` is true);
//! an error at the top is "no match".

use regex::Regex;

use super::event_fields::field_text;
use crate::event::{ActorType, AuditEvent, OriginKind};
use cel::common::ast::{Expr, IdedExpr, LiteralValue};

/// A string field of the event.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Action,
    Outcome,
    Severity,
    ActorId,
    ActorName,
    ActorType,
    SourceIp,
    TenantId,
    OriginKind,
    /// Any other string field, read through `field_text` (slower, rarer).
    Other(String),
}

/// Paths whose value is always a string (or absent).
const STRING_PATHS: &[&str] = &[
    "id",
    "category",
    "message",
    "host",
    "actor.email",
    "actor.session_id",
    "source.user_agent",
    "resource.type",
    "resource.id",
    "resource.name",
    "project.id",
    "status.detail",
    "origin.format",
    "origin.path",
];

impl Field {
    fn from_path(path: &str) -> Option<Field> {
        Some(match path {
            "action" => Field::Action,
            "outcome" => Field::Outcome,
            "severity" => Field::Severity,
            "actor.id" => Field::ActorId,
            "actor.name" => Field::ActorName,
            "actor.type" => Field::ActorType,
            "source.ip" => Field::SourceIp,
            "tenant.id" => Field::TenantId,
            "origin.kind" => Field::OriginKind,
            p if STRING_PATHS.contains(&p)
                || p.strip_prefix("correlation.")
                    .is_some_and(|n| !n.contains('.')) =>
            {
                Field::Other(p.to_string())
            }
            _ => return None,
        })
    }

    fn read<'e>(&self, e: &'e AuditEvent) -> Option<std::borrow::Cow<'e, str>> {
        use std::borrow::Cow::{Borrowed, Owned};
        match self {
            Field::Action => Some(Borrowed(&e.action)),
            Field::Outcome => Some(Borrowed(e.outcome.as_str())),
            Field::Severity => Some(Borrowed(e.severity.as_str())),
            Field::ActorId => e.actor.id.as_deref().map(Borrowed),
            Field::ActorName => e.actor.name.as_deref().map(Borrowed),
            Field::ActorType => Some(Borrowed(match e.actor.kind {
                ActorType::User => "user",
                ActorType::ServiceAccount => "service_account",
                ActorType::System => "system",
                ActorType::Unknown => "unknown",
            })),
            Field::SourceIp => e
                .source
                .as_ref()
                .and_then(|s| s.ip.as_deref())
                .map(Borrowed),
            Field::TenantId => e.tenant.as_ref().map(|t| Borrowed(t.id.as_str())),
            Field::OriginKind => Some(Borrowed(match e.origin.kind {
                OriginKind::File => "file",
                OriginKind::Unix => "unix",
                OriginKind::Syslog => "syslog",
                OriginKind::Http => "http",
                OriginKind::Stdin => "stdin",
                OriginKind::Agent => "agent",
            })),
            Field::Other(path) => field_text(e, path).map(Owned),
        }
    }
}

/// A lowered expression.
#[derive(Debug)]
pub enum Fast {
    And(Box<Fast>, Box<Fast>),
    Or(Box<Fast>, Box<Fast>),
    Not(Box<Fast>),
    Eq(Field, String),
    Ne(Field, String),
    In(Field, Vec<String>),
    StartsWith(Field, String),
    EndsWith(Field, String),
    Contains(Field, String),
    Matches(Field, Regex),
    Const(bool),
}

fn string_literal(e: &IdedExpr) -> Option<String> {
    match &e.expr {
        Expr::Literal(LiteralValue::String(s)) => Some(s.inner().to_string()),
        _ => None,
    }
}

fn field(e: &IdedExpr) -> Option<Field> {
    match &e.expr {
        Expr::Ident(name) => Field::from_path(name),
        Expr::Select(select) if !select.test => match &select.operand.expr {
            Expr::Ident(object) => Field::from_path(&format!("{object}.{}", select.field)),
            _ => None,
        },
        _ => None,
    }
}

/// The lowering of `expr`, or `None` when it needs the interpreter.
pub fn lower(expr: &IdedExpr) -> Option<Fast> {
    match &expr.expr {
        Expr::Literal(LiteralValue::Boolean(b)) => Some(Fast::Const(**b)),
        Expr::Call(call) => {
            let args = call.args.as_slice();
            match (call.func_name.as_str(), &call.target, args) {
                ("_&&_", None, [a, b]) => Some(Fast::And(Box::new(lower(a)?), Box::new(lower(b)?))),
                ("_||_", None, [a, b]) => Some(Fast::Or(Box::new(lower(a)?), Box::new(lower(b)?))),
                ("!_", None, [a]) => Some(Fast::Not(Box::new(lower(a)?))),
                ("_==_" | "_!=_", None, [a, b]) => {
                    let (f, s) = match (field(a), string_literal(b)) {
                        (Some(f), Some(s)) => (f, s),
                        _ => (field(b)?, string_literal(a)?),
                    };
                    Some(if call.func_name == "_==_" {
                        Fast::Eq(f, s)
                    } else {
                        Fast::Ne(f, s)
                    })
                }
                ("@in", None, [a, list]) => match &list.expr {
                    Expr::List(items) => Some(Fast::In(
                        field(a)?,
                        items
                            .elements
                            .iter()
                            .map(string_literal)
                            .collect::<Option<_>>()?,
                    )),
                    _ => None,
                },
                (name, Some(target), [arg]) => {
                    let (f, s) = (field(target)?, string_literal(arg)?);
                    match name {
                        "startsWith" => Some(Fast::StartsWith(f, s)),
                        "endsWith" => Some(Fast::EndsWith(f, s)),
                        "contains" => Some(Fast::Contains(f, s)),
                        "matches" => Some(Fast::Matches(f, Regex::new(&s).ok()?)),
                        _ => None,
                    }
                }
                _ => None,
            }
        }
        _ => None,
    }
}

impl Fast {
    /// `Some(result)`, or `None` for an evaluation error.
    pub fn eval(&self, e: &AuditEvent) -> Option<bool> {
        let string_fn = |f: &Field, test: &dyn Fn(&str) -> bool| f.read(e).map(|v| test(&v));
        match self {
            Fast::Const(b) => Some(*b),
            Fast::And(a, b) => match a.eval(e) {
                Some(false) => Some(false),
                Some(true) => b.eval(e),
                None => (b.eval(e) == Some(false)).then_some(false),
            },
            Fast::Or(a, b) => match a.eval(e) {
                Some(true) => Some(true),
                Some(false) => b.eval(e),
                None => (b.eval(e) == Some(true)).then_some(true),
            },
            Fast::Not(a) => a.eval(e).map(|v| !v),
            Fast::Eq(f, s) => Some(f.read(e).is_some_and(|v| v == s.as_str())),
            Fast::Ne(f, s) => Some(f.read(e).is_none_or(|v| v != s.as_str())),
            Fast::In(f, list) => Some(f.read(e).is_some_and(|v| list.iter().any(|s| *s == v))),
            Fast::StartsWith(f, s) => string_fn(f, &|v| v.starts_with(s.as_str())),
            Fast::EndsWith(f, s) => string_fn(f, &|v| v.ends_with(s.as_str())),
            Fast::Contains(f, s) => string_fn(f, &|v| v.contains(s.as_str())),
            Fast::Matches(f, re) => string_fn(f, &|v| re.is_match(v)),
        }
    }
}
