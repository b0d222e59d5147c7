//! Calling backends: the pooled HTTP(S) client, and dispatch to the built-in echo backend.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use gatehouse_policy::runtime::{
    Backend, BackendTls, Body, ClientIdentity, ForwardError, ForwardOptions, Request, Response,
};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http_body_util::{BodyExt, Empty, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::GatewayError;
use crate::echo;
use crate::upstream_tls::RelaxedBackendVerifier;

type ClientResult =
    Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error>;

/// The body type sent to backends.
type OutBody =
    http_body_util::combinators::UnsyncBoxBody<Bytes, gatehouse_policy::runtime::BoxError>;

/// Headers that describe one hop and are never forwarded (RFC 9110 section 7.6.1).
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

/// The HTTP client type, with its TLS connector.
type HttpClient = Client<HttpsConnector<HttpConnector>, OutBody>;

/// How many certificate-presenting or relaxed clients are kept before the cache starts over.
const MAX_IDENTITY_CLIENTS: usize = 64;

/// Which client: the certificate presented to the backend, and how its certificate is checked.
type ClientKey = (Option<Arc<str>>, BackendTls);

/// The backend caller: one connection pool for every API, and one more per client
/// certificate policies present to backends (`authentication-certificate`) and per relaxed
/// TLS setting of backend entities.
#[derive(Clone, Debug)]
pub struct Upstream {
    client: HttpClient,
    roots: Arc<rustls::RootCertStore>,
    with_identity: Arc<Mutex<HashMap<ClientKey, HttpClient>>>,
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
        let client =
            build_client(&roots, None, BackendTls::default()).map_err(GatewayError::Tls)?;
        Ok(Self {
            client,
            roots,
            with_identity: Arc::default(),
        })
    }

    /// The client for `identity` and `tls`: the shared one without a certificate and with
    /// full checks, else one made (once) for that combination.
    fn client_for(
        &self,
        identity: Option<&Arc<ClientIdentity>>,
        tls: BackendTls,
    ) -> Result<HttpClient, ForwardError> {
        if identity.is_none() && tls.is_strict() {
            return Ok(self.client.clone());
        }
        let key: ClientKey = (identity.map(|i| i.thumbprint.clone()), tls);
        let mut clients = self
            .with_identity
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let client = build_client(&self.roots, identity.map(|i| &**i), tls).map_err(|e| {
            ForwardError::Connection(format!("the client certificate cannot be used: {e}"))
        })?;
        if !tls.is_strict() {
            tracing::warn!(
                validate_certificate_chain = tls.validate_certificate_chain,
                validate_certificate_name = tls.validate_certificate_name,
                "calling a backend whose TLS certificate checks a backend entity turned off"
            );
        }
        if clients.len() >= MAX_IDENTITY_CLIENTS {
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
        let outgoing = build_request(request)?;
        // Boxed with an explicit `Send` bound: without it the compiler cannot prove the
        // client's future `Send` for every lifetime of the boxed body error (rust#64552).
        let client = self.client_for(options.client_identity.as_ref(), options.tls)?;
        let sending: Pin<Box<dyn Future<Output = ClientResult> + Send>> =
            Box::pin(client.request(outgoing));
        let sent = tokio::time::timeout(options.timeout, sending).await;
        let answer = sent
            .map_err(|_| ForwardError::Timeout(options.timeout))?
            .map_err(|e| ForwardError::Connection(describe_client_error(&e)))?;

        let (parts, incoming) = answer.into_parts();
        let mut headers = parts.headers;
        strip_hop_by_hop(&mut headers);
        let body = incoming.map_err(|e| Box::new(e) as gatehouse_policy::runtime::BoxError);
        Ok(Response {
            status: parts.status.as_u16(),
            reason: None,
            headers,
            body: Body::Stream(body.boxed_unsync()),
        })
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

    /// Hands the request to a background task: the pipeline goes on at once, and the answer
    /// (or failure) is only logged at debug level.
    async fn send_one_way(&self, request: Request, options: ForwardOptions) {
        let upstream = self.clone();
        tokio::spawn(async move {
            // The host only: a query string may carry a secret named value.
            let host = request.url.host.clone();
            match upstream.forward(request, &options).await {
                Ok(response) => {
                    tracing::debug!(host, status = response.status, "one-way request sent")
                }
                Err(error) => tracing::debug!(host, %error, "one-way request failed"),
            }
        });
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// An HTTP(S) client trusting `roots` (with the checks `tls` keeps), presenting `identity`
/// to backends that ask for a client certificate.
fn build_client(
    roots: &Arc<rustls::RootCertStore>,
    identity: Option<&ClientIdentity>,
    tls: BackendTls,
) -> Result<HttpClient, String> {
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
    let tls = match identity {
        None => builder.with_no_client_auth(),
        Some(identity) => {
            let chain = identity
                .chain
                .iter()
                .map(|der| CertificateDer::from(der.clone()))
                .collect();
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key.to_vec()));
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| e.to_string())?
        }
    };
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

fn build_request(request: Request) -> Result<http::Request<OutBody>, ForwardError> {
    let uri: http::Uri = request
        .url
        .to_string()
        .parse()
        .map_err(|_| ForwardError::UnsupportedUrl(request.url.to_string()))?;

    let mut headers = request.headers;
    strip_hop_by_hop(&mut headers);
    headers.remove(header::HOST);
    if let Ok(host) = HeaderValue::from_str(&request.url.authority()) {
        headers.insert(header::HOST, host);
    }

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

/// Removes hop-by-hop headers, including any the `Connection` header names.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named.iter().chain(&HOP_BY_HOP.map(HeaderName::from_static)) {
        headers.remove(name);
    }
    headers.remove(header::TRANSFER_ENCODING);
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
