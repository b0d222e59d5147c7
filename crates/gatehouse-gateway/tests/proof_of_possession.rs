//! The listener accepts any client certificate but never one whose key the caller lacks.
//!
//! curl and openssl refuse to even send a certificate with the wrong key, so this test uses a
//! rustls client that presents certificate A while signing with key B.

use std::sync::Arc;

use anyhow::Result;
use gatehouse_gateway::{Gateway, GatewaySettings, GatewayTls, Snapshot, TraceStore, Upstream};
use gatehouse_testkit::Pki;
use rustls::client::ResolvesClientCert;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;

#[derive(Debug)]
struct Present(Arc<CertifiedKey>);

impl ResolvesClientCert for Present {
    fn resolve(&self, _: &[&[u8]], _: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// Starts a gateway with an empty configuration; returns its address and the CA to trust.
async fn start(pki: &Pki) -> Result<(std::net::SocketAddr, std::path::PathBuf)> {
    let (ca, cert, key) = pki.server()?;
    let tls = GatewayTls::from_pem_files(&cert, &key)?;
    let settings = GatewaySettings {
        trace_base_url: "https://localhost/traces".into(),
    };
    let gateway = Arc::new(Gateway::new(
        Snapshot::empty(),
        Upstream::new(&[])?,
        Arc::new(TraceStore::default()),
        settings,
    ));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(gatehouse_gateway::server::serve(
        listener,
        tls,
        gateway,
        std::future::pending(),
    ));
    Ok((addr, ca))
}

/// Makes one HTTP/1.1 request presenting `cert` while signing with `key`; returns the status line.
async fn request_with(
    addr: std::net::SocketAddr,
    ca: &std::path::Path,
    cert: &std::path::Path,
    key: &std::path::Path,
    tls13: bool,
) -> Result<String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(ca)?)?;
    let signing_key = provider
        .key_provider
        .load_private_key(PrivateKeyDer::from_pem_file(key)?)?;
    let certified = CertifiedKey::new(vec![CertificateDer::from_pem_file(cert)?], signing_key);
    let versions: &[&rustls::SupportedProtocolVersion] = if tls13 {
        &[&rustls::version::TLS13]
    } else {
        &[&rustls::version::TLS12]
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)?
        .with_root_certificates(roots)
        .with_client_cert_resolver(Arc::new(Present(Arc::new(certified))));

    let tcp = TcpStream::connect(addr).await?;
    let mut tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost")?, tcp)
        .await?;
    tls.write_all(b"GET /nothing HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await?;
    let mut response = String::new();
    tls.read_to_string(&mut response).await?;
    let status = response.lines().next().unwrap_or_default().to_owned();
    anyhow::ensure!(
        !status.is_empty(),
        "the connection closed without a response"
    );
    Ok(status)
}

#[tokio::test]
async fn a_certificate_with_its_own_key_is_accepted_on_tls12_and_tls13() -> Result<()> {
    let pki = Pki::new()?;
    let (addr, ca) = start(&pki).await?;
    let a = pki.self_signed_client("a")?;

    for tls13 in [false, true] {
        let status = request_with(addr, &ca, &a.cert, &a.key, tls13).await?;
        assert_eq!(status, "HTTP/1.1 404 Not Found", "tls13={tls13}");
    }
    Ok(())
}

#[tokio::test]
async fn a_certificate_presented_with_another_key_is_refused_on_tls12_and_tls13() -> Result<()> {
    let pki = Pki::new()?;
    let (addr, ca) = start(&pki).await?;
    let (a, b) = (pki.self_signed_client("a")?, pki.self_signed_client("b")?);

    for tls13 in [false, true] {
        let result = request_with(addr, &ca, &a.cert, &b.key, tls13).await;
        assert!(
            result.is_err(),
            "tls13={tls13}: the server must refuse, got {result:?}"
        );
    }
    Ok(())
}
