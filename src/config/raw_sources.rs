//! The configuration as written for the socket sources (`unix`, `syslog`,
//! `http`): one serde struct per `type`, `deny_unknown_fields`, every value
//! [`Located`]. Same rules as `raw.rs`: the `///` docs are the reference
//! (`docs/CONFIGURATION.md`), and nothing is checked here beyond TOML types.

use serde::Deserialize;

use super::located::Located;
use super::raw::RawFieldMap;
use super::units::NumberOrText;

/// `[sources.ID]` with `type = "unix"`: a local socket applications write to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUnixSource {
    /// `"unix"`.
    #[serde(rename = "type")]
    #[allow(dead_code)] // dispatched on by `validate` before this struct is read
    pub kind: Located<String>,
    /// Path of the socket file, e.g. `"/run/auditship/audit.sock"`. Required.
    /// A stale socket file nobody listens on is replaced at start.
    pub path: Located<String>,
    /// `"stream"` (default; one entry per line, or RFC 6587 octet counting,
    /// detected per connection) or `"datagram"` (one entry per datagram).
    pub mode: Option<Located<String>>,
    /// Peer uids let in, checked with `SO_PEERCRED` before anything is read,
    /// e.g. `[0, 1000]`. Default: every peer the file mode admits. Stream
    /// mode only.
    pub allow_uids: Option<Located<Vec<Located<i64>>>>,
    /// Peer gids let in, like `allow_uids`. Stream mode only.
    pub allow_gids: Option<Located<Vec<Located<i64>>>>,
    /// Permission bits of the socket file, as an octal string (`"0660"`) or
    /// a TOML octal integer (`0o660`). Default `"0660"`.
    pub socket_mode: Option<Located<NumberOrText>>,
    /// `"json"` (default for `unix` and `http`) or `"raw"` (default for
    /// `syslog` until the `syslog` format arrives).
    pub format: Option<Located<String>>,
    /// Keep the original entry in the event's `raw` field. Default `false`.
    pub keep_raw: Option<Located<bool>>,
    /// Longest frame, datagram or entry; a longer one becomes a quarantine
    /// event. Default `"1MiB"` (UDP and datagrams: 64 KiB at most).
    pub max_frame_bytes: Option<Located<NumberOrText>>,
    /// Most connections served at once. Default `256`.
    pub max_connections: Option<Located<i64>>,
    /// A connection silent for this long is closed. Default `"5m"`.
    pub idle_timeout: Option<Located<NumberOrText>>,
    /// `[sources.ID.map]`, only with `format = "json"`: see the `file` source.
    pub map: Option<Located<RawFieldMap>>,
    /// Only with `format = "k8s"`: see the `file` source.
    pub k8s_stages: Option<Located<Vec<Located<String>>>>,
}

/// `[sources.ID]` with `type = "syslog"`: RFC 6587 over TCP, RFC 5425 over
/// TLS, RFC 5426 over UDP.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSyslogSource {
    /// `"syslog"`.
    #[serde(rename = "type")]
    #[allow(dead_code)] // dispatched on by `validate` before this struct is read
    pub kind: Located<String>,
    /// `ip:port` to listen on, e.g. `"0.0.0.0:6514"`. Required.
    pub address: Located<String>,
    /// `"tcp"` (default), `"tls"` (needs `tls`) or `"udp"`.
    pub protocol: Option<Located<String>>,
    /// `{ cert, key, client_ca }`: the server certificate and key (PEM);
    /// with `client_ca`, clients must present a certificate it issued.
    pub tls: Option<Located<RawServerTls>>,
    /// `"json"` (default for `unix` and `http`) or `"raw"` (default for
    /// `syslog` until the `syslog` format arrives).
    pub format: Option<Located<String>>,
    /// Keep the original entry in the event's `raw` field. Default `false`.
    pub keep_raw: Option<Located<bool>>,
    /// Longest frame, datagram or entry; a longer one becomes a quarantine
    /// event. Default `"1MiB"` (UDP and datagrams: 64 KiB at most).
    pub max_frame_bytes: Option<Located<NumberOrText>>,
    /// Most connections served at once. Default `256`.
    pub max_connections: Option<Located<i64>>,
    /// A connection silent for this long is closed. Default `"5m"`.
    pub idle_timeout: Option<Located<NumberOrText>>,
    /// `[sources.ID.map]`, only with `format = "json"`: see the `file` source.
    pub map: Option<Located<RawFieldMap>>,
    /// Only with `format = "k8s"`: see the `file` source.
    pub k8s_stages: Option<Located<Vec<Located<String>>>>,
}

