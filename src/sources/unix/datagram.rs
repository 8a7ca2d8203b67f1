//! `unix` source, `mode = "datagram"`: one entry per datagram.
//!
//! The socket has `SO_PASSCRED` set, so the kernel attaches the sender's
//! pid/uid/gid (`SCM_CREDENTIALS`, the kernel's word, not the sender's) to
//! every datagram; `recvmsg` reads them with the datagram. They go to
//! `origin.peer` with the sender's socket path when it bound one
//! (`addr`). A datagram from a sender outside `allow_uids`/`allow_gids`
//! (or without credentials while a list is set) is dropped unread: logged
//! rate-limited and counted as refused (`auditship_source_refused_total`).

use std::io::{self, IoSliceMut};
use std::mem::MaybeUninit;
use std::path::Path;
use std::sync::Arc;

use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SocketAddrUnix, UCred};
use tokio::io::Interest;
use tokio::net::UnixDatagram;

use super::peer::{credentials_peer, PeerAllowList};
use super::socket_file::{self, SocketFile};
use crate::config::UnixSourceConfig;
use crate::shutdown::Shutdown;
use crate::sources::datagram::DatagramBatcher;
use crate::sources::ingest::{Ingest, Peer};
use crate::sources::log_limit::LogLimit;

pub struct UnixDatagramSource {
    id: Arc<str>,
    socket: UnixDatagram,
    file: SocketFile,
    allow: PeerAllowList,
    max_frame: usize,
}

/// One datagram's length, sender credentials and sender path.
struct Received {
    len: usize,
    cred: Option<UCred>,
    addr: Option<String>,
}

impl UnixDatagramSource {
    pub fn bind(id: &str, config: &UnixSourceConfig) -> Result<UnixDatagramSource, String> {
        let path: &Path = &config.path;
        socket_file::clear_stale(path)?;
        let socket = UnixDatagram::bind(path)
            .map_err(|e| format!("cannot bind unix datagram socket {}: {e}", path.display()))?;
        let file = SocketFile(path.to_path_buf());
        socket_file::set_mode(path, config.socket_mode)?;
        rustix::net::sockopt::set_socket_passcred(&socket, true).map_err(|e| {
            format!(
                "cannot ask for sender credentials (SO_PASSCRED) on {}: {e}",
                path.display()
            )
        })?;
        Ok(UnixDatagramSource {
            id: Arc::from(id),
            socket,
            file,
            allow: PeerAllowList::from_config(config),
            max_frame: config.common.max_frame_bytes,
        })
    }

    pub async fn run(self, ingest: Ingest, mut shutdown: Shutdown) {
        tracing::info!(source = %self.id, path = %self.file.0.display(), "Unix datagram source listening.");
        let mut batcher = DatagramBatcher::new(self.id.clone(), self.max_frame);
        let refusals = LogLimit::default();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let received = tokio::select! {
                _ = shutdown.recv() => break,
                received = self.socket.async_io(Interest::READABLE, || receive(&self.socket, &mut buf)) => received,
            };
            match received {
                Ok(datagram) => self.add(&mut batcher, &buf, datagram, &ingest, &refusals),
                Err(error) => {
                    tracing::debug!(source = %self.id, %error, "Unix datagram receive failed.");
                    continue;
                }
            }
            while batcher.wants_more() {
                match self
                    .socket
                    .try_io(Interest::READABLE, || receive(&self.socket, &mut buf))
                {
                    Ok(datagram) => self.add(&mut batcher, &buf, datagram, &ingest, &refusals),
                    Err(_) => break,
                }
            }
            batcher.flush(&ingest);
        }
        batcher.flush(&ingest);
        drop(self.file);
    }

    /// Adds the datagram in `buf` to the batch, or refuses its sender.
    fn add(
        &self,
        batcher: &mut DatagramBatcher,
        buf: &[u8],
        datagram: Received,
        ingest: &Ingest,
        refusals: &LogLimit,
    ) {
        match self.peer(&datagram) {
            Ok(peer) => batcher.add(&buf[..datagram.len.min(buf.len())], peer),
            Err(()) => {
                ingest.record_refused();
                if let Some(suppressed) = refusals.check() {
                    let (uid, gid, pid) = datagram.cred.map_or((None, None, None), |c| {
                        (
                            Some(c.uid.as_raw()),
                            Some(c.gid.as_raw()),
                            Some(c.pid.as_raw_nonzero().get()),
                        )
                    });
                    tracing::warn!(source = %self.id, uid = ?uid, gid = ?gid, pid = ?pid, earlier_warnings_suppressed = suppressed, "Refused a datagram from a sender not in allow_uids/allow_gids; it was dropped.");
                }
            }
        }
    }

    /// `origin.peer` of an allowed sender; `Err` for a refused one.
    fn peer(&self, datagram: &Received) -> Result<Peer, ()> {
        match datagram.cred {
            Some(cred) => {
                let (uid, gid) = (cred.uid.as_raw(), cred.gid.as_raw());
                if !self.allow.allows(uid, gid) {
                    return Err(());
                }
                let pid = Some(cred.pid.as_raw_nonzero().get());
                Ok(credentials_peer(pid, uid, gid, datagram.addr.clone()))
            }
            None if self.allow.restricts() => Err(()),
            None => Ok(datagram.addr.clone().map(|addr| {
                let mut map = serde_json::Map::new();
                map.insert("addr".into(), serde_json::Value::String(addr));
                Arc::new(map)
            })),
        }
    }
}

/// One `recvmsg` on the non-blocking socket (`WouldBlock` when empty).
fn receive(socket: &UnixDatagram, buf: &mut [u8]) -> io::Result<Received> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmCredentials(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut iov = [IoSliceMut::new(buf)];
    let msg = rustix::net::recvmsg(socket, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC)?;
    let mut cred = None;
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmCredentials(ucred) = message {
            cred = Some(ucred);
        }
    }
    let addr = msg
        .address
        .and_then(|a| SocketAddrUnix::try_from(a).ok())
        .and_then(|a| {
            a.path()
                .map(|p| String::from_utf8_lossy(p.to_bytes()).into_owned())
        });
    Ok(Received {
        len: msg.bytes,
        cred,
        addr,
    })
}
