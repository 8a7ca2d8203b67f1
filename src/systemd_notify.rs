//! The systemd notification protocol (`sd_notify(3)`), without libsystemd
//! and without a crate: one datagram per message to the unix socket named
//! by `$NOTIFY_SOCKET`.
//!
//! What the agent says and when (see `pipeline::agent`):
//! - `READY=1` once the journal is recovered, the sinks' cursors are open and
//!   every source task is running: with `Type=notify`, `systemctl start`
//!   returns only then, and units ordered `After=auditship.service` start
//!   only then.
//! - `STATUS=…` a one-line human summary, shown by `systemctl status`.
//! - `STOPPING=1` as soon as the stop signal arrives, so systemd knows the
//!   drain that follows is deliberate.
//! - `WATCHDOG=1` every half of `$WATCHDOG_USEC` from a tokio task: if the
//!   runtime wedges, the pings stop and systemd restarts the service
//!   (`WatchdogSec=` in the unit). Half the period is what `sd_watchdog_enabled(3)`
//!   recommends, so one late tick is not fatal.
//!
//! Outside systemd (`$NOTIFY_SOCKET` unset) every call is a no-op, so the
//! agent behaves the same in a terminal, a container or a test.
//!
//! Invariant: notification failures are logged, never fatal: being unable
//! to tell systemd something must not stop audit events from flowing.

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

use crate::shutdown::Shutdown;

/// A connection to the service manager's notification socket, or nothing.
#[derive(Debug, Default)]
pub struct SystemdNotifier {
    target: Option<Target>,
    watchdog: Option<Duration>,
}

#[derive(Debug)]
struct Target {
    socket: UnixDatagram,
    address: SocketAddr,
    /// As written in `$NOTIFY_SOCKET`, for messages.
    name: String,
}

impl SystemdNotifier {
    /// A notifier that sends nothing.
    pub fn disabled() -> SystemdNotifier {
        SystemdNotifier::default()
    }

    /// From `$NOTIFY_SOCKET`, `$WATCHDOG_USEC` and `$WATCHDOG_PID`. A
    /// malformed value is logged and that part is disabled.
    pub fn from_env() -> SystemdNotifier {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let Some(socket) = var("NOTIFY_SOCKET") else {
            return SystemdNotifier::disabled();
        };
        let watchdog = watchdog_interval(
            var("WATCHDOG_USEC").as_deref(),
            var("WATCHDOG_PID").as_deref(),
            std::process::id(),
        );
        match SystemdNotifier::connect(&socket) {
            Ok(mut notifier) => {
                notifier.watchdog = watchdog;
                notifier
            }
            Err(error) => {
                tracing::warn!(notify_socket = %socket, %error, "Cannot use NOTIFY_SOCKET; systemd will not be told when the agent is ready.");
                SystemdNotifier::disabled()
            }
        }
    }

    /// Targets `socket`: a filesystem path, or `@name` for an abstract
    /// socket (Linux), as systemd writes `$NOTIFY_SOCKET`.
    pub fn connect(socket: &str) -> io::Result<SystemdNotifier> {
        let address = parse_address(socket)?;
        Ok(SystemdNotifier {
            target: Some(Target {
                socket: UnixDatagram::unbound()?,
                address,
                name: socket.to_string(),
            }),
            watchdog: None,
        })
    }

    /// Whether messages are sent anywhere.
    pub fn is_enabled(&self) -> bool {
        self.target.is_some()
    }

    /// How often the watchdog task pings (half of `WATCHDOG_USEC`), if
    /// systemd asked for pings from this process.
    pub fn watchdog_interval(&self) -> Option<Duration> {
        self.watchdog
    }

    /// Sends `state` (newline-separated `KEY=value` assignments) as one
    /// datagram. Failures are logged at most at `warn!` and otherwise ignored.
    pub fn notify(&self, state: &str) {
        let Some(target) = &self.target else {
            return;
        };
        if let Err(error) = target
            .socket
            .send_to_addr(state.as_bytes(), &target.address)
        {
            tracing::warn!(notify_socket = %target.name, %error, "Could not notify systemd.");
        }
    }

    /// `READY=1` with a status line.
    pub fn ready(&self, status: &str) {
        self.notify(&format!("READY=1\nSTATUS={}", one_line(status)));
    }

    /// `STATUS=…`: the line `systemctl status` shows.
    pub fn status(&self, status: &str) {
        self.notify(&format!("STATUS={}", one_line(status)));
    }

    /// `STOPPING=1` with a status line.
    pub fn stopping(&self, status: &str) {
        self.notify(&format!("STOPPING=1\nSTATUS={}", one_line(status)));
    }

