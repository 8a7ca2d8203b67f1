//! `postgres` sink: every event inserted once into one append-only
//! PostgreSQL table (`[sinks.ID] type = "postgres"`).
//!
//! One role per file: `schema` writes the SQL (table, indexes, the
//! append-only trigger, the copies and the insert; pure); `rows` turns a
//! batch of event lines into the body of a text `COPY` (pure); `tls` lets
//! tokio-postgres handshake with rustls; `sink` holds the connection and
//! sends a batch; `failure` turns a driver error into a
//! [`crate::sinks::DeliveryError`].
//!
//! Invariants: a batch is one `COPY` into the table, or — when it repeats
//! an event already stored — one transaction of a `COPY` into a staging
//! table and `INSERT … SELECT … ON CONFLICT (id) DO NOTHING`; so it is
//! stored whole or not at all, and a batch sent again (after a timeout, a
//! crash or a lost answer) adds nothing; the sink never issues UPDATE or
//! DELETE; the URL and password never appear in errors or logs.

mod failure;
mod rows;
mod schema;
mod sink;
mod tls;

pub use sink::PostgresSink;
