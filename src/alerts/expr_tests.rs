//! Tests of `expr`: the issue's examples, errors with positions, the
//! action index, macros.

use super::*;

fn eval(source: &str, vars: &[(&str, Value)]) -> bool {
    let when = compile(source).unwrap();
    let root = root_context(when.regexes.clone());
    let mut scope = root.new_inner_scope();
    for (name, value) in vars {
        scope.add_variable_from_value(*name, value.clone());
    }
    when.eval(&scope).unwrap()
}

fn s(v: &str) -> Value {
    Value::String(Arc::new(v.into()))
}

#[test]
fn the_issue_examples_evaluate() {
    let action = || ("action", s("apikey.create"));
    assert!(eval(r#"action.startsWith("apikey.")"#, &[action()]));
    assert!(eval(r#"action.endsWith(".create")"#, &[action()]));
    assert!(eval(r#"action.contains("key")"#, &[action()]));
    assert!(!eval(r#"action == "break_glass.opened""#, &[action()]));
    assert!(eval(r#"action in ["a", "apikey.create"]"#, &[action()]));
    assert!(eval(r#"!(action in ["a"]) && action != "b""#, &[action()]));
    assert!(eval(
        r#"action.matches("^apikey\\.(create|delete)$")"#,
        &[action()]
    ));
}

#[test]
fn macros_with_their_own_variables_compile() {
    let groups = Value::List(Arc::new(vec![s("dev"), s("admins")]));
    let mut actor = std::collections::HashMap::new();
    actor.insert(cel::objects::Key::String(Arc::new("groups".into())), groups);
    let actor = Value::Map(cel::objects::Map {
        map: Arc::new(actor),
    });
    assert!(eval(
        r#"actor.groups.exists(g, g == "admins")"#,
        &[("actor", actor.clone())]
    ));
    assert!(eval(
        r#"has(actor.groups) && size(actor.groups) == 2"#,
        &[("actor", actor)]
    ));
}

#[test]
fn a_syntax_error_names_its_column() {
    let error = compile(r#"action == "x" &&"#).unwrap_err();
    assert_eq!(error.line, 1);
    assert!(error.column >= 15, "{error}");
}

#[test]
fn an_unknown_field_is_refused_with_a_suggestion() {
    let error = compile(r#"acton == "x""#).unwrap_err();
    assert!(error.message.contains("did you mean \"action\""), "{error}");
}

#[test]
fn an_invalid_regex_is_refused_at_compile_time() {
    let error = compile(r#"action.matches("(")"#).unwrap_err();
    assert!(error.message.contains("invalid regex"), "{error}");
}

#[test]
fn required_actions_come_from_the_top_level_conjunction() {
    let actions = |s: &str| compile(s).unwrap().required_actions;
    assert_eq!(
        actions(r#"action == "a" && outcome == "failure""#),
        Some(vec!["a".to_string()])
    );
    assert_eq!(
        actions(r#"outcome == "x" && action in ["a", "b"]"#),
        Some(vec!["a".into(), "b".into()])
    );
    assert_eq!(actions(r#"action == "a" || outcome == "x""#), None);
    assert_eq!(actions(r#"action.startsWith("a")"#), None);
}
