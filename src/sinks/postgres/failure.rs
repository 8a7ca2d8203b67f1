//! What a failed attempt of the `postgres` sink means: a driver error →
//! a [`DeliveryError`] for the runner, and whether the connection must be
//! opened again. The table is `sink`'s module doc.

use tokio_postgres::error::SqlState;

use crate::config::PostgresTable;
use crate::sinks::DeliveryError;

/// A failed attempt: what to tell the runner, and whether the connection
/// must be opened again.
pub(super) struct Failure {
    pub error: DeliveryError,
    pub reconnect: bool,
}

/// What a driver error means for the batch; see the module table.
pub(super) fn classify(error: &tokio_postgres::Error, table: &PostgresTable) -> Failure {
    let Some(db) = error.as_db_error() else {
        // I/O, TLS, a closed connection: nothing reached the table.
        return Failure {
            error: DeliveryError::Retryable {
                reason: format!(
                    "cannot reach PostgreSQL: {}",
                    crate::sinks::http::error_chain(error)
                ),
                retry_after: None,
            },
            reconnect: true,
        };
    };
    classify_sql_state(db.code(), db.message(), table)
}

/// What an error the server reported (SQLSTATE and message) means.
fn classify_sql_state(code: &SqlState, message: &str, table: &PostgresTable) -> Failure {
    let retry = |reason: String| Failure {
        error: DeliveryError::Retryable {
            reason,
            retry_after: None,
        },
        reconnect: true,
    };
    let state = code.code();
    if state.starts_with("28") {
        retry(format!("PostgreSQL refused the login (SQLSTATE {state}: {}); check the user in url and the password", message))
    } else if *code == SqlState::UNDEFINED_TABLE {
        retry(format!(
            "table {table} does not exist; create it (see the README) or set create_table = true"
        ))
    } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
        retry(format!("PostgreSQL refused (SQLSTATE {state}: {}); grant the agent's user INSERT on {table} (and CREATE, for create_table)", message))
    } else if state.starts_with("22") || state.starts_with("23") {
        Failure {
            error: DeliveryError::Permanent {
                status: 0,
                body: format!(
                    "PostgreSQL refused an event (SQLSTATE {state}): {}",
                    message
                ),
            },
            reconnect: false,
        }
    } else {
        retry(format!("PostgreSQL error (SQLSTATE {state}): {}", message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(code: SqlState) -> (DeliveryError, bool) {
        let table = PostgresTable::parse("audit_events").unwrap();
        let failure = classify_sql_state(&code, "msg", &table);
        (failure.error, failure.reconnect)
    }

    #[test]
    fn an_event_the_database_cannot_hold_is_permanent_and_keeps_the_connection() {
        for code in [
            SqlState::UNTRANSLATABLE_CHARACTER,
            SqlState::INVALID_DATETIME_FORMAT,
            SqlState::NOT_NULL_VIOLATION,
        ] {
            let (error, reconnect) = outcome(code.clone());
            assert!(
                matches!(&error, DeliveryError::Permanent { status: 0, body } if body.contains(code.code())),
                "{error}"
            );
            assert!(!reconnect);
        }
    }

    #[test]
    fn operator_fixable_and_server_problems_are_retried_with_what_to_do() {
        let retried = |code: SqlState| match outcome(code) {
            (DeliveryError::Retryable { reason, .. }, true) => reason,
            other => panic!("{other:?}"),
        };
        assert!(
            retried(SqlState::INVALID_PASSWORD).contains("check the user in url and the password")
        );
        assert!(retried(SqlState::UNDEFINED_TABLE).contains("set create_table = true"));
        assert!(retried(SqlState::INSUFFICIENT_PRIVILEGE).contains("grant the agent's user INSERT"));
        assert!(retried(SqlState::ADMIN_SHUTDOWN).contains("57P01"));
    }
}
