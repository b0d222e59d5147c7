use rustls_pki_types::{CertificateDer, TrustAnchor};

use crate::Certificate;
use crate::crl::{Crl, CrlError};
use crate::verify::VerifyError;

/// Uploaded CA certificates: roots (`isTrusted: true`) and intermediates (`false`).
#[derive(Debug, Default, Clone)]
pub struct TrustStore {
    roots: Vec<Certificate>,
    /// One per root, in the same order.
    anchors: Vec<TrustAnchor<'static>>,
    intermediates: Vec<Certificate>,
}

impl TrustStore {
    /// An empty store: nothing verifies against it.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a trusted root.
    ///
    /// # Errors
    /// [`VerifyError::Malformed`] when the certificate cannot serve as a trust anchor.
    pub fn add_root(&mut self, certificate: Certificate) -> Result<(), VerifyError> {
        let der = CertificateDer::from(certificate.der());
        let anchor =
            webpki::anchor_from_trusted_cert(&der).map_err(|e| VerifyError::from_webpki(&e))?;
        self.anchors.push(anchor.to_owned());
        self.roots.push(certificate);
        Ok(())
    }

    /// Adds an intermediate CA that chains may use but that is not trusted by itself.
    ///
    /// # Errors
    /// [`VerifyError::Unsupported`] or [`VerifyError::Malformed`] when the path builder
    /// cannot read the certificate (an unknown critical extension, an X.509 v1 CA, ...):
    /// such a CA could never serve in a chain, and offering it would make every failure
    /// report its problem instead of the real one.
    pub fn add_intermediate(&mut self, certificate: Certificate) -> Result<(), VerifyError> {
        usable_in_paths(&certificate)?;
        self.intermediates.push(certificate);
        Ok(())
    }

    /// The trusted roots.
    pub fn roots(&self) -> &[Certificate] {
        &self.roots
    }

    /// The untrusted intermediates.
    pub fn intermediates(&self) -> &[Certificate] {
        &self.intermediates
    }

    /// The CA certificate of this store that issued `crl`: the management API calls it when
    /// a CRL is uploaded, so a CRL that would never count is refused with the reason.
    ///
    /// A CRL may also come from an intermediate that only clients present; such a CRL is
    /// still usable by [`verify_chain`](super::verify_chain), which checks it against the
    /// path it builds. This function is for the common case where the issuer is uploaded.
    ///
    /// # Errors
    /// [`CrlError::IssuerNotFound`] when no root or intermediate has the CRL's issuer name,
    /// otherwise the error of [`Crl::verify_issued_by`] for the last candidate tried.
    pub fn crl_issuer(&self, crl: &Crl) -> Result<&Certificate, CrlError> {
        let mut last_error = CrlError::IssuerNotFound {
            issuer: crl.issuer().to_string(),
        };
        let named = self
            .roots
            .iter()
            .chain(&self.intermediates)
            .filter(|ca| ca.subject_der() == crl.issuer_der());
        for candidate in named {
            match crl.verify_issued_by(candidate) {
                Ok(()) => return Ok(candidate),
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }

    pub(crate) fn anchors(&self) -> &[TrustAnchor<'static>] {
        &self.anchors
    }

    /// The root certificate behind an anchor of [`TrustStore::anchors`].
    pub(crate) fn root_of(&self, anchor: &TrustAnchor<'_>) -> Option<&Certificate> {
        let index = self
            .anchors
            .iter()
            .position(|candidate| std::ptr::eq(candidate, anchor))?;
        self.roots.get(index)
    }
}

/// Whether the path builder can read `certificate` (it parses every offered intermediate).
pub(crate) fn usable_in_paths(certificate: &Certificate) -> Result<(), VerifyError> {
    let der = CertificateDer::from(certificate.der());
    webpki::EndEntityCert::try_from(&der)
        .map(drop)
        .map_err(|e| VerifyError::from_webpki(&e))
}
