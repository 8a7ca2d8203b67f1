//! Validation of `[channels.ID]` with `type = "email"`: the server, the
//! protocol and its default port, credentials (never shown, never sent in
//! clear), sender and recipient addresses.

use super::super::located::Located;
use super::super::raw_alerts::RawEmailChannel;
use super::Validator;
use crate::config::types::Secret;
use crate::config::{EmailConfig, SmtpProtocol};

impl Validator {
    pub(super) fn email(&mut self, table: &[String], raw: RawEmailChannel) -> EmailConfig {
        let host = &raw.host;
        if host.value.is_empty()
            || host.value.contains("://")
            || host
                .value
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '/')
        {
            let message = format!(
                "\"{}\" is not a host name or IP address, e.g. \"smtp.example.com\"",
                host.shown()
            );
            self.invalid(host.at(), table, "host", message);
        }
        let protocol = match raw.protocol.as_ref().map(|p| p.value.as_str()) {
            None | Some("starttls") => SmtpProtocol::StartTls,
            Some("tls") => SmtpProtocol::Tls,
            Some("plain") => SmtpProtocol::Plain,
            Some(other) => {
                let message = format!("\"{other}\" is not a protocol: \"starttls\" (port 587), \"tls\" (port 465) or \"plain\"");
                let at = raw.protocol.as_ref().map_or(0, Located::at);
                self.invalid(at, table, "protocol", message);
                SmtpProtocol::StartTls
            }
        };
        let port = match &raw.port {
            None => protocol.default_port(),
            Some(port) => u16::try_from(port.value)
                .ok()
                .filter(|p| *p > 0)
                .unwrap_or_else(|| {
                    self.invalid(
                        port.at(),
                        table,
                        "port",
                        "must be between 1 and 65535".into(),
                    );
                    protocol.default_port()
                }),
        };
        match (&raw.username, &raw.password) {
            (Some(user), None) => self.invalid(
                user.at(),
                table,
                "username",
                "needs \"password\" as well".into(),
            ),
            (None, Some(password)) => self.invalid(
                password.at(),
                table,
                "password",
                "needs \"username\" as well".into(),
            ),
            (Some(user), Some(password)) => {
                self.secret_text(table, "username", user);
                self.secret_text(table, "password", password);
                if protocol == SmtpProtocol::Plain {
                    let message = "would be sent unencrypted with protocol = \"plain\"; use \"starttls\" or \"tls\"";
                    self.invalid(password.at(), table, "password", message.into());
                }
            }
            (None, None) => {}
        }
        self.address(table, "from", &raw.from);
        if raw.to.value.is_empty() {
            self.invalid(
                raw.to.at(),
                table,
                "to",
                "must list at least one address".into(),
            );
        }
        for to in &raw.to.value {
            self.address(table, "to", to);
        }
        EmailConfig {
            host: raw.host.value,
            port,
            protocol,
            username: raw.username.map(|u| Secret::new(u.value)),
            password: raw.password.map(|p| Secret::new(p.value)),
            from: raw.from.value,
            to: raw.to.value.into_iter().map(|t| t.value).collect(),
        }
    }

    /// A plain `local@domain` address (no display name, nothing that
    /// could break an SMTP command or a header).
    fn address(&mut self, table: &[String], key: &str, value: &Located<String>) {
        let ok = value.value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        }) && !value
            .value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"()[]\\".contains(c));
        if !ok {
            let message = format!(
                "\"{}\" is not an email address such as \"alerts@example.com\" (no display name)",
                value.shown()
            );
            self.invalid(value.at(), table, key, message);
        }
    }
}
