//! Syslog over UDP (RFC 5426): one message per datagram, a trailing LF or
//! CR LF removed. Datagrams cannot wait for the journal: the ones that
//! arrive while the pipeline's queue is full are counted as dropped and
//! warned about (rate-limited), never silently lost.

use std::sync::Arc;

use tokio::net::UdpSocket;

use crate::config::SyslogSourceConfig;
use crate::shutdown::Shutdown;
use crate::sources::datagram::DatagramBatcher;
use crate::sources::ingest::{network_peer, Ingest};

/// A bound UDP syslog socket.
pub struct SyslogUdp {
    id: Arc<str>,
    socket: UdpSocket,
    max_frame: usize,
}

impl SyslogUdp {
    pub fn bind(id: &str, config: &SyslogSourceConfig) -> Result<SyslogUdp, String> {
        Ok(SyslogUdp {
            id: Arc::from(id),
            socket: crate::sources::bind::udp(config.address)?,
            max_frame: config.common.max_frame_bytes,
        })
    }

    pub async fn run(self, ingest: Ingest, mut shutdown: Shutdown) {
        tracing::info!(source = %self.id, address = %self.socket.local_addr().map(|a| a.to_string()).unwrap_or_default(), "Syslog source listening (UDP).");
        let mut batcher = DatagramBatcher::new(self.id.clone(), self.max_frame);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let received = tokio::select! {
                _ = shutdown.recv() => break,
                received = self.socket.recv_from(&mut buf) => received,
            };
            match received {
                Ok((n, addr)) => batcher.add(&buf[..n], network_peer(addr)),
                Err(error) => {
                    tracing::debug!(source = %self.id, %error, "UDP receive failed.");
                    continue;
                }
            }
            // Take whatever else is already waiting, then hand it over.
            while batcher.wants_more() {
                match self.socket.try_recv_from(&mut buf) {
                    Ok((n, addr)) => batcher.add(&buf[..n], network_peer(addr)),
                    Err(_) => break,
                }
            }
            batcher.flush(&ingest);
        }
        batcher.flush(&ingest);
    }
}
