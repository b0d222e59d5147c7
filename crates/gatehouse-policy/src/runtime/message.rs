//! The request and response a pipeline works on.
//!
//! These are the gateway's own types rather than a server library's, so the pipeline can be
//! run without sockets (the `policy test` command, unit tests) and so that APIM semantics
//! (a status reason that can be set, a URL whose parts policies rewrite) have a home.

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, Method};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;

/// Errors a streaming body can raise, boxed so any transport fits.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A body as it arrives from a transport.
pub type StreamBody = UnsyncBoxBody<Bytes, BoxError>;

/// A message body: nothing, bytes in memory, or a stream not read yet.
///
/// Bodies stay streams unless a policy needs their content; the pipeline says so up front
/// (see `Pipeline::reads_request_body`), and the gateway buffers them before it runs.
#[derive(Default)]
pub enum Body {
    /// No body.
    #[default]
    Empty,
    /// The whole body, in memory.
    Full(Bytes),
    /// A body still to be read.
    Stream(StreamBody),
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("Body::Empty"),
            Self::Full(bytes) => write!(f, "Body::Full({} bytes)", bytes.len()),
            Self::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

impl Body {
    /// The content when it is in memory (empty for no body); `None` for an unread stream.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Self::Empty => Some(&[]),
            Self::Full(bytes) => Some(bytes),
            Self::Stream(_) => None,
        }
    }
}

/// Why a body could not be read into memory.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body is longer than the limit.
    #[error("the body is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The stream broke off.
    #[error("the body could not be read: {0}")]
    Broken(BoxError),
}

impl Body {
    /// Makes `headers` frame this body as it will be sent. A body held in memory (set, changed
    /// or read by a policy) has a known length, which replaces the `Content-Length` or
    /// `Transfer-Encoding` the message arrived with: the old length would cut a longer body
    /// short or leave the peer waiting for bytes that never come. A bodiless message without
    /// a `Content-Length` stays without one; a body still streaming keeps its framing.
    pub fn frame(&self, headers: &mut HeaderMap) {
        let length = match self {
            Self::Full(bytes) => bytes.len(),
            Self::Empty => 0,
            Self::Stream(_) => return,
        };
        headers.remove(http::header::TRANSFER_ENCODING);
        if length == 0 && !headers.contains_key(http::header::CONTENT_LENGTH) {
            return;
        }
        headers.insert(
            http::header::CONTENT_LENGTH,
            http::HeaderValue::from(length),
        );
    }

    /// Reads the whole body into memory, refusing more than `limit` bytes.
    ///
    /// # Errors
    /// [`BodyError::TooLarge`] past the limit, [`BodyError::Broken`] when the stream fails.
    pub async fn collect(self, limit: usize) -> Result<Bytes, BodyError> {
        let mut stream = match self {
            Self::Empty => return Ok(Bytes::new()),
            Self::Full(bytes) if bytes.len() <= limit => return Ok(bytes),
            Self::Full(_) => return Err(BodyError::TooLarge { limit }),
            Self::Stream(stream) => stream,
        };
        let mut collected = bytes::BytesMut::new();
        while let Some(frame) = stream.frame().await {
            let Ok(data) = frame.map_err(BodyError::Broken)?.into_data() else {
                continue;
            };
            if collected.len() + data.len() > limit {
                return Err(BodyError::TooLarge { limit });
            }
            collected.extend_from_slice(&data);
        }
        Ok(collected.freeze())
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        if bytes.is_empty() {
            Self::Empty
        } else {
            Self::Full(bytes)
        }
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Bytes::from(text).into()
    }
}

/// A URL split the way APIM's `IUrl` exposes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    /// `http` or `https`.
    pub scheme: String,
    /// Host name or address, without port.
    pub host: String,
    /// Port number (the scheme's default when the URL had none).
    pub port: u16,
    /// Path, starting with `/`, percent-encoded as sent.
    pub path: String,
    /// Query string without `?`, percent-encoded as sent; empty when absent.
    pub query: String,
}

impl Url {
    /// Splits an absolute `scheme://host[:port]/path?query` URL.
    ///
    /// # Errors
    /// A message saying which part is missing or malformed.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| format!("'{text}' is not an absolute URL"))?;
        let (authority, path_and_query) = match rest.find(['/', '?']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        Self::from_parts(scheme, authority, path, query)
            .ok_or_else(|| format!("'{text}' has an invalid host or port"))
    }

    /// A URL from the pieces a request gives apart (`:scheme`, `Host`, path, query), without
    /// joining them into text to split again. An empty path becomes `/`.
    ///
    /// `None` when the authority's host or port is malformed.
    pub fn from_parts(scheme: &str, authority: &str, path: &str, query: &str) -> Option<Self> {
        let scheme = scheme.to_ascii_lowercase();
        let (host, port) = split_authority(authority, default_port(&scheme))?;
        let path = if path.is_empty() { "/" } else { path };
        Some(Self {
            scheme,
            host,
            port,
            path: path.to_owned(),
            query: query.to_owned(),
        })
    }

