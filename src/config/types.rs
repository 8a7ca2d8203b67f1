//! The validated, typed configuration the pipeline runs from.
//!
//! Everything here has passed validation: ids are unique, every sink's
//! `inputs` name existing sources, sizes and durations are parsed, `${ENV}`
//! is interpolated, globs compile. The pipeline never sees raw TOML.

use std::path::PathBuf;
use std::time::Duration;

pub use super::socket_types::*;

/// A whole agent configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Journal, checkpoints, dead letters, keys live here.
    pub data_dir: PathBuf,
    /// Name stamped on every event (`agent.host`); `auto` is resolved.
    pub host: String,
    /// At SIGTERM: how long sinks may keep delivering what the journal
    /// holds before the agent exits (the rest stays journaled).
    pub shutdown_timeout: Duration,
    pub journal: JournalConfig,
    pub integrity: IntegrityConfig,
    /// Admin endpoint address, when configured.
    pub admin: Option<AdminConfig>,
    /// Sources in file order.
    pub sources: Vec<SourceConfig>,
    /// Sinks in file order.
    pub sinks: Vec<SinkConfig>,
    /// `[alerts.ID]` rules in file order.
    pub alerts: Vec<super::AlertConfig>,
    /// `[channels.ID]` in file order.
    pub channels: Vec<super::ChannelConfig>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JournalConfig {
    /// Byte limit of the journal on disk; when reached, sources wait.
    pub max_bytes: u64,
    pub fsync: FsyncPolicy,
    /// Longest wait to fill one group commit.
    pub batch_interval: Duration,
    /// Size at which a segment file is closed and a new one started; `None`
    /// lets the journal pick (a fraction of `max_bytes`).
    pub segment_bytes: Option<u64>,
}

impl Default for JournalConfig {
    fn default() -> Self {
        JournalConfig {
            max_bytes: 2 * 1024 * 1024 * 1024,
            fsync: FsyncPolicy::Batch,
            batch_interval: Duration::from_millis(10),
            segment_bytes: None,
        }
    }
}

/// Signed checkpoints of the hash chain (`crate::chain::checkpoint`).
#[derive(Debug, Clone, PartialEq)]
pub struct IntegrityConfig {
    /// A checkpoint after this many events…
    pub checkpoint_events: u64,
    /// …or this long after the previous one, whichever comes first.
    pub checkpoint_interval: Duration,
    /// PKCS#8 Ed25519 key; `None`: `data_dir/keys/checkpoint.pk8`.
    pub signing_key: Option<PathBuf>,
}

