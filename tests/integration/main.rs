//! Integration tests: the real `auditship` binary on temp directories.
//! One test binary, grouped by purpose (one module each).

#[path = "../support/alert_emulator.rs"]
mod alert_emulator;
#[path = "../support/datadog_emulator.rs"]
mod datadog_emulator;
#[path = "../support/emulator_server.rs"]
mod emulator_server;
#[path = "../support/es_emulator.rs"]
mod es_emulator;
#[path = "../support/gcp_emulator.rs"]
mod gcp_emulator;
#[path = "../support/gen_audit.rs"]
mod gen_audit;
#[path = "../support/http_receiver.rs"]
mod http_receiver;
#[path = "../support/nats.rs"]
mod nats;
#[path = "../support/postgres.rs"]
mod postgres;
#[path = "../support/rsyslog.rs"]
mod rsyslog;
#[path = "../support/smtp_receiver.rs"]
mod smtp_receiver;
#[path = "../support/smtp_session.rs"]
mod smtp_session;
mod socket_support;
#[path = "../support/splunk_emulator.rs"]
mod splunk_emulator;
mod support;

mod admin;
mod agent_logs;
mod aggregator;
mod alert_email;
mod alert_schedule;
mod alerts;
mod audit_formats;
mod backfill;
mod bad_input;
mod cli;
mod datadog_logs;
mod deployment;
mod elasticsearch;
mod end_to_end;
mod file_rotation;
mod gcp_logging;
mod hardening;
mod http_delivery;
mod http_source;
mod journal_durability;
mod nats_sink;
mod ocsf_output;
mod postgres_sink;
mod reload;
mod restarts;
mod sink_driver;
mod splunk_hec;
mod syslog_sink;
mod syslog_source;
mod systemd_notify;
mod tamper_evidence;
mod tap;
mod unix_source;
