//! The typed `nats` sink configuration.

use std::path::PathBuf;
use std::time::Duration;

use super::types::{Secret, TlsConfig};
pub use crate::sinks::nats::SubjectTemplate;

/// `type = "nats"`: events published to NATS JetStream, one message each.
#[derive(Debug, Clone, PartialEq)]
pub struct NatsSinkConfig {
    /// Server URLs (`nats://` or `tls://`, host and port), checked to
    /// parse; the client fails over between them. A secret: a URL may
    /// carry `user:password@`.
    pub urls: Vec<Secret>,
    pub subject: SubjectTemplate,
    pub auth: Option<NatsAuth>,
    pub create_stream: Option<NatsStreamConfig>,
    /// Longest wait to connect, and for the acknowledgements of one batch.
    pub request_timeout: Duration,
    pub tls: TlsConfig,
}

/// How the agent proves who it is to the NATS server (one way at most).
#[derive(Debug, Clone, PartialEq)]
pub enum NatsAuth {
    UserPassword {
        user: String,
        password: Secret,
    },
    Token(Secret),
    /// An nkey seed (`SU…`): the agent signs the server's nonce with it.
    Nkey(Secret),
    /// A `.creds` file (user JWT and nkey seed), as `nsc` writes it.
    Credentials(PathBuf),
}

/// `create_stream = { … }`: the stream created, or brought to these
/// settings, at the first connection.
#[derive(Debug, Clone, PartialEq)]
pub struct NatsStreamConfig {
    pub name: String,
    pub subjects: Vec<String>,
    pub replicas: usize,
    /// Oldest message kept; zero: no limit.
    pub max_age: Duration,
    /// How long JetStream remembers a `Nats-Msg-Id` to drop repeats.
    pub duplicate_window: Duration,
}

/// Default `create_stream.duplicate_window` (JetStream's own default).
pub const DEFAULT_NATS_DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
