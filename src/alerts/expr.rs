//! A rule's `when`: a CEL (Common Expression Language) expression, compiled
//! once at start by the `cel` crate, evaluated on every event.
//!
//! Why CEL: it is the language Kubernetes admission policies and Google IAM
//! conditions use, so operators know it, and it is side-effect free and
//! always terminates. Two additions make it cheap enough to run 100 rules
//! inline:
//!
//! - `matches` is ours: the pattern must be a string literal and is
//!   compiled once here (the crate's own `matches` compiles the regex on
//!   every call, tens of microseconds each);
//! - the required `action` values are read off the expression (a top-level
//!   `action == "…"` or `action in [...]` conjunct) so the [`super::RuleSet`]
//!   evaluates a rule only on events with one of those actions.
//!
//! An evaluation error (a field of the wrong type, say) counts as "no
//! match"; the count is kept by the rule set.

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::ast::{Expr, IdedExpr, LiteralValue};
use cel::extractors::This;
use cel::{Context, Program, Value};
use regex::Regex;

use super::event_fields::VARIABLES;
use super::fast_path::{lower, Fast};

/// Why a `when` cannot be used; `line` and `column` are 1-based, within
/// the expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at line {line}, column {column} of the expression)")]
pub struct ExprError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl ExprError {
    fn at_start(message: String) -> ExprError {
        ExprError {
            line: 1,
            column: 1,
            message,
        }
    }
}

/// A compiled `when`.
pub struct WhenExpr {
    program: Program,
    /// Top-level variables the expression reads (a subset of `VARIABLES`).
    pub variables: Vec<&'static str>,
    /// `Some(actions)`: the expression can only be true for these actions.
    pub required_actions: Option<Vec<String>>,
    /// Every regex literal given to `matches`, compiled.
    pub regexes: HashMap<String, Regex>,
    /// The native lowering, when the expression allows one (`fast_path`).
    fast: Option<Fast>,
}

impl std::fmt::Debug for WhenExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhenExpr")
            .field("variables", &self.variables)
            .field("required_actions", &self.required_actions)
            .field("fast", &self.fast.is_some())
            .finish()
    }
}

/// Compiles `source`, checking its variables and regexes.
pub fn compile(source: &str) -> Result<WhenExpr, ExprError> {
    let program = Program::compile(source).map_err(|errors| {
        let first = errors.errors.first();
        ExprError {
            line: first.map_or(1, |e| e.pos.0.max(1) as usize),
            column: first.map_or(1, |e| e.pos.1.max(1) as usize),
            message: first.map_or("invalid expression".into(), |e| e.msg.clone()),
        }
    })?;
    let ast = program.expression().clone();
    let references = program.references();
    let mut bound = Vec::new();
    bound_names(&ast, &mut bound);
    let mut variables = Vec::new();
    for name in references.variables() {
        if bound.iter().any(|b| b == name) {
            continue; // a macro's own variable: `exists(g, g == "x")`
        }
        match VARIABLES.iter().find(|v| **v == name) {
            Some(v) => variables.push(*v),
            None => {
                let column = source.find(name).map_or(1, |at| at + 1);
                let suggestion = crate::config::closest_name(name, VARIABLES.iter().copied())
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                return Err(ExprError {
                    line: 1,
                    column,
                    message: format!(
                        "unknown field \"{name}\"{suggestion}; fields are {}",
                        VARIABLES.join(", ")
                    ),
                });
            }
        }
    }
    let mut regexes = HashMap::new();
    collect_regexes(&ast, &mut regexes)?;
    Ok(WhenExpr {
        program,
        variables,
        required_actions: required_actions(&ast),
        regexes,
        fast: lower(&ast),
    })
}

/// Builds the function registry every evaluation shares: CEL's standard
/// functions plus our precompiled `matches`.
pub fn root_context(regexes: HashMap<String, Regex>) -> Context<'static, 'static> {
    let mut context = Context::default();
    let regexes = Arc::new(regexes);
    context
        .add_function(
            "matches",
            move |This(this): This<Arc<String>>, pattern: Arc<String>| -> bool {
                regexes
                    .get(pattern.as_str())
                    .is_some_and(|re| re.is_match(&this))
            },
        )
        .expect("`matches` is not declared by the standard library without its regex feature");
    context
}

