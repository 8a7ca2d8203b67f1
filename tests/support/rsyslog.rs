//! A real rsyslog receiver for the `syslog` sink's tests: the test writes
//! its own configuration and runs `rsyslogd -n -f CONF -i PIDFILE` on
//! 127.0.0.1, with a throw-away TLS certificate when asked. rsyslog writes
//! each received message (`%rawmsg%`, the message without its frame) as
//! one line of `out.log`.
//!
//! `.ci/run` installs `rsyslog` and `rsyslog-gnutls` and sets
//! `AUDITSHIP_REQUIRE_RSYSLOG=1`, so CI fails rather than skips when it is
//! missing; on a developer machine without it the tests say so and pass.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const RSYSLOGD: &str = "/usr/sbin/rsyslogd";

/// Whether rsyslog can run here; prints why not. Panics when CI requires it.
pub fn available() -> bool {
    if Path::new(RSYSLOGD).exists() {
        return true;
    }
    if std::env::var_os("AUDITSHIP_REQUIRE_RSYSLOG").is_some() {
        panic!("{RSYSLOGD} is missing: apt-get install rsyslog rsyslog-gnutls");
    }
    eprintln!("SKIPPED: {RSYSLOGD} is not installed (apt-get install rsyslog rsyslog-gnutls; .ci/run does)");
    false
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Tls,
}

pub struct Rsyslog {
    dir: PathBuf,
    pub port: u16,
    transport: Transport,
    child: Option<Child>,
}

impl Rsyslog {
    /// Starts rsyslog in `dir` on a free port; for TLS, `dir/ca.pem` is the
    /// certificate clients must trust.
    pub fn start(dir: &Path, transport: Transport) -> Rsyslog {
        std::fs::create_dir_all(dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if transport == Transport::Tls {
            let certified =
                rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
                    .unwrap();
            std::fs::write(dir.join("ca.pem"), certified.cert.pem()).unwrap();
            std::fs::write(dir.join("key.pem"), certified.key_pair.serialize_pem()).unwrap();
        }
        let mut rsyslog = Rsyslog {
            dir: dir.to_path_buf(),
            port,
            transport,
            child: None,
        };
        rsyslog.write_config();
        rsyslog.restart();
        rsyslog
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn write_config(&self) {
        let dir = self.dir.display();
        let tls_globals = match self.transport {
            Transport::Tls => format!(
                "DefaultNetstreamDriver=\"gtls\" DefaultNetstreamDriverCAFile=\"{dir}/ca.pem\" \
                 DefaultNetstreamDriverCertFile=\"{dir}/ca.pem\" DefaultNetstreamDriverKeyFile=\"{dir}/key.pem\""
            ),
            Transport::Tcp => String::new(),
        };
        let driver = match self.transport {
            Transport::Tls => {
                "StreamDriver.Name=\"gtls\" StreamDriver.Mode=\"1\" StreamDriver.AuthMode=\"anon\""
            }
            Transport::Tcp => "",
        };
        let config = format!(
            r#"global(workDirectory="{dir}" maxMessageSize="64k" {tls_globals})
module(load="imtcp" {driver})
input(type="imtcp" port="{port}" address="127.0.0.1")
template(name="raw" type="string" string="%rawmsg%\n")
action(type="omfile" file="{dir}/out.log" template="raw" flushOnTXEnd="on" asyncWriting="off")
"#,
            port = self.port,
        );
        std::fs::write(self.dir.join("rsyslog.conf"), config).unwrap();
    }

    /// (Re)starts the daemon and waits until it accepts connections.
    pub fn restart(&mut self) {
        self.stop();
        // A pid file left by a killed daemon would make the new one refuse.
        let _ = std::fs::remove_file(self.dir.join("rsyslogd.pid"));
        let log = std::fs::File::create(self.dir.join("rsyslogd.stderr")).unwrap();
        let child = Command::new(RSYSLOGD)
            .arg("-n")
            .arg("-f")
            .arg(self.dir.join("rsyslog.conf"))
            .arg("-i")
            .arg(self.dir.join("rsyslogd.pid"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start rsyslogd");
        self.child = Some(child);
        // Generous: on a loaded CI machine rsyslog's start (GnuTLS init)
        // can take seconds.
        for _ in 0..400 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "rsyslogd did not listen on {}: {}",
            self.port,
            std::fs::read_to_string(self.dir.join("rsyslogd.stderr")).unwrap_or_default()
        );
    }

    /// SIGTERM and wait: rsyslog closes its connections and flushes.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let _ = child.wait();
        }
    }

    /// The messages received so far, one per line.
    pub fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("out.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
