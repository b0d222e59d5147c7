//! A one-shot HTTPS client over rustls that presents a chosen client certificate.
//!
//! Two callers need the same thing: the console's server-side sender, which calls the gateway
//! with an uploaded certificate's stored key, and `gatehouse call`, which does it from a PFX
//! or PEM files. Each call opens its own connection (HTTP/1.1, so custom reason phrases such
//! as "Invalid client certificate" survive) because each may present a different certificate.
//!
//! The client notes whether the server asked for a certificate at all: a certificate that was
//! never asked for was never sent, the most confusing failure of certificate authentication.
//! Errors are classified (untrusted server, wrong host name, certificate refused) so that each
//! caller can say what to do about them.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HOST, HeaderValue};
use http::{HeaderMap, Method, StatusCode, Uri, Version};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::sign::CertifiedKey;
use rustls::{CertificateError, ClientConfig, RootCertStore, SignatureScheme};
use thiserror::Error;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// The largest response body read back; the console shows bodies, it does not download files.
pub const MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;

/// Why a call did not produce a response.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SendError {
    /// The URL is not `https://host[:port]/...`.
    #[error("'{0}' is not an https:// URL with a host")]
    Url(String),
    /// No TCP connection.
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// `host:port`.
        address: String,
        /// What the system said.
        source: io::Error,
    },
    /// The server's certificate does not chain to a trusted root, or is expired.
    #[error("the server's certificate is not trusted: {detail}")]
    UntrustedServer {
        /// What the check found.
        detail: String,
    },
    /// The server's certificate is for other names.
    #[error("the server's certificate is not valid for '{host}'")]
    WrongHost {
        /// The name that was asked for.
        host: String,
    },
    /// The server ended the handshake because it needs a client certificate and none was
    /// sent (TLS 1.3's `certificate_required` alert).
    #[error("the server requires a client certificate and none was sent")]
    CertificateRequired,
    /// The server ended the handshake because of the client certificate it was sent.
    #[error("the server refused the client certificate ({alert})")]
    CertificateRefused {
        /// The TLS alert it sent.
        alert: String,
    },
    /// Any other TLS failure.
    #[error("the TLS handshake failed: {0}")]
    Tls(String),
    /// The connection broke during the HTTP exchange.
    #[error("the HTTP exchange failed: {0}")]
    Http(String),
    /// No complete response in time.
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The response body exceeds [`MAX_RESPONSE_BODY`].
    #[error("the response body is larger than {MAX_RESPONSE_BODY} bytes")]
    TooLarge,
    /// The private key does not belong to the certificate.
    #[error("the private key does not belong to the certificate")]
    KeyMismatch,
    /// The private key cannot be used for TLS.
    #[error("the private key cannot be used for TLS: {0}")]
    Key(String),
}

/// A client certificate chain and its private key, ready to present.
#[derive(Debug, Clone)]
pub struct Identity {
    key: Arc<CertifiedKey>,
}

impl Identity {
    /// The leaf (first) and chain certificates with the leaf's PKCS#8 private key.
    ///
    /// # Errors
    /// [`SendError::KeyMismatch`] when the key is not the leaf's, [`SendError::Key`] when the
    /// key type is not usable.
    pub fn new(chain: Vec<CertificateDer<'static>>, pkcs8: Vec<u8>) -> Result<Self, SendError> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pkcs8));
        let key = CertifiedKey::from_der(chain, key, &provider()).map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => SendError::KeyMismatch,
            other => SendError::Key(other.to_string()),
        })?;
        Ok(Self { key: Arc::new(key) })
    }
}

/// The roots a server certificate must chain to.
#[derive(Debug, Clone)]
pub struct Trust {
    roots: Arc<RootCertStore>,
}

impl Trust {
    /// Trust exactly these CA certificates (DER).
    ///
    /// # Errors
    /// A message naming the first certificate that is not a usable root.
    pub fn roots(certificates: &[CertificateDer<'static>]) -> Result<Self, String> {
        let mut roots = RootCertStore::empty();
        for certificate in certificates {
            roots
                .add(certificate.clone())
                .map_err(|e| format!("not a usable CA certificate: {e}"))?;
        }
        Ok(Self {
            roots: Arc::new(roots),
        })
    }

    /// The operating system's trusted roots (for gateways with a public certificate).
    pub fn system() -> Self {
        let mut roots = RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(found.certs);
        Self {
            roots: Arc::new(roots),
        }
    }
}

/// A request to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The method.
    pub method: Method,
    /// The full `https://` URL.
    pub url: Uri,
    /// Headers; `Host` is added when missing.
    pub headers: HeaderMap,
    /// The body, possibly empty.
    pub body: Bytes,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Received {
    /// The HTTP version of the response.
    pub version: Version,
    /// The status.
    pub status: StatusCode,
    /// The reason phrase as sent (a policy may set its own).
    pub reason: String,
    /// The response headers.
    pub headers: HeaderMap,
    /// The response body.
    pub body: Bytes,
    /// From connecting to the last body byte.
    pub elapsed: Duration,
    /// Whether the server asked for a client certificate during the handshake.
    pub certificate_requested: bool,
}

/// Sends `request` on a new connection, trusting `trust`, presenting `identity` when the
/// server asks for a certificate, and gives up after `timeout`.
///
/// # Errors
/// [`SendError`], classified so callers can say what to do.
pub async fn send(
    request: Outgoing,
    trust: &Trust,
    identity: Option<&Identity>,
    timeout: Duration,
) -> Result<Received, SendError> {
    let started = Instant::now();
    let exchange = exchange(request, trust, identity, started);
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| SendError::Timeout(timeout))?
}

