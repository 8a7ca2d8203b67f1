//! Validated settings of the socket sources: `unix`, `syslog` and `http`.
//!
//! Kept apart from `types.rs` so each source's settings read as one page.
//! Paths of TLS files are checked when the source is built, not here
//! (validation does no I/O).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::types::{FormatConfig, Secret};

/// Settings every socket source shares: how entries are parsed and how much
/// one sender may hold.
#[derive(Debug, Clone, PartialEq)]
pub struct SocketCommon {
    pub format: FormatConfig,
    /// Keep the original entry in `raw`.
    pub keep_raw: bool,
    /// Longest frame (stream sockets), datagram or HTTP entry accepted; a
    /// longer one becomes a quarantine event.
    pub max_frame_bytes: usize,
    /// Most connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// A connection silent for this long is closed.
    pub idle_timeout: Duration,
}

/// `type = "unix"`: a local socket applications write to.
#[derive(Debug, Clone, PartialEq)]
pub struct UnixSourceConfig {
    pub path: PathBuf,
    pub mode: UnixMode,
    /// Peer uids let in (`SO_PEERCRED` per connection, `SCM_CREDENTIALS` per
    /// datagram); `None`: any peer the file mode admits.
    pub allow_uids: Option<Vec<u32>>,
    /// Peer gids let in, likewise; `None`: any.
    pub allow_gids: Option<Vec<u32>>,
    /// Permission bits of the socket file.
    pub socket_mode: u32,
    pub common: SocketCommon,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnixMode {
    /// Connections, frames split by newline or RFC 6587 octet counting.
    Stream,
    /// One entry per datagram.
    Datagram,
}

/// `type = "syslog"`: RFC 6587 TCP, RFC 5425 TLS or RFC 5426 UDP.
#[derive(Debug, Clone, PartialEq)]
pub struct SyslogSourceConfig {
    pub address: SocketAddr,
    pub protocol: SyslogProtocol,
    /// Required with `protocol = "tls"`, refused otherwise.
    pub tls: Option<ServerTlsConfig>,
    pub common: SocketCommon,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyslogProtocol {
    Tcp,
    Tls,
    Udp,
}

impl SyslogProtocol {
    pub fn name(self) -> &'static str {
        match self {
            SyslogProtocol::Tcp => "tcp",
            SyslogProtocol::Tls => "tls",
            SyslogProtocol::Udp => "udp",
        }
    }
}

/// `type = "http"`: `POST /v1/events` with NDJSON or a JSON array.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSourceConfig {
    pub address: SocketAddr,
    /// Required `Authorization: Bearer TOKEN`; `None`: no token asked.
    pub token: Option<Secret>,
    pub tls: Option<ServerTlsConfig>,
    /// Largest request body, after gzip decoding.
    pub max_body_bytes: usize,
    pub common: SocketCommon,
}

/// TLS server settings of a listening source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTlsConfig {
    /// Certificate chain (PEM) presented to clients.
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
    /// When set, clients must present a certificate issued by one of these
    /// CAs (mutual TLS).
    pub client_ca: Option<PathBuf>,
}
