//! What `auditship validate` prints: one line per setting or component,
//! with its type and key settings, defaults included, so an operator sees
//! exactly what would run.
//!
//! Invariant: prints no secret. A `splunk_hec` token is shown as `<set>`.
//! Header values of `http` sinks (tokens) are
//! shown as `<set>`, only their names appear; a URI's query string (where
//! some services take keys) is shown as `?<hidden>`.

use std::fmt::Write;

use super::alert_types::ChannelKind;
use super::nats_sink_types::*;
use super::syslog_sink_types::*;
use super::types::*;
use super::units::{format_duration, format_size};

impl Config {
    /// The configuration as `auditship validate` prints it, one item per
    /// line, sources and sinks in file order.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let j = &self.journal;
        let _ = writeln!(out, "data_dir {}", self.data_dir.display());
        let _ = writeln!(out, "host {}", self.host);
        let _ = writeln!(
            out,
            "journal max_bytes={} fsync={} batch_interval={} segment_bytes={}",
            format_size(j.max_bytes),
            match j.fsync {
                FsyncPolicy::Batch => "batch",
                FsyncPolicy::Always => "always",
            },
            format_duration(j.batch_interval),
            j.segment_bytes.map_or("auto".to_string(), format_size),
        );
        if let Some(admin) = &self.admin {
            let _ = writeln!(
                out,
                "admin address={} (not served in this version)",
                admin.address
            );
        }
        for source in &self.sources {
            let _ = write!(out, "source {} type={}", source.id, source.kind.type_name());
            match &source.kind {
                SourceKind::File(file) => {
                    let _ = write!(out, " include={}", list(&file.include));
                    if !file.exclude.is_empty() {
                        let _ = write!(out, " exclude={}", list(&file.exclude));
                    }
                    let _ = write!(
                        out,
                        " format={} start_at={} max_line_bytes={} poll_interval={} glob_interval={} min_read_interval={} keep_raw={}",
                        file.format.name(),
                        match file.start_at {
                            StartAt::Beginning => "beginning",
                            StartAt::End => "end",
                        },
                        format_size(file.max_line_bytes as u64),
                        format_duration(file.poll_interval),
                        format_duration(file.glob_interval),
                        format_duration(file.min_read_interval),
                        file.keep_raw,
                    );
                    describe_map(&mut out, &file.format);
                }
                SourceKind::Unix(unix) => {
                    let _ = write!(
                        out,
                        " path={} mode={} socket_mode={:04o}",
                        unix.path.display(),
                        match unix.mode {
                            UnixMode::Stream => "stream",
                            UnixMode::Datagram => "datagram",
                        },
                        unix.socket_mode,
                    );
                    for (key, ids) in [
                        ("allow_uids", &unix.allow_uids),
                        ("allow_gids", &unix.allow_gids),
                    ] {
                        if let Some(ids) = ids {
                            let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
                            let _ = write!(out, " {key}=[{}]", ids.join(","));
                        }
                    }
                    describe_socket(&mut out, &unix.common);
                }
                SourceKind::Syslog(syslog) => {
                    let _ = write!(
                        out,
                        " address={} protocol={}",
                        syslog.address,
                        syslog.protocol.name()
                    );
                    describe_server_tls(&mut out, syslog.tls.as_ref());
                    describe_socket(&mut out, &syslog.common);
                }
                SourceKind::Http(http) => {
                    let _ = write!(
                        out,
                        " address={} token={} max_body_bytes={}",
                        http.address,
                        if http.token.is_some() {
                            "<secret>"
                        } else {
                            "none"
                        },
                        format_size(http.max_body_bytes as u64),
                    );
                    describe_server_tls(&mut out, http.tls.as_ref());
                    describe_socket(&mut out, &http.common);
                }
            }
            out.push('\n');
        }
        for sink in &self.sinks {
            let _ = write!(
                out,
                "sink {} type={} inputs={}",
                sink.id,
                sink.kind.type_name(),
                list(&sink.inputs)
            );
            match &sink.kind {
                SinkKind::File(file) => {
                    let _ = write!(
                        out,
                        " path={} compression={} max_file_bytes={}",
                        file.path,
                        match file.compression {
                            Compression::None => "none",
                            Compression::Gzip => "gzip",
                        },
                        file.max_file_bytes.map_or("none".to_string(), format_size),
                    );
                }
                SinkKind::DatadogLogs(datadog) => describe_datadog_logs(&mut out, datadog),
                SinkKind::Http(http) => describe_http(&mut out, http),
                SinkKind::SplunkHec(hec) => describe_splunk_hec(&mut out, hec),
                SinkKind::GcpLogging(gcp) => describe_gcp_logging(&mut out, gcp),
                SinkKind::Elasticsearch(es) => describe_elasticsearch(&mut out, es),
                SinkKind::Syslog(syslog) => describe_syslog(&mut out, syslog),
                SinkKind::Nats(nats) => describe_nats(&mut out, nats),
                SinkKind::Postgres(postgres) => {
                    // The URL may hold a password: never shown.
                    let _ = write!(
                        out,
                        " url=<set> password={} table={} create_table={} request_timeout={}",
                        if postgres.password.is_some() {
                            "<set>"
                        } else {
                            "<none>"
                        },
                        postgres.table,
                        postgres.create_table,
                        format_duration(postgres.request_timeout),
                    );
                }
                SinkKind::Console(console) => {
                    let _ = write!(
                        out,
                        " stream={}",
                        match console.stream {
                            ConsoleStream::Stdout => "stdout",
                            ConsoleStream::Stderr => "stderr",
                        }
                    );
                }
            }
            let _ = writeln!(
                out,
                " batch.max_events={} batch.max_bytes={} batch.timeout={}",
                sink.batch.max_events,
                format_size(sink.batch.max_bytes as u64),
                format_duration(sink.batch.timeout),
            );
        }
        // Channel URLs and keys are secrets: only the type is shown.
        for channel in &self.channels {
            let _ = write!(
                out,
                "channel {} type={} max_age={} rate_limit_per_minute={}",
                channel.id,
                channel.kind.name(),
                format_duration(channel.max_age),
                channel.rate_limit_per_minute,
            );
            if let ChannelKind::Email(email) = &channel.kind {
                let _ = write!(
                    out,
                    " server={}:{} protocol={:?} recipients={}",
                    email.host,
                    email.port,
                    email.protocol,
                    email.to.len()
                );
            }
            out.push('\n');
        }
        for alert in &self.alerts {
            let _ = write!(
                out,
                "alert {} channels={} severity={} threshold={} cooldown={}",
                alert.id,
                list(&alert.channels),
                alert.severity.as_str(),
                alert
                    .threshold
                    .as_ref()
                    .map_or("none".to_string(), |t| format!(
                        "{}/{}",
                        t.count,
                        format_duration(t.window)
                    )),
                format_duration(alert.cooldown),
            );
            if let Some(digest) = alert.digest {
                let _ = write!(out, " digest={}", format_duration(digest));
            }
            if let Some(s) = &alert.schedule {
                let _ = write!(
                    out,
                    " schedule={} off_hours_channels={}",
                    s.timezone,
                    list(&s.off_hours_channels)
                );
            }
            out.push('\n');
        }
        out
    }
}

