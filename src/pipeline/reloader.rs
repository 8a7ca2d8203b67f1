//! The agent's side of a reload request (SIGHUP, or a changed file with
//! `--watch-config`): read and validate the file again, compare it with
//! what runs ([`ReloadPlan`]), apply it ([`RunningComponents::apply`]),
//! and record the outcome.
//!
//! An invalid file is rejected as a whole before anything is touched: the
//! error (file:line:column: reason) is logged, counted in
//! `auditship_config_reloads_total{result="rejected"}`, and the running
//! configuration carries on.

use std::path::PathBuf;
use std::sync::RwLock;

use tokio::sync::mpsc;

use super::reload::ReloadPlan;
use super::running_components::RunningComponents;
use super::stats::PipelineStats;
use crate::config::Config;
use crate::shutdown::Shutdown;

/// Why a reload was asked for (for the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadCause {
    /// SIGHUP (`systemctl reload`).
    Signal,
    /// `--watch-config` saw the file's content change.
    FileChanged,
}

/// Where reload requests come from and which file they re-read.
pub struct ReloadRequests {
    /// The file given with `-c`; `None` for the built-in demo, which has
    /// nothing to re-read.
    pub path: Option<PathBuf>,
    pub requests: mpsc::Receiver<ReloadCause>,
}

impl ReloadRequests {
    /// Requests that never come (tools and tests that do not reload).
    pub fn none() -> ReloadRequests {
        let (_, requests) = mpsc::channel(1);
        ReloadRequests {
            path: None,
            requests,
        }
    }

    /// The next request; pending forever once every sender is gone.
    pub async fn next(&mut self) -> ReloadCause {
        match self.requests.recv().await {
            Some(cause) => cause,
            None => std::future::pending().await,
        }
    }
}

/// Applies a reload at each request until `shutdown`; `admin_sinks` (what
/// `/metrics` and `/status` list) follows the running sinks.
pub async fn serve(
    mut reloads: ReloadRequests,
    mut running: Config,
    components: &mut RunningComponents,
    stats: &PipelineStats,
    admin_sinks: &RwLock<Vec<String>>,
    mut shutdown: Shutdown,
) {
    loop {
        let cause = tokio::select! {
            _ = shutdown.recv() => return,
            cause = reloads.next() => cause,
        };
        let path = reloads.path.clone();
        // A reload waits for stopping components (a source blocked on a
        // full journal waits for sinks): a stop signal must still get
        // through. Components already told to stop finish on their own.
        let changed = tokio::select! {
            changed = reload(cause, path.as_ref(), &mut running, components, stats) => changed,
            _ = shutdown.recv() => {
                tracing::warn!("Stop signal during a reload: stopping with the components started so far.");
                return;
            }
        };
        if let Some(sink_ids) = changed {
            *admin_sinks.write().unwrap_or_else(|e| e.into_inner()) = sink_ids;
        }
    }
}

/// Re-reads the configuration and applies it; `running` becomes what now
/// runs. Returns the sink ids now running when something changed.
async fn reload(
    cause: ReloadCause,
    path: Option<&PathBuf>,
    running: &mut Config,
    components: &mut RunningComponents,
    stats: &PipelineStats,
) -> Option<Vec<String>> {
    let Some(path) = path else {
        tracing::warn!(?cause, "Reload requested, but the agent runs the built-in demo configuration (no -c): nothing to re-read.");
        return None;
    };
    let load_path = path.clone();
    let loaded = tokio::task::spawn_blocking(move || crate::config::load(&load_path)).await;
    let new = match loaded {
        Ok(Ok(config)) => config,
        Ok(Err(error)) => {
            stats.record_reload(false);
            tracing::error!(
                ?cause,
                "Configuration reload rejected; the running configuration is kept:\n{error}"
            );
            return None;
        }
        Err(error) => {
            stats.record_reload(false);
            tracing::error!(?cause, %error, "Configuration reload failed; the running configuration is kept.");
            return None;
        }
    };
    let plan = ReloadPlan::between(running, &new);
    for setting in &plan.restart_needed {
        tracing::warn!(setting, "Reload: this setting changed but only takes effect at a restart; the running value is kept.");
    }
    if plan.changes_no_component() {
        stats.record_reload(true);
        tracing::info!(?cause, "Configuration reloaded: no source or sink changed.");
        return None;
    }
    tracing::info!(?cause, "Reloading the configuration: {}.", plan.describe());
    let effective = ReloadPlan::effective(running, new);
    let failed = components.apply(&plan, &effective).await;
    // What runs, which differs from the file where a component fell back
    // to its previous configuration: the next reload compares with this.
    let (sources, sinks) = components.configs();
    *running = Config {
        sources,
        sinks,
        ..effective
    };
    if failed.is_empty() {
        stats.record_reload(true);
        let (sources, sinks) = components.counts();
        tracing::info!(sources, sinks, "Configuration reloaded.");
    } else {
        stats.record_reload(false);
        tracing::error!(components = %failed.join(", "), "Configuration reload applied only in part: these did not start with their new configuration (see the errors above).");
    }
    Some(components.sink_ids())
}
