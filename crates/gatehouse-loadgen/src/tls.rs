//! The client's TLS configuration: TLS 1.3 only, one key-exchange group, a client certificate.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::{CryptoProvider, SupportedKxGroup, aws_lc_rs};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use crate::args::Kx;
use crate::error::SetupError;

/// The files and choices the configuration is made from.
#[derive(Debug)]
pub(crate) struct TlsFiles<'a> {
    /// CA that verifies the server.
    pub(crate) ca: &'a Path,
    /// The client certificate chain.
    pub(crate) cert: &'a Path,
    /// Its private key.
    pub(crate) key: &'a Path,
}

/// Builds the configuration. Session resumption stays on (rustls' default in-memory cache),
/// as in real clients: whether a server resumes is its choice, and the result reports it.
///
/// # Errors
/// [`SetupError::File`] when a file cannot be read, [`SetupError::Tls`] when the key does not
/// fit the certificate.
pub(crate) fn client_config(
    files: &TlsFiles<'_>,
    kx: Kx,
    http2: bool,
) -> Result<Arc<ClientConfig>, SetupError> {
    let roots = root_store(files.ca)?;
    let chain = certificates(files.cert)?;
    let key = PrivateKeyDer::from_pem_file(files.key).map_err(|e| unusable(files.key, e))?;

    let provider = CryptoProvider {
        kx_groups: vec![group(kx)],
        ..aws_lc_rs::default_provider()
    };
    let mut config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)?;
    let alpn: &[u8] = if http2 { b"h2" } else { b"http/1.1" };
    config.alpn_protocols = vec![alpn.to_vec()];
    Ok(Arc::new(config))
}

fn group(kx: Kx) -> &'static dyn SupportedKxGroup {
    match kx {
        Kx::X25519 => aws_lc_rs::kx_group::X25519,
        Kx::Secp256r1 => aws_lc_rs::kx_group::SECP256R1,
        Kx::X25519mlkem768 => aws_lc_rs::kx_group::X25519MLKEM768,
    }
}

fn root_store(path: &Path) -> Result<RootCertStore, SetupError> {
    let mut roots = RootCertStore::empty();
    for certificate in certificates(path)? {
        roots.add(certificate).map_err(|e| unusable(path, e))?;
    }
    Ok(roots)
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, SetupError> {
    let certificates: Vec<_> = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect())
        .map_err(|e| unusable(path, e))?;
    if certificates.is_empty() {
        return Err(unusable(path, "no certificate in the file"));
    }
    Ok(certificates)
}

fn unusable(path: &Path, reason: impl ToString) -> SetupError {
    SetupError::File {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}
