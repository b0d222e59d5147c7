//! The policy engine end to end: the real binary, policies saved through the management API,
//! calls made with curl, a recording backend on loopback. Rate limits, CORS preflights,
//! send-request, validate-jwt, mock-response, named values and fragments.

use std::path::Path;

use anyhow::Result;
use base64::Engine;
use gatehouse_testkit::{CurlResponse, GatewayProcess, RecordingBackend};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

/// A gateway with an API `things` at `/things` forwarding to a recording backend, in the
/// `starter` product the demo key opens.
struct Setup {
    _dir: tempfile::TempDir,
    gateway: GatewayProcess,
    backend: RecordingBackend,
}

impl Setup {
    fn start() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let gateway = GatewayProcess::start(Path::new(BINARY), &dir.path().join("data"))?;
        let backend = RecordingBackend::start()?;
        let setup = Self {
            _dir: dir,
            gateway,
            backend,
        };
        setup.put(
            "/apis/things",
            json!({ "path": "things", "serviceUrl": setup.backend.url() }),
        )?;
        setup.put(
            "/apis/things/operations/list",
            json!({ "method": "GET", "urlTemplate": "/items" }),
        )?;
        setup.put("/products/starter/apis/things", json!({}))?;
        Ok(setup)
    }

    fn put(&self, path: &str, properties: Value) -> Result<CurlResponse> {
        let response =
            self.gateway
                .admin("PUT", path, Some(&json!({ "properties": properties })))?;
        anyhow::ensure!(
            matches!(response.status, 200 | 201),
            "PUT {path}: {} {}",
            response.status,
            response.body
        );
        Ok(response)
    }

    fn policy(&self, path: &str, inbound: &str) -> Result<CurlResponse> {
        let value = format!(
            "<policies><inbound><base />{inbound}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>"
        );
        self.put(path, json!({ "format": "rawxml", "value": value }))
    }

    fn key(&self) -> String {
        format!(
            "Ocp-Apim-Subscription-Key: {}",
            self.gateway.demo_key.as_deref().unwrap_or_default()
        )
    }

    fn get(&self, path: &str) -> Result<CurlResponse> {
        self.gateway.call(path).header(&self.key()).send()
    }
}

#[test]
fn rate_limit_answers_429_with_retry_after_and_survives_configuration_changes() -> Result<()> {
    let s = Setup::start()?;
    s.policy(
        "/apis/things/policies/policy",
        r#"<rate-limit calls="2" renewal-period="300" />"#,
    )?;

    assert_eq!(s.get("/things/items")?.status, 200);
    assert_eq!(s.get("/things/items")?.status, 200);
    // An unrelated change rebuilds the snapshot and recompiles every policy.
    s.put(
        "/namedValues/unrelated",
        json!({ "displayName": "unrelated", "value": "x" }),
    )?;
    let refused = s.get("/things/items")?;

    assert_eq!(refused.status, 429, "{}", refused.body);
    let retry_after: u64 = refused.header("retry-after").unwrap_or_default().parse()?;
    assert!((1..=300).contains(&retry_after), "{retry_after}");
    assert_eq!(
        refused.json()?,
        json!({ "statusCode": 429, "message": format!("Rate limit is exceeded. Try again in {retry_after} seconds.") })
    );
    assert_eq!(s.backend.received().len(), 2);
    Ok(())
}

#[test]
fn a_cors_preflight_is_answered_without_a_subscription_key() -> Result<()> {
    let s = Setup::start()?;
    let cors = r#"<cors><allowed-origins><origin>https://app.example</origin></allowed-origins><allowed-methods><method>GET</method></allowed-methods><allowed-headers><header>ocp-apim-subscription-key</header></allowed-headers></cors>"#;
    s.policy("/apis/things/policies/policy", cors)?;

    let preflight = s
        .gateway
        .call("/things/items")
        .args(["-X", "OPTIONS"])
        .header("Origin: https://app.example")
        .header("Access-Control-Request-Method: GET")
        .header("Access-Control-Request-Headers: Ocp-Apim-Subscription-Key")
        .send()?;
    let actual = s
        .gateway
        .call("/things/items")
        .header(&s.key())
        .header("Origin: https://app.example")
        .send()?;

    assert_eq!(preflight.status, 200, "{}", preflight.body);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET")
    );
    assert_eq!(actual.status, 200);
    assert_eq!(
        actual.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(
        s.backend.received().len(),
        1,
        "only the actual request was forwarded"
    );
    Ok(())
}

#[test]
fn send_request_calls_a_local_service_and_its_response_is_used() -> Result<()> {
    let s = Setup::start()?;
    let service = RecordingBackend::start()?;
    let inbound = format!(
        r#"<send-request mode="new" response-variable-name="lookup" timeout="10">
            <set-url>{}/lookup?id=7</set-url>
            <set-method>GET</set-method>
        </send-request>
        <return-response>
            <set-status code="200" reason="OK" />
            <set-body>@(((IResponse)context.Variables["lookup"]).Body.As<JObject>()["request"]["target"].ToString())</set-body>
        </return-response>"#,
        service.url()
    );
    s.policy("/apis/things/policies/policy", &inbound)?;

    let response = s.get("/things/items")?;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.body, "/lookup?id=7");
    assert_eq!(service.received().len(), 1);
    assert!(
        s.backend.received().is_empty(),
        "return-response answered before forwarding"
    );
    Ok(())
}

