//! From the interpolated document tree to the typed [`Config`]: picks the
//! raw struct of each component by its `type`, applies defaults, parses
//! units, checks every value and every cross-reference.
//!
//! Owns the list of what this version supports and the wording of "not
//! available in this version" for the rest of `CONFIG.md`.
//!
//! Problems are collected, not returned at the first one: a component that
//! fails to read does not stop the others from being checked, so one run of
//! `auditship validate` shows (nearly) everything to fix. A [`Config`] is
//! returned only when there is no problem at all.
//!
//! Invariant: the only I/O is resolving `host = "auto"` (reading
//! `/proc/sys/kernel/hostname`), done through [`HostnameSource`] so tests
//! inject it.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::document::{Entry, Node, Span, Value};
use super::error::{closest, Reason};
use super::located::{read, DeError, DeErrorKind, Located};
use super::raw::RawDatadogLogsSink;
use super::raw::RawFieldMap;
use super::raw::RawSplunkHecSink;
use super::raw::{
    RawAdmin, RawBatch, RawConfig, RawConsoleSink, RawFileSink, RawFileSource, RawGcpLoggingSink,
    RawGcpResource, RawHttpSink, RawIntegrity, RawJournal, RawRateLimit, RawRetry, RawSinkShared,
    RawTls, SINK_SHARED_KEYS,
};
use super::raw_sinks::{RawElasticsearchSink, RawNatsSink, RawPostgresSink, RawSyslogSink};
use super::syslog_sink_types::SyslogProtocol;
use super::types::*;
use super::units::{parse_duration, parse_size, NumberOrText};
use super::{AlertConfig, ChannelConfig};

mod alerts;
mod channels;
mod elasticsearch;
mod email;
mod nats;
mod postgres;
mod socket_values;
mod sources;
mod syslog_sink;

/// Default `data_dir`.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/auditship";
/// `shutdown_timeout` when absent: long enough for a batch in flight.
const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);
/// `request_timeout` of network sinks when absent.
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

const SOURCE_TYPES_AVAILABLE: &[&str] = &["file", "unix", "syslog", "http"];
const SOURCE_TYPES_LATER: &[&str] = &[];
pub(crate) const SINK_TYPES_AVAILABLE: &[&str] = &[
    "file",
    "console",
    "http",
    "splunk_hec",
    "gcp_logging",
    "datadog_logs",
    "elasticsearch",
    "syslog",
    "postgres",
    "nats",
];
const SINK_TYPES_LATER: &[&str] = &[];
/// The `type` values of one kind of component, and how to refuse others.
struct ComponentTypes {
    available: &'static [&'static str],
    later: &'static [&'static str],
    unavailable: fn(String) -> Reason,
    unknown: fn(String, Option<String>) -> Reason,
}

const SOURCE_TYPES: ComponentTypes = ComponentTypes {
    available: SOURCE_TYPES_AVAILABLE,
    later: SOURCE_TYPES_LATER,
    unavailable: |kind| Reason::SourceTypeUnavailable { kind },
    unknown: |kind, suggestion| Reason::UnknownSourceType { kind, suggestion },
};

const SINK_TYPES: ComponentTypes = ComponentTypes {
    available: SINK_TYPES_AVAILABLE,
    later: SINK_TYPES_LATER,
    unavailable: |kind| Reason::SinkTypeUnavailable { kind },
    unknown: |kind, suggestion| Reason::UnknownSinkType { kind, suggestion },
};

pub(super) const FORMATS_AVAILABLE: &[&str] = &[
    "json",
    "auditd",
    "syslog",
    "cef",
    "k8s",
    "cloudtrail",
    "logfmt",
    "raw",
    "auto",
];
const FORMATS_LATER: &[&str] = &[];

/// Headers an `http` sink sets itself from its other keys, refused in
/// `headers`.
const HTTP_HEADERS_SET_BY_THE_SINK: &[&str] = &[
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "host",
];

/// Schema fields a `[sources.ID.map]` may set (`SCHEMA.md`), besides
/// `correlation.<name>`.
pub const MAPPABLE_FIELDS: &[&str] = &[
    "id",
    "time",
    "action",
    "outcome",
    "severity",
    "category",
    "message",
    "actor.id",
    "actor.name",
    "actor.email",
    "actor.type",
    "actor.session_id",
    "actor.groups",
    "source.ip",
    "source.port",
    "source.user_agent",
    "resource.type",
    "resource.id",
    "resource.name",
    "tenant.id",
    "project.id",
    "status.code",
    "status.detail",
];

/// Where `host = "auto"` finds the machine's name.
pub(crate) struct HostnameSource<'a> {
    /// Contents of `/proc/sys/kernel/hostname`, if readable.
    pub kernel_hostname: &'a dyn Fn() -> Option<String>,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl HostnameSource<'_> {
    /// The kernel's hostname, else `HOSTNAME`, else `localhost`.
    pub fn resolve(&self) -> String {
        (self.kernel_hostname)()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .or_else(|| (self.env)("HOSTNAME").filter(|h| !h.trim().is_empty()))
            .unwrap_or_else(|| "localhost".to_string())
    }
}

/// Validates a whole document. Problems come back with byte offsets.
pub(crate) fn validate(root: &Node, host: &HostnameSource) -> Result<Config, Vec<(usize, Reason)>> {
    let mut v = Validator {
        problems: Vec::new(),
    };
    let config = v.config(root, host);
    match config {
        Some(config) if v.problems.is_empty() => Ok(config),
        _ => {
            v.problems.sort_by_key(|(at, _)| *at);
            Err(v.problems)
        }
    }
}

struct Validator {
    problems: Vec<(usize, Reason)>,
}

/// The table a value is in, for messages: `[sources.app]`.
fn table_name(path: &[String]) -> String {
    if path.is_empty() {
        "the top level".to_string()
    } else {
        format!("[{}]", path.join("."))
    }
}

fn path_of(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| p.to_string()).collect()
}

/// Where an entry is best pointed at: its key, or, for a table `toml` gave
/// no key span (`[alerts.x]` makes `alerts` implicitly), its first child.
fn entry_offset(entry: &Entry) -> usize {
    if entry.key_span.end > 0 {
        return entry.key_span.start;
    }
    match &entry.value.value {
        Value::Table(children) if !children.is_empty() => entry_offset(&children[0]),
        _ => entry.value.span.start,
    }
}

/// Whether the file has at least one `[kind.ID]` table, valid or not (an
/// invalid one is reported on its own; "none configured" would be noise).
fn has_components(entries: &[Entry], kind: &str) -> bool {
    entries
        .iter()
        .any(|e| e.key == kind && !matches!(&e.value.value, Value::Table(t) if t.is_empty()))
}

/// Where a table is best pointed at: its own span (`[sources.app]`), else
/// its first key.
fn table_offset(node: &Node, fallback: usize) -> usize {
    if node.span.end > 0 {
        return node.span.start;
    }
    match &node.value {
        Value::Table(children) if !children.is_empty() => entry_offset(&children[0]),
        _ => fallback,
    }
}

fn shown_amount(value: &Located<NumberOrText>) -> String {
    match (&value.written, &value.value) {
        (Some(written), _) => format!("\"{written}\""),
        (None, NumberOrText::Text(text)) => format!("\"{text}\""),
        (None, NumberOrText::Number(n)) => n.to_string(),
    }
}

impl Validator {
    fn push(&mut self, at: usize, reason: Reason) {
        self.problems.push((at, reason));
    }

    fn invalid(&mut self, at: usize, table: &[String], key: &str, message: String) {
        self.push(
            at,
            Reason::InvalidValue {
                key: key.to_string(),
                table: table_name(table),
                message,
            },
        );
    }

