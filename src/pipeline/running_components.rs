//! The sources and sinks that are running now, each with its own stop
//! signal, so that a reload can stop, start or replace one of them while
//! the others carry on untouched.
//!
//! Owns: building a component from its configuration, spawning it, and
//! stopping it at a clean boundary:
//!
//! - a source stops reading, hands what it read to the journal and saves
//!   its checkpoints (file offsets) — a changed source started again under
//!   the same id resumes from them, so nothing is read twice or skipped;
//! - a sink is *halted*: no further reads, its batches in flight finish and
//!   its journal cursor commits through them; a changed sink resumes from
//!   that cursor, and a removed sink's cursor is released so it no longer
//!   holds journal segments.
//!
//! The global settings these are built with (data directory, host, journal
//! size) are those the agent started with; a reload never changes them.

use std::collections::HashMap;
use std::path::PathBuf;

use tokio::task::JoinHandle;

use super::file_source::{FileSourceTask, JournaledPositions};
use super::reload::ReloadPlan;
use super::sink_runner::SinkTask;
use super::socket_source::SocketSourceTask;
use super::source_task::SourceTask;
use super::stats::PipelineStats;
use super::PipelineError;
use crate::alerts::AlertTap;
use crate::config::{Config, SinkConfig, SourceConfig, SourceKind};
use crate::journal::Journal;
use crate::shutdown::{Shutdown, ShutdownTrigger};

struct RunningSource {
    config: SourceConfig,
    stop: ShutdownTrigger,
    handle: JoinHandle<()>,
}

struct RunningSink {
    config: SinkConfig,
    halt: ShutdownTrigger,
    stop: ShutdownTrigger,
    handle: JoinHandle<()>,
}

/// The agent's running sources and sinks.
pub struct RunningComponents {
    journal: Journal,
    stats: PipelineStats,
    data_dir: PathBuf,
    host: String,
    journal_max_bytes: u64,
    /// `--once`: file sources stop at the end of their files.
    once: bool,
    /// The agent's stop signal: every source's signal is a child of it.
    sources_stop: Shutdown,
    /// The agent's "sinks drain now" signal, fired after sources stopped.
    sinks_stop: Shutdown,
    sources: Vec<RunningSource>,
    sinks: Vec<RunningSink>,
    /// Where sources hand events to the alert rules (`None`: no rules).
    /// Sources built by a reload get it too; the rules themselves are
    /// fixed at start.
    alerts: Option<AlertTap>,
}

impl RunningComponents {
    pub fn new(
        config: &Config,
        once: bool,
        journal: Journal,
        stats: PipelineStats,
        sources_stop: Shutdown,
        sinks_stop: Shutdown,
    ) -> RunningComponents {
        RunningComponents {
            journal,
            stats,
            data_dir: config.data_dir.clone(),
            host: config.host.clone(),
            journal_max_bytes: config.journal.max_bytes,
            once,
            sources_stop,
            sinks_stop,
            sources: Vec::new(),
            sinks: Vec::new(),
            alerts: None,
        }
    }

    /// Every source built from now on evaluates the alert rules.
    pub fn set_alerts(&mut self, alerts: Option<AlertTap>) {
        self.alerts = alerts;
    }

    /// Builds a source (opens checkpoints, binds listeners) without running it.
    pub fn build_source(
        &self,
        source: &SourceConfig,
        journaled: JournaledPositions,
    ) -> Result<SourceTask, PipelineError> {
        let task = match &source.kind {
            SourceKind::File(file) => SourceTask::File(Box::new(FileSourceTask::build(
                &source.id,
                file,
                &self.host,
                self.data_dir
                    .join("checkpoints")
                    .join(format!("{}.json", source.id)),
                journaled,
                self.journal_max_bytes,
                self.once,
            )?)),
            other => SourceTask::Socket(Box::new(SocketSourceTask::build(
                &source.id, other, &self.host,
            )?)),
        };
        Ok(task.with_alerts(self.alerts.clone()))
    }

    /// Builds a sink (the destination and its journal cursor).
    pub fn build_sink(&self, sink: &SinkConfig) -> Result<SinkTask, PipelineError> {
        SinkTask::build(sink, &self.journal, self.data_dir.clone())
    }

    pub fn spawn_source(&mut self, config: SourceConfig, task: SourceTask) {
        let (stop, signal) = self.sources_stop.child();
        let handle = tokio::spawn(task.run(self.journal.clone(), self.stats.clone(), signal));
        self.sources.push(RunningSource {
            config,
            stop,
            handle,
        });
    }

    pub fn spawn_sink(&mut self, config: SinkConfig, task: SinkTask) {
        let (stop, signal) = self.sinks_stop.child();
        let (halt, halt_signal) = crate::shutdown::channel();
        let handle = tokio::spawn(task.run(self.stats.clone(), signal, halt_signal));
        self.sinks.push(RunningSink {
            config,
            halt,
            stop,
            handle,
        });
    }

