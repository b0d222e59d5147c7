//! `validate-jwt` with `<decryption-keys>`: encrypted tokens (JWE) made by another
//! implementation (Python's `cryptography`, `support/make_jwe.py`) with keys made at test
//! time, for every supported key management and content encryption algorithm.

mod support;

use std::process::Command;
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use base64::Engine;
use gatehouse_policy::compile::Environment;
use gatehouse_policy::runtime::ClientIdentity;
use support::harness::{Call, GATEWAY, TestGateway, policy};

const SIGNING: &[u8] = b"the-signing-secret-of-the-issuer!";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An encrypted token made by `make_jwe.py`: `key` is the symmetric key, or the PKCS#8 RSA
/// private key whose public half encrypts.
fn jwe(alg: &str, enc: &str, key: &[u8], plaintext: &str, kid: Option<&str>) -> String {
    jwe_with_header(alg, enc, key, plaintext, kid, "{}")
}

/// [`jwe`] with more protected header parameters (a JSON object).
fn jwe_with_header(
    alg: &str,
    enc: &str,
    key: &[u8],
    plaintext: &str,
    kid: Option<&str>,
    extra: &str,
) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/make_jwe.py");
    let output = Command::new("python3")
        .args([
            script,
            alg,
            enc,
            &hex(key),
            plaintext,
            kid.unwrap_or(""),
            extra,
        ])
        .output()
        .expect("python3 runs (it is needed, with the 'cryptography' package, for these tests)");
    assert!(
        output.status.success(),
        "make_jwe.py failed (pip install cryptography?): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An HS256 token with `claims`, signed with `key`.
fn hs256(claims: &serde_json::Value, key: &[u8]) -> String {
    let header = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64url(claims.to_string().as_bytes());
    let signed = format!("{header}.{payload}");
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    let tag = aws_lc_rs::hmac::sign(&key, signed.as_bytes());
    format!("{signed}.{}", b64url(tag.as_ref()))
}

fn claims(subject: &str) -> serde_json::Value {
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 300;
    serde_json::json!({"sub": subject, "aud": "api://orders", "exp": exp})
}

/// A policy that decrypts with `keys`, checks inner signatures with [`SIGNING`] and the
/// audience, and passes the subject on to the backend.
fn decrypting(keys: &str, attributes: &str) -> String {
    let inbound = format!(
        r#"<validate-jwt header-name="Authorization" output-token-variable-name="jwt" {attributes}>
            <issuer-signing-keys><key>{}</key></issuer-signing-keys>
            <decryption-keys>{keys}</decryption-keys>
            <audiences><audience>api://orders</audience></audiences>
        </validate-jwt>
        <set-header name="X-Subject" exists-action="override"><value>@(((Jwt)context.Variables["jwt"]).Subject)</value></set-header>"#,
        b64(SIGNING)
    );
    policy(&inbound, "", "")
}

fn call_with(token: &str) -> Call {
    Call::get(&format!("{GATEWAY}/orders")).header("Authorization", &format!("Bearer {token}"))
}

/// Runs `policy` for `token`; the subject the backend saw, or the status and reason.
fn outcome(gateway: &TestGateway, policy: &str, token: &str) -> Result<String, (u16, String)> {
    let ran = gateway.run(policy, call_with(token));
    if ran.status != 200 {
        return Err((ran.status, ran.reason_code().unwrap_or("").to_owned()));
    }
    let received = gateway.backend.received();
    let subject = received.last().expect("forwarded").headers["x-subject"].clone();
    Ok(subject.to_str().unwrap().to_owned())
}

#[test]
fn symmetric_keys_decrypt_every_supported_content_encryption() {
    let cases = [
        ("dir", "A128CBC-HS256", 32),
        ("dir", "A192CBC-HS384", 48),
        ("dir", "A256CBC-HS512", 64),
        ("dir", "A128GCM", 16),
        ("dir", "A192GCM", 24),
        ("dir", "A256GCM", 32),
        ("A128KW", "A128CBC-HS256", 16),
        ("A128KW", "A256GCM", 16),
        ("A256KW", "A256CBC-HS512", 32),
        ("A256KW", "A128GCM", 32),
    ];
    for (alg, enc, len) in cases {
        let key: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        let inner = hs256(&claims(&format!("{alg}+{enc}")), SIGNING);
        let token = jwe(alg, enc, &key, &inner, None);
        let policy = decrypting(&format!("<key>{}</key>", b64(&key)), "");

        let seen = outcome(&TestGateway::default(), &policy, &token);

        assert_eq!(seen, Ok(format!("{alg}+{enc}")), "{alg} {enc}");
    }
}

/// An environment with an uploaded certificate `enc-cert` whose RSA private key decrypts,
/// and that key as PKCS#8.
fn rsa_environment() -> (Environment, Vec<u8>) {
    let key = aws_lc_rs::rsa::PrivateDecryptingKey::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
        .expect("an RSA key");
    let der = key.as_der().expect("PKCS#8").as_ref().to_vec();
    let identity = ClientIdentity {
        thumbprint: "ENC".into(),
        chain: Vec::new(),
        key: Arc::from(der.as_slice()),
    };
    (
        Environment::new().with_client_identity("enc-cert", identity),
        der,
    )
}

#[test]
fn an_uploaded_certificates_rsa_key_decrypts_rsa_oaep_tokens() {
    let (env, der) = rsa_environment();
    let gateway = TestGateway::with_env(env);
    let policy = decrypting(r#"<key certificate-id="enc-cert" />"#, "");

    for alg in ["RSA-OAEP", "RSA-OAEP-256"] {
        let inner = hs256(&claims(alg), SIGNING);
        let token = jwe(alg, "A256GCM", &der, &inner, None);

        assert_eq!(outcome(&gateway, &policy, &token), Ok(alg.to_owned()));
    }
}

#[test]
fn each_key_is_tried_and_a_kid_picks_its_key() {
    let old: Vec<u8> = vec![1; 32];
    let new: Vec<u8> = vec![2; 32];
    let keys = format!(
        r#"<key id="old">{}</key><key id="new">{}</key>"#,
        b64(&old),
        b64(&new)
    );
    let policy = decrypting(&keys, "");
    let inner = hs256(&claims("rollover"), SIGNING);

    let without_kid = jwe("A256KW", "A128GCM", &new, &inner, None);
    let with_kid = jwe("A256KW", "A128GCM", &new, &inner, Some("new"));
    let with_wrong_kid = jwe("A256KW", "A128GCM", &new, &inner, Some("old"));

    let gateway = TestGateway::default();
    assert_eq!(
        outcome(&gateway, &policy, &without_kid),
        Ok("rollover".into())
    );
    assert_eq!(outcome(&gateway, &policy, &with_kid), Ok("rollover".into()));
    assert_eq!(
        outcome(&gateway, &policy, &with_wrong_kid),
        Err((401, "JwtInvalid".into()))
    );
}

#[test]
fn a_tampered_or_foreign_token_is_refused_and_never_forwarded() {
    let key = vec![9; 32];
    let policy = decrypting(&format!("<key>{}</key>", b64(&key)), "");
    let inner = hs256(&claims("mallory"), SIGNING);
    let token = jwe("dir", "A128CBC-HS256", &key, &inner, None);

    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut ciphertext = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&parts[3])
        .unwrap();
    ciphertext[0] ^= 1;
    parts[3] = b64url(&ciphertext);
    let tampered = parts.join(".");
    let foreign = jwe("dir", "A128CBC-HS256", &[8; 32], &inner, None);

    for token in [tampered, foreign] {
        let gateway = TestGateway::default();
        let ran = gateway.run(&policy, call_with(&token));

        assert_eq!(ran.status, 401);
        assert_eq!(ran.reason_code(), Some("JwtInvalid"));
        assert_eq!(
            ran.failure.unwrap().message,
            "The token could not be decrypted with the configured keys. Access denied."
        );
        assert!(gateway.backend.received().is_empty());
    }
}

#[test]
fn what_an_encrypted_token_carries_is_validated_like_any_token() {
    let key = vec![5; 32];
    let policy = decrypting(&format!("<key>{}</key>", b64(&key)), "");
    let gateway = TestGateway::default();

    let badly_signed = jwe(
        "dir",
        "A256GCM",
        &key,
        &hs256(&claims("eve"), b"a-different-signing-secret-entirely"),
        None,
    );
    let mut other_audience = claims("bob");
    other_audience["aud"] = "api://billing".into();
    let wrong_audience = jwe(
        "dir",
        "A256GCM",
        &key,
        &hs256(&other_audience, SIGNING),
        None,
    );

    assert_eq!(
        outcome(&gateway, &policy, &badly_signed),
        Err((401, "TokenSignatureInvalid".into()))
    );
    assert_eq!(
        outcome(&gateway, &policy, &wrong_audience),
        Err((401, "TokenAudienceNotAllowed".into()))
    );
}

#[test]
fn bare_claims_inside_count_as_an_unsigned_token() {
    let key = vec![6; 32];
    let keys = format!("<key>{}</key>", b64(&key));
    let token = jwe("dir", "A256GCM", &key, &claims("carol").to_string(), None);
    let gateway = TestGateway::default();

    let signed_required = decrypting(&keys, "");
    let unsigned_allowed = decrypting(&keys, r#"require-signed-tokens="false""#);

    assert_eq!(
        outcome(&gateway, &signed_required, &token),
        Err((401, "TokenSignatureInvalid".into()))
    );
    assert_eq!(
        outcome(&gateway, &unsigned_allowed, &token),
        Ok("carol".into())
    );
}

#[test]
fn critical_header_parameters_are_refused_outside_and_inside() {
    let key = vec![3; 32];
    let policy = decrypting(&format!("<key>{}</key>", b64(&key)), "");
    let critical = r#"{"crit":["urn:example:must-understand"],"urn:example:must-understand":1}"#;
    let inner = hs256(&claims("dave"), SIGNING);
    let outer_critical = jwe_with_header("dir", "A256GCM", &key, &inner, None, critical);

    let header = b64url(br#"{"alg":"HS256","crit":["exp"]}"#);
    let payload = b64url(claims("dave").to_string().as_bytes());
    let signed = format!("{header}.{payload}");
    let mac = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, SIGNING),
        signed.as_bytes(),
    );
    let inner_critical = format!("{signed}.{}", b64url(mac.as_ref()));
    let wrapped = jwe("dir", "A256GCM", &key, &inner_critical, None);

    for token in [outer_critical, inner_critical, wrapped] {
        let gateway = TestGateway::default();
        let ran = gateway.run(&policy, call_with(&token));

        assert_eq!(ran.status, 401);
        assert!(ran.failure.unwrap().message.contains("critical"), "{token}");
        assert!(gateway.backend.received().is_empty());
    }
}

#[test]
fn an_encrypted_token_without_decryption_keys_is_refused() {
    let policy = policy(
        &format!(
            r#"<validate-jwt header-name="Authorization"><issuer-signing-keys><key>{}</key></issuer-signing-keys></validate-jwt>"#,
            b64(SIGNING)
        ),
        "",
        "",
    );
    let token = jwe(
        "dir",
        "A128GCM",
        &[4; 16],
        &hs256(&claims("x"), SIGNING),
        None,
    );

    let ran = TestGateway::default().run(&policy, call_with(&token));

    assert_eq!(ran.status, 401);
    assert_eq!(
        ran.failure.unwrap().message,
        "The token is encrypted and no decryption keys are configured. Access denied."
    );
}

#[test]
fn decryption_keys_that_cannot_decrypt_are_refused_when_the_policy_is_saved() {
    let cases = [
        (
            r#"<key certificate-id="missing" />"#,
            "certificate 'missing' is not an uploaded certificate with a private key",
        ),
        (
            r#"<key n="AQAB" e="AQAB" />"#,
            "attribute 'n' is not allowed on <key>",
        ),
        ("<key>not base64!</key>", "a symmetric key must be base64"),
    ];
    for (key, expected) in cases {
        let document = decrypting(key, "");

        let errors = gatehouse_policy::compile::compile_document(
            &document,
            gatehouse_policy::compile::ScopeLevel::Api,
        )
        .expect_err("refused");

        assert!(errors[0].message.contains(expected), "{key}: {errors:?}");
    }
}
