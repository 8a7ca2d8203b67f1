//! [`RuleSet`]: every `[alerts.ID]` compiled once, evaluated on each event
//! by the parse workers (in parallel, so it holds no mutable state).
//!
//! Cost: rules whose `when` requires certain `action` values are indexed by
//! action, so an event is tested only against the rules that can match it
//! plus the rules without such a requirement; most expressions run on the
//! native fast path (`fast_path`); for the others the CEL variables an
//! event needs are built once per event, and only when such a rule is a
//! candidate.
//! What is stateful (windows, cooldowns) happens later, in the engine, on
//! the few events that matched.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use cel::Context;

use super::event_fields::{field_text, variable};
use super::expr::{self, ExprError, WhenExpr};
use super::template::{Template, TemplateError};
use crate::config::AlertConfig;
use crate::event::AuditEvent;

/// One compiled rule.
#[derive(Debug)]
pub struct CompiledRule {
    pub config: AlertConfig,
    when: WhenExpr,
    title: Template,
    message: Option<Template>,
}

/// An event that satisfied a rule's `when`, with what a notification needs
/// from it (the event itself is not kept).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleHit {
    /// Index into the rule set.
    pub rule: usize,
    /// Source that read the event: its `alert.fire` record goes where the
    /// event went.
    pub source_id: Arc<str>,
    /// `group_by` values, in `group_by` order (`-` for absent).
    pub group: Vec<(String, String)>,
    pub title: String,
    pub message: Option<String>,
    /// A summary of the event (id, time, action, outcome, actor, source).
    pub event: serde_json::Value,
}

impl RuleHit {
    /// `field=value,…`: the group key (empty without `group_by`).
    pub fn group_key(&self) -> String {
        self.group
            .iter()
            .map(|(f, v)| format!("{f}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Why a rule cannot be compiled.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("[alerts.{id}] when: {error}")]
    When { id: String, error: ExprError },
    #[error("[alerts.{id}] {key}: {error}")]
    Template {
        id: String,
        key: &'static str,
        error: TemplateError,
    },
}

/// All rules, ready for the parse workers.
pub struct RuleSet {
    rules: Vec<CompiledRule>,
    by_action: HashMap<String, Vec<usize>>,
    unindexed: Vec<usize>,
    root: Context<'static, 'static>,
    /// Evaluations that failed (counted as no match).
    pub eval_errors: AtomicU64,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.rules)
            .finish()
    }
}

impl RuleSet {
    pub fn compile(configs: &[AlertConfig]) -> Result<RuleSet, RuleError> {
        let mut rules = Vec::with_capacity(configs.len());
        let mut by_action: HashMap<String, Vec<usize>> = HashMap::new();
        let mut unindexed = Vec::new();
        let mut regexes = HashMap::new();
        for (index, config) in configs.iter().enumerate() {
            let when = expr::compile(&config.when).map_err(|error| RuleError::When {
                id: config.id.clone(),
                error,
            })?;
            let template = |key: &'static str, text: &str| {
                Template::parse(text).map_err(|error| RuleError::Template {
                    id: config.id.clone(),
                    key,
                    error,
                })
            };
            let default_title = format!("Alert {}: {{action}} by {{actor.name}}", config.id);
            let title = template("title", config.title.as_deref().unwrap_or(&default_title))?;
            let message = config
                .message
                .as_deref()
                .map(|m| template("message", m))
                .transpose()?;
            regexes.extend(when.regexes.clone());
            match &when.required_actions {
                Some(actions) => {
                    for action in actions {
                        by_action.entry(action.clone()).or_default().push(index);
                    }
                }
                None => unindexed.push(index),
            }
            rules.push(CompiledRule {
                config: config.clone(),
                when,
                title,
                message,
            });
        }
        Ok(RuleSet {
            rules,
            by_action,
            unindexed,
            root: expr::root_context(regexes),
            eval_errors: AtomicU64::new(0),
        })
    }

    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules `event` satisfies, appended to `hits`.
    pub fn evaluate(&self, event: &AuditEvent, source_id: &Arc<str>, hits: &mut Vec<RuleHit>) {
        let indexed = self
            .by_action
            .get(&event.action)
            .map_or(&[][..], Vec::as_slice);
        if indexed.is_empty() && self.unindexed.is_empty() {
            return;
        }
        let mut scope = None;
        let mut added: Vec<&str> = Vec::new();
        for &index in self.unindexed.iter().chain(indexed) {
            let rule = &self.rules[index];
            let result = match rule.when.eval_fast(event) {
                Some(Some(matched)) => Ok(matched),
                Some(None) => Err(()),
                None => {
                    // The interpreter: variables built once per event, only
                    // those some rule reads.
                    let scope = scope.get_or_insert_with(|| self.root.new_inner_scope());
                    for name in &rule.when.variables {
                        if !added.contains(name) {
                            scope.add_variable_from_value(*name, variable(event, name));
                            added.push(name);
                        }
                    }
                    rule.when.eval(scope).map_err(|_| ())
                }
            };
            match result {
                Ok(true) => hits.push(rule.hit(index, event, source_id)),
                Ok(false) => {}
                Err(()) => {
                    self.eval_errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

impl CompiledRule {
    fn hit(&self, index: usize, event: &AuditEvent, source_id: &Arc<str>) -> RuleHit {
        let group = self
            .config
            .threshold
            .as_ref()
            .map(|t| {
                t.group_by
                    .iter()
                    .map(|f| {
                        (
                            f.clone(),
                            field_text(event, f).unwrap_or_else(|| "-".into()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut summary = serde_json::json!({
            "id": event.id,
            "time": crate::event::format_time(&event.time),
            "action": event.action,
            "outcome": event.outcome.as_str(),
        });
        for path in [
            "actor.id",
            "actor.name",
            "source.ip",
            "resource.id",
            "tenant.id",
        ] {
            if let Some(value) = field_text(event, path) {
                summary[path] = value.into();
            }
        }
        RuleHit {
            rule: index,
            source_id: source_id.clone(),
            group,
            title: self.title.render(event),
            message: self.message.as_ref().map(|m| m.render(event)),
            event: summary,
        }
    }
}
