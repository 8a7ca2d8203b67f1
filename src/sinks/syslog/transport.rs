//! The connection of a `syslog` sink: TCP (RFC 6587), TLS (RFC 5425) or
//! UDP (RFC 5426), and how messages are framed on it.
//!
//! TCP gives no application-level acknowledgement: bytes accepted by the
//! kernel may still be lost if the receiver dies before reading them. Two
//! things keep that window to at most one batch: a batch counts as sent
//! only once all its bytes are written and flushed, and before each batch
//! the socket is peeked without blocking — a receiver that closed the
//! connection (restart, idle timeout) is noticed and the sink reconnects
//! instead of writing into a dead socket.

use std::future::poll_fn;
use std::io;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UdpSocket};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::config::{SyslogFraming, SyslogProtocol};

/// TLS client settings for a `tls` sink.
#[derive(Clone)]
pub struct TlsSetup {
    pub config: Arc<ClientConfig>,
    pub server_name: ServerName<'static>,
}

/// An open connection to the receiver.
pub enum Connection {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    Udp(UdpSocket),
}

impl Connection {
    /// Connects (and handshakes) within `timeout`.
    pub async fn open(
        address: &str,
        protocol: SyslogProtocol,
        tls: Option<&TlsSetup>,
        timeout: Duration,
    ) -> io::Result<Connection> {
        let connecting = async {
            match protocol {
                SyslogProtocol::Udp => {
                    let socket = UdpSocket::bind(if address.starts_with('[') {
                        "[::]:0"
                    } else {
                        "0.0.0.0:0"
                    })
                    .await?;
                    socket.connect(address).await?;
                    Ok(Connection::Udp(socket))
                }
                SyslogProtocol::Tcp => {
                    let stream = TcpStream::connect(address).await?;
                    stream.set_nodelay(true)?;
                    Ok(Connection::Tcp(stream))
                }
                SyslogProtocol::Tls => {
                    let tls = tls.ok_or_else(|| io::Error::other("TLS is not set up"))?;
                    let stream = TcpStream::connect(address).await?;
                    stream.set_nodelay(true)?;
                    let connector = TlsConnector::from(tls.config.clone());
                    let stream = connector.connect(tls.server_name.clone(), stream).await?;
                    Ok(Connection::Tls(Box::new(stream)))
                }
            }
        };
        match tokio::time::timeout(timeout, connecting).await {
            Ok(result) => result,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no connection within request_timeout",
            )),
        }
    }

    /// True when the receiver has closed the connection (or reset it):
    /// a non-blocking peek at the socket sees end of stream or an error.
    /// Syslog receivers never send, so data waiting means nothing bad.
    pub async fn peer_closed(&self) -> bool {
        let stream = match self {
            Connection::Tcp(stream) => stream,
            Connection::Tls(stream) => stream.get_ref().0,
            Connection::Udp(_) => return false,
        };
        let mut byte = [0u8; 1];
        poll_fn(|cx| {
            let mut buf = tokio::io::ReadBuf::new(&mut byte);
            match stream.poll_peek(cx, &mut buf) {
                Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => Poll::Ready(true),
                Poll::Ready(Ok(_)) | Poll::Pending => Poll::Ready(false),
            }
        })
        .await
    }

    /// Writes every frame and flushes (stream), or sends one datagram per
    /// message (UDP).
    pub async fn send(&mut self, frames: &Frames) -> io::Result<()> {
        match self {
            Connection::Udp(socket) => {
                for datagram in frames.iter() {
                    socket.send(datagram).await?;
                }
                Ok(())
            }
            Connection::Tcp(stream) => write_all(stream, &frames.bytes).await,
            Connection::Tls(stream) => write_all(stream.as_mut(), &frames.bytes).await,
        }
    }

    /// Ends a stream connection politely (TLS close_notify).
    pub async fn close(self) {
        match self {
            Connection::Tcp(mut stream) => {
                let _ = stream.shutdown().await;
            }
            Connection::Tls(mut stream) => {
                let _ = stream.shutdown().await;
            }
            Connection::Udp(_) => {}
        }
    }
}

/// One write of the whole batch, then a flush: the bytes are in the
/// kernel (and, for TLS, encrypted in full records) when it returns.
async fn write_all<W: AsyncWriteExt + Unpin>(writer: &mut W, bytes: &[u8]) -> io::Result<()> {
    writer.write_all(bytes).await?;
    writer.flush().await
}

/// A batch of framed messages in one buffer, with where each ends (a UDP
/// datagram carries one message).
#[derive(Debug, Default)]
pub struct Frames {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Frames {
    /// Room for `bytes` of frames and `count` messages, so that a batch
    /// does not grow (and copy) its buffer as it is filled.
    pub fn with_capacity(bytes: usize, count: usize) -> Frames {
        Frames {
            bytes: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(count),
        }
    }

    /// Appends one message framed for `protocol`: octet counting
    /// (`LEN SP MSG`) or a trailing line feed (line breaks inside the
    /// message become spaces, or the receiver would split it); a datagram
    /// carries the message as is.
    pub fn push(&mut self, message: &[u8], protocol: SyslogProtocol, framing: SyslogFraming) {
        let bytes = &mut self.bytes;
        match (protocol, framing) {
            (SyslogProtocol::Udp, _) => bytes.extend_from_slice(message),
            (_, SyslogFraming::OctetCounting) => {
                bytes.extend_from_slice(message.len().to_string().as_bytes());
                bytes.push(b' ');
                bytes.extend_from_slice(message);
            }
            (_, SyslogFraming::Newline) => {
                bytes.extend(message.iter().map(|&b| match b {
                    b'\n' | b'\r' => b' ',
                    b => b,
                }));
                bytes.push(b'\n');
            }
        }
        self.ends.push(bytes.len());
    }

    /// Each framed message.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.bytes[start..end])
    }
}

/// One message framed for `protocol` (see [`Frames::push`]).
pub fn frame(message: Vec<u8>, protocol: SyslogProtocol, framing: SyslogFraming) -> Vec<u8> {
    let mut frames = Frames::default();
    frames.push(&message, protocol, framing);
    frames.bytes
}
