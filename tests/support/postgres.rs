//! A real PostgreSQL for the `postgres` sink's tests: `initdb` into a temp
//! dir and `postgres` on a free 127.0.0.1 port (no unix socket), password
//! authentication (SCRAM) for the `auditship` superuser. PostgreSQL refuses
//! to run as root, so when the tests run as root (CI, this sandbox) both
//! run as `nobody` through `setpriv`, which execs (the child *is* the
//! server, so signals reach it).
//!
//! `.ci/run` installs `postgresql` when missing and sets
//! `AUDITSHIP_REQUIRE_POSTGRES=1`, so CI fails rather than skips when it is
//! missing; on a developer machine without it the tests say so and pass.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const USER: &str = "auditship";
pub const PASSWORD: &str = "pg-s3cret";
/// uid/gid of `nobody`, the unprivileged user the server runs as under root.
const NOBODY: u32 = 65534;

/// The newest `/usr/lib/postgresql/N/bin`, when PostgreSQL is installed.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// Whether PostgreSQL can run here; prints why not. Panics when CI requires it.
pub fn available() -> bool {
    if bin_dir().is_some() {
        return true;
    }
    if std::env::var_os("AUDITSHIP_REQUIRE_POSTGRES").is_some() {
        panic!("no /usr/lib/postgresql/*/bin/postgres: apt-get install postgresql");
    }
    eprintln!("SKIPPED: PostgreSQL is not installed (apt-get install postgresql; .ci/run does)");
    false
}

fn is_root() -> bool {
    // The owner of a file we just created is who we are.
    let probe = tempfile::NamedTempFile::new().unwrap();
    std::os::unix::fs::MetadataExt::uid(&probe.as_file().metadata().unwrap()) == 0
}

pub struct Postgres {
    root: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    child: Option<Child>,
}

impl Postgres {
    /// `initdb`, then starts the server and waits until it answers.
    pub fn start() -> Postgres {
        let bin = bin_dir().expect("check available() first");
        let root = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if is_root() {
            std::os::unix::fs::chown(root.path(), Some(NOBODY), Some(NOBODY)).unwrap();
        }
        let pwfile = root.path().join("pwfile");
        std::fs::write(&pwfile, PASSWORD).unwrap();
        let pg = Postgres {
            root,
            bin,
            port,
            child: None,
        };
        let out = pg
            .command("initdb")
            .arg("-D")
            .arg(pg.data())
            .args([
                "-U",
                USER,
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut pg = pg;
        pg.restart();
        pg
    }

    fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// A server binary, run as `nobody` when we are root.
    fn command(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if is_root() {
            let mut command = Command::new("setpriv");
            command
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    /// (Re)starts the server and waits until it answers queries.
    pub fn restart(&mut self) {
        self.stop();
        let log = std::fs::File::create(self.root.path().join("server.log")).unwrap();
        if is_root() {
            let log_path = self.root.path().join("server.log");
            std::os::unix::fs::chown(&log_path, Some(NOBODY), Some(NOBODY)).unwrap();
        }
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "unix_socket_directories="])
            .args(["-c", "fsync=off", "-c", "full_page_writes=off"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start postgres");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::time::Instant::now() < deadline {
            if self.try_query("SELECT 1").is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("postgres did not come up; log:\n{}", self.log());
    }

    /// Fast shutdown (SIGINT: open sessions are ended, committed data kept).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id().to_string();
            let _ = Command::new("kill").args(["-INT", &pid]).status();
            let _ = child.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.path().join("server.log")).unwrap_or_default()
    }

    /// The URL the sink uses (the password is given apart).
    pub fn url(&self) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs `sql` with psql; its unaligned, tuples-only output or stderr.
    pub fn try_query(&self, sql: &str) -> Result<String, String> {
        let out = Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", USER])
            .args(["-d", "postgres", "-v", "ON_ERROR_STOP=1", "-Atc", sql])
            .env("PGPASSWORD", PASSWORD)
            .env("PGCONNECT_TIMEOUT", "5")
            .stdin(Stdio::null())
            .output()
            .expect("run psql");
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    pub fn query(&self, sql: &str) -> String {
        self.try_query(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}\nserver log:\n{}", self.log()))
    }

    /// `SELECT count(*)`-style single numbers; 0 while the table is missing.
    pub fn count(&self, sql: &str) -> u64 {
        self.try_query(sql)
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }

    pub fn dir(&self) -> &Path {
        self.root.path()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
