//! One connection of the test SMTP receiver (`smtp_receiver`): the
//! commands, their order, STARTTLS, AUTH and DATA, checked strictly; every
//! deviation goes to `violations`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use base64::Engine;

use crate::smtp_receiver::{Fail, Received, ReceiverState, Tls};

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

pub struct Session {
    state: Arc<ReceiverState>,
    credentials: Option<(String, String)>,
    fail: Option<Fail>,
    tls: bool,
    greeted: bool,
    user: Option<String>,
    from: Option<String>,
    to: Vec<String>,
}

impl Session {
    pub fn new(state: Arc<ReceiverState>, credentials: Option<(String, String)>) -> Session {
        let fail = state.fail_next.lock().unwrap().pop_front();
        Session {
            state,
            credentials,
            fail,
            tls: false,
            greeted: false,
            user: None,
            from: None,
            to: vec![],
        }
    }

    fn violation(&self, what: String) {
        self.state.violations.lock().unwrap().push(what);
    }

    fn failed(&self) {
        *self.state.failed.lock().unwrap() += 1;
    }

    pub fn run(mut self, stream: TcpStream, tls: Option<Tls>) {
        let mut io: BufReader<Box<dyn Stream>> = BufReader::new(Box::new(stream));
        if self.fail == Some(Fail::Greeting421) {
            self.failed();
            let _ = io.get_mut().write_all(b"421 busy, try later\r\n");
            return;
        }
        let _ = io.get_mut().write_all(b"220 receiver ESMTP\r\n");
        loop {
            let Some(line) = self.line(&mut io) else {
                return;
            };
            let upper = line.to_ascii_uppercase();
            let reply: String = if upper.starts_with("EHLO ") {
                self.greeted = true;
                self.from = None;
                let mut r = String::from("250-receiver\r\n");
                if tls.is_some() && !self.tls {
                    r.push_str("250-STARTTLS\r\n");
                }
                if self.tls || tls.is_none() {
                    r.push_str("250-AUTH PLAIN LOGIN\r\n");
                }
                r + "250 8BITMIME\r\n"
            } else if !self.greeted {
                self.violation(format!("{line:?} before EHLO"));
                "503 EHLO first\r\n".into()
            } else if upper == "STARTTLS" {
                let Some(config) = tls.clone() else {
                    self.violation("STARTTLS not offered".into());
                    return;
                };
                let _ = io.get_mut().write_all(b"220 ready for TLS\r\n");
                if !io.buffer().is_empty() {
                    self.violation("client pipelined after STARTTLS".into());
                }
                let inner = io.into_inner();
                let conn = rustls::ServerConnection::new(config).unwrap();
                io = BufReader::new(Box::new(rustls::StreamOwned::new(conn, inner)));
                self.tls = true;
                self.greeted = false;
                continue;
            } else if upper.starts_with("AUTH ") {
                self.auth(&mut io, &line)
            } else if let Some(from) = upper.strip_prefix("MAIL FROM:<").map(|_| &line[11..]) {
                if self.credentials.is_some() && self.user.is_none() {
                    self.violation("MAIL without AUTH".into());
                    "530 authentication required\r\n".into()
                } else {
                    self.from = Some(from.trim_end_matches('>').to_string());
                    self.to.clear();
                    "250 ok\r\n".into()
                }
            } else if upper.starts_with("RCPT TO:<") {
                if self.from.is_none() {
                    self.violation("RCPT before MAIL".into());
                    "503 MAIL first\r\n".into()
                } else if self.fail == Some(Fail::Rcpt550) {
                    self.failed();
                    "550 5.1.1 no such mailbox\r\n".into()
                } else {
                    self.to.push(line[9..].trim_end_matches('>').to_string());
                    "250 ok\r\n".into()
                }
            } else if upper == "DATA" {
                if self.to.is_empty() {
                    self.violation("DATA without an accepted RCPT".into());
                    "503 RCPT first\r\n".into()
                } else {
                    let _ = io.get_mut().write_all(b"354 end with <CRLF>.<CRLF>\r\n");
                    self.data(&mut io)
                }
            } else if upper == "QUIT" {
                let _ = io.get_mut().write_all(b"221 bye\r\n");
                return;
            } else {
                self.violation(format!("unexpected command {line:?}"));
                "500 unrecognised\r\n".into()
            };
            if io.get_mut().write_all(reply.as_bytes()).is_err() {
                return;
            }
        }
    }

    /// One CRLF-terminated line (without it), or `None` at the end.
    fn line(&self, io: &mut BufReader<Box<dyn Stream>>) -> Option<String> {
        let mut raw = Vec::new();
        if io.read_until(b'\n', &mut raw).ok()? == 0 {
            return None;
        }
        if !raw.ends_with(b"\r\n") {
            self.violation(format!(
                "line without CRLF: {:?}",
                String::from_utf8_lossy(&raw)
            ));
        }
        if raw.len() > 1000 {
            self.violation("line longer than 1000 bytes".into());
        }
        Some(
            String::from_utf8_lossy(&raw)
                .trim_end_matches(['\r', '\n'])
                .to_string(),
        )
    }

    fn auth(&mut self, io: &mut BufReader<Box<dyn Stream>>, line: &str) -> String {
        let b64 = |s: &str| {
            base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default()
        };
        if !self.tls && self.credentials.is_some() {
            self.violation("AUTH before STARTTLS".into());
            return "538 encryption required\r\n".into();
        }
        let (user, password) = match line[5..].split_once(' ') {
            Some((mech, token)) if mech.eq_ignore_ascii_case("PLAIN") => {
                let decoded = b64(token);
                let mut parts = decoded.split('\0').skip(1);
                (
                    parts.next().unwrap_or("").to_string(),
                    parts.next().unwrap_or("").to_string(),
                )
            }
            None if line[5..].eq_ignore_ascii_case("LOGIN") => {
                let _ = io.get_mut().write_all(b"334 VXNlcm5hbWU6\r\n");
                let user = self.line(io).map(|l| b64(&l)).unwrap_or_default();
                let _ = io.get_mut().write_all(b"334 UGFzc3dvcmQ6\r\n");
                (user, self.line(io).map(|l| b64(&l)).unwrap_or_default())
            }
            _ => return "504 unsupported mechanism\r\n".into(),
        };
        match &self.credentials {
            Some((u, p)) if *u == user && *p == password => {
                self.user = Some(user);
                "235 authenticated\r\n".into()
            }
            _ => "535 5.7.8 authentication failed\r\n".into(),
        }
    }

    fn data(&mut self, io: &mut BufReader<Box<dyn Stream>>) -> String {
        let mut data = String::new();
        loop {
            let Some(line) = self.line(io) else {
                self.violation("connection closed inside DATA".into());
                return String::new();
            };
            if line == "." {
                break;
            }
            let line = match line.strip_prefix('.') {
                Some(rest) if rest.starts_with('.') => rest.to_string(),
                Some(_) => {
                    self.violation(format!("data line not dot-stuffed: {line:?}"));
                    line[1..].to_string()
                }
                None => line,
            };
            data.push_str(&line);
            data.push_str("\r\n");
        }
        if self.fail == Some(Fail::AfterData451) {
            self.failed();
            return "451 4.3.0 local error, try again\r\n".into();
        }
        self.state.received.lock().unwrap().push(Received {
            tls: self.tls,
            user: self.user.clone(),
            from: self.from.take().unwrap_or_default(),
            to: std::mem::take(&mut self.to),
            data,
        });
        "250 2.0.0 queued\r\n".into()
    }
}
