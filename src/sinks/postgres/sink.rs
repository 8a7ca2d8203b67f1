//! Sends one batch as one transaction and says what became of it: `COPY`
//! straight into the table; when that meets an event already stored, the
//! staging path instead — `COPY` into the connection's staging table,
//! `INSERT … SELECT … ON CONFLICT (id) DO NOTHING` into the table, `COMMIT`
//! (see `schema`).
//!
//! Each of the sink's slots (`concurrency`) has its own connection, opened
//! on first use and again after any failure that may have broken it. The
//! first connection of a sink with `create_table = true` creates the table
//! (see `schema`) before anything is inserted; every connection creates its
//! staging table and prepares its three statements when it opens.
//!
//! | outcome | becomes |
//! | --- | --- |
//! | copied into the table | `Ok` |
//! | the copy met a stored `id` (unique violation, nothing stored) | the staging path, whose `ON CONFLICT` skips the repeats: `Ok` |
//! | cannot connect, connection lost, server shutting down, nothing within `request_timeout` | `Retryable`; reconnect next time |
//! | login refused (SQLSTATE class 28), table missing (42P01), no privilege (42501) | `Retryable` with what to fix: the batch waits in the journal meanwhile |
//! | an event the database refuses (class 22 data exception, e.g. `\u0000` in a string, which `jsonb` cannot hold; class 23 other than the handled conflict) | `Permanent`: the runner halves the batch until the event is alone, then dead-letters it (`status` 0, the SQLSTATE in `response`) |
//! | anything else | `Retryable` |
//!
//! A transaction that timed out may still commit; sending the batch again
//! is harmless (`ON CONFLICT (id) DO NOTHING`).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::SinkExt;
use tokio::sync::Mutex;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Statement};

use super::failure::{classify, Failure};
use super::rows::CopyRows;
use super::schema::{
    create_statements, insert_statement, staging_copy_statement, staging_statement,
    table_copy_statement,
};
use super::tls::MakeRustls;
use crate::config::{PostgresSinkConfig, PostgresTable};
use crate::sinks::http::client::client_tls_config;
use crate::sinks::{DeliveryError, SinkError};

/// What every slot of one sink shares.
struct Shared {
    config: tokio_postgres::Config,
    tls: MakeRustls,
    table: PostgresTable,
    table_copy: String,
    insert: String,
    request_timeout: Duration,
    /// `Some(false)` until the table was created once (`create_table`).
    created: Mutex<Option<bool>>,
}

/// A running `postgres` sink (one slot).
pub struct PostgresSink {
    shared: Arc<Shared>,
    connection: Option<Connection>,
}

struct Connection {
    client: Client,
    /// `COPY` into the table: the fast path.
    table_copy: Statement,
    /// `COPY` into the staging table, then `insert` from it: the path of a
    /// batch that repeats stored events.
    staging_copy: Statement,
    insert: Statement,
}

impl std::fmt::Debug for PostgresSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No URL: it may hold a password.
        f.debug_struct("PostgresSink")
            .field("table", &self.shared.table.to_string())
            .field("connected", &self.connection.is_some())
            .finish_non_exhaustive()
    }
}

