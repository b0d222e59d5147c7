//! What the pipeline needs from the outside world: a way to call the backend.
//!
//! The gateway implements [`Backend`] over real sockets; `policy test` and unit tests
//! implement it with canned responses. Keeping the trait here keeps this crate free of
//! server and client libraries.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use super::message::{Request, Response};

/// APIM's default `forward-request` timeout.
pub const DEFAULT_FORWARD_TIMEOUT: Duration = Duration::from_secs(300);

/// APIM's default `send-request` timeout.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// How `forward-request` and `send-request` call a backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardOptions {
    /// How long to wait for the backend's response headers.
    pub timeout: Duration,
    /// Whether to follow redirects instead of returning them to the caller.
    pub follow_redirects: bool,
    /// The client certificate to present to the backend (`authentication-certificate`).
    pub client_identity: Option<Arc<ClientIdentity>>,
    /// How the backend's certificate is checked (strict unless a backend entity relaxes it).
    pub tls: BackendTls,
    /// The HTTP proxy the request goes through (`proxy`), if any.
    pub proxy: Option<Arc<HttpProxy>>,
}

impl Default for ForwardOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_FORWARD_TIMEOUT,
            follow_redirects: false,
            client_identity: None,
            tls: BackendTls::default(),
            proxy: None,
        }
    }
}

/// How the backend's TLS certificate is checked: APIM's `tls` settings of a backend entity.
/// Both checks are on unless a backend entity turns one off by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BackendTls {
    /// The certificate must chain to a trusted root (`tls.validateCertificateChain`).
    pub validate_certificate_chain: bool,
    /// The certificate must name the host called (`tls.validateCertificateName`).
    pub validate_certificate_name: bool,
}

impl Default for BackendTls {
    fn default() -> Self {
        Self {
            validate_certificate_chain: true,
            validate_certificate_name: true,
        }
    }
}

impl BackendTls {
    /// Whether both checks are on.
    pub fn is_strict(&self) -> bool {
        self.validate_certificate_chain && self.validate_certificate_name
    }
}

/// A certificate and its private key, presented to a backend that asks for one.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The certificate's thumbprint: what a client for it is cached under.
    pub thumbprint: Arc<str>,
    /// The certificate and the chain sent with it, DER, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// The private key, PKCS#8 DER. A secret.
    pub key: Arc<[u8]>,
}

impl fmt::Debug for ClientIdentity {
    /// The private key never reaches logs through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("thumbprint", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

/// An HTTP proxy between the gateway and a backend (`<proxy url="http://host:port"/>`).
///
/// As in APIM, the gateway speaks plain HTTP to the proxy and authenticates with Basic
/// credentials when given: `http://` backends get absolute-form requests, `https://` ones a
/// `CONNECT` tunnel with TLS to the backend inside it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct HttpProxy {
    /// The proxy's host name or IP address (an IPv6 address without brackets).
    pub host: String,
    /// The proxy's port (80 when the URL names none).
    pub port: u16,
    /// The user name for Basic authentication with the proxy.
    pub username: Option<String>,
    /// The password for Basic authentication with the proxy. A secret.
    pub password: Option<String>,
}

impl HttpProxy {
    /// Reads a proxy URL of the form `http://host:port`.
    ///
    /// # Errors
    /// Says what is wrong: another scheme (APIM too speaks only HTTP to proxies),
    /// credentials, a path or query in the URL, or a bad host or port.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let rest = url
            .get(..7)
            .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
            .map(|_| &url[7..])
            .ok_or(
                "the proxy URL must start with http:// (the gateway speaks plain HTTP to proxies)",
            )?;
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#']) {
            return Err("the proxy URL must have no path or query: http://host:port".to_owned());
        }
        if authority.contains('@') {
            return Err(
                "put the proxy's credentials in 'username' and 'password', not in the URL"
                    .to_owned(),
            );
        }
        let (host, port) = split_host_port(authority)?;
        Ok(Self {
            host,
            port,
            username: None,
            password: None,
        })
    }

    /// `host:port` as a request target or `Host` value (IPv6 in brackets).
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The `Proxy-Authorization` value when a user name was given.
    pub fn authorization(&self) -> Option<String> {
        use base64::Engine;

        let username = self.username.as_deref()?;
        let password = self.password.as_deref().unwrap_or("");
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        Some(format!("Basic {encoded}"))
    }
}

