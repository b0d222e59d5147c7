//! `gatehouse call` end to end: the real binary serving, the real binary calling, certificates
//! made by the openssl command line, the article's policy on the Echo API.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::Result;
use base64::Engine;
use gatehouse_testkit::{ClientCert, GatewayProcess, Pki, article_policy};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

/// A gateway with client A's PFX uploaded and the article's policy on the Echo API.
struct Scenario {
    _dir: tempfile::TempDir,
    _pki: Pki,
    data: PathBuf,
    gateway: GatewayProcess,
    client_a: ClientCert,
    client_b: ClientCert,
}

impl Scenario {
    fn start() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let pki = Pki::new()?;
        let client_a = pki.self_signed_client("client-a")?;
        let client_b = pki.self_signed_client("client-b")?;
        let data = dir.path().join("data");
        let gateway = GatewayProcess::start(Path::new(BINARY), &data)?;

        let pfx = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&client_a.pfx)?);
        let upload = json!({ "properties": { "data": pfx, "password": client_a.password } });
        let uploaded = gateway.admin("PUT", "/certificates/client-a", Some(&upload))?;
        assert_eq!(uploaded.status, 201, "{}", uploaded.body);
        let policy = json!({ "properties": { "format": "rawxml", "value": article_policy(&client_a.thumbprint) } });
        let saved = gateway.admin("PUT", "/apis/echo-api/policies/policy", Some(&policy))?;
        assert!(saved.status < 300, "{}", saved.body);
        Ok(Self {
            _dir: dir,
            _pki: pki,
            data,
            gateway,
            client_a,
            client_b,
        })
    }

    /// `gatehouse call` with the data directory and management URL of this gateway.
    fn call(&self, args: &[&str]) -> Result<Output> {
        let output = Command::new(BINARY)
            .arg("call")
            .arg("--data-dir")
            .arg(&self.data)
            .args(["--admin-url", &self.gateway.admin_url])
            .args(args)
            .env_remove("GATEHOUSE_CERT_PASSWORD")
            .output()?;
        Ok(output)
    }

    fn echo_url(&self) -> String {
        format!("{}/echo/resource?param1=sample", self.gateway.gateway_url)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn call_with_trace_prints_the_thumbprint_and_the_policy_steps_as_a_tree() -> Result<()> {
    let s = Scenario::start()?;
    let pfx = s.client_a.pfx.to_string_lossy().into_owned();

    let output = s.call(&[
        "--cert",
        &pfx,
        "--password",
        &s.client_a.password,
        "--key-from",
        "demo",
        "--trace",
        &s.echo_url(),
    ])?;

    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("HTTP/1.1 200 OK\n"), "{stdout}");
    assert!(
        stdout.contains(&format!("thumbprint  {}", s.client_a.thumbprint)),
        "the certificate card shows the thumbprint:\n{stdout}"
    );
    for line in [
        "inbound\n",
        "client-certificate   Client certificate was presented.",
        "choose               Expression was successfully evaluated.",
        "value: false",
        "backend\n",
        "forward-request",
        "outbound\n",
        "└─",
        "transfer-response",
    ] {
        assert!(stdout.contains(line), "the tree shows '{line}':\n{stdout}");
    }
    assert!(
        !stdout.contains("\x1b["),
        "no colours when stdout is not a terminal"
    );
    Ok(())
}

