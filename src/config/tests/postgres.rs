//! The `postgres` sink's keys: defaults, the URL checked with the driver's
//! parser, table names, and messages that never show the URL or password.

use super::*;

const SOURCE: &str = r#"
[sources.app]
type = "file"
include = ["/var/log/app/*.log"]
"#;

fn sink(url: &str, keys: &str) -> String {
    format!("{SOURCE}[sinks.store]\ntype = \"postgres\"\nurl = \"{url}\"\n{keys}")
}

fn postgres(config: &Config) -> &PostgresSinkConfig {
    match &config.sinks[0].kind {
        SinkKind::Postgres(pg) => pg,
        other => panic!("{other:?}"),
    }
}

#[test]
fn defaults_are_the_audit_events_table_not_created_and_30s() {
    let config = load_text(&sink("postgres://auditship@db.example.com/audit", "")).unwrap();
    let pg = postgres(&config);
    assert_eq!(pg.table.to_string(), "audit_events");
    assert!(!pg.create_table);
    assert_eq!(pg.password, None);
    assert_eq!(pg.request_timeout, Duration::from_secs(30));
}

#[test]
fn a_password_from_the_environment_a_schema_table_and_create_table() {
    let text = sink(
        "postgres://auditship@db:5432/audit?sslmode=require",
        "password = \"${SECRET}\"\ntable = \"audit.events\"\ncreate_table = true\n",
    );
    let config = load_text(&text).unwrap();
    let pg = postgres(&config);
    assert_eq!(pg.password, Some(Secret::new("hunter2")));
    assert_eq!(pg.table.schema.as_deref(), Some("audit"));
    assert!(pg.create_table);
    let described = config.describe();
    assert!(
        described.contains("url=<set> password=<set> table=audit.events create_table=true"),
        "{described}"
    );
    assert!(!described.contains("hunter2") && !format!("{config:?}").contains("hunter2"));
}

#[test]
fn url_problems_are_named_without_showing_the_url() {
    let found = problem(&sink(
        "postgres://db.example.com/audit?sslmode=bogus${SECRET}",
        "",
    ));
    assert!(
        found.contains("is not a PostgreSQL connection URL"),
        "{found}"
    );
    assert!(!found.contains("hunter2"), "{found}");
    let found = problem(&sink(
        "postgres://auditship:${SECRET}@db/audit",
        "password = \"${SECRET}\"\n",
    ));
    assert!(found.contains("keep one of them"), "{found}");
    assert!(!found.contains("hunter2"), "{found}");
    let found = problem(&sink("host=db dbname=audit", ""));
    assert!(found.contains("names no user"), "{found}");
}

#[test]
fn a_table_name_must_be_a_plain_identifier() {
    let found = problem(&sink(
        "postgres://auditship@db/audit",
        "table = \"events; DROP TABLE x\"\n",
    ));
    assert!(found.contains("must be a plain identifier"), "{found}");
}
