//! The daemon's life cycle: start every component, run until the shutdown
//! signal, stop in order.
//!
//! Start-up builds everything before anything runs (journal recovered,
//! sinks and cursors opened, tailers and checkpoints loaded), so a bad
//! component refuses the start instead of leaving the agent half running.
//!
//! Stop order: sources stop reading and push what they read into the
//! journal, then acknowledge it (checkpoints saved); then sinks drain what
//! is readable, all within `shutdown_timeout`; then the journal closes. Anything not
//! delivered stays in the journal for the next start.
//!
//! While running, a reload request re-reads the configuration and starts,
//! stops or replaces only the sources and sinks that changed
//! ([`reloader`], [`RunningComponents`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::backfill;
use super::checkpointer::Checkpointer;
use super::data_dir;
use super::journal_record;
use super::journaled_positions::{journaled_positions, TAIL_SCAN_RECORDS};
use super::reloader::{self, ReloadRequests};
use super::running_components::RunningComponents;
use super::stats::PipelineStats;
use super::summary_log;
use super::PipelineError;
use crate::config::{Config, SourceKind};
use crate::journal::{Journal, JournalOptions};
use crate::shutdown::{self, Shutdown};

/// Knobs of the run that are not part of the configuration file.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// How often the one-line summary is logged (`None`: never).
    pub summary_interval: Option<Duration>,
    /// Longest time the stop may take after the signal (sources finish,
    /// final checkpoint, sinks drain): `shutdown_timeout`.
    pub drain_timeout: Duration,
    /// `--once`: read file sources to their end, deliver, stop (see
    /// [`backfill`]).
    pub once: bool,
    /// With `once`: draw a progress bar on stderr (a TTY).
    pub progress_bar: bool,
    /// Called once every component has started (the binary releases the
    /// code pages only starting used: `startup_pages.rs`).
    pub on_started: Option<fn()>,
}

/// How a run ended.
#[derive(Debug)]
pub struct RunReport {
    pub stats: PipelineStats,
    /// `--once`: every event read was delivered (or dead-lettered) before
    /// the stop; false when a stop signal came first.
    pub backfill_complete: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            summary_interval: Some(Duration::from_secs(5)),
            drain_timeout: Duration::from_secs(5),
            once: false,
            progress_bar: false,
            on_started: None,
        }
    }
}

