//! `postgres` sink: every event inserted once into one append-only
//! PostgreSQL table (`[sinks.ID] type = "postgres"`).
//!
//! One role per file: `schema` writes the SQL (table, indexes, the
//! append-only trigger, the insert; pure); `rows` turns a batch of event
//! lines into one column array per typed column (pure); `tls` lets
//! tokio-postgres handshake with rustls; `sink` holds the connection and
//! sends a batch as one statement; `failure` turns a driver error into a
//! [`crate::sinks::DeliveryError`].
//!
//! Invariants: a batch is one `INSERT … SELECT FROM unnest(…) ON CONFLICT
//! (id) DO NOTHING` statement, so it is stored whole or not at all, and a
//! batch sent again (after a timeout, a crash or a lost answer) adds
//! nothing; the sink never issues UPDATE or DELETE; the URL and password
//! never appear in errors or logs.

mod failure;
mod rows;
mod schema;
mod sink;
mod tls;

pub use sink::PostgresSink;
