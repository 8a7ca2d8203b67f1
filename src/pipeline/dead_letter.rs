//! The dead-letter file: where a sink's batches go when the destination
//! refuses them for good (HTTP 400, 413 after splitting, 422…), so that a
//! refusal never silently drops audit data.
//!
//! One NDJSON file per sink and UTC day, `data_dir/dead/SINK-YYYY-MM-DD.ndjson`,
//! mode 0600, one line per refused event:
//! `{"sink":…,"status":400,"response":"…","rejected_at":"…","event":{…}}`.
//! Each write is fsynced before the sink's cursor moves past the batch.
//! `"status": 0` marks a batch given up after `retry.max_elapsed` (no
//! answer refused it; `response` holds the last error). With
//! `dead_letter = false` nothing is written here: refused events are
//! dropped and counted.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::Utc;

/// Appends refused events for one sink.
#[derive(Debug)]
pub struct DeadLetterFile {
    dir: PathBuf,
    sink_id: String,
}

impl DeadLetterFile {
    pub fn new(dir: PathBuf, sink_id: &str) -> DeadLetterFile {
        DeadLetterFile {
            dir,
            sink_id: sink_id.to_string(),
        }
    }

    /// Today's file.
    pub fn current_path(&self) -> PathBuf {
        self.dir.join(format!(
            "{}-{}.ndjson",
            self.sink_id,
            Utc::now().format("%Y-%m-%d")
        ))
    }

    /// Writes each event with its own reason (a destination that refused
    /// some events of a batch, one by one); durable on return.
    pub fn write_each(&self, events: &[(&[u8], &str)], status: u16) -> std::io::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        create_private_dir(&self.dir)?;
        let rejected_at = crate::event::format_time(&Utc::now());
        let mut buf = Vec::with_capacity(events.iter().map(|(e, r)| e.len() + r.len() + 128).sum());
        for (event, response) in events {
            buf.extend_from_slice(b"{\"sink\":");
            serde_json::to_writer(&mut buf, &self.sink_id)?;
            buf.extend_from_slice(format!(",\"status\":{status},\"response\":").as_bytes());
            serde_json::to_writer(&mut buf, response)?;
            buf.extend_from_slice(b",\"rejected_at\":");
            serde_json::to_writer(&mut buf, &rejected_at)?;
            buf.extend_from_slice(b",\"event\":");
            buf.extend_from_slice(event);
            buf.extend_from_slice(b"}\n");
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(self.current_path())?;
        file.write_all(&buf)?;
        file.sync_data()
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_events_are_kept_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let dead = DeadLetterFile::new(dir.path().join("dead"), "central");
        dead.write_each(
            &[
                (br#"{"id":"a"}"#.as_slice(), "bad \"field\""),
                (br#"{"id":"b"}"#.as_slice(), "bad \"field\""),
            ],
            400,
        )
        .unwrap();
        let text = std::fs::read_to_string(dead.current_path()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["sink"], "central");
        assert_eq!(lines[0]["status"], 400);
        assert_eq!(lines[0]["response"], "bad \"field\"");
        assert_eq!(lines[1]["event"]["id"], "b");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dead.current_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