fn describe_http(out: &mut String, http: &HttpSinkConfig) {
    let uri = match http.uri.split_once('?') {
        Some((before, _)) => format!("{before}?<hidden>"),
        None => http.uri.clone(),
    };
    let _ = write!(
        out,
        " uri={uri} method={} encoding={} compression={} request_timeout={}",
        http.method.name(),
        http.encoding.name(),
        match http.compression {
            Compression::None => "none",
            Compression::Gzip => "gzip",
        },
        format_duration(http.request_timeout),
    );
    for (name, _) in &http.headers {
        let _ = write!(out, " headers.{name}=<set>");
    }
    describe_tls(out, &http.tls);
}

/// The token is shown as `<set>`, never its value.
fn describe_splunk_hec(out: &mut String, hec: &SplunkHecSinkConfig) {
    let _ = write!(out, " endpoint={} token=<set>", hec.endpoint);
    if let Some(index) = &hec.index {
        let _ = write!(out, " index={index}");
    }
    let _ = write!(
        out,
        " source={} sourcetype={} host={} ack={}",
        hec.source,
        hec.sourcetype,
        hec.host.as_deref().unwrap_or("<agent.host>"),
        hec.ack,
    );
    if hec.ack {
        let _ = write!(out, " ack_timeout={}", format_duration(hec.ack_timeout));
    }
    let _ = write!(
        out,
        " compression={} max_request_bytes={} request_timeout={}",
        match hec.compression {
            Compression::None => "none",
            Compression::Gzip => "gzip",
        },
        format_size(hec.max_request_bytes as u64),
        format_duration(hec.request_timeout),
    );
    describe_tls(out, &hec.tls);
}

