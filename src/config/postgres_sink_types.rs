//! The typed `postgres` sink configuration.

use std::time::Duration;

use super::types::{Secret, TlsConfig};

/// Default `table`.
pub const DEFAULT_POSTGRES_TABLE: &str = "audit_events";

/// `type = "postgres"`: events inserted into one append-only table.
#[derive(Debug, Clone, PartialEq)]
pub struct PostgresSinkConfig {
    /// Connection URL or libpq `key=value` string, checked to parse. A
    /// secret: it may hold a password.
    pub url: Secret,
    /// Password when not in `url`.
    pub password: Option<Secret>,
    /// `(schema, table)`; both plain identifiers (letters, digits, `_`).
    pub table: PostgresTable,
    /// Create the table, indexes and append-only trigger when missing.
    pub create_table: bool,
    /// Longest wait to connect or to insert one batch.
    pub request_timeout: Duration,
    pub tls: TlsConfig,
}

/// A table name, checked to be `[A-Za-z_][A-Za-z0-9_]*` (at most 48
/// characters, so index and trigger names derived from it fit in
/// PostgreSQL's 63), with an optional schema of the same shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresTable {
    pub schema: Option<String>,
    pub name: String,
}

impl PostgresTable {
    /// Parses `table` or `schema.table`; why not, for the operator.
    pub fn parse(text: &str) -> Result<PostgresTable, String> {
        let (schema, name) = match text.split_once('.') {
            Some((schema, name)) => (Some(schema), name),
            None => (None, text),
        };
        for part in schema.iter().chain([&name]) {
            let mut chars = part.chars();
            let first_ok = chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
            if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err("must be a plain identifier, \"table\" or \"schema.table\" (letters, digits and _, not starting with a digit)".into());
            }
            if part.len() > 48 {
                return Err("is longer than 48 characters (index names add a suffix to it and PostgreSQL allows 63)".into());
            }
        }
        Ok(PostgresTable {
            schema: schema.map(str::to_string),
            name: name.to_string(),
        })
    }
}

impl std::fmt::Display for PostgresTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}
