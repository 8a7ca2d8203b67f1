//! The configuration as written: serde structs as close to the TOML as
//! possible, one per table, `deny_unknown_fields`, every value
//! [`Located`] so that validation can point at it.
//!
//! The `///` docs on these fields are the configuration reference
//! (`docs/CONFIGURATION.md` is written from them): keep both in step.
//!
//! `[sources.ID]` and `[sinks.ID]` are read one at a time by `validate`,
//! which looks at `type` first and picks the struct here; a sink's table is
//! split between [`RawSinkShared`] (keys every sink has) and the struct of
//! its type.
//!
//! Invariant: nothing here is checked beyond TOML types; meanings, units,
//! defaults and cross-references belong to `validate`.

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::located::Located;
use super::units::NumberOrText;

/// The top level of the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    /// Directory for the journal, checkpoints, dead letters and keys.
    /// Default `"/var/lib/auditship"`.
    pub data_dir: Option<Located<String>>,
    /// Name stamped on every event as `agent.host`. Default `"auto"`: the
    /// machine's hostname (`/proc/sys/kernel/hostname`, else the `HOSTNAME`
    /// environment variable, else `localhost`).
    pub host: Option<Located<String>>,
    /// Longest wait at SIGTERM for sinks to deliver what is in flight.
    /// Default `"10s"`.
    pub shutdown_timeout: Option<Located<NumberOrText>>,
    /// `[journal]`: the durable on-disk buffer between sources and sinks.
    pub journal: Option<Located<RawJournal>>,
    /// `[admin]`: the local HTTP endpoint for `/health`, `/metrics`, `/status`.
    pub admin: Option<Located<RawAdmin>>,
    /// `[integrity]`: signed checkpoints of the hash chain.
    pub integrity: Option<Located<RawIntegrity>>,
    /// `[sources.ID]`: where events are read (see [`RawFileSource`]).
    #[allow(dead_code)] // listed for the key check; `validate` reads the tables
    pub sources: Option<IgnoredAny>,
    /// `[sinks.ID]`: where events are delivered (see [`RawSinkShared`]).
    #[allow(dead_code)] // listed for the key check; `validate` reads the tables
    pub sinks: Option<IgnoredAny>,
    /// `[alerts.ID]`: alert rules (see `RawAlert`).
    #[allow(dead_code)] // listed for the key check; `validate` reads the tables
    pub alerts: Option<IgnoredAny>,
    /// `[channels.ID]`: where alerts are sent (see `RawChannelShared`).
    #[allow(dead_code)] // listed for the key check; `validate` reads the tables
    pub channels: Option<IgnoredAny>,
}

/// `[journal]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawJournal {
    /// Size limit of the journal on disk. When it is reached, sources stop
    /// reading until sinks catch up (back-pressure). Default `"2GiB"`.
    pub max_bytes: Option<Located<NumberOrText>>,
    /// `"batch"` (default): appends arriving within `batch_interval` share
    /// one fsync (group commit). `"always"`: one fsync per append.
    pub fsync: Option<Located<String>>,
    /// Longest wait to fill one group commit. Default `"10ms"`.
    pub batch_interval: Option<Located<NumberOrText>>,
    /// Size at which a segment file is closed and the next one started. At
    /// most `max_bytes`. Default: chosen by the journal from `max_bytes`.
    pub segment_bytes: Option<Located<NumberOrText>>,
}

/// `[integrity]`. Every event is hash-chained (`agent.chain`); these keys
/// control the signed `agent.checkpoint` events that pin the chain.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIntegrity {
    /// Journal a signed checkpoint after this many events. Default `10000`.
    pub checkpoint_events: Option<Located<i64>>,
    /// Journal a signed checkpoint at least this often while events arrive.
    /// Default `"60s"`.
    pub checkpoint_interval: Option<Located<NumberOrText>>,
    /// Ed25519 signing key, a PKCS#8 file (e.g. `openssl genpkey -algorithm
    /// ed25519 -outform DER`). Default: `data_dir/keys/checkpoint.pk8`,
    /// generated at the first start (0600).
    pub signing_key: Option<Located<String>>,
}

/// `[admin]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAdmin {
    /// `host:port` to listen on, e.g. `"127.0.0.1:8686"`. Required in
    /// `[admin]`. Parsed and kept; nothing serves it in this version.
    pub address: Located<String>,
}

