//! Connections and requests: TCP, the TLS handshake, the HTTP/1.1 or HTTP/2 handshake, and
//! one GET at a time per connection (or per HTTP/2 stream).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HOST, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Uri};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::HandshakeKind;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;

use crate::args::Args;
use crate::error::{Failure, SetupError};
use crate::tls::{TlsFiles, client_config};

/// How long a TCP connect plus TLS and HTTP handshakes may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request may take, body included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What every connection and request is made from; shared by all tasks.
pub(crate) struct Target {
    addr: SocketAddr,
    server_name: ServerName<'static>,
    connector: TlsConnector,
    http2: bool,
    /// The full URI (HTTP/2 sends scheme and authority as pseudo-headers).
    uri: Uri,
    /// Path and query only (HTTP/1.1 origin form, with a Host header).
    path: Uri,
    headers: HeaderMap,
}

/// The TLS parameters a connection negotiated, reported once per run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Negotiated {
    /// `TLSv1_3`.
    pub(crate) version: String,
    /// For example `TLS13_AES_256_GCM_SHA384`.
    pub(crate) suite: String,
    /// For example `X25519`.
    pub(crate) group: String,
    /// The ALPN protocol, if any.
    pub(crate) alpn: Option<String>,
}

/// One open connection (or, for HTTP/2, one handle on a shared connection).
#[derive(Debug)]
pub(crate) struct Connection {
    sender: Sender,
    /// Whether the TLS handshake resumed an earlier session.
    pub(crate) resumed: bool,
    /// What was negotiated.
    pub(crate) negotiated: Negotiated,
}

#[derive(Debug)]
enum Sender {
    Http1(http1::SendRequest<Empty<Bytes>>),
    Http2(http2::SendRequest<Empty<Bytes>>),
}

impl Target {
    /// Reads the certificates and resolves the host.
    ///
    /// # Errors
    /// When the URL is not https, a file is unusable or the host does not resolve.
    pub(crate) async fn new(args: &Args) -> Result<Self, SetupError> {
        let url = &args.url;
        let bad_url = || SetupError::Url(url.to_string());
        if url.scheme_str() != Some("https") {
            return Err(bad_url());
        }
        let host = url.host().ok_or_else(bad_url)?.to_owned();
        let port = url.port_u16().unwrap_or(443);
        let addr = match args.connect {
            Some(addr) => addr,
            None => resolve(&host, port).await?,
        };
        let files = TlsFiles {
            ca: &args.cacert,
            cert: &args.cert,
            key: &args.key,
        };
        let config = client_config(&files, args.kx, args.http2)?;
        let server_name = ServerName::try_from(host.clone()).map_err(|_| bad_url())?;
        Ok(Self {
            addr,
            server_name,
            connector: TlsConnector::from(config),
            http2: args.http2,
            uri: url.clone(),
            path: origin_form(url),
            headers: headers(&args.header, url)?,
        })
    }

    /// Opens a connection: TCP, TLS (with the client certificate), HTTP.
    pub(crate) async fn connect(&self) -> Result<Connection, Failure> {
        timeout(CONNECT_TIMEOUT, self.open())
            .await
            .map_err(|_| Failure::Timeout)?
    }

    async fn open(&self) -> Result<Connection, Failure> {
        let tcp = TcpStream::connect(self.addr)
            .await
            .map_err(|_| Failure::Connect)?;
        let _ = tcp.set_nodelay(true);
        let tls = self
            .connector
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(|_| Failure::Tls)?;
        let state = tls.get_ref().1;
        let resumed = state.handshake_kind() == Some(HandshakeKind::Resumed);
        let negotiated = negotiated(state);

        let io = TokioIo::new(tls);
        let sender = if self.http2 {
            let (sender, connection) = http2::handshake(TokioExecutor::new(), io)
                .await
                .map_err(|_| Failure::Http)?;
            tokio::spawn(connection);
            Sender::Http2(sender)
        } else {
            let (sender, connection) = http1::handshake(io).await.map_err(|_| Failure::Http)?;
            tokio::spawn(connection);
            Sender::Http1(sender)
        };
        Ok(Connection {
            sender,
            resumed,
            negotiated,
        })
    }

