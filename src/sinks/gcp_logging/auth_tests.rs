use super::*;

/// A service-account key made now with the `openssl` tool (no key is
/// committed), and its public half as ring wants it (PKCS#1 DER).
fn generated_key() -> (ServiceAccountKey, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("key.pem");
    let status = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&pem)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("the openssl tool");
    assert!(status.success());
    let json = serde_json::json!({
        "type": "service_account",
        "private_key_id": "kid-1",
        "private_key": std::fs::read_to_string(&pem).unwrap(),
        "client_email": "sa@p.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    let key = ServiceAccountKey::from_json(json.to_string().as_bytes()).unwrap();
    let public = key.key_pair.public().as_ref().to_vec();
    (key, public)
}

#[test]
fn the_jwt_is_rs256_signed_with_the_documented_header_and_claims() {
    let (key, public) = generated_key();
    let jwt = sign_jwt(&key, 1_700_000_000).unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |p: &str| -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
    };
    assert_eq!(
        decode(parts[0]),
        serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "kid-1"})
    );
    assert_eq!(
        decode(parts[1]),
        serde_json::json!({
            "iss": "sa@p.iam.gserviceaccount.com",
            "scope": LOGGING_WRITE_SCOPE,
            "aud": "https://oauth2.googleapis.com/token",
            "iat": 1_700_000_000u64,
            "exp": 1_700_003_600u64,
        })
    );
    assert!(!jwt.contains('='), "base64url without padding");
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let signed = format!("{}.{}", parts[0], parts[1]);
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, public)
        .verify(signed.as_bytes(), &signature)
        .expect("signature verifies");
}

#[test]
fn key_files_that_are_not_service_account_keys_are_refused_without_quoting_them() {
    for (json, expected) in [
        ("nope", "is not JSON"),
        (
            r#"{"type":"authorized_user"}"#,
            "is not a service-account key",
        ),
        (
            r#"{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}"#,
            "\"private_key\" is not",
        ),
    ] {
        let error = ServiceAccountKey::from_json(json.as_bytes()).unwrap_err();
        assert!(error.contains(expected), "{error}");
        assert!(!error.contains("AAAA"));
    }
}

#[test]
fn tokens_are_renewed_five_minutes_early_or_at_half_life() {
    let now = Instant::now();
    let token = parse_token_response(br#"{"access_token":"t","expires_in":3599}"#, now).unwrap();
    assert_eq!(token.value, "t");
    assert_eq!(token.refresh_at, now + Duration::from_secs(3299));
    let short = parse_token_response(br#"{"access_token":"t","expires_in":60}"#, now).unwrap();
    assert_eq!(short.refresh_at, now + Duration::from_secs(30));
    assert!(parse_token_response(br#"{"error":"invalid_grant"}"#, now).is_err());
}
