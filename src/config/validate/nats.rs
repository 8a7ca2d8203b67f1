//! Validation of the `nats` sink: server URLs parse (with the client's own
//! parser), the subject template gives a valid subject for every event,
//! one way of authenticating at most, the stream settings. Messages never
//! show a URL, password, token or seed: each may hold a secret.

use std::path::PathBuf;
use std::time::Duration;

use super::super::located::Located;
use super::super::raw_sinks::{RawNatsSink, RawNatsStream};
use super::Validator;
use crate::config::types::*;
use crate::config::{
    NatsAuth, NatsSinkConfig, NatsStreamConfig, SubjectTemplate, DEFAULT_NATS_DUPLICATE_WINDOW,
};

impl Validator {
    /// `type = "nats"`.
    pub(super) fn nats_sink(
        &mut self,
        table: &[String],
        raw: RawNatsSink,
    ) -> Option<NatsSinkConfig> {
        let before = self.problems.len();
        if raw.urls.value.is_empty() {
            let message = "must name at least one server, e.g. [\"nats://nats-1:4222\"]".into();
            self.invalid(raw.urls.at(), table, "urls", message);
        }
        for (index, url) in raw.urls.value.iter().enumerate() {
            if let Err(problem) = check_url(&url.value) {
                let message = format!("entry {} {problem}", index + 1);
                self.invalid(url.at(), table, "urls", message);
            }
        }
        let subject = match SubjectTemplate::parse(&raw.subject.value) {
            Ok(subject) => Some(subject),
            Err(problem) => {
                let message = format!("\"{}\" {problem}", raw.subject.shown());
                self.invalid(raw.subject.at(), table, "subject", message);
                None
            }
        };
        let auth = self.nats_auth(table, &raw);
        let create_stream = match (&raw.create_stream, &subject) {
            (Some(stream), Some(subject)) => {
                let stream_table: Vec<String> = table
                    .iter()
                    .cloned()
                    .chain(["create_stream".into()])
                    .collect();
                self.nats_stream(&stream_table, &stream.value, subject)
            }
            _ => None,
        };
        let request_timeout = self.request_timeout(table, &raw.request_timeout);
        (self.problems.len() == before).then(|| NatsSinkConfig {
            urls: raw
                .urls
                .value
                .iter()
                .map(|u| Secret::new(u.value.clone()))
                .collect(),
            subject: subject.expect("checked above"),
            auth,
            create_stream,
            request_timeout,
            tls: TlsConfig::default(),
        })
    }

