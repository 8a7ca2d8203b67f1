//! `unix` source: a local socket file applications write to, `stream`
//! (`SO_PEERCRED` peer checks) or `datagram` (`SCM_CREDENTIALS` checks).
//!
//! One role per file: `socket_file` (stale files, permissions, removal at
//! stop), `peer` (credentials, allow lists, `origin.peer`), `stream`,
//! `datagram`.

mod datagram;
mod peer;
mod socket_file;
mod stream;

pub use datagram::UnixDatagramSource;
pub use stream::UnixStreamSource;
