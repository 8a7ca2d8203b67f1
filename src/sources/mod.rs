//! Sources: where bytes come from and where they were in their origin.
//!
//! Each source reads bytes, frames them into records and says where each
//! came from (file identity + offset, peer), so that re-reading the same
//! bytes yields the same position. Sources never parse formats and never talk
//! to sinks; they hand records to the pipeline over a bounded channel and
//! advance their checkpoint only for what the pipeline has acknowledged.
//!
//! | module | role |
//! | --- | --- |
//! | `file` | tailing files, checkpoints |
//! | `http`, `syslog`, `unix` | the socket sources, one folder each |
//! | `ingest` | the hand-off of socket sources to the pipeline ([`ingest::Ingest`]) |
//! | `framing` | RFC 6587 octet counting / LF framing of stream sockets |
//! | `stream` | reading one stream connection into the pipeline |
//! | `datagram` | datagrams into batches, drops counted |
//! | `bind`, `tls`, `log_limit` | listening sockets, TLS server config, rate-limited warnings |

pub mod bind;
pub mod datagram;
pub mod file;
pub mod framing;
pub mod http;
pub mod ingest;
pub mod log_limit;
pub mod stream;
pub mod syslog;
pub mod tls;
pub mod unix;
