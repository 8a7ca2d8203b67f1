//! The SQL of the `postgres` sink: the table (typed columns for the
//! schema's key fields, the whole event as `jsonb`), its indexes, the
//! trigger that makes it append-only, and the statements of one batch.
//!
//! A batch is first `COPY`ed straight into the table (text format, one
//! statement, its own transaction): the fast path, which PostgreSQL
//! inserts many rows a page at a time, with no staging copy and no
//! `BEGIN`/`COMMIT` round trips. `COPY` cannot skip repeats: when an event
//! of the batch is already stored (a batch sent again after a timeout or a
//! crash) it fails with a unique violation on `id` and stores nothing, and
//! the batch takes the staging path instead — `COPY` into a temporary
//! staging table, then `INSERT … SELECT … ON CONFLICT (id) DO NOTHING`
//! from it, in one transaction. Either way a batch is stored whole or not
//! at all, and each event once. (The staging path for every batch cost the
//! server ≈ 40 % more CPU per event, and the earlier `INSERT … FROM
//! unnest($1, …)` more again; see `bench/RESULTS.md`.)
//!
//! Table (`create_table = true`, else create it yourself with these
//! columns; extra columns with defaults are fine):
//!
//! | column | type | from |
//! | --- | --- | --- |
//! | `id` | `text` primary key | `id` (a repeat is skipped: `ON CONFLICT (id) DO NOTHING`) |
//! | `time` | `timestamptz` | `time` (indexed) |
//! | `action`, `outcome`, `severity` | `text` | same (`action` indexed) |
//! | `actor_id` (indexed), `actor_type` | `text` | `actor.id`, `actor.type` |
//! | `tenant_id` (indexed), `project_id` | `text` | `tenant.id`, `project.id` |
//! | `resource_type`, `resource_id` | `text` | `resource.*` |
//! | `source_ip` | `text` | `source.ip` (text: a malformed address must not refuse the event) |
//! | `agent_host`, `agent_seq` | `text`, `bigint` | `agent.host`, `agent.seq` |
//! | `ingest_time` | `timestamptz` | `ingest_time` |
//! | `event` | `jsonb` | the whole event |
//!
//! Append-only: a `BEFORE UPDATE OR DELETE … FOR EACH ROW` trigger and a
//! `BEFORE TRUNCATE` trigger raise `insufficient_privilege`. A superuser or
//! the table owner can still drop the trigger: pair it with a database
//! user that owns nothing (`GRANT INSERT, SELECT` only) for the agent.
//!
//! Creation runs in one transaction under an advisory lock, so agents
//! starting together do not race; every statement is idempotent.

use crate::config::PostgresTable;

/// Key that serializes `create_table` across agents (`pg_advisory_xact_lock`).
const DDL_LOCK_KEY: i64 = 0x6175_6469_7473_6870; // "auditshp"

/// Typed columns in insert order, with the SQL type each value is sent as
/// (the staging table's column type) and the cast applied to it.
const COLUMNS: &[(&str, &str, &str)] = &[
    ("id", "text", ""),
    ("time", "text", "::timestamptz"),
    ("action", "text", ""),
    ("outcome", "text", ""),
    ("severity", "text", ""),
    ("actor_id", "text", ""),
    ("actor_type", "text", ""),
    ("tenant_id", "text", ""),
    ("project_id", "text", ""),
    ("resource_type", "text", ""),
    ("resource_id", "text", ""),
    ("source_ip", "text", ""),
    ("agent_host", "text", ""),
    ("agent_seq", "int8", ""),
    ("ingest_time", "text", "::timestamptz"),
    ("event", "text", "::jsonb"),
];

/// `"name"` or `"schema"."name"` (identifiers are checked plain, so
/// quoting only keeps their case).
fn qualified(table: &PostgresTable) -> String {
    match &table.schema {
        Some(schema) => format!("\"{schema}\".\"{}\"", table.name),
        None => format!("\"{}\"", table.name),
    }
}

/// The session's staging table, which each batch is `COPY`ed into.
/// Temporary: private to the connection, never WAL-logged, and emptied at
/// every commit (and by a rollback), so it never holds more than the batch
/// in flight.
const STAGING: &str = "pg_temp.\"auditship_batch\"";

/// Creates the staging table once per connection: every column as sent
/// (`text`, `agent_seq` as `int8`), in `COLUMNS` order.
pub fn staging_statement() -> String {
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|(n, ty, _)| format!("\"{n}\" {ty}"))
        .collect();
    format!(
        "CREATE TEMPORARY TABLE IF NOT EXISTS \"auditship_batch\" ({}) ON COMMIT DELETE ROWS",
        columns.join(", ")
    )
}

/// `COPY` of one batch straight into the table, text format (`rows.rs`):
/// the fast path, for a batch none of whose events is stored yet.
pub fn table_copy_statement(table: &PostgresTable) -> String {
    format!(
        "COPY {} ({}) FROM STDIN",
        qualified(table),
        column_names().join(", ")
    )
}

/// `COPY` of one batch into the staging table, text format (`rows.rs`):
/// the path of a batch that repeats stored events.
pub fn staging_copy_statement() -> String {
    format!("COPY {STAGING} ({}) FROM STDIN", column_names().join(", "))
}

