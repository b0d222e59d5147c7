use thiserror::Error;

/// Why a certificate revocation list was refused.
///
/// A CRL is refused when it is read (upload time) rather than ignored at check time, so an
/// operator learns at once that revocation data they rely on will not be used. The messages
/// say what to change.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CrlError {
    /// The CRL is limited to attribute certificates, so it can revoke no certificate here.
    #[error("the CRL covers attribute certificates only (onlyContainsAttributeCerts)")]
    AttributeCertificatesOnly,
    /// The CRL number extension is marked critical, which RFC 5280 5.2.3 forbids.
    #[error("the CRL number extension is marked critical; RFC 5280 5.2.3 requires it non-critical")]
    CriticalCrlNumber,
    /// A delta CRL: only the changes since a base CRL, never a complete status.
    #[error("delta CRLs are not supported; upload the complete (base) CRL instead")]
    DeltaCrl,
    /// An indirect CRL (entries for certificates of another issuer).
    #[error("indirect CRLs (entries for another issuer's certificates) are not supported")]
    IndirectCrl,
    /// The key of the CA named as issuer does not verify the CRL's signature.
    #[error("the CRL's signature does not verify with the key of {issuer}")]
    InvalidSignature {
        /// The CA certificate whose key was tried (.NET distinguished name).
        issuer: String,
    },
    /// The CA named as issuer has a keyUsage extension without `cRLSign`.
    #[error("the CA certificate {issuer} may not sign CRLs (its keyUsage lacks cRLSign)")]
    IssuerNotCrlSigner {
        /// The CA certificate (.NET distinguished name).
        issuer: String,
    },
    /// No CA certificate of the trust store has the CRL's issuer name.
    #[error("no CA certificate named {issuer} is in the trust store; upload the issuing CA first")]
    IssuerNotFound {
        /// The CRL's issuer (.NET distinguished name).
        issuer: String,
    },
    /// The bytes are not a certificate revocation list.
    #[error("not a valid certificate revocation list: {reason}")]
    Malformed {
        /// What the parser complained about.
        reason: String,
    },
    /// The certificate offered as issuer has another name than the CRL's issuer.
    #[error("the CRL is issued by {crl_issuer}, not by {certificate}")]
    NameMismatch {
        /// The CRL's issuer (.NET distinguished name).
        crl_issuer: String,
        /// The certificate's subject (.NET distinguished name).
        certificate: String,
    },
    /// A version 2 CRL without the CRL number extension RFC 5280 5.2.3 requires.
    #[error(
        "the version 2 CRL has no CRL number extension (RFC 5280 5.2.3); with openssl ca, set a crlnumber file"
    )]
    MissingCrlNumber,
    /// PEM text without an `X509 CRL` block.
    #[error("no X509 CRL block found in the PEM text")]
    NoCrlInPem,
    /// The algorithm inside the signed part differs from the one beside the signature.
    #[error("the CRL's inner and outer signature algorithms differ")]
    SignatureAlgorithmMismatch,
    /// A critical entry extension the gateway does not understand.
    #[error("the CRL entry for serial {serial} has an unsupported critical extension {oid}")]
    UnknownCriticalEntryExtension {
        /// The entry's serial number, uppercase hex.
        serial: String,
        /// The extension's dotted OID.
        oid: String,
    },
    /// A critical CRL extension the gateway does not understand.
    #[error("the CRL has an unsupported critical extension {oid}")]
    UnknownCriticalExtension {
        /// The extension's dotted OID.
        oid: String,
    },
    /// A version other than 1 or 2.
    #[error("unsupported CRL version {version}")]
    UnsupportedVersion {
        /// The version number as printed (1, 2, ...).
        version: u32,
    },
}

impl CrlError {
    pub(crate) fn malformed(reason: impl std::fmt::Display) -> Self {
        Self::Malformed {
            reason: reason.to_string(),
        }
    }
}
