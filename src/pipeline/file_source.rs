//! Runs one `file` source: tail → parse → journal → acknowledge.
//!
//! Three stages joined by bounded channels, so memory stays bounded and a
//! full journal pauses reading:
//!
//! 1. the [`FileTailer`] reads lines and sends [`LineBatch`]es (it stops
//!    reading when the channel is full);
//! 2. each batch is parsed and serialized on the blocking pool — batches in
//!    parallel, results kept in order (a queue of join handles);
//! 3. the appender takes every parsed batch that is ready, appends them to
//!    the journal in one request (group commit does the rest), and only
//!    after the journal says "durable" acknowledges the batches' end offsets
//!    to the tailer's checkpoints.
//!
//! Invariant: a file offset is acknowledged only after every line before it
//! is durable in the journal. A crash therefore re-reads at most the
//! batches in flight (at-least-once, no loss).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::auditd_grouping::LineGrouping;
use super::encoded_event::EncodedEvents;
use super::journal_record;
use super::stats::PipelineStats;
use super::PipelineError;
use crate::alerts::{AlertTap, RuleHit};
use crate::config::FileSourceConfig;
use crate::event::OriginKind;
use crate::formats::{self, EntryContext, Parser};
use crate::journal::Journal;
use crate::shutdown::Shutdown;
use crate::sources::file::{CheckpointHandle, FileId, FileTailer, LineBatch, TailerOptions};

/// Line batches waiting to be parsed.
const LINE_QUEUE: usize = 4;
/// Parsed batches waiting for the journal (also the parse parallelism).
const PARSE_QUEUE: usize = 3;
/// Most events the appender gathers into one journal request.
const MAX_EVENTS_PER_APPEND: usize = 4 * 1024;

/// A built, not yet running, file source.
pub struct FileSourceTask {
    id: Arc<str>,
    host: Arc<str>,
    parser: Arc<Parser>,
    tailer: FileTailer,
    checkpoints: CheckpointHandle,
    journaled: JournaledPositions,
    /// Each known file's checkpointed offset at start (where re-reading
    /// resumes), keyed like `journaled`.
    resume_offsets: HashMap<String, u64>,
    /// Upper bound of one journal append, in serialized bytes.
    max_append_bytes: usize,
    /// Alert rules, evaluated by the parse workers (see `alerts`).
    alerts: Option<AlertTap>,
}

/// The output of stage 2 for one line batch.
struct ParsedBatch {
    file: FileId,
    /// `file` as text, as recorded in journal record headers.
    file_key: Arc<str>,
    end_offset: u64,
    events: EncodedEvents,
    /// Per event of `events`, the end offset of its line.
    end_offsets: Vec<u64>,
    bytes: u64,
    /// Serialized size of `events`, to bound one journal append.
    encoded_bytes: usize,
    quarantined: u64,
    /// Alert rules these events satisfied, sent once they are journaled.
    hits: Vec<RuleHit>,
}

/// How far each file's lines already reached the journal, learned from the
/// journal's newest records at start. A checkpoint file saved before a
/// crash can be older than the journal; lines that end at or before these
/// offsets are already journaled and are skipped instead of stored twice.
pub type JournaledPositions = HashMap<String, u64>;

impl FileSourceTask {
    /// Opens the source's checkpoints and prepares the tailer; fails before
    /// anything runs when the configuration cannot work.
    pub fn build(
        id: &str,
        config: &FileSourceConfig,
        host: &str,
        checkpoint_path: PathBuf,
        journaled: JournaledPositions,
        journal_max_bytes: u64,
        stop_at_end: bool,
    ) -> Result<FileSourceTask, PipelineError> {
        // One append must fit the journal's budget comfortably, or a small
        // journal would be overrun by a single (always admitted) write.
        let max_append_bytes = (journal_max_bytes / 8).clamp(16 * 1024, 2 * 1024 * 1024) as usize;
        let parser = Parser::from_config(&config.format, config.keep_raw).map_err(|e| {
            PipelineError::Source {
                id: id.to_string(),
                reason: e.to_string(),
            }
        })?;
        let options = TailerOptions {
            include: config.include.clone(),
            exclude: config.exclude.clone(),
            start_at: config.start_at,
            max_line_bytes: config.max_line_bytes,
            poll_interval: config.poll_interval,
            glob_interval: config.glob_interval,
            min_read_interval: config.min_read_interval,
            max_batch_bytes: max_append_bytes.min(256 * 1024),
            max_open_files: open_files_budget(),
            stop_at_end,
            ..TailerOptions::default()
        };
        // A backfill ships a last line without `\n` at once instead of
        // waiting for the writer to finish it.
        let options = if stop_at_end {
            TailerOptions {
                flush_partial_after: std::time::Duration::ZERO,
                ..options
            }
        } else {
            options
        };
        let (tailer, checkpoints) =
            FileTailer::new(id, options, checkpoint_path).map_err(|e| PipelineError::Source {
                id: id.to_string(),
                reason: e.to_string(),
            })?;
        Ok(FileSourceTask {
            id: Arc::from(id),
            host: Arc::from(host),
            parser: Arc::new(parser),
            tailer,
            resume_offsets: checkpoints
                .snapshot()
                .iter()
                .map(|p| (p.file.to_string(), p.acked_offset))
                .collect(),
            journaled,
            checkpoints,
            max_append_bytes,
            alerts: None,
        })
    }

