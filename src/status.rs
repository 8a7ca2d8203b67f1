//! `auditship status`: what the agent has read and what it still owes each
//! sink, read from the data directory.
//!
//! Reading the state files instead of asking the daemon means the command
//! works whether the agent is running, stopped or crashed — exactly when an
//! operator most wants to know how much is waiting. It never takes the
//! journal's lock and never writes. No event content is shown, only ages
//! and counts.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::config::{Config, SourceKind};
use crate::journal::{self, JournalError};
use crate::pipeline::journal_record;
use crate::sources::file::{read_checkpoints, FilePosition};

/// Everything `status` prints.
#[derive(Debug)]
pub struct StatusReport {
    pub data_dir: PathBuf,
    pub journal: JournalSummary,
    pub sinks: Vec<SinkStatus>,
    pub sources: Vec<SourceStatus>,
}

#[derive(Debug, Default)]
pub struct JournalSummary {
    pub bytes: u64,
    pub segments: u64,
    /// Seq the next append will get.
    pub next_seq: u64,
}

#[derive(Debug)]
pub struct SinkStatus {
    pub id: String,
    /// Next seq the sink will deliver (`None`: it never ran).
    pub position: Option<u64>,
    pub backlog_events: u64,
    pub backlog_bytes: u64,
    /// When the oldest undelivered event was read by the agent.
    pub oldest_undelivered: Option<DateTime<Utc>>,
}

#[derive(Debug)]
pub struct SourceStatus {
    pub id: String,
    pub files: Vec<FileStatus>,
}

#[derive(Debug)]
pub struct FileStatus {
    pub path: PathBuf,
    pub acked_offset: u64,
    /// Current size, when the file still exists at that path.
    pub size: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error("cannot read the journal under {dir}: {source}")]
    Journal {
        dir: String,
        #[source]
        source: JournalError,
    },
    #[error("cannot read the checkpoints of source {id:?}: {reason}")]
    Checkpoints { id: String, reason: String },
}

/// Collects the status of the agent configured by `config`.
pub fn collect(config: &Config) -> Result<StatusReport, StatusError> {
    let journal_dir = config.data_dir.join("journal");
    let mut report = StatusReport {
        data_dir: config.data_dir.clone(),
        journal: JournalSummary::default(),
        sinks: Vec::new(),
        sources: Vec::new(),
    };
    let inspection = if journal_dir.exists() {
        Some(
            journal::inspect(&journal_dir).map_err(|source| StatusError::Journal {
                dir: journal_dir.display().to_string(),
                source,
            })?,
        )
    } else {
        None
    };
    if let Some(inspection) = &inspection {
        report.journal = JournalSummary {
            bytes: inspection.bytes,
            segments: inspection.segments as u64,
            next_seq: inspection.next_seq,
        };
    }
    for sink in &config.sinks {
        let cursor = inspection
            .as_ref()
            .and_then(|i| i.cursors.iter().find(|c| c.name == sink.id));
        let position = cursor.and_then(|c| c.acked_position);
        let backlog_events = cursor.map_or(0, |c| c.backlog.events);
        let oldest_undelivered = match position {
            Some(seq) if backlog_events > 0 => oldest_ingest_time(&journal_dir, seq),
            _ => None,
        };
        report.sinks.push(SinkStatus {
            id: sink.id.clone(),
            position,
            backlog_events,
            backlog_bytes: cursor.map_or(0, |c| c.backlog.bytes),
            oldest_undelivered,
        });
    }
    for source in &config.sources {
        match &source.kind {
            SourceKind::File(_) => {
                let path = config
                    .data_dir
                    .join("checkpoints")
                    .join(format!("{}.json", source.id));
                let positions = if path.exists() {
                    read_checkpoints(&path).map_err(|e| StatusError::Checkpoints {
                        id: source.id.clone(),
                        reason: e.to_string(),
                    })?
                } else {
                    Vec::new()
                };
                report.sources.push(SourceStatus {
                    id: source.id.clone(),
                    files: positions.iter().map(file_status).collect(),
                });
            }
            // Socket sources keep no position: what they acknowledged is
            // in the journal.
            SourceKind::Unix(_) | SourceKind::Syslog(_) | SourceKind::Http(_) => {
                report.sources.push(SourceStatus {
                    id: source.id.clone(),
                    files: Vec::new(),
                });
            }
        }
    }
    Ok(report)
}

fn file_status(position: &FilePosition) -> FileStatus {
    FileStatus {
        path: position.path.clone(),
        acked_offset: position.acked_offset,
        size: std::fs::metadata(&position.path).ok().map(|m| m.len()),
    }
}

/// `ingest_time` of the first record at or after `seq`: the age of the
/// backlog. Only that one field is read from the event.
fn oldest_ingest_time(journal_dir: &Path, seq: u64) -> Option<DateTime<Utc>> {
    let record = journal::read_record_at(journal_dir, seq).ok()??;
    let view = journal_record::decode(&record.payload)?;
    #[derive(serde::Deserialize)]
    struct IngestTime {
        ingest_time: String,
    }
    let event = serde_json::from_slice::<IngestTime>(view.event_json).ok()?;
    DateTime::parse_from_rfc3339(&event.ingest_time)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "data dir  {}", self.data_dir.display())?;
        writeln!(
            f,
            "journal   {} in {} segment(s), next seq {}",
            crate::config::format_size(self.journal.bytes),
            self.journal.segments,
            self.journal.next_seq
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<20} {:>12} {:>12} {:>12}  oldest undelivered",
            "SINK", "POSITION", "BACKLOG", "BYTES"
        )?;
        let now = Utc::now();
        for sink in &self.sinks {
            let age = sink
                .oldest_undelivered
                .map(|t| format_age((now - t).num_seconds().max(0) as u64))
                .unwrap_or_else(|| "-".into());
            writeln!(
                f,
                "{:<20} {:>12} {:>12} {:>12}  {}",
                sink.id,
                sink.position
                    .map_or_else(|| "never ran".to_string(), |p| p.to_string()),
                sink.backlog_events,
                sink.backlog_bytes,
                age
            )?;
        }
        writeln!(f)?;
        writeln!(f, "{:<20} {:>14} {:>14}  FILE", "SOURCE", "ACKED", "SIZE")?;
        for source in &self.sources {
            if source.files.is_empty() {
                writeln!(
                    f,
                    "{:<20} {:>14} {:>14}  (no file read yet)",
                    source.id, "-", "-"
                )?;
            }
            for file in &source.files {
                writeln!(
                    f,
                    "{:<20} {:>14} {:>14}  {}",
                    source.id,
                    file.acked_offset,
                    file.size
                        .map_or_else(|| "gone".to_string(), |s| s.to_string()),
                    file.path.display()
                )?;
            }
        }
        Ok(())
    }
}

fn format_age(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs}s ago"),
        120..=7199 => format!("{}m ago", secs / 60),
        _ => format!("{}h ago", secs / 3600),
    }
}
