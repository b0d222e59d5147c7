//! `<cache-lookup vary-by-developer="false" vary-by-developer-groups="false"
//! downstream-caching-type="none" must-revalidate="true" allow-private-response-caching="false">`
//! with `<vary-by-header>` and `<vary-by-query-parameter>`: answers a GET from the response
//! cache, skipping the backend (outbound still runs), or notes the key for `cache-store`.
//!
//! As in APIM, only GET requests are cached, and requests with an `Authorization` header only
//! when `allow-private-response-caching` is true. Without `vary-by-query-parameter` every
//! query parameter is part of the key, so different queries never share an answer.

use http::HeaderValue;
use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::execute::Flow;
use crate::runtime::{Body, Exchange, Failure, Response, Services, query_pairs};

#[derive(Clone, Debug)]
pub(crate) struct CacheLookup {
    by_developer: bool,
    headers: Vec<String>,
    parameters: Vec<String>,
    private: Option<Text>,
    downstream: Option<HeaderValue>,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<CacheLookup> {
    let by_developer = cx.flag(element, "vary-by-developer")?;
    let by_groups = cx.flag(element, "vary-by-developer-groups")?;
    let mut lookup = CacheLookup {
        by_developer: by_developer || by_groups,
        headers: Vec::new(),
        parameters: Vec::new(),
        private: cx.text(element, "allow-private-response-caching"),
        downstream: downstream(element, cx)?,
    };
    for child in element.elements() {
        let text = cx.content(child)?;
        let Some(literal) = text.literal() else {
            let message = format!("<{}> must be literal text", child.name);
            cx.error(child.position, Code::ExpressionNotAllowed, message);
            return None;
        };
        let names = literal
            .split(';')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        match child.name.as_str() {
            "vary-by-header" => lookup.headers.extend(names.map(|n| n.to_ascii_lowercase())),
            "vary-by-query-parameter" => lookup.parameters.extend(names),
            _ => {}
        }
    }
    Some(lookup)
}

/// The `Cache-Control` value `downstream-caching-type` asks for, if any.
fn downstream(element: &Element, cx: &mut Compiler<'_>) -> Option<Option<HeaderValue>> {
    let kind = match element.attribute("downstream-caching-type") {
        Some(attribute) => cx
            .value(&attribute.value)?
            .source()
            .trim()
            .to_ascii_lowercase(),
        None => return Some(None),
    };
    let revalidate = cx.flag(element, "must-revalidate").unwrap_or(true);
    let value = match (kind.as_str(), revalidate) {
        ("private" | "public", true) => format!("{kind}, must-revalidate"),
        ("private" | "public", false) => kind,
        _ => return Some(None),
    };
    Some(HeaderValue::from_str(&value).ok())
}

impl CacheLookup {
    pub(crate) fn run(&self, ex: &mut Exchange, services: &Services) -> Result<Flow, Failure> {
        if let Some(skipped) = self.skip_reason(ex)? {
            ex.record("cache-lookup", || json!({ "message": skipped }));
            return Ok(Flow::Next);
        }
        let key = self.key(ex);
        if let Some(value) = &self.downstream {
            ex.exit_headers
                .push((http::header::CACHE_CONTROL, value.clone()));
        }
        let Some(cached) = services.responses.get(&key) else {
            ex.record("cache-lookup", || json!({ "message": "Cache lookup resulted in a miss. Cache key: the request will be forwarded." }));
            ex.cache_key = Some(key);
            return Ok(Flow::Next);
        };

        ex.record(
            "cache-lookup",
            || json!({ "message": "Cache lookup resulted in a hit. Cached response is used." }),
        );
        ex.response = Response {
            status: cached.status,
            reason: cached.reason,
            headers: cached.headers,
            body: Body::from(cached.body),
        };
        ex.responded = true;
        Ok(Flow::Outbound)
    }

    /// Why this request is not served from or stored in the cache, if it is not.
    fn skip_reason(&self, ex: &Exchange) -> Result<Option<&'static str>, Failure> {
        if ex.request.method != http::Method::GET {
            return Ok(Some(
                "Cache lookup was skipped: only GET requests are cached.",
            ));
        }
        if ex.request.headers.contains_key(http::header::AUTHORIZATION)
            && !self.allows_private(ex)?
        {
            return Ok(Some(
                "Cache lookup was skipped: the request has an Authorization header and private response caching is not allowed.",
            ));
        }
        Ok(None)
    }

    fn allows_private(&self, ex: &Exchange) -> Result<bool, Failure> {
        match &self.private {
            None => Ok(false),
            Some(Text::Literal(text)) => Ok(text.trim().eq_ignore_ascii_case("true")),
            Some(Text::Expression(e)) => e
                .evaluate_bool(ex)
                .map_err(|e| Failure::expression("cache-lookup", &e)),
        }
    }

    /// API, operation, path, the query parameters and headers it varies by, and the
    /// developer (subscription) when it varies by developer.
    fn key(&self, ex: &Exchange) -> String {
        let resolved = &ex.resolved;
        let mut key = format!(
            "{}|{}|{}",
            resolved.api.as_ref().map_or("", |a| &*a.id),
            resolved.operation.as_ref().map_or("", |o| &*o.id),
            ex.request.url.path
        );
        let mut parameters: Vec<(String, String)> = query_pairs(&ex.request.url.query)
            .filter(|(name, _)| self.parameters.is_empty() || self.parameters.contains(name))
            .collect();
        parameters.sort();
        for (name, value) in parameters {
            key.push_str(&format!("|q:{name}={value}"));
        }
        for name in &self.headers {
            let values: Vec<&str> = ex
                .request
                .headers
                .get_all(name.as_str())
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            key.push_str(&format!("|h:{name}={}", values.join(",")));
        }
        if self.by_developer {
            key.push_str(&format!(
                "|d:{}",
                resolved.subscription.as_ref().map_or("", |s| &*s.id)
            ));
        }
        key
    }
}
