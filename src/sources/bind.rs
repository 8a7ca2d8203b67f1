//! Binding the listening sockets of the network sources at build time, so
//! a taken or forbidden address refuses the start with a message that
//! names the address and says what to do.

use std::net::SocketAddr;

use tokio::net::{TcpListener, UdpSocket};

/// A TCP listener on `address` (tokio, non-blocking).
pub fn tcp(address: SocketAddr) -> Result<TcpListener, String> {
    let listener = std::net::TcpListener::bind(address).map_err(|e| explain(address, "TCP", e))?;
    listener
        .set_nonblocking(true)
        .and_then(|()| TcpListener::from_std(listener))
        .map_err(|e| explain(address, "TCP", e))
}

/// A UDP socket bound to `address`.
pub fn udp(address: SocketAddr) -> Result<UdpSocket, String> {
    let socket = std::net::UdpSocket::bind(address).map_err(|e| explain(address, "UDP", e))?;
    socket
        .set_nonblocking(true)
        .and_then(|()| UdpSocket::from_std(socket))
        .map_err(|e| explain(address, "UDP", e))
}

fn explain(address: SocketAddr, protocol: &str, error: std::io::Error) -> String {
    let hint = match error.kind() {
        std::io::ErrorKind::AddrInUse => {
            " (another process listens there: stop it or choose another port in \"address\")"
        }
        std::io::ErrorKind::PermissionDenied => {
            " (ports below 1024 need root or CAP_NET_BIND_SERVICE: grant it or use a port above 1024)"
        }
        std::io::ErrorKind::AddrNotAvailable => {
            " (no interface of this host has that IP address: use one it has, or 0.0.0.0)"
        }
        _ => "",
    };
    format!("cannot listen on {protocol} {address}: {error}{hint}")
}