    /// Records a problem met while reading a raw struct. `extra_keys` are
    /// keys valid in this table that the struct itself does not list.
    fn read_problem(&mut self, error: DeError, extra_keys: &[&'static str]) {
        let at = error.span.map_or(0, |s| s.start);
        let path = error.path.unwrap_or_default();
        let (table, key) = match path.split_last() {
            Some((key, table)) => (table_name(table), key.clone()),
            None => (table_name(&[]), String::new()),
        };
        let reason = match error.kind {
            DeErrorKind::UnknownKey { key, expected } => {
                let suggestion = closest(&key, expected.iter().chain(extra_keys).copied());
                Reason::UnknownKey {
                    key,
                    table: table_name(&path),
                    suggestion,
                }
            }
            DeErrorKind::MissingKey(key) => Reason::MissingKey {
                key: key.to_string(),
                table: table_name(&path),
            },
            DeErrorKind::WrongType { expected, found } => Reason::WrongType {
                key,
                table,
                expected,
                found,
            },
            DeErrorKind::Invalid(message) => Reason::InvalidValue {
                key,
                table,
                message,
            },
        };
        self.push(at, reason);
    }

    fn config(&mut self, root: &Node, host: &HostnameSource) -> Option<Config> {
        let Value::Table(entries) = &root.value else {
            return None;
        };
        let raw = match read::<RawConfig>(root, &[]) {
            Ok(raw) => Some(raw),
            Err(error) => {
                self.read_problem(error, &[]);
                None
            }
        };
        let source_entries = self.components(entries, "sources");
        let sink_entries = self.components(entries, "sinks");
        if !has_components(entries, "sources") {
            self.push(0, Reason::NoSource);
        }
        if !has_components(entries, "sinks") {
            self.push(0, Reason::NoSink);
        }
        let source_ids: Vec<&str> = source_entries.iter().map(|e| e.key.as_str()).collect();
        let sources: Vec<SourceConfig> = source_entries
            .iter()
            .filter_map(|entry| self.source(entry))
            .collect();
        let sinks: Vec<SinkConfig> = sink_entries
            .iter()
            .filter_map(|entry| self.sink(entry, &source_ids))
            .collect();
        let channel_entries = self.components(entries, "channels");
        let channel_ids: Vec<&str> = channel_entries.iter().map(|e| e.key.as_str()).collect();
        let channels: Vec<ChannelConfig> = channel_entries
            .iter()
            .filter_map(|entry| self.channel(entry))
            .collect();
        let alerts: Vec<AlertConfig> = self
            .components(entries, "alerts")
            .iter()
            .filter_map(|entry| self.alert(entry, &channel_ids))
            .collect();
        let raw = raw?;

        let data_dir = match &raw.data_dir {
            None => PathBuf::from(DEFAULT_DATA_DIR),
            Some(dir) if dir.value.trim().is_empty() => {
                self.invalid(dir.at(), &[], "data_dir", "must not be empty".into());
                PathBuf::new()
            }
            Some(dir) => PathBuf::from(&dir.value),
        };
        let host = match &raw.host {
            None => host.resolve(),
            Some(h) if h.value == "auto" => host.resolve(),
            Some(h) if h.value.trim().is_empty() => {
                self.invalid(
                    h.at(),
                    &[],
                    "host",
                    "must not be empty (write \"auto\" for the machine's hostname)".into(),
                );
                String::new()
            }
            Some(h) => h.value.clone(),
        };
        let shutdown_timeout = self.duration(
            &[],
            "shutdown_timeout",
            &raw.shutdown_timeout,
            DEFAULT_SHUTDOWN_TIMEOUT,
            false,
        );
        let journal = match &raw.journal {
            Some(journal) => self.journal(&journal.value),
            None => JournalConfig::default(),
        };
        let admin = raw.admin.as_ref().map(|admin| self.admin(&admin.value));
        let integrity = match &raw.integrity {
            Some(integrity) => self.integrity(&integrity.value),
            None => IntegrityConfig::default(),
        };
        let mut sinks = sinks;
        for sink in &mut sinks {
            if let SinkKind::GcpLogging(gcp) = &mut sink.kind {
                default_node_id(&mut gcp.resource, &host);
            }
        }
        Some(Config {
            data_dir,
            host,
            shutdown_timeout,
            journal,
            integrity,
            admin,
            sources,
            sinks,
            alerts,
            channels,
        })
    }

    /// The `(id, table)` entries under `sources` or `sinks`, with ids checked.
    fn components<'n>(&mut self, entries: &'n [Entry], kind: &str) -> Vec<&'n Entry> {
        let Some(entry) = entries.iter().find(|e| e.key == kind) else {
            return Vec::new();
        };
        let Value::Table(components) = &entry.value.value else {
            self.push(
                entry.value.span.start,
                Reason::WrongType {
                    key: kind.to_string(),
                    table: table_name(&[]),
                    expected: format!("a table of [{kind}.ID] tables"),
                    found: entry.value.value.kind_name().to_string(),
                },
            );
            return Vec::new();
        };
        let mut valid = Vec::new();
        for component in components {
            let id_ok = !component.key.is_empty()
                && component
                    .key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !id_ok {
                self.push(
                    entry_offset(component),
                    Reason::InvalidId {
                        id: component.key.clone(),
                        table: kind.to_string(),
                    },
                );
                continue;
            }
            if !matches!(component.value.value, Value::Table(_)) {
                self.push(
                    component.value.span.start,
                    Reason::WrongType {
                        key: component.key.clone(),
                        table: format!("[{kind}]"),
                        expected: format!("a table ([{kind}.{}])", component.key),
                        found: component.value.value.kind_name().to_string(),
                    },
                );
                continue;
            }
            valid.push(component);
        }
        valid
    }

    /// The `type` of a component table, or a problem.
    fn component_type<'n>(&mut self, entry: &'n Entry, kind: &str) -> Option<(&'n str, Span)> {
        let Value::Table(keys) = &entry.value.value else {
            return None;
        };
        let table = format!("[{kind}.{}]", entry.key);
        match keys.iter().find(|k| k.key == "type") {
            None => {
                self.push(
                    table_offset(&entry.value, entry_offset(entry)),
                    Reason::MissingKey {
                        key: "type".into(),
                        table,
                    },
                );
                None
            }
            Some(Entry {
                value:
                    Node {
                        value: Value::String(text),
                        span,
                    },
                ..
            }) => Some((text.value.as_str(), span.clone())),
            Some(other) => {
                self.push(
                    other.value.span.start,
                    Reason::WrongType {
                        key: "type".into(),
                        table,
                        expected: "a string".into(),
                        found: other.value.value.kind_name().into(),
                    },
                );
                None
            }
        }
    }

    fn journal(&mut self, raw: &RawJournal) -> JournalConfig {
        let table = path_of(&["journal"]);
        let defaults = JournalConfig::default();
        let max_bytes = self.size(&table, "max_bytes", &raw.max_bytes, defaults.max_bytes, 1);
        let fsync = self.choice(
            &table,
            "fsync",
            &raw.fsync,
            &[
                ("batch", FsyncPolicy::Batch),
                ("always", FsyncPolicy::Always),
            ],
            defaults.fsync,
        );
        let batch_interval = self.duration(
            &table,
            "batch_interval",
            &raw.batch_interval,
            defaults.batch_interval,
            false,
        );
        let segment_bytes = raw.segment_bytes.as_ref().map(|segment| {
            let bytes = self.size(&table, "segment_bytes", &raw.segment_bytes, 0, 1);
            if bytes > max_bytes {
                self.invalid(
                    segment.at(),
                    &table,
                    "segment_bytes",
                    "must not be larger than max_bytes".into(),
                );
            }
            bytes
        });
        JournalConfig {
            max_bytes,
            fsync,
            batch_interval,
            segment_bytes,
        }
    }

    fn integrity(&mut self, raw: &RawIntegrity) -> IntegrityConfig {
        let table = path_of(&["integrity"]);
        let defaults = IntegrityConfig::default();
        let checkpoint_events = match &raw.checkpoint_events {
            None => defaults.checkpoint_events,
            Some(n) if n.value >= 1 => n.value as u64,
            Some(n) => {
                let reason = "must be at least 1".into();
                self.invalid(n.at(), &table, "checkpoint_events", reason);
                defaults.checkpoint_events
            }
        };
        let checkpoint_interval = self.duration(
            &table,
            "checkpoint_interval",
            &raw.checkpoint_interval,
            defaults.checkpoint_interval,
            true,
        );
        let signing_key = match &raw.signing_key {
            Some(path) if path.value.trim().is_empty() => {
                let reason = "must not be empty (leave it out to use data_dir/keys/)".into();
                self.invalid(path.at(), &table, "signing_key", reason);
                None
            }
            Some(path) => Some(PathBuf::from(&path.value)),
            None => None,
        };
        IntegrityConfig {
            checkpoint_events,
            checkpoint_interval,
            signing_key,
        }
    }

    fn admin(&mut self, raw: &RawAdmin) -> AdminConfig {
        let address = &raw.address;
        let valid = address.value.parse::<SocketAddr>().is_ok()
            || matches!(address.value.rsplit_once(':'),
                Some((host, port)) if !host.is_empty() && !host.contains(':') && port.parse::<u16>().is_ok());
        if !valid {
            self.invalid(
                address.at(),
                &path_of(&["admin"]),
                "address",
                format!(
                    "\"{}\" is not host:port, e.g. \"127.0.0.1:8686\"",
                    address.shown()
                ),
            );
        }
        AdminConfig {
            address: address.value.clone(),
        }
    }

    /// Refuses a `type` this version does not offer: one `CONFIG.md`
    /// names but that comes later is "not available", anything else is
    /// unknown, with a suggestion. `Some(())` when the type is offered.
    fn offered_type(&mut self, kind: &str, at: usize, types: &ComponentTypes) -> Option<()> {
        if types.later.contains(&kind) {
            self.push(at, (types.unavailable)(kind.into()));
            return None;
        }
        if !types.available.contains(&kind) {
            let known = types.available.iter().chain(types.later).copied();
            self.push(at, (types.unknown)(kind.into(), closest(kind, known)));
            return None;
        }
        Some(())
    }

    fn source(&mut self, entry: &Entry) -> Option<SourceConfig> {
        let id = entry.key.as_str();
        let (kind, kind_span) = self.component_type(entry, "sources")?;
        self.offered_type(kind, kind_span.start, &SOURCE_TYPES)?;
        let path = path_of(&["sources", id]);
        let kind = match kind {
            "file" => {
                let raw = self.read_component(entry, &path)?;
                SourceKind::File(self.file_source(id, &path, raw)?)
            }
            _ => self.socket_source(id, kind, entry, &path)?,
        };
        Some(SourceConfig {
            id: id.to_string(),
            kind,
        })
    }

    /// Reads a component table into its raw struct, or records the problem.
    fn read_component<T: serde::de::DeserializeOwned>(
        &mut self,
        entry: &Entry,
        path: &[String],
    ) -> Option<T> {
        match read::<T>(&entry.value, path) {
            Ok(raw) => Some(raw),
            Err(error) => {
                self.read_problem(error, &[]);
                None
            }
        }
    }

    fn file_source(
        &mut self,
        id: &str,
        table: &[String],
        raw: RawFileSource,
    ) -> Option<FileSourceConfig> {
        let before = self.problems.len();
        if raw.include.value.is_empty() {
            self.invalid(
                raw.include.at(),
                table,
                "include",
                "must list at least one glob pattern, e.g. [\"/var/log/app/*.log\"]".into(),
            );
        }
        let include = self.patterns(table, "include", &raw.include.value);
        let exclude = self.patterns(table, "exclude", raw.exclude.as_deref().unwrap_or(&[]));
        let format = self.format(id, table, &raw.format, &raw.map, &raw.k8s_stages, "json");
        let start_at = self.choice(
            table,
            "start_at",
            &raw.start_at,
            &[("beginning", StartAt::Beginning), ("end", StartAt::End)],
            StartAt::Beginning,
        );
        let max_line_bytes = self.size(table, "max_line_bytes", &raw.max_line_bytes, 1 << 20, 1);
        let max_line_bytes = usize::try_from(max_line_bytes).unwrap_or(usize::MAX);
        let poll_interval = self.duration(
            table,
            "poll_interval",
            &raw.poll_interval,
            Duration::from_millis(250),
            true,
        );
        let glob_interval = self.duration(
            table,
            "glob_interval",
            &raw.glob_interval,
            Duration::from_secs(1),
            true,
        );
        let min_read_interval = self.duration(
            table,
            "min_read_interval",
            &raw.min_read_interval,
            DEFAULT_MIN_READ_INTERVAL,
            false,
        );
        let keep_raw = raw.keep_raw.is_some_and(|k| k.value);
        (self.problems.len() == before).then_some(FileSourceConfig {
            include,
            exclude,
            format: format?,
            start_at,
            max_line_bytes,
            poll_interval,
            glob_interval,
            min_read_interval,
            keep_raw,
        })
    }

    fn patterns(
        &mut self,
        table: &[String],
        key: &str,
        patterns: &[Located<String>],
    ) -> Vec<String> {
        for pattern in patterns {
            if pattern.value.is_empty() {
                self.invalid(
                    pattern.at(),
                    table,
                    key,
                    "a glob pattern must not be empty".into(),
                );
            } else if let Err(error) = glob::Pattern::new(&pattern.value) {
                self.invalid(
                    pattern.at(),
                    table,
                    key,
                    format!(
                        "\"{}\" is not a valid glob pattern: {} at character {}",
                        pattern.shown(),
                        error.msg,
                        error.pos + 1
                    ),
                );
            }
        }
        patterns.iter().map(|p| p.value.clone()).collect()
    }

    /// `k8s_stages`: only with `format = "k8s"`, each a stage the API
    /// server logs; the default when absent. `None` after an error.
    fn k8s_stages(
        &mut self,
        table: &[String],
        format: &str,
        raw: &Option<Located<Vec<Located<String>>>>,
    ) -> Option<Vec<String>> {
        let default = || {
            crate::formats::DEFAULT_K8S_STAGES
                .map(str::to_string)
                .to_vec()
        };
        let Some(raw) = raw else {
            return Some(default());
        };
        let known = crate::formats::K8S_STAGES;
        if format != "k8s" {
            self.invalid(
                raw.at(),
                table,
                "k8s_stages",
                format!("applies to format = \"k8s\" only (this source reads {format}); remove it"),
            );
            return None;
        }
        if raw.value.is_empty() {
            self.invalid(
                raw.at(),
                table,
                "k8s_stages",
                format!("must name at least one stage of {}", known.join(", ")),
            );
            return None;
        }
        let mut stages = Vec::with_capacity(raw.value.len());
        for stage in &raw.value {
            if known.contains(&stage.value.as_str()) {
                stages.push(stage.value.clone());
                continue;
            }
            let hint = closest(&stage.value, known)
                .map_or(String::new(), |s| format!(" (did you mean \"{s}\"?)"));
            self.invalid(
                stage.at(),
                table,
                "k8s_stages",
                format!(
                    "unknown stage \"{}\": one of {}{hint}",
                    stage.value,
                    known.join(", ")
                ),
            );
            return None;
        }
        Some(stages)
    }

    fn format(
        &mut self,
        id: &str,
        table: &[String],
        format: &Option<Located<String>>,
        field_map: &Option<Located<RawFieldMap>>,
        k8s_stages: &Option<Located<Vec<Located<String>>>>,
        default: &str,
    ) -> Option<FormatConfig> {
        let name = format.as_ref().map_or(default, |f| f.value.as_str());
        let at = format.as_ref().map_or(0, |f| f.at());
        let stages = self.k8s_stages(table, name, k8s_stages)?;
        if FORMATS_LATER.contains(&name) {
            self.push(
                at,
                Reason::FormatUnavailable {
                    format: name.into(),
                },
            );
            return None;
        }
        if !FORMATS_AVAILABLE.contains(&name) {
            let known = FORMATS_AVAILABLE.iter().chain(FORMATS_LATER).copied();
            self.push(
                at,
                Reason::UnknownFormat {
                    format: name.into(),
                    suggestion: closest(name, known),
                },
            );
            return None;
        }
        if name != "json" {
            if let Some(map) = field_map {
                self.push(
                    map.at(),
                    Reason::MapNeedsJson {
                        source_id: id.into(),
                        format: name.into(),
                    },
                );
                return None;
            }
            return Some(match name {
                "auditd" => FormatConfig::Auditd,
                "syslog" => FormatConfig::Syslog,
                "cef" => FormatConfig::Cef,
                "k8s" => FormatConfig::K8s { stages },
                "cloudtrail" => FormatConfig::CloudTrail,
                "logfmt" => FormatConfig::Logfmt,
                "auto" => FormatConfig::Auto,
                _ => FormatConfig::Raw,
            });
        }
        let mut map = Vec::new();
        let map_table: Vec<String> = table.iter().cloned().chain(["map".to_string()]).collect();
        for (field, path) in field_map.iter().flat_map(|m| &m.value.0) {
            let Some(path) = path else {
                self.invalid(
                    field.at(),
                    &map_table,
                    &field.value,
                    format!(
                        "write the schema field in quotes: \"{}.…\" = \"source.path\" (unquoted dots make a nested table)",
                        field.value
                    ),
                );
                continue;
            };
            let field_ok = match field.value.strip_prefix("correlation.") {
                Some(name) => !name.is_empty() && !name.contains('.'),
                None => MAPPABLE_FIELDS.contains(&field.value.as_str()),
            };
            if !field_ok {
                let correlation = field
                    .value
                    .split_once('.')
                    .map(|(_, rest)| format!("correlation.{rest}"));
                let known = MAPPABLE_FIELDS
                    .iter()
                    .copied()
                    .chain(correlation.as_deref());
                self.push(
                    field.at(),
                    Reason::UnknownSchemaField {
                        field: field.value.clone(),
                        source_id: id.into(),
                        suggestion: closest(&field.value, known),
                    },
                );
                continue;
            }
            if path.value.is_empty() || path.value.split('.').any(str::is_empty) {
                self.invalid(
                    path.at(),
                    &map_table,
                    &field.value,
                    format!(
                        "\"{}\" is not a dotted source path such as \"user.id\"",
                        path.shown()
                    ),
                );
                continue;
            }
            map.push((field.value.clone(), path.value.clone()));
        }
        Some(FormatConfig::Json { map })
    }

    fn sink(&mut self, entry: &Entry, source_ids: &[&str]) -> Option<SinkConfig> {
        let id = entry.key.as_str();
        let (kind, kind_span) = self.component_type(entry, "sinks")?;
        self.offered_type(kind, kind_span.start, &SINK_TYPES)?;
        let path = path_of(&["sinks", id]);
        let Value::Table(keys) = &entry.value.value else {
            return None;
        };
        let (shared, specific): (Vec<Entry>, Vec<Entry>) = keys
            .iter()
            .cloned()
            .partition(|k| SINK_SHARED_KEYS.contains(&k.key.as_str()));
        let as_node = |entries: Vec<Entry>| Node {
            span: entry.value.span.clone(),
            value: Value::Table(entries),
        };
        let before = self.problems.len();
        let shared = match read::<RawSinkShared>(&as_node(shared), &path) {
            Ok(shared) => Some(shared),
            Err(error) => {
                self.read_problem(error, &[]);
                None
            }
        };
        let specific_node = as_node(specific);
        let mut sink_kind = match kind {
            "file" => match read::<RawFileSink>(&specific_node, &path) {
                Ok(raw) => self.file_sink(&path, raw).map(SinkKind::File),
                Err(error) => {
                    self.read_problem(error, SINK_SHARED_KEYS);
                    None
                }
            },
            "http" => match read::<RawHttpSink>(&specific_node, &path) {
                Ok(raw) => self.http_sink(&path, raw).map(SinkKind::Http),
                Err(error) => {
                    self.read_problem(error, SINK_SHARED_KEYS);
                    None
                }
            },
            "splunk_hec" => match read::<RawSplunkHecSink>(&specific_node, &path) {
                Ok(raw) => self.splunk_hec_sink(&path, raw).map(SinkKind::SplunkHec),
                Err(error) => {
                    self.read_problem(error, SINK_SHARED_KEYS);
                    None
                }
            },
            "gcp_logging" => match read::<RawGcpLoggingSink>(&specific_node, &path) {
                Ok(raw) => self.gcp_logging_sink(&path, raw).map(SinkKind::GcpLogging),
                Err(error) => {
                    self.read_problem(error, SINK_SHARED_KEYS);
                    None
                }
            },
            "datadog_logs" => match read::<RawDatadogLogsSink>(&specific_node, &path) {
                Ok(raw) => self
                    .datadog_logs_sink(&path, raw)
                    .map(SinkKind::DatadogLogs),
                Err(error) => {
                    self.read_problem(error, SINK_SHARED_KEYS);
                    None
                }
            },
            "elasticsearch" => match read::<RawElasticsearchSink>(&specific_node, &path) {
                Ok(raw) => self
                    .elasticsearch_sink(&path, raw)
                    .map(SinkKind::Elasticsearch),
                Err(error) => {
                    self.read_problem(error, SINK_SHARED_KEYS);
                    None
                }
            },
            "postgres" => match read::<RawPostgresSink>(&specific_node, &path) {
                Ok(raw) => self.postgres_sink(&path, raw).map(SinkKind::Postgres),
                Err(error) => {
                    self.read_problem(error, SINK_SHARED_KEYS);
                    None
                }
            },
            "nats" => match read::<RawNatsSink>(&specific_node, &path) {
                Ok(raw) => self.nats_sink(&path, raw).map(SinkKind::Nats),
                Err(error) => {
                    self.read_problem(error, SINK_SHARED_KEYS);
                    None
                }
            },
            "syslog" => match read::<RawSyslogSink>(&specific_node, &path) {
                Ok(raw) => self.syslog_sink(&path, raw).map(SinkKind::Syslog),
                Err(error) => {
                    self.read_problem(error, SINK_SHARED_KEYS);
                    None
                }
            },
            _ => match read::<RawConsoleSink>(&specific_node, &path) {
                Ok(raw) => {
                    let stream = self.choice(
                        &path,
                        "stream",
                        &raw.stream,
                        &[
                            ("stdout", ConsoleStream::Stdout),
                            ("stderr", ConsoleStream::Stderr),
                        ],
                        ConsoleStream::Stdout,
                    );
                    Some(SinkKind::Console(ConsoleSinkConfig { stream }))
                }
                Err(error) => {
                    self.read_problem(error, SINK_SHARED_KEYS);
                    None
                }
            },
        };
        let shared = shared?;
        let inputs = self.inputs(id, &path, &shared, source_ids);
        let batch = match &shared.batch {
            Some(batch) => self.batch(&path, &batch.value),
            None => BatchConfig::default(),
        };
        let delivery = self.delivery(&path, &shared, default_concurrency(kind));
        let tls = match &shared.tls {
            Some(tls) => self.tls(&path, &tls.value),
            None => TlsConfig::default(),
        };
        if let (Some(SinkKind::DatadogLogs(datadog)), Some(written)) = (&mut sink_kind, &shared.tls)
        {
            let plain_http = datadog
                .endpoint
                .as_deref()
                .is_some_and(|endpoint| endpoint.starts_with("http://"));
            if plain_http && tls != TlsConfig::default() {
                self.invalid(
                    written.at(),
                    &path,
                    "tls",
                    "applies to https:// endpoints only, and \"endpoint\" is http:// (use https:// or remove tls)"
                        .into(),
                );
            }
            datadog.tls = tls.clone();
        }
        if let Some(SinkKind::GcpLogging(gcp)) = &mut sink_kind {
            gcp.tls = tls.clone();
        }
        if let Some(SinkKind::Elasticsearch(es)) = &mut sink_kind {
            es.tls = tls.clone();
        }
        if let Some(SinkKind::Postgres(postgres)) = &mut sink_kind {
            postgres.tls = tls.clone();
        }
        if let Some(SinkKind::Nats(nats)) = &mut sink_kind {
            if let (Some(written), Some(_)) = (&shared.tls, &tls.server_name) {
                // The client verifies the certificate against each URL's host.
                self.invalid(
                    written.at(),
                    &path,
                    "tls",
                    "server_name is not supported by the nats sink: write the name the certificate is for as the host in urls".into(),
                );
            }
            nats.tls = tls.clone();
        }
        if let (Some(SinkKind::Syslog(syslog)), Some(written)) = (&mut sink_kind, &shared.tls) {
            if syslog.protocol != SyslogProtocol::Tls && tls != TlsConfig::default() {
                self.invalid(
                    written.at(),
                    &path,
                    "tls",
                    "applies to protocol = \"tls\" only (use protocol = \"tls\" or remove tls)"
                        .into(),
                );
            }
            syslog.tls = tls.clone();
        }
        if let (Some(SinkKind::Http(http)), Some(written)) = (&mut sink_kind, &shared.tls) {
            let plain_http = http
                .uri
                .parse::<hyper::Uri>()
                .is_ok_and(|uri| uri.scheme_str() == Some("http"));
            if plain_http && tls != TlsConfig::default() {
                self.invalid(
                    written.at(),
                    &path,
                    "tls",
                    "applies to https:// URIs only, and \"uri\" is http:// (use https:// or remove tls)"
                        .into(),
                );
            }
            http.tls = tls;
        } else if let (Some(SinkKind::SplunkHec(hec)), Some(written)) =
            (&mut sink_kind, &shared.tls)
        {
            if hec.endpoint.starts_with("http://") && tls != TlsConfig::default() {
                self.invalid(
                    written.at(),
                    &path,
                    "tls",
                    "applies to https:// endpoints only, and \"endpoint\" is http:// (use https:// or remove tls)"
                        .into(),
                );
            }
            hec.tls = tls;
        }
        let sink_kind = sink_kind?;
        (self.problems.len() == before).then(|| SinkConfig {
            id: id.to_string(),
            inputs,
            kind: sink_kind,
            batch,
            delivery,
        })
    }

    fn inputs(
        &mut self,
        id: &str,
        table: &[String],
        shared: &RawSinkShared,
        source_ids: &[&str],
    ) -> Vec<String> {
        let Some(inputs) = &shared.inputs else {
            return source_ids.iter().map(|s| s.to_string()).collect();
        };
        if inputs.value.is_empty() {
            self.invalid(
                inputs.at(),
                table,
                "inputs",
                "must name at least one source id; remove the key to receive every source".into(),
            );
        }
        let mut seen = HashSet::new();
        for input in &inputs.value {
            if !source_ids.contains(&input.value.as_str()) {
                self.push(
                    input.at(),
                    Reason::UnknownInput {
                        input: input.shown().to_string(),
                        sink: id.to_string(),
                        suggestion: closest(&input.value, source_ids.iter().copied()),
                    },
                );
            } else if !seen.insert(input.value.as_str()) {
                self.invalid(
                    input.at(),
                    table,
                    "inputs",
                    format!("source \"{}\" is listed twice", input.value),
                );
            }
        }
        inputs.value.iter().map(|i| i.value.clone()).collect()
    }

    fn batch(&mut self, sink: &[String], raw: &RawBatch) -> BatchConfig {
        let table: Vec<String> = sink.iter().cloned().chain(["batch".to_string()]).collect();
        let defaults = BatchConfig::default();
        let max_events = match &raw.max_events {
            None => defaults.max_events,
            Some(n) if n.value >= 1 => usize::try_from(n.value).unwrap_or(usize::MAX),
            Some(n) => {
                self.invalid(n.at(), &table, "max_events", "must be at least 1".into());
                defaults.max_events
            }
        };
        let max_bytes = self.size(
            &table,
            "max_bytes",
            &raw.max_bytes,
            defaults.max_bytes as u64,
            1,
        );
        let timeout = self.duration(&table, "timeout", &raw.timeout, defaults.timeout, true);
        BatchConfig {
            max_events,
            max_bytes: usize::try_from(max_bytes).unwrap_or(usize::MAX),
            timeout,
        }
    }

    /// The sink keys `retry`, `rate_limit`, `dead_letter` and `concurrency`.
    fn delivery(
        &mut self,
        sink: &[String],
        shared: &RawSinkShared,
        default_concurrency: usize,
    ) -> DeliveryConfig {
        let defaults = DeliveryConfig {
            concurrency: default_concurrency,
            ..DeliveryConfig::default()
        };
        let retry = match &shared.retry {
            Some(retry) => self.retry(sink, &retry.value),
            None => defaults.retry,
        };
        let events_per_second = match &shared.rate_limit {
            Some(rate_limit) => self.rate_limit(sink, &rate_limit.value),
            None => None,
        };
        let concurrency = match &shared.concurrency {
            None => defaults.concurrency,
            Some(n) if (1..=64).contains(&n.value) => n.value as usize,
            Some(n) => {
                self.invalid(
                    n.at(),
                    sink,
                    "concurrency",
                    format!(
                        "{} is out of range: write a number of requests in flight from 1 to 64",
                        n.value
                    ),
                );
                defaults.concurrency
            }
        };
        DeliveryConfig {
            retry,
            events_per_second,
            dead_letter: shared.dead_letter.as_ref().is_none_or(|d| d.value),
            concurrency,
        }
    }

    fn retry(&mut self, sink: &[String], raw: &RawRetry) -> RetryConfig {
        let table: Vec<String> = sink.iter().cloned().chain(["retry".to_string()]).collect();
        let defaults = RetryConfig::default();
        let initial = self.duration(&table, "initial", &raw.initial, defaults.initial, true);
        let max = self.duration(&table, "max", &raw.max, defaults.max, true);
        if let Some(max_written) = &raw.max {
            if max < initial {
                self.invalid(
                    max_written.at(),
                    &table,
                    "max",
                    "must not be shorter than initial".into(),
                );
            }
        }
        let max_elapsed = raw.max_elapsed.is_some().then(|| {
            self.duration(
                &table,
                "max_elapsed",
                &raw.max_elapsed,
                Duration::ZERO,
                true,
            )
        });
        RetryConfig {
            initial,
            max: max.max(initial),
            jitter: raw.jitter.as_ref().is_none_or(|j| j.value),
            max_elapsed,
        }
    }

    fn rate_limit(&mut self, sink: &[String], raw: &RawRateLimit) -> Option<std::num::NonZeroU32> {
        let table: Vec<String> = sink
            .iter()
            .cloned()
            .chain(["rate_limit".to_string()])
            .collect();
        let rate = raw.events_per_second.as_ref()?;
        if rate.value < 0 {
            self.invalid(
                rate.at(),
                &table,
                "events_per_second",
                "must be 0 (no limit) or more".into(),
            );
            return None;
        }
        std::num::NonZeroU32::new(u32::try_from(rate.value).unwrap_or(u32::MAX))
    }

    fn tls(&mut self, sink: &[String], raw: &RawTls) -> TlsConfig {
        let table: Vec<String> = sink.iter().cloned().chain(["tls".to_string()]).collect();
        for (key, value) in [
            ("ca", &raw.ca),
            ("cert", &raw.cert),
            ("key", &raw.key),
            ("server_name", &raw.server_name),
        ] {
            if let Some(value) = value {
                if value.value.trim().is_empty() {
                    self.invalid(value.at(), &table, key, "must not be empty".into());
                }
            }
        }
        match (&raw.cert, &raw.key) {
            (Some(cert), None) => self.invalid(
                cert.at(),
                &table,
                "cert",
                "needs \"key\" as well (client certificate and key go together)".into(),
            ),
            (None, Some(key)) => self.invalid(
                key.at(),
                &table,
                "key",
                "needs \"cert\" as well (client certificate and key go together)".into(),
            ),
            _ => {}
        }
        if let Some(name) = &raw.server_name {
            let name_ok = rustls_pki_types::ServerName::try_from(name.value.as_str()).is_ok();
            if !name_ok && !name.value.trim().is_empty() {
                self.invalid(
                    name.at(),
                    &table,
                    "server_name",
                    format!(
                        "\"{}\" is not a DNS name or IP address, e.g. \"collector.example.com\"",
                        name.shown()
                    ),
                );
            }
        }
        let path =
            |value: &Option<Located<String>>| value.as_ref().map(|v| PathBuf::from(&v.value));
        TlsConfig {
            ca: path(&raw.ca),
            client_certificate: match (path(&raw.cert), path(&raw.key)) {
                (Some(cert), Some(key)) => Some(ClientCertificate { cert, key }),
                _ => None,
            },
            server_name: raw.server_name.as_ref().map(|n| n.value.clone()),
            insecure_skip_verify: raw.insecure_skip_verify.as_ref().is_some_and(|i| i.value),
        }
    }

    fn http_sink(&mut self, table: &[String], raw: RawHttpSink) -> Option<HttpSinkConfig> {
        let before = self.problems.len();
        let uri = &raw.uri;
        if let Err(message) = check_http_uri(&uri.value) {
            self.invalid(
                uri.at(),
                table,
                "uri",
                format!("\"{}\" {message}", uri.shown()),
            );
        }
        let method = self.choice(
            table,
            "method",
            &raw.method,
            &[("POST", HttpMethod::Post), ("PUT", HttpMethod::Put)],
            HttpMethod::Post,
        );
        let encoding = self.choice(
            table,
            "encoding",
            &raw.encoding,
            &[
                ("ndjson", HttpEncoding::Ndjson),
                ("json_array", HttpEncoding::JsonArray),
                ("ocsf", HttpEncoding::Ocsf),
                ("auditship", HttpEncoding::Auditship),
            ],
            HttpEncoding::Ndjson,
        );
        let compression = self.choice(
            table,
            "compression",
            &raw.compression,
            &[("gzip", Compression::Gzip), ("none", Compression::None)],
            Compression::Gzip,
        );
        let request_timeout = self.request_timeout(table, &raw.request_timeout);
        let headers = match &raw.headers {
            Some(headers) => self.http_headers(table, &headers.value.0),
            None => Vec::new(),
        };
        (self.problems.len() == before).then(|| HttpSinkConfig {
            uri: uri.value.clone(),
            method,
            encoding,
            compression,
            headers,
            request_timeout,
            tls: TlsConfig::default(),
        })
    }

    fn splunk_hec_sink(
        &mut self,
        table: &[String],
        raw: RawSplunkHecSink,
    ) -> Option<SplunkHecSinkConfig> {
        let before = self.problems.len();
        let endpoint = &raw.endpoint;
        if let Err(message) = check_splunk_endpoint(&endpoint.value) {
            self.invalid(
                endpoint.at(),
                table,
                "endpoint",
                format!("\"{}\" {message}", endpoint.shown()),
            );
        }
        let token = &raw.token;
        if token.value.trim().is_empty() {
            self.invalid(token.at(), table, "token", "must not be empty".into());
        } else if hyper::header::HeaderValue::from_str(&format!("Splunk {}", token.value)).is_err()
        {
            // The value is never shown: it is a credential.
            self.invalid(
                token.at(),
                table,
                "token",
                "contains a line break or another control character (check the environment variable or file it comes from)".into(),
            );
        }
        let mut text = |key: &str, value: &Option<Located<String>>| -> Option<String> {
            let value = value.as_ref()?;
            if value.value.trim().is_empty() {
                self.invalid(value.at(), table, key, "must not be empty".into());
            }
            Some(value.value.clone())
        };
        let index = text("index", &raw.index);
        let source = text("source", &raw.source).unwrap_or_else(|| "auditship".into());
        let sourcetype =
            text("sourcetype", &raw.sourcetype).unwrap_or_else(|| "auditship:audit".into());
        let host = text("host", &raw.host);
        let ack_timeout = self.duration(
            table,
            "ack_timeout",
            &raw.ack_timeout,
            Duration::from_secs(60),
            true,
        );
        let compression = self.choice(
            table,
            "compression",
            &raw.compression,
            &[("gzip", Compression::Gzip), ("none", Compression::None)],
            Compression::Gzip,
        );
        let max_request_bytes = self.size(
            table,
            "max_request_bytes",
            &raw.max_request_bytes,
            1024 * 1024,
            1024,
        );
        let request_timeout = self.request_timeout(table, &raw.request_timeout);
        (self.problems.len() == before).then(|| SplunkHecSinkConfig {
            endpoint: endpoint.value.trim_end_matches('/').to_string(),
            token: Secret::new(token.value.clone()),
            index,
            source,
            sourcetype,
            host,
            ack: raw.ack.as_ref().is_some_and(|a| a.value),
            ack_timeout,
            compression,
            max_request_bytes: usize::try_from(max_request_bytes).unwrap_or(usize::MAX),
            request_timeout,
            tls: TlsConfig::default(),
        })
    }

    /// `type = "datadog_logs"`. Messages never show the API key.
    fn datadog_logs_sink(
        &mut self,
        table: &[String],
        raw: RawDatadogLogsSink,
    ) -> Option<DatadogLogsSinkConfig> {
        let before = self.problems.len();
        let site = match &raw.site {
            None => DATADOG_SITES[0].to_string(),
            Some(site) if DATADOG_SITES.contains(&site.value.as_str()) => site.value.clone(),
            Some(site) => {
                let hint = closest(&site.value, DATADOG_SITES.iter().copied())
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                self.invalid(
                    site.at(),
                    table,
                    "site",
                    format!(
                        "\"{}\" is not a Datadog site; use one of: {}{hint}",
                        site.shown(),
                        DATADOG_SITES.join(", ")
                    ),
                );
                String::new()
            }
        };
        let key = &raw.api_key;
        if key.value.trim().is_empty() {
            self.invalid(
                key.at(),
                table,
                "api_key",
                "must not be empty (check the environment variable or file it comes from)".into(),
            );
        } else if key
            .value
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
            || hyper::header::HeaderValue::from_str(&key.value).is_err()
        {
            self.invalid(key.at(), table, "api_key", "contains white space or a control character (check the environment variable or file it comes from)".into());
        }
        let service = raw.service.as_ref().map(|service| {
            if service.value.trim().is_empty() {
                self.invalid(
                    service.at(),
                    table,
                    "service",
                    "must not be empty; remove the key for none".into(),
                );
            }
            service.value.clone()
        });
        let mut tags = Vec::new();
        for tag in raw.tags.iter().flat_map(|tags| &tags.value) {
            let problem = if tag.value.trim().is_empty() {
                Some("must not be empty".to_string())
            } else if tag.value.contains(',') {
                Some(format!(
                    "\"{}\" contains a comma, which separates tags in ddtags; write two tags",
                    tag.shown()
                ))
            } else if tag.value.chars().count() > 200 {
                Some("is longer than Datadog's 200 characters".to_string())
            } else {
                None
            };
            match problem {
                Some(message) => self.invalid(tag.at(), table, "tags", message),
                None => tags.push(tag.value.clone()),
            }
        }
        let endpoint = raw.endpoint.as_ref().map(|endpoint| {
            if let Err(message) = check_http_uri(&endpoint.value) {
                let message = message.replace(
                    "https://collector.example.com/v1/audit",
                    "http://127.0.0.1:9000",
                );
                self.invalid(
                    endpoint.at(),
                    table,
                    "endpoint",
                    format!("\"{}\" {message}", endpoint.shown()),
                );
            } else if endpoint.value.contains('?') {
                self.invalid(
                    endpoint.at(),
                    table,
                    "endpoint",
                    "must not have a query string (it is a base URL; /api/v2/logs is appended)"
                        .into(),
                );
            }
            endpoint.value.clone()
        });
        let compression = self.choice(
            table,
            "compression",
            &raw.compression,
            &[("gzip", Compression::Gzip), ("none", Compression::None)],
            Compression::Gzip,
        );
        let request_timeout = self.request_timeout(table, &raw.request_timeout);
        (self.problems.len() == before).then(|| DatadogLogsSinkConfig {
            site,
            api_key: Secret::new(key.value.clone()),
            service,
            tags,
            endpoint,
            compression,
            request_timeout,
            tls: TlsConfig::default(),
        })
    }

    /// Checks header names and values. Messages name the header, never its
    /// value: values hold tokens.
    fn http_headers(
        &mut self,
        sink: &[String],
        pairs: &[(Located<String>, Located<String>)],
    ) -> Vec<(String, Secret)> {
        let table: Vec<String> = sink
            .iter()
            .cloned()
            .chain(["headers".to_string()])
            .collect();
        let mut seen = HashSet::new();
        let mut headers = Vec::new();
        for (name, value) in pairs {
            let lower = name.value.to_ascii_lowercase();
            if hyper::header::HeaderName::from_bytes(name.value.as_bytes()).is_err() {
                self.invalid(
                    name.at(),
                    &table,
                    &name.value,
                    "is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only)"
                        .into(),
                );
            } else if HTTP_HEADERS_SET_BY_THE_SINK.contains(&lower.as_str()) {
                self.invalid(
                    name.at(),
                    &table,
                    &name.value,
                    "is set by the sink itself (from uri and compression); remove it".into(),
                );
            } else if !seen.insert(lower) {
                self.invalid(
                    name.at(),
                    &table,
                    &name.value,
                    "is listed twice (header names are case-insensitive)".into(),
                );
            } else if hyper::header::HeaderValue::from_str(&value.value).is_err() {
                self.invalid(
                    value.at(),
                    &table,
                    &name.value,
                    "the value is not a valid HTTP header value: it contains a line break or another control character (check the environment variable or file it comes from)".into(),
                );
            } else {
                headers.push((name.value.clone(), Secret::new(value.value.clone())));
            }
        }
        headers
    }

    fn gcp_logging_sink(
        &mut self,
        table: &[String],
        raw: RawGcpLoggingSink,
    ) -> Option<GcpLoggingSinkConfig> {
        let before = self.problems.len();
        let project = &raw.project_id;
        let project_ok = !project.value.is_empty()
            && project.value.len() <= 100
            && project
                .value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.:".contains(&b));
        if !project_ok {
            self.invalid(
                project.at(),
                table,
                "project_id",
                format!(
                    "\"{}\" is not a project id (lower-case letters, digits and hyphens, e.g. \"acme-prod\")",
                    project.shown()
                ),
            );
        }
        let log = &raw.log_id;
        let log_ok = !log.value.is_empty()
            && log.value.len() < 512
            && log
                .value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_-.".contains(&b));
        if !log_ok {
            self.invalid(
                log.at(),
                table,
                "log_id",
                format!(
                    "\"{}\" is not a log id (letters, digits, / _ - . only, fewer than 512 characters, e.g. \"audit\")",
                    log.shown()
                ),
            );
        }
        let mut base_url = |key: &str, value: &Option<Located<String>>, default: &str| {
            let Some(value) = value else {
                return default.to_string();
            };
            if let Err(message) = check_http_uri(&value.value) {
                self.invalid(
                    value.at(),
                    table,
                    key,
                    format!("\"{}\" {message}", value.shown()),
                );
            }
            value.value.trim_end_matches('/').to_string()
        };
        let endpoint = base_url("endpoint", &raw.endpoint, "https://logging.googleapis.com");
        let metadata_endpoint = base_url(
            "metadata_endpoint",
            &raw.metadata_endpoint,
            "http://metadata.google.internal",
        );
        let credentials = match &raw.credentials {
            Some(path) if path.value.trim().is_empty() => {
                self.invalid(
                    path.at(),
                    table,
                    "credentials",
                    "must not be empty (remove the key to use the metadata server)".into(),
                );
                None
            }
            Some(path) => Some(PathBuf::from(&path.value)),
            None => None,
        };
        let resource = match &raw.resource {
            Some(resource) => self.gcp_resource(table, &resource.value),
            None => GcpResource {
                kind: "generic_node".into(),
                labels: vec![
                    ("location".into(), "global".into()),
                    ("namespace".into(), "auditship".into()),
                ],
            },
        };
        let request_timeout = self.request_timeout(table, &raw.request_timeout);
        (self.problems.len() == before).then(|| GcpLoggingSinkConfig {
            project_id: project.value.clone(),
            log_id: log.value.clone(),
            credentials,
            endpoint,
            metadata_endpoint,
            resource,
            request_timeout,
            tls: TlsConfig::default(),
        })
    }

    /// `resource = { type, labels }`; `generic_node` gets its default labels.
    fn gcp_resource(&mut self, sink: &[String], raw: &RawGcpResource) -> GcpResource {
        let table: Vec<String> = sink
            .iter()
            .cloned()
            .chain(["resource".to_string()])
            .collect();
        let kind = match &raw.kind {
            Some(kind)
                if kind.value.is_empty()
                    || !kind
                        .value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') =>
            {
                self.invalid(
                    kind.at(),
                    &table,
                    "type",
                    format!(
                        "\"{}\" is not a monitored resource type, e.g. \"generic_node\"",
                        kind.shown()
                    ),
                );
                String::new()
            }
            Some(kind) => kind.value.clone(),
            None => "generic_node".to_string(),
        };
        let mut labels: Vec<(String, String)> = Vec::new();
        if let Some(written) = &raw.labels {
            for (name, value) in &written.value.0 {
                if labels.iter().any(|(n, _)| *n == name.value) {
                    self.invalid(
                        name.at(),
                        &table,
                        "labels",
                        format!("\"{}\" is listed twice", name.value),
                    );
                } else {
                    labels.push((name.value.clone(), value.value.clone()));
                }
            }
        }
        if kind == "generic_node" {
            for (name, default) in [("location", "global"), ("namespace", "auditship")] {
                if !labels.iter().any(|(n, _)| n == name) {
                    labels.push((name.to_string(), default.to_string()));
                }
            }
        }
        GcpResource { kind, labels }
    }

    fn file_sink(&mut self, table: &[String], raw: RawFileSink) -> Option<FileSinkConfig> {
        let before = self.problems.len();
        let path = &raw.path;
        if path.value.trim().is_empty() {
            self.invalid(path.at(), table, "path", "must not be empty".into());
        } else if path.value.ends_with('/') {
            self.invalid(
                path.at(),
                table,
                "path",
                "must name a file, not a directory".into(),
            );
        } else if let Some(field) = unsupported_time_field(&path.value) {
            self.invalid(
                path.at(),
                table,
                "path",
                format!("\"{field}\" is not expanded: paths may use %Y %m %d %H, and %% for a literal %"),
            );
        }
        let compression = self.choice(
            table,
            "compression",
            &raw.compression,
            &[("none", Compression::None), ("gzip", Compression::Gzip)],
            Compression::None,
        );
        let max_file_bytes = raw
            .max_file_bytes
            .as_ref()
            .map(|_| self.size(table, "max_file_bytes", &raw.max_file_bytes, 0, 1));
        let encoding = self.choice(
            table,
            "encoding",
            &raw.encoding,
            &[
                ("json", EventEncoding::Native),
                ("ocsf", EventEncoding::Ocsf),
            ],
            EventEncoding::Native,
        );
        (self.problems.len() == before).then(|| FileSinkConfig {
            path: path.value.clone(),
            compression,
            max_file_bytes,
            encoding,
        })
    }

    /// A size key; `minimum` is checked.
    fn size(
        &mut self,
        table: &[String],
        key: &str,
        value: &Option<Located<NumberOrText>>,
        default: u64,
        minimum: u64,
    ) -> u64 {
        let Some(value) = value else {
            return default;
        };
        match parse_size(&value.value) {
            Ok(bytes) if bytes >= minimum => bytes,
            Ok(_) => {
                self.invalid(
                    value.at(),
                    table,
                    key,
                    format!("must be at least {minimum} byte(s)"),
                );
                default
            }
            Err(message) => {
                self.invalid(
                    value.at(),
                    table,
                    key,
                    format!("{}: {message}", shown_amount(value)),
                );
                default
            }
        }
    }

    /// `request_timeout` of a network sink: default 30 s, never zero.
    fn request_timeout(
        &mut self,
        table: &[String],
        value: &Option<Located<NumberOrText>>,
    ) -> Duration {
        self.duration(
            table,
            "request_timeout",
            value,
            DEFAULT_REQUEST_TIMEOUT,
            true,
        )
    }

    /// A duration key; `positive` refuses zero.
    fn duration(
        &mut self,
        table: &[String],
        key: &str,
        value: &Option<Located<NumberOrText>>,
        default: Duration,
        positive: bool,
    ) -> Duration {
        let Some(value) = value else {
            return default;
        };
        match parse_duration(&value.value) {
            Ok(duration) if positive && duration.is_zero() => {
                self.invalid(value.at(), table, key, "must be longer than zero".into());
                default
            }
            Ok(duration) => duration,
            Err(message) => {
                self.invalid(
                    value.at(),
                    table,
                    key,
                    format!("{}: {message}", shown_amount(value)),
                );
                default
            }
        }
    }

    /// A key whose value is one of a few words.
    fn choice<T: Copy>(
        &mut self,
        table: &[String],
        key: &str,
        value: &Option<Located<String>>,
        options: &[(&str, T)],
        default: T,
    ) -> T {
        let Some(value) = value else {
            return default;
        };
        if let Some((_, chosen)) = options.iter().find(|(name, _)| *name == value.value) {
            return *chosen;
        }
        let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
        let hint = closest(&value.value, names.iter().copied())
            .map(|s| format!(" (did you mean \"{s}\"?)"))
            .unwrap_or_default();
        self.invalid(
            value.at(),
            table,
            key,
            format!(
                "\"{}\" is not one of: {}{hint}",
                value.shown(),
                names.join(", ")
            ),
        );
        default
    }
}