/// Runs the agent described by `config` until `shutdown` fires, applying
/// the configuration again at each of `reloads` (see [`reloader`]).
pub async fn run(
    config: Config,
    options: RunOptions,
    shutdown: Shutdown,
    reloads: ReloadRequests,
) -> Result<RunReport, PipelineError> {
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

    let stats = PipelineStats::default();
    let (sink_stop, sink_shutdown) = shutdown::channel();
    let mut config = config;
    if options.once {
        config.sources.retain(|source| {
            let file = matches!(source.kind, SourceKind::File(_));
            if !file {
                tracing::warn!(source = %source.id, "--once reads file sources only; this socket source is not started.");
            }
            file
        });
    }
    let sink_shutdown_for_alerts = sink_shutdown.clone();
    let mut components = RunningComponents::new(
        &config,
        options.once,
        journal.clone(),
        stats.clone(),
        shutdown.clone(),
        sink_shutdown,
    );
    let mut sinks = Vec::with_capacity(config.sinks.len());
    for sink in &config.sinks {
        sinks.push(components.build_sink(sink)?);
    }
    let mut journaled = {
        let journal = journal.clone();
        tokio::task::spawn_blocking(move || journaled_positions(&journal, TAIL_SCAN_RECORDS))
            .await
            .unwrap_or_default()
    };
    let (alert_service, alert_tap) = match crate::alerts::AlertService::build(&config)? {
        Some((service, tap)) => (Some(service), Some(tap)),
        None => (None, None),
    };
    components.set_alerts(alert_tap);
    let mut sources = Vec::with_capacity(config.sources.len());
    for source in &config.sources {
        let journaled = journaled.remove(&source.id).unwrap_or_default();
        sources.push(components.build_source(source, journaled)?);
    }

    // Alerting: rules compiled, outbox opened, channel clients built (a
    // bad channel refuses the start like a bad sink). Built before the
    // sources, which hand it their events.
    let ready = Arc::new(AtomicBool::new(false));
    let admin_sinks = Arc::new(RwLock::new(
        config.sinks.iter().map(|s| s.id.clone()).collect(),
    ));
    if let Some(admin) = &config.admin {
        let state = crate::admin::AdminState {
            stats: stats.clone(),
            journal: journal.clone(),
            sinks: admin_sinks.clone(),
            ready: ready.clone(),
            started: Instant::now(),
            alerts: alert_service.as_ref().map(|s| s.stats()),
        };
        crate::admin::start(&admin.address, state, shutdown.clone())
            .await
            .map_err(|reason| PipelineError::Admin { reason })?;
    }
    let alert_handle = alert_service.map(|service| {
        tokio::spawn(service.run(journal.clone(), sink_shutdown_for_alerts.clone()))
    });
    for (sink, task) in config.sinks.iter().zip(sinks) {
        components.spawn_sink(sink.clone(), task);
    }
    for (source, task) in config.sources.iter().zip(sources) {
        components.spawn_source(source.clone(), task);
    }
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
    if let Some(on_started) = options.on_started {
        on_started();
    }
    // Journal recovered, cursors and sources open: tell systemd (no-op outside it).
    let notifier = std::sync::Arc::new(crate::systemd_notify::SystemdNotifier::from_env());
    notifier.ready(&format!(
        "Running: {} sources, {} sinks.",
        config.sources.len(),
        config.sinks.len()
    ));
    let _watchdog = notifier.spawn_watchdog(shutdown.clone());

    let summary = options
        .summary_interval
        .map(|every| summary_log::spawn(stats.clone(), notifier.clone(), every, shutdown.clone()));

    let mut checkpointer = Some(checkpointer);
    let backfill_complete = if options.once {
        let checkpoint = (checkpoint_stop.clone(), &mut checkpointer);
        backfill::run_to_end(
            &mut components,
            &journal,
            &stats,
            options.progress_bar,
            checkpoint,
            shutdown.clone(),
        )
        .await
    } else {
        let running = config;
        reloader::serve(
            reloads,
            running,
            &mut components,
            &stats,
            &admin_sinks,
            shutdown.clone(),
        )
        .await;
        false
    };
    ready.store(false, Ordering::Relaxed);
    notifier.stopping("Stopping: draining sinks.");
    tracing::info!("Stopping: sources first, then sinks drain, then the journal closes.");
    // One budget for the whole stop (`shutdown_timeout`), so the phases
    // together never hold the exit longer than configured.
    let deadline = tokio::time::Instant::now() + options.drain_timeout;
    let sources_done = components.wait_sources();
    // A source blocked on a full journal (sinks down) cannot finish its
    // last append; it is abandoned here and its unacknowledged lines are
    // read again at the next start.
    if tokio::time::timeout_at(deadline, sources_done)
        .await
        .is_err()
    {
        tracing::warn!("Sources did not finish in time (journal full?); their unacknowledged lines will be read again at the next start.");
    }
    // The final checkpoint signs the trail through the sources' last event,
    // and is journaled before sinks drain so that they deliver it too.
    checkpoint_stop.fire();
    if let Some(checkpointer) = checkpointer {
        let _ = tokio::time::timeout_at(deadline, checkpointer).await;
    }
    sink_stop.fire();
    let drain = components.wait_sinks();
    if tokio::time::timeout_at(deadline, drain).await.is_err() {
        tracing::warn!(
            timeout_ms = options.drain_timeout.as_millis() as u64,
            "Sinks did not finish draining in time; the rest stays in the journal for the next start."
        );
    }
    if let Some(alerts) = alert_handle {
        // Delivery stopped with the sinks; what is undelivered stays in
        // the outbox for the next start.
        if tokio::time::timeout_at(deadline, alerts).await.is_err() {
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
    Ok(RunReport {
        stats,
        backfill_complete,
    })
}
