//! `syslog` source: RFC 6587 over TCP (`protocol = "tcp"`), RFC 5425 over
//! TLS (`"tls"`), RFC 5426 over UDP (`"udp"`). The sender's address goes to
//! `origin.peer.addr`.
//!
//! Entries are parsed with the source's `format`; the default is `raw`
//! until the `syslog` format exists (TODO: default to it then).

mod tcp;
mod udp;

pub use tcp::SyslogTcp;
pub use udp::SyslogUdp;
