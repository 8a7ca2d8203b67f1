//! The client side of `auditship tap`: one `GET /tap` to a running agent's
//! admin endpoint, its NDJSON body copied to a writer as it arrives.

use std::io::Write;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

use super::tap::encode_filter;

/// Why the stream could not be followed.
#[derive(Debug, thiserror::Error)]
pub enum TapClientError {
    #[error("cannot connect to the agent's admin endpoint {address}: {source} (is the agent running with this [admin] address?)")]
    Connect {
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the admin endpoint {address} broke off: {reason}")]
    Http { address: String, reason: String },
    #[error("the agent refused the tap ({status}): {body}")]
    Refused { status: u16, body: String },
    #[error("cannot write the events: {0}")]
    Write(#[source] std::io::Error),
}

/// Streams events from `address` (host:port) to `out` until the agent stops
/// or `out` is closed (a broken pipe ends the stream quietly).
pub async fn stream_events(
    address: &str,
    filter: Option<&str>,
    out: &mut impl Write,
) -> Result<(), TapClientError> {
    let http = |reason: String| TapClientError::Http {
        address: address.to_string(),
        reason,
    };
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|source| TapClientError::Connect {
            address: address.to_string(),
            source,
        })?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| http(e.to_string()))?;
    tokio::spawn(connection);
    let path = match filter {
        Some(filter) => format!("/tap?filter={}", encode_filter(filter)),
        None => "/tap".to_string(),
    };
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, address)
        .body(Empty::<Bytes>::new())
        .map_err(|e| http(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| http(e.to_string()))?;
    let status = response.status();
    let mut body = response.into_body();
    if !status.is_success() {
        let bytes = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        return Err(TapClientError::Refused {
            status: status.as_u16(),
            body: String::from_utf8_lossy(&bytes).trim().to_string(),
        });
    }
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| http(e.to_string()))?;
        if let Some(data) = frame.data_ref() {
            let written = out.write_all(data).and_then(|()| out.flush());
            match written {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
                Err(e) => return Err(TapClientError::Write(e)),
            }
        }
    }
    Ok(())
}
