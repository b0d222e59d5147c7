//! The article's scenario end to end: the real binary, real TLS, real clients (curl, newman),
//! certificates made by the openssl command line.

use std::path::Path;

use anyhow::Result;
use base64::Engine;
use gatehouse_testkit::{ClientCert, GatewayProcess, Pki, RecordingBackend, article_policy};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

const MISSING_KEY: &str = "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.";
const INVALID_KEY: &str = "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.";

struct Scenario {
    _dir: tempfile::TempDir,
    pki: Pki,
    gateway: GatewayProcess,
    client_a: ClientCert,
    client_b: ClientCert,
}

impl Scenario {
    /// A gateway with client A's PFX uploaded and the article's policy on the Echo API.
    fn start() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let pki = Pki::new()?;
        let client_a = pki.self_signed_client("client-a")?;
        let client_b = pki.self_signed_client("client-b")?;
        let gateway = GatewayProcess::start(Path::new(BINARY), &dir.path().join("data"))?;

        let uploaded = upload_pfx(&gateway, "client-a", &client_a)?;
        assert_eq!(uploaded.status, 201, "{}", uploaded.body);
        assert_eq!(
            uploaded.json()?["properties"]["thumbprint"],
            client_a.thumbprint.as_str()
        );

        let policy = json!({ "properties": { "format": "rawxml", "value": article_policy(&client_a.thumbprint) } });
        let saved = gateway.admin("PUT", "/apis/echo-api/policies/policy", Some(&policy))?;
        assert!(saved.status == 201 || saved.status == 200, "{}", saved.body);
        Ok(Self {
            _dir: dir,
            pki,
            gateway,
            client_a,
            client_b,
        })
    }

    /// The trace a traced response points at.
    fn trace_of(
        &self,
        response: &gatehouse_testkit::CurlResponse,
    ) -> Result<gatehouse_testkit::CurlResponse> {
        let location = response
            .header("ocp-apim-trace-location")
            .expect("a trace location");
        gatehouse_testkit::Curl::new(location, &self.gateway.ca()).send()
    }

    fn key(&self) -> &str {
        self.gateway
            .demo_key
            .as_deref()
            .expect("the banner shows the demo key")
    }
}

fn upload_pfx(
    gateway: &GatewayProcess,
    id: &str,
    client: &ClientCert,
) -> Result<gatehouse_testkit::CurlResponse> {
    let data = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&client.pfx)?);
    let body = json!({ "properties": { "data": data, "password": client.password } });
    gateway.admin("PUT", &format!("/certificates/{id}"), Some(&body))
}

#[test]
fn the_right_certificate_and_key_get_the_echoed_request() -> Result<()> {
    let s = Scenario::start()?;

    let response = s
        .gateway
        .call("/echo/resource?param1=sample")
        .cert(&s.client_a.cert, &s.client_a.key)
        .header(&format!("Ocp-Apim-Subscription-Key: {}", s.key()))
        .send()?;

    assert_eq!(
        response.status,
        200,
        "{}\n{}",
        response.body,
        s.gateway.log()
    );
    let echoed = response.json()?;
    assert_eq!(echoed["method"], "GET");
    assert_eq!(echoed["path"], "/resource");
    assert_eq!(echoed["query"]["param1"], "sample");
    Ok(())
}

#[test]
fn another_certificate_or_none_gets_403_invalid_client_certificate() -> Result<()> {
    let s = Scenario::start()?;
    let key = format!("Ocp-Apim-Subscription-Key: {}", s.key());

    let with_b = s
        .gateway
        .call("/echo/resource")
        .cert(&s.client_b.cert, &s.client_b.key)
        .header(&key)
        .args(["--http1.1"])
        .send()?;
    let without = s
        .gateway
        .call("/echo/resource")
        .header(&key)
        .args(["--http1.1"])
        .send()?;

    for response in [with_b, without] {
        assert_eq!(response.status, 403, "{}", response.body);
        assert_eq!(response.reason, "Invalid client certificate");
    }
    Ok(())
}

