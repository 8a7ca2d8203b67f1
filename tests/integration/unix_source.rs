//! The `unix` source: stream (with `SO_PEERCRED` peer identity and
//! `allow_uids`) and datagram sockets; a stale socket file is replaced,
//! the new one gets mode 0660.

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::time::Duration;

use crate::socket_support::*;
use crate::support::*;

fn my_uid(ws: &Workspace) -> u32 {
    std::fs::metadata(ws.root.path()).unwrap().uid()
}

fn wait_socket(path: &std::path::Path, agent: &Agent) {
    let up = wait_until(Duration::from_secs(30), || {
        std::fs::symlink_metadata(path).is_ok_and(|m| {
            use std::os::unix::fs::FileTypeExt;
            m.file_type().is_socket()
        }) && (UnixStream::connect(path).is_ok()
            || UnixDatagram::unbound().unwrap().connect(path).is_ok())
    });
    assert!(up, "no socket at {}; log:\n{}", path.display(), agent.log());
}

#[test]
fn unix_stream_and_datagram_entries_arrive_with_the_peer_and_strangers_are_refused() {
    let ws = Workspace::new();
    let (stream_path, dgram_path, closed_path) =
        (ws.path("s.sock"), ws.path("d.sock"), ws.path("closed.sock"));
    // A stale socket file from an earlier run: replaced at start.
    drop(UnixListener::bind(&stream_path).unwrap());
    let uid = my_uid(&ws);
    let stranger = if uid == 0 { 1 } else { uid + 1 };
    let config = socket_config(
        &ws,
        "",
        &format!(
            r#"[sources.local]
type = "unix"
path = "{s}"
allow_uids = [{uid}]

[sources.dgram]
type = "unix"
path = "{d}"
mode = "datagram"

[sources.closed]
type = "unix"
path = "{c}"
allow_uids = [{stranger}]
"#,
            s = stream_path.display(),
            d = dgram_path.display(),
            c = closed_path.display(),
        ),
    );
    let agent = Agent::start(&ws, &config);
    for path in [&stream_path, &dgram_path, &closed_path] {
        wait_socket(path, &agent);
    }
    let mode = std::fs::metadata(&stream_path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o660);

    let mut stream = UnixStream::connect(&stream_path).unwrap();
    for i in 0..50 {
        writeln!(stream, "{}", gen_audit::json_line(3, i)).unwrap();
    }
    stream.write_all(b"\xff\xfe not json\n").unwrap();
    drop(stream);
    let sender = UnixDatagram::unbound().unwrap();
    for i in 50..100 {
        sender
            .send_to(gen_audit::json_line(3, i).as_bytes(), &dgram_path)
            .unwrap();
    }
    // Not in allow_uids: the connection is closed before anything is read.
    let mut refused = UnixStream::connect(&closed_path).unwrap();
    let _ = writeln!(refused, "{}", gen_audit::json_line(3, 1000));
    drop(refused);

    let _ = wait_events(&ws, 101, &agent);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        agent.log().contains("Refused a unix socket peer"),
        "{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let events = ws.output_events();
    let seqs = count_by_seq(&events);
    assert_eq!(seqs.len(), 100, "{} events", events.len());
    assert!(seqs.values().all(|&n| n == 1));
    assert!(
        !seqs.contains_key(&1000),
        "the refused peer's entry was stored"
    );
    assert_eq!(events.len(), 101);
    let from_stream = events.iter().find(|e| e["details"]["seq"] == 0).unwrap();
    assert_eq!(from_stream["origin"]["kind"], "unix");
    assert_eq!(from_stream["origin"]["peer"]["uid"], uid);
    assert!(from_stream["origin"]["peer"]["pid"].as_u64().is_some());
    assert!(
        events.iter().any(|e| e["parse_error"].is_object()),
        "the bad line is kept"
    );
    assert!(!stream_path.exists(), "the socket file is removed at stop");
}

fn my_gid(ws: &Workspace) -> u32 {
    std::fs::metadata(ws.root.path()).unwrap().gid()
}

fn metric(port: u16, name: &str) -> Option<f64> {
    let reply = request(port, "GET", "/metrics", &[], b"");
    reply
        .body
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn datagram_senders_are_identified_by_scm_credentials_and_strangers_are_dropped() {
    let ws = Workspace::new();
    let (open_path, closed_path) = (ws.path("open.sock"), ws.path("closed.sock"));
    let (uid, gid) = (my_uid(&ws), my_gid(&ws));
    let stranger = if uid == 0 { 1 } else { uid + 1 };
    let admin = free_port();
    let config = socket_config(
        &ws,
        "",
        &format!(
            r#"[admin]
address = "127.0.0.1:{admin}"

[sources.open]
type = "unix"
path = "{o}"
mode = "datagram"
allow_uids = [{uid}]
allow_gids = [{gid}]

[sources.closed]
type = "unix"
path = "{c}"
mode = "datagram"
allow_uids = [{stranger}]
"#,
            o = open_path.display(),
            c = closed_path.display(),
        ),
    );
    let agent = Agent::start(&ws, &config);
    for path in [&open_path, &closed_path] {
        wait_socket(path, &agent);
    }
    wait_healthy_admin(admin, &agent);
    // A sender bound to a path: its path is kept beside its credentials.
    let sender_path = ws.path("sender.sock");
    let sender = UnixDatagram::bind(&sender_path).unwrap();
    for i in 0..30 {
        sender
            .send_to(gen_audit::json_line(5, i).as_bytes(), &open_path)
            .unwrap();
    }
    for i in 1000..1020 {
        sender
            .send_to(gen_audit::json_line(5, i).as_bytes(), &closed_path)
            .unwrap();
    }
    let _ = wait_events(&ws, 30, &agent);
    assert!(
        wait_until(Duration::from_secs(30), || metric(
            admin,
            "auditship_source_refused_total"
        ) == Some(20.0)),
        "refused datagrams are counted; metric {:?}; log:\n{}",
        metric(admin, "auditship_source_refused_total"),
        agent.log()
    );
    assert!(
        agent
            .log()
            .contains("Refused a datagram from a sender not in allow_uids"),
        "{}",
        agent.log()
    );
    assert_eq!(agent.stop(), 0);
    let events = ws.output_events();
    let seqs = count_by_seq(&events);
    assert_eq!(seqs.len(), 30, "{} events", events.len());
    assert!(
        seqs.keys().all(|&s| s < 30),
        "a refused sender's datagram was journaled: {seqs:?}"
    );
    for event in &events {
        let peer = &event["origin"]["peer"];
        assert_eq!(peer["uid"], uid, "{event}");
        assert_eq!(peer["gid"], gid, "{event}");
        assert_eq!(peer["pid"], std::process::id(), "{event}");
        assert_eq!(peer["addr"], sender_path.display().to_string(), "{event}");
    }
}

fn wait_healthy_admin(port: u16, agent: &Agent) {
    let up = wait_until(Duration::from_secs(30), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            && request(port, "GET", "/ready", &[], b"").status == 200
    });
    assert!(up, "admin endpoint not ready; log:\n{}", agent.log());
}
