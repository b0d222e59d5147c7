//! The management API over real HTTPS: uploads in every format, refusals that change nothing,
//! subscription scopes and states, and the banner's first call (a curl line with the demo key
//! on the first start, a `gatehouse call` that reads it later).

use std::path::Path;
use std::process::Command;

use anyhow::Result;
use base64::Engine;
use gatehouse_testkit::{GatewayProcess, Pki};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

fn start() -> Result<(tempfile::TempDir, GatewayProcess)> {
    let dir = tempfile::tempdir()?;
    let gateway = GatewayProcess::start(Path::new(BINARY), &dir.path().join("data"))?;
    Ok((dir, gateway))
}

fn upload(
    gateway: &GatewayProcess,
    id: &str,
    bytes: &[u8],
    password: Option<&str>,
) -> Result<gatehouse_testkit::CurlResponse> {
    let mut properties = json!({ "data": base64::engine::general_purpose::STANDARD.encode(bytes) });
    if let Some(password) = password {
        properties["password"] = json!(password);
    }
    gateway.admin(
        "PUT",
        &format!("/certificates/{id}"),
        Some(&json!({ "properties": properties })),
    )
}

#[test]
fn the_banners_curl_line_works_as_pasted() -> Result<()> {
    let (_dir, gateway) = start()?;
    let line = gateway
        .banner
        .lines()
        .find(|l| l.trim_start().starts_with("curl "))
        .expect("a curl line")
        .trim()
        .to_owned();

    let output = Command::new("sh")
        .args(["-c", &format!("{line} -sS")])
        .output()?;

    let body: Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(body["method"], "GET", "{line}");
    assert_eq!(body["query"]["param1"], "sample");
    Ok(())
}

#[test]
fn later_starts_print_a_call_that_reads_the_key_instead_of_the_key() -> Result<()> {
    let (dir, gateway) = start()?;
    let key = gateway
        .demo_key
        .clone()
        .expect("an active demo subscription");
    gateway.stop()?;

    let restarted = GatewayProcess::start(Path::new(BINARY), &dir.path().join("data"))?;
    let line = restarted
        .banner
        .lines()
        .find(|l| l.contains(" call "))
        .expect("a call line")
        .trim()
        .to_owned();

    assert!(!restarted.banner.contains(&key), "{}", restarted.banner);
    let output = Command::new("sh").args(["-c", &line]).output()?;
    assert!(
        output.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout)?;
    let (head, body) = printed.split_once("\n\n").expect("a head and a body");
    assert!(head.starts_with("HTTP/1.1 200"), "{printed}");
    let body: Value = serde_json::from_str(body)?;
    assert_eq!(body["query"]["param1"], "sample", "{line}");
    Ok(())
}

#[test]
fn pem_der_and_pfx_uploads_return_the_thumbprint() -> Result<()> {
    let (_dir, gateway) = start()?;
    let pki = Pki::new()?;
    let client = pki.self_signed_client("formats")?;
    let pem = std::fs::read(&client.cert)?;
    let der = base64::engine::general_purpose::STANDARD.decode(
        String::from_utf8(pem.clone())?
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>(),
    )?;

    for (id, bytes, password) in [
        ("pem", pem, None),
        ("der", der, None),
        (
            "pfx",
            std::fs::read(&client.pfx)?,
            Some(client.password.as_str()),
        ),
    ] {
        let response = upload(&gateway, id, &bytes, password)?;
        assert_eq!(response.status, 201, "{id}: {}", response.body);
        let properties = &response.json()?["properties"];
        assert_eq!(properties["thumbprint"], client.thumbprint.as_str(), "{id}");
        assert_eq!(properties["hasPrivateKey"], id == "pfx", "{id}");
        assert!(
            properties.get("privateKey").is_none(),
            "private keys are never returned"
        );
        assert!(
            properties["expirationDate"]
                .as_str()
                .is_some_and(|d| d.starts_with("20")),
            "{id}"
        );
    }
    Ok(())
}