    fn request(&self) -> Request<Empty<Bytes>> {
        let uri = if self.http2 { &self.uri } else { &self.path };
        let mut request = Request::new(Empty::new());
        *request.uri_mut() = uri.clone();
        *request.headers_mut() = self.headers.clone();
        if self.http2 {
            request.headers_mut().remove(HOST);
        }
        request
    }
}

impl Connection {
    /// Sends one GET and reads the whole response; returns the status code.
    pub(crate) async fn send(&mut self, target: &Target) -> Result<u16, Failure> {
        timeout(REQUEST_TIMEOUT, self.exchange(target))
            .await
            .map_err(|_| Failure::Timeout)?
    }

    async fn exchange(&mut self, target: &Target) -> Result<u16, Failure> {
        let request = target.request();
        let response = match &mut self.sender {
            Sender::Http1(sender) => {
                sender.ready().await.map_err(|_| Failure::Http)?;
                sender.send_request(request).await
            }
            Sender::Http2(sender) => {
                sender.ready().await.map_err(|_| Failure::Http)?;
                sender.send_request(request).await
            }
        }
        .map_err(|_| Failure::Http)?;
        let status = response.status().as_u16();
        response
            .into_body()
            .collect()
            .await
            .map_err(|_| Failure::Http)?;
        Ok(status)
    }

    /// Another handle on the same HTTP/2 connection, for a concurrent stream; `None` for
    /// HTTP/1.1, which has one request in flight per connection.
    pub(crate) fn stream(&self) -> Option<Self> {
        match &self.sender {
            Sender::Http2(sender) => Some(Self {
                sender: Sender::Http2(sender.clone()),
                resumed: self.resumed,
                negotiated: self.negotiated.clone(),
            }),
            Sender::Http1(_) => None,
        }
    }

    /// Whether the server (or an error) closed the connection.
    pub(crate) fn is_closed(&self) -> bool {
        match &self.sender {
            Sender::Http1(sender) => sender.is_closed(),
            Sender::Http2(sender) => sender.is_closed(),
        }
    }
}

async fn resolve(host: &str, port: u16) -> Result<SocketAddr, SetupError> {
    let unresolved = || SetupError::Resolve(format!("{host}:{port}"));
    let mut addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| unresolved())?;
    addrs.next().ok_or_else(unresolved)
}

fn origin_form(url: &Uri) -> Uri {
    url.path_and_query().map_or_else(
        || Uri::from_static("/"),
        |p| p.as_str().parse().unwrap_or_default(),
    )
}

/// The request headers: Host, then the user's `Name: value` pairs.
fn headers(pairs: &[String], url: &Uri) -> Result<HeaderMap, SetupError> {
    let mut headers = HeaderMap::new();
    if let Some(authority) = url.authority()
        && let Ok(host) = HeaderValue::from_str(authority.as_str())
    {
        headers.insert(HOST, host);
    }
    for pair in pairs {
        let bad = || SetupError::Url(format!("header '{pair}' is not 'Name: value'"));
        let (name, value) = pair.split_once(':').ok_or_else(bad)?;
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?;
        let value = HeaderValue::from_str(value.trim()).map_err(|_| bad())?;
        headers.append(name, value);
    }
    Ok(headers)
}

fn negotiated(state: &rustls::ClientConnection) -> Negotiated {
    let name = |debug: Option<String>| debug.unwrap_or_else(|| "none".to_owned());
    Negotiated {
        version: name(state.protocol_version().map(|v| format!("{v:?}"))),
        suite: name(
            state
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite())),
        ),
        group: name(
            state
                .negotiated_key_exchange_group()
                .map(|g| format!("{:?}", g.name())),
        ),
        alpn: state
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
    }
}
