//! Checking a backend's TLS certificate when a backend entity turns a check off.
//!
//! By default backends are verified by rustls's own verifier: the chain to the system roots
//! and the local CA, and the host name. A backend entity may turn off
//! `tls.validateCertificateChain` or `tls.validateCertificateName` (APIM's names), and this
//! verifier then skips exactly that check. The handshake signature is verified in every
//! case, so the backend must still hold the key of the certificate it shows.

use std::sync::Arc;

use gatehouse_cert::{Certificate, PeerName, verify_peer_name};
use gatehouse_policy::runtime::BackendTls;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error as TlsError, SignatureScheme};

/// A verifier that skips the checks `tls` turns off.
#[derive(Debug)]
pub(crate) struct RelaxedBackendVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    algorithms: WebPkiSupportedAlgorithms,
    tls: BackendTls,
}

impl RelaxedBackendVerifier {
    /// # Errors
    /// When the root store is empty.
    pub(crate) fn new(
        roots: Arc<rustls::RootCertStore>,
        provider: &Arc<CryptoProvider>,
        tls: BackendTls,
    ) -> Result<Self, String> {
        let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            webpki,
            algorithms: provider.signature_verification_algorithms,
            tls,
        })
    }
}

impl ServerCertVerifier for RelaxedBackendVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        if self.tls.validate_certificate_chain {
            // webpki checks the chain before the name: a name error means the chain passed.
            let verdict =
                self.webpki
                    .verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
            return match verdict {
                Err(TlsError::InvalidCertificate(error))
                    if is_name_error(&error) && !self.tls.validate_certificate_name =>
                {
                    Ok(ServerCertVerified::assertion())
                }
                other => other,
            };
        }
        if self.tls.validate_certificate_name {
            check_name(end_entity, server_name)?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

fn is_name_error(error: &CertificateError) -> bool {
    matches!(
        error,
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
    )
}

/// The name check alone, for a chain that is not checked.
fn check_name(
    end_entity: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
) -> Result<(), TlsError> {
    let bad = |_| TlsError::InvalidCertificate(CertificateError::BadEncoding);
    let certificate = Certificate::from_der(end_entity.as_ref()).map_err(bad)?;
    let name = match server_name {
        ServerName::DnsName(dns) => PeerName::Dns(dns.as_ref()),
        ServerName::IpAddress(ip) => PeerName::Ip(std::net::IpAddr::from(*ip)),
        _ => {
            return Err(TlsError::InvalidCertificate(
                CertificateError::NotValidForName,
            ));
        }
    };
    verify_peer_name(&certificate, &name)
        .map_err(|_| TlsError::InvalidCertificate(CertificateError::NotValidForName))
}
