use thiserror::Error;

/// Why a chain did not verify. Each variant corresponds to a .NET `X509ChainStatusFlags`
/// value where one exists.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The certificate is a CA certificate; it verifies as a leaf only when it is itself an
    /// uploaded root (.NET accepts CA certificates as leaves; rustls-webpki does not).
    #[error("the certificate is a CA certificate, which verifies only when uploaded as a root")]
    CaUsedAsLeaf,
    /// A CRL needed for the check is past its nextUpdate time (`OfflineRevocation`).
    #[error("a certificate revocation list needed for the check has expired")]
    CrlExpired,
    /// A signature in the chain does not verify (`NotSignatureValid`).
    #[error("a signature in the certificate chain is not valid")]
    InvalidSignature,
    /// A certificate in the chain issues certificates without being allowed to: no
    /// `cA: TRUE`, or a keyUsage without keyCertSign (`InvalidBasicConstraints`).
    #[error("a certificate in the chain signs certificates without being a CA allowed to")]
    IssuerNotCa,
    /// A certificate is structurally invalid.
    #[error("the certificate chain is malformed: {reason}")]
    Malformed {
        /// What the verifier reported.
        reason: String,
    },
    /// The certificate is not valid for the expected name (`HasNotPermittedNameConstraint`
    /// for constraints; a host-name mismatch for [`verify_peer_name`](super::verify_peer_name)).
    #[error("the certificate is not valid for the expected name")]
    NameMismatch,
    /// The required extended key usage is missing (`NotValidForUsage`).
    #[error("the certificate chain is not valid for the required usage")]
    NotValidForUsage,
    /// A certificate is outside its validity period (`NotTimeValid`).
    #[error("a certificate in the chain is not valid at this time")]
    NotTimeValid,
    /// Every path to a root has more intermediate CAs than allowed, or breaks a pathLen
    /// constraint (`InvalidBasicConstraints`).
    #[error("the certificate chain is longer than allowed")]
    PathTooLong,
    /// A certificate is revoked (`Revoked`).
    #[error("a certificate in the chain is revoked")]
    Revoked,
    /// No CRL gives a status for a certificate (`RevocationStatusUnknown`).
    #[error("the revocation status of a certificate in the chain is unknown")]
    RevocationStatusUnknown,
    /// The chain does not end at a trusted root (`PartialChain` / `UntrustedRoot`).
    #[error("the certificate chain does not lead to a trusted root")]
    Untrusted,
    /// A feature the verifier does not implement (X.509 v1 leaf, unknown critical
    /// extension, SHA-1 signature, small RSA key, name constraint form).
    #[error("the certificate chain uses a feature the verifier does not support: {reason}")]
    Unsupported {
        /// What was unsupported.
        reason: String,
    },
}

impl VerifyError {
    pub(crate) fn from_webpki(error: &webpki::Error) -> Self {
        use webpki::Error as W;
        let reason = format!("{error:?}");
        match error {
            W::UnknownIssuer => Self::Untrusted,
            W::CertExpired { .. } | W::CertNotValidYet { .. } | W::InvalidCertValidity => {
                Self::NotTimeValid
            }
            W::CertRevoked => Self::Revoked,
            W::UnknownRevocationStatus => Self::RevocationStatusUnknown,
            W::CrlExpired { .. } => Self::CrlExpired,
            W::RequiredEkuNotFoundContext(_) | W::EmptyEkuExtension => Self::NotValidForUsage,
            W::InvalidSignatureForPublicKey | W::InvalidCrlSignatureForPublicKey => {
                Self::InvalidSignature
            }
            W::CertNotValidForName(_) | W::NameConstraintViolation => Self::NameMismatch,
            W::CaUsedAsEndEntity => Self::CaUsedAsLeaf,
            W::EndEntityUsedAsCa => Self::IssuerNotCa,
            W::MaximumPathDepthExceeded | W::PathLenConstraintViolated => Self::PathTooLong,
            W::UnsupportedCertVersion
            | W::UnsupportedCriticalExtension
            | W::UnsupportedSignatureAlgorithmContext(_)
            | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
            | W::UnsupportedNameType => Self::Unsupported { reason },
            _ => Self::Malformed { reason },
        }
    }
}
