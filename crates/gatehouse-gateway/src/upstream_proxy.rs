//! Reaching backends through an HTTP proxy (`<proxy url="http://host:port"/>`).
//!
//! The connector dials the proxy instead of the backend. For an `http://` backend the
//! connection is marked proxied, so the client writes absolute-form request targets and the
//! caller of [`ProxyConnector`] adds `Proxy-Authorization` to each request. For an
//! `https://` backend it first asks the proxy for a `CONNECT` tunnel; TLS to the backend then
//! runs inside the tunnel, so the proxy never sees the request.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use gatehouse_policy::runtime::HttpProxy;
use http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most a proxy's answer to `CONNECT` may take before its blank line.
const MAX_CONNECT_ANSWER: usize = 8 * 1024;

/// Why the proxy did not carry a connection. Each message names the proxy, since the
/// operator reads it as the backend call's failure.
#[derive(Debug, Error)]
pub(crate) enum ProxyError {
    /// No TCP connection to the proxy.
    #[error("the HTTP proxy {proxy} could not be reached: {cause}")]
    Unreachable { proxy: String, cause: io::Error },

    /// The proxy wants credentials the policy did not give (or rejected them).
    #[error("the HTTP proxy {proxy} refused the credentials (407 Proxy Authentication Required)")]
    AuthenticationRequired { proxy: String },

    /// The proxy answered `CONNECT` with something other than 2xx.
    #[error("the HTTP proxy {proxy} refused a tunnel to {target}: {status}")]
    TunnelRefused {
        proxy: String,
        target: String,
        status: String,
    },

    /// The answer to `CONNECT` was not an HTTP response, or too long.
    #[error("the HTTP proxy {proxy} gave no valid answer to CONNECT: {what}")]
    Malformed { proxy: String, what: &'static str },

    /// The connection broke during the `CONNECT` exchange.
    #[error("the connection to the HTTP proxy {proxy} broke: {cause}")]
    Broken { proxy: String, cause: io::Error },

    /// The backend URL names no host.
    #[error("the backend URL '{0}' names no host")]
    NoHost(String),
}

/// Dials the proxy for every backend connection.
#[derive(Clone, Debug)]
pub(crate) struct ProxyConnector {
    proxy: Arc<HttpProxy>,
}

impl ProxyConnector {
    pub(crate) fn new(proxy: Arc<HttpProxy>) -> Self {
        Self { proxy }
    }
}

impl tower_service::Service<Uri> for ProxyConnector {
    type Response = ProxyStream;
    type Error = ProxyError;
    type Future = Pin<Box<dyn Future<Output = Result<ProxyStream, ProxyError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ProxyError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, target: Uri) -> Self::Future {
        let proxy = self.proxy.clone();
        Box::pin(async move { connect(&proxy, &target).await })
    }
}

/// A connection to the proxy: plain for `http://` backends, a tunnel for `https://` ones.
async fn connect(proxy: &HttpProxy, target: &Uri) -> Result<ProxyStream, ProxyError> {
    let name = proxy.authority();
    let mut stream = TcpStream::connect((proxy.host.as_str(), proxy.port))
        .await
        .map_err(|cause| ProxyError::Unreachable {
            proxy: name.clone(),
            cause,
        })?;
    let _ = stream.set_nodelay(true);

    let tunnelled = target.scheme_str() == Some("https");
    if tunnelled {
        let authority = target_authority(target)?;
        open_tunnel(&mut stream, proxy, &authority).await?;
    }
    tracing::debug!(proxy = %name, tunnelled, "connected to the backend through an HTTP proxy");
    Ok(ProxyStream {
        io: TokioIo::new(stream),
        tunnelled,
    })
}

/// `host:port` of an `https://` backend, the port made explicit as `CONNECT` requires.
fn target_authority(target: &Uri) -> Result<String, ProxyError> {
    let host = target
        .host()
        .ok_or_else(|| ProxyError::NoHost(target.to_string()))?;
    let port = target.port_u16().unwrap_or(443);
    Ok(format!("{host}:{port}"))
}