impl Default for IntegrityConfig {
    fn default() -> Self {
        IntegrityConfig {
            checkpoint_events: 10_000,
            checkpoint_interval: Duration::from_secs(60),
            signing_key: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// Group commit: appends within `batch_interval` share one fsync.
    Batch,
    /// One fsync per append request.
    Always,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AdminConfig {
    pub address: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceConfig {
    pub id: String,
    pub kind: SourceKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    File(FileSourceConfig),
    Unix(UnixSourceConfig),
    Syslog(SyslogSourceConfig),
    Http(HttpSourceConfig),
}

impl SourceKind {
    /// The `type = "…"` name, for listings and logs.
    pub fn type_name(&self) -> &'static str {
        match self {
            SourceKind::File(_) => "file",
            SourceKind::Unix(_) => "unix",
            SourceKind::Syslog(_) => "syslog",
            SourceKind::Http(_) => "http",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileSourceConfig {
    /// Glob patterns of files to tail (absolute or relative to the working
    /// directory).
    pub include: Vec<String>,
    /// Glob patterns matched against the full path or the file name.
    pub exclude: Vec<String>,
    pub format: FormatConfig,
    pub start_at: StartAt,
    /// Longer lines become quarantine events.
    pub max_line_bytes: usize,
    /// How often files are checked when no change notification arrives, and
    /// always when notifications are unavailable.
    pub poll_interval: Duration,
    /// How often the include globs are expanded again to find new files.
    pub glob_interval: Duration,
    /// Shortest time between two read passes while files keep changing.
    pub min_read_interval: Duration,
    /// Keep the original line in `raw`.
    pub keep_raw: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    Beginning,
    End,
}

/// Which parser reads the entries, with its settings.
#[derive(Debug, Clone, PartialEq)]
pub enum FormatConfig {
    /// App JSON, one object per line. `map` overrides where a schema field
    /// comes from: (schema field, dotted source path), in file order.
    Json { map: Vec<(String, String)> },
    /// Each line kept as it is: `message` and `raw` hold it.
    Raw,
    /// `key=value` pairs with quoted values (logfmt).
    Logfmt,
    /// RFC 5424 or RFC 3164 (BSD) syslog lines, told apart per line.
    Syslog,
    /// ArcSight Common Event Format, bare or after a syslog header.
    Cef,
    /// Kubernetes API server audit events (`audit.k8s.io/v1` `Event` or
    /// `EventList`); `stages` are the request stages that become events.
    K8s { stages: Vec<String> },
    /// AWS CloudTrail records, one per line or a `{"Records": […]}` file.
    CloudTrail,
    /// Linux audit records; the records of one event are grouped first.
    Auditd,
    /// Each entry read by the format it looks like (`formats/auto.rs`).
    Auto,
}

impl FormatConfig {
    /// The `k8s` format with its default stages.
    pub fn k8s() -> FormatConfig {
        FormatConfig::K8s {
            stages: crate::formats::DEFAULT_K8S_STAGES
                .map(str::to_string)
                .to_vec(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            FormatConfig::Json { .. } => "json",
            FormatConfig::Raw => "raw",
            FormatConfig::Logfmt => "logfmt",
            FormatConfig::Syslog => "syslog",
            FormatConfig::Cef => "cef",
            FormatConfig::K8s { .. } => "k8s",
            FormatConfig::CloudTrail => "cloudtrail",
            FormatConfig::Auditd => "auditd",
            FormatConfig::Auto => "auto",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SinkConfig {
    pub id: String,
    /// Source ids this sink receives (every source when the user wrote none).
    pub inputs: Vec<String>,
    pub kind: SinkKind,
    pub batch: BatchConfig,
    /// Retry, rate limit, dead-lettering and concurrency.
    pub delivery: DeliveryConfig,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SinkKind {
    File(FileSinkConfig),
    Console(ConsoleSinkConfig),
    Http(HttpSinkConfig),
    DatadogLogs(DatadogLogsSinkConfig),
    SplunkHec(SplunkHecSinkConfig),
    GcpLogging(GcpLoggingSinkConfig),
    Elasticsearch(ElasticsearchSinkConfig),
    Syslog(super::syslog_sink_types::SyslogSinkConfig),
    Postgres(super::postgres_sink_types::PostgresSinkConfig),
    Nats(super::nats_sink_types::NatsSinkConfig),
}

impl SinkKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            SinkKind::File(_) => "file",
            SinkKind::DatadogLogs(_) => "datadog_logs",
            SinkKind::Console(_) => "console",
            SinkKind::Http(_) => "http",
            SinkKind::SplunkHec(_) => "splunk_hec",
            SinkKind::GcpLogging(_) => "gcp_logging",
            SinkKind::Elasticsearch(_) => "elasticsearch",
            SinkKind::Syslog(_) => "syslog",
            SinkKind::Postgres(_) => "postgres",
            SinkKind::Nats(_) => "nats",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FileSinkConfig {
    /// Output path; may contain strftime fields (`%Y-%m-%d`), expanded with
    /// the UTC time at which a batch is written.
    pub path: String,
    pub compression: Compression,
    /// Start a new file (`NAME.1`, `.2`, … suffix before the extension) when
    /// the current one reaches this size. `None`: no size rotation.
    pub max_file_bytes: Option<u64>,
    pub encoding: EventEncoding,
}

/// How a sink writes each event: as auditship's own schema or mapped to
/// OCSF (`src/sinks/ocsf.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventEncoding {
    #[default]
    Native,
    Ocsf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleSinkConfig {
    pub stream: ConsoleStream,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleStream {
    Stdout,
    Stderr,
}

/// `type = "http"`: batches POSTed (or PUT) to one URI.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSinkConfig {
    /// `http://` or `https://`, with a host; no user info (credentials go
    /// in `headers`).
    pub uri: String,
    pub method: HttpMethod,
    pub encoding: HttpEncoding,
    pub compression: Compression,
    /// Extra request headers in file order, names checked to be valid HTTP
    /// header names (unique, case-insensitively) and values valid header
    /// values. Values often hold tokens: they are [`Secret`]s.
    pub headers: Vec<(String, Secret)>,
    /// Longest wait for one request, from connecting to the end of the
    /// response; a server that hangs fails the attempt after it.
    pub request_timeout: Duration,
    /// TLS client settings (used only with an `https://` URI).
    pub tls: TlsConfig,
}

/// `type = "splunk_hec"`: batches POSTed to Splunk's HTTP Event Collector
/// (`/services/collector/event`), optionally confirmed by indexer
/// acknowledgement.
#[derive(Debug, Clone, PartialEq)]
pub struct SplunkHecSinkConfig {
    /// Base URL, `http://` or `https://` with a host and no path beyond
    /// `/`, e.g. `https://splunk.example.com:8088`.
    pub endpoint: String,
    /// The HEC token, sent as `Authorization: Splunk TOKEN`.
    pub token: Secret,
    /// Target index; `None` lets the token's default index apply.
    pub index: Option<String>,
    pub source: String,
    pub sourcetype: String,
    /// Fixed `host` of every event; `None`: each event's `agent.host`.
    pub host: Option<String>,
    /// Wait for indexer acknowledgement before a batch counts as delivered.
    pub ack: bool,
    /// Longest wait for the acknowledgements of one batch; past it the
    /// batch is sent again.
    pub ack_timeout: Duration,
    pub compression: Compression,
    /// Most bytes of one request body before compression; a batch is split
    /// into as many requests as needed.
    pub max_request_bytes: usize,
    /// Longest wait for one request (send or acknowledgement poll).
    pub request_timeout: Duration,
    pub tls: TlsConfig,
}

/// `type = "gcp_logging"`: Google Cloud Logging `entries:write` (v2).
#[derive(Debug, Clone, PartialEq)]
pub struct GcpLoggingSinkConfig {
    /// The project the log belongs to (`projects/PROJECT_ID/logs/…`).
    pub project_id: String,
    /// The log's id, unencoded (`/` is URL-encoded in `logName` by the sink).
    pub log_id: String,
    /// Service-account JSON key file; `None`: the metadata server's token.
    pub credentials: Option<PathBuf>,
    /// Base URL of the API, `https://logging.googleapis.com` by default.
    pub endpoint: String,
    /// Base URL of the metadata server, `http://metadata.google.internal`
    /// by default (used only without `credentials`).
    pub metadata_endpoint: String,
    /// The monitored resource every entry is written for.
    pub resource: GcpResource,
    /// Longest wait for one request (token or write), connecting included.
    pub request_timeout: Duration,
    /// TLS client settings for `https://` endpoints.
    pub tls: TlsConfig,
}

/// A monitored resource: `type` and its labels, in file order. For
/// `generic_node`, `location`, `namespace` and `node_id` are always present
/// (defaults `global`, `auditship`, the agent's host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcpResource {
    pub kind: String,
    pub labels: Vec<(String, String)>,
}

/// `type = "datadog_logs"`: batches sent to the Datadog Logs HTTP intake
/// (v2), mapped to Datadog's reserved and standard attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct DatadogLogsSinkConfig {
    /// The Datadog site, one of [`DATADOG_SITES`]: the intake host is
    /// `http-intake.logs.<site>`.
    pub site: String,
    /// Sent as `DD-API-KEY`; never printed.
    pub api_key: Secret,
    /// Datadog `service` of every log, when set.
    pub service: Option<String>,
    /// Tags added to every log (`ddtags`), checked to hold no comma.
    pub tags: Vec<String>,
    /// Base URL replacing `https://http-intake.logs.<site>` (tests, proxies).
    pub endpoint: Option<String>,
    pub compression: Compression,
    /// Longest wait for one request, connecting included.
    pub request_timeout: Duration,
    /// TLS client settings (used only with an `https://` intake).
    pub tls: TlsConfig,
}

/// The Datadog sites whose log intake is `http-intake.logs.<site>`.
pub const DATADOG_SITES: &[&str] = &[
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "uk1.datadoghq.com",
    "ddog-gov.com",
    "us2.ddog-gov.com",
];

impl DatadogLogsSinkConfig {
    /// The URL logs are POSTed to: `<endpoint or https://http-intake.logs.<site>>/api/v2/logs`.
    pub fn intake_url(&self) -> String {
        let base = match &self.endpoint {
            Some(endpoint) => endpoint.trim_end_matches('/').to_string(),
            None => format!("https://http-intake.logs.{}", self.site),
        };
        format!("{base}/api/v2/logs")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Post,
    Put,
}

impl HttpMethod {
    pub fn name(self) -> &'static str {
        match self {
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
        }
    }
}

/// How a batch becomes a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpEncoding {
    /// One event a line, each ending in `\n` (`application/x-ndjson`).
    Ndjson,
    /// One JSON array of the events (`application/json`).
    JsonArray,
    /// NDJSON of OCSF events (`src/sinks/ocsf.rs`).
    Ocsf,
    /// NDJSON for another agent's `http` source
    /// (`application/vnd.auditship+x-ndjson`): the receiver keeps each
    /// event as it is (origin `agent.*` under `agent.hops`) instead of
    /// parsing it as application JSON.
    Auditship,
}

impl HttpEncoding {
    pub fn name(self) -> &'static str {
        match self {
            HttpEncoding::Ndjson => "ndjson",
            HttpEncoding::JsonArray => "json_array",
            HttpEncoding::Ocsf => "ocsf",
            HttpEncoding::Auditship => "auditship",
        }
    }
}

/// TLS client settings of a network sink. Paths are checked to exist and
/// parse when the sink is built, not here (validation does no I/O).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsConfig {
    /// CA bundle (PEM) to verify the server with, instead of the system roots.
    pub ca: Option<PathBuf>,
    /// Client certificate for mutual TLS.
    pub client_certificate: Option<ClientCertificate>,
    /// Name the server certificate must be valid for, instead of the URI's host.
    pub server_name: Option<String>,
    /// Accept any server certificate. Only ever true when written explicitly.
    pub insecure_skip_verify: bool,
}

/// A client certificate chain and its private key, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A configuration value that must never be printed: `Debug` shows
/// `<secret>`; [`Secret::expose`] is the one way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<secret>")
    }
}

/// Shared by every sink: how many events go out at once.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchConfig {
    pub max_events: usize,
    pub max_bytes: usize,
    /// Longest wait for a batch to fill before it is sent anyway.
    pub timeout: Duration,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            max_events: 1000,
            max_bytes: 1024 * 1024,
            timeout: Duration::from_secs(1),
        }
    }
}

/// `type = "elasticsearch"`: batches sent through the `_bulk` API of
/// Elasticsearch 7/8 or OpenSearch, as ECS documents.
#[derive(Debug, Clone, PartialEq)]
pub struct ElasticsearchSinkConfig {
    /// Base URL of the cluster, e.g. `https://es.example.com:9200`;
    /// `/_bulk` is appended.
    pub endpoint: String,
    pub target: ElasticsearchTarget,
    pub auth: Option<ElasticsearchAuth>,
    /// Ingest pipeline run on every document, when set.
    pub pipeline: Option<String>,
    /// `Native` means ECS documents here; `Ocsf` OCSF events.
    pub encoding: EventEncoding,
    pub compression: Compression,
    /// Most bytes of one `_bulk` body before compression; a batch is split
    /// into as many requests as needed.
    pub max_request_bytes: usize,
    /// Longest wait for one request, connecting included.
    pub request_timeout: Duration,
    pub tls: TlsConfig,
}

/// Where `_bulk` puts documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElasticsearchTarget {
    /// An index name with strftime fields (`%Y.%m.%d`) filled from each
    /// event's time in UTC; `index` actions.
    Index(String),
    /// A data stream; `create` actions, as data streams require.
    DataStream(String),
}

