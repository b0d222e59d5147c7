use thiserror::Error;

/// Why bytes could not be turned into a certificate.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// The DER encoding is not an X.509 certificate.
    #[error("not a valid X.509 certificate: {reason}")]
    Malformed {
        /// What the parser complained about.
        reason: String,
    },
}
