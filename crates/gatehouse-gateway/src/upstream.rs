//! Calling backends over HTTP(S), and dispatch to the built-in echo backend.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use gatehouse_policy::runtime::{
    Backend, BackendTls, Body, ClientIdentity, ForwardError, ForwardOptions, HttpProxy, Request,
    Response,
};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http_body_util::{BodyExt, Empty, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{Client, ResponseFuture};
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::GatewayError;
use crate::direct::Direct;
use crate::echo;
use crate::upstream_proxy::{ProxyConnector, ProxyError};
use crate::upstream_tls::RelaxedBackendVerifier;

type ClientResult =
    Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error>;

/// The body type sent to backends.
type OutBody =
    http_body_util::combinators::UnsyncBoxBody<Bytes, gatehouse_policy::runtime::BoxError>;

/// Headers that describe one hop and are never forwarded (RFC 9110 section 7.6.1). A
/// static: a `const` array of header names is built and dropped again wherever it is used.
static HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// A pooled client dialling backends itself, with its TLS connector.
type HttpClient = Client<HttpsConnector<HttpConnector>, OutBody>;

/// A client whose connections go through an HTTP proxy (`proxy`).
type ProxiedClient = Client<HttpsConnector<ProxyConnector>, OutBody>;

/// How many certificate-presenting, relaxed or proxied clients are kept before the cache
/// starts over.
const MAX_SPECIAL_CLIENTS: usize = 64;

/// Which client: the certificate presented to the backend, how its certificate is checked,
/// and the proxy in between.
type ClientKey = (Option<Arc<str>>, BackendTls, Option<Arc<HttpProxy>>);

/// A client made for one [`ClientKey`].
#[derive(Clone, Debug)]
enum SpecialClient {
    Dialling(HttpClient),
    Proxied(ProxiedClient),
}

impl SpecialClient {
    fn request(&self, request: http::Request<OutBody>) -> ResponseFuture {
        match self {
            Self::Dialling(client) => client.request(request),
            Self::Proxied(client) => client.request(request),
        }
    }
}

/// The backend caller: connections driven by the request's task for the common case, and a
/// pooled client per client certificate policies present to backends
/// (`authentication-certificate`), per relaxed TLS setting of backend entities and per HTTP
/// proxy (`proxy`).
#[derive(Clone, Debug)]
pub struct Upstream {
    /// The common case (no client certificate, strict TLS checks, no proxy) takes this leaner
    /// path.
    direct: Direct,
    roots: Arc<rustls::RootCertStore>,
    special: Arc<Mutex<HashMap<ClientKey, SpecialClient>>>,
}

impl Upstream {
    /// A client that trusts the system's roots and `extra_roots` (the local CA, so backends
    /// with certificates Gatehouse issued work out of the box).
    ///
    /// # Errors
    /// [`GatewayError::Tls`] when no root could be loaded.
    pub fn new(
        extra_roots: &[rustls::pki_types::CertificateDer<'static>],
    ) -> Result<Self, GatewayError> {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        roots.add_parsable_certificates(extra_roots.iter().cloned());
        let roots = Arc::new(roots);
        let connector =
            build_connector(&roots, None, BackendTls::default()).map_err(GatewayError::Tls)?;
        Ok(Self {
            direct: Direct::new(connector),
            roots,
            special: Arc::default(),
        })
    }

    /// Sends `request` with the pooled client made (once) for the certificate, TLS checks and
    /// proxy `options` call for; calls with none of them take [`Direct`] instead.
    fn send(
        &self,
        request: http::Request<OutBody>,
        options: &ForwardOptions,
    ) -> Result<ResponseFuture, ForwardError> {
        let identity = options.client_identity.as_ref();
        let key: ClientKey = (
            identity.map(|i| i.thumbprint.clone()),
            options.tls,
            options.proxy.clone(),
        );
        let client = self.special_client(key, identity)?;
        Ok(client.request(request))
    }

    fn special_client(
        &self,
        key: ClientKey,
        identity: Option<&Arc<ClientIdentity>>,
    ) -> Result<SpecialClient, ForwardError> {
        let mut clients = self
            .special
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let (_, tls, proxy) = &key;
        let config = tls_config(&self.roots, identity.map(|i| &**i), *tls).map_err(|e| {
            ForwardError::Connection(format!("the client certificate cannot be used: {e}"))
        })?;
        if !tls.is_strict() {
            tracing::warn!(
                validate_certificate_chain = tls.validate_certificate_chain,
                validate_certificate_name = tls.validate_certificate_name,
                "calling a backend whose TLS certificate checks a backend entity turned off"
            );
        }
        let client = match proxy {
            None => SpecialClient::Dialling(build_client(dialer(), config)),
            Some(proxy) => {
                let connector = ProxyConnector::new(proxy.clone());
                SpecialClient::Proxied(build_client(connector, config))
            }
        };
        if clients.len() >= MAX_SPECIAL_CLIENTS {
            clients.clear();
        }
        clients.insert(key, client.clone());
        Ok(client)
    }

    async fn call_http(
        &self,
        request: Request,
        options: &ForwardOptions,
    ) -> Result<Response, ForwardError> {
        let mut outgoing = build_request(request)?;
        if takes_direct_path(options) {
            let sent = tokio::time::timeout(options.timeout, self.direct.send(outgoing)).await;
            let answer = sent
                .map_err(|_| ForwardError::Timeout(options.timeout))?
                .map_err(ForwardError::Connection)?;
            return Ok(into_response(answer));
        }
        let plain_proxy = options
            .proxy
            .as_ref()
            .filter(|_| outgoing.uri().scheme_str() == Some("http"));
        if let Some(proxy) = plain_proxy {
            authorize_plain_http(&mut outgoing, proxy);
        }
        // Boxed with an explicit `Send` bound: without it the compiler cannot prove the
        // client's future `Send` for every lifetime of the boxed body error (rust#64552).
        let sending: Pin<Box<dyn Future<Output = ClientResult> + Send>> =
            Box::pin(self.send(outgoing, options)?);
        let sent = tokio::time::timeout(options.timeout, sending).await;
        let answer = sent
            .map_err(|_| ForwardError::Timeout(options.timeout))?
            .map_err(|e| ForwardError::Connection(describe_client_error(&e)))?;

        // A plain-HTTP proxy's 407 is about the gateway's credentials, not the caller's.
        if let Some(proxy) = plain_proxy
            && answer.status() == http::StatusCode::PROXY_AUTHENTICATION_REQUIRED
        {
            let refused = ProxyError::AuthenticationRequired {
                proxy: proxy.authority(),
            };
            return Err(ForwardError::Connection(refused.to_string()));
        }
        Ok(into_response(answer))
    }
}

/// Whether a call can take [`Direct`]: it presents no client certificate, checks the
/// backend's certificate fully and goes through no proxy; the others use a pooled client
/// made for their settings.
fn takes_direct_path(options: &ForwardOptions) -> bool {
    options.client_identity.is_none() && options.tls.is_strict() && options.proxy.is_none()
}

/// A backend's response as the pipeline sees it, without its hop-by-hop headers.
fn into_response<B>(answer: http::Response<B>) -> Response
where
    B: http_body::Body<Data = Bytes, Error = hyper::Error> + Send + 'static,
{
    let (parts, incoming) = answer.into_parts();
    let mut headers = parts.headers;
    strip_hop_by_hop(&mut headers);
    let body = incoming.map_err(|e| Box::new(e) as gatehouse_policy::runtime::BoxError);
    Response {
        status: parts.status.as_u16(),
        reason: None,
        headers,
        body: Body::Stream(body.boxed_unsync()),
    }
}

/// Adds the proxy's credentials to a plain-HTTP request, which the proxy reads. An
/// `https://` request never gets them: the proxy had them in `CONNECT`, and inside the
/// tunnel they would reach the backend.
fn authorize_plain_http(request: &mut http::Request<OutBody>, proxy: &HttpProxy) {
    let Some(credentials) = proxy.authorization() else {
        return;
    };
    if let Ok(mut value) = HeaderValue::from_str(&credentials) {
        value.set_sensitive(true);
        request
            .headers_mut()
            .insert(header::PROXY_AUTHORIZATION, value);
    }
}

impl Backend for Upstream {
    async fn forward(
        &self,
        request: Request,
        options: &ForwardOptions,
    ) -> Result<Response, ForwardError> {
        match request.url.scheme.as_str() {
            "gatehouse" if request.url.host == "echo" => Ok(echo::respond(request).await),
            "http" | "https" => self.call_http(request, options).await,
            _ => Err(ForwardError::UnsupportedUrl(request.url.to_string())),
        }
    }

    /// Hands the request to a background task: the pipeline goes on at once. The answer is
    /// logged at debug level, a failure at warn (nobody else will see it).
    async fn send_one_way(&self, request: Request, options: ForwardOptions) {
        let upstream = self.clone();
        tokio::spawn(async move {
            // The host only: a query string may carry a secret named value.
            let host = request.url.host.clone();
            match upstream.forward(request, &options).await {
                Ok(response) => {
                    tracing::debug!(host, status = response.status, "one-way request sent")
                }
                Err(error) => tracing::warn!(host, %error, "one-way request failed"),
            }
        });
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// The TLS settings for backends: trusting `roots` (with the checks `tls` keeps), presenting
/// `identity` to backends that ask for a client certificate.
fn tls_config(
    roots: &Arc<rustls::RootCertStore>,
    identity: Option<&ClientIdentity>,
    tls: BackendTls,
) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = if tls.is_strict() {
        builder.with_root_certificates(roots.clone())
    } else {
        let verifier = RelaxedBackendVerifier::new(roots.clone(), &provider, tls)?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
    };
    match identity {
        None => Ok(builder.with_no_client_auth()),
        Some(identity) => {
            let chain = identity
                .chain
                .iter()
                .map(|der| CertificateDer::from(der.clone()))
                .collect();
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key.to_vec()));
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| e.to_string())
        }
    }
}