    /// Spawns the task that sends `WATCHDOG=1` every
    /// [`watchdog_interval`](Self::watchdog_interval) until `shutdown`
    /// fires; `None` when systemd asked for no watchdog. Pings stop with the
    /// stop signal: systemd does not watch a unit that is stopping, whose
    /// drain is bounded by `drain_timeout` and `TimeoutStopSec=` instead.
    pub fn spawn_watchdog(
        self: &std::sync::Arc<Self>,
        mut shutdown: Shutdown,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let every = self.watchdog?;
        self.target.as_ref()?;
        let notifier = std::sync::Arc::clone(self);
        Some(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => notifier.notify("WATCHDOG=1"),
                    _ = shutdown.recv() => return,
                }
            }
        }))
    }
}

/// `@name` → abstract address, anything else → path.
fn parse_address(socket: &str) -> io::Result<SocketAddr> {
    match socket.strip_prefix('@') {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            SocketAddr::from_abstract_name(name.as_bytes())
        }
        None => SocketAddr::from_pathname(socket),
    }
}

/// Half of `WATCHDOG_USEC`, when set, positive, and meant for `pid`
/// (`WATCHDOG_PID` absent or equal: systemd sets it so a child the service
/// spawned does not take the pings for itself).
fn watchdog_interval(usec: Option<&str>, for_pid: Option<&str>, pid: u32) -> Option<Duration> {
    if for_pid.is_some_and(|p| p.trim().parse::<u32>().ok() != Some(pid)) {
        return None;
    }
    let usec: u64 = usec?.trim().parse().ok().filter(|&u| u > 0)?;
    Some(Duration::from_micros(usec / 2))
}

/// A status line must not carry a newline: it would start a new assignment.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receiver() -> (tempfile::TempDir, UnixDatagram, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let socket = UnixDatagram::bind(&path).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        (dir, socket, path.to_str().unwrap().to_string())
    }

    fn recv(socket: &UnixDatagram) -> String {
        let mut buf = [0u8; 4096];
        let n = socket.recv(&mut buf).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn ready_status_and_stopping_arrive_as_single_datagrams_on_a_path_socket() {
        let (_dir, socket, path) = receiver();
        let notifier = SystemdNotifier::connect(&path).unwrap();
        notifier.ready("running: 2 sources\n1 sink");
        assert_eq!(recv(&socket), "READY=1\nSTATUS=running: 2 sources 1 sink");
        notifier.status("busy");
        assert_eq!(recv(&socket), "STATUS=busy");
        notifier.stopping("draining");
        assert_eq!(recv(&socket), "STOPPING=1\nSTATUS=draining");
    }

    #[test]
    fn an_at_sign_names_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("auditship-test-{}", std::process::id());
        let address = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let socket = UnixDatagram::bind_addr(&address).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let notifier = SystemdNotifier::connect(&format!("@{name}")).unwrap();
        notifier.notify("READY=1");
        assert_eq!(recv(&socket), "READY=1");
    }

    #[test]
    fn a_disabled_notifier_sends_nothing_and_does_not_fail() {
        let notifier = SystemdNotifier::disabled();
        assert!(!notifier.is_enabled());
        notifier.ready("x");
        notifier.stopping("x");
    }

    #[test]
    fn a_missing_socket_is_logged_not_fatal() {
        let notifier = SystemdNotifier::connect("/nonexistent/auditship/notify.sock").unwrap();
        notifier.ready("x"); // must not panic
    }

    #[test]
    fn watchdog_pings_at_half_the_period_only_for_this_process() {
        let half = Some(Duration::from_secs(15));
        assert_eq!(watchdog_interval(Some("30000000"), None, 7), half);
        assert_eq!(watchdog_interval(Some("30000000"), Some("7"), 7), half);
        assert_eq!(watchdog_interval(Some("30000000"), Some("8"), 7), None);
        assert_eq!(watchdog_interval(Some("0"), None, 7), None);
        assert_eq!(watchdog_interval(Some("soon"), None, 7), None);
        assert_eq!(watchdog_interval(None, None, 7), None);
    }

    #[tokio::test]
    async fn the_watchdog_task_pings_until_shutdown() {
        let (_dir, socket, path) = receiver();
        let mut notifier = SystemdNotifier::connect(&path).unwrap();
        notifier.watchdog = Some(Duration::from_millis(20));
        let notifier = std::sync::Arc::new(notifier);
        let (trigger, shutdown) = crate::shutdown::channel();
        let task = notifier.spawn_watchdog(shutdown).expect("watchdog task");
        let socket = tokio::task::spawn_blocking(move || {
            assert_eq!(recv(&socket), "WATCHDOG=1");
            assert_eq!(recv(&socket), "WATCHDOG=1");
            socket
        })
        .await
        .unwrap();
        trigger.fire();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the watchdog task stops on shutdown")
            .unwrap();
        // Drain what was in flight, then nothing more comes.
        socket.set_nonblocking(true).unwrap();
        while socket.recv(&mut [0u8; 64]).is_ok() {}
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(socket.recv(&mut [0u8; 64]).is_err());
    }
}
