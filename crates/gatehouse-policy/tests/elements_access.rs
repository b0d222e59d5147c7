//! Access-restriction policies against APIM's documented behaviour and texts: check-header,
//! ip-filter, cors and validate-jwt.

mod support;

use base64::Engine;
use support::harness::{Call, GATEWAY, TestGateway, policy};

fn run(inbound: &str, call: Call) -> support::harness::Ran {
    TestGateway::default().run(&policy(inbound, "", ""), call)
}

// ----- check-header -----

const CHECK: &str = r#"<check-header name="X-Tenant" failed-check-httpcode="401" failed-check-error-message="Not authorized" ignore-case="true"><value>alpha</value><value>beta</value></check-header>"#;

#[test]
fn check_header_refuses_a_missing_header_with_the_configured_status_and_message() {
    let ran = run(CHECK, Call::get(&format!("{GATEWAY}/resource")));

    assert_eq!(ran.status, 401);
    assert_eq!(
        ran.json(),
        serde_json::json!({"statusCode": 401, "message": "Not authorized"})
    );
    let failure = ran.failure.expect("the pipeline failed");
    assert_eq!(&*failure.reason, "HeaderNotFound");
    assert_eq!(
        failure.message,
        "Header x-tenant was not found in the request. Access denied."
    );
}

#[test]
fn check_header_compares_values_ignoring_case_when_asked() {
    let ran = run(
        CHECK,
        Call::get(&format!("{GATEWAY}/resource")).header("X-Tenant", "ALPHA"),
    );
    assert_eq!(ran.status, 200, "{}", ran.body);

    let ran = run(
        CHECK,
        Call::get(&format!("{GATEWAY}/resource")).header("X-Tenant", "gamma"),
    );
    assert_eq!(ran.reason_code(), Some("HeaderValueNotAllowed"));
    assert_eq!(
        ran.failure.unwrap().message,
        "Header x-tenant value of gamma is not allowed. Access denied."
    );
}

// ----- ip-filter -----

#[test]
fn ip_filter_allows_listed_callers_and_refuses_others_with_403() {
    let allow = r#"<ip-filter action="allow"><address>10.0.0.1</address><address-range from="203.0.113.0" to="203.0.113.255" /></ip-filter>"#;

    let inside = run(allow, Call::get(&format!("{GATEWAY}/r")).ip("203.0.113.7"));
    assert_eq!(inside.status, 200);

    let outside = run(allow, Call::get(&format!("{GATEWAY}/r")).ip("198.51.100.1"));
    assert_eq!(outside.status, 403);
    assert_eq!(
        outside.json(),
        serde_json::json!({"statusCode": 403, "message": "Forbidden"})
    );
    let failure = outside.failure.unwrap();
    assert_eq!(&*failure.reason, "CallerIpNotAllowed");
    assert_eq!(
        failure.message,
        "Caller IP address 198.51.100.1 is not allowed. Access denied."
    );
}

#[test]
fn ip_filter_forbid_blocks_listed_callers() {
    let forbid = r#"<ip-filter action="forbid"><address>203.0.113.7</address></ip-filter>"#;

    let ran = run(forbid, Call::get(&format!("{GATEWAY}/r")).ip("203.0.113.7"));

    assert_eq!(ran.reason_code(), Some("CallerIpBlocked"));
    assert_eq!(
        ran.failure.unwrap().message,
        "Caller IP address is blocked. Access denied."
    );
    assert_eq!(
        run(forbid, Call::get(&format!("{GATEWAY}/r")).ip("10.9.9.9")).status,
        200
    );
}

// ----- cors -----

const CORS: &str = r#"<cors allow-credentials="true"><allowed-origins><origin>https://app.example</origin></allowed-origins><allowed-methods preflight-result-max-age="300"><method>GET</method><method>PUT</method></allowed-methods><allowed-headers><header>content-type</header></allowed-headers><expose-headers><header>x-total</header></expose-headers></cors>"#;

fn preflight(origin: &str, method: &str) -> Call {
    Call::get(&format!("{GATEWAY}/r"))
        .method("OPTIONS")
        .header("Origin", origin)
        .header("Access-Control-Request-Method", method)
        .header("Access-Control-Request-Headers", "Content-Type")
}

