//! The validated, typed configuration the pipeline runs from.
//!
//! Everything here has passed validation: ids are unique, every sink's
//! `inputs` name existing sources, sizes and durations are parsed, `${ENV}`
//! is interpolated, globs compile. The pipeline never sees raw TOML.

use std::path::PathBuf;
use std::time::Duration;

/// A whole agent configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Journal, checkpoints, dead letters, keys live here.
    pub data_dir: PathBuf,
    /// Name stamped on every event (`agent.host`); `auto` is resolved.
    pub host: String,
    pub journal: JournalConfig,
    /// Admin endpoint address, when configured.
    pub admin: Option<AdminConfig>,
    /// Sources in file order.
    pub sources: Vec<SourceConfig>,
    /// Sinks in file order.
    pub sinks: Vec<SinkConfig>,
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
}

impl SourceKind {
    /// The `type = "…"` name, for listings and logs.
    pub fn type_name(&self) -> &'static str {
        match self {
            SourceKind::File(_) => "file",
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
}

impl FormatConfig {
    pub fn name(&self) -> &'static str {
        match self {
            FormatConfig::Json { .. } => "json",
            FormatConfig::Raw => "raw",
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
}

#[derive(Debug, Clone, PartialEq)]
pub enum SinkKind {
    File(FileSinkConfig),
    Console(ConsoleSinkConfig),
}

impl SinkKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            SinkKind::File(_) => "file",
            SinkKind::Console(_) => "console",
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
