//! Network sinks added after the first ones (`elasticsearch`, `syslog`), as written.

use serde::Deserialize;

use super::located::Located;
use super::units::NumberOrText;

/// `[sinks.ID]` with `type = "elasticsearch"`: events as ECS documents
/// through the `_bulk` API of Elasticsearch 7/8 or OpenSearch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawElasticsearchSink {
    /// Base URL of the cluster, e.g. `"https://es.example.com:9200"`;
    /// `/_bulk` is appended. Required.
    pub endpoint: Located<String>,
    /// Index name, strftime fields filled from each event's time (UTC).
    /// Default `"auditship-%Y.%m.%d"`. Not with `data_stream`.
    pub index: Option<Located<String>>,
    /// A data stream to write to instead of an index, e.g.
    /// `"logs-auditship-default"`. Not with `index`.
    pub data_stream: Option<Located<String>>,
    /// Basic authentication user; needs `password`.
    pub user: Option<Located<String>>,
    /// Basic authentication password, e.g. `"${ES_PASSWORD}"`. Never printed.
    pub password: Option<Located<String>>,
    /// An API key (the base64 `encoded` value), sent as
    /// `Authorization: ApiKey …`. Not with `user`. Never printed.
    pub api_key: Option<Located<String>>,
    /// Ingest pipeline to run on every document. Default: none.
    pub pipeline: Option<Located<String>>,
    /// `"ecs"` (default) or `"ocsf"`: the shape of each document.
    pub encoding: Option<Located<String>>,
    /// `"gzip"` (default) or `"none"`.
    pub compression: Option<Located<String>>,
    /// Most bytes of one `_bulk` body before compression. Default `"10MiB"`.
    pub max_request_bytes: Option<Located<NumberOrText>>,
    /// Longest wait for one request. Default `"30s"`.
    pub request_timeout: Option<Located<NumberOrText>>,
}

/// `[sinks.ID]` with `type = "syslog"`: RFC 5424 messages over TCP, TLS or
/// UDP.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSyslogSink {
    /// `host:port` of the receiver, e.g. `"siem.example.com:6514"`. Required.
    pub address: Located<String>,
    /// `"tls"` (default), `"tcp"` or `"udp"`.
    pub protocol: Option<Located<String>>,
    /// `"octet_counting"` (default) or `"newline"`; streams only.
    pub framing: Option<Located<String>>,
    /// `"rfc5424"` (default), `"cef"` or `"json"`.
    pub encoding: Option<Located<String>>,
    /// Facility name, e.g. `"authpriv"` (default), `"log_audit"`, `"local0"`.
    pub facility: Option<Located<String>>,
    /// Private enterprise number of the SD-ID `audit@N`. Default `32473`.
    pub enterprise_number: Option<Located<i64>>,
    /// Largest UDP message. Default `"2KiB"` (RFC 5426).
    pub max_message_bytes: Option<Located<NumberOrText>>,
    /// Longest wait to connect or write one batch. Default `"30s"`.
    pub request_timeout: Option<Located<NumberOrText>>,
}

/// `[sinks.ID]` with `type = "postgres"`: events inserted into one
/// PostgreSQL table, once each (`ON CONFLICT (id) DO NOTHING`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPostgresSink {
    /// Connection URL, e.g. `"postgres://auditship@db.example.com/audit"`
    /// (or libpq `key=value` form). `?sslmode=require` for TLS, verified
    /// against `tls.ca` or the system roots. Required. Never printed: a
    /// password in it is a secret.
    pub url: Located<String>,
    /// Password, e.g. `"${PGPASSWORD}"` or `"@file:/etc/auditship/pg"`,
    /// when not in `url`. Never printed.
    pub password: Option<Located<String>>,
    /// Table, optionally `schema.table`. Default `"audit_events"`.
    pub table: Option<Located<String>>,
    /// Create the table, its indexes (time, actor, action, tenant) and the
    /// trigger that refuses UPDATE, DELETE and TRUNCATE, when missing.
    /// Default `false`.
    pub create_table: Option<Located<bool>>,
    /// Longest wait to connect or insert one batch. Default `"30s"`.
    pub request_timeout: Option<Located<NumberOrText>>,
}

/// `[sinks.ID]` with `type = "nats"`: each event published to NATS
/// JetStream, acknowledged by the stream before the batch counts as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNatsSink {
    /// Servers, e.g. `["nats://nats-1:4222", "nats://nats-2:4222"]`
    /// (`tls://` to require TLS); the client fails over between them and
    /// the cluster members they announce. Required.
    pub urls: Located<Vec<Located<String>>>,
    /// Subject of each event, with fields of the event in braces, e.g.
    /// `"audit.{tenant.id}.{action}"`. A missing field becomes `_`, and so
    /// does each `.`, `*`, `>` or whitespace in a field's value. Required.
    pub subject: Located<String>,
    /// User name; needs `password`.
    pub user: Option<Located<String>>,
    /// Password, e.g. `"${NATS_PASSWORD}"` or `"@file:/etc/auditship/nats"`.
    /// Never printed.
    pub password: Option<Located<String>>,
    /// Authentication token, e.g. `"${NATS_TOKEN}"`. Never printed.
    pub token: Option<Located<String>>,
    /// Nkey seed (`SU…`), e.g. `"@file:/etc/auditship/nats.nk"`. Never
    /// printed.
    pub nkey: Option<Located<String>>,
    /// Credentials file (user JWT and seed, as `nsc` writes it), e.g.
    /// `"/etc/auditship/nats.creds"`.
    pub credentials: Option<Located<String>>,
    /// Create the stream at the first connection, or bring an existing one
    /// to these settings.
    pub create_stream: Option<Located<RawNatsStream>>,
    /// Longest wait to connect and for the acknowledgements of one batch.
    /// Default `"30s"`.
    pub request_timeout: Option<Located<NumberOrText>>,
}

/// `create_stream = { … }` of a `nats` sink.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNatsStream {
    /// Stream name, e.g. `"AUDIT"`. Required.
    pub name: Located<String>,
    /// Subjects the stream takes, e.g. `["audit.>"]`. Default: the
    /// `subject` template with `*` for each token holding a field.
    pub subjects: Option<Located<Vec<Located<String>>>>,
    /// Copies kept in a cluster, 1 to 5. Default `1`.
    pub replicas: Option<Located<i64>>,
    /// Oldest event kept, e.g. `"30d"`. Default: no limit.
    pub max_age: Option<Located<NumberOrText>>,
    /// How long repeats of an event id are dropped. Default `"2m"`.
    pub duplicate_window: Option<Located<NumberOrText>>,
}