/// `[sources.ID]` with `type = "file"`: tail files matching glob patterns.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFileSource {
    /// `"file"`. (Other source types are not available in this version.)
    #[serde(rename = "type")]
    #[allow(dead_code)] // dispatched on by `validate` before this struct is read
    pub kind: Located<String>,
    /// Glob patterns of the files to tail, e.g. `["/var/log/app/audit*.log"]`.
    /// Required, at least one. Relative patterns are relative to the working
    /// directory.
    pub include: Located<Vec<Located<String>>>,
    /// Glob patterns of files to skip, matched against the full path and
    /// the file name, e.g. `["*.gz"]`. Default: none.
    pub exclude: Option<Vec<Located<String>>>,
    /// How entries are parsed: `"json"` (default; one JSON object per line)
    /// or `"raw"` (each line kept as it is, in `message` and `raw`).
    pub format: Option<Located<String>>,
    /// Where to start reading a file seen for the first time: `"beginning"`
    /// (default) or `"end"`. Files already known resume at their checkpoint.
    pub start_at: Option<Located<String>>,
    /// Longest line accepted; a longer line becomes a quarantine event.
    /// Default `"1MiB"`.
    pub max_line_bytes: Option<Located<NumberOrText>>,
    /// How often files are checked for new data when no change
    /// notification arrives. Default `"250ms"`.
    pub poll_interval: Option<Located<NumberOrText>>,
    /// How often the `include` patterns are expanded again to find new
    /// files. Default `"1s"`.
    pub glob_interval: Option<Located<NumberOrText>>,
    /// Shortest time between two reads while files keep changing. Default
    /// `"10ms"`.
    pub min_read_interval: Option<Located<NumberOrText>>,
    /// Keep the original line in the event's `raw` field. Default `false`.
    pub keep_raw: Option<Located<bool>>,
    /// `[sources.ID.map]`, only with `format = "json"`: where a schema field
    /// comes from, as `"schema.field" = "dotted.source.path"`, e.g.
    /// `"actor.id" = "userId"`. Overrides the built-in defaults field by field.
    pub map: Option<Located<RawFieldMap>>,
    /// Only with `format = "k8s"`: the request stages that become events.
    /// Default `["ResponseComplete", "Panic"]`.
    pub k8s_stages: Option<Located<Vec<Located<String>>>>,
}

/// `[sources.ID.map]`: (schema field, source path) pairs in file order.
/// The path is `None` when the user wrote an unquoted dotted key
/// (`actor.id = "userId"`), which TOML reads as a nested table; `validate`
/// explains that at the key.
#[derive(Debug)]
pub(crate) struct RawFieldMap(pub Vec<(Located<String>, Option<Located<String>>)>);

impl<'de> Deserialize<'de> for RawFieldMap {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldMapVisitor;
        impl<'de> Visitor<'de> for FieldMapVisitor {
            type Value = RawFieldMap;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table of \"schema.field\" = \"source.path\"")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFieldMap, A::Error> {
                let mut pairs = Vec::new();
                while let Some(field) = map.next_key::<Located<String>>()? {
                    let target = map.next_value::<Located<StringOrTable>>()?;
                    let path = match target.value {
                        StringOrTable::String(value) => Some(Located {
                            span: target.span,
                            written: target.written,
                            value,
                        }),
                        StringOrTable::Table => None,
                    };
                    pairs.push((field, path));
                }
                Ok(RawFieldMap(pairs))
            }
        }
        deserializer.deserialize_map(FieldMapVisitor)
    }
}

enum StringOrTable {
    String(String),
    Table,
}

impl<'de> Deserialize<'de> for StringOrTable {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StringOrTableVisitor;
        impl<'de> Visitor<'de> for StringOrTableVisitor {
            type Value = StringOrTable;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string (a dotted source path)")
            }
            fn visit_str<E>(self, v: &str) -> Result<StringOrTable, E> {
                Ok(StringOrTable::String(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StringOrTable, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(StringOrTable::Table)
            }
        }
        deserializer.deserialize_any(StringOrTableVisitor)
    }
}

