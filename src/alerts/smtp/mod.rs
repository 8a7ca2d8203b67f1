//! The `email` channel: a small SMTP client (RFC 5321) over tokio and
//! rustls — STARTTLS or implicit TLS, `AUTH PLAIN`/`LOGIN`, one message
//! per notification — instead of a mail crate, which would bring about 35
//! crates (ICU-based IDNA among them) for the few commands used here.
//!
//! - `message`: notification → RFC 5322 text, dot-stuffing (pure);
//! - `connection`: commands, replies, and what a reply code means;
//! - `client`: the session, from connect to `QUIT`.

mod client;
mod connection;
mod message;

pub use client::EmailSender;

#[cfg(test)]
mod client_tests;
