//! The daemon's life cycle: start every component, run until the shutdown
//! signal, stop in order.
//!
//! Start-up builds everything before anything runs (journal recovered,
//! sinks and cursors opened, tailers and checkpoints loaded), so a bad
//! component refuses the start instead of leaving the agent half running.
//!
//! Stop order: sources stop reading and push what they read into the
//! journal, then acknowledge it (checkpoints saved); then sinks drain what
//! is readable within `drain_timeout`; then the journal closes. Anything not
//! delivered stays in the journal for the next start.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::checkpointer::Checkpointer;
use super::data_dir;
use super::file_source::{FileSourceTask, JournaledPositions};
use super::journal_record;
use super::sink_runner::SinkTask;
use super::socket_source::SocketSourceTask;
use super::source_task::SourceTask;
use super::stats::PipelineStats;
use super::PipelineError;
use crate::config::{Config, SourceKind};
use crate::journal::{Journal, JournalOptions};
use crate::shutdown::{self, Shutdown};

/// Knobs of the run that are not part of the configuration file.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// How often the one-line summary is logged (`None`: never).
    pub summary_interval: Option<Duration>,
    /// Longest time sinks may keep draining after the stop signal.
    pub drain_timeout: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            summary_interval: Some(Duration::from_secs(5)),
            drain_timeout: Duration::from_secs(5),
        }
    }
}

/// Runs the agent described by `config` until `shutdown` fires.
pub async fn run(
    config: Config,
    options: RunOptions,
    mut shutdown: Shutdown,
) -> Result<PipelineStats, PipelineError> {
    let data_dir = config.data_dir.clone();
    data_dir::create_private_dir(&data_dir)?;
    data_dir::ensure_not_writable_by_others(&data_dir)?;
    data_dir::create_private_dir(&data_dir.join("checkpoints"))?;
    let signer = super::signing_key::load_or_create(&config.integrity, &data_dir)?;

    let (journal, report) = Journal::open(
        &data_dir.join("journal"),
        &data_dir.join("quarantine"),
        JournalOptions {
            max_bytes: config.journal.max_bytes,
            segment_bytes: config.journal.segment_bytes,
            fsync: config.journal.fsync,
            batch_interval: config.journal.batch_interval,
            link_of_payload: Some(journal_record::link_of_payload),
        },
    )?;
    // The journal logs what recovery did; keep the report for callers.
    let _ = report;

    let sink_ids: Vec<&str> = config.sinks.iter().map(|s| s.id.as_str()).collect();
    for released in journal.release_cursors_except(&sink_ids)? {
        tracing::info!(sink = %released, "Released the journal cursor of a sink no longer configured.");
    }

    let mut sinks = Vec::with_capacity(config.sinks.len());
    for sink in &config.sinks {
        sinks.push(SinkTask::build(sink, &journal, data_dir.clone())?);
    }
    let mut journaled = {
        let journal = journal.clone();
        tokio::task::spawn_blocking(move || journaled_positions(&journal, TAIL_SCAN_RECORDS))
            .await
            .unwrap_or_default()
    };
    let mut sources = Vec::with_capacity(config.sources.len());
    for source in &config.sources {
        match &source.kind {
            SourceKind::File(file) => {
                sources.push(SourceTask::File(Box::new(FileSourceTask::build(
                    &source.id,
                    file,
                    &config.host,
                    data_dir
                        .join("checkpoints")
                        .join(format!("{}.json", source.id)),
                    journaled.remove(&source.id).unwrap_or_default(),
                    config.journal.max_bytes,
                )?)))
            }
            other => sources.push(SourceTask::Socket(Box::new(SocketSourceTask::build(
                &source.id,
                other,
                &config.host,
            )?))),
        }
    }

    // Alerting: rules compiled, outbox opened, channel clients built (a
    // bad channel refuses the start like a bad sink).
    let alerts = crate::alerts::AlertService::build(&config)?;
    let (alert_service, alert_tap) = match alerts {
        Some((service, tap)) => (Some(service), Some(tap)),
        None => (None, None),
    };
    let sources: Vec<SourceTask> = sources
        .into_iter()
        .map(|task| task.with_alerts(alert_tap.clone()))
        .collect();
    drop(alert_tap);

    let stats = PipelineStats::default();
    let ready = Arc::new(AtomicBool::new(false));
    if let Some(admin) = &config.admin {
        let state = crate::admin::AdminState {
            stats: stats.clone(),
            journal: journal.clone(),
            sinks: config.sinks.iter().map(|s| s.id.clone()).collect(),
            ready: ready.clone(),
            started: Instant::now(),
        };
        crate::admin::start(&admin.address, state, shutdown.clone())
            .await
            .map_err(|reason| PipelineError::Admin { reason })?;
    }
    let (sink_stop, sink_shutdown) = shutdown::channel();
    let sink_handles: Vec<_> = sinks
        .into_iter()
        .map(|task| tokio::spawn(task.run(stats.clone(), sink_shutdown.clone())))
        .collect();
    let alert_handle = alert_service
        .map(|service| tokio::spawn(service.run(journal.clone(), sink_shutdown.clone())));
    let source_handles: Vec<_> = sources
        .into_iter()
        .map(|task| tokio::spawn(task.run(journal.clone(), stats.clone(), shutdown.clone())))
        .collect();
    let (checkpoint_stop, checkpoint_shutdown) = shutdown::channel();
    let checkpointer = Checkpointer::new(signer, &config.host, &config.integrity, &journal);
    let checkpointer = tokio::spawn(checkpointer.run(journal.clone(), checkpoint_shutdown));
    tracing::info!(
        sources = config.sources.len(),
        sinks = config.sinks.len(),
        host = %config.host,
        "auditship is running."
    );
    ready.store(true, Ordering::Relaxed);
    // Journal recovered, cursors and sources open: tell systemd (no-op outside it).
    let notifier = std::sync::Arc::new(crate::systemd_notify::SystemdNotifier::from_env());
    notifier.ready(&format!(
        "Running: {} sources, {} sinks.",
        config.sources.len(),
        config.sinks.len()
    ));
    let _watchdog = notifier.spawn_watchdog(shutdown.clone());

    let summary = options.summary_interval.map(|every| {
        let stats = stats.clone();
        let notifier = notifier.clone();
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let mut previous = stats.snapshot();
            let mut at = Instant::now();
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stop.recv() => return,
                }
                let now = stats.snapshot();
                let line = now.summary_line(&previous, at.elapsed().as_secs_f64());
                notifier.status(&line);
                tracing::info!("{line}");
                previous = now;
                at = Instant::now();
            }
        })
    });

    shutdown.recv().await;
    ready.store(false, Ordering::Relaxed);
    notifier.stopping("Stopping: draining sinks.");
    tracing::info!("Stopping: sources first, then sinks drain, then the journal closes.");
    let sources_done = async {
        for handle in source_handles {
            let _ = handle.await;
        }
    };
    // A source blocked on a full journal (sinks down) cannot finish its
    // last append; it is abandoned here and its unacknowledged lines are
    // read again at the next start.
    if tokio::time::timeout(options.drain_timeout, sources_done)
        .await
        .is_err()
    {
        tracing::warn!("Sources did not finish in time (journal full?); their unacknowledged lines will be read again at the next start.");
    }
    // The final checkpoint signs the trail through the sources' last event,
    // and is journaled before sinks drain so that they deliver it too.
    checkpoint_stop.fire();
    let _ = tokio::time::timeout(options.drain_timeout, checkpointer).await;
    sink_stop.fire();
    let drain = async {
        for handle in sink_handles {
            let _ = handle.await;
        }
    };
    if tokio::time::timeout(options.drain_timeout, drain)
        .await
        .is_err()
    {
        tracing::warn!(
            timeout_ms = options.drain_timeout.as_millis() as u64,
            "Sinks did not finish draining in time; the rest stays in the journal for the next start."
        );
    }
    if let Some(alerts) = alert_handle {
        // Delivery stopped with the sinks; what is undelivered stays in
        // the outbox for the next start.
        if tokio::time::timeout(options.drain_timeout, alerts)
            .await
            .is_err()
        {
            tracing::warn!(
                "Alerting did not stop in time; undelivered notifications stay in the outbox."
            );
        }
    }
    if let Some(summary) = summary {
        summary.abort();
    }
    journal.close().await;
    let last = stats.snapshot();
    let journal_stats = journal.stats();
    tracing::info!(
        fsyncs = journal_stats.fsyncs,
        journal_bytes = journal_stats.bytes,
        "Stopped: {}.",
        last.totals_line()
    );
    Ok(stats)
}