fn describe_tls(out: &mut String, tls: &TlsConfig) {
    if let Some(ca) = &tls.ca {
        let _ = write!(out, " tls.ca={}", ca.display());
    }
    if let Some(client) = &tls.client_certificate {
        let _ = write!(
            out,
            " tls.cert={} tls.key={}",
            client.cert.display(),
            client.key.display()
        );
    }
    if let Some(name) = &tls.server_name {
        let _ = write!(out, " tls.server_name={name}");
    }
    if tls.insecure_skip_verify {
        let _ = write!(out, " tls.insecure_skip_verify=true (INSECURE)");
    }
}

/// The key file's path is shown, never its content; the metadata server
/// only when it is used.
fn describe_gcp_logging(out: &mut String, gcp: &GcpLoggingSinkConfig) {
    let _ = write!(
        out,
        " project_id={} log_id={} endpoint={}",
        gcp.project_id, gcp.log_id, gcp.endpoint
    );
    match &gcp.credentials {
        Some(path) => {
            let _ = write!(out, " credentials={}", path.display());
        }
        None => {
            let _ = write!(
                out,
                " credentials=metadata_server metadata_endpoint={}",
                gcp.metadata_endpoint
            );
        }
    }
    let _ = write!(out, " resource.type={}", gcp.resource.kind);
    for (name, value) in &gcp.resource.labels {
        let _ = write!(out, " resource.labels.{name}={value}");
    }
    let _ = write!(
        out,
        " request_timeout={}",
        format_duration(gcp.request_timeout)
    );
    describe_tls(out, &gcp.tls);
}

/// The API key is shown as `<set>` (an endpoint cannot hold a query string).
fn describe_datadog_logs(out: &mut String, datadog: &DatadogLogsSinkConfig) {
    let _ = write!(out, " site={} url={}", datadog.site, datadog.intake_url());
    if let Some(service) = &datadog.service {
        let _ = write!(out, " service={service}");
    }
    if !datadog.tags.is_empty() {
        let _ = write!(out, " tags={}", list(&datadog.tags));
    }
    let _ = write!(
        out,
        " api_key=<set> compression={} request_timeout={}",
        match datadog.compression {
            Compression::None => "none",
            Compression::Gzip => "gzip",
        },
        format_duration(datadog.request_timeout),
    );
    describe_tls(out, &datadog.tls);
}

/// Credentials are shown as `<set>`.
fn describe_elasticsearch(out: &mut String, es: &ElasticsearchSinkConfig) {
    let _ = write!(out, " endpoint={}", es.endpoint);
    match &es.target {
        ElasticsearchTarget::Index(pattern) => {
            let _ = write!(out, " index={pattern}");
        }
        ElasticsearchTarget::DataStream(name) => {
            let _ = write!(out, " data_stream={name}");
        }
    }
    match &es.auth {
        Some(ElasticsearchAuth::Basic { user, .. }) => {
            let _ = write!(out, " user={user} password=<set>");
        }
        Some(ElasticsearchAuth::ApiKey(_)) => {
            let _ = write!(out, " api_key=<set>");
        }
        None => {}
    }
    if let Some(pipeline) = &es.pipeline {
        let _ = write!(out, " pipeline={pipeline}");
    }
    let _ = write!(
        out,
        " compression={} max_request_bytes={} request_timeout={}",
        match es.compression {
            Compression::None => "none",
            Compression::Gzip => "gzip",
        },
        format_size(es.max_request_bytes as u64),
        format_duration(es.request_timeout),
    );
    describe_tls(out, &es.tls);
}

