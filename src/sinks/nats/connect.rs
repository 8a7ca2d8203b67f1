//! From the sink's configuration to a connected client: servers (the client
//! shuffles them and fails over, also to cluster members the servers
//! announce), one way of authenticating, TLS with the same rustls setup
//! as every other network sink, and connection events logged.
//!
//! After the first connection the client reconnects by itself, forever,
//! with a growing delay; publishes made while it is away time out and the
//! runner sends the batch again.

use std::time::Duration;

use async_nats::{ConnectOptions, Event, ServerAddr};

use crate::config::{NatsAuth, NatsSinkConfig};
use crate::sinks::http::client::client_tls_config;
use crate::sinks::SinkError;

/// Everything needed to connect, checked and read once at start.
pub(super) struct Connector {
    servers: Vec<ServerAddr>,
    auth: Option<NatsAuth>,
    /// The `.creds` file's text, read at start so a wrong path is reported
    /// then.
    credentials: Option<String>,
    tls: rustls::ClientConfig,
    tls_required: bool,
    timeout: Duration,
    /// Messages a subscription holds before the client drops more: at
    /// least one batch's acknowledgements (a connection carries one batch
    /// at a time).
    subscription_capacity: usize,
    sink_id: String,
}

impl Connector {
    pub fn new(
        sink_id: &str,
        config: &NatsSinkConfig,
        batch_events: usize,
    ) -> Result<Connector, SinkError> {
        let setup = |reason: String| SinkError::NatsSetup { reason };
        let servers = config
            .urls
            .iter()
            .enumerate()
            .map(|(index, url)| {
                url.expose()
                    .parse::<ServerAddr>()
                    .map_err(|_| setup(format!("entry {} of urls is not a server URL", index + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let credentials = match &config.auth {
            Some(NatsAuth::Credentials(path)) => {
                let text = std::fs::read_to_string(path).map_err(|error| {
                    setup(format!("cannot read the credentials file {} ({error}); check the path and that the service user can read it", path.display()))
                })?;
                // Parsed now, so a wrong file fails the start, not every batch.
                ConnectOptions::with_credentials(&text).map_err(|_| {
                    setup(format!("the credentials file {} holds no user JWT and nkey seed (write it with `nsc generate creds`)", path.display()))
                })?;
                Some(text)
            }
            _ => None,
        };
        let host = servers
            .first()
            .map(|s| s.host().to_string())
            .unwrap_or_default();
        let tls_required = servers.iter().any(|s| s.scheme() == "tls")
            || config.tls.ca.is_some()
            || config.tls.client_certificate.is_some();
        Ok(Connector {
            servers,
            auth: config.auth.clone(),
            credentials,
            tls: client_tls_config(&config.tls, true, &host)?,
            tls_required,
            timeout: config.request_timeout,
            // The client's default, or more for larger batches.
            subscription_capacity: batch_events.max(65_536),
            sink_id: sink_id.to_string(),
        })
    }

    /// Connects to the first server that answers; `connection` (from 1)
    /// names the slot's connection in the log.
    pub async fn connect(
        &self,
        connection: usize,
    ) -> Result<async_nats::Client, async_nats::ConnectError> {
        let options = match (&self.auth, &self.credentials) {
            (Some(NatsAuth::Credentials(_)), Some(text)) => ConnectOptions::with_credentials(text)
                .map_err(|e| {
                    async_nats::ConnectError::with_source(
                        async_nats::ConnectErrorKind::Authentication,
                        e,
                    )
                })?,
            (Some(NatsAuth::UserPassword { user, password }), _) => {
                ConnectOptions::with_user_and_password(user.clone(), password.expose().into())
            }
            (Some(NatsAuth::Token(token)), _) => ConnectOptions::with_token(token.expose().into()),
            (Some(NatsAuth::Nkey(seed)), _) => ConnectOptions::with_nkey(seed.expose().into()),
            _ => ConnectOptions::new(),
        };
        let sink = self.sink_id.clone();
        options
            .name("auditship")
            .connection_timeout(self.timeout)
            .request_timeout(Some(self.timeout))
            .max_reconnects(None)
            .subscription_capacity(self.subscription_capacity)
            .tls_client_config(self.tls.clone())
            .require_tls(self.tls_required)
            .event_callback(move |event| {
                let sink = sink.clone();
                async move { log_event(&sink, connection, event) }
            })
            .connect(self.servers.clone())
            .await
    }
}

/// Connection events, for the operator: a disconnection, the reconnection
/// and what the server reports (an authorization violation while
/// reconnecting, for one).
fn log_event(sink: &str, connection: usize, event: Event) {
    match event {
        Event::Connected => tracing::info!(sink, connection, "Connected to NATS."),
        Event::Disconnected => {
            tracing::warn!(
                sink,
                connection,
                "Disconnected from NATS; reconnecting (batches wait in the journal)."
            )
        }
        Event::LameDuckMode => {
            tracing::info!(
                sink,
                connection,
                "The NATS server is shutting down (lame duck mode); moving to another."
            )
        }
        Event::ServerError(error) => {
            tracing::warn!(sink, connection, %error, "The NATS server reported an error.")
        }
        // One per failed reconnection attempt (every 4 s at most): the
        // runner's retry warnings already say the batches wait.
        Event::ClientError(error) => {
            tracing::debug!(sink, connection, %error, "NATS client error.")
        }
        other => tracing::debug!(sink, connection, event = %other, "NATS connection event."),
    }
}