    /// Evaluates alert rules on every event this source parses.
    pub fn with_alerts(mut self, alerts: Option<AlertTap>) -> FileSourceTask {
        self.alerts = alerts;
        self
    }

    /// Runs until `shutdown`, then drains what was read into the journal and
    /// persists the checkpoints.
    pub async fn run(self, journal: Journal, stats: PipelineStats, shutdown: Shutdown) {
        let FileSourceTask {
            id,
            host,
            parser,
            tailer,
            checkpoints,
            journaled,
            resume_offsets,
            max_append_bytes,
            alerts,
        } = self;
        let (line_tx, line_rx) = mpsc::channel::<LineBatch>(LINE_QUEUE);
        let (parsed_tx, parsed_rx) = mpsc::channel::<JoinHandle<ParsedBatch>>(PARSE_QUEUE);

        let tail_id = id.clone();
        let tailer_task = tokio::spawn(async move {
            if let Err(error) = tailer.run(line_tx, shutdown).await {
                tracing::error!(source = %tail_id, %error, "File source stopped reading.");
            }
        });
        let parse_task = tokio::spawn(parse_stage(
            line_rx,
            parsed_tx,
            ParseContext {
                parser,
                host,
                source_id: id.clone(),
                alerts: alerts.clone(),
            },
            journaled,
            resume_offsets,
        ));

        append_stage(
            &id,
            parsed_rx,
            &journal,
            &checkpoints,
            &stats,
            max_append_bytes,
            alerts.as_ref(),
        )
        .await;

        let _ = parse_task.await;
        let _ = tailer_task.await;
        if let Err(error) = checkpoints.persist() {
            tracing::error!(source = %id, %error, "Could not save file checkpoints at shutdown; lines since the last save will be read again.");
        }
    }
}

/// Descriptors one file source may keep open: half of what the process
/// may open beyond a reserve for the journal, sockets and the other
/// sources, and at least the engine's default. A file beyond the budget is
/// closed and reopened each time it grows (open, stat, read, close, and a
/// scan for the descriptor to give up), so thousands of active files want
/// thousands of descriptors; raise `LimitNOFILE` (`ulimit -n`) for more.
fn open_files_budget() -> usize {
    const RESERVE: u64 = 1024;
    let default = TailerOptions::default().max_open_files;
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    match limit {
        Some(limit) => usize::try_from(limit.saturating_sub(RESERVE) / 2)
            .unwrap_or(usize::MAX)
            .max(default),
        None => 64 * 1024, // Unlimited.
    }
}

/// What every parse worker needs, cheap to clone.
#[derive(Clone)]
struct ParseContext {
    parser: Arc<Parser>,
    host: Arc<str>,
    source_id: Arc<str>,
    alerts: Option<AlertTap>,
}

async fn parse_stage(
    mut line_rx: mpsc::Receiver<LineBatch>,
    parsed_tx: mpsc::Sender<JoinHandle<ParsedBatch>>,
    context: ParseContext,
    mut journaled: JournaledPositions,
    mut resume_offsets: HashMap<String, u64>,
) {
    // auditd: the records of one event are joined here, in order, before
    // the parallel parse (see `auditd_grouping.rs`).
    let mut grouping = context.parser.groups_lines().then(LineGrouping::default);
    loop {
        let deadline = grouping.as_ref().and_then(LineGrouping::next_deadline);
        let received = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline.into(), line_rx.recv())
                .await
                .ok(),
            None => Some(line_rx.recv().await),
        };
        // (batch, skip_through) in the order they must be appended.
        let mut ready = Vec::new();
        let mut closed = false;
        match received {
            Some(Some(batch)) => {
                let skip_through = skip_threshold(&mut journaled, &mut resume_offsets, &batch);
                let batch = match &mut grouping {
                    Some(grouping) => grouping.regroup(batch, std::time::Instant::now()),
                    None => batch,
                };
                ready.push((batch, skip_through));
            }
            Some(None) => closed = true,
            None => {} // an open auditd event timed out
        }
        if let Some(grouping) = &mut grouping {
            let flushed = if closed {
                grouping.flush_all()
            } else {
                grouping.flush_idle(std::time::Instant::now())
            };
            ready.extend(flushed.into_iter().map(|batch| (batch, 0)));
        }
        for (batch, skip_through) in ready {
            let context = context.clone();
            let handle =
                tokio::task::spawn_blocking(move || parse_batch(batch, &context, skip_through));
            if parsed_tx.send(handle).await.is_err() {
                return;
            }
        }
        if closed {
            return;
        }
    }
}