/// `INSERT INTO table … SELECT … FROM staging ON CONFLICT (id) DO
/// NOTHING`: the batch's rows, cast to the table's types, each event
/// stored once by `id` (a repeat, from an earlier attempt or another slot,
/// is skipped). Run in the same transaction as the `COPY`.
pub fn insert_statement(table: &PostgresTable) -> String {
    let selected: Vec<String> = COLUMNS
        .iter()
        .map(|(n, _, cast)| format!("s.\"{n}\"{cast}"))
        .collect();
    format!(
        "INSERT INTO {table} ({names}) SELECT {selected} FROM {STAGING} AS s ON CONFLICT (\"id\") DO NOTHING",
        table = qualified(table),
        names = column_names().join(", "),
        selected = selected.join(", "),
    )
}

fn column_names() -> Vec<String> {
    COLUMNS.iter().map(|(n, _, _)| format!("\"{n}\"")).collect()
}

/// Statements that create the table, indexes and triggers when missing;
/// run in order, in one transaction.
pub fn create_statements(table: &PostgresTable) -> Vec<String> {
    let qualified_table = qualified(table);
    let name = &table.name;
    let function = match &table.schema {
        Some(schema) => format!("\"{schema}\".\"auditship_refuse_change\""),
        None => "\"auditship_refuse_change\"".to_string(),
    };
    let mut statements = vec![format!("SELECT pg_advisory_xact_lock({DDL_LOCK_KEY})")];
    if let Some(schema) = &table.schema {
        statements.push(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""));
    }
    statements.push(format!(
        "CREATE TABLE IF NOT EXISTS {qualified_table} (
            \"id\" text PRIMARY KEY,
            \"time\" timestamptz NOT NULL,
            \"action\" text NOT NULL,
            \"outcome\" text NOT NULL,
            \"severity\" text NOT NULL,
            \"actor_id\" text,
            \"actor_type\" text NOT NULL,
            \"tenant_id\" text,
            \"project_id\" text,
            \"resource_type\" text,
            \"resource_id\" text,
            \"source_ip\" text,
            \"agent_host\" text NOT NULL,
            \"agent_seq\" bigint,
            \"ingest_time\" timestamptz NOT NULL,
            \"event\" jsonb NOT NULL
        )"
    ));
    for column in ["time", "actor_id", "action", "tenant_id"] {
        statements.push(format!(
            "CREATE INDEX IF NOT EXISTS \"{name}_{column}_idx\" ON {qualified_table} (\"{column}\")"
        ));
    }
    statements.push(format!(
        "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit table %.% is append-only: % refused', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'audit events are written once and never changed or removed';
        END
        $$"
    ));
    for (suffix, timing) in [
        ("append_only", "BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW"),
        ("no_truncate", "BEFORE TRUNCATE ON {t} FOR EACH STATEMENT"),
    ] {
        let trigger = format!("\"{name}_{suffix}\"");
        statements.push(format!(
            "DROP TRIGGER IF EXISTS {trigger} ON {qualified_table}"
        ));
        statements.push(format!(
            "CREATE TRIGGER {trigger} {} EXECUTE FUNCTION {function}()",
            timing.replace("{t}", &qualified_table)
        ));
    }
    statements
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> PostgresTable {
        PostgresTable::parse(text).unwrap()
    }

    #[test]
    fn a_batch_is_copied_into_a_private_staging_table_then_inserted_skipping_repeats() {
        let staging = staging_statement();
        assert!(staging.starts_with(
            "CREATE TEMPORARY TABLE IF NOT EXISTS \"auditship_batch\" (\"id\" text, \"time\" text"
        ));
        assert!(staging.contains("\"agent_seq\" int8"));
        assert!(staging.ends_with("ON COMMIT DELETE ROWS"));
        let copy = staging_copy_statement();
        assert!(copy.starts_with("COPY pg_temp.\"auditship_batch\" (\"id\", \"time\""));
        assert!(copy.ends_with("\"event\") FROM STDIN"));
        let sql = insert_statement(&table("audit.events"));
        assert!(sql.starts_with("INSERT INTO \"audit\".\"events\" (\"id\", \"time\""));
        assert!(sql.contains("SELECT s.\"id\", s.\"time\"::timestamptz"));
        assert!(sql.contains("s.\"event\"::jsonb FROM pg_temp.\"auditship_batch\" AS s"));
        assert!(sql.ends_with("ON CONFLICT (\"id\") DO NOTHING"));
        assert!(!sql.contains("UPDATE"));
    }

    #[test]
    fn the_fast_path_copies_every_column_straight_into_the_table() {
        let copy = table_copy_statement(&table("audit.events"));
        assert!(copy.starts_with("COPY \"audit\".\"events\" (\"id\", \"time\", \"action\""));
        assert!(copy.ends_with("\"ingest_time\", \"event\") FROM STDIN"));
        assert_eq!(
            copy.matches(", ").count() + 1,
            COLUMNS.len(),
            "every column, in rows.rs order"
        );
    }

    #[test]
    fn creation_is_locked_idempotent_and_refuses_update_delete_and_truncate() {
        let statements = create_statements(&table("audit_events"));
        assert!(statements[0].contains("pg_advisory_xact_lock"));
        let all = statements.join(";\n");
        assert!(all.contains("CREATE TABLE IF NOT EXISTS \"audit_events\""));
        for column in ["time", "actor_id", "action", "tenant_id"] {
            assert!(
                all.contains(&format!("\"audit_events_{column}_idx\"")),
                "{column}"
            );
        }
        assert!(all.contains("BEFORE UPDATE OR DELETE ON \"audit_events\" FOR EACH ROW"));
        assert!(all.contains("BEFORE TRUNCATE ON \"audit_events\" FOR EACH STATEMENT"));
        assert!(!all.contains("CREATE SCHEMA"));
        assert!(create_statements(&table("a.t"))
            .iter()
            .any(|s| s == "CREATE SCHEMA IF NOT EXISTS \"a\""));
    }
}