/// A `generic_node` resource without `node_id` gets the agent's host.
fn default_node_id(resource: &mut GcpResource, host: &str) {
    if resource.kind == "generic_node" && !resource.labels.iter().any(|(k, _)| k == "node_id") {
        resource
            .labels
            .push(("node_id".to_string(), host.to_string()));
    }
}

/// Why `uri` cannot be an `http` sink's destination, if it cannot.
fn check_http_uri(uri: &str) -> Result<(), &'static str> {
    let parsed: hyper::Uri = uri
        .parse()
        .map_err(|_| "is not a valid URI, e.g. \"https://collector.example.com/v1/audit\"")?;
    match parsed.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err("must start with https:// or http://"),
    }
    let Some(authority) = parsed.authority() else {
        return Err("has no host, e.g. \"https://collector.example.com/v1/audit\"");
    };
    if authority.as_str().contains('@') {
        return Err("must not contain user info (user:password@); send credentials in headers, e.g. headers = { Authorization = \"Bearer ${TOKEN}\" }");
    }
    if authority.host().is_empty() {
        return Err("has no host, e.g. \"https://collector.example.com/v1/audit\"");
    }
    Ok(())
}

/// Why `endpoint` cannot be a `splunk_hec` sink's base URL, if it cannot.
fn check_splunk_endpoint(endpoint: &str) -> Result<(), &'static str> {
    let parsed: hyper::Uri = endpoint.parse().map_err(|_| "is not a valid URL")?;
    if !matches!(parsed.scheme_str(), Some("http" | "https")) {
        return Err("must start with https:// or http://");
    }
    match parsed.authority() {
        None => return Err("has no host"),
        Some(authority) if authority.as_str().contains('@') => {
            return Err("must not contain user info (user:password@); the credential is \"token\"")
        }
        Some(authority) if authority.host().is_empty() => return Err("has no host"),
        Some(_) => {}
    }
    if !parsed.path().trim_end_matches('/').is_empty() || parsed.query().is_some() {
        return Err(
            "must be the collector's base URL without a path (/services/collector/event is added), e.g. \"https://splunk.example.com:8088\"",
        );
    }
    Ok(())
}