/// Lines of `batch` ending at or before the returned offset are already in
/// the journal. The hint only covers the stretch re-read right after a
/// start, from the checkpointed offset on: it is dropped when the file's
/// first batch does not start exactly there (the file was truncated or
/// replaced while the agent was down) and as soon as the file moves past
/// it, so lines at reused offsets are never skipped.
fn skip_threshold(
    journaled: &mut JournaledPositions,
    next_offsets: &mut HashMap<String, u64>,
    batch: &LineBatch,
) -> u64 {
    if journaled.is_empty() {
        return 0;
    }
    let key = batch.file.to_string();
    let Some(&already) = journaled.get(&key) else {
        return 0;
    };
    let first = batch.lines.first().map_or(batch.end_offset, |l| l.offset);
    let expected = next_offsets.get(&key).copied().unwrap_or(0);
    if first != expected && first < already {
        // Not the contiguous re-read this hint is about.
        journaled.remove(&key);
        return 0;
    }
    next_offsets.insert(key.clone(), batch.end_offset);
    if batch.end_offset >= already || first >= already {
        journaled.remove(&key);
    }
    if first >= already {
        0
    } else {
        already
    }
}

/// Stage 2: one line batch → serialized events. Pure CPU work.
fn parse_batch(batch: LineBatch, context: &ParseContext, skip_through: u64) -> ParsedBatch {
    let (parser, host) = (&*context.parser, &*context.host);
    let mut hits = Vec::new();
    let path = batch.path.to_string_lossy();
    let key = batch.file.to_string();
    let ingest_time = Utc::now();
    let mut events = EncodedEvents::with_capacity(batch.lines.len());
    let mut end_offsets = Vec::with_capacity(batch.lines.len());
    let mut bytes = 0u64;
    let mut encoded_bytes = 0usize;
    let mut quarantined = 0u64;
    let mut parsed = Vec::with_capacity(1);
    for (i, line) in batch.lines.iter().enumerate() {
        let end_offset = batch
            .lines
            .get(i + 1)
            .map(|next| next.offset)
            .unwrap_or(batch.end_offset);
        if end_offset <= skip_through {
            continue;
        }
        let ctx = EntryContext {
            origin_kind: OriginKind::File,
            path: Some(&path),
            offset: Some(line.offset),
            position_key: &key,
            host,
            ingest_time,
        };
        match line.too_long {
            Some(original_len) => parsed.push(formats::line_too_long_event(
                &line.bytes,
                original_len,
                parser.name(),
                &ctx,
            )),
            // One entry may hold several events (a CloudTrail `Records`
            // file); they share the entry's end offset.
            None => parser.parse_into(&line.bytes, &ctx, &mut parsed),
        }
        bytes += line.too_long.unwrap_or(line.bytes.len() as u64) + 1;
        for event in parsed.drain(..) {
            quarantined += u64::from(event.is_quarantined());
            if let Some(alerts) = &context.alerts {
                alerts.evaluate(&event, &context.source_id, &mut hits);
            }
            encoded_bytes += events.push(&event) + 64;
            end_offsets.push(end_offset);
        }
    }
    ParsedBatch {
        file: batch.file,
        file_key: Arc::from(key),
        end_offset: batch.end_offset,
        events,
        end_offsets,
        bytes,
        encoded_bytes,
        quarantined,
        hits,
    }
}