/// `[sources.ID]` with `type = "http"`: `POST /v1/events`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHttpSource {
    /// `"http"`.
    #[serde(rename = "type")]
    #[allow(dead_code)] // dispatched on by `validate` before this struct is read
    pub kind: Located<String>,
    /// `ip:port` to listen on. Default `"127.0.0.1:8687"`.
    pub address: Option<Located<String>>,
    /// When set, requests must carry `Authorization: Bearer TOKEN` (401
    /// otherwise). Use `"${ENV}"` or `"@file:/path"`.
    pub token: Option<Located<String>>,
    /// `{ cert, key, client_ca }`: serve HTTPS; with `client_ca`, mutual TLS.
    pub tls: Option<Located<RawServerTls>>,
    /// Largest request body, after gzip decoding (413 above). Default `"10MiB"`.
    pub max_body_bytes: Option<Located<NumberOrText>>,
    /// `"json"` (default for `unix` and `http`) or `"raw"` (default for
    /// `syslog` until the `syslog` format arrives).
    pub format: Option<Located<String>>,
    /// Keep the original entry in the event's `raw` field. Default `false`.
    pub keep_raw: Option<Located<bool>>,
    /// Longest frame, datagram or entry; a longer one becomes a quarantine
    /// event. Default `"1MiB"` (UDP and datagrams: 64 KiB at most).
    pub max_frame_bytes: Option<Located<NumberOrText>>,
    /// Most connections served at once. Default `256`.
    pub max_connections: Option<Located<i64>>,
    /// A connection silent for this long is closed. Default `"5m"`.
    pub idle_timeout: Option<Located<NumberOrText>>,
    /// `[sources.ID.map]`, only with `format = "json"`: see the `file` source.
    pub map: Option<Located<RawFieldMap>>,
    /// Only with `format = "k8s"`: see the `file` source.
    pub k8s_stages: Option<Located<Vec<Located<String>>>>,
}

/// The keys every socket source has, borrowed from its raw struct.
pub(crate) struct RawSocketCommon<'a> {
    pub format: &'a Option<Located<String>>,
    pub keep_raw: &'a Option<Located<bool>>,
    pub max_frame_bytes: &'a Option<Located<NumberOrText>>,
    pub max_connections: &'a Option<Located<i64>>,
    pub idle_timeout: &'a Option<Located<NumberOrText>>,
    pub map: &'a Option<Located<RawFieldMap>>,
    pub k8s_stages: &'a Option<Located<Vec<Located<String>>>>,
}

macro_rules! common_of {
    ($($raw:ty),*) => {$(
        impl $raw {
            pub(crate) fn common(&self) -> RawSocketCommon<'_> {
                RawSocketCommon {
                    format: &self.format,
                    keep_raw: &self.keep_raw,
                    max_frame_bytes: &self.max_frame_bytes,
                    max_connections: &self.max_connections,
                    idle_timeout: &self.idle_timeout,
                    map: &self.map,
                    k8s_stages: &self.k8s_stages,
                }
            }
        }
    )*};
}
common_of!(RawUnixSource, RawSyslogSource, RawHttpSource);

/// `tls = { … }` of a listening source.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServerTls {
    /// Server certificate chain (PEM). Required.
    pub cert: Located<String>,
    /// Its private key (PEM). Required.
    pub key: Located<String>,
    /// CA bundle (PEM): clients must present a certificate it issued.
    pub client_ca: Option<Located<String>>,
}