/// Keys every sink has, whatever its type. They are split off a sink's
/// table before the rest is read with the struct of its type.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSinkShared {
    /// The sink type: `"file"`, `"console"`, `"http"`, `"splunk_hec"`,
    /// `"gcp_logging"` or `"datadog_logs"`.
    #[serde(rename = "type")]
    #[allow(dead_code)] // dispatched on by `validate` before this struct is read
    pub kind: Located<String>,
    /// Source ids this sink receives, e.g. `["app"]`. Default: every source.
    /// An empty list is refused (remove the key to receive every source).
    pub inputs: Option<Located<Vec<Located<String>>>>,
    /// How many events go out at once.
    pub batch: Option<Located<RawBatch>>,
    /// Retry schedule for failed deliveries.
    pub retry: Option<Located<RawRetry>>,
    /// Delivery rate cap.
    pub rate_limit: Option<Located<RawRateLimit>>,
    /// Write permanently rejected events under `data_dir/dead/`. Default
    /// `true`; `false` drops them (counted and warned about): data is lost.
    pub dead_letter: Option<Located<bool>>,
    /// Most batches in flight at once, 1 to 64. Default `2`. Network sinks
    /// only: `file` and `console` write one batch at a time.
    pub concurrency: Option<Located<i64>>,
    /// TLS client settings for network sinks (`http`, `splunk_hec`,
    /// `gcp_logging`, `datadog_logs`). Checked but without effect for `file`
    /// and `console`.
    pub tls: Option<Located<RawTls>>,
}

/// The keys of [`RawSinkShared`], to split a sink's table. A test checks
/// that this list and the struct agree.
pub(crate) const SINK_SHARED_KEYS: &[&str] = &[
    "type",
    "inputs",
    "batch",
    "retry",
    "rate_limit",
    "dead_letter",
    "concurrency",
    "tls",
];

/// `batch = { … }` of a sink.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBatch {
    /// Most events in one batch. Default `1000`.
    pub max_events: Option<Located<i64>>,
    /// Most encoded bytes in one batch. Default `"1MiB"`.
    pub max_bytes: Option<Located<NumberOrText>>,
    /// Longest wait for a batch to fill before it is sent anyway. Default `"1s"`.
    pub timeout: Option<Located<NumberOrText>>,
}

/// `retry = { … }` of a sink.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRetry {
    /// First wait after a failure. Default `"200ms"`.
    pub initial: Option<Located<NumberOrText>>,
    /// Longest wait between attempts; waits double up to it. Default `"60s"`.
    pub max: Option<Located<NumberOrText>>,
    /// Randomize waits to avoid synchronized retries. Default `true`.
    pub jitter: Option<Located<bool>>,
    /// Give up (dead-letter) after retrying this long. Default: retry forever.
    pub max_elapsed: Option<Located<NumberOrText>>,
}

/// `rate_limit = { … }` of a sink.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRateLimit {
    /// Most events delivered per second; `0` (default) means no limit.
    pub events_per_second: Option<Located<i64>>,
}

/// `tls = { … }` of a sink.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTls {
    /// CA bundle (PEM) to verify the server with. Default: system roots.
    pub ca: Option<Located<String>>,
    /// Client certificate (PEM) for mutual TLS; needs `key`.
    pub cert: Option<Located<String>>,
    /// Client private key (PEM) for mutual TLS; needs `cert`.
    pub key: Option<Located<String>>,
    /// Name to verify the server certificate against: a DNS name or an IP
    /// address. Default: the host of the address.
    pub server_name: Option<Located<String>>,
    /// Skip server certificate verification. Only when written explicitly;
    /// warned about at every start. Default `false`.
    pub insecure_skip_verify: Option<Located<bool>>,
}

/// `[sinks.ID]` with `type = "file"`: append NDJSON to local files.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFileSink {
    /// Output path. Required. May contain strftime fields `%Y %m %d %H`,
    /// expanded with the UTC time a batch is written, e.g.
    /// `"/var/lib/auditship/archive/audit-%Y-%m-%d.ndjson"`.
    pub path: Located<String>,
    /// `"none"` (default) or `"gzip"`.
    pub compression: Option<Located<String>>,
    /// Start a new file (suffix `.1`, `.2`, … before the extension) when the
    /// current one reaches this size. Default: no size rotation.
    pub max_file_bytes: Option<Located<NumberOrText>>,
    /// `"json"` (default: the auditship schema, what `verify` reads) or
    /// `"ocsf"` (OCSF 1.1 events).
    pub encoding: Option<Located<String>>,
}

