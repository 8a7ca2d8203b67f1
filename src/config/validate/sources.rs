//! Validation of the socket sources (`unix`, `syslog`, `http`): defaults,
//! units, addresses and the combinations that cannot work (TLS without a
//! certificate).

use std::path::PathBuf;
use std::time::Duration;

use super::super::document::Entry;
use super::super::raw_sources::{RawHttpSource, RawSocketCommon, RawSyslogSource, RawUnixSource};
use super::Validator;
use crate::config::types::*;

/// Default listen address of the `http` source: local only.
pub const DEFAULT_HTTP_ADDRESS: &str = "127.0.0.1:8687";
const DEFAULT_MAX_FRAME_BYTES: u64 = 1 << 20;
const DEFAULT_MAX_BODY_BYTES: u64 = 10 << 20;
const DEFAULT_MAX_CONNECTIONS: i64 = 256;
const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Largest payload a UDP or unix datagram can carry.
const MAX_DATAGRAM_BYTES: u64 = 64 * 1024;

impl Validator {
    /// A `unix`, `syslog` or `http` source table.
    pub(super) fn socket_source(
        &mut self,
        id: &str,
        kind: &str,
        entry: &Entry,
        path: &[String],
    ) -> Option<SourceKind> {
        let before = self.problems.len();
        let kind = match kind {
            "unix" => {
                let raw: RawUnixSource = self.read_component(entry, path)?;
                SourceKind::Unix(self.unix_source(id, path, &raw)?)
            }
            "syslog" => {
                let raw: RawSyslogSource = self.read_component(entry, path)?;
                SourceKind::Syslog(self.syslog_source(id, path, &raw)?)
            }
            _ => {
                let raw: RawHttpSource = self.read_component(entry, path)?;
                SourceKind::Http(self.http_source(id, path, &raw)?)
            }
        };
        (self.problems.len() == before).then_some(kind)
    }

    fn unix_source(
        &mut self,
        id: &str,
        table: &[String],
        raw: &RawUnixSource,
    ) -> Option<UnixSourceConfig> {
        if raw.path.value.trim().is_empty() {
            self.invalid(raw.path.at(), table, "path", "must not be empty".into());
        }
        let mode = self.choice(
            table,
            "mode",
            &raw.mode,
            &[
                ("stream", UnixMode::Stream),
                ("datagram", UnixMode::Datagram),
            ],
            UnixMode::Stream,
        );
        let allow_uids = self.ids(table, "allow_uids", &raw.allow_uids);
        let allow_gids = self.ids(table, "allow_gids", &raw.allow_gids);
        let socket_mode = self.socket_mode(table, &raw.socket_mode);
        let common =
            self.socket_common(id, table, raw.common(), "json", mode == UnixMode::Datagram)?;
        Some(UnixSourceConfig {
            path: PathBuf::from(&raw.path.value),
            mode,
            allow_uids,
            allow_gids,
            socket_mode,
            common,
        })
    }

    fn syslog_source(
        &mut self,
        id: &str,
        table: &[String],
        raw: &RawSyslogSource,
    ) -> Option<SyslogSourceConfig> {
        let address = self.listen_address(table, "address", Some(&raw.address), "0.0.0.0:6514");
        let protocol = self.choice(
            table,
            "protocol",
            &raw.protocol,
            &[
                ("tcp", SyslogProtocol::Tcp),
                ("tls", SyslogProtocol::Tls),
                ("udp", SyslogProtocol::Udp),
            ],
            SyslogProtocol::Tcp,
        );
        let tls = raw
            .tls
            .as_ref()
            .map(|tls| self.server_tls(table, &tls.value));
        match (&raw.tls, protocol) {
            (None, SyslogProtocol::Tls) => self.invalid(
                raw.protocol.as_ref().map_or(0, |p| p.at()),
                table,
                "protocol",
                "\"tls\" needs tls = { cert = \"…\", key = \"…\" } with the server certificate".into(),
            ),
            (Some(written), SyslogProtocol::Tcp | SyslogProtocol::Udp) => self.invalid(
                written.at(),
                table,
                "tls",
                format!(
                    "applies to protocol = \"tls\" only, and protocol is \"{}\" (set protocol = \"tls\" or remove tls)",
                    protocol.name()
                ),
            ),
            _ => {}
        }
        let datagram = protocol == SyslogProtocol::Udp;
        let common = self.socket_common(id, table, raw.common(), "syslog", datagram)?;
        Some(SyslogSourceConfig {
            address: address?,
            protocol,
            tls,
            common,
        })
    }

    fn http_source(
        &mut self,
        id: &str,
        table: &[String],
        raw: &RawHttpSource,
    ) -> Option<HttpSourceConfig> {
        let address =
            self.listen_address(table, "address", raw.address.as_ref(), DEFAULT_HTTP_ADDRESS);
        let token = raw.token.as_ref().map(|token| {
            if token.value.trim().is_empty() {
                self.invalid(
                    token.at(),
                    table,
                    "token",
                    "must not be empty (remove the key to accept requests without a token)".into(),
                );
            }
            Secret::new(token.value.clone())
        });
        let tls = raw
            .tls
            .as_ref()
            .map(|tls| self.server_tls(table, &tls.value));
        let max_body_bytes = self.size(
            table,
            "max_body_bytes",
            &raw.max_body_bytes,
            DEFAULT_MAX_BODY_BYTES,
            1,
        );
        let common = self.socket_common(id, table, raw.common(), "json", false)?;
        Some(HttpSourceConfig {
            address: address?,
            token,
            tls,
            max_body_bytes: usize::try_from(max_body_bytes).unwrap_or(usize::MAX),
            common,
        })
    }

    fn socket_common(
        &mut self,
        id: &str,
        table: &[String],
        raw: RawSocketCommon<'_>,
        default_format: &str,
        datagram: bool,
    ) -> Option<SocketCommon> {
        let format = self.format(
            id,
            table,
            raw.format,
            raw.map,
            raw.k8s_stages,
            default_format,
        );
        let default_frame = if datagram {
            MAX_DATAGRAM_BYTES
        } else {
            DEFAULT_MAX_FRAME_BYTES
        };
        let max_frame_bytes = self.size(
            table,
            "max_frame_bytes",
            raw.max_frame_bytes,
            default_frame,
            1,
        );
        let max_connections = match raw.max_connections {
            Some(n) if n.value < 1 || n.value > 65_536 => {
                self.invalid(
                    n.at(),
                    table,
                    "max_connections",
                    "must be between 1 and 65536".into(),
                );
                1
            }
            Some(n) => n.value as usize,
            None => DEFAULT_MAX_CONNECTIONS as usize,
        };
        let idle_timeout = self.duration(
            table,
            "idle_timeout",
            raw.idle_timeout,
            DEFAULT_IDLE_TIMEOUT,
            true,
        );
        Some(SocketCommon {
            format: format?,
            keep_raw: raw.keep_raw.as_ref().is_some_and(|k| k.value),
            max_frame_bytes: usize::try_from(max_frame_bytes).unwrap_or(usize::MAX),
            max_connections,
            idle_timeout,
        })
    }
}
