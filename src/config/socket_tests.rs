//! Loading the socket sources (`unix`, `syslog`, `http`): defaults, the
//! combinations refused, and the messages that say what to fix.

use std::time::Duration;

use super::*;

const SINK: &str = "[sinks.out]\ntype = \"console\"\n";

fn load(text: &str) -> Result<Config, String> {
    from_str_with_env(&format!("{text}{SINK}"), "auditship.toml", &|name| {
        (name == "TOKEN").then(|| "s3cret".to_string())
    })
    .map_err(|e| e.to_string())
}

fn source(text: &str) -> SourceKind {
    load(text).unwrap().sources.remove(0).kind
}

#[test]
fn http_defaults_to_local_json_with_a_10_mib_body_limit() {
    let SourceKind::Http(http) = source("[sources.in]\ntype = \"http\"\ntoken = \"${TOKEN}\"\n")
    else {
        panic!("an http source")
    };
    assert_eq!(http.address.to_string(), "127.0.0.1:8687");
    assert_eq!(http.token.as_ref().map(Secret::expose), Some("s3cret"));
    assert_eq!(http.max_body_bytes, 10 << 20);
    assert_eq!(http.common.format.name(), "json");
    assert!(http.tls.is_none());
}

#[test]
fn syslog_defaults_to_tcp_and_the_syslog_format() {
    let SourceKind::Syslog(syslog) =
        source("[sources.s]\ntype = \"syslog\"\naddress = \"0.0.0.0:6514\"\n")
    else {
        panic!("a syslog source")
    };
    assert_eq!(syslog.protocol, SyslogProtocol::Tcp);
    assert_eq!(syslog.common.format, FormatConfig::Syslog);
    assert_eq!(syslog.common.max_connections, 256);
    assert_eq!(syslog.common.idle_timeout, Duration::from_secs(300));
}

#[test]
fn syslog_tls_needs_a_certificate_and_tls_needs_protocol_tls() {
    let err =
        load("[sources.s]\ntype = \"syslog\"\naddress = \"0.0.0.0:6514\"\nprotocol = \"tls\"\n")
            .unwrap_err();
    assert!(err.contains("\"tls\" needs tls = { cert"), "{err}");
    let err = load("[sources.s]\ntype = \"syslog\"\naddress = \"0.0.0.0:6514\"\ntls = { cert = \"c\", key = \"k\" }\n").unwrap_err();
    assert!(err.contains("applies to protocol = \"tls\" only"), "{err}");
    let SourceKind::Syslog(syslog) = source(
        "[sources.s]\ntype = \"syslog\"\naddress = \"0.0.0.0:6514\"\nprotocol = \"tls\"\ntls = { cert = \"c\", key = \"k\", client_ca = \"ca\" }\n",
    ) else {
        panic!("a syslog source")
    };
    assert_eq!(syslog.tls.unwrap().client_ca.unwrap().to_str(), Some("ca"));
}

#[test]
fn a_host_name_as_listen_address_is_refused_with_an_example() {
    let err = load("[sources.s]\ntype = \"syslog\"\naddress = \"localhost:514\"\n").unwrap_err();
    assert!(err.contains("auditship.toml:3:11: invalid \"address\" in [sources.s]: \"localhost:514\" is not ip:port"), "{err}");
}

#[test]
fn unix_defaults_and_peer_lists() {
    let SourceKind::Unix(unix) = source(
        "[sources.l]\ntype = \"unix\"\npath = \"/run/a.sock\"\nallow_uids = [0, 1000]\nsocket_mode = \"0600\"\n",
    ) else {
        panic!("a unix source")
    };
    assert_eq!(unix.mode, UnixMode::Stream);
    assert_eq!(unix.allow_uids, Some(vec![0, 1000]));
    assert_eq!(unix.allow_gids, None);
    assert_eq!(unix.socket_mode, 0o600);
    let SourceKind::Unix(unix) =
        source("[sources.l]\ntype = \"unix\"\npath = \"/run/a.sock\"\nsocket_mode = 0o640\n")
    else {
        panic!("a unix source")
    };
    assert_eq!(unix.socket_mode, 0o640);
}

#[test]
fn unix_peer_checks_apply_to_datagrams_too_and_bad_ids_are_refused() {
    let SourceKind::Unix(unix) = source(
        "[sources.l]\ntype = \"unix\"\npath = \"/a\"\nmode = \"datagram\"\nallow_uids = [0]\nallow_gids = [4]\n",
    ) else {
        panic!("a unix source")
    };
    assert_eq!(unix.mode, UnixMode::Datagram);
    assert_eq!(unix.allow_uids, Some(vec![0]));
    assert_eq!(unix.allow_gids, Some(vec![4]));
    let err = load("[sources.l]\ntype = \"unix\"\npath = \"/a\"\nallow_uids = [-1]\n").unwrap_err();
    assert!(err.contains("-1 is not a uid/gid"), "{err}");
    let err =
        load("[sources.l]\ntype = \"unix\"\npath = \"/a\"\nsocket_mode = \"rw\"\n").unwrap_err();
    assert!(err.contains("must be permission bits in octal"), "{err}");
}

#[test]
fn unknown_keys_of_socket_sources_get_suggestions() {
    let err = load("[sources.in]\ntype = \"http\"\nmax_body_byte = \"1MiB\"\n").unwrap_err();
    assert!(
        err.contains("unknown key \"max_body_byte\" in [sources.in]"),
        "{err}"
    );
    assert!(err.contains("did you mean \"max_body_bytes\"?"), "{err}");
}
