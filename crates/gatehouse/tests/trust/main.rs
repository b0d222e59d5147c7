//! Client-certificate trust end to end: the real binary over real TLS, certificates, CAs and
//! CRLs made by `openssl ca`, calls made with curl and `openssl s_client`.
//!
//! - [`ca_store`]: the CA store and CRLs behind `Verify()` and `validate-client-certificate`,
//!   chains with and without the intermediate, and changes reaching open connections;
//! - [`hostnames`]: per-hostname TLS settings and the 421 for a Host that would dodge them;
//! - [`forwarded`]: certificates in headers, from a trusted proxy and forged by anyone else;
//! - [`backend_mtls`]: Gatehouse's certificate towards an `openssl s_server -Verify` backend;
//! - [`bindings`]: subscription keys bound to certificates, and certificate expiry;
//! - [`at_rest`]: uploaded private keys sealed in the data directory, used after a restart.

mod at_rest;
mod backend_mtls;
mod bindings;
mod ca_store;
mod forwarded;
mod hostnames;

use std::path::Path;

use anyhow::Result;
use base64::Engine;
use gatehouse_testkit::{ClientCert, Curl, CurlResponse, GatewayProcess, Pki, TestCa};
use serde_json::{Value, json};

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

/// Puts `context.LastError` in response headers, as the blog's tests against real APIM do.
const ECHO_ERROR: &str = r#"<set-header name="ErrorSource" exists-action="override"><value>@(context.LastError.Source)</value></set-header><set-header name="ErrorReason" exists-action="override"><value>@(context.LastError.Reason)</value></set-header>"#;

/// A gateway on ephemeral ports with its own data directory and an openssl PKI.
struct Setup {
    gateway: GatewayProcess,
    pki: Pki,
    _dir: tempfile::TempDir,
}

impl Setup {
    fn start() -> Result<Self> {
        Self::start_with(&[])
    }

    fn start_with(args: &[&str]) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let gateway =
            GatewayProcess::start_with(Path::new(BINARY), &dir.path().join("data"), args)?;
        Ok(Self {
            gateway,
            pki: Pki::new()?,
            _dir: dir,
        })
    }

    /// Stops the gateway (SIGTERM), runs `while_stopped` on its data directory and starts
    /// it again on that directory.
    fn restart(self, while_stopped: impl FnOnce(&Path) -> Result<()>) -> Result<Self> {
        let Self {
            gateway,
            pki,
            _dir: dir,
        } = self;
        gateway.stop()?;
        let data = dir.path().join("data");
        while_stopped(&data)?;
        let gateway = GatewayProcess::start(Path::new(BINARY), &data)?;
        Ok(Self {
            gateway,
            pki,
            _dir: dir,
        })
    }

    /// PUT `{"properties": properties}` at `path`.
    fn put(&self, path: &str, properties: Value) -> Result<CurlResponse> {
        self.gateway
            .admin("PUT", path, Some(&json!({ "properties": properties })))
    }

    /// [`Setup::put`] that must succeed.
    fn put_ok(&self, path: &str, properties: Value) -> Result<()> {
        let response = self.put(path, properties)?;
        anyhow::ensure!(
            matches!(response.status, 200 | 201),
            "PUT {path}: {} {}",
            response.status,
            response.body
        );
        Ok(())
    }

    /// Uploads a PEM file (certificate only) as `certificates/{id}`.
    fn upload_pem(&self, id: &str, pem: &Path) -> Result<()> {
        let data = base64::engine::general_purpose::STANDARD.encode(std::fs::read(pem)?);
        self.put_ok(&format!("/certificates/{id}"), json!({ "data": data }))
    }

    /// Uploads a client's PFX (with its key) as `certificates/{id}`.
    fn upload_pfx(&self, id: &str, client: &ClientCert) -> Result<()> {
        let data = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&client.pfx)?);
        self.put_ok(
            &format!("/certificates/{id}"),
            json!({ "data": data, "password": client.password }),
        )
    }

    /// Uploads `ca` and puts it into the CA store, as a root or an intermediate.
    fn add_ca(&self, id: &str, ca: &TestCa, is_trusted: bool) -> Result<()> {
        self.upload_pem(id, &ca.cert)?;
        self.put_ok(
            &format!("/certificateAuthorities/{id}"),
            json!({ "isTrusted": is_trusted }),
        )
    }

    /// Uploads a PEM CRL file as `certificateRevocationLists/{id}`.
    fn upload_crl(&self, id: &str, crl: &Path) -> Result<CurlResponse> {
        let data = std::fs::read_to_string(crl)?;
        self.put(
            &format!("/certificateRevocationLists/{id}"),
            json!({ "data": data }),
        )
    }

    /// Sets the Echo API's inbound policy; on-error echoes `context.LastError`.
    fn inbound(&self, inbound: &str) -> Result<()> {
        self.policy(inbound, "")
    }

    /// Sets the Echo API's inbound and outbound policy; on-error echoes `context.LastError`.
    fn policy(&self, inbound: &str, outbound: &str) -> Result<()> {
        let value = format!(
            "<policies><inbound><base />{inbound}</inbound><backend><base /></backend><outbound><base />{outbound}</outbound><on-error><base />{ECHO_ERROR}</on-error></policies>"
        );
        self.put_ok(
            "/apis/echo-api/policies/policy",
            json!({ "format": "rawxml", "value": value }),
        )
    }

    fn key(&self) -> String {
        self.gateway.demo_key.clone().unwrap_or_default()
    }

    /// The gateway's port.
    fn port(&self) -> u16 {
        let port = self
            .gateway
            .gateway_url
            .rsplit(':')
            .next()
            .unwrap_or_default();
        port.parse().unwrap_or_default()
    }

    /// A curl call of the Echo API with the demo key.
    fn echo(&self) -> Curl {
        self.gateway
            .call("/echo/resource")
            .header(&format!("Ocp-Apim-Subscription-Key: {}", self.key()))
    }

    /// Calls the Echo API presenting `client` (none when `None`).
    fn call(&self, client: Option<&ClientCert>) -> Result<CurlResponse> {
        let curl = self.echo();
        match client {
            Some(client) => curl.cert(&client.cert, &client.key).send(),
            None => curl.send(),
        }
    }
}

/// The `LastError.Reason` an on-error echoed, if any.
fn reason(response: &CurlResponse) -> Option<&str> {
    response.header("ErrorReason")
}
