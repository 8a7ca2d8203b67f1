//! Values only the socket sources have: listen addresses, uid/gid lists,
//! socket file modes, TLS server files.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::super::located::Located;
use super::super::raw_sources::RawServerTls;
use super::super::units::NumberOrText;
use super::Validator;
use crate::config::types::ServerTlsConfig;

impl Validator {
    /// An `ip:port` to bind; host names are refused (binding needs an address).
    pub(super) fn listen_address(
        &mut self,
        table: &[String],
        key: &str,
        value: Option<&Located<String>>,
        example: &str,
    ) -> Option<SocketAddr> {
        let Some(value) = value else {
            return example.parse().ok();
        };
        match value.value.parse::<SocketAddr>() {
            Ok(address) => Some(address),
            Err(_) => {
                self.invalid(
                    value.at(),
                    table,
                    key,
                    format!(
                        "\"{}\" is not ip:port, e.g. \"{example}\" (an IP address, not a host name; \"0.0.0.0\" listens on every interface)",
                        value.shown()
                    ),
                );
                None
            }
        }
    }

    pub(super) fn ids(
        &mut self,
        table: &[String],
        key: &str,
        value: &Option<Located<Vec<Located<i64>>>>,
    ) -> Option<Vec<u32>> {
        let list = value.as_ref()?;
        if list.value.is_empty() {
            self.invalid(
                list.at(),
                table,
                key,
                "must name at least one id; remove the key to let every peer in".into(),
            );
        }
        let mut ids = Vec::with_capacity(list.value.len());
        for id in &list.value {
            match u32::try_from(id.value) {
                Ok(id) => ids.push(id),
                Err(_) => self.invalid(
                    id.at(),
                    table,
                    key,
                    format!("{} is not a uid/gid (0 to 4294967295)", id.value),
                ),
            }
        }
        Some(ids)
    }

    pub(super) fn socket_mode(
        &mut self,
        table: &[String],
        value: &Option<Located<NumberOrText>>,
    ) -> u32 {
        const DEFAULT: u32 = 0o660;
        let Some(value) = value else {
            return DEFAULT;
        };
        let mode = match &value.value {
            NumberOrText::Number(n) => u32::try_from(*n).ok(),
            NumberOrText::Text(text) => u32::from_str_radix(text.trim_start_matches("0o"), 8).ok(),
        };
        match mode {
            Some(mode) if mode <= 0o777 => mode,
            _ => {
                self.invalid(
                    value.at(),
                    table,
                    "socket_mode",
                    "must be permission bits in octal, e.g. \"0660\" or 0o660".into(),
                );
                DEFAULT
            }
        }
    }

    pub(super) fn server_tls(&mut self, source: &[String], raw: &RawServerTls) -> ServerTlsConfig {
        let table: Vec<String> = source.iter().cloned().chain(["tls".to_string()]).collect();
        for (key, value) in [
            ("cert", Some(&raw.cert)),
            ("key", Some(&raw.key)),
            ("client_ca", raw.client_ca.as_ref()),
        ] {
            if let Some(value) = value {
                if value.value.trim().is_empty() {
                    self.invalid(value.at(), &table, key, "must not be empty".into());
                }
            }
        }
        ServerTlsConfig {
            cert: PathBuf::from(&raw.cert.value),
            key: PathBuf::from(&raw.key.value),
            client_ca: raw.client_ca.as_ref().map(|ca| PathBuf::from(&ca.value)),
        }
    }
}