/// How the sink authenticates to the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElasticsearchAuth {
    /// `Authorization: Basic base64(user:password)`.
    Basic { user: String, password: Secret },
    /// `Authorization: ApiKey <key>`: the base64 `id:api_key` the create
    /// API key call returns as `encoded`.
    ApiKey(Secret),
}

/// Shared by every sink: what the runner does with a batch besides sending
/// it (keys `retry`, `rate_limit`, `dead_letter`, `concurrency`).
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryConfig {
    pub retry: RetryConfig,
    /// Most events sent per second; `None`: no limit.
    pub events_per_second: Option<std::num::NonZeroU32>,
    /// Permanently refused events go to `data_dir/dead/`; when false they
    /// are dropped (counted and warned about).
    pub dead_letter: bool,
    /// Most batches in flight at once (network sinks; local sinks write one
    /// batch at a time whatever this says). 1..=64.
    pub concurrency: usize,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            retry: RetryConfig::default(),
            events_per_second: None,
            dead_letter: true,
            concurrency: 2,
        }
    }
}

/// The back-off between attempts at one batch.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryConfig {
    /// Ceiling of the first wait; it doubles after each failure.
    pub initial: Duration,
    /// Largest ceiling of a wait (a server's `Retry-After` may ask longer).
    pub max: Duration,
    /// Full jitter: each wait is uniform below its ceiling.
    pub jitter: bool,
    /// Give up on a batch failing retryably for this long; `None`: never.
    pub max_elapsed: Option<Duration>,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(60),
            jitter: true,
            max_elapsed: None,
        }
    }
}
