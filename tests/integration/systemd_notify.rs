//! The agent under a (pretend) systemd: `NOTIFY_SOCKET` points at a test
//! socket, which receives `READY=1` once the agent runs, `WATCHDOG=1`
//! pings, and `STOPPING=1` on SIGTERM; SIGHUP (`systemctl reload`) does not
//! kill it.

use std::os::unix::net::UnixDatagram;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

struct NotifiedAgent {
    child: Child,
    socket: UnixDatagram,
    log: std::path::PathBuf,
}

impl NotifiedAgent {
    fn start(ws: &Workspace) -> NotifiedAgent {
        let config = ws.config("*.log", "");
        let socket_path = ws.path("notify.sock");
        let socket = UnixDatagram::bind(&socket_path).unwrap();
        let log = ws.path("agent.log");
        let child = Command::new(bin())
            .args(["run", "-c"])
            .arg(&config)
            .env("RUST_LOG", "auditship=info")
            .env("NOTIFY_SOCKET", &socket_path)
            // 200 ms: pings every 100 ms, so the test sees some quickly.
            .env("WATCHDOG_USEC", "200000")
            .env_remove("WATCHDOG_PID")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        NotifiedAgent { child, socket, log }
    }

    /// The next datagram, or `None` after `timeout`.
    fn recv(&self, timeout: Duration) -> Option<String> {
        self.socket.set_read_timeout(Some(timeout)).unwrap();
        let mut buf = [0u8; 4096];
        let n = self.socket.recv(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    /// Datagrams until one contains `wanted` (returned with it), or panics.
    fn recv_until(&self, wanted: &str, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.recv(left) {
                Some(message) => {
                    let done = message.lines().any(|l| l == wanted);
                    seen.push(message);
                    if done {
                        return seen;
                    }
                }
                None => break,
            }
        }
        panic!(
            "no {wanted} within {timeout:?}; got {seen:?}; log:\n{}",
            self.log()
        );
    }

    fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .unwrap()
            .success());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status.code().unwrap_or(-1));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for NotifiedAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ready_comes_after_start_then_watchdog_pings_and_stopping_on_sigterm() {
    let ws = Workspace::new();
    let mut agent = NotifiedAgent::start(&ws);

    let first = agent
        .recv(Duration::from_secs(20))
        .unwrap_or_else(|| panic!("no notification; log:\n{}", agent.log()));
    assert!(
        first.starts_with("READY=1\nSTATUS=Running: 1 sources, 1 sinks"),
        "the first message must be READY=1: {first:?}"
    );
    // READY=1 is sent after the journal is recovered and sources are open,
    // which the agent logs just before.
    assert!(ws.data_dir().join("journal").is_dir());
    assert!(
        agent.log().contains("auditship is running."),
        "READY=1 before start-up finished; log:\n{}",
        agent.log()
    );

    agent.recv_until("WATCHDOG=1", Duration::from_secs(5));

    agent.signal("TERM");
    let seen = agent.recv_until("STOPPING=1", Duration::from_secs(10));
    assert!(
        seen.iter().all(|m| !m.contains("READY=1")),
        "READY=1 sent twice: {seen:?}"
    );
    let code = agent.wait_exit(Duration::from_secs(20));
    assert_eq!(code, Some(0), "log:\n{}", agent.log());
}

#[test]
fn sighup_is_logged_and_does_not_stop_the_agent() {
    let ws = Workspace::new();
    let mut agent = NotifiedAgent::start(&ws);
    agent.recv_until("READY=1", Duration::from_secs(20));

    agent.signal("HUP");
    assert!(
        wait_until(Duration::from_secs(5), || agent.log().contains("SIGHUP")),
        "SIGHUP not acknowledged; log:\n{}",
        agent.log()
    );
    assert_eq!(agent.wait_exit(Duration::from_millis(300)), None);

    agent.signal("TERM");
    assert_eq!(agent.wait_exit(Duration::from_secs(20)), Some(0));
}