/// The connector of the shared client and the direct path: TCP, and TLS with ALPN offering h2
/// and http/1.1.
pub(crate) fn build_connector(
    roots: &Arc<rustls::RootCertStore>,
    identity: Option<&ClientIdentity>,
    tls: BackendTls,
) -> Result<HttpsConnector<HttpConnector>, String> {
    Ok(https_connector(dialer(), tls_config(roots, identity, tls)?))
}

/// The TCP dialler for direct connections; the TLS layer above it handles `https://`, so it
/// must not refuse that scheme itself.
fn dialer() -> HttpConnector {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http
}

/// A pooled HTTP(S) client dialling with `connector` and speaking TLS with `tls`.
fn build_client<C>(connector: C, tls: rustls::ClientConfig) -> Client<HttpsConnector<C>, OutBody>
where
    C: tower_service::Service<http::Uri> + Clone + Send + Sync + 'static,
    C::Response: hyper_util::client::legacy::connect::Connection
        + hyper::rt::Read
        + hyper::rt::Write
        + Send
        + Unpin
        + 'static,
    C::Future: Send + 'static,
    C::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    Client::builder(TokioExecutor::new()).build(https_connector(connector, tls))
}

/// `connector` with TLS (`tls`, ALPN offering h2 and http/1.1) for `https://` URLs.
fn https_connector<C>(connector: C, tls: rustls::ClientConfig) -> HttpsConnector<C> {
    hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(connector)
}

