//! The one-line summary the running agent logs every few seconds (and
//! shows as systemd `STATUS=`), so an operator sees events flow.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::stats::PipelineStats;
use crate::shutdown::Shutdown;
use crate::systemd_notify::SystemdNotifier;

/// Logs the rates since the previous line every `every`, until `stop`.
pub fn spawn(
    stats: PipelineStats,
    notifier: Arc<SystemdNotifier>,
    every: Duration,
    mut stop: Shutdown,
) -> JoinHandle<()> {
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
}
