//! Validation of the `syslog` sink.

use super::super::raw_sinks::RawSyslogSink;
use super::Validator;
use crate::config::syslog_sink_types::*;
use crate::config::types::TlsConfig;

/// The IANA "example" enterprise number (RFC 5612): fine for receivers
/// that match on the name before `@`; set your own PEN for strict ones.
pub const DEFAULT_ENTERPRISE_NUMBER: u32 = 32473;

impl Validator {
    /// `type = "syslog"`.
    pub(super) fn syslog_sink(
        &mut self,
        table: &[String],
        raw: RawSyslogSink,
    ) -> Option<SyslogSinkConfig> {
        let before = self.problems.len();
        let address = &raw.address;
        if let Err(message) = check_address(&address.value) {
            let message = format!("\"{}\" {message}", address.shown());
            self.invalid(address.at(), table, "address", message);
        }
        let protocol = self.choice(
            table,
            "protocol",
            &raw.protocol,
            &[
                ("tls", SyslogProtocol::Tls),
                ("tcp", SyslogProtocol::Tcp),
                ("udp", SyslogProtocol::Udp),
            ],
            SyslogProtocol::Tls,
        );
        let framing = self.choice(
            table,
            "framing",
            &raw.framing,
            &[
                ("octet_counting", SyslogFraming::OctetCounting),
                ("newline", SyslogFraming::Newline),
            ],
            SyslogFraming::OctetCounting,
        );
        let encoding = self.choice(
            table,
            "encoding",
            &raw.encoding,
            &[
                ("rfc5424", SyslogEncoding::Rfc5424),
                ("cef", SyslogEncoding::Cef),
                ("json", SyslogEncoding::Json),
            ],
            SyslogEncoding::Rfc5424,
        );
        let facility = self.choice(
            table,
            "facility",
            &raw.facility,
            SYSLOG_FACILITIES,
            10, // authpriv: security/authorization messages
        );
        let enterprise_number = match &raw.enterprise_number {
            None => DEFAULT_ENTERPRISE_NUMBER,
            Some(number) => match u32::try_from(number.value) {
                Ok(n) if n > 0 => n,
                _ => {
                    let message = "must be a positive IANA private enterprise number".into();
                    self.invalid(number.at(), table, "enterprise_number", message);
                    DEFAULT_ENTERPRISE_NUMBER
                }
            },
        };
        let max_message_bytes = self.size(
            table,
            "max_message_bytes",
            &raw.max_message_bytes,
            2048,
            480,
        );
        if max_message_bytes > 65_507 {
            if let Some(written) = &raw.max_message_bytes {
                let message = "must be at most 65507 bytes (the largest UDP payload)".into();
                self.invalid(written.at(), table, "max_message_bytes", message);
            }
        }
        let request_timeout = self.request_timeout(table, &raw.request_timeout);
        (self.problems.len() == before).then(|| SyslogSinkConfig {
            address: address.value.clone(),
            protocol,
            framing,
            encoding,
            facility,
            enterprise_number,
            max_message_bytes: usize::try_from(max_message_bytes).unwrap_or(usize::MAX),
            request_timeout,
            tls: TlsConfig::default(),
        })
    }
}

/// Why `address` is not `host:port`, if it is not.
fn check_address(address: &str) -> Result<(), &'static str> {
    let Some((host, port)) = address.rsplit_once(':') else {
        return Err("must be host:port, e.g. \"siem.example.com:6514\"");
    };
    if host.is_empty() || host.contains('/') {
        return Err("must be host:port without a scheme, e.g. \"siem.example.com:6514\"");
    }
    match port.parse::<u16>() {
        Ok(port) if port > 0 => Ok(()),
        _ => Err("has no valid port (1–65535), e.g. \"siem.example.com:6514\""),
    }
}