#[test]
fn call_with_the_wrong_certificate_shows_the_403_and_the_return_response_step() -> Result<()> {
    let s = Scenario::start()?;
    let (cert, key) = (
        s.client_b.cert.to_string_lossy().into_owned(),
        s.client_b.key.to_string_lossy().into_owned(),
    );

    let output = s.call(&[
        "--cert",
        &cert,
        "--key",
        &key,
        "--key-from",
        "demo",
        "--trace",
        &s.echo_url(),
    ])?;

    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(
        stdout.starts_with("HTTP/1.1 403 Invalid client certificate\n"),
        "{stdout}"
    );
    assert!(stdout.contains(&s.client_b.thumbprint), "{stdout}");
    assert!(
        stdout.contains("return-response      Return response was applied"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("forward-request"),
        "nothing was forwarded:\n{stdout}"
    );
    Ok(())
}

#[test]
fn call_with_trace_and_json_prints_only_the_trace_document() -> Result<()> {
    let s = Scenario::start()?;
    let pfx = s.client_a.pfx.to_string_lossy().into_owned();

    let output = s.call(&[
        "GET",
        &s.echo_url(),
        "--cert",
        &pfx,
        "--password",
        &s.client_a.password,
        "--key-from",
        "demo",
        "--trace",
        "--json",
    ])?;

    assert!(output.status.success(), "{}", text(&output.stderr));
    let trace: Value = serde_json::from_slice(&output.stdout)?;
    let inbound = trace["traceEntries"]["inbound"]
        .as_array()
        .expect("inbound steps");
    let certificate = inbound
        .iter()
        .find(|e| e["source"] == "client-certificate")
        .expect("a client-certificate step");
    assert_eq!(
        certificate["data"]["thumbprint"],
        s.client_a.thumbprint.as_str()
    );
    assert!(text(&output.stderr).contains("200 OK"));
    Ok(())
}

#[test]
fn call_errors_say_what_to_do() -> Result<()> {
    let s = Scenario::start()?;
    let pfx = s.client_a.pfx.to_string_lossy().into_owned();
    let elsewhere = tempfile::tempdir()?;

    let wrong_password = s.call(&["--cert", &pfx, "--password", "nope", &s.echo_url()])?;
    let untrusted = Command::new(BINARY)
        .arg("call")
        .arg("--data-dir")
        .arg(elsewhere.path())
        .arg(s.echo_url())
        .output()?;
    let not_asked = s.call(&[
        "--cert",
        &pfx,
        "--password",
        &s.client_a.password,
        &format!("{}/apis", s.gateway.admin_url),
    ])?;
    let no_trace = s.call(&["--trace", &s.echo_url()])?;

    assert!(!wrong_password.status.success());
    assert!(
        text(&wrong_password.stderr).contains("wrong password for")
            && text(&wrong_password.stderr).contains("--password"),
        "{}",
        text(&wrong_password.stderr)
    );
    assert!(!untrusted.status.success());
    let untrusted = text(&untrusted.stderr);
    assert!(
        untrusted.contains("not trusted") && untrusted.contains("--cacert"),
        "{untrusted}"
    );
    assert!(
        text(&not_asked.stderr).contains("never asked for a client certificate"),
        "{}",
        text(&not_asked.stderr)
    );
    assert!(!no_trace.status.success());
    assert!(
        text(&no_trace.stderr).contains("no trace")
            && text(&no_trace.stderr).contains("--key-from"),
        "{}",
        text(&no_trace.stderr)
    );
    Ok(())
}

#[test]
fn a_hostname_that_requires_a_certificate_says_none_was_sent() -> Result<()> {
    let s = Scenario::start()?;
    let strict =
        json!({ "properties": { "hostName": "localhost", "requireClientCertificate": true } });
    let saved = s
        .gateway
        .admin("PUT", "/hostnameConfigurations/strict", Some(&strict))?;
    assert!(saved.status < 300, "{}", saved.body);

    let without = s.call(&[&s.echo_url()])?;

    assert!(!without.status.success());
    let stderr = text(&without.stderr);
    assert!(
        stderr.contains("requires a client certificate and none was sent")
            && stderr.contains("--cert"),
        "{stderr}"
    );
    Ok(())
}

#[test]
fn key_from_refuses_to_send_the_admin_token_to_the_gateway_it_calls() -> Result<()> {
    let s = Scenario::start()?;
    let pfx = s.client_a.pfx.to_string_lossy().into_owned();

    let port = s.gateway.gateway_url.rsplit(':').next().unwrap_or_default();
    let spellings = [
        s.gateway.gateway_url.clone(),
        format!("https://127.0.0.1:{port}"),
        format!("https://LOCALHOST:{port}/"),
        format!("https://user@localhost:0{port}"),
    ];
    for admin_url in &spellings {
        let output = Command::new(BINARY)
            .arg("call")
            .arg("--data-dir")
            .arg(&s.data)
            .args(["--admin-url", admin_url])
            .args(["--cert", &pfx, "--password", &s.client_a.password])
            .args(["--key-from", "demo", &s.echo_url()])
            .output()?;

        let stderr = text(&output.stderr);
        assert!(!output.status.success(), "{admin_url}: {stderr}");
        assert!(
            stderr.contains("is the gateway this call goes to"),
            "{admin_url}: {stderr}"
        );
    }
    assert!(
        !s.gateway.log().contains("listSecrets"),
        "nothing was sent to the gateway"
    );
    Ok(())
}
