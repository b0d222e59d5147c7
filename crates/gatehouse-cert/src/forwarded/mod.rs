//! Client certificates that arrive in request headers from a TLS-terminating proxy.
//!
//! Behind a load balancer that terminates TLS, the caller's certificate reaches the gateway
//! as a header. Four conventions are read, each by a pure function of the header value:
//!
//! | format | header | value |
//! | --- | --- | --- |
//! | RFC 9440 | `Client-Cert`, `Client-Cert-Chain` | `:base64 DER:`; the chain a list of them |
//! | Envoy | `X-Forwarded-Client-Cert` | `By=...;Hash=...;Cert="<url-encoded PEM>";Chain=...`, one element per proxy |
//! | IIS ARR, Azure App Service | `X-ARR-ClientCert` | base64 DER |
//! | nginx, Azure Application Gateway | configured (e.g. `X-Client-Cert`) | URL-encoded PEM (`$ssl_client_escaped_cert`) |
//!
//! What this module does not do: decide whom to believe. Only a configured proxy (by peer
//! address) may supply these headers; from anyone else the gateway removes them before the
//! pipeline ([`STANDARD_HEADER_NAMES`] and [`ForwardedFormat::header_names`] list them). Nor
//! does it verify the chain or the caller's possession of the key: the proxy did the latter,
//! and [`crate::verify_chain`] does the former as for any certificate.
//!
//! Every input is bounded ([`MAX_HEADER_BYTES`], [`MAX_CERTIFICATES`]) and every failure is a
//! [`ForwardedError`] that names the header; malformed or forged-looking input (a caller's
//! header that the proxy appended to instead of replacing, a private key, an Envoy `Hash`
//! that does not match, an element not added by the trusted proxy) never becomes an identity.

mod decode;
mod error;
mod rfc9440;
mod xfcc;

use crate::Certificate;

pub use error::ForwardedError;

/// RFC 9440's header for the leaf.
pub const CLIENT_CERT: &str = "Client-Cert";
/// RFC 9440's header for the intermediates.
pub const CLIENT_CERT_CHAIN: &str = "Client-Cert-Chain";
/// Envoy's header.
pub const X_FORWARDED_CLIENT_CERT: &str = "X-Forwarded-Client-Cert";
/// IIS Application Request Routing's header, also set by Azure App Service.
pub const X_ARR_CLIENT_CERT: &str = "X-ARR-ClientCert";

/// The headers of the standard formats, which the gateway removes from requests of peers that
/// are not trusted proxies (add any configured URL-encoded PEM header to them).
pub const STANDARD_HEADER_NAMES: [&str; 4] = [
    CLIENT_CERT,
    CLIENT_CERT_CHAIN,
    X_FORWARDED_CLIENT_CERT,
    X_ARR_CLIENT_CERT,
];

/// The largest header value read. A certificate is 1-2 KB, so this fits a chain of ten even
/// URL-encoded, and keeps a hostile value from costing more than a few copies of itself.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// The most certificates (leaf and chain together) taken from a request.
pub const MAX_CERTIFICATES: usize = 16;

/// A certificate a proxy forwarded: the leaf, and the intermediates it sent along (copies of
/// the leaf removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedCertificate {
    leaf: Certificate,
    chain: Vec<Certificate>,
}

impl ForwardedCertificate {
    /// The caller's certificate.
    pub fn leaf(&self) -> &Certificate {
        &self.leaf
    }

    /// The intermediates the proxy forwarded, for chain building; often empty.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The leaf and the chain.
    pub fn into_parts(self) -> (Certificate, Vec<Certificate>) {
        (self.leaf, self.chain)
    }
}

/// How a trusted proxy forwards certificates; one per configured proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForwardedFormat {
    /// RFC 9440 `Client-Cert` and `Client-Cert-Chain`.
    Rfc9440,
    /// Envoy's `X-Forwarded-Client-Cert`. `trusted_by` is the proxy's own identity (the URI
    /// SAN of its certificate, which Envoy writes as `By`); when set, the element for this
    /// hop must carry it.
    EnvoyXfcc {
        /// The `By` the trusted proxy writes, if known.
        trusted_by: Option<String>,
    },
    /// `X-ARR-ClientCert`: base64 DER.
    ArrClientCert,
    /// URL-encoded PEM in the named header.
    UrlEncodedPem {
        /// The header the proxy sets, e.g. `X-Client-Cert`.
        header: String,
    },
}

impl ForwardedFormat {
    /// The headers this format reads.
    pub fn header_names(&self) -> Vec<&str> {
        match self {
            Self::Rfc9440 => vec![CLIENT_CERT, CLIENT_CERT_CHAIN],
            Self::EnvoyXfcc { .. } => vec![X_FORWARDED_CLIENT_CERT],
            Self::ArrClientCert => vec![X_ARR_CLIENT_CERT],
            Self::UrlEncodedPem { header } => vec![header.as_str()],
        }
    }