/// Stage 3: append in order, acknowledge after durability.
async fn append_stage(
    source_id: &Arc<str>,
    mut parsed_rx: mpsc::Receiver<JoinHandle<ParsedBatch>>,
    journal: &Journal,
    checkpoints: &CheckpointHandle,
    stats: &PipelineStats,
    max_append_bytes: usize,
    alerts: Option<&AlertTap>,
) {
    while let Some(first) = parsed_rx.recv().await {
        let mut ready = Vec::new();
        let mut count = 0;
        let mut append_bytes = 0;
        let mut next = Some(first);
        while let Some(handle) = next.take() {
            match handle.await {
                Ok(batch) => {
                    count += batch.events.len();
                    append_bytes += batch.encoded_bytes;
                    ready.push(batch);
                }
                Err(error) => {
                    // A parse task can only fail by panicking, which the
                    // formats promise never to do; the lines stay unacked
                    // and are read again after a restart.
                    tracing::error!(source = %source_id, %error, "A parse task failed; stopping this source to avoid acknowledging lost lines.");
                    return;
                }
            }
            if count < MAX_EVENTS_PER_APPEND && append_bytes < max_append_bytes {
                next = parsed_rx.try_recv().ok();
            }
        }

        let mut batches = Vec::with_capacity(ready.len());
        let mut acks = Vec::with_capacity(ready.len());
        let (mut n, mut bytes, mut quarantined) = (0u64, 0, 0);
        let mut hits = Vec::new();
        for mut batch in ready {
            hits.append(&mut batch.hits);
            n += batch.events.len() as u64;
            bytes += batch.bytes;
            quarantined += batch.quarantined;
            acks.push((batch.file, batch.end_offset));
            batches.push((batch.file_key, batch.events, batch.end_offsets));
        }
        stats.record_read(n, bytes, quarantined);

        let id = source_id.clone();
        let encode = Box::new(move |writer: &mut crate::journal::RecordWriter<'_>| {
            for (file_key, events, end_offsets) in &batches {
                for (event, end_offset) in events.iter().zip(end_offsets) {
                    let position = journal_record::FilePosition {
                        file_id: file_key,
                        end_offset: *end_offset,
                    };
                    journal_record::push_event(writer, &id, Some(position), event);
                }
            }
        });
        match journal.append(encode).await {
            Ok(_) => {
                stats.record_journaled(n);
                for (file, end_offset) in &acks {
                    checkpoints.ack(file, *end_offset);
                }
                // Alerts only for events that are durable (a crash before
                // this re-reads them and evaluates them again).
                if let Some(alerts) = alerts {
                    alerts.send(hits);
                }
            }
            Err(error) => {
                tracing::error!(source = %source_id, %error, "Could not append to the journal; stopping this source. Unacknowledged lines are read again at the next start.");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(file: &str, offsets: &[u64], end: u64) -> LineBatch {
        LineBatch {
            file: file.parse().unwrap(),
            path: PathBuf::from("/x"),
            lines: offsets
                .iter()
                .map(|&offset| crate::sources::file::Line {
                    offset,
                    bytes: b"{}".to_vec().into(),
                    too_long: None,
                })
                .collect(),
            end_offset: end,
        }
    }

    const F: &str = "00000000000000aa";

    #[test]
    fn the_re_read_stretch_after_a_crash_is_skipped_then_the_hint_is_dropped() {
        let mut journaled = JournaledPositions::from([(F.to_string(), 300)]);
        let mut resume = HashMap::from([(F.to_string(), 100)]);
        assert_eq!(
            skip_threshold(&mut journaled, &mut resume, &batch(F, &[100, 200], 300)),
            300
        );
        assert!(journaled.is_empty(), "dropped once the file reached it");
        assert_eq!(
            skip_threshold(&mut journaled, &mut resume, &batch(F, &[0], 50)),
            0
        );
    }

    #[test]
    fn a_file_that_does_not_resume_at_its_checkpoint_is_never_skipped() {
        // Truncated while the agent was down: reading starts at 0, not 100.
        let mut journaled = JournaledPositions::from([(F.to_string(), 300)]);
        let mut resume = HashMap::from([(F.to_string(), 100)]);
        assert_eq!(
            skip_threshold(&mut journaled, &mut resume, &batch(F, &[0, 50], 120)),
            0
        );
        assert!(journaled.is_empty());
    }

    #[test]
    fn a_hint_spanning_several_batches_holds_until_passed() {
        let mut journaled = JournaledPositions::from([(F.to_string(), 500)]);
        let mut resume = HashMap::from([(F.to_string(), 0)]);
        assert_eq!(
            skip_threshold(&mut journaled, &mut resume, &batch(F, &[0, 100], 200)),
            500
        );
        assert_eq!(
            skip_threshold(&mut journaled, &mut resume, &batch(F, &[200, 300], 400)),
            500
        );
        assert_eq!(
            skip_threshold(&mut journaled, &mut resume, &batch(F, &[400, 500], 600)),
            500
        );
        assert!(journaled.is_empty());
    }
}
