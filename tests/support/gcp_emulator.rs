//! A local Google Cloud Logging for tests of the `gcp_logging` sink: a
//! hyper server on `127.0.0.1:0` in its own thread and runtime serving
//!
//! - `POST /token` — the OAuth 2 token endpoint of a service-account key:
//!   form-encoded `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`
//!   and `assertion`; the JWT's header (`alg` RS256, `typ` JWT, `kid`),
//!   claims (`iss`, `scope` with `logging.write`, `aud` = this URL, `iat`
//!   near now, `exp` = `iat` + at most 1 h) and RS256 signature are checked
//!   against the public key given with [`GcpEmulator::trust_key`];
//! - `GET /computeMetadata/v1/instance/service-accounts/default/token` —
//!   the metadata server (needs `Metadata-Flavor: Google`);
//! - `POST /v2/entries:write` — needs a token it issued
//!   (`Authorization: Bearer`), `Content-Type: application/json`, at most
//!   10 MiB, a `WriteLogEntriesRequest` with known fields only, a `logName`
//!   `projects/P/logs/L`, a `resource` `{type, labels}`, non-empty `entries`
//!   each with one payload, an RFC 3339 `timestamp`, a known `severity` and
//!   string labels; an entry over 256 KiB is refused (per entry with
//!   `partialSuccess`).
//!
//! Answers are shaped like Google's (`{"error":{"code","message","status",
//! "details"}}`, `WriteLogEntriesPartialErrors.logEntryErrors`). Accepted
//! entries are stored. Faults are switched with [`GcpEmulator::set_fault`].
//! Every refusal caused by the client breaking the protocol (not by an
//! injected fault) is recorded in [`GcpEmulator::violations`].
#![allow(dead_code)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::emulator_server::{EmulatorServer, Handler};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};

pub const METADATA_TOKEN_PATH: &str = "/computeMetadata/v1/instance/service-accounts/default/token";
const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;
const MAX_ENTRY_BYTES: usize = 256 * 1024;
const SEVERITIES: [&str; 9] = [
    "DEFAULT",
    "DEBUG",
    "INFO",
    "NOTICE",
    "WARNING",
    "ERROR",
    "CRITICAL",
    "ALERT",
    "EMERGENCY",
];

/// Which entries a [`Fault::RejectEntries`] refuses, by `jsonPayload`.
pub type EntryPredicate = Arc<dyn Fn(&Value) -> bool + Send + Sync>;

/// How `entries:write` answers.
#[derive(Clone)]
pub enum Fault {
    None,
    /// This status (500, 503…) until the duration has passed, then `None`.
    StatusFor(u16, Duration),
    /// 429 `RESOURCE_EXHAUSTED` (no `Retry-After`) for the next N requests.
    ResourceExhausted(u32),
    /// 400 `INVALID_ARGUMENT` with per-entry errors for the matching
    /// entries; the others are stored when `partialSuccess` is set.
    RejectEntries(EntryPredicate),
    /// Every issued token is revoked now (next write: 401), then `None`.
    ExpireTokens,
    /// Read the request, never answer.
    Hang,
}

struct TrustedKey {
    /// PKCS#1 `RSAPublicKey` DER, taken out of the SubjectPublicKeyInfo.
    rsa_public_key: Vec<u8>,
    key_id: String,
    client_email: String,
}

struct State {
    fault: Fault,
    failing_until: Option<Instant>,
    key: Option<TrustedKey>,
    /// `aud` every JWT must name.
    token_uri: String,
    token_lifetime: u64,
    tokens: HashSet<String>,
    issued: u64,
    metadata_tokens: u64,
    writes: u64,
    entries: Vec<Value>,
    rejected: Vec<Value>,
    log_names: HashSet<String>,
    resources: Vec<Value>,
    violations: Vec<String>,
}

pub struct GcpEmulator {
    state: Arc<Mutex<State>>,
    server: EmulatorServer,
}

impl GcpEmulator {
    pub fn start() -> GcpEmulator {
        let state = Arc::new(Mutex::new(State {
            fault: Fault::None,
            failing_until: None,
            key: None,
            token_uri: String::new(), // set once the server has its port
            token_lifetime: 3599,
            tokens: HashSet::new(),
            issued: 0,
            metadata_tokens: 0,
            writes: 0,
            entries: Vec::new(),
            rejected: Vec::new(),
            log_names: HashSet::new(),
            resources: Vec::new(),
            violations: Vec::new(),
        }));
        let served = state.clone();
        let handler: Handler = Arc::new(move |request| {
            let state = served.clone();
            Box::pin(async move { answer(request, &state).await })
        });
        let server = EmulatorServer::start("gcp-emulator", handler);
        state.lock().unwrap().token_uri = format!("{}/token", server.url());
        GcpEmulator { state, server }
    }

    /// `http://127.0.0.1:PORT`: the `endpoint` and `metadata_endpoint`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The `token_uri` to put in a key file.
    pub fn token_uri(&self) -> String {
        format!("{}/token", self.url())
    }

