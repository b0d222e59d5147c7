//! The management endpoints the web console adds, over real HTTPS with curl: the pages
//! themselves, policy validation, the effective policy, recent requests and the server-side
//! sender.

use std::path::Path;

use anyhow::Result;
use base64::Engine;
use gatehouse_testkit::{Curl, GatewayProcess, Pki, article_policy};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

fn start() -> Result<(tempfile::TempDir, GatewayProcess)> {
    let dir = tempfile::tempdir()?;
    let gateway = GatewayProcess::start(Path::new(BINARY), &dir.path().join("data"))?;
    Ok((dir, gateway))
}

fn upload(gateway: &GatewayProcess, id: &str, file: &Path, password: Option<&str>) -> Result<()> {
    let data = base64::engine::general_purpose::STANDARD.encode(std::fs::read(file)?);
    let body = json!({ "properties": { "data": data, "password": password } });
    let response = gateway.admin("PUT", &format!("/certificates/{id}"), Some(&body))?;
    assert_eq!(response.status, 201, "{}", response.body);
    Ok(())
}

fn policy(value: &str) -> Value {
    json!({ "properties": { "format": "rawxml", "value": value } })
}

#[test]
fn the_console_is_served_without_a_token_under_a_strict_content_security_policy() -> Result<()> {
    let (_dir, gateway) = start()?;
    let page =
        |path: &str| Curl::new(&format!("{}{path}", gateway.admin_url), &gateway.ca()).send();

    let index = page("/console/")?;
    let script = page("/console/app.js")?;
    let missing = page("/console/missing.js")?;
    let bare = page("/console")?;

    assert_eq!(index.status, 200);
    assert!(
        index
            .body
            .contains("<script type=\"module\" src=\"app.js\">")
    );
    let policy = index.header("content-security-policy").unwrap_or_default();
    assert!(
        policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"),
        "{policy}"
    );
    assert!(
        policy.contains(&gateway.gateway_url),
        "the gateway is reachable for direct sends: {policy}"
    );
    assert_eq!(script.status, 200);
    assert!(
        script
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/javascript")
    );
    assert_eq!(missing.status, 404);
    assert_eq!(bare.status, 308);
    assert_eq!(bare.header("location"), Some("/console/"));
    Ok(())
}

#[test]
fn the_console_endpoints_need_the_admin_token() -> Result<()> {
    let (_dir, gateway) = start()?;

    for path in [
        "/gateway",
        "/gateway/requests",
        "/apis/echo-api/operations/retrieve-resource/effectivePolicy",
    ] {
        let response = Curl::new(&format!("{}{path}", gateway.admin_url), &gateway.ca()).send()?;
        assert_eq!(response.status, 401, "{path}");
    }
    Ok(())
}

#[test]
fn validation_reports_every_error_at_its_line_and_column_and_saves_nothing() -> Result<()> {
    let (_dir, gateway) = start()?;
    let broken = "<policies>\n  <inbound>\n    <set-status code=\"abc\" />\n    <no-such-policy />\n  </inbound>\n</policies>";

    let checked = gateway.admin(
        "POST",
        "/apis/echo-api/policies/policy/validate",
        Some(&policy(broken)),
    )?;
    let fine = gateway.admin(
        "POST",
        "/apis/echo-api/operations/retrieve-resource/policies/policy/validate",
        Some(&policy("<policies><inbound><base /></inbound></policies>")),
    )?;
    let stored = gateway.admin("GET", "/apis/echo-api/policies/policy", None)?;

    assert_eq!(checked.status, 200, "{}", checked.body);
    let checked = checked.json()?;
    assert_eq!(checked["valid"], false);
    let errors = checked["errors"].as_array().expect("errors");
    assert!(errors.len() >= 2, "{errors:?}");
    assert_eq!(errors[0]["line"], 3);
    assert!(errors[0]["column"].as_u64().is_some_and(|c| c > 0));
    assert!(errors.iter().any(|e| e["line"] == 4), "{errors:?}");
    assert_eq!(fine.json()?["valid"], true);
    assert_eq!(stored.status, 404, "validation stored nothing");
    Ok(())
}

#[test]
fn validation_returns_the_policy_checkers_warnings_for_a_document_that_compiles() -> Result<()> {
    let (_dir, gateway) = start()?;
    // A lowercase thumbprint compared with `==` never matches `Thumbprint` (uppercase hex).
    let suspicious = "<policies>\n  <inbound>\n    <choose>\n      <when condition=\"@(context.Request.Certificate.Thumbprint == &quot;bf3d644c46099a9d7c073ec002312878b8f9b847&quot;)\">\n        <return-response><set-status code=\"403\" /></return-response>\n      </when>\n    </choose>\n  </inbound>\n</policies>";

    let checked = gateway
        .admin(
            "POST",
            "/apis/echo-api/policies/policy/validate",
            Some(&policy(suspicious)),
        )?
        .json()?;

    assert_eq!(checked["valid"], true, "{checked}");
    let warnings = checked["warnings"].as_array().expect("warnings");
    assert!(!warnings.is_empty(), "{checked}");
    assert!(warnings.iter().all(|w| w["line"] == 4), "{warnings:?}");
    Ok(())
}