#[test]
fn a_matching_preflight_is_answered_in_inbound_and_never_forwarded() {
    let gateway = TestGateway::default();

    let ran = gateway.run(
        &policy(CORS, "", ""),
        preflight("https://app.example", "PUT"),
    );

    assert_eq!(ran.status, 200);
    assert_eq!(
        ran.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(ran.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(ran.header("access-control-allow-methods"), Some("PUT"));
    assert_eq!(
        ran.header("access-control-allow-headers"),
        Some("Content-Type")
    );
    assert_eq!(ran.header("access-control-max-age"), Some("300"));
    assert!(gateway.backend.received().is_empty());
}

#[test]
fn an_unmatched_preflight_gets_an_empty_200_without_cors_headers() {
    let ran = run(CORS, preflight("https://evil.example", "PUT"));

    assert_eq!(ran.status, 200);
    assert!(ran.body.is_empty());
    assert!(ran.header("access-control-allow-origin").is_none());
}

#[test]
fn an_allowed_cross_origin_request_goes_through_and_its_response_gets_the_headers() {
    let gateway = TestGateway::default();
    let call = Call::get(&format!("{GATEWAY}/r")).header("Origin", "https://app.example");

    let ran = gateway.run(&policy(CORS, "", ""), call);

    assert_eq!(ran.body, "from the backend");
    assert_eq!(
        ran.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(ran.header("access-control-expose-headers"), Some("x-total"));
    assert_eq!(gateway.backend.received().len(), 1);
}

#[test]
fn without_terminating_an_unmatched_request_goes_on_without_headers() {
    let cors = CORS.replace("<cors ", "<cors terminate-unmatched-request=\"false\" ");
    let gateway = TestGateway::default();
    let call = Call::get(&format!("{GATEWAY}/r")).header("Origin", "https://evil.example");

    let ran = gateway.run(&policy(&cors, "", ""), call);

    assert_eq!(ran.body, "from the backend");
    assert!(ran.header("access-control-allow-origin").is_none());
}

#[test]
fn a_request_without_origin_is_not_cross_origin() {
    let ran = run(CORS, Call::get(&format!("{GATEWAY}/r")));
    assert_eq!(ran.body, "from the backend");
    assert!(ran.header("access-control-allow-origin").is_none());
    assert!(ran.sources("inbound").contains(&"cors".to_owned()));
}

// ----- validate-jwt -----

const SECRET: &[u8] = b"a-test-signing-secret-of-32-bytes!!";

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An HS256 token with `claims`, signed with `key`.
fn hs256(claims: serde_json::Value, key: &[u8]) -> String {
    let header = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64url(claims.to_string().as_bytes());
    let signed = format!("{header}.{payload}");
    let tag = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key),
        signed.as_bytes(),
    );
    format!("{signed}.{}", b64url(tag.as_ref()))
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn jwt_policy() -> String {
    let key = base64::engine::general_purpose::STANDARD.encode(SECRET);
    format!(
        r#"<validate-jwt header-name="Authorization" failed-validation-httpcode="401" require-scheme="Bearer" output-token-variable-name="jwt">
            <issuer-signing-keys><key>{key}</key></issuer-signing-keys>
            <audiences><audience>api://gatehouse</audience></audiences>
            <issuers><issuer>https://issuer.test/</issuer></issuers>
            <required-claims><claim name="roles" match="any"><value>reader</value><value>admin</value></claim></required-claims>
        </validate-jwt>
        <set-header name="X-Subject" exists-action="override"><value>@(((Jwt)context.Variables["jwt"]).Subject)</value></set-header>"#
    )
}

fn good_claims() -> serde_json::Value {
    serde_json::json!({"sub": "alice", "aud": "api://gatehouse", "iss": "https://issuer.test/", "exp": now() + 300, "roles": ["reader"]})
}

fn call_with(token: &str) -> Call {
    Call::get(&format!("{GATEWAY}/r")).header("Authorization", &format!("Bearer {token}"))
}

#[test]
fn a_valid_token_passes_and_lands_in_the_output_variable() {
    let gateway = TestGateway::default();

    let ran = gateway.run(
        &policy(&jwt_policy(), "", ""),
        call_with(&hs256(good_claims(), SECRET)),
    );

    assert_eq!(ran.status, 200, "{ran:?}");
    let received = gateway.backend.received();
    assert_eq!(received[0].headers.get("x-subject").unwrap(), "alice");
}

#[test]
fn refused_tokens_get_apims_401_and_a_reason_in_last_error() {
    let mut expired = good_claims();
    expired["exp"] = serde_json::json!(now() - 60);
    let mut wrong_audience = good_claims();
    wrong_audience["aud"] = serde_json::json!("api://other");
    let mut wrong_issuer = good_claims();
    wrong_issuer["iss"] = serde_json::json!("https://evil.test/");
    let mut no_roles = good_claims();
    no_roles.as_object_mut().unwrap().remove("roles");
    let mut wrong_role = good_claims();
    wrong_role["roles"] = serde_json::json!(["guest"]);

    let cases = [
        (None, "TokenNotPresent"),
        (
            Some(hs256(good_claims(), b"another-secret-entirely-different!!")),
            "TokenSignatureInvalid",
        ),
        (Some(hs256(expired, SECRET)), "TokenExpired"),
        (
            Some(hs256(wrong_audience, SECRET)),
            "TokenAudienceNotAllowed",
        ),
        (Some(hs256(wrong_issuer, SECRET)), "TokenIssuerNotAllowed"),
        (Some(hs256(no_roles, SECRET)), "TokenClaimNotFound"),
        (Some(hs256(wrong_role, SECRET)), "TokenClaimValueNotAllowed"),
        (Some("not-a-jwt".to_owned()), "JwtInvalid"),
    ];
    for (token, reason) in cases {
        let call = match &token {
            Some(token) => call_with(token),
            None => Call::get(&format!("{GATEWAY}/r")),
        };
        let gateway = TestGateway::default();

        let ran = gateway.run(&policy(&jwt_policy(), "", ""), call);

        assert_eq!(ran.status, 401, "{reason}");
        assert_eq!(
            ran.json(),
            serde_json::json!({"statusCode": 401, "message": "Unauthorized. Access token is missing or invalid."}),
            "{reason}"
        );
        assert_eq!(ran.reason_code(), Some(reason));
        assert!(
            gateway.backend.received().is_empty(),
            "{reason}: a refused request is never forwarded"
        );
    }
}

#[test]
fn the_missing_claims_message_names_them() {
    let mut claims = good_claims();
    claims.as_object_mut().unwrap().remove("roles");

    let ran = run(&jwt_policy(), call_with(&hs256(claims, SECRET)));

    assert_eq!(
        ran.failure.unwrap().message,
        "JWT token is missing the following claims: roles. Access denied."
    );
}

/// The modulus and exponent of a DER `RSAPublicKey` (`SEQUENCE { INTEGER n, INTEGER e }`).
fn rsa_components(der: &[u8]) -> (Vec<u8>, Vec<u8>) {
    fn read(der: &[u8]) -> (&[u8], &[u8]) {
        let (len, header) = match der[1] {
            short if short < 0x80 => (usize::from(short), 2),
            long => {
                let count = usize::from(long & 0x7f);
                let len = der[2..2 + count]
                    .iter()
                    .fold(0, |acc, b| acc * 256 + usize::from(*b));
                (len, 2 + count)
            }
        };
        (&der[header..header + len], &der[header + len..])
    }
    let (sequence, _) = read(der);
    let (n, rest) = read(sequence);
    let (e, _) = read(rest);
    let trim = |v: &[u8]| v.iter().skip_while(|b| **b == 0).copied().collect();
    (trim(n), trim(e))
}

fn rs256(pair: &aws_lc_rs::rsa::KeyPair, payload: &str) -> String {
    let header = b64url(br#"{"alg":"RS256"}"#);
    let signed = format!("{header}.{}", b64url(payload.as_bytes()));
    let mut signature = vec![0; pair.public_modulus_len()];
    let rng = aws_lc_rs::rand::SystemRandom::new();
    pair.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &rng,
        signed.as_bytes(),
        &mut signature,
    )
    .expect("signs");
    format!("{signed}.{}", b64url(&signature))
}

#[test]
fn rsa_keys_given_as_modulus_and_exponent_or_pem_verify_rs256() {
    use aws_lc_rs::signature::KeyPair;

    let pair =
        aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("an RSA key");
    let der = pair.public_key().as_ref().to_vec();
    let (n, e) = rsa_components(&der);
    let by_components = format!(
        r#"<validate-jwt header-name="Authorization" require-expiration-time="false"><issuer-signing-keys><key n="{}" e="{}" /></issuer-signing-keys></validate-jwt>"#,
        b64url(&n),
        b64url(&e)
    );
    let pem = format!(
        "-----BEGIN RSA PUBLIC KEY-----\n{}\n-----END RSA PUBLIC KEY-----",
        base64::engine::general_purpose::STANDARD.encode(&der)
    );
    let by_pem = format!(
        r#"<validate-jwt header-name="Authorization" require-expiration-time="false"><issuer-signing-keys><key>{pem}</key></issuer-signing-keys></validate-jwt>"#
    );
    let token = rs256(&pair, r#"{"sub":"bob"}"#);
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], b64url(br#"{"sub":"eve"}"#), parts[2]);

    for inline in [by_components, by_pem] {
        assert_eq!(run(&inline, call_with(&token)).status, 200, "{inline}");
        assert_eq!(
            run(&inline, call_with(&tampered)).reason_code(),
            Some("TokenSignatureInvalid")
        );
    }
}

#[test]
fn fetching_keys_is_refused_when_the_policy_is_saved() {
    let fetching = r#"<policies><inbound><validate-jwt header-name="Authorization"><openid-config url="https://login.example/.well-known/openid-configuration" /></validate-jwt></inbound></policies>"#;

    let errors = gatehouse_policy::compile::compile_document(
        fetching,
        gatehouse_policy::compile::ScopeLevel::Api,
    )
    .expect_err("refused");

    assert!(
        errors[0].message.contains("not supported by this gateway"),
        "{errors:?}"
    );
    assert!(errors[0].message.contains("<openid-config>"), "{errors:?}");
}
