//! `unix` source, `mode = "stream"`: one task per connection. The peer's
//! pid/uid/gid come from `SO_PEERCRED` (the kernel's word, not the
//! peer's) and go to `origin.peer`; a peer outside `allow_uids` /
//! `allow_gids` is refused before a byte is read (logged rate-limited,
//! counted as refused).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UnixListener;
use tokio::sync::Semaphore;

use super::peer::{credentials_peer, PeerAllowList};
use super::socket_file::{self, SocketFile};
use crate::config::UnixSourceConfig;
use crate::shutdown::Shutdown;
use crate::sources::ingest::Ingest;
use crate::sources::log_limit::LogLimit;
use crate::sources::stream::read_frames;

pub struct UnixStreamSource {
    id: Arc<str>,
    listener: UnixListener,
    file: SocketFile,
    allow: PeerAllowList,
    max_frame: usize,
    max_connections: usize,
    idle_timeout: Duration,
}

impl UnixStreamSource {
    pub fn bind(id: &str, config: &UnixSourceConfig) -> Result<UnixStreamSource, String> {
        let path: &Path = &config.path;
        socket_file::clear_stale(path)?;
        let listener = UnixListener::bind(path)
            .map_err(|e| format!("cannot listen on unix socket {}: {e}", path.display()))?;
        let file = SocketFile(path.to_path_buf());
        socket_file::set_mode(path, config.socket_mode)?;
        Ok(UnixStreamSource {
            id: Arc::from(id),
            listener,
            file,
            allow: PeerAllowList::from_config(config),
            max_frame: config.common.max_frame_bytes,
            max_connections: config.common.max_connections,
            idle_timeout: config.common.idle_timeout,
        })
    }

    pub async fn run(self, ingest: Ingest, mut shutdown: Shutdown) {
        let limit = Arc::new(Semaphore::new(self.max_connections));
        let refusals = LogLimit::default();
        tracing::info!(source = %self.id, path = %self.file.0.display(), "Unix stream source listening.");
        loop {
            let permit = tokio::select! {
                _ = shutdown.recv() => break,
                permit = limit.clone().acquire_owned() => permit.expect("never closed"),
            };
            let stream = tokio::select! {
                _ = shutdown.recv() => break,
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        tracing::warn!(source = %self.id, %error, "Could not accept a connection.");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let peer = match stream.peer_cred() {
                Ok(cred) => {
                    let (uid, gid, pid) = (cred.uid(), cred.gid(), cred.pid());
                    if !self.allow.allows(uid, gid) {
                        ingest.record_refused();
                        if let Some(suppressed) = refusals.check() {
                            tracing::warn!(source = %self.id, uid, gid, pid = ?pid, earlier_warnings_suppressed = suppressed, "Refused a unix socket peer not in allow_uids/allow_gids; nothing was read.");
                        }
                        continue;
                    }
                    credentials_peer(pid, uid, gid, None)
                }
                Err(error) if self.allow.restricts() => {
                    ingest.record_refused();
                    tracing::warn!(source = %self.id, %error, "Refused a unix socket peer whose credentials could not be read.");
                    continue;
                }
                Err(_) => None,
            };
            let (id, ingest, mut shutdown) = (self.id.clone(), ingest.clone(), shutdown.clone());
            let (max_frame, idle) = (self.max_frame, self.idle_timeout);
            tokio::spawn(async move {
                let end = read_frames(stream, max_frame, idle, &ingest, peer, &mut shutdown).await;
                tracing::debug!(source = %id, ?end, "Unix connection ended.");
                drop(permit);
            });
        }
        drop(self.file);
    }
}
