//! TLS termination: the server certificate, and a client-certificate verifier that asks the
//! caller for a certificate, accepts any chain (or none, unless made mandatory for a hostname
//! that requires one), and still checks proof of possession.
//!
//! Trust decisions belong to policies (`validate-client-certificate`, `Verify()`, thumbprint
//! checks), as in APIM: the handshake only establishes *which* certificate the caller holds
//! the key for. What it never skips is the CertificateVerify signature check, so a caller
//! cannot present somebody else's certificate.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, SubjectPublicKeyInfoDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, Error as TlsError, ServerConfig,
    SignatureScheme,
};

use crate::GatewayError;

/// ALPN protocols offered to callers, preferred first.
pub(crate) const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Whether a listener asks callers for a client certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// Ask for one, accept any or none, verify possession: the gateway listener.
    Request,
    /// Do not ask: the admin listener, where browsers would otherwise prompt.
    Off,
}

/// Builds a listener's TLS configuration from PEM files.
///
/// # Errors
/// [`GatewayError::Tls`] when the files cannot be read or do not form a certificate and
/// matching key.
pub fn server_config(
    cert_pem: &Path,
    key_pem: &Path,
    client_auth: ClientAuth,
) -> Result<Arc<ServerConfig>, GatewayError> {
    let tls = |reason: String| GatewayError::Tls(reason);
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_pem)
        .and_then(|certs| certs.collect())
        .map_err(|e| tls(format!("{}: {e}", cert_pem.display())))?;
    let key = PrivateKeyDer::from_pem_file(key_pem)
        .map_err(|e| tls(format!("{}: {e}", key_pem.display())))?;

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(e.to_string()))?;
    let builder = match client_auth {
        ClientAuth::Request => {
            builder.with_client_cert_verifier(Arc::new(AnyClientCertificate::new(&provider)))
        }
        ClientAuth::Off => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| tls(format!("server certificate and key do not fit: {e}")))?;
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

/// Asks for a client certificate, makes it optional (unless made mandatory), accepts any
/// chain, verifies possession.
#[derive(Debug)]
pub(crate) struct AnyClientCertificate {
    algorithms: WebPkiSupportedAlgorithms,
    mandatory: bool,
}

impl AnyClientCertificate {
    pub(crate) fn new(provider: &CryptoProvider) -> Self {
        Self {
            algorithms: provider.signature_verification_algorithms,
            mandatory: false,
        }
    }

    /// The same verifier, failing handshakes that present no certificate.
    pub(crate) fn mandatory(self) -> Self {
        Self {
            mandatory: true,
            ..self
        }
    }
}

impl ClientCertVerifier for AnyClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    /// No CA names: callers with certificates from any issuer should send theirs, as they do
    /// for APIM (curl, browsers and .NET send a certificate only if it matches a hint when
    /// hints are given).
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    /// Accepts every chain: trust is a policy decision, made per API with the certificate in
    /// hand, not a listener-wide one.
    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, TlsError> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        match rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms) {
            Err(error) if is_unparseable(&error) => self.verify_tls12_by_key(message, cert, dss),
            result => result,
        }
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        match rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms) {
            Err(error) if is_unparseable(&error) => {
                let spki = subject_public_key_info(cert)?;
                rustls::crypto::verify_tls13_signature_with_raw_key(
                    message,
                    &SubjectPublicKeyInfoDer::from(spki.as_slice()),
                    dss,
                    &self.algorithms,
                )
            }
            result => result,
        }
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

impl AnyClientCertificate {
    /// TLS 1.2 possession check against the bare public key, for certificates that webpki
    /// refuses to parse (X.509 v1, unknown critical extensions) but .NET and APIM accept.
    fn verify_tls12_by_key(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        let spki = subject_public_key_info(cert)?;
        let spki = SubjectPublicKeyInfoDer::from(spki.as_slice());
        let key = webpki::RawPublicKeyEntity::try_from(&spki).map_err(|_| bad_encoding())?;

        let candidates = self
            .algorithms
            .mapping
            .iter()
            .filter(|(scheme, _)| *scheme == dss.scheme);
        for algorithm in candidates.flat_map(|(_, algorithms)| algorithms.iter()) {
            if key
                .verify_signature(*algorithm, message, dss.signature())
                .is_ok()
            {
                return Ok(HandshakeSignatureValid::assertion());
            }
        }
        Err(TlsError::InvalidCertificate(CertificateError::BadSignature))
    }
}

/// Whether webpki failed to *read* the certificate, as opposed to finding a bad signature.
fn is_unparseable(error: &TlsError) -> bool {
    matches!(
        error,
        TlsError::InvalidCertificate(CertificateError::BadEncoding | CertificateError::Other(_))
    )
}

fn subject_public_key_info(cert: &CertificateDer<'_>) -> Result<Vec<u8>, TlsError> {
    use x509_parser::prelude::{FromDer, X509Certificate};

    let (_, parsed) = X509Certificate::from_der(cert.as_ref()).map_err(|_| bad_encoding())?;
    Ok(parsed.tbs_certificate.subject_pki.raw.to_vec())
}

fn bad_encoding() -> TlsError {
    TlsError::InvalidCertificate(CertificateError::BadEncoding)
}