    /// Ids of the running sinks, in start order.
    pub fn sink_ids(&self) -> Vec<String> {
        self.sinks.iter().map(|s| s.config.id.clone()).collect()
    }

    /// The configurations that run now.
    pub fn configs(&self) -> (Vec<SourceConfig>, Vec<SinkConfig>) {
        (
            self.sources.iter().map(|s| s.config.clone()).collect(),
            self.sinks.iter().map(|s| s.config.clone()).collect(),
        )
    }

    pub fn counts(&self) -> (usize, usize) {
        (self.sources.len(), self.sinks.len())
    }

    /// Stops source `id` and waits until its checkpoints are saved.
    async fn stop_source(&mut self, id: &str) -> Option<SourceConfig> {
        let index = self.sources.iter().position(|s| s.config.id == id)?;
        let source = self.sources.remove(index);
        source.stop.fire();
        let _ = source.handle.await;
        tracing::info!(source = %id, "Source stopped for the reload; its position is saved.");
        Some(source.config)
    }

    /// Halts sink `id` and waits until its in-flight batches are committed.
    async fn halt_sink(&mut self, id: &str) -> Option<SinkConfig> {
        let index = self.sinks.iter().position(|s| s.config.id == id)?;
        let sink = self.sinks.remove(index);
        sink.halt.fire();
        sink.stop.fire();
        let _ = sink.handle.await;
        tracing::info!(sink = %id, "Sink stopped for the reload; its journal cursor is saved.");
        Some(sink.config)
    }

    /// Carries out `plan` towards `new` (already [`ReloadPlan::effective`]).
    /// Returns the ids of components that could not start with their new
    /// configuration (each is logged; a changed one is started again with
    /// its previous configuration).
    pub async fn apply(&mut self, plan: &ReloadPlan, new: &Config) -> Vec<String> {
        let mut previous_sources = HashMap::new();
        for id in plan.sources.to_stop() {
            if let Some(config) = self.stop_source(id).await {
                previous_sources.insert(id.clone(), config);
            }
        }
        let mut previous_sinks = HashMap::new();
        for id in plan.sinks.to_stop() {
            if let Some(config) = self.halt_sink(id).await {
                previous_sinks.insert(id.clone(), config);
            }
        }
        for id in &plan.sinks.removed {
            self.stats.forget_sink(id);
        }
        let keep: Vec<&str> = new.sinks.iter().map(|s| s.id.as_str()).collect();
        if let Err(error) = self.journal.release_cursors_except(&keep) {
            tracing::warn!(%error, "Cannot release the journal cursors of removed sinks; they keep holding journal space until the next start.");
        }

        let mut failed = Vec::new();
        let sinks = new.sinks.iter();
        for config in sinks.filter(|s| plan.sinks.to_start().any(|id| *id == s.id)) {
            let previous = previous_sinks.get(&config.id);
            if let Some((config, task)) =
                start_or_fall_back("sink", config, previous, |c| self.build_sink(c))
            {
                self.spawn_sink(config, task);
            }
            if !self.sinks.iter().any(|s| s.config == *config) {
                failed.push(config.id.clone());
            }
        }
        let sources = new.sources.iter();
        for config in sources.filter(|s| plan.sources.to_start().any(|id| *id == s.id)) {
            let previous = previous_sources.get(&config.id);
            if let Some((config, task)) = start_or_fall_back("source", config, previous, |c| {
                self.build_source(c, JournaledPositions::default())
            }) {
                self.spawn_source(config, task);
            }
            if !self.sources.iter().any(|s| s.config == *config) {
                failed.push(config.id.clone());
            }
        }
        failed
    }

    /// Waits for every source to finish after the agent's stop signal
    /// (they stop on their own: their signals are children of it).
    pub async fn wait_sources(&mut self) {
        for source in self.sources.drain(..) {
            let _ = source.handle.await;
        }
    }

    /// Waits for every sink to finish draining after the sinks' stop signal.
    pub async fn wait_sinks(&mut self) {
        for sink in self.sinks.drain(..) {
            let _ = sink.handle.await;
        }
    }
}

/// Builds a component from its new configuration; if that fails, logs why
/// and builds it from its `previous` configuration (a changed component
/// keeps running as it was). `None` when neither could be built.
fn start_or_fall_back<C: Clone, T>(
    kind: &str,
    config: &C,
    previous: Option<&C>,
    build: impl Fn(&C) -> Result<T, PipelineError>,
) -> Option<(C, T)> {
    let error = match build(config) {
        Ok(task) => return Some((config.clone(), task)),
        Err(error) => error,
    };
    tracing::error!(%error, "Reload: cannot start the {kind} with its new configuration.");
    let previous = previous?;
    match build(previous) {
        Ok(task) => {
            tracing::warn!("Reload: the {kind} runs on with its previous configuration.");
            Some((previous.clone(), task))
        }
        Err(error) => {
            tracing::error!(%error, "Reload: the {kind} cannot start again either; it stays stopped until the next reload or restart (what it had journaled stays in the journal).");
            None
        }
    }
}