impl PostgresSink {
    /// Parses the URL and reads the TLS files; connects on first send.
    pub fn new(config: &PostgresSinkConfig) -> Result<PostgresSink, SinkError> {
        let setup = |reason: String| SinkError::PostgresSetup { reason };
        let mut pg: tokio_postgres::Config = config
            .url
            .expose()
            .parse()
            .map_err(|_| setup("the postgres url does not parse".into()))?;
        if let Some(password) = &config.password {
            pg.password(password.expose());
        }
        if pg.get_application_name().is_none() {
            pg.application_name("auditship");
        }
        pg.connect_timeout(config.request_timeout);
        let host = match pg.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
            _ => "localhost".to_string(),
        };
        let tls = MakeRustls::new(
            client_tls_config(&config.tls, true, &host)?,
            config.tls.server_name.clone(),
        );
        Ok(PostgresSink {
            shared: Arc::new(Shared {
                config: pg,
                tls,
                table_copy: table_copy_statement(&config.table),
                insert: insert_statement(&config.table),
                table: config.table.clone(),
                request_timeout: config.request_timeout,
                created: Mutex::new(config.create_table.then_some(false)),
            }),
            connection: None,
        })
    }

    /// Another slot: same settings, its own connection.
    pub fn fork(&self) -> PostgresSink {
        PostgresSink {
            shared: self.shared.clone(),
            connection: None,
        }
    }

    /// Inserts `lines` (event JSON) in one transaction. Ok once committed.
    pub async fn send(&mut self, lines: &[&[u8]]) -> Result<(), DeliveryError> {
        let rows =
            CopyRows::from_lines(lines).map_err(|(index, reason)| DeliveryError::Permanent {
                status: 0,
                body: format!("event {} of the batch: {reason}", index + 1),
            })?;
        let timeout = self.shared.request_timeout;
        match tokio::time::timeout(timeout, self.insert(rows)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(failure)) => {
                if failure.reconnect {
                    self.connection = None;
                }
                Err(failure.error)
            }
            Err(_elapsed) => {
                self.connection = None;
                Err(DeliveryError::Retryable {
                    reason: format!(
                        "PostgreSQL did not answer within request_timeout ({})",
                        crate::config::format_duration(timeout)
                    ),
                    retry_after: None,
                })
            }
        }
    }

    async fn insert(&mut self, rows: CopyRows) -> Result<(), Failure> {
        if self
            .connection
            .as_ref()
            .is_none_or(|c| c.client.is_closed())
        {
            self.connection = Some(self.connect().await?);
        }
        let table = &self.shared.table;
        let fail = |error: tokio_postgres::Error| classify(&error, table);
        let connection = self.connection.as_mut().expect("connected above");
        let body = Bytes::from(rows.bytes);
        // One statement, so its own transaction: all rows or none.
        let fast = match connection.client.copy_in(&connection.table_copy).await {
            Ok(sink) => copy(sink, body.clone()).await,
            Err(error) => Err(error),
        };
        match fast {
            Ok(_) => return Ok(()),
            Err(error) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => {}
            Err(error) => return Err(fail(error)),
        }
        // An event of the batch is stored already (the batch is sent
        // again): nothing of the copy was, so store the batch skipping
        // repeats. A failure drops `transaction` before the commit: it
        // rolls back, and the rollback empties the staging table.
        let transaction = connection.client.transaction().await.map_err(fail)?;
        let sink = transaction
            .copy_in(&connection.staging_copy)
            .await
            .map_err(fail)?;
        copy(sink, body).await.map_err(fail)?;
        let inserted = transaction
            .execute(&connection.insert, &[])
            .await
            .map_err(fail)?;
        transaction.commit().await.map_err(fail)?;
        tracing::debug!(
            table = %self.shared.table,
            repeated = rows.rows.saturating_sub(inserted),
            "Events already stored were skipped."
        );
        Ok(())
    }

    async fn connect(&self) -> Result<Connection, Failure> {
        let shared = &self.shared;
        let (mut client, connection) = shared
            .config
            .connect(shared.tls.clone())
            .await
            .map_err(|error| classify(&error, &shared.table))?;
        let table = shared.table.to_string();
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%table, error = %error, "PostgreSQL connection closed.");
            }
        });
        {
            let mut created = shared.created.lock().await;
            if *created == Some(false) {
                let transaction = client
                    .transaction()
                    .await
                    .map_err(|error| classify(&error, &shared.table))?;
                for statement in create_statements(&shared.table) {
                    transaction
                        .batch_execute(&statement)
                        .await
                        .map_err(|error| classify(&error, &shared.table))?;
                }
                transaction
                    .commit()
                    .await
                    .map_err(|error| classify(&error, &shared.table))?;
                tracing::info!(table = %shared.table, "PostgreSQL table, indexes and append-only triggers are in place.");
                *created = Some(true);
            }
        }
        let fail = |error: tokio_postgres::Error| classify(&error, &shared.table);
        client
            .batch_execute(&staging_statement())
            .await
            .map_err(fail)?;
        let table_copy = client.prepare(&shared.table_copy).await.map_err(fail)?;
        let staging_copy = client
            .prepare(&staging_copy_statement())
            .await
            .map_err(fail)?;
        let insert = client.prepare(&shared.insert).await.map_err(fail)?;
        Ok(Connection {
            client,
            table_copy,
            staging_copy,
            insert,
        })
    }
}

/// Sends `body` as the data of a started `COPY … FROM STDIN`; the rows
/// copied.
async fn copy(
    sink: tokio_postgres::CopyInSink<Bytes>,
    body: Bytes,
) -> Result<u64, tokio_postgres::Error> {
    let mut sink = std::pin::pin!(sink);
    sink.send(body).await?;
    sink.as_mut().finish().await
}
