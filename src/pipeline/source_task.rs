//! One running source of any type, so the agent starts and stops them
//! alike: `file` sources tail files, the others listen on sockets.

use super::file_source::FileSourceTask;
use super::socket_source::SocketSourceTask;
use super::stats::PipelineStats;
use crate::journal::Journal;
use crate::shutdown::Shutdown;

pub enum SourceTask {
    File(Box<FileSourceTask>),
    Socket(Box<SocketSourceTask>),
}

impl SourceTask {
    /// Runs until `shutdown`, then hands what it read to the journal.
    pub async fn run(self, journal: Journal, stats: PipelineStats, shutdown: Shutdown) {
        match self {
            SourceTask::File(task) => (*task).run(journal, stats, shutdown).await,
            SourceTask::Socket(task) => (*task).run(journal, stats, shutdown).await,
        }
    }
}
