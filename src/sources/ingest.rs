//! The hand-off from a socket source to the pipeline: framed entries go in,
//! an acknowledgement comes back once they are durable in the journal.
//!
//! Why a channel and a oneshot: the source must not know formats or the
//! journal (DESIGN §3), yet a stream socket must stop being read while the
//! journal is full and an HTTP client must get its 200 only after the
//! fsync. [`Ingest::store`] gives both: it resolves only when the
//! pipeline says the entries are durable, so a connection task that awaits
//! it reads nothing more meanwhile (back-pressure reaches the sender through
//! TCP flow control). Datagram sources cannot wait, so they use
//! [`Ingest::try_store`], which refuses at once when the queue is full; the
//! caller counts the loss.

use std::sync::Arc;

use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};

/// One framed entry, before parsing.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A complete entry (without its terminator).
    Entry(Vec<u8>),
    /// An entry longer than the source's limit: its first bytes and its
    /// full length. Becomes a quarantine event.
    TooLong { prefix: Vec<u8>, len: u64 },
    /// Bytes that could not be framed (garbage where an octet count was
    /// expected, a frame cut by the end of the connection). Quarantined
    /// with `reason`.
    Broken { bytes: Vec<u8>, reason: String },
    /// An event another agent already read, normalized and journaled (sent
    /// by its `http` sink with `encoding = "auditship"`), `len` bytes on the
    /// wire. It is not parsed again: the pipeline only hands it over to this
    /// agent ([`crate::event::AgentInfo::hand_over`]).
    Forwarded {
        event: Box<crate::event::AuditEvent>,
        len: u64,
    },
}

impl Frame {
    /// Input bytes the frame stands for, for the `bytes read` counter.
    pub fn input_len(&self) -> u64 {
        match self {
            Frame::Entry(bytes) | Frame::Broken { bytes, .. } => bytes.len() as u64,
            Frame::TooLong { len, .. } | Frame::Forwarded { len, .. } => *len,
        }
    }
}

/// Who sent a batch: becomes `origin.peer` (`{addr}` for network peers,
/// `{pid, uid, gid}` for unix stream peers).
pub type Peer = Option<Arc<Map<String, Value>>>;

/// Why entries were not stored.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    #[error("the agent is stopping")]
    Stopping,
    #[error("the journal refused the entries: {0}")]
    Journal(String),
    #[error("the journal is full (sinks are behind); retry later")]
    Full,
}

/// Entries of one sender, stored and acknowledged together.
#[derive(Debug)]
pub struct FrameBatch {
    pub frames: Vec<Frame>,
    pub peer: Peer,
    /// Resolved once the entries are durable (or cannot be).
    pub ack: Option<oneshot::Sender<Result<(), StoreError>>>,
}

/// What the pipeline tells a source, and what a source reports that never
/// reaches the journal. Implemented by the pipeline (journal state, stats).
pub trait IngestHooks: Send + Sync {
    /// Appends are currently held back (the journal is full).
    fn journal_full(&self) -> bool;
    /// A peer or request was refused (credentials, token): nothing read.
    fn refused(&self, count: u64);
    /// Entries received but not stored (datagrams while the queue was full).
    fn dropped(&self, count: u64);
}

/// A socket source's handle on the pipeline. Cheap to clone: one per
/// connection task.
#[derive(Clone)]
pub struct Ingest {
    tx: mpsc::Sender<FrameBatch>,
    hooks: Arc<dyn IngestHooks>,
}

impl Ingest {
    pub fn new(tx: mpsc::Sender<FrameBatch>, hooks: Arc<dyn IngestHooks>) -> Ingest {
        Ingest { tx, hooks }
    }

    /// Counts a refused peer or request.
    pub fn record_refused(&self) {
        self.hooks.refused(1);
    }

    /// Counts entries that could not be stored.
    pub fn record_dropped(&self, count: u64) {
        self.hooks.dropped(count);
    }

    /// Stores `frames` and resolves once they are durable. Waits (does not
    /// fail) while the pipeline is busy: that wait is the back-pressure.
    pub async fn store(&self, frames: Vec<Frame>, peer: Peer) -> Result<(), StoreError> {
        if frames.is_empty() {
            return Ok(());
        }
        let (ack, done) = oneshot::channel();
        let batch = FrameBatch {
            frames,
            peer,
            ack: Some(ack),
        };
        self.tx
            .send(batch)
            .await
            .map_err(|_| StoreError::Stopping)?;
        done.await.unwrap_or(Err(StoreError::Stopping))
    }

    /// Queues `frames` without waiting for durability; `Err(Full)` at once
    /// when the pipeline cannot take them (the caller counts them dropped).
    pub fn try_store(&self, frames: Vec<Frame>, peer: Peer) -> Result<(), StoreError> {
        let batch = FrameBatch {
            frames,
            peer,
            ack: None,
        };
        self.tx.try_send(batch).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => StoreError::Full,
            mpsc::error::TrySendError::Closed(_) => StoreError::Stopping,
        })
    }

    /// True while new entries would wait: the journal is full or the queue
    /// to it is.
    pub fn is_congested(&self) -> bool {
        self.tx.capacity() == 0 || self.hooks.journal_full()
    }
}

/// `{addr}` of a network peer.
pub fn network_peer(addr: std::net::SocketAddr) -> Peer {
    let mut map = Map::new();
    map.insert("addr".into(), Value::String(addr.to_string()));
    Some(Arc::new(map))
}