#[test]
fn the_effective_policy_resolves_base_across_scopes() -> Result<()> {
    let (_dir, gateway) = start()?;
    let global = "<policies><inbound><set-header name=\"x-global\" exists-action=\"override\"><value>1</value></set-header></inbound></policies>";
    let product = "<policies><inbound><base /><set-header name=\"x-product\" exists-action=\"override\"><value>1</value></set-header></inbound></policies>";
    let api = "<policies><inbound><base /><set-header name=\"x-api\" exists-action=\"override\"><value>1</value></set-header></inbound></policies>";
    for (path, value) in [
        ("/policies/policy", global),
        ("/products/starter/policies/policy", product),
        ("/apis/echo-api/policies/policy", api),
    ] {
        let saved = gateway.admin("PUT", path, Some(&policy(value)))?;
        assert!(saved.status < 300, "{path}: {}", saved.body);
    }
    let base = "/apis/echo-api/operations/retrieve-resource/effectivePolicy";

    let plain = gateway.admin("GET", base, None)?.json()?;
    let starter = gateway
        .admin("GET", &format!("{base}?productId=starter"), None)?
        .json()?;

    let plain = plain["properties"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let starter = starter["properties"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !plain.contains("<base") && !plain.contains("x-product"),
        "{plain}"
    );
    assert!(plain.find("x-global") < plain.find("x-api"), "{plain}");
    let order: Vec<usize> = ["x-global", "x-product", "x-api"]
        .iter()
        .map(|h| starter.find(h).unwrap_or(usize::MAX))
        .collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{starter}");
    assert!(
        starter.contains("<!-- from product starter -->"),
        "{starter}"
    );
    assert!(
        plain.contains("<forward-request />"),
        "APIM's default backend: {plain}"
    );
    Ok(())
}

#[test]
fn recent_requests_show_status_and_reason_and_never_a_key() -> Result<()> {
    let (_dir, gateway) = start()?;
    let key = gateway.demo_key.clone().expect("demo key");

    gateway.call("/echo/resource").send()?;
    gateway
        .call(&format!("/echo/resource?subscription-key={key}"))
        .send()?;
    gateway.call("/nowhere").send()?;

    let recent = gateway.admin("GET", "/gateway/requests", None)?;
    assert_eq!(recent.status, 200);
    assert!(
        !recent.body.contains(&key),
        "no key in the overview: {}",
        recent.body
    );
    let recent = recent.json()?;
    assert_eq!(recent["total"], 3);
    assert_eq!(recent["counts"]["key_missing"], 1);
    assert_eq!(recent["counts"]["allowed"], 1);
    assert_eq!(recent["counts"]["not_found"], 1);
    let newest = &recent["value"][0];
    assert_eq!(newest["path"], "/nowhere");
    assert_eq!(newest["status"], 404);
    assert_eq!(recent["value"][1]["subscriptionId"], "demo");
    assert_eq!(recent["value"][1]["path"], "/echo/resource");
    Ok(())
}

#[test]
fn the_sender_presents_the_chosen_certificate_and_returns_the_trace() -> Result<()> {
    let (_dir, gateway) = start()?;
    let pki = Pki::new()?;
    let client = pki.self_signed_client("client-a")?;
    upload(&gateway, "client-a", &client.pfx, Some(&client.password))?;
    upload(&gateway, "public-only", &client.cert, None)?;
    let saved = gateway.admin(
        "PUT",
        "/apis/echo-api/policies/policy",
        Some(&policy(&article_policy(&client.thumbprint))),
    )?;
    assert!(saved.status < 300, "{}", saved.body);
    let key = gateway.demo_key.clone().expect("demo key");
    let request = |certificate: Option<&str>, url: String| {
        json!({
            "method": "GET",
            "url": url,
            "headers": [{ "name": "Ocp-Apim-Subscription-Key", "value": key }, { "name": "Ocp-Apim-Trace", "value": "true" }],
            "certificateId": certificate,
        })
    };
    let echo = format!("{}/echo/resource?param1=sample", gateway.gateway_url);

    let with = gateway.admin(
        "POST",
        "/gateway/send",
        Some(&request(Some("client-a"), echo.clone())),
    )?;
    let without = gateway.admin("POST", "/gateway/send", Some(&request(None, echo.clone())))?;
    let no_key = gateway.admin(
        "POST",
        "/gateway/send",
        Some(&request(Some("public-only"), echo)),
    )?;
    let elsewhere = gateway.admin(
        "POST",
        "/gateway/send",
        Some(&request(None, "https://example.com/".to_owned())),
    )?;

    assert_eq!(with.status, 200, "{}", with.body);
    let with = with.json()?;
    assert_eq!(with["status"], 200);
    assert_eq!(with["certificateRequested"], true);
    assert_eq!(
        with["certificatePresented"]["thumbprint"],
        client.thumbprint.as_str()
    );
    let inbound = with["trace"]["traceEntries"]["inbound"]
        .as_array()
        .expect("a trace");
    assert!(
        inbound
            .iter()
            .any(|e| e["data"]["thumbprint"] == client.thumbprint.as_str())
    );
    let without = without.json()?;
    assert_eq!(without["status"], 403);
    assert_eq!(without["reason"], "Invalid client certificate");
    assert_eq!(no_key.status, 400, "{}", no_key.body);
    assert!(
        no_key.body.contains("without a private key"),
        "{}",
        no_key.body
    );
    assert_eq!(elsewhere.status, 400, "{}", elsewhere.body);
    assert!(
        elsewhere.body.contains("sends only to the gateway"),
        "{}",
        elsewhere.body
    );
    Ok(())
}