#[test]
fn a_missing_or_wrong_key_gets_apims_401_bodies() -> Result<()> {
    let s = Scenario::start()?;

    let missing = s
        .gateway
        .call("/echo/resource")
        .cert(&s.client_a.cert, &s.client_a.key)
        .send()?;
    let wrong = s
        .gateway
        .call("/echo/resource?subscription-key=not-a-key")
        .cert(&s.client_a.cert, &s.client_a.key)
        .send()?;

    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.json()?,
        json!({ "statusCode": 401, "message": MISSING_KEY })
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.json()?,
        json!({ "statusCode": 401, "message": INVALID_KEY })
    );
    Ok(())
}

#[test]
fn http2_works_with_the_client_certificate() -> Result<()> {
    let s = Scenario::start()?;

    let response = s
        .gateway
        .call("/echo/resource")
        .cert(&s.client_a.cert, &s.client_a.key)
        .header(&format!("Ocp-Apim-Subscription-Key: {}", s.key()))
        .args(["--http2"])
        .send()?;

    assert_eq!(response.version, "HTTP/2");
    assert_eq!(response.status, 200, "{}", response.body);
    Ok(())
}

#[test]
fn a_traced_call_returns_a_trace_with_the_thumbprint_and_policy_steps() -> Result<()> {
    let s = Scenario::start()?;

    let response = s
        .gateway
        .call("/echo/resource")
        .cert(&s.client_a.cert, &s.client_a.key)
        .header(&format!("Ocp-Apim-Subscription-Key: {}", s.key()))
        .header("Ocp-Apim-Trace: true")
        .send()?;
    assert_eq!(response.status, 200, "{}", response.body);

    let trace = s.trace_of(&response)?.json()?;
    let inbound = trace["traceEntries"]["inbound"]
        .as_array()
        .expect("inbound entries");
    let certificate = inbound
        .iter()
        .find(|e| e["source"] == "client-certificate")
        .expect("a certificate entry");
    assert_eq!(
        certificate["data"]["thumbprint"],
        s.client_a.thumbprint.as_str()
    );
    assert!(
        inbound
            .iter()
            .any(|e| e["source"] == "choose" && e["data"]["value"] == false),
        "{trace:#}"
    );
    let forwarded = &trace["traceEntries"]["backend"][0]["data"]["request"];
    assert_eq!(forwarded["method"], "GET");
    let shown_key = forwarded["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "ocp-apim-subscription-key")
        .unwrap();
    assert_ne!(shown_key["value"], s.key(), "the key is masked in traces");
    Ok(())
}

#[test]
fn a_trace_shows_no_credential_the_caller_sent() -> Result<()> {
    let s = Scenario::start()?;
    let bearer = "Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl";
    let cookie = "session=7f3c9a1e5b2d4c6f8a0b";

    let response = s
        .gateway
        .call(&format!("/echo/resource?subscription-key={}&x=1", s.key()))
        .cert(&s.client_a.cert, &s.client_a.key)
        .header(&format!("Ocp-Apim-Subscription-Key: {}", s.key()))
        .header(&format!("Authorization: {bearer}"))
        .header("Proxy-Authorization: Basic dXNlcjpwcm94eS1wYXNzd29yZA==")
        .header(&format!("Cookie: {cookie}"))
        .header("Ocp-Apim-Trace: true")
        .send()?;
    assert_eq!(response.status, 200, "{}", response.body);
    let trace = s.trace_of(&response)?;

    for secret in [
        s.key(),
        bearer,
        "eyJhbGciOiJIUzI1NiJ9",
        "dXNlcjpwcm94eS1wYXNzd29yZA==",
        "7f3c9a1e5b2d4c6f8a0b",
    ] {
        assert!(!trace.body.contains(secret), "{secret} in {}", trace.body);
    }
    assert!(trace.body.contains("x=1"), "the rest of the query is shown");
    Ok(())
}

#[test]
fn no_trace_without_allow_tracing() -> Result<()> {
    let s = Scenario::start()?;
    let body = json!({ "properties": { "scope": "/products/starter", "state": "active", "allowTracing": false, "primaryKey": "no-tracing-key-0001" } });
    assert_eq!(
        s.gateway
            .admin("PUT", "/subscriptions/quiet", Some(&body))?
            .status,
        201
    );

    let response = s
        .gateway
        .call("/echo/resource")
        .cert(&s.client_a.cert, &s.client_a.key)
        .header("Ocp-Apim-Subscription-Key: no-tracing-key-0001")
        .header("Ocp-Apim-Trace: true")
        .send()?;

    assert_eq!(response.status, 200, "{}", response.body);
    assert!(response.header("ocp-apim-trace-location").is_none());
    Ok(())
}

#[test]
fn newman_with_the_pfx_and_passphrase_gets_200_and_a_trace_with_the_thumbprint() -> Result<()> {
    let Some(newman) = gatehouse_testkit::newman() else {
        return Ok(());
    };
    let s = Scenario::start()?;
    let dir = s.pki.dir();
    let collection = json!({
        "info": { "name": "gatehouse", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" },
        "item": [{
            "name": "echo",
            "request": { "method": "GET", "url": format!("{}/echo/resource?param1=sample", s.gateway.gateway_url),
                "header": [ { "key": "Ocp-Apim-Subscription-Key", "value": s.key() }, { "key": "Ocp-Apim-Trace", "value": "true" } ] },
            "event": [{ "listen": "test", "script": { "exec": [
                "pm.test('200', () => pm.response.to.have.status(200));",
                "pm.test('trace', () => pm.expect(pm.response.headers.get('Ocp-Apim-Trace-Location')).to.be.a('string'));",
                "pm.environment.set('trace', pm.response.headers.get('Ocp-Apim-Trace-Location'));"
            ]}}]
        }]
    });
    let port = s.gateway.gateway_url.rsplit(':').next().unwrap_or_default();
    let certs = json!([{ "name": "client-a", "matches": [format!("https://localhost:{port}/*")], "pfx": { "src": s.client_a.pfx }, "passphrase": s.client_a.password }]);
    std::fs::write(dir.join("collection.json"), collection.to_string())?;
    std::fs::write(dir.join("certs.json"), certs.to_string())?;

    let output = std::process::Command::new(newman)
        .args([
            "run",
            "collection.json",
            "--ssl-client-cert-list",
            "certs.json",
            "--ssl-extra-ca-certs",
        ])
        .arg(s.gateway.ca())
        .args(["--export-environment", "env.json", "--reporters", "cli"])
        .current_dir(dir)
        .output()?;
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "newman failed:\n{printed}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let environment: Value = serde_json::from_slice(&std::fs::read(dir.join("env.json"))?)?;
    let location = environment["values"]
        .as_array()
        .and_then(|v| v.iter().find(|e| e["key"] == "trace"))
        .map(|e| e["value"].as_str().unwrap_or_default().to_owned())
        .expect("the trace location");
    let trace = gatehouse_testkit::Curl::new(&location, &s.gateway.ca()).send()?;
    assert!(
        trace.body.contains(&s.client_a.thumbprint),
        "{}",
        trace.body
    );
    Ok(())
}

#[test]
fn an_api_with_a_service_url_forwards_to_that_backend() -> Result<()> {
    let s = Scenario::start()?;
    let backend = RecordingBackend::start()?;
    let api = json!({ "properties": { "displayName": "Users", "path": "users-api", "serviceUrl": format!("{}/v1", backend.url()) } });
    let operation = json!({ "properties": { "displayName": "Get user", "method": "GET", "urlTemplate": "/users/{id}" } });
    assert_eq!(
        s.gateway.admin("PUT", "/apis/users", Some(&api))?.status,
        201
    );
    assert_eq!(
        s.gateway
            .admin("PUT", "/apis/users/operations/get-user", Some(&operation))?
            .status,
        201
    );
    let link = s.gateway.admin(
        "PUT",
        "/products/starter/apis/users",
        Some(&json!({ "properties": {} })),
    )?;
    assert_eq!(link.status, 201, "{}", link.body);

    let response = s
        .gateway
        .call("/users-api/users/42?verbose=1")
        .header(&format!("Ocp-Apim-Subscription-Key: {}", s.key()))
        .send()?;

    assert_eq!(
        response.status,
        200,
        "{}\n{}",
        response.body,
        s.gateway.log()
    );
    assert_eq!(response.header("x-backend"), Some("recording"));
    let received = backend.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["target"], "/v1/users/42?verbose=1");
    Ok(())
}

#[test]
fn a_broken_policy_is_refused_with_line_and_column_and_changes_nothing() -> Result<()> {
    let s = Scenario::start()?;
    let broken = json!({ "properties": { "format": "rawxml", "value": "<policies>\n  <inbound>\n    <set-status code=\"403\" reason=\"x\">\n  </inbound>\n</policies>" } });

    let refused = s
        .gateway
        .admin("PUT", "/apis/echo-api/policies/policy", Some(&broken))?;

    assert_eq!(refused.status, 400, "{}", refused.body);
    let details = refused.json()?["error"]["details"].clone();
    assert!(
        details[0]["line"].as_u64().is_some() && details[0]["column"].as_u64().is_some(),
        "{details}"
    );
    let still = s
        .gateway
        .call("/echo/resource")
        .header(&format!("Ocp-Apim-Subscription-Key: {}", s.key()))
        .send()?;
    assert_eq!(still.status, 403, "the article's policy is still in force");
    Ok(())
}

#[test]
fn a_restart_keeps_the_certificate_policy_and_subscription() -> Result<()> {
    let s = Scenario::start()?;
    let data = s
        .gateway
        .ca()
        .parent()
        .and_then(Path::parent)
        .expect("data dir")
        .to_owned();
    let key = s.key().to_owned();
    let Scenario {
        _dir,
        gateway,
        client_a,
        client_b,
        ..
    } = s;
    gateway.stop()?;

    let restarted = GatewayProcess::start(Path::new(BINARY), &data)?;

    assert_eq!(
        restarted.demo_key.as_deref(),
        Some(key.as_str()),
        "same demo subscription"
    );
    let certificate = restarted.admin("GET", "/certificates/client-a", None)?;
    assert_eq!(
        certificate.json()?["properties"]["thumbprint"],
        client_a.thumbprint.as_str()
    );
    let allowed = restarted
        .call("/echo/resource")
        .cert(&client_a.cert, &client_a.key)
        .header(&format!("Ocp-Apim-Subscription-Key: {key}"))
        .send()?;
    let refused = restarted
        .call("/echo/resource")
        .cert(&client_b.cert, &client_b.key)
        .header(&format!("Ocp-Apim-Subscription-Key: {key}"))
        .send()?;
    assert_eq!((allowed.status, refused.status), (200, 403));
    Ok(())
}

#[test]
fn an_expired_self_signed_certificate_still_reaches_the_policy() -> Result<()> {
    let s = Scenario::start()?;
    let expired = s.pki.expired_client("expired")?;

    let response = s
        .gateway
        .call("/echo/resource")
        .cert(&expired.cert, &expired.key)
        .header(&format!("Ocp-Apim-Subscription-Key: {}", s.key()))
        .header("Ocp-Apim-Trace: true")
        .send()?;

    assert_eq!(
        response.status, 403,
        "the policy, not the handshake, refuses it"
    );
    let location = response.header("ocp-apim-trace-location").expect("trace");
    let trace = gatehouse_testkit::Curl::new(location, &s.gateway.ca()).send()?;
    assert!(trace.body.contains(&expired.thumbprint), "{}", trace.body);
    Ok(())
}
