//! Journals a signed `agent.checkpoint` event (see `chain::checkpoint`)
//! every `checkpoint_events` events or `checkpoint_interval`, whichever
//! comes first, and a last one at shutdown once the sources have stopped,
//! so a trail that ends cleanly is signed to its end.
//!
//! The checkpoint is built inside the journal's encode closure, on the
//! writer thread: only there are "the newest seq" and its link known
//! exactly, in journal order. Signing costs tens of microseconds, once per
//! checkpoint.
//!
//! `seq_from` is the first seq after the previous checkpoint of this run;
//! after a start it is the journal's next seq at open (after a graceful stop
//! that is right after the final checkpoint; after a crash the events in
//! between are still covered through the chain, which `link(seq_to)` commits
//! to).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::time::Instant;

use super::encoded_event::EncodedEvent;
use super::journal_record::{self, AGENT_SOURCE_ID};
use crate::chain::checkpoint::{Checkpoint, CheckpointSigner};
use crate::config::IntegrityConfig;
use crate::journal::{Journal, JournalError};
use crate::shutdown::Shutdown;

/// The checkpoint task's state.
pub struct Checkpointer {
    signer: Arc<CheckpointSigner>,
    host: Arc<str>,
    every_events: u64,
    interval: Duration,
    /// First seq the next checkpoint covers.
    seq_from: u64,
}

impl Checkpointer {
    pub fn new(
        signer: CheckpointSigner,
        host: &str,
        config: &IntegrityConfig,
        journal: &Journal,
    ) -> Checkpointer {
        Checkpointer {
            signer: Arc::new(signer),
            host: Arc::from(host),
            every_events: config.checkpoint_events.max(1),
            interval: config.checkpoint_interval,
            seq_from: journal.stats().next_seq,
        }
    }

    /// Runs until `stop`, then writes the final checkpoint. Fire `stop` only
    /// after the sources stopped appending.
    pub async fn run(mut self, journal: Journal, mut stop: Shutdown) {
        let mut committed = journal.watch_committed();
        let mut deadline = Instant::now() + self.interval;
        loop {
            let due = tokio::select! {
                _ = stop.recv() => break,
                changed = committed.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let newest = *committed.borrow_and_update();
                    newest + 1 >= self.seq_from + self.every_events
                }
                _ = tokio::time::sleep_until(deadline) => true,
            };
            if due {
                if let Err(error) = self.checkpoint(&journal).await {
                    tracing::error!(%error, "Could not journal a signed checkpoint; the trail since the last one stays unsigned until the next succeeds.");
                }
                deadline = Instant::now() + self.interval;
            }
        }
        if let Err(error) = self.checkpoint(&journal).await {
            tracing::warn!(%error, "Could not journal the final checkpoint; the trail's tail stays unsigned until the next start's first checkpoint.");
        }
    }

    /// Journals one checkpoint over everything since the previous one; does
    /// nothing when no event arrived since.
    pub async fn checkpoint(&mut self, journal: &Journal) -> Result<(), JournalError> {
        let signer = Arc::clone(&self.signer);
        let host = Arc::clone(&self.host);
        let seq_from = self.seq_from;
        let range = journal
            .append(Box::new(move |writer| {
                let seq_to = writer.next_seq() - 1;
                if seq_to < seq_from {
                    return;
                }
                let checkpoint = Checkpoint {
                    host: host.to_string(),
                    seq_from,
                    seq_to,
                    link: *writer.link(),
                };
                let event = EncodedEvent::encode(&signer.event(&checkpoint, Utc::now()));
                journal_record::push_event(writer, AGENT_SOURCE_ID, None, event.as_ref());
            }))
            .await?;
        if let Some(range) = range {
            tracing::debug!(seq = range.first, "Journaled a signed checkpoint.");
            self.seq_from = range.last + 1;
        }
        Ok(())
    }
}
