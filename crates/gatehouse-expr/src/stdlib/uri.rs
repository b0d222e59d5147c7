//! `System.Uri` for absolute URLs: `new Uri(text).Host`, `.AbsolutePath`, `.Query`….

use std::sync::Arc;

use super::{Func, Prop, non_null};
use crate::context::UrlInfo;
use crate::error::EvalError;
use crate::eval::Machine;
use crate::types::Ty;
use crate::value::Value;

/// A `Uri` member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UriProp {
    Scheme,
    Host,
    Port,
    AbsolutePath,
    AbsoluteUri,
    Query,
    PathAndQuery,
    Authority,
    IsDefaultPort,
}

/// `new Uri(text)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UriFn {
    New,
}

pub(crate) fn property(ty: &Ty, name: &str) -> Option<(Prop, Ty)> {
    if *ty != Ty::Uri {
        return None;
    }
    let (prop, result) = match name {
        "Scheme" => (UriProp::Scheme, Ty::String),
        "Host" | "DnsSafeHost" => (UriProp::Host, Ty::String),
        "Port" => (UriProp::Port, Ty::Int),
        "AbsolutePath" | "LocalPath" => (UriProp::AbsolutePath, Ty::String),
        "AbsoluteUri" | "OriginalString" => (UriProp::AbsoluteUri, Ty::String),
        "Query" => (UriProp::Query, Ty::String),
        "PathAndQuery" => (UriProp::PathAndQuery, Ty::String),
        "Authority" => (UriProp::Authority, Ty::String),
        "IsDefaultPort" => (UriProp::IsDefaultPort, Ty::Bool),
        _ => return None,
    };
    Some((Prop::Uri(prop), result))
}

pub(crate) fn constructor(ty: &Ty, args: &[Ty]) -> Option<Result<Func, String>> {
    match (ty, args.len()) {
        (Ty::Uri, 1 | 2) => Some(Ok(Func::Uri(UriFn::New))),
        (Ty::Uri, _) => Some(Err(
            "this 'Uri' constructor is not supported by Gatehouse".to_owned()
        )),
        _ => None,
    }
}

pub(crate) fn get(target: Value, prop: UriProp) -> Result<Value, EvalError> {
    let Value::Uri(url) = non_null(target)? else {
        return Err(EvalError::NullReference);
    };
    let default_port = default_port(&url.scheme) == Some(url.port);
    let authority = if default_port {
        url.host.to_string()
    } else {
        format!("{}:{}", url.host, url.port)
    };
    Ok(match prop {
        UriProp::Scheme => Value::Str(url.scheme.clone()),
        UriProp::Host => Value::Str(url.host.clone()),
        UriProp::Port => Value::Int(url.port),
        UriProp::AbsolutePath => Value::Str(url.path.clone()),
        UriProp::AbsoluteUri => Value::from(url.to_url_string()),
        UriProp::Query => Value::Str(url.query_string.clone()),
        UriProp::PathAndQuery => Value::from(format!("{}{}", url.path, url.query_string)),
        UriProp::Authority => Value::from(authority),
        UriProp::IsDefaultPort => Value::Bool(default_port),
    })
}

pub(crate) fn call(m: &Machine<'_>, _f: UriFn, args: &[Value]) -> Result<Value, EvalError> {
    let text = match args.first() {
        Some(Value::Null) | None => {
            return Err(EvalError::argument(
                "Value cannot be null. (Parameter 'uriString')",
            ));
        }
        Some(value) => m.display(value),
    };
    let url = parse(&text).ok_or_else(|| {
        EvalError::format("Invalid URI: The format of the URI could not be determined.")
    })?;
    Ok(Value::Uri(Arc::new(url)))
}

fn default_port(scheme: &str) -> Option<i32> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        "ftp" => Some(21),
        _ => None,
    }
}

/// Parses an absolute URL: `scheme://[user@]host[:port][/path][?query][#fragment]`.
fn parse(text: &str) -> Option<UrlInfo> {
    let (scheme, rest) = text.trim().split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    let rest = rest.split('#').next().unwrap_or("");
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => {
            (host, port.parse().ok()?)
        }
        _ => (host_port, default_port(&scheme).unwrap_or(-1)),
    };
    if host.is_empty() {
        return None;
    }
    let (path, query) = tail.split_at(tail.find('?').unwrap_or(tail.len()));
    let path = if path.is_empty() { "/" } else { path };
    Some(UrlInfo {
        scheme: scheme.into(),
        host: host.to_ascii_lowercase().into(),
        port,
        path: path.into(),
        query: Arc::new([]),
        query_string: query.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_absolute_urls() {
        let url = parse("HTTPS://Example.com:8443/a/b?x=1#frag").expect("parses");

        assert_eq!(
            (&*url.scheme, &*url.host, url.port),
            ("https", "example.com", 8443)
        );
        assert_eq!((&*url.path, &*url.query_string), ("/a/b", "?x=1"));
        assert_eq!(parse("http://host").expect("parses").path.as_ref(), "/");
        assert!(parse("/relative").is_none());
    }
}
