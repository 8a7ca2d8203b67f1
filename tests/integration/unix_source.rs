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