/// `[sinks.ID]` with `type = "console"`: write NDJSON to the terminal.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConsoleSink {
    /// `"stdout"` (default) or `"stderr"`.
    pub stream: Option<Located<String>>,
}

/// `[sinks.ID]` with `type = "http"`: send batches to an HTTP endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHttpSink {
    /// Where batches are sent: an `http://` or `https://` URI, e.g.
    /// `"https://collector.example.com/v1/audit"`. Required. Credentials
    /// go in `headers`, not in the URI.
    pub uri: Located<String>,
    /// `"POST"` (default) or `"PUT"`.
    pub method: Option<Located<String>>,
    /// `"ndjson"` (default; one event a line, `application/x-ndjson`),
    /// `"json_array"` (one JSON array, `application/json`) or `"auditship"`
    /// (to another agent's `http` source, which keeps the events as they
    /// are: the two-tier, agent → aggregator deployment).
    pub encoding: Option<Located<String>>,
    /// `"gzip"` (default; `Content-Encoding: gzip`) or `"none"`.
    pub compression: Option<Located<String>>,
    /// Extra request headers, e.g. `{ Authorization = "Bearer ${TOKEN}" }`.
    /// Values are never printed. `Content-Length`, `Content-Encoding`,
    /// `Transfer-Encoding` and `Host` are set by the sink and refused here.
    pub headers: Option<Located<RawHeaders>>,
    /// Longest wait for one request, connecting included; a server that
    /// does not answer in time fails the attempt, which is retried.
    /// Default `"30s"`.
    pub request_timeout: Option<Located<NumberOrText>>,
}

/// `[sinks.ID]` with `type = "splunk_hec"`: send batches to Splunk's HTTP
/// Event Collector.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSplunkHecSink {
    /// Base URL of the collector: `http://` or `https://`, host and port,
    /// no path, e.g. `"https://splunk.example.com:8088"`. Required. Events
    /// go to `/services/collector/event` under it.
    pub endpoint: Located<String>,
    /// The HEC token, e.g. `"${SPLUNK_HEC_TOKEN}"`, sent as
    /// `Authorization: Splunk TOKEN`. Required. Never printed.
    pub token: Located<String>,
    /// Index the events go to. Default: the token's default index.
    pub index: Option<Located<String>>,
    /// `source` of every event. Default `"auditship"`.
    pub source: Option<Located<String>>,
    /// `sourcetype` of every event. Default `"auditship:audit"`.
    pub sourcetype: Option<Located<String>>,
    /// `host` of every event. Default: each event's `agent.host`.
    pub host: Option<Located<String>>,
    /// Wait for indexer acknowledgement (the token must have it enabled):
    /// a batch counts as delivered only once Splunk says it is indexed.
    /// Default `false`.
    pub ack: Option<Located<bool>>,
    /// Longest wait for the acknowledgements of one batch; past it the
    /// batch is sent again. Default `"60s"`.
    pub ack_timeout: Option<Located<NumberOrText>>,
    /// `"gzip"` (default; `Content-Encoding: gzip`) or `"none"`.
    pub compression: Option<Located<String>>,
    /// Most bytes of one request body before compression (HEC refuses
    /// larger requests with 413); a batch is split into several requests.
    /// Default `"1MiB"`.
    pub max_request_bytes: Option<Located<NumberOrText>>,
    /// Longest wait for one request, connecting included; a server that
    /// does not answer in time fails the attempt, which is retried.
    /// Default `"30s"`.
    pub request_timeout: Option<Located<NumberOrText>>,
}