fn hs256(claims: &Value, key: &[u8]) -> String {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let signed = format!(
        "{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes())
    );
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    format!(
        "{signed}.{}",
        b64(aws_lc_rs::hmac::sign(&key, signed.as_bytes()).as_ref())
    )
}

#[test]
fn validate_jwt_lets_valid_tokens_through_and_refuses_the_rest_with_401() -> Result<()> {
    let s = Setup::start()?;
    let secret = b"end-to-end-signing-secret-32-bytes!";
    let key = base64::engine::general_purpose::STANDARD.encode(secret);
    let policy = format!(
        r#"<validate-jwt header-name="Authorization" require-scheme="Bearer"><issuer-signing-keys><key>{key}</key></issuer-signing-keys><audiences><audience>things</audience></audiences></validate-jwt>"#
    );
    s.policy("/apis/things/policies/policy", &policy)?;
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        + 300;
    let good = hs256(
        &json!({ "aud": "things", "exp": exp, "sub": "alice" }),
        secret,
    );
    let forged = hs256(
        &json!({ "aud": "things", "exp": exp, "sub": "mallory" }),
        b"not-the-secret-at-all-not-at-all!",
    );

    let allowed = s
        .gateway
        .call("/things/items")
        .header(&s.key())
        .header(&format!("Authorization: Bearer {good}"))
        .send()?;
    let missing = s.get("/things/items")?;
    let refused = s
        .gateway
        .call("/things/items")
        .header(&s.key())
        .header(&format!("Authorization: Bearer {forged}"))
        .send()?;

    assert_eq!(allowed.status, 200, "{}", allowed.body);
    for response in [missing, refused] {
        assert_eq!(response.status, 401);
        assert_eq!(
            response.json()?,
            json!({ "statusCode": 401, "message": "Unauthorized. Access token is missing or invalid." })
        );
    }
    assert_eq!(s.backend.received().len(), 1);
    Ok(())
}

#[test]
fn mock_response_answers_with_the_operations_example() -> Result<()> {
    let s = Setup::start()?;
    let responses = json!([{ "statusCode": 200, "representations": [
        { "contentType": "application/json", "examples": { "default": { "value": { "id": 1, "name": "mocked" } } } }
    ] }]);
    s.put(
        "/apis/things/operations/list",
        json!({ "method": "GET", "urlTemplate": "/items", "responses": responses }),
    )?;
    s.policy(
        "/apis/things/operations/list/policies/policy",
        r#"<mock-response status-code="200" content-type="application/json" />"#,
    )?;

    let response = s.get("/things/items")?;

    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.json()?, json!({ "id": 1, "name": "mocked" }));
    assert!(s.backend.received().is_empty());
    Ok(())
}

#[test]
fn named_values_and_fragments_are_resources_policies_use() -> Result<()> {
    let s = Setup::start()?;
    s.put(
        "/namedValues/tenant",
        json!({ "displayName": "tenant", "value": "contoso" }),
    )?;
    s.put(
        "/namedValues/api-key",
        json!({ "displayName": "backend-key", "value": "k-s3cr3t-value", "secret": true }),
    )?;
    let fragment = r#"<fragment><set-header name="x-tenant" exists-action="override"><value>{{tenant}}</value></set-header></fragment>"#;
    s.put(
        "/policyFragments/tenant-header",
        json!({ "format": "rawxml", "value": fragment }),
    )?;
    s.policy(
        "/apis/things/policies/policy",
        r#"<include-fragment fragment-id="tenant-header" /><set-header name="x-key" exists-action="override"><value>{{backend-key}}</value></set-header>"#,
    )?;

    let response = s
        .gateway
        .call("/things/items")
        .header(&s.key())
        .header("Ocp-Apim-Trace: true")
        .send()?;
    assert_eq!(response.status, 200, "{}", response.body);
    let received = &s.backend.received()[0];
    assert_eq!(received["headers"]["x-tenant"], "contoso");
    assert_eq!(received["headers"]["x-key"], "k-s3cr3t-value");

    let trace_url = response
        .header("ocp-apim-trace-location")
        .expect("a trace location")
        .to_owned();
    let trace = gatehouse_testkit::Curl::new(&trace_url, &s.gateway.ca()).send()?;
    assert!(
        trace.body.contains("contoso") && !trace.body.contains("k-s3cr3t-value"),
        "{}",
        trace.body
    );

    let shown = s
        .gateway
        .admin("GET", "/namedValues/api-key", None)?
        .json()?;
    assert!(shown["properties"].get("value").is_none(), "{shown}");
    let listed = s
        .gateway
        .admin("POST", "/namedValues/api-key/listValue", None)?
        .json()?;
    assert_eq!(listed["value"], "k-s3cr3t-value");
    assert!(
        !s.gateway.log().contains("k-s3cr3t-value"),
        "the secret never reaches the log"
    );

    let in_use = s.gateway.admin("DELETE", "/namedValues/tenant", None)?;
    assert_eq!(
        in_use.status, 400,
        "a named value a fragment uses cannot go: {}",
        in_use.body
    );
    let undefined = s.gateway.admin(
        "PUT",
        "/apis/things/operations/list/policies/policy",
        Some(&json!({ "properties": { "format": "rawxml", "value": "<policies>\n<inbound><set-header name=\"a\"><value>{{nope}}</value></set-header></inbound>\n</policies>" } })),
    )?;
    assert_eq!(undefined.status, 400);
    let details = &undefined.json()?["error"]["details"][0];
    assert_eq!(
        (details["line"].as_u64(), details["column"].as_u64()),
        (Some(2), Some(38)),
        "{details}"
    );
    Ok(())
}