fn build_request(request: Request) -> Result<http::Request<OutBody>, ForwardError> {
    let unsupported = || ForwardError::UnsupportedUrl(request.url.to_string());
    // One buffer holds the authority for both the URI and the `Host` header.
    let authority = Bytes::from(request.url.authority());
    let uri = http::Uri::builder()
        .scheme(request.url.scheme.as_str())
        .authority(
            http::uri::Authority::from_maybe_shared(authority.clone())
                .map_err(|_| unsupported())?,
        )
        .path_and_query(request.url.path_and_query())
        .build()
        .map_err(|_| unsupported())?;

    let mut headers = request.headers;
    strip_for_backend(&mut headers);
    request.body.frame(&mut headers);
    match HeaderValue::from_maybe_shared(authority) {
        Ok(host) => headers.insert(header::HOST, host),
        Err(_) => headers.remove(header::HOST),
    };

    let mut outgoing = http::Request::new(out_body(request.body));
    *outgoing.method_mut() = request.method;
    *outgoing.uri_mut() = uri;
    *outgoing.headers_mut() = headers;
    Ok(outgoing)
}

fn out_body(body: Body) -> OutBody {
    match body {
        Body::Empty => Empty::new().map_err(|never| match never {}).boxed_unsync(),
        Body::Full(bytes) => Full::new(bytes)
            .map_err(|never| match never {})
            .boxed_unsync(),
        Body::Stream(stream) => stream,
    }
}

