//! Access tokens for the Logging API, cached and refreshed early.
//!
//! Two sources:
//! - **service-account key** (`credentials = "key.json"`): a JWT with
//!   header `{"alg":"RS256","typ":"JWT","kid":private_key_id}` and claims
//!   `iss` = `client_email`, `scope` = `logging.write`, `aud` = `token_uri`,
//!   `iat`, `exp` = `iat` + 1 h, signed RS256 (ring, PKCS#1 v1.5 SHA-256)
//!   with the key's PKCS#8 PEM private key, is exchanged at `token_uri`
//!   (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, form-encoded);
//! - **metadata server** (no `credentials`): `GET
//!   {metadata_endpoint}/computeMetadata/v1/instance/service-accounts/default/token`
//!   with `Metadata-Flavor: Google`.
//!
//! Both answer `{"access_token","expires_in","token_type"}`. The token is
//! kept until 5 minutes before it expires (half its life when shorter), and
//! dropped at once when the API answers 401.
//!
//! Failures: no answer, 429 or 5xx from the token endpoint → `Retryable`;
//! any other refusal (`invalid_grant`, 401, 403) → `CredentialsRejected`.
//! Invariant: neither the key, the assertion nor the token is ever put in an
//! error or a log.

use std::time::{Duration, Instant, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Uri};
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivatePkcs8KeyDer;

use crate::sinks::http::client::HttpClient;
use crate::sinks::DeliveryError;

/// The OAuth scope asked for.
pub const LOGGING_WRITE_SCOPE: &str = "https://www.googleapis.com/auth/logging.write";
/// Path of the instance token on the metadata server.
pub const METADATA_TOKEN_PATH: &str = "/computeMetadata/v1/instance/service-accounts/default/token";
/// How long before expiry a token is replaced.
const REFRESH_EARLY: Duration = Duration::from_secs(300);
/// Largest token response read.
const MAX_TOKEN_RESPONSE: usize = 64 * 1024;

/// The parts of a service-account JSON key the sink uses.
pub struct ServiceAccountKey {
    pub client_email: String,
    pub private_key_id: String,
    pub token_uri: String,
    key_pair: RsaKeyPair,
}

impl std::fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

impl ServiceAccountKey {
    /// Reads a key file's JSON. The reason never quotes the file.
    pub fn from_json(json: &[u8]) -> Result<ServiceAccountKey, String> {
        let value: serde_json::Value =
            serde_json::from_slice(json).map_err(|e| format!("is not JSON ({e})"))?;
        let field = |name: &str| {
            value[name]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("has no \"{name}\" (is it a service-account key?)"))
        };
        if value["type"].as_str() != Some("service_account") {
            return Err(
                "is not a service-account key (\"type\" is not \"service_account\")".into(),
            );
        }
        let pem = field("private_key")?;
        let der = PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|_| "\"private_key\" is not a PKCS#8 PEM private key".to_string())?;
        let key_pair = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
            .map_err(|e| format!("\"private_key\" is not a usable RSA key ({e})"))?;
        let token_uri = field("token_uri")?;
        if token_uri
            .parse::<Uri>()
            .map_or(true, |u| u.host().is_none())
        {
            return Err("\"token_uri\" is not an http(s) URL".into());
        }
        Ok(ServiceAccountKey {
            client_email: field("client_email")?,
            private_key_id: field("private_key_id")?,
            token_uri,
            key_pair,
        })
    }
}

/// The signed assertion for `key` issued at `iat` (Unix seconds).
pub fn sign_jwt(key: &ServiceAccountKey, iat: u64) -> Result<String, String> {
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": key.private_key_id});
    let claims = serde_json::json!({
        "iss": key.client_email,
        "scope": LOGGING_WRITE_SCOPE,
        "aud": key.token_uri,
        "iat": iat,
        "exp": iat + 3600,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0u8; key.key_pair.public().modulus_len()];
    key.key_pair
        .sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            signing_input.as_bytes(),
            &mut signature,
        )
        .map_err(|_| "cannot sign the token request".to_string())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// Where tokens come from.
#[derive(Debug)]
pub enum TokenSource {
    Key(Box<ServiceAccountKey>),
    /// The full URL of the metadata server's token.
    Metadata(Uri),
}

struct CachedToken {
    value: String,
    refresh_at: Instant,
}

/// Tokens of one sink.
pub struct Authenticator {
    source: TokenSource,
    client: HttpClient,
    timeout: Duration,
    cached: tokio::sync::Mutex<Option<CachedToken>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    pub fn new(source: TokenSource, client: HttpClient, timeout: Duration) -> Authenticator {
        Authenticator {
            source,
            client,
            timeout,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// A valid access token, fetched when none is cached or it is due.
    pub async fn token(&self) -> Result<String, DeliveryError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(token.value.clone());
        }
        let fetched = match tokio::time::timeout(self.timeout, self.fetch()).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(retryable(
                    "the token endpoint did not answer in time".into(),
                ))
            }
        };
        let value = fetched.value.clone();
        *cached = Some(fetched);
        Ok(value)
    }

    /// Forgets the cached token (the API answered 401).
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    async fn fetch(&self) -> Result<CachedToken, DeliveryError> {
        let mut request = match &self.source {
            TokenSource::Key(key) => {
                let iat = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let jwt = sign_jwt(key, iat).map_err(retryable)?;
                let form = format!(
                    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={jwt}"
                );
                let mut request = Request::new(Full::new(Bytes::from(form)));
                *request.method_mut() = Method::POST;
                *request.uri_mut() = key
                    .token_uri
                    .parse()
                    .map_err(|_| retryable("the key's token_uri is not a valid URL".into()))?;
                request.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                );
                request
            }
            TokenSource::Metadata(uri) => {
                let mut request = Request::new(Full::new(Bytes::new()));
                *request.uri_mut() = uri.clone();
                request
                    .headers_mut()
                    .insert("metadata-flavor", HeaderValue::from_static("Google"));
                request
            }
        };
        request.headers_mut().insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("auditship/", env!("CARGO_PKG_VERSION"))),
        );
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| retryable(format!("cannot reach the token endpoint: {e}")))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_TOKEN_RESPONSE)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        match status {
            200..=299 => parse_token_response(&body, Instant::now()),
            408 | 429 | 500..=599 => Err(retryable(format!(
                "the token endpoint answered HTTP {status}"
            ))),
            _ => Err(DeliveryError::CredentialsRejected { status }),
        }
    }
}

fn retryable(reason: String) -> DeliveryError {
    DeliveryError::Retryable {
        reason,
        retry_after: None,
    }
}

/// `{"access_token","expires_in"}` → the cached token, due for refresh 5
/// minutes before it expires (or at half its life when that is shorter).
fn parse_token_response(body: &[u8], now: Instant) -> Result<CachedToken, DeliveryError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| retryable("the token endpoint's answer is not JSON".into()))?;
    let token = value["access_token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| retryable("the token endpoint's answer has no access_token".into()))?;
    let lifetime = Duration::from_secs(value["expires_in"].as_u64().unwrap_or(3600));
    let early = REFRESH_EARLY.min(lifetime / 2);
    Ok(CachedToken {
        value: token.to_string(),
        refresh_at: now + lifetime - early,
    })
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