/// Sends `CONNECT` and reads the answer up to its blank line; anything but 2xx fails.
async fn open_tunnel(
    stream: &mut TcpStream,
    proxy: &HttpProxy,
    target: &str,
) -> Result<(), ProxyError> {
    let name = proxy.authority();
    let broken = |cause| ProxyError::Broken {
        proxy: name.clone(),
        cause,
    };
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(credentials) = proxy.authorization() {
        request.push_str(&format!("Proxy-Authorization: {credentials}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.map_err(broken)?;

    let answer = read_answer(stream, &name).await?;
    let status = status_of(&answer, &name)?;
    match status.code {
        200..=299 => Ok(()),
        407 => Err(ProxyError::AuthenticationRequired { proxy: name }),
        _ => Err(ProxyError::TunnelRefused {
            proxy: name,
            target: target.to_owned(),
            status: status.line,
        }),
    }
}

/// The proxy's answer up to and including the blank line, read a byte at a time so no byte
/// of the tunnel is taken from the stream.
async fn read_answer(stream: &mut TcpStream, proxy: &str) -> Result<Vec<u8>, ProxyError> {
    let mut answer = Vec::with_capacity(256);
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() >= MAX_CONNECT_ANSWER {
            return Err(malformed(proxy, "the answer is longer than 8 KiB"));
        }
        let byte = stream.read_u8().await.map_err(|cause| ProxyError::Broken {
            proxy: proxy.to_owned(),
            cause,
        })?;
        answer.push(byte);
    }
    Ok(answer)
}

/// The status line of an answer, and its code.
#[derive(Debug)]
struct Status {
    code: u16,
    line: String,
}

fn status_of(answer: &[u8], proxy: &str) -> Result<Status, ProxyError> {
    let line = answer
        .split(|b| *b == b'\n')
        .next()
        .map(|line| String::from_utf8_lossy(line).trim_end().to_owned())
        .unwrap_or_default();
    let mut words = line.split_whitespace();
    let version = words.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(malformed(proxy, "the answer is not HTTP/1.x"));
    }
    let code = words
        .next()
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| malformed(proxy, "the status line has no status code"))?;
    Ok(Status { code, line })
}

fn malformed(proxy: &str, what: &'static str) -> ProxyError {
    ProxyError::Malformed {
        proxy: proxy.to_owned(),
        what,
    }
}

/// A connection made through the proxy. It reports itself proxied unless it is a tunnel, so
/// the client writes absolute-form targets for plain HTTP.
#[derive(Debug)]
pub(crate) struct ProxyStream {
    io: TokioIo<TcpStream>,
    tunnelled: bool,
}

impl Connection for ProxyStream {
    fn connected(&self) -> Connected {
        Connected::new().proxy(!self.tunnelled)
    }
}

impl hyper::rt::Read for ProxyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for ProxyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_line_gives_its_code() {
        let status = status_of(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n", "p").unwrap();
        assert_eq!(status.code, 407);
        assert_eq!(status.line, "HTTP/1.1 407 Proxy Authentication Required");
    }

    #[test]
    fn an_answer_that_is_not_http_is_refused() {
        let error = status_of(b"SSH-2.0-OpenSSH\r\n\r\n", "p").unwrap_err();
        assert!(error.to_string().contains("not HTTP/1.x"), "{error}");
        let error = status_of(b"HTTP/1.1 abc\r\n\r\n", "p").unwrap_err();
        assert!(error.to_string().contains("no status code"), "{error}");
    }

    #[test]
    fn a_tunnel_names_the_backend_port_even_when_the_url_omits_it() {
        let uri: Uri = "https://api.example.com/x".parse().unwrap();
        assert_eq!(target_authority(&uri).unwrap(), "api.example.com:443");
        let uri: Uri = "https://127.0.0.1:8443/x".parse().unwrap();
        assert_eq!(target_authority(&uri).unwrap(), "127.0.0.1:8443");
    }
}
