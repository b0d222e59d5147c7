use thiserror::Error;

use crate::CertificateError;

/// Why a forwarded certificate header was refused. Each names the header; none becomes an
/// identity, so the gateway answers as if the caller sent a broken certificate.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ForwardedError {
    /// The bytes are not an X.509 certificate.
    #[error("the certificate in the {header} header is not a valid X.509 certificate: {source}")]
    Certificate {
        /// The header.
        header: String,
        /// What the certificate parser said.
        #[source]
        source: CertificateError,
    },
    /// `Client-Cert-Chain` without `Client-Cert`: a chain with no certificate to belong to.
    #[error("the Client-Cert-Chain header arrived without a Client-Cert header")]
    ChainWithoutCertificate,
    /// The header is present but blank.
    #[error("the {header} header is empty")]
    Empty {
        /// The header.
        header: String,
    },
    /// Not base64 where base64 was expected.
    #[error("the {header} header is not valid base64")]
    InvalidBase64 {
        /// The header.
        header: String,
    },
    /// A `%` not followed by two hex digits.
    #[error("the {header} header has an invalid percent-escape at byte {offset}")]
    InvalidPercentEncoding {
        /// The header.
        header: String,
        /// Where the escape starts in the header value.
        offset: usize,
    },
    /// PEM text that cannot be read, or text outside the PEM blocks.
    #[error("the {header} header does not hold PEM certificates: {reason}")]
    InvalidPem {
        /// The header.
        header: String,
        /// What is wrong.
        reason: String,
    },
    /// Not an RFC 8941 structured field of the expected shape.
    #[error(
        "the {header} header is not a structured-field byte sequence (:base64:): {reason} at byte {offset}"
    )]
    InvalidStructuredField {
        /// The header.
        header: String,
        /// Where parsing stopped.
        offset: usize,
        /// What was expected there.
        reason: &'static str,
    },
    /// Several values where one is allowed: typically a proxy that appended its value to a
    /// header the caller sent, instead of replacing it.
    #[error(
        "the {header} header has several values; the proxy must replace a caller's header, not append to it"
    )]
    MultipleValues {
        /// The header.
        header: String,
    },
    /// The header holds no certificate (an Envoy element without `Cert` or `Chain`, an empty
    /// PEM text).
    #[error("the {header} header holds no certificate")]
    NoCertificate {
        /// The header.
        header: String,
    },
    /// The header value is larger than any certificate chain needs.
    #[error("the {header} header is {length} bytes, over the limit of {limit}")]
    TooLarge {
        /// The header.
        header: String,
        /// Its length.
        length: usize,
        /// The limit ([`super::MAX_HEADER_BYTES`]).
        limit: usize,
    },
    /// More certificates than any chain needs.
    #[error("the {header} header holds {count} certificates, over the limit of {limit}")]
    TooManyCertificates {
        /// The header.
        header: String,
        /// How many it holds.
        count: usize,
        /// The limit ([`super::MAX_CERTIFICATES`]).
        limit: usize,
    },
    /// A PEM block other than a certificate, such as a private key.
    #[error("the {header} header holds a {label} PEM block; only certificates are accepted")]
    UnexpectedPemBlock {
        /// The header.
        header: String,
        /// The block's label.
        label: String,
    },
    /// The Envoy element for this hop was not added by the trusted proxy.
    #[error(
        "the X-Forwarded-Client-Cert element for this hop was added by {by}, not by the trusted proxy {expected}"
    )]
    XfccByMismatch {
        /// The element's `By`, or `(none)`.
        by: String,
        /// The configured proxy identity.
        expected: String,
    },
    /// A key that may appear once appears twice in one Envoy element.
    #[error("the X-Forwarded-Client-Cert element repeats the key {key}")]
    XfccDuplicateKey {
        /// The key, as written.
        key: String,
    },
    /// The element's `Hash` is not the SHA-256 of its certificate.
    #[error("the X-Forwarded-Client-Cert Hash does not match its certificate")]
    XfccHashMismatch,
    /// The Envoy header does not follow its `key=value;...,key=value` syntax.
    #[error("the X-Forwarded-Client-Cert header is malformed at byte {offset}: {reason}")]
    XfccSyntax {
        /// Where parsing stopped.
        offset: usize,
        /// What was expected there.
        reason: &'static str,
    },
}
