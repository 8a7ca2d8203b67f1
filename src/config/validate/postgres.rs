//! Validation of the `postgres` sink: the connection URL parses (checked
//! with the driver's own parser, so what passes here connects the same
//! way), the table name is a plain identifier. Messages never show the URL
//! or the password: either may hold a secret.

use super::super::raw_sinks::RawPostgresSink;
use super::Validator;
use crate::config::types::*;
use crate::config::{PostgresSinkConfig, PostgresTable, DEFAULT_POSTGRES_TABLE};

impl Validator {
    /// `type = "postgres"`.
    pub(super) fn postgres_sink(
        &mut self,
        table: &[String],
        raw: RawPostgresSink,
    ) -> Option<PostgresSinkConfig> {
        let before = self.problems.len();
        let url = &raw.url;
        match url.value.parse::<tokio_postgres::Config>() {
            Err(error) => {
                let message = format!("is not a PostgreSQL connection URL ({error}); write postgres://USER@HOST:PORT/DATABASE");
                self.invalid(url.at(), table, "url", message);
            }
            Ok(parsed) => {
                if parsed.get_user().is_none() {
                    let message =
                        "names no user: write postgres://USER@HOST:PORT/DATABASE".to_string();
                    self.invalid(url.at(), table, "url", message);
                }
                if parsed.get_hosts().is_empty() {
                    let message =
                        "names no host: write postgres://USER@HOST:PORT/DATABASE".to_string();
                    self.invalid(url.at(), table, "url", message);
                }
                if let (Some(_), Some(password)) = (parsed.get_password(), &raw.password) {
                    let message =
                        "is also given in \"url\": keep one of them (this key is easier to keep secret)"
                            .to_string();
                    self.invalid(password.at(), table, "password", message);
                }
            }
        }
        if let Some(password) = &raw.password {
            if password.value.is_empty() || password.value.chars().any(|c| c.is_control()) {
                let message = "is empty or holds a line break (check the environment variable or file it comes from)".to_string();
                self.invalid(password.at(), table, "password", message);
            }
        }
        let target = match &raw.table {
            None => Some(PostgresTable::parse(DEFAULT_POSTGRES_TABLE).expect("a valid default")),
            Some(name) => match PostgresTable::parse(&name.value) {
                Ok(parsed) => Some(parsed),
                Err(problem) => {
                    let message = format!("\"{}\" {problem}", name.shown());
                    self.invalid(name.at(), table, "table", message);
                    None
                }
            },
        };
        let request_timeout = self.request_timeout(table, &raw.request_timeout);
        (self.problems.len() == before).then(|| PostgresSinkConfig {
            url: Secret::new(url.value.clone()),
            password: raw.password.as_ref().map(|p| Secret::new(p.value.clone())),
            table: target.expect("checked above"),
            create_table: raw.create_table.as_ref().is_some_and(|c| c.value),
            request_timeout,
            tls: TlsConfig::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::PostgresTable;

    #[test]
    fn table_names_are_plain_identifiers_with_an_optional_schema() {
        let t = PostgresTable::parse("audit.events_2026").unwrap();
        assert_eq!(
            (t.schema.as_deref(), t.name.as_str()),
            (Some("audit"), "events_2026")
        );
        assert_eq!(t.to_string(), "audit.events_2026");
        for bad in [
            "",
            "1events",
            "a.b.c",
            "ev-ents",
            "e\"v",
            "x; DROP TABLE y",
            "ä",
        ] {
            assert!(PostgresTable::parse(bad).is_err(), "{bad:?}");
        }
        assert!(PostgresTable::parse(&"x".repeat(49)).is_err());
    }
}
