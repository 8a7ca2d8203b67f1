//! The request handlers of the Cloud Logging emulator (`gcp_emulator.rs`):
//! token endpoint, metadata server, `entries:write`, each checked as
//! Google documents it and answered in Google's shapes.

use super::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

fn header(request: &Request<Incoming>, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)?
        .to_str()
        .ok()
        .map(str::to_string)
}

pub(super) async fn answer(
    request: Request<Incoming>,
    state: &Mutex<State>,
) -> Response<Full<Bytes>> {
    let method = request.method().as_str().to_string();
    let path = request.uri().path().to_string();
    let content_type = header(&request, "content-type").unwrap_or_default();
    let authorization = header(&request, "authorization");
    let flavor = header(&request, "metadata-flavor");
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return json_response(400, json!({})),
    };
    match (method.as_str(), path.as_str()) {
        ("POST", "/token") => token(state, &content_type, &body),
        ("GET", METADATA_TOKEN_PATH) => {
            if flavor.as_deref() != Some("Google") {
                return violation(
                    state,
                    403,
                    "metadata request without Metadata-Flavor: Google",
                );
            }
            let mut s = state.lock().unwrap();
            s.metadata_tokens += 1;
            issue(&mut s)
        }
        ("POST", "/v2/entries:write") => write(state, &content_type, authorization, &body).await,
        _ => violation(state, 404, &format!("{method} {path} is not an API path")),
    }
}

fn json_response(status: u16, body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response.headers_mut().insert(
        "content-type",
        "application/json; charset=UTF-8".parse().unwrap(),
    );
    response
}

/// Google's error shape: `{"error":{"code","message","status"}}`.
fn api_error(
    code: u16,
    status: &str,
    message: &str,
    details: Option<Value>,
) -> Response<Full<Bytes>> {
    let mut error = json!({"code": code, "message": message, "status": status});
    if let Some(details) = details {
        error["details"] = details;
    }
    json_response(code, json!({ "error": error }))
}

/// A refusal because the client broke the protocol; recorded.
fn violation(state: &Mutex<State>, code: u16, message: &str) -> Response<Full<Bytes>> {
    state.lock().unwrap().violations.push(message.to_string());
    let status = match code {
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        _ => "INVALID_ARGUMENT",
    };
    api_error(code, status, message, None)
}

fn issue(state: &mut State) -> Response<Full<Bytes>> {
    state.issued += 1;
    let token = format!("ya29.emulator-{}-{}", state.issued, state.metadata_tokens);
    state.tokens.insert(token.clone());
    json_response(
        200,
        json!({"access_token": token, "expires_in": state.token_lifetime, "token_type": "Bearer"}),
    )
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn oauth_error(state: &Mutex<State>, description: &str) -> Response<Full<Bytes>> {
    state
        .lock()
        .unwrap()
        .violations
        .push(format!("token: {description}"));
    json_response(
        400,
        json!({"error": "invalid_grant", "error_description": description}),
    )
}

/// The token endpoint: checks the form and the JWT, issues a token.
fn token(state: &Mutex<State>, content_type: &str, body: &[u8]) -> Response<Full<Bytes>> {
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return oauth_error(
            state,
            "content type is not application/x-www-form-urlencoded",
        );
    }
    let form: Vec<(String, String)> = String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    if field("grant_type").as_deref() != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return oauth_error(
            state,
            "grant_type is not urn:ietf:params:oauth:grant-type:jwt-bearer",
        );
    }
    let Some(assertion) = field("assertion") else {
        return oauth_error(state, "no assertion");
    };
    let mut s = state.lock().unwrap();
    let token_uri = s.token_uri.clone();
    let Some(key) = s.key.as_ref() else {
        drop(s);
        return oauth_error(state, "no key is trusted");
    };
    match check_jwt(&assertion, key) {
        Ok(claims) if claims["aud"] == token_uri.as_str() => issue(&mut s),
        Ok(_) => {
            drop(s);
            oauth_error(state, "aud is not the token_uri")
        }
        Err(reason) => {
            drop(s);
            oauth_error(state, &reason)
        }
    }
}

/// Header, claims and RS256 signature of a service-account JWT.
fn check_jwt(jwt: &str, key: &TrustedKey) -> Result<Value, String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err("assertion is not a JWT".into());
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| "part is not base64url without padding".to_string())
    };
    let header: Value =
        serde_json::from_slice(&decode(header)?).map_err(|_| "header is not JSON")?;
    let claims_json: Value =
        serde_json::from_slice(&decode(claims)?).map_err(|_| "claims are not JSON")?;
    if header["alg"] != "RS256" || header["typ"] != "JWT" || header["kid"] != key.key_id.as_str() {
        return Err(format!("bad JWT header {header}"));
    }
    let signed = &jwt[..jwt.rfind('.').unwrap()];
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        &key.rsa_public_key,
    )
    .verify(signed.as_bytes(), &decode(signature)?)
    .map_err(|_| "Invalid JWT Signature.".to_string())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let iat = claims_json["iat"].as_i64().ok_or("no iat")?;
    let exp = claims_json["exp"].as_i64().ok_or("no exp")?;
    if (iat - now).abs() > 300 || exp <= iat || exp - iat > 3600 {
        return Err("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.".into());
    }
    if claims_json["iss"] != key.client_email.as_str() {
        return Err("iss is not the key's client_email".into());
    }
    let scopes = claims_json["scope"].as_str().unwrap_or_default();
    if !scopes
        .split(' ')
        .any(|s| s == "https://www.googleapis.com/auth/logging.write")
    {
        return Err("scope does not include logging.write".into());
    }
    Ok(claims_json)
}

#[path = "gcp_emulator_write.rs"]
mod write_handler;
use write_handler::write;
