//! `unix` source: a local socket file applications write to, `stream`
//! (with `SO_PEERCRED` peer checks) or `datagram`.
//!
//! One role per file: `socket_file` (stale files, permissions, removal at
//! stop), `stream`, `datagram`.

mod datagram;
mod socket_file;
mod stream;

pub use datagram::UnixDatagramSource;
pub use stream::UnixStreamSource;
