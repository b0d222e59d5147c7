//! Gatehouse towards backends: `authentication-certificate` presents an uploaded certificate
//! to an `openssl s_server -Verify 1` (which refuses connections without one and shows the
//! certificate it got), and the backend's own certificate is checked, chain and name, unless
//! a backend entity turns a check off by name.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Result;
use gatehouse_testkit::{ClientCert, LeafSpec};
use serde_json::json;

use crate::Setup;

/// An `openssl s_server -www` that kills itself when dropped.
pub(crate) struct Backend {
    child: Child,
    pub(crate) port: u16,
}

impl Drop for Backend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `openssl s_server -www -Verify 1` with `cert`/`key`, accepting clients that
/// `client_ca` issued.
pub(crate) fn s_server(cert: &Path, key: &Path, client_ca: &Path) -> Result<Backend> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new("openssl")
        .args([
            "s_server",
            "-www",
            "-Verify",
            "1",
            "-accept",
            &port.to_string(),
        ])
        .arg("-cert")
        .arg(cert)
        .arg("-key")
        .arg(key)
        .arg("-CAfile")
        .arg(client_ca)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let backend = Backend { child, port };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(Instant::now() < deadline, "openssl s_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(backend)
}

/// A server certificate for `names` signed by the gateway's own local CA, which backend
/// calls trust.
pub(crate) fn signed_by_local_ca(
    setup: &Setup,
    dir: &Path,
    names: &str,
) -> Result<(PathBuf, PathBuf)> {
    let path = |name: &str| dir.join(name);
    let (key, csr, cert, ext) = (path("b.key"), path("b.csr"), path("b.pem"), path("b.ext"));
    openssl(
        Command::new("openssl")
            .args([
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .args(["-nodes", "-subj", "/CN=backend", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&csr),
    )?;
    std::fs::write(
        &ext,
        format!("subjectAltName={names}\nextendedKeyUsage=serverAuth\n"),
    )?;
    let ca = setup.gateway.ca();
    openssl(
        Command::new("openssl")
            .args(["x509", "-req", "-days", "2", "-CAcreateserial", "-in"])
            .arg(&csr)
            .arg("-CA")
            .arg(&ca)
            .arg("-CAkey")
            .arg(ca.with_file_name("ca-key.pem"))
            .arg("-extfile")
            .arg(&ext)
            .arg("-out")
            .arg(&cert),
    )?;
    Ok((cert, key))
}

fn openssl(command: &mut Command) -> Result<()> {
    let output = command.output()?;
    anyhow::ensure!(
        output.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// An API `mtls` whose policy routes to backend entity `backend`, presenting the uploaded
/// certificate `gw-client` when `present`.
pub(crate) fn route(setup: &Setup, backend: &str, present: bool) -> Result<()> {
    setup.put_ok(
        "/apis/mtls",
        json!({ "path": "mtls", "subscriptionRequired": false }),
    )?;
    setup.put_ok(
        "/apis/mtls/operations/root",
        json!({ "method": "GET", "urlTemplate": "/" }),
    )?;
    let certificate = if present {
        r#"<authentication-certificate certificate-id="gw-client" />"#
    } else {
        ""
    };
    let value = format!(
        r#"<policies><inbound><base /><set-backend-service backend-id="{backend}" />{certificate}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /><set-header name="ErrorReason" exists-action="override"><value>@(context.LastError.Reason)</value></set-header></on-error></policies>"#
    );
    setup.put_ok(
        "/apis/mtls/policies/policy",
        json!({ "format": "rawxml", "value": value }),
    )
}

pub(crate) fn backend_entity(
    setup: &Setup,
    id: &str,
    port: u16,
    host: &str,
    tls: Option<serde_json::Value>,
) -> Result<()> {
    let mut properties = json!({ "url": format!("https://{host}:{port}/"), "protocol": "http" });
    if let Some(tls) = tls {
        properties["tls"] = tls;
    }
    setup.put_ok(&format!("/backends/{id}"), properties)
}

pub(crate) fn client_identity(setup: &Setup) -> Result<ClientCert> {
    let client = setup.pki.self_signed_client("gatehouse-backend-client")?;
    setup.upload_pfx("gw-client", &client)?;
    Ok(client)
}

/// Starts an `openssl s_server -Verify` backend that trusts `client`, routes `/mtls/` to it
/// presenting `client`, and checks the backend saw Gatehouse's certificate. The backend runs
/// until the returned value is dropped.
pub(crate) fn assert_backend_sees_the_client_certificate(
    setup: &Setup,
    client: &ClientCert,
) -> Result<Backend> {
    let (cert, key) = signed_by_local_ca(setup, setup.pki.dir(), "DNS:localhost")?;
    let backend = s_server(&cert, &key, &client.cert)?;
    backend_entity(setup, "strict", backend.port, "localhost", None)?;

    route(setup, "strict", true)?;
    let response = setup.gateway.call("/mtls/").send()?;
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(
        response
            .body
            .contains("Subject: CN=gatehouse-backend-client"),
        "{}",
        response.body
    );
    Ok(backend)
}

#[test]
fn the_backend_sees_gatehouses_client_certificate_and_refuses_calls_without_it() -> Result<()> {
    let setup = Setup::start()?;
    let client = client_identity(&setup)?;
    let _backend = assert_backend_sees_the_client_certificate(&setup, &client)?;

    route(&setup, "strict", false)?;
    let refused = setup.gateway.call("/mtls/").send()?;
    assert_eq!(refused.status, 500, "{}", refused.body);
    assert_eq!(
        refused.header("ErrorReason"),
        Some("BackendConnectionFailure")
    );
    Ok(())
}

#[test]
fn backend_certificates_are_checked_unless_a_named_setting_turns_a_check_off() -> Result<()> {
    let setup = Setup::start()?;
    let client = client_identity(&setup)?;
    let stranger = setup.pki.root_ca("Backend Stranger CA")?;
    let self_issued = stranger.issue(
        "backend",
        &LeafSpec::client("localhost")
            .eku(&["serverAuth"])
            .dns(&["localhost"]),
    )?;
    let untrusted = s_server(&self_issued.cert, &self_issued.key, &client.cert)?;
    let dir = tempfile::tempdir()?;
    let (cert, key) = signed_by_local_ca(&setup, dir.path(), "DNS:other.example")?;
    let misnamed = s_server(&cert, &key, &client.cert)?;

    let cases = [
        ("untrusted", untrusted.port, None, 500),
        (
            "untrusted",
            untrusted.port,
            Some(json!({ "validateCertificateChain": false })),
            200,
        ),
        ("misnamed", misnamed.port, None, 500),
        (
            "misnamed",
            misnamed.port,
            Some(json!({ "validateCertificateChain": false })),
            500,
        ),
        (
            "misnamed",
            misnamed.port,
            Some(json!({ "validateCertificateName": false })),
            200,
        ),
    ];
    for (id, port, tls, expected) in cases {
        backend_entity(&setup, id, port, "localhost", tls.clone())?;
        route(&setup, id, true)?;
        let response = setup.gateway.call("/mtls/").send()?;
        assert_eq!(response.status, expected, "{id} {tls:?}: {}", response.body);
    }
    Ok(())
}