#[test]
fn a_wrong_password_or_a_broken_file_is_a_400_that_says_which_and_stores_nothing() -> Result<()> {
    let (_dir, gateway) = start()?;
    let pki = Pki::new()?;
    let client = pki.self_signed_client("bad")?;

    let wrong = upload(&gateway, "c", &std::fs::read(&client.pfx)?, Some("not-it"))?;
    let broken = upload(&gateway, "c", b"this is not a certificate", None)?;

    assert_eq!(wrong.status, 400);
    assert!(
        wrong.json()?["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("wrong password"),
        "{}",
        wrong.body
    );
    assert_eq!(broken.status, 400);
    assert!(
        broken.json()?["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not a certificate"),
        "{}",
        broken.body
    );
    assert_eq!(gateway.admin("GET", "/certificates/c", None)?.status, 404);
    Ok(())
}

#[test]
fn subscription_keys_are_never_returned_by_get_only_by_list_secrets() -> Result<()> {
    let (_dir, gateway) = start()?;

    let got = gateway.admin("GET", "/subscriptions/demo", None)?;
    let listed = gateway.admin("GET", "/subscriptions", None)?;
    let secrets = gateway.admin("POST", "/subscriptions/demo/listSecrets", None)?;

    assert!(
        !got.body.contains("primaryKey") && !listed.body.contains("primaryKey"),
        "{}",
        got.body
    );
    assert_eq!(
        secrets.json()?["primaryKey"].as_str(),
        gateway.demo_key.as_deref()
    );
    Ok(())
}

#[test]
fn scopes_and_states_decide_what_a_key_opens() -> Result<()> {
    let (_dir, gateway) = start()?;
    let subscription = |id: &str, scope: &str, state: &str| {
        let body = json!({ "properties": { "scope": scope, "state": state, "primaryKey": format!("key-{id}-0000000000") } });
        gateway
            .admin("PUT", &format!("/subscriptions/{id}"), Some(&body))
            .map(|r| r.status)
    };
    assert_eq!(subscription("all", "/apis", "active")?, 201);
    assert_eq!(subscription("echo", "/apis/echo-api", "active")?, 201);
    assert_eq!(subscription("suspended", "/apis", "suspended")?, 201);
    assert_eq!(
        subscription("unlimited", "/products/unlimited", "active")?,
        201
    );
    let api = json!({ "properties": { "path": "other", "serviceUrl": "gatehouse://echo" } });
    assert_eq!(gateway.admin("PUT", "/apis/other", Some(&api))?.status, 201);
    let op = json!({ "properties": { "method": "GET", "urlTemplate": "/x" } });
    assert_eq!(
        gateway
            .admin("PUT", "/apis/other/operations/x", Some(&op))?
            .status,
        201
    );

    let status = |path: &str, id: &str| {
        gateway
            .call(path)
            .header(&format!("Ocp-Apim-Subscription-Key: key-{id}-0000000000"))
            .send()
            .map(|r| r.status)
    };
    assert_eq!(status("/echo/resource", "all")?, 200);
    assert_eq!(status("/other/x", "all")?, 200);
    assert_eq!(status("/echo/resource", "echo")?, 200);
    assert_eq!(
        status("/other/x", "echo")?,
        401,
        "an API-scoped key opens only its API"
    );
    assert_eq!(status("/echo/resource", "unlimited")?, 200);
    assert_eq!(
        status("/other/x", "unlimited")?,
        401,
        "a product key opens only the product's APIs"
    );
    assert_eq!(
        status("/echo/resource", "suspended")?,
        401,
        "only active subscriptions work"
    );
    Ok(())
}

#[test]
fn the_management_api_refuses_requests_without_the_token() -> Result<()> {
    let (_dir, gateway) = start()?;

    let anonymous =
        gatehouse_testkit::Curl::new(&format!("{}/apis", gateway.admin_url), &gateway.ca())
            .send()?;
    let forged =
        gatehouse_testkit::Curl::new(&format!("{}/apis", gateway.admin_url), &gateway.ca())
            .header("Authorization: Bearer 0000")
            .send()?;

    assert_eq!((anonymous.status, forged.status), (401, 401));
    Ok(())
}

#[test]
fn the_bearer_scheme_is_matched_in_any_letter_case() -> Result<()> {
    let (_dir, gateway) = start()?;

    let lowercase =
        gatehouse_testkit::Curl::new(&format!("{}/apis", gateway.admin_url), &gateway.ca())
            .header(&format!("Authorization: bearer {}", gateway.token()?))
            .send()?;

    assert_eq!(lowercase.status, 200, "{}", lowercase.body);
    Ok(())
}

#[test]
fn an_api_joins_a_product_with_an_empty_body_as_in_apim() -> Result<()> {
    let (_dir, gateway) = start()?;
    let api = json!({ "properties": { "displayName": "Other", "path": "other", "serviceUrl": "http://127.0.0.1:9" } });
    assert!(gateway.admin("PUT", "/apis/other", Some(&api))?.status < 300);

    let without_body = gateway.admin("PUT", "/products/starter/apis/other", None)?;
    let empty_object = gateway.admin("PUT", "/products/unlimited/apis/other", Some(&json!({})))?;

    assert!(without_body.status < 300, "{}", without_body.body);
    assert!(empty_object.status < 300, "{}", empty_object.body);
    let link = gateway.admin("GET", "/products/starter/apis/other", None)?;
    assert_eq!(link.status, 200, "{}", link.body);
    Ok(())
}

#[test]
fn python_requests_calls_the_gateway_with_a_client_certificate() -> Result<()> {
    let probe = Command::new("python3")
        .args(["-c", "import requests"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but python3 with requests is missing"
        );
        eprintln!("skipping: python3 with the requests package is not installed");
        return Ok(());
    }
    let (_dir, gateway) = start()?;
    let pki = Pki::new()?;
    let client = pki.self_signed_client("python")?;
    let script = format!(
        "import requests, sys\nr = requests.get('{}/echo/resource?param1=sample', cert=('{}', '{}'), verify='{}', headers={{'Ocp-Apim-Subscription-Key': '{}'}})\nprint(r.status_code)\nprint(r.json()['query']['param1'])",
        gateway.gateway_url,
        client.cert.display(),
        client.key.display(),
        gateway.ca().display(),
        gateway.demo_key.as_deref().unwrap_or_default(),
    );

    let output = Command::new("python3").args(["-c", &script]).output()?;

    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "200\nsample\n",
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

#[test]
fn the_data_directory_is_readable_by_its_owner_only() -> Result<()> {
    use std::os::unix::fs::PermissionsExt;

    // Started directly: the testkit creates the directory itself to hold the log.
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let mut serve = Command::new(BINARY)
        .args([
            "serve",
            "--gateway-addr",
            "127.0.0.1:0",
            "--admin-addr",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(&data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !data.join("admin-token").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mode = std::fs::metadata(&data).map(|m| m.permissions().mode() & 0o777);
    serve.kill()?;
    serve.wait()?;

    assert_eq!(mode?, 0o700);
    Ok(())
}
