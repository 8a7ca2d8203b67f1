//! The fast path and the CEL interpreter agree: every expression below is
//! evaluated both ways on every event below (errors count as no match).

use super::event_fields::variable;
use super::expr::{compile, root_context};
use crate::event::{AuditEvent, IdRef, Origin, OriginKind, Outcome, SourceEndpoint};

const LOWERED: &[&str] = &[
    r#"action == "user.login""#,
    r#""user.login" == action && outcome == "failure""#,
    r#"action != "user.login" || outcome != "failure""#,
    r#"!(action in ["user.login", "apikey.create"])"#,
    r#"action.startsWith("apikey.") && actor.type == "service_account""#,
    r#"action.endsWith(".create") || action.contains("glass")"#,
    r#"actor.name == "alice" || actor.name != "bob""#,
    r#"actor.name.startsWith("a") || true"#,
    r#"actor.name.startsWith("a") && false"#,
    r#"actor.email.matches("@example\\.com$")"#,
    r#"source.ip in ["10.0.0.1", "10.0.0.2"]"#,
    r#"tenant.id == "t1" && origin.kind == "file""#,
    r#"correlation.request_id == "r1""#,
    r#"!actor.name.contains("x")"#,
];

/// Left to the interpreter.
const INTERPRETED: &[&str] = &[
    r#"source.port == 22"#,
    r#"details.env == "prod""#,
    r#"actor.groups.exists(g, g == "admins")"#,
    r#"has(actor.name)"#,
];

fn events() -> Vec<AuditEvent> {
    let origin = Origin {
        kind: OriginKind::File,
        format: "json".into(),
        path: None,
        offset: None,
        peer: None,
    };
    let blank = AuditEvent::new(origin, "h", chrono::Utc::now());
    let mut login = blank.clone();
    login.action = "user.login".into();
    login.outcome = Outcome::Failure;
    login.actor.name = Some("alice".into());
    login.actor.email = Some("alice@example.com".into());
    login.source = Some(SourceEndpoint {
        ip: Some("10.0.0.2".into()),
        port: Some(22),
        user_agent: None,
    });
    login.tenant = Some(IdRef { id: "t1".into() });
    login.correlation.insert("request_id".into(), "r1".into());
    let mut key = blank.clone();
    key.action = "apikey.create".into();
    key.actor.kind = crate::event::ActorType::ServiceAccount;
    key.actor.name = Some("bob".into());
    let mut glass = blank.clone();
    glass.action = "break_glass.opened".into();
    glass.actor.groups = vec!["admins".into()];
    glass.details.insert("env".into(), "prod".into());
    vec![blank, login, key, glass]
}

fn interpreted(source: &str, event: &AuditEvent) -> bool {
    let when = compile(source).unwrap();
    let root = root_context(when.regexes.clone());
    let mut scope = root.new_inner_scope();
    for name in &when.variables {
        scope.add_variable_from_value(*name, variable(event, name));
    }
    when.eval(&scope).unwrap_or(false)
}

#[test]
fn fast_path_agrees_with_cel() {
    for source in LOWERED {
        let when = compile(source).unwrap();
        for (i, event) in events().iter().enumerate() {
            let fast = when
                .eval_fast(event)
                .unwrap_or_else(|| panic!("{source} has no fast path"));
            assert_eq!(
                fast.unwrap_or(false),
                interpreted(source, event),
                "{source} on event {i}"
            );
        }
    }
}

#[test]
fn what_the_fast_path_cannot_do_is_left_to_cel() {
    for source in INTERPRETED {
        let when = compile(source).unwrap();
        assert!(when.eval_fast(&events()[0]).is_none(), "{source}");
    }
    assert!(interpreted(INTERPRETED[0], &events()[1]));
    assert!(interpreted(INTERPRETED[1], &events()[3]));
    assert!(interpreted(INTERPRETED[2], &events()[3]));
}