/// How many of the journal's newest records are scanned at start for file
/// positions. A checkpoint file lags the journal by at most the appends
/// since its last save (about a second of input), so this covers every
/// crash but a power loss during a very fast burst — which then repeats
/// lines, never loses them.
const TAIL_SCAN_RECORDS: u64 = 256 * 1024;

/// For each source, how far each of its files already reached the journal:
/// read from the headers of the newest records (see `journal_record`).
fn journaled_positions(journal: &Journal, window: u64) -> HashMap<String, JournaledPositions> {
    let mut positions: HashMap<String, JournaledPositions> = HashMap::new();
    let from = journal.stats().next_seq.saturating_sub(window).max(1);
    let mut reader = journal.reader_from(from);
    loop {
        let records = match reader.read_batch(4096, 4 * 1024 * 1024) {
            Ok(records) if !records.is_empty() => records,
            Ok(_) => break,
            Err(error) => {
                tracing::warn!(%error, "Could not scan the journal for file positions; lines since the last checkpoint may be journaled twice.");
                break;
            }
        };
        for record in &records {
            let Some(view) = journal_record::decode(&record.payload) else {
                continue;
            };
            if let Some(position) = view.position {
                let files = positions.entry(view.source_id.to_string()).or_default();
                let end = files.entry(position.file_id.to_string()).or_insert(0);
                *end = (*end).max(position.end_offset);
            }
        }
    }
    positions
}
