//! `syslog` source: RFC 6587 over TCP (`protocol = "tcp"`), RFC 5425 over
//! TLS (`"tls"`), RFC 5426 over UDP (`"udp"`). The sender's address goes to
//! `origin.peer.addr`.
//!
//! Entries are parsed with the source's `format`; the default is `syslog`
//! (RFC 5424 and RFC 3164, told apart per message).

mod tcp;
mod udp;

pub use tcp::SyslogTcp;
pub use udp::SyslogUdp;