    fn nats_auth(&mut self, table: &[String], raw: &RawNatsSink) -> Option<NatsAuth> {
        let written: Vec<(&str, usize)> = [
            ("user", raw.user.as_ref().map(Located::at)),
            ("token", raw.token.as_ref().map(Located::at)),
            ("nkey", raw.nkey.as_ref().map(Located::at)),
            ("credentials", raw.credentials.as_ref().map(Located::at)),
        ]
        .into_iter()
        .filter_map(|(key, at)| Some((key, at?)))
        .collect();
        if let [(first, _), (second, at), ..] = written[..] {
            let message = format!("cannot be used with \"{first}\": choose one way to authenticate (user and password, token, nkey or credentials)");
            self.invalid(at, table, second, message);
            return None;
        }
        let auth = match (&raw.user, &raw.password) {
            (Some(user), Some(password)) => {
                let user_secret = self.nats_secret(table, "user", user);
                Some(NatsAuth::UserPassword {
                    user: user_secret.expose().to_string(),
                    password: self.nats_secret(table, "password", password),
                })
            }
            (Some(user), None) => {
                let message = "needs \"password\" as well".to_string();
                self.invalid(user.at(), table, "user", message);
                None
            }
            (None, Some(password)) => {
                let message = "needs \"user\" as well (or use token)".to_string();
                self.invalid(password.at(), table, "password", message);
                None
            }
            (None, None) => None,
        };
        if let Some(token) = &raw.token {
            return Some(NatsAuth::Token(self.nats_secret(table, "token", token)));
        }
        if let Some(seed) = &raw.nkey {
            let value = self.nats_secret(table, "nkey", seed);
            let shape_ok = value.expose().len() == 58
                && value.expose().starts_with("SU")
                && value
                    .expose()
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c));
            if !shape_ok {
                let message = "is not a user nkey seed (58 characters starting with \"SU\", as `nk -gen user` writes it)".to_string();
                self.invalid(seed.at(), table, "nkey", message);
            }
            return Some(NatsAuth::Nkey(value));
        }
        if let Some(path) = &raw.credentials {
            if path.value.is_empty() {
                let message = "must be the path of a .creds file".to_string();
                self.invalid(path.at(), table, "credentials", message);
            }
            return Some(NatsAuth::Credentials(PathBuf::from(&path.value)));
        }
        auth
    }

    /// A credential, checked for shape only; never echoed.
    fn nats_secret(&mut self, table: &[String], key: &str, value: &Located<String>) -> Secret {
        if value.value.trim().is_empty() || value.value.chars().any(|c| c.is_control()) {
            let message = "is empty or holds a line break (check the environment variable or file it comes from)";
            self.invalid(value.at(), table, key, message.into());
        }
        Secret::new(value.value.clone())
    }

    fn nats_stream(
        &mut self,
        table: &[String],
        raw: &RawNatsStream,
        subject: &SubjectTemplate,
    ) -> Option<NatsStreamConfig> {
        let before = self.problems.len();
        let name = &raw.name;
        let name_ok = !name.value.is_empty()
            && name.value.len() <= 255
            && !name.value.chars().any(|c| {
                matches!(c, '.' | '*' | '>' | '/' | '\\') || c.is_whitespace() || c.is_control()
            });
        if !name_ok {
            let message = format!("\"{}\" is not a stream name (letters, digits, '-' and '_'; no '.', '*', '>', '/' or whitespace)", name.shown());
            self.invalid(name.at(), table, "name", message);
        }
        let subjects = match &raw.subjects {
            None => vec![subject.stream_filter()],
            Some(list) => {
                if list.value.is_empty() {
                    let message = "must name at least one subject; remove the key to take the subject template's".into();
                    self.invalid(list.at(), table, "subjects", message);
                }
                for written in &list.value {
                    let text = &written.value;
                    let ok = !text.is_empty()
                        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
                        && !text.split('.').any(str::is_empty);
                    if !ok {
                        let message = format!(
                            "\"{}\" is not a subject filter such as \"audit.>\"",
                            written.shown()
                        );
                        self.invalid(written.at(), table, "subjects", message);
                    }
                }
                list.value.iter().map(|s| s.value.clone()).collect()
            }
        };
        let replicas = match &raw.replicas {
            None => 1,
            Some(written) if (1..=5).contains(&written.value) => written.value as usize,
            Some(written) => {
                let message = format!(
                    "{} is out of range: JetStream keeps 1 to 5 copies",
                    written.value
                );
                self.invalid(written.at(), table, "replicas", message);
                1
            }
        };
        let max_age = self.duration(table, "max_age", &raw.max_age, Duration::ZERO, false);
        let mut duplicate_window = self.duration(
            table,
            "duplicate_window",
            &raw.duplicate_window,
            DEFAULT_NATS_DUPLICATE_WINDOW,
            true,
        );
        if !max_age.is_zero() && duplicate_window > max_age {
            match &raw.duplicate_window {
                Some(written) => {
                    let message = "must not be longer than max_age (JetStream refuses it)".into();
                    self.invalid(written.at(), table, "duplicate_window", message);
                }
                // The default window, shortened to fit.
                None => duplicate_window = max_age,
            }
        }
        (self.problems.len() == before).then(|| NatsStreamConfig {
            name: name.value.clone(),
            subjects,
            replicas,
            max_age,
            duplicate_window,
        })
    }
}

/// Whether `url` is a server address the client takes; the problem
/// without the URL itself (it may hold a password).
fn check_url(url: &str) -> Result<(), String> {
    let parsed: async_nats::ServerAddr = url.parse().map_err(|_| {
        "is not a server URL: write nats://HOST:PORT (or tls://HOST:PORT)".to_string()
    })?;
    if !matches!(parsed.scheme(), "nats" | "tls") {
        return Err("must start with nats:// or tls:// (websocket URLs are not supported)".into());
    }
    if parsed.host().is_empty() {
        return Err("names no host: write nats://HOST:PORT".into());
    }
    Ok(())
}