    /// Accept JWTs signed by the key whose SubjectPublicKeyInfo DER
    /// (`openssl pkey -pubout -outform DER`) is `spki_der`.
    pub fn trust_key(&self, spki_der: &[u8], key_id: &str, client_email: &str) {
        self.state.lock().unwrap().key = Some(TrustedKey {
            rsa_public_key: rsa_public_key_of_spki(spki_der).expect("SubjectPublicKeyInfo"),
            key_id: key_id.into(),
            client_email: client_email.into(),
        });
    }

    /// `expires_in` of the tokens issued from now on.
    pub fn set_token_lifetime(&self, seconds: u64) {
        self.state.lock().unwrap().token_lifetime = seconds;
    }

    pub fn set_fault(&self, fault: Fault) {
        let mut state = self.state.lock().unwrap();
        state.failing_until = match &fault {
            Fault::StatusFor(_, duration) => Some(Instant::now() + *duration),
            _ => None,
        };
        if let Fault::ExpireTokens = fault {
            state.tokens.clear();
            state.fault = Fault::None;
            return;
        }
        state.fault = fault;
    }

    /// Stored `LogEntry`s, in arrival order.
    pub fn entries(&self) -> Vec<Value> {
        self.state.lock().unwrap().entries.clone()
    }

    /// How many entries are stored (cheap: for polling).
    pub fn entry_count(&self) -> usize {
        self.state.lock().unwrap().entries.len()
    }

    /// How many entries were refused by [`Fault::RejectEntries`].
    pub fn rejected_count(&self) -> usize {
        self.state.lock().unwrap().rejected.len()
    }

    /// The `jsonPayload` (the event) of every stored entry.
    pub fn events(&self) -> Vec<Value> {
        let state = self.state.lock().unwrap();
        state
            .entries
            .iter()
            .map(|e| e["jsonPayload"].clone())
            // The agent's signed checkpoints (`agent.checkpoint`) are left out:
            // tests count the events of their input.
            .filter(|e| e["action"] != "agent.checkpoint")
            .collect()
    }

    /// Events of entries refused by [`Fault::RejectEntries`].
    pub fn rejected_events(&self) -> Vec<Value> {
        self.state.lock().unwrap().rejected.clone()
    }

    /// `entries:write` requests received.
    pub fn writes(&self) -> u64 {
        self.state.lock().unwrap().writes
    }

    /// Tokens issued for a key (JWT verified).
    pub fn key_tokens(&self) -> u64 {
        let state = self.state.lock().unwrap();
        state.issued - state.metadata_tokens
    }

    /// Tokens handed out by the metadata server.
    pub fn metadata_tokens(&self) -> u64 {
        self.state.lock().unwrap().metadata_tokens
    }

    pub fn log_names(&self) -> HashSet<String> {
        self.state.lock().unwrap().log_names.clone()
    }

    pub fn last_resource(&self) -> Option<Value> {
        self.state.lock().unwrap().resources.last().cloned()
    }

    /// Protocol errors the client made (each answered with Google's error).
    pub fn violations(&self) -> Vec<String> {
        self.state.lock().unwrap().violations.clone()
    }
}

/// A fresh 2048-bit RSA service-account key in `dir` (made with the
/// `openssl` tool: no key is ever committed), trusted by `emulator`.
/// Returns the key file's path.
pub fn service_account_key(dir: &Path, emulator: &GcpEmulator) -> PathBuf {
    let pem = dir.join("sa-key.pem");
    let der = dir.join("sa-pub.der");
    let run = |args: &[&str]| {
        let status = std::process::Command::new("openssl")
            .args(args)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("the openssl tool");
        assert!(status.success(), "openssl {args:?}");
    };
    let pem_s = pem.to_str().unwrap();
    run(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        pem_s,
    ]);
    run(&[
        "pkey",
        "-in",
        pem_s,
        "-pubout",
        "-outform",
        "DER",
        "-out",
        der.to_str().unwrap(),
    ]);
    let key_id = "emulator-key-1";
    let email = "auditship@test-project.iam.gserviceaccount.com";
    emulator.trust_key(&std::fs::read(&der).unwrap(), key_id, email);
    let key = json!({
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": key_id,
        "private_key": std::fs::read_to_string(&pem).unwrap(),
        "client_email": email,
        "client_id": "1",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": emulator.token_uri(),
    });
    let path = dir.join("sa-key.json");
    std::fs::write(&path, key.to_string()).unwrap();
    path
}

/// The `RSAPublicKey` inside a SubjectPublicKeyInfo:
/// `SEQUENCE { SEQUENCE { alg }, BIT STRING { 0x00, RSAPublicKey } }`.
fn rsa_public_key_of_spki(der: &[u8]) -> Option<Vec<u8>> {
    let (tag, spki, _) = der_tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, _, rest) = der_tlv(spki)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, bits, _) = der_tlv(rest)?;
    (tag == 0x03 && bits.first() == Some(&0)).then(|| bits[1..].to_vec())
}

/// (tag, contents, rest) of the first DER element.
fn der_tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *der.first()?;
    let first = *der.get(1)? as usize;
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        let len = der
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |a, b| (a << 8) | *b as usize);
        (len, 2 + n)
    };
    let contents = der.get(header..header + len)?;
    Some((tag, contents, &der[header + len..]))
}

#[path = "gcp_emulator_handlers.rs"]
mod handlers;
use handlers::answer;