async fn exchange(
    request: Outgoing,
    trust: &Trust,
    identity: Option<&Identity>,
    started: Instant,
) -> Result<Received, SendError> {
    let target = Target::of(&request.url)?;
    let resolver = Arc::new(RecordingResolver::new(identity));
    let tls = connect(&target, trust, resolver.clone()).await?;

    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| classify_http(&e))?;
    tokio::spawn(connection);
    let response = sender
        .send_request(http_request(request, &target)?)
        .await
        .map_err(|e| classify_http(&e))?;

    let (parts, body) = response.into_parts();
    let body = Limited::new(body, MAX_RESPONSE_BODY)
        .collect()
        .await
        .map_err(|e| match e.downcast_ref::<hyper::Error>() {
            Some(http) => classify_http(http),
            None => SendError::TooLarge,
        })?
        .to_bytes();
    let reason = parts
        .extensions
        .get::<hyper::ext::ReasonPhrase>()
        .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
        .unwrap_or_else(|| parts.status.canonical_reason().unwrap_or("").to_owned());
    Ok(Received {
        version: parts.version,
        status: parts.status,
        reason,
        headers: parts.headers,
        body,
        elapsed: started.elapsed(),
        certificate_requested: resolver.asked.load(Ordering::Relaxed),
    })
}

/// Where a URL points.
struct Target {
    host: String,
    port: u16,
    authority: String,
}

impl Target {
    fn of(url: &Uri) -> Result<Self, SendError> {
        let invalid = || SendError::Url(url.to_string());
        if url.scheme_str() != Some("https") {
            return Err(invalid());
        }
        let authority = url.authority().ok_or_else(invalid)?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        Ok(Self {
            host: host.to_owned(),
            port: authority.port_u16().unwrap_or(443),
            authority: authority.as_str().to_owned(),
        })
    }
}

async fn connect(
    target: &Target,
    trust: &Trust,
    resolver: Arc<RecordingResolver>,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, SendError> {
    let address = format!("{}:{}", target.host, target.port);
    let tcp = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|source| SendError::Connect { address, source })?;
    let name = ServerName::try_from(target.host.clone())
        .map_err(|_| SendError::Url(target.authority.clone()))?;

    let mut config = ClientConfig::builder_with_provider(Arc::new(provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| SendError::Tls(e.to_string()))?
        .with_root_certificates(trust.roots.clone())
        .with_client_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| classify_io(&e, &target.host))
}

fn http_request(
    request: Outgoing,
    target: &Target,
) -> Result<http::Request<Full<Bytes>>, SendError> {
    let path = request
        .url
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut built = http::Request::builder()
        .method(request.method)
        .uri(path)
        .body(Full::new(request.body))
        .map_err(|e| SendError::Url(e.to_string()))?;
    *built.headers_mut() = request.headers;
    if !built.headers().contains_key(HOST) {
        let host = HeaderValue::from_str(&target.authority)
            .map_err(|_| SendError::Url(target.authority.clone()))?;
        built.headers_mut().insert(HOST, host);
    }
    Ok(built)
}

fn provider() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// Presents the identity when asked, and remembers that it was asked.
#[derive(Debug)]
struct RecordingResolver {
    key: Option<Arc<CertifiedKey>>,
    asked: AtomicBool,
}

impl RecordingResolver {
    fn new(identity: Option<&Identity>) -> Self {
        Self {
            key: identity.map(|i| i.key.clone()),
            asked: AtomicBool::new(false),
        }
    }
}

impl ResolvesClientCert for RecordingResolver {
    fn resolve(
        &self,
        _acceptable_issuers: &[&[u8]],
        _schemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        self.asked.store(true, Ordering::Relaxed);
        self.key.clone()
    }

    fn has_certs(&self) -> bool {
        self.key.is_some()
    }
}

/// A TLS failure during connect, by what the user can do about it.
fn classify_io(error: &io::Error, host: &str) -> SendError {
    match error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        Some(tls) => classify_tls(tls, host),
        None => SendError::Tls(error.to_string()),
    }
}

fn classify_tls(error: &rustls::Error, host: &str) -> SendError {
    match error {
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => SendError::WrongHost {
            host: host.to_owned(),
        },
        rustls::Error::InvalidCertificate(problem) => SendError::UntrustedServer {
            detail: describe_certificate_error(problem),
        },
        rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired) => {
            SendError::CertificateRequired
        }
        rustls::Error::AlertReceived(alert) => SendError::CertificateRefused {
            alert: format!("{alert:?}"),
        },
        other => SendError::Tls(other.to_string()),
    }
}

fn describe_certificate_error(problem: &CertificateError) -> String {
    match problem {
        CertificateError::UnknownIssuer => "it is not signed by a CA this client trusts".to_owned(),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "it has expired".to_owned()
        }
        other => format!("{other:?}"),
    }
}

/// A failure during the HTTP exchange: with TLS 1.3 the server judges the client certificate
/// after the client's handshake is done, so its refusal arrives here, as a TLS alert.
fn classify_http(error: &hyper::Error) -> SendError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return classify_tls(tls, "");
        }
        if let Some(io) = current.downcast_ref::<io::Error>()
            && let Some(tls) = io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>())
        {
            return classify_tls(tls, "");
        }
        source = current.source();
    }
    SendError::Http(error.to_string())
}