/// `[sinks.ID]` with `type = "gcp_logging"`: write to Google Cloud Logging
/// (`entries:write`, API v2).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGcpLoggingSink {
    /// The Google Cloud project id the log belongs to, e.g. `"acme-prod"`.
    /// Required.
    pub project_id: Located<String>,
    /// The log's id, e.g. `"audit"` (letters, digits, `/ _ - .`, at most
    /// 511 characters). Required.
    pub log_id: Located<String>,
    /// Path of a service-account JSON key file. Default: the token of the
    /// instance's service account, from the metadata server.
    pub credentials: Option<Located<String>>,
    /// Base URL of the Logging API. Default `"https://logging.googleapis.com"`.
    /// For tests and proxies.
    pub endpoint: Option<Located<String>>,
    /// Base URL of the metadata server, used without `credentials`.
    /// Default `"http://metadata.google.internal"`. For tests.
    pub metadata_endpoint: Option<Located<String>>,
    /// The monitored resource, `{ type = "generic_node", labels = { … } }`.
    /// Default `generic_node` with `location = "global"`,
    /// `namespace = "auditship"`, `node_id` = the agent's host.
    pub resource: Option<Located<RawGcpResource>>,
    /// Longest wait for one request (token or write), connecting included.
    /// Default `"30s"`.
    pub request_timeout: Option<Located<NumberOrText>>,
}

/// `resource = { … }` of a `gcp_logging` sink.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGcpResource {
    /// Monitored resource type. Default `"generic_node"`.
    #[serde(rename = "type")]
    pub kind: Option<Located<String>>,
    /// The resource's labels, strings, e.g. `{ location = "europe-west1" }`.
    pub labels: Option<Located<RawHeaders>>,
}

/// `[sinks.ID]` with `type = "datadog_logs"`: send events to the Datadog
/// Logs HTTP intake (v2).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDatadogLogsSink {
    /// The Datadog site of the account: `"datadoghq.com"` (default),
    /// `"us3.datadoghq.com"`, `"us5.datadoghq.com"`, `"datadoghq.eu"`,
    /// `"ap1.datadoghq.com"`, `"ap2.datadoghq.com"`, `"uk1.datadoghq.com"`,
    /// `"ddog-gov.com"` or `"us2.ddog-gov.com"`. Logs go to
    /// `https://http-intake.logs.<site>/api/v2/logs`.
    pub site: Option<Located<String>>,
    /// A Datadog API key, sent as `DD-API-KEY`, e.g. `"${DD_API_KEY}"` or
    /// `"@file:/etc/auditship/dd-api-key"`. Required. Never printed.
    pub api_key: Located<String>,
    /// Datadog `service` of every log, e.g. `"billing-api"`. Default: none.
    pub service: Option<Located<String>>,
    /// Tags added to every log, e.g. `["env:prod", "team:sec"]`. Each is
    /// `key:value` or a bare word, without commas, at most 200 characters.
    /// auditship adds `outcome:<outcome>`, `category:<category>` (when the
    /// event has one) and the flags `late:true` / `truncated:true`.
    pub tags: Option<Located<Vec<Located<String>>>>,
    /// Base URL replacing `https://http-intake.logs.<site>`, for tests and
    /// proxies, e.g. `"http://127.0.0.1:9000"`; `/api/v2/logs` is appended.
    /// Default: none.
    pub endpoint: Option<Located<String>>,
    /// `"gzip"` (default; `Content-Encoding: gzip`, as Datadog recommends)
    /// or `"none"`.
    pub compression: Option<Located<String>>,
    /// Longest wait for one request, connecting included; a request not
    /// answered in time is retried. Default `"30s"`.
    pub request_timeout: Option<Located<NumberOrText>>,
}

/// `headers = { … }`: (name, value) pairs in file order.
#[derive(Debug)]
pub(crate) struct RawHeaders(pub Vec<(Located<String>, Located<String>)>);

impl<'de> Deserialize<'de> for RawHeaders {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeadersVisitor;
        impl<'de> Visitor<'de> for HeadersVisitor {
            type Value = RawHeaders;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table of Header-Name = \"value\"")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawHeaders, A::Error> {
                let mut pairs = Vec::new();
                while let Some(name) = map.next_key::<Located<String>>()? {
                    pairs.push((name, map.next_value::<Located<String>>()?));
                }
                Ok(RawHeaders(pairs))
            }
        }
        deserializer.deserialize_map(HeadersVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::document::parse;
    use crate::config::located::{read, DeErrorKind};

    #[test]
    fn shared_sink_key_list_matches_the_struct() {
        let node = parse("not_a_key = 1\n").unwrap();
        let error = read::<RawSinkShared>(&node, &[]).unwrap_err();
        let DeErrorKind::UnknownKey { expected, .. } = error.kind else {
            panic!("{error:?}")
        };
        assert_eq!(expected, SINK_SHARED_KEYS);
    }
}
