//! Reading one stream connection (syslog TCP/TLS, unix stream): bytes →
//! [`Framer`] → [`Ingest::store`], until the peer closes, goes idle, errs,
//! or the agent stops.
//!
//! Back-pressure: the next read happens only after the frames of the last
//! one are durable, so while the journal is full nothing is read and the
//! sender's writes block on TCP flow control. Memory per connection is one
//! read buffer plus one frame.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::framing::Framer;
use super::ingest::{Ingest, Peer};
use crate::shutdown::Shutdown;

/// Bytes read at once.
const READ_BUFFER: usize = 64 * 1024;

/// Why a connection ended.
#[derive(Debug, PartialEq, Eq)]
pub enum StreamEnd {
    Closed,
    Idle,
    Stopping,
    /// The pipeline could not store (journal error, agent stopping).
    NotStored,
}

/// Reads `reader` to its end; frames complete at the end (a last line
/// without LF) are stored too, so nothing the peer sent is left behind.
pub async fn read_frames<R: AsyncRead + Unpin>(
    mut reader: R,
    max_frame: usize,
    idle: Duration,
    ingest: &Ingest,
    peer: Peer,
    shutdown: &mut Shutdown,
) -> std::io::Result<StreamEnd> {
    let mut framer = Framer::new(max_frame);
    let mut buf = vec![0u8; READ_BUFFER];
    let mut frames = Vec::new();
    let end = loop {
        let read = tokio::select! {
            _ = shutdown.recv() => break StreamEnd::Stopping,
            read = tokio::time::timeout(idle, reader.read(&mut buf)) => read,
        };
        let n = match read {
            Err(_) => break StreamEnd::Idle,
            Ok(Ok(0)) => break StreamEnd::Closed,
            Ok(Ok(n)) => n,
            Ok(Err(error)) => {
                framer.finish(&mut frames);
                let _ = ingest
                    .store(std::mem::take(&mut frames), peer.clone())
                    .await;
                return Err(error);
            }
        };
        framer.push(&buf[..n], &mut frames);
        if !frames.is_empty()
            && ingest
                .store(std::mem::take(&mut frames), peer.clone())
                .await
                .is_err()
        {
            return Ok(StreamEnd::NotStored);
        }
    };
    framer.finish(&mut frames);
    if ingest.store(frames, peer).await.is_err() {
        return Ok(StreamEnd::NotStored);
    }
    Ok(end)
}