/// Readies the headers a pipeline leaves for the backend. The caller's `Connection` list was
/// applied when the request arrived ([`strip_hop_by_hop`]), before any policy ran, so here
/// only the hop-by-hop names themselves go: a caller cannot name a header a policy sets.
/// A header whose name differs from another's only by `_` for `-` goes too: CGI-style
/// backends read both as one variable, so a caller's `X_Role` could stand in for the `X-Role`
/// a policy set.
fn strip_for_backend(headers: &mut HeaderMap) {
    let doomed: Vec<HeaderName> = headers
        .keys()
        .filter(|name| HOP_BY_HOP.contains(name) || has_dashed_twin(headers, name))
        .cloned()
        .collect();
    for name in &doomed {
        headers.remove(name);
    }
}

/// Whether `name` has a `_` and the request also has the same name with `-` there.
fn has_dashed_twin(headers: &HeaderMap, name: &HeaderName) -> bool {
    if !name.as_str().contains('_') {
        return false;
    }
    HeaderName::from_bytes(name.as_str().replace('_', "-").as_bytes())
        .is_ok_and(|dashed| headers.contains_key(dashed))
}

/// Removes hop-by-hop headers, including any the `Connection` header names: for a message as
/// it arrives (a caller's request, a backend's response), before policies see it.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Most messages carry none or only `Connection: keep-alive`: one pass over their few
    // names finds what to remove, so no removal is hashed for a header that is absent.
    let mut doomed: Vec<HeaderName> = headers
        .keys()
        .filter(|name| HOP_BY_HOP.contains(name))
        .cloned()
        .collect();
    if doomed.is_empty() {
        return;
    }
    let named = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|token| !token.is_empty() && !token.eq_ignore_ascii_case("close"))
        .filter(|token| {
            !HOP_BY_HOP
                .iter()
                .any(|h| token.eq_ignore_ascii_case(h.as_str()))
        })
        .filter_map(|token| HeaderName::from_bytes(token.as_bytes()).ok());
    doomed.extend(named.collect::<Vec<_>>());
    for name in &doomed {
        headers.remove(name);
    }
}

/// The innermost cause of a client error: hyper's outer message ("client error (Connect)")
/// says little, the cause ("Connection refused") says what to fix.
fn describe_client_error(error: &hyper_util::client::legacy::Error) -> String {
    let mut source: &dyn std::error::Error = error;
    while let Some(inner) = source.source() {
        source = inner;
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toward_the_backend_only_hop_by_hop_names_and_underscore_twins_go() {
        let mut headers = HeaderMap::new();
        headers.insert("connection", "x-role".parse().unwrap());
        headers.insert("x-role", "readonly".parse().unwrap());
        headers.insert("x_role", "admin".parse().unwrap());
        headers.insert("x_alone", "1".parse().unwrap());

        strip_for_backend(&mut headers);

        let mut left: Vec<&str> = headers.keys().map(|k| k.as_str()).collect();
        left.sort_unstable();
        assert_eq!(left, ["x-role", "x_alone"]);
    }

    #[test]
    fn hop_by_hop_headers_and_the_ones_connection_names_are_removed() {
        let mut headers = HeaderMap::new();
        headers.insert("connection", "close, x-secret-hop".parse().unwrap());
        headers.insert("x-secret-hop", "1".parse().unwrap());
        headers.insert("keep-alive", "timeout=5".parse().unwrap());
        headers.insert("x-kept", "1".parse().unwrap());

        strip_hop_by_hop(&mut headers);

        assert_eq!(
            headers.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["x-kept"]
        );
    }
}