/// Servers as host:port only (a URL may carry a password); credentials
/// as which kind is set.
fn describe_nats(out: &mut String, nats: &NatsSinkConfig) {
    let servers: Vec<String> = nats
        .urls
        .iter()
        .filter_map(|url| url.expose().parse::<async_nats::ServerAddr>().ok())
        .map(|addr| format!("{}://{}:{}", addr.scheme(), addr.host(), addr.port()))
        .collect();
    let _ = write!(out, " urls={} subject={}", list(&servers), nats.subject);
    let _ = write!(
        out,
        " auth={}",
        match &nats.auth {
            None => "none".to_string(),
            Some(NatsAuth::UserPassword { user, .. }) => format!("user={user} password=<set>"),
            Some(NatsAuth::Token(_)) => "token=<set>".into(),
            Some(NatsAuth::Nkey(_)) => "nkey=<set>".into(),
            Some(NatsAuth::Credentials(path)) => format!("credentials={}", path.display()),
        }
    );
    if let Some(stream) = &nats.create_stream {
        let _ = write!(
            out,
            " create_stream.name={} create_stream.subjects={} create_stream.replicas={} create_stream.max_age={} create_stream.duplicate_window={}",
            stream.name,
            list(&stream.subjects),
            stream.replicas,
            if stream.max_age.is_zero() {
                "none".to_string()
            } else {
                format_duration(stream.max_age)
            },
            format_duration(stream.duplicate_window),
        );
    }
    let _ = write!(
        out,
        " request_timeout={}",
        format_duration(nats.request_timeout)
    );
    describe_tls(out, &nats.tls);
}

fn describe_syslog(out: &mut String, syslog: &SyslogSinkConfig) {
    let _ = write!(
        out,
        " address={} protocol={} encoding={} facility={} request_timeout={}",
        syslog.address,
        syslog.protocol.name(),
        match syslog.encoding {
            SyslogEncoding::Rfc5424 => "rfc5424",
            SyslogEncoding::Cef => "cef",
            SyslogEncoding::Json => "json",
        },
        syslog.facility,
        format_duration(syslog.request_timeout),
    );
    match syslog.protocol {
        SyslogProtocol::Udp => {
            let _ = write!(out, " max_message_bytes={}", syslog.max_message_bytes);
        }
        _ => {
            let framing = match syslog.framing {
                SyslogFraming::OctetCounting => "octet_counting",
                SyslogFraming::Newline => "newline",
            };
            let _ = write!(out, " framing={framing}");
        }
    }
    describe_tls(out, &syslog.tls);
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

fn describe_map(out: &mut String, format: &FormatConfig) {
    if let FormatConfig::Json { map } = format {
        for (field, path) in map {
            let _ = write!(out, " map.{field}={path}");
        }
    }
}

fn describe_socket(out: &mut String, common: &SocketCommon) {
    let _ = write!(
        out,
        " format={} keep_raw={} max_frame_bytes={} max_connections={} idle_timeout={}",
        common.format.name(),
        common.keep_raw,
        format_size(common.max_frame_bytes as u64),
        common.max_connections,
        format_duration(common.idle_timeout),
    );
    describe_map(out, &common.format);
}

fn describe_server_tls(out: &mut String, tls: Option<&ServerTlsConfig>) {
    if let Some(tls) = tls {
        let _ = write!(
            out,
            " tls.cert={} tls.key={}",
            tls.cert.display(),
            tls.key.display()
        );
        if let Some(ca) = &tls.client_ca {
            let _ = write!(out, " tls.client_ca={}", ca.display());
        }
    }
}