/// The first `%x` in a path that the file sink does not expand.
fn unsupported_time_field(path: &str) -> Option<String> {
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('Y' | 'm' | 'd' | 'H' | '%') => {}
                Some(other) => return Some(format!("%{other}")),
                None => return Some("%".to_string()),
            }
        }
    }
    None
}

/// `min_read_interval` of file sources: a stream of small appends (10,000
/// files appended once a second each) is read in passes 10 ms apart
/// instead of one pass per change, which took the agent from ≈ 1.1 cores
/// to ≈ 0.2 (fewer, larger journal appends, sink batches and fsyncs) for
/// ≈ 6 ms more latency (p99 12 ms at 1,000 events/s; `bench/run`).
const DEFAULT_MIN_READ_INTERVAL: Duration = Duration::from_millis(10);

/// Batches in flight when the sink does not say (`concurrency`): 2, except
/// for `nats`, whose batches wait on the server's acknowledgements — with 2
/// the agent and a local JetStream server left a third of two cores idle;
/// 4 reached 80,000 events/s instead of 68,000 (`bench/sink-throughput`),
/// for ≈ 1 MiB more memory a batch.
fn default_concurrency(sink_type: &str) -> usize {
    match sink_type {
        "nats" => 4,
        _ => DeliveryConfig::default().concurrency,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_host_prefers_the_kernel_then_the_environment_then_localhost() {
        let kernel = || Some("kernel-name\n".to_string());
        let no_kernel = || None;
        let blank_kernel = || Some("\n".to_string());
        let env = |name: &str| (name == "HOSTNAME").then(|| "env-name".to_string());
        let no_env = |_: &str| None;
        let resolve = |kernel_hostname: &dyn Fn() -> Option<String>,
                       env: &dyn Fn(&str) -> Option<String>| {
            HostnameSource {
                kernel_hostname,
                env,
            }
            .resolve()
        };
        assert_eq!(resolve(&kernel, &env), "kernel-name");
        assert_eq!(resolve(&no_kernel, &env), "env-name");
        assert_eq!(resolve(&blank_kernel, &env), "env-name");
        assert_eq!(resolve(&no_kernel, &no_env), "localhost");
    }

    #[test]
    fn only_the_listed_time_fields_are_allowed_in_sink_paths() {
        assert_eq!(unsupported_time_field("/a/%Y/%m/%d/%H-100%%.log"), None);
        assert_eq!(unsupported_time_field("/a/%M.log"), Some("%M".into()));
        assert_eq!(unsupported_time_field("/a/50%"), Some("%".into()));
    }
}
