//! A strict SMTP receiver on 127.0.0.1 for the `email` channel's tests
//! (blocking threads, rustls for STARTTLS with a test certificate).
//!
//! It checks what a real MTA relies on and records every deviation in
//! `violations` (tests assert there are none): CRLF line ends, EHLO before
//! anything, EHLO again after STARTTLS, AUTH only under TLS and required
//! before MAIL when credentials are set, MAIL → RCPT → DATA order,
//! dot-stuffed data (a lone `.` ends it, a leading `.` is removed).
//! `fail_next` makes the next transactions fail (421 at the greeting, 451
//! after DATA, 550 to RCPT) so retry and give-up paths can be tested.
//! The protocol side is `smtp_session`.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use base64::Engine;

use crate::smtp_session::Session;

/// How one transaction is made to fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fail {
    Greeting421,
    AfterData451,
    Rcpt550,
}

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    pub tls: bool,
    pub user: Option<String>,
    pub from: String,
    pub to: Vec<String>,
    /// The message, dot-stuffing removed, CRLF line ends.
    pub data: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        head.split("\r\n")
            .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_string))
    }

    /// The body, decoded when sent as base64.
    pub fn body(&self) -> String {
        let body = self
            .data
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        if self.header("Content-Transfer-Encoding").as_deref() != Some("base64") {
            return body;
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body.replace("\r\n", ""))
            .expect("valid base64 body");
        String::from_utf8(bytes).expect("UTF-8 body")
    }
}

#[derive(Default)]
pub struct ReceiverState {
    pub received: Mutex<Vec<Received>>,
    pub violations: Mutex<Vec<String>>,
    pub fail_next: Mutex<VecDeque<Fail>>,
    /// Transactions that ended in a deliberate failure.
    pub failed: Mutex<usize>,
}

pub struct SmtpReceiver {
    pub port: u16,
    pub state: Arc<ReceiverState>,
}

pub type Tls = Arc<rustls::ServerConfig>;

impl SmtpReceiver {
    /// `tls`: (certificate PEM, key PEM) to offer STARTTLS with;
    /// `credentials`: required AUTH user and password.
    pub fn start(tls: Option<(&str, &str)>, credentials: Option<(&str, &str)>) -> SmtpReceiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(ReceiverState::default());
        let tls: Option<Tls> = tls.map(|(cert, key)| server_config(cert, key));
        let credentials = credentials.map(|(u, p)| (u.to_string(), p.to_string()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (state, tls, credentials) = (shared.clone(), tls.clone(), credentials.clone());
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(30)));
                    Session::new(state, credentials).run(stream, tls);
                });
            }
        });
        SmtpReceiver { port, state }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    pub fn violations(&self) -> Vec<String> {
        self.state.violations.lock().unwrap().clone()
    }

    pub fn failed(&self) -> usize {
        *self.state.failed.lock().unwrap()
    }

    pub fn fail_next(&self, fails: &[Fail]) {
        self.state.fail_next.lock().unwrap().extend(fails);
    }
}

fn server_config(cert: &str, key: &str) -> Tls {
    use rustls_pki_types::pem::PemObject;
    let chain = vec![rustls_pki_types::CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()];
    let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    Arc::new(config)
}
