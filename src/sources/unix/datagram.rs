//! `unix` source, `mode = "datagram"`: one entry per datagram.
//!
//! Limitation: the sender's pid/uid/gid would need `SCM_CREDENTIALS`
//! (`recvmsg` with `SO_PASSCRED`), which neither std nor tokio offer
//! without `unsafe` or a new dependency; this version therefore records
//! only the sender's socket path when it bound one (`origin.peer.addr`),
//! and `allow_uids`/`allow_gids` are refused for datagram mode at
//! validation. Restrict writers with `socket_mode` and the directory's
//! permissions.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};
use tokio::net::UnixDatagram;

use super::socket_file::{self, SocketFile};
use crate::config::UnixSourceConfig;
use crate::shutdown::Shutdown;
use crate::sources::datagram::DatagramBatcher;
use crate::sources::ingest::{Ingest, Peer};

pub struct UnixDatagramSource {
    id: Arc<str>,
    socket: UnixDatagram,
    file: SocketFile,
    max_frame: usize,
}

impl UnixDatagramSource {
    pub fn bind(id: &str, config: &UnixSourceConfig) -> Result<UnixDatagramSource, String> {
        let path: &Path = &config.path;
        socket_file::clear_stale(path)?;
        let socket = UnixDatagram::bind(path)
            .map_err(|e| format!("cannot bind unix datagram socket {}: {e}", path.display()))?;
        let file = SocketFile(path.to_path_buf());
        socket_file::set_mode(path, config.socket_mode)?;
        Ok(UnixDatagramSource {
            id: Arc::from(id),
            socket,
            file,
            max_frame: config.common.max_frame_bytes,
        })
    }

    pub async fn run(self, ingest: Ingest, mut shutdown: Shutdown) {
        tracing::info!(source = %self.id, path = %self.file.0.display(), "Unix datagram source listening.");
        let mut batcher = DatagramBatcher::new(self.id.clone(), self.max_frame);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let received = tokio::select! {
                _ = shutdown.recv() => break,
                received = self.socket.recv_from(&mut buf) => received,
            };
            match received {
                Ok((n, addr)) => batcher.add(&buf[..n], sender_peer(addr.as_pathname())),
                Err(error) => {
                    tracing::debug!(source = %self.id, %error, "Unix datagram receive failed.");
                    continue;
                }
            }
            while batcher.wants_more() {
                match self.socket.try_recv_from(&mut buf) {
                    Ok((n, addr)) => batcher.add(&buf[..n], sender_peer(addr.as_pathname())),
                    Err(_) => break,
                }
            }
            batcher.flush(&ingest);
        }
        batcher.flush(&ingest);
        drop(self.file);
    }
}

fn sender_peer(path: Option<&Path>) -> Peer {
    let path = path?;
    let mut map = Map::new();
    map.insert("addr".into(), Value::String(path.display().to_string()));
    Some(Arc::new(map))
}
