//! `forward-request follow-redirects="true"`: the policy runtime follows the backend's
//! redirects itself, so every backend implementation behaves the same and every hop is traced.
//!
//! The rules are the ones HTTP clients share:
//! - 301, 302, 303, 307 and 308 with a `Location` are followed, at most [`MAX_REDIRECTS`]
//!   times; after that the last redirect goes back to the caller, as .NET's `HttpClient`
//!   returns it.
//! - 303 turns the request into a `GET` without a body (a `HEAD` stays a `HEAD`); 301 and 302
//!   do the same for a `POST`, as browsers and `HttpClient` do. Otherwise the method and the
//!   body are sent again, which needs the body in memory: the pipeline buffers request bodies
//!   when a `forward-request` follows redirects, and a body still streaming is never replayed
//!   (the redirect goes back to the caller instead).
//! - Only `http` and `https` targets are followed, and never from `https` to `http`.
//! - Credentials never leave the origin they were sent to: on a hop to another scheme, host
//!   or port, `Authorization`, `Proxy-Authorization`, `Cookie` and the subscription key header
//!   are removed, and the client certificate of `authentication-certificate` is not presented.
//!   They stay removed for the hops after it.

use bytes::Bytes;
use http::header::{
    AUTHORIZATION, CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_LENGTH, CONTENT_LOCATION,
    CONTENT_TYPE, COOKIE, HOST, LOCATION, PROXY_AUTHORIZATION, TRANSFER_ENCODING,
};
use http::{HeaderMap, HeaderName, Method};
use serde_json::json;

use crate::runtime::execute::Cx;
use crate::runtime::{Backend, Body, Exchange, Failure, ForwardOptions, Request, Response, Url};

/// The most redirects one `forward-request` follows: what common HTTP clients allow by
/// default (`reqwest` 10, browsers 20), small enough that a redirect loop ends quickly.
pub(crate) const MAX_REDIRECTS: usize = 10;

/// The header APIM reads subscription keys from when an API names no other.
const DEFAULT_KEY_HEADER: &str = "ocp-apim-subscription-key";

/// A request as sent on one hop, kept to build the next one.
#[derive(Debug)]
pub(super) struct Sent {
    pub(super) method: Method,
    pub(super) url: Url,
    pub(super) headers: HeaderMap,
    /// The body, or `None` for a stream that has been sent and cannot be sent again.
    pub(super) body: Option<Bytes>,
}

impl Sent {
    fn request(&self) -> Request {
        let body = self.body.clone().map(Body::from).unwrap_or_default();
        Request {
            method: self.method.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            body,
        }
    }
}

/// Follows the redirects `response` starts, returning the first response that is not one
/// to follow. `ex` is only read (for the API's key header and the trace); it is borrowed
/// mutably because a shared borrow of it cannot be held across an `await` in a `Send` future.
///
/// # Errors
/// The backend failure of a hop, as `forward-request` reports its own.
pub(super) async fn follow<B: Backend>(
    ex: &mut Exchange,
    cx: &Cx<'_, B>,
    options: &ForwardOptions,
    mut sent: Sent,
    mut response: Response,
) -> Result<Response, Failure> {
    let key_headers = key_headers(ex);
    let mut options = options.clone();
    for _ in 0..MAX_REDIRECTS {
        let Some(next) = next_hop(&sent, &response, &key_headers) else {
            return Ok(response);
        };
        ex.record("forward-request", || {
            json!({ "message": format!(
                "Following the backend's {} redirect to {}",
                response.status, next.url
            )})
        });
        if !same_origin(&sent.url, &next.url) {
            options.client_identity = None;
        }

        response = cx
            .backend
            .forward(next.request(), &options)
            .await
            .map_err(|e| Failure::backend(e.reason(), e.to_string()))?;
        sent = next;
    }
    Ok(response)
}

/// The subscription key headers to keep from other origins: the API's and APIM's default.
fn key_headers(ex: &Exchange) -> Vec<HeaderName> {
    let configured = ex.resolved.api.as_ref().map(|api| {
        api.subscription_key_parameter_names
            .header
            .to_ascii_lowercase()
    });
    [Some(DEFAULT_KEY_HEADER.to_owned()), configured]
        .into_iter()
        .flatten()
        .filter_map(|name| HeaderName::from_bytes(name.as_bytes()).ok())
        .collect()
}

/// The request for the hop `response` asks for, or `None` when it is not a redirect to
/// follow.
fn next_hop(sent: &Sent, response: &Response, key_headers: &[HeaderName]) -> Option<Sent> {
    if !matches!(response.status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response.headers.get(LOCATION)?.to_str().ok()?;
    let url = resolve(&sent.url, location)?;
    if sent.url.scheme == "https" && url.scheme == "http" {
        return None;
    }

    let becomes_get = match response.status {
        303 => sent.method != Method::HEAD,
        301 | 302 => sent.method == Method::POST,
        _ => false,
    };
    let mut headers = sent.headers.clone();
    headers.remove(HOST);
    let (method, body) = if becomes_get {
        for name in [
            CONTENT_ENCODING,
            CONTENT_LANGUAGE,
            CONTENT_LENGTH,
            CONTENT_LOCATION,
            CONTENT_TYPE,
            TRANSFER_ENCODING,
        ] {
            headers.remove(name);
        }
        (Method::GET, Bytes::new())
    } else {
        (sent.method.clone(), sent.body.clone()?)
    };
    if !same_origin(&sent.url, &url) {
        for name in [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE] {
            headers.remove(name);
        }
        for name in key_headers {
            headers.remove(name);
        }
    }
    Some(Sent {
        method,
        url,
        headers,
        body: Some(body),
    })
}

/// Same scheme, host and port.
fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme == b.scheme && a.host.eq_ignore_ascii_case(&b.host) && a.port == b.port
}

/// Resolves a `Location` against the URL it answered (RFC 3986, section 5.2); `None` for a
/// target that is not `http` or `https`. The fragment is dropped: it is never sent.
pub(super) fn resolve(base: &Url, location: &str) -> Option<Url> {
    let location = location.trim();
    let location = location.split('#').next().unwrap_or_default();
    if has_scheme(location) {
        let url = Url::parse(location).ok()?;
        return matches!(url.scheme.as_str(), "http" | "https").then_some(url);
    }
    if let Some(rest) = location.strip_prefix("//") {
        return Url::parse(&format!("{}://{rest}", base.scheme)).ok();
    }
    let (path, query) = match location.split_once('?') {
        Some((path, query)) => (path, query.to_owned()),
        None if location.is_empty() => ("", base.query.clone()),
        None => (location, String::new()),
    };
    let path = match path {
        "" => base.path.clone(),
        absolute if absolute.starts_with('/') => remove_dot_segments(absolute),
        relative => {
            let directory = base.path.rsplit_once('/').map_or("", |(dir, _)| dir);
            remove_dot_segments(&format!("{directory}/{relative}"))
        }
    };
    Some(Url {
        path,
        query,
        ..base.clone()
    })
}

/// Whether a reference starts with `scheme:` (a letter, then letters, digits, `+`, `-`, `.`).
fn has_scheme(reference: &str) -> bool {
    let Some((scheme, _)) = reference.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Removes `.` and `..` segments from an absolute path.
fn remove_dot_segments(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." | ".." if i == last => {
                if *segment == ".." {
                    kept.pop();
                }
                kept.push("");
            }
            "." => {}
            ".." => {
                kept.pop();
            }
            other => kept.push(other),
        }
    }
    format!("/{}", kept.join("/"))
}

#[cfg(test)]
#[path = "redirect_tests.rs"]
mod tests;
