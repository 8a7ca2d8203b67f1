//! One running source of any type, so the agent starts and stops them
//! alike: `file` sources tail files, the others listen on sockets.

use super::file_source::FileSourceTask;
use super::socket_source::SocketSourceTask;
use super::stats::PipelineStats;
use crate::alerts::AlertTap;
use crate::journal::Journal;
use crate::shutdown::Shutdown;

pub enum SourceTask {
    File(Box<FileSourceTask>),
    Socket(Box<SocketSourceTask>),
}

impl SourceTask {
    /// Evaluates alert rules on every event the source parses.
    pub fn with_alerts(self, alerts: Option<AlertTap>) -> SourceTask {
        match self {
            SourceTask::File(task) => SourceTask::File(Box::new(task.with_alerts(alerts))),
            SourceTask::Socket(mut task) => {
                task.set_alerts(alerts);
                SourceTask::Socket(task)
            }
        }
    }

    /// Runs until `shutdown`, then hands what it read to the journal.
    pub async fn run(self, journal: Journal, stats: PipelineStats, shutdown: Shutdown) {
        match self {
            SourceTask::File(task) => (*task).run(journal, stats, shutdown).await,
            SourceTask::Socket(task) => (*task).run(journal, stats, shutdown).await,
        }
    }
}
