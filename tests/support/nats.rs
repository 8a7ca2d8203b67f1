//! A real NATS for the `nats` sink's tests: `nats-server` with JetStream
//! (file storage) in a temp dir on free 127.0.0.1 ports, as one node or a
//! 3-node cluster (routes on loopback, one `server_name` per node), with
//! an optional user and password. Nodes are killed with SIGKILL and
//! restarted on the same ports and store dirs.
//!
//! Reading back: [`JetStreamReader`] (`nats_reader.rs`).
//!
//! `.ci/run` installs `nats-server` when missing and sets
//! `AUDITSHIP_REQUIRE_NATS=1`, so CI fails rather than skips when it is
//! missing; on a developer machine without it the tests say so and pass.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "nats_reader.rs"]
mod nats_reader;
pub use nats_reader::JetStreamReader;

pub const USER: &str = "auditship";
pub const PASSWORD: &str = "nats-s3cret";

fn binary() -> Option<PathBuf> {
    [
        "/usr/sbin/nats-server",
        "/usr/bin/nats-server",
        "/usr/local/bin/nats-server",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// Whether nats-server can run here; prints why not. Panics when CI requires it.
pub fn available() -> bool {
    if binary().is_some() {
        return true;
    }
    if std::env::var_os("AUDITSHIP_REQUIRE_NATS").is_some() {
        panic!("no nats-server: apt-get install nats-server");
    }
    eprintln!("SKIPPED: nats-server is not installed (apt-get install nats-server; .ci/run does)");
    false
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Node {
    name: String,
    port: u16,
    config: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

/// One node or a cluster of them.
pub struct Nats {
    root: tempfile::TempDir,
    nodes: Vec<Node>,
    password: bool,
}

impl Nats {
    /// One node, no authentication.
    pub fn single() -> Nats {
        Nats::start(1, false)
    }

    /// One node that requires [`USER`] and [`PASSWORD`].
    pub fn single_with_password() -> Nats {
        Nats::start(1, true)
    }

    /// Three nodes in one cluster; waits until JetStream has a meta leader.
    pub fn cluster() -> Nats {
        Nats::start(3, false)
    }

    fn start(size: usize, password: bool) -> Nats {
        let bin = binary().expect("check available() first");
        let root = tempfile::tempdir().unwrap();
        let cluster_ports: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let mut nodes = Vec::new();
        for index in 0..size {
            let name = format!("n{}", index + 1);
            let port = free_port();
            let store = root.path().join(&name);
            let mut text = format!(
                "server_name: {name}\nlisten: 127.0.0.1:{port}\n\
                 jetstream {{ store_dir: \"{}\" }}\n",
                store.display()
            );
            if size > 1 {
                let routes: Vec<String> = cluster_ports
                    .iter()
                    .map(|p| format!("\"nats-route://127.0.0.1:{p}\""))
                    .collect();
                text.push_str(&format!(
                    "cluster {{ name: auditship-test, listen: 127.0.0.1:{}, routes: [{}] }}\n",
                    cluster_ports[index],
                    routes.join(", ")
                ));
            }
            if password {
                text.push_str(&format!(
                    "authorization {{ user: {USER}, password: \"{PASSWORD}\" }}\n"
                ));
            }
            let config = root.path().join(format!("{name}.conf"));
            std::fs::write(&config, text).unwrap();
            nodes.push(Node {
                log: root.path().join(format!("{name}.log")),
                name,
                port,
                config,
                child: None,
            });
        }
        let _ = bin;
        let mut nats = Nats {
            root,
            nodes,
            password,
        };
        for index in 0..size {
            nats.spawn(index);
        }
        for index in 0..size {
            nats.wait_listening(index);
        }
        nats.wait_jetstream_ready();
        nats
    }

    fn spawn(&mut self, index: usize) {
        let node = &mut self.nodes[index];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .unwrap();
        let child = Command::new(binary().unwrap())
            .arg("-c")
            .arg(&node.config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start nats-server");
        node.child = Some(child);
    }

    fn wait_listening(&self, index: usize) {
        let port = self.nodes[index].port;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "nats-server {} did not listen; logs:\n{}",
            self.nodes[index].name,
            self.logs()
        );
    }

    /// Waits until the JetStream API answers without error (a cluster has
    /// elected its meta leader).
    fn wait_jetstream_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(info) = self.api("$JS.API.INFO") {
                if info.get("error").is_none() {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("JetStream did not become ready; logs:\n{}", self.logs());
    }

    /// `nats://127.0.0.1:PORT` of every node.
    pub fn urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.port))
            .collect()
    }

    /// `urls = [...]` for a config.
    pub fn urls_toml(&self) -> String {
        let quoted: Vec<String> = self.urls().iter().map(|u| format!("\"{u}\"")).collect();
        format!("[{}]", quoted.join(", "))
    }

    /// SIGKILL the node named `server_name`.
    pub fn kill9(&mut self, server_name: &str) {
        let node = self
            .nodes
            .iter_mut()
            .find(|n| n.name == server_name)
            .unwrap_or_else(|| panic!("no node {server_name}"));
        if let Some(mut child) = node.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGTERM the node named `server_name` and wait for it: a clean
    /// shutdown, which writes out what it acknowledged (a single node's
    /// file store flushes asynchronously, so a SIGKILL may lose its last
    /// acknowledged writes; a cluster's replicas cover that).
    pub fn stop(&mut self, server_name: &str) {
        let node = self
            .nodes
            .iter_mut()
            .find(|n| n.name == server_name)
            .unwrap_or_else(|| panic!("no node {server_name}"));
        if let Some(mut child) = node.child.take() {
            let pid = child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            child.wait().unwrap();
        }
    }

    /// Starts again (same port, same store) every node that is down.
    pub fn restart_stopped(&mut self) {
        for index in 0..self.nodes.len() {
            if self.nodes[index].child.is_none() {
                self.spawn(index);
                self.wait_listening(index);
            }
        }
    }

    pub fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(|n| {
                let text = std::fs::read_to_string(&n.log).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(40).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                format!("--- {} ---\n{}\n", n.name, tail.join("\n"))
            })
            .collect()
    }

    /// A JetStream client on the nodes that run now.
    pub fn reader(&self) -> JetStreamReader {
        JetStreamReader {
            urls: self
                .nodes
                .iter()
                .filter(|n| n.child.is_some())
                .map(|n| format!("nats://127.0.0.1:{}", n.port))
                .collect(),
            password: self.password,
        }
    }

    pub fn api(&self, subject: &str) -> Result<serde_json::Value, String> {
        self.reader().api(subject)
    }

    pub fn stream_info(&self, stream: &str) -> Option<serde_json::Value> {
        self.reader().stream_info(stream)
    }

    pub fn message_count(&self, stream: &str) -> u64 {
        self.reader().message_count(stream)
    }

    pub fn stream_leader(&self, stream: &str) -> Option<String> {
        self.reader().stream_leader(stream)
    }

    pub fn read_all(&self, stream: &str) -> Vec<(String, String, serde_json::Value)> {
        self.reader()
            .read_all(stream)
            .unwrap_or_else(|error| panic!("{error}\n{}", self.logs()))
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}