impl WhenExpr {
    /// The fast path's answer for `event` (`Some(false)` on an evaluation
    /// error, as for CEL), `None` when this expression has no fast path.
    pub fn eval_fast(&self, event: &crate::event::AuditEvent) -> Option<Option<bool>> {
        self.fast.as_ref().map(|fast| fast.eval(event))
    }

    /// `Ok(true)` when the expression holds in `scope`.
    pub fn eval(&self, scope: &Context) -> Result<bool, String> {
        match self.program.execute(scope) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(format!("the expression gave {other:?}, not a boolean")),
            Err(error) => Err(error.to_string()),
        }
    }
}

fn collect_regexes(expr: &IdedExpr, out: &mut HashMap<String, Regex>) -> Result<(), ExprError> {
    match &expr.expr {
        Expr::Call(call) => {
            if call.func_name == "matches" {
                match call.args.first().map(|a| &a.expr) {
                    Some(Expr::Literal(LiteralValue::String(pattern))) => {
                        let pattern = pattern.inner().to_string();
                        let re = Regex::new(&pattern).map_err(|e| {
                            ExprError::at_start(format!("invalid regex \"{pattern}\": {e}"))
                        })?;
                        out.insert(pattern, re);
                    }
                    _ => {
                        return Err(ExprError::at_start(
                            "matches() needs a string literal pattern, e.g. actor.email.matches(\"@example\\\\.com$\")".into(),
                        ))
                    }
                }
            }
            if let Some(target) = &call.target {
                collect_regexes(target, out)?;
            }
            for arg in &call.args {
                collect_regexes(arg, out)?;
            }
        }
        Expr::Select(select) => collect_regexes(&select.operand, out)?,
        Expr::List(list) => {
            for e in &list.elements {
                collect_regexes(e, out)?;
            }
        }
        Expr::Comprehension(c) => {
            for e in [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ] {
                collect_regexes(e, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Names that macros bind (`g` in `list.exists(g, …)`), which are not
/// event fields.
fn bound_names(expr: &IdedExpr, out: &mut Vec<String>) {
    match &expr.expr {
        Expr::Comprehension(c) => {
            out.push(c.iter_var.clone());
            out.extend(c.iter_var2.clone());
            out.push(c.accu_var.clone());
            for e in [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ] {
                bound_names(e, out);
            }
        }
        Expr::Call(call) => {
            for e in call.target.iter().map(|t| &**t).chain(&call.args) {
                bound_names(e, out);
            }
        }
        Expr::Select(select) => bound_names(&select.operand, out),
        Expr::List(list) => list.elements.iter().for_each(|e| bound_names(e, out)),
        _ => {}
    }
}

/// The actions the expression requires, from its top-level `&&` chain.
fn required_actions(expr: &IdedExpr) -> Option<Vec<String>> {
    let Expr::Call(call) = &expr.expr else {
        return None;
    };
    let is_action = |e: &IdedExpr| matches!(&e.expr, Expr::Ident(name) if name == "action");
    let literal = |e: &IdedExpr| match &e.expr {
        Expr::Literal(LiteralValue::String(s)) => Some(s.inner().to_string()),
        _ => None,
    };
    match (call.func_name.as_str(), call.args.as_slice()) {
        ("_&&_", [left, right]) => match (required_actions(left), required_actions(right)) {
            (Some(l), Some(r)) => Some(l.into_iter().filter(|a| r.contains(a)).collect()),
            (Some(one), None) | (None, Some(one)) => Some(one),
            (None, None) => None,
        },
        ("_==_", [a, b]) if is_action(a) => literal(b).map(|s| vec![s]),
        ("_==_", [a, b]) if is_action(b) => literal(a).map(|s| vec![s]),
        ("@in", [a, list]) if is_action(a) => match &list.expr {
            Expr::List(items) => items.elements.iter().map(literal).collect(),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
#[path = "expr_tests.rs"]
mod tests;