    /// Reads the forwarded certificate from a request's headers. `header` returns a field's
    /// value by name (case-insensitively), several field lines joined with `, ` as HTTP
    /// combines them. `Ok(None)` when the proxy forwarded no certificate.
    ///
    /// # Errors
    /// A [`ForwardedError`] naming the header and what is wrong with it.
    pub fn read<'v>(
        &self,
        header: impl Fn(&str) -> Option<&'v str>,
    ) -> Result<Option<ForwardedCertificate>, ForwardedError> {
        let result = match self {
            Self::Rfc9440 => match (header(CLIENT_CERT), header(CLIENT_CERT_CHAIN)) {
                (Some(leaf), chain) => parse_client_cert(leaf, chain),
                (None, Some(_)) => Err(ForwardedError::ChainWithoutCertificate),
                (None, None) => return Ok(None),
            },
            Self::EnvoyXfcc { trusted_by } => match header(X_FORWARDED_CLIENT_CERT) {
                Some(value) => parse_xfcc(value, trusted_by.as_deref()),
                None => return Ok(None),
            },
            Self::ArrClientCert => match header(X_ARR_CLIENT_CERT) {
                Some(value) => parse_arr_client_cert(value),
                None => return Ok(None),
            },
            Self::UrlEncodedPem { header: name } => match header(name) {
                Some(value) => parse_url_encoded_pem(name, value),
                None => return Ok(None),
            },
        };
        result.map(Some)
    }
}

/// Reads RFC 9440 `Client-Cert` (`client_cert`) and `Client-Cert-Chain` (`chain`).
///
/// # Errors
/// [`ForwardedError::InvalidStructuredField`] for a value that is not a byte sequence (or a
/// chain that is not a list of them), [`ForwardedError::MultipleValues`] for two
/// `Client-Cert` values, and the limit and certificate errors.
pub fn parse_client_cert(
    client_cert: &str,
    chain: Option<&str>,
) -> Result<ForwardedCertificate, ForwardedError> {
    rfc9440::parse(client_cert, chain)
}

/// Reads the element for this hop (the last) of an Envoy `X-Forwarded-Client-Cert` header.
/// With `trusted_by`, the element's `By` must equal it.
///
/// # Errors
/// [`ForwardedError::XfccSyntax`], [`ForwardedError::XfccDuplicateKey`],
/// [`ForwardedError::XfccByMismatch`], [`ForwardedError::XfccHashMismatch`],
/// [`ForwardedError::NoCertificate`] for an element without `Cert` or `Chain`, and the PEM,
/// limit and certificate errors.
pub fn parse_xfcc(
    value: &str,
    trusted_by: Option<&str>,
) -> Result<ForwardedCertificate, ForwardedError> {
    xfcc::parse(value, trusted_by)
}

/// Reads `X-ARR-ClientCert`: the certificate's DER in base64.
///
/// # Errors
/// [`ForwardedError::MultipleValues`] when the value holds a comma (two field lines),
/// [`ForwardedError::InvalidBase64`], and the limit and certificate errors.
pub fn parse_arr_client_cert(value: &str) -> Result<ForwardedCertificate, ForwardedError> {
    decode::check_size(X_ARR_CLIENT_CERT, value)?;
    let text = value.trim();
    if text.contains(',') {
        return Err(ForwardedError::MultipleValues {
            header: X_ARR_CLIENT_CERT.to_owned(),
        });
    }
    let der = decode::base64(X_ARR_CLIENT_CERT, text)?;
    decode::assemble(X_ARR_CLIENT_CERT, vec![der])
}

/// Reads URL-encoded PEM from the header `header`: the leaf first, then any intermediates.
///
/// # Errors
/// [`ForwardedError::MultipleValues`] when the value holds a raw comma (two field lines; an
/// encoder escapes commas), [`ForwardedError::InvalidPercentEncoding`],
/// [`ForwardedError::InvalidPem`], [`ForwardedError::UnexpectedPemBlock`],
/// [`ForwardedError::NoCertificate`], and the limit and certificate errors.
pub fn parse_url_encoded_pem(
    header: &str,
    value: &str,
) -> Result<ForwardedCertificate, ForwardedError> {
    decode::check_size(header, value)?;
    if value.contains(',') {
        return Err(ForwardedError::MultipleValues {
            header: header.to_owned(),
        });
    }
    let text = decode::percent_decode(header, value.trim())?;
    let ders = decode::pem_certificates(header, &text)?;
    decode::assemble(header, ders)
}