    /// Whether the port is the scheme's default (then it is left out of the text form).
    pub fn is_default_port(&self) -> bool {
        default_port(&self.scheme) == self.port
    }

    /// `path?query`, or just the path when there is no query.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            return self.path.clone();
        }
        let mut text = String::with_capacity(self.path.len() + 1 + self.query.len());
        text.push_str(&self.path);
        text.push('?');
        text.push_str(&self.query);
        text
    }

    /// `host` or `host:port` as a `Host` header carries it. Built in one allocation: every
    /// forwarded request asks for it, and `format!` cost it twice that and more.
    pub fn authority(&self) -> String {
        // Room for brackets and `:65535`.
        let mut text = String::with_capacity(self.host.len() + 8);
        if self.host.contains(':') {
            text.push('[');
            text.push_str(&self.host);
            text.push(']');
        } else {
            text.push_str(&self.host);
        }
        if !self.is_default_port() {
            text.push(':');
            push_decimal(&mut text, self.port);
        }
        text
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme,
            self.authority(),
            self.path_and_query()
        )
    }
}

/// Appends `n` in decimal, without the formatting machinery.
fn push_decimal(text: &mut String, n: u16) {
    let mut started = false;
    for divisor in [10_000, 1_000, 100, 10, 1] {
        let digit = n / divisor % 10;
        if digit != 0 || started || divisor == 1 {
            started = true;
            text.push(char::from_digit(u32::from(digit), 10).unwrap_or('0'));
        }
    }
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "http" { 80 } else { 443 }
}

fn split_authority(authority: &str, default: u16) -> Option<(String, u16)> {
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => default,
    };
    Some((host.to_owned(), port))
}

/// The request as policies see and change it.
#[derive(Debug)]
pub struct Request {
    /// Method; `set-method` changes it.
    pub method: Method,
    /// The URL the request will be forwarded to once the backend is known; before that, the
    /// gateway URL it arrived on.
    pub url: Url,
    /// Headers; `set-header` changes them.
    pub headers: HeaderMap,
    /// Body; `set-body` changes it.
    pub body: Body,
}

/// The response as policies see and change it.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Reason phrase, when a policy set one; otherwise the standard phrase is used.
    pub reason: Option<String>,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Body,
}

impl Default for Response {
    fn default() -> Self {
        Self {
            status: 200,
            reason: None,
            headers: HeaderMap::new(),
            body: Body::Empty,
        }
    }
}

impl Response {
    /// The reason phrase: the one a policy set, or the standard one for the status.
    pub fn reason_phrase(&self) -> &str {
        if let Some(reason) = &self.reason {
            return reason;
        }
        http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_like_iurl() {
        let url = Url::parse("https://api.example.com:8443/echo/resource?a=1&b=2").unwrap();
        assert_eq!(
            (url.scheme.as_str(), url.host.as_str(), url.port),
            ("https", "api.example.com", 8443)
        );
        assert_eq!(
            (url.path.as_str(), url.query.as_str()),
            ("/echo/resource", "a=1&b=2")
        );
        assert_eq!(
            url.to_string(),
            "https://api.example.com:8443/echo/resource?a=1&b=2"
        );

        let url = Url::parse("http://[::1]/").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("::1", 80));
        assert_eq!(url.to_string(), "http://[::1]/");

        assert_eq!(Url::parse("HTTP://h").unwrap().to_string(), "http://h/");
    }

    #[test]
    fn authorities_bracket_ipv6_hosts_and_name_only_other_than_default_ports() {
        for (text, authority) in [
            ("http://h/", "h"),
            ("https://h:443/", "h"),
            ("http://h:443/", "h:443"),
            ("https://h:1/", "h:1"),
            ("http://h:10/", "h:10"),
            ("http://h:8080/", "h:8080"),
            ("http://h:65535/", "h:65535"),
            ("http://[::1]:9000/", "[::1]:9000"),
            ("https://[fe80::1]/", "[fe80::1]"),
        ] {
            assert_eq!(Url::parse(text).unwrap().authority(), authority, "{text}");
        }
    }

    #[test]
    fn malformed_urls_are_refused() {
        for text in ["/relative", "http://", "http://h:notaport/", "http://[::1/"] {
            assert!(Url::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn reason_phrase_defaults_to_the_standard_one() {
        let mut response = Response {
            status: 403,
            ..Response::default()
        };
        assert_eq!(response.reason_phrase(), "Forbidden");
        response.reason = Some("Invalid client certificate".into());
        assert_eq!(response.reason_phrase(), "Invalid client certificate");
    }
}