/// Splits `host:port` (`[v6]:port`); the port defaults to 80.
fn split_host_port(authority: &str) -> Result<(String, u16), String> {
    let bad_port = || format!("'{authority}' has no valid port (1-65535)");
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or("an IPv6 address needs its closing ']'")?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err(format!("'{authority}' names no valid proxy host"));
    }
    let port = match port {
        None => 80,
        Some(port) => port.parse().ok().filter(|p| *p != 0).ok_or_else(bad_port)?,
    };
    Ok((host.to_owned(), port))
}

impl fmt::Debug for HttpProxy {
    /// The password never reaches logs through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpProxy")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Why the backend could not be called. Each maps to an APIM `LastError.Reason`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ForwardError {
    /// No response headers within the timeout (`Timeout`).
    #[error("Request to the backend service timed out after {} seconds.", .0.as_secs())]
    Timeout(Duration),

    /// The connection could not be made or broke (`BackendConnectionFailure`).
    #[error("Error occured while calling backend service: {0}")]
    Connection(String),

    /// There is nothing to forward to: the API has no service URL and no policy set one.
    #[error("Backend service URL is not defined.")]
    NoServiceUrl,

    /// The backend URL cannot be called (`BackendConnectionFailure`).
    #[error("Backend service URL '{0}' is not supported.")]
    UnsupportedUrl(String),
}

impl ForwardError {
    /// APIM's `LastError.Reason` for this failure.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Timeout(_) => "Timeout",
            Self::Connection(_) | Self::UnsupportedUrl(_) | Self::NoServiceUrl => {
                "BackendConnectionFailure"
            }
        }
    }
}

/// The outside world as a pipeline sees it: the backend and other HTTP services it calls,
/// and the passing of time.
///
/// The gateway implements it over real sockets and timers; `policy test` and unit tests with
/// canned responses. Keeping it a trait keeps this crate free of server, client and runtime
/// libraries.
pub trait Backend: Send + Sync {
    /// Sends `request` to the backend it is addressed to (`request.url`) for
    /// `forward-request`, and returns the response, body unread. The request is the
    /// pipeline's copy: policies keep reading `context.Request` afterwards.
    fn forward<'a>(
        &'a self,
        request: Request,
        options: &'a ForwardOptions,
    ) -> impl Future<Output = Result<Response, ForwardError>> + Send + 'a;

    /// Sends a request a policy built (`send-request`) and returns the response, body unread.
    /// By default the same as [`Backend::forward`].
    fn send<'a>(
        &'a self,
        request: Request,
        options: &'a ForwardOptions,
    ) -> impl Future<Output = Result<Response, ForwardError>> + Send + 'a {
        self.forward(request, options)
    }

    /// Sends a request without waiting for the answer (`send-one-way-request`). The gateway
    /// hands it to a background task; by default it is sent and its answer dropped.
    fn send_one_way<'a>(
        &'a self,
        request: Request,
        options: ForwardOptions,
    ) -> impl Future<Output = ()> + Send + 'a {
        async move {
            let _ = self.send(request, &options).await;
        }
    }

    /// Waits for `duration` (`wait`, `retry` intervals).
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + '_;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_url_gives_host_and_port_with_80_by_default() {
        let cases = [
            ("http://proxy.example:3128", "proxy.example", 3128),
            ("HTTP://proxy.example/", "proxy.example", 80),
            ("http://[::1]:8080", "::1", 8080),
            (" http://10.0.0.1:1 ", "10.0.0.1", 1),
        ];
        for (url, host, port) in cases {
            let proxy = HttpProxy::parse(url).unwrap();
            assert_eq!((proxy.host.as_str(), proxy.port), (host, port), "{url}");
        }
        assert_eq!(
            HttpProxy::parse("http://[::1]:8080").unwrap().authority(),
            "[::1]:8080"
        );
    }

    #[test]
    fn a_proxy_url_that_is_not_plain_http_host_and_port_is_refused() {
        for url in [
            "https://proxy.example",
            "socks5://proxy.example:1080",
            "http://",
            "http://proxy.example:99999",
            "http://proxy.example:x",
            "http://[::1:8080",
            "http://a b:80",
        ] {
            assert!(HttpProxy::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn basic_credentials_need_a_user_name() {
        let mut proxy = HttpProxy::parse("http://p:1").unwrap();
        assert_eq!(proxy.authorization(), None);
        proxy.username = Some("Aladdin".into());
        proxy.password = Some("open sesame".into());
        assert_eq!(
            proxy.authorization().as_deref(),
            Some("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
    }
}
