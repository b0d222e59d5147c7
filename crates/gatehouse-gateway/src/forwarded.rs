//! Client certificates forwarded in headers by trusted TLS-terminating proxies.
//!
//! Behind such a proxy the caller's certificate arrives in a header, and the TLS peer is the
//! proxy. Only peers listed in `trustedProxies` may supply one: from them, the header in the
//! proxy's configured format becomes the request's certificate (what policies, traces and
//! logs see), and a header that cannot be read refuses the request, so a broken proxy never
//! turns into "no certificate". From every other peer the certificate headers of all
//! formats are removed before anything reads the request, so a forged header never becomes
//! an identity, nor reaches a backend that might believe it.

use std::net::IpAddr;
use std::sync::Arc;

use gatehouse_cert::forwarded::STANDARD_HEADER_NAMES;
use gatehouse_cert::{ForwardedCertificate, ForwardedError, ForwardedFormat};
use gatehouse_model::{Cidr, Config, ForwardedHeaderFormat, TrustedProxyProperties};
use http::{HeaderMap, HeaderName};

use crate::SnapshotError;

/// One trusted proxy.
#[derive(Debug)]
struct Proxy {
    id: Arc<str>,
    ranges: Vec<Cidr>,
    format: ForwardedFormat,
}

/// The trusted proxies of a snapshot, and every header that may carry a certificate.
#[derive(Debug)]
pub struct TrustedProxies {
    proxies: Vec<Proxy>,
    /// The standard formats' headers and every configured one, lowercase.
    headers: Vec<HeaderName>,
}

impl Default for TrustedProxies {
    fn default() -> Self {
        let standard = STANDARD_HEADER_NAMES.iter().filter_map(|n| header_name(n));
        Self {
            proxies: Vec::new(),
            headers: standard.collect(),
        }
    }
}

/// What the request's certificate is.
#[derive(Debug)]
pub enum Source {
    /// The TLS peer's own: the peer is not a trusted proxy.
    Connection,
    /// What trusted proxy `proxy` forwarded; `None` when it forwarded none.
    Forwarded {
        /// The proxy's id.
        proxy: Arc<str>,
        /// The caller's certificate and chain.
        certificate: Option<ForwardedCertificate>,
    },
}

impl TrustedProxies {
    /// Builds the table from `trustedProxies`.
    ///
    /// # Errors
    /// [`SnapshotError::TrustedProxy`] for an entry that does not validate.
    pub fn build(config: &Config) -> Result<Self, SnapshotError> {
        let mut table = Self::default();
        for (id, properties) in &config.trusted_proxies {
            let ranges = properties
                .validate()
                .map_err(|e| SnapshotError::TrustedProxy {
                    id: id.clone(),
                    reason: e.to_string(),
                })?;
            let format = format_of(properties);
            for name in format.header_names() {
                let name = header_name(name);
                if let Some(name) = name.filter(|n| !table.headers.contains(n)) {
                    table.headers.push(name);
                }
            }
            let id = id.as_str().into();
            table.proxies.push(Proxy { id, ranges, format });
        }
        Ok(table)
    }

    /// Decides where the request's certificate comes from, and removes the certificate
    /// headers the pipeline must not see: all of them for peers that are not trusted
    /// proxies, the other formats' for a proxy.
    ///
    /// # Errors
    /// The [`ForwardedError`] of a trusted proxy's header that cannot be read, with the
    /// proxy's id.
    pub fn take(
        &self,
        peer: IpAddr,
        headers: &mut HeaderMap,
    ) -> Result<Source, (Arc<str>, ForwardedError)> {
        let Some(proxy) = self
            .proxies
            .iter()
            .find(|p| p.ranges.iter().any(|r| r.contains(peer)))
        else {
            self.strip(headers, &[]);
            return Ok(Source::Connection);
        };
        let certificate = read(&proxy.format, headers).map_err(|e| (proxy.id.clone(), e))?;
        self.strip(headers, &proxy.format.header_names());
        Ok(Source::Forwarded {
            proxy: proxy.id.clone(),
            certificate,
        })
    }

    /// Removes every certificate header but `kept`, also spelled with `_` for `-` (CGI-style
    /// backends read `Client_Cert` as `Client-Cert`); logs when a peer sent any.
    fn strip(&self, headers: &mut HeaderMap, kept: &[&str]) {
        let is_certificate_header = |name: &HeaderName| {
            self.headers
                .iter()
                .any(|h| same_header(name.as_str(), h.as_str()))
        };
        let is_kept =
            |name: &HeaderName| kept.iter().any(|k| name.as_str().eq_ignore_ascii_case(k));
        let doomed: Vec<HeaderName> = headers
            .keys()
            .filter(|name| is_certificate_header(name) && !is_kept(name))
            .cloned()
            .collect();
        for name in doomed {
            headers.remove(&name);
            tracing::info!(
                header = name.as_str(),
                decision = "header_removed",
                "a certificate header from a peer not trusted to send it was removed"
            );
        }
    }
}

/// Whether two lowercase header names are the same once `_` is read as `-`, as CGI, WSGI and
/// PHP backends read them (both become `HTTP_CLIENT_CERT`).
pub(crate) fn same_header(a: &str, b: &str) -> bool {
    let dash = |byte: u8| if byte == b'_' { b'-' } else { byte };
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| dash(x) == dash(y))
}

fn format_of(properties: &TrustedProxyProperties) -> ForwardedFormat {
    match properties.format {
        ForwardedHeaderFormat::Rfc9440 => ForwardedFormat::Rfc9440,
        ForwardedHeaderFormat::EnvoyXfcc => ForwardedFormat::EnvoyXfcc {
            trusted_by: properties.envoy_by.clone(),
        },
        ForwardedHeaderFormat::ArrClientCert => ForwardedFormat::ArrClientCert,
        ForwardedHeaderFormat::UrlEncodedPem => ForwardedFormat::UrlEncodedPem {
            header: properties.header.clone().unwrap_or_default(),
        },
    }
}

/// Reads `format`'s headers; several field lines of one header are joined with `, ` as HTTP
/// combines them, so a proxy that appended to a caller's header is caught by the parsers.
fn read(
    format: &ForwardedFormat,
    headers: &HeaderMap,
) -> Result<Option<ForwardedCertificate>, ForwardedError> {
    let values: Vec<(&str, String)> = format
        .header_names()
        .into_iter()
        .filter_map(|name| joined(headers, name).map(|value| (name, value)))
        .collect();
    let lookup = |name: &str| {
        let found = values.iter().find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str())
    };
    format.read(lookup)
}

fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

fn header_name(name: &str) -> Option<HeaderName> {
    HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).ok()
}
