//! The exchange as expressions see it: APIM's `context`.

use std::sync::Arc;

use gatehouse_cert::{Certificate, VerifyError};
use gatehouse_expr::context::{
    ApiInfo, DeploymentInfo, LastErrorInfo, OperationInfo, ProductInfo, Str, SubscriptionInfo,
    UrlInfo, UserInfo,
};
use gatehouse_expr::{Host, Message, UrlKind, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use super::encoding::decode_component;
use super::exchange::{Exchange, consumed_bit};
use super::message::Url;
use super::trust::TrustCheck;

impl Host for Exchange {
    fn api(&self) -> Option<&ApiInfo> {
        self.resolved.api.as_deref()
    }

    fn operation(&self) -> Option<&OperationInfo> {
        self.resolved.operation.as_deref()
    }

    fn product(&self) -> Option<&ProductInfo> {
        self.resolved.product.as_deref()
    }

    fn subscription(&self) -> Option<&SubscriptionInfo> {
        self.resolved.subscription.as_deref()
    }

    fn user(&self) -> Option<&UserInfo> {
        None
    }

    fn deployment(&self) -> &DeploymentInfo {
        &self.resolved.deployment
    }

    fn last_error(&self) -> Option<&LastErrorInfo> {
        self.last_error.as_ref()
    }

    fn request_id(&self) -> Uuid {
        Exchange::request_id(self)
    }

    fn timestamp(&self) -> OffsetDateTime {
        self.started_at
    }

    fn elapsed(&self) -> time::Duration {
        time::Duration::try_from(self.started.elapsed()).unwrap_or(time::Duration::MAX)
    }

    fn tracing(&self) -> bool {
        self.is_traced()
    }

    fn trace(&self, message: &str) {
        self.record("context.Trace", || serde_json::Value::from(message));
    }

    fn request_method(&self) -> Str {
        self.request.method.as_str().into()
    }

    fn url(&self, which: UrlKind) -> Option<&UrlInfo> {
        match which {
            UrlKind::Request => Some(self.request_url.get_or_init(|| url_info(&self.request.url))),
            UrlKind::Original => Some(self.original_url()),
            UrlKind::ApiServiceUrl => self.resolved.api.as_ref()?.service_url.as_ref(),
        }
    }

    fn client_ip(&self) -> Str {
        self.caller.ip.clone()
    }

    fn matched_parameters(&self) -> &[(Str, Str)] {
        &self.matched_parameters
    }

    fn client_certificate(&self) -> Option<&Certificate> {
        self.caller.certificate.as_ref()
    }

    fn response_status(&self) -> (i32, Str) {
        (
            i32::from(self.response.status),
            self.response.reason_phrase().into(),
        )
    }

    fn header(&self, message: Message, name: &str) -> Option<Vec<Str>> {
        let values: Vec<Str> = self
            .headers(message)
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into())
            .collect();
        (!values.is_empty()).then_some(values)
    }

    fn header_names(&self, message: Message) -> Vec<Str> {
        self.headers(message)
            .keys()
            .map(|k| Str::from(k.as_str()))
            .collect()
    }

    /// APIM hands the body stream to a reader that does not ask to preserve it: later
    /// readers (and the backend or caller) then see an empty body. The bit set here makes
    /// later reads in this step empty, and the runner empties the body after the step.
    fn body(&self, message: Message, preserve_content: bool) -> Option<Arc<[u8]>> {
        let bit = consumed_bit(message);
        if self.consumed.get() & bit != 0 {
            return None;
        }
        let content = self.body_of(message).bytes()?;
        if !preserve_content {
            self.consumed.set(self.consumed.get() | bit);
        }
        (!content.is_empty()).then(|| Arc::from(content))
    }

    fn variable(&self, name: &str) -> Option<Value> {
        self.variables
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| v.clone())
    }

    fn variable_names(&self) -> Vec<Str> {
        self.variables.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Asks the gateway; without its trust decisions nothing verifies. A failure is traced
    /// with its reason, which `Verify()`'s bare `false` does not tell the policy author.
    fn verify_certificate(&self, certificate: &Certificate, check_revocation: bool) -> bool {
        let check = if check_revocation {
            TrustCheck::VERIFY
        } else {
            TrustCheck::VERIFY_NO_REVOCATION
        };
        let verdict = match &self.trust {
            Some(trust) => trust.verify(certificate, check).map(drop),
            None => Err(VerifyError::Untrusted),
        };
        let method = if check_revocation {
            "Verify()"
        } else {
            "VerifyNoRevocation()"
        };
        self.record("certificate-verify", || match &verdict {
            Ok(()) => serde_json::json!({ "message": format!("{method} succeeded."), "thumbprint": &**certificate.thumbprint() }),
            Err(error) => serde_json::json!({ "message": format!("{method} failed: {error}."), "thumbprint": &**certificate.thumbprint() }),
        });
        verdict.is_ok()
    }
}

/// Headers that carry the caller's credentials: a trace shows them masked.
const CREDENTIAL_HEADERS: [http::HeaderName; 3] = [
    http::header::AUTHORIZATION,
    http::header::PROXY_AUTHORIZATION,
    http::header::COOKIE,
];

/// Values shorter than this are masked where they stand (by header or parameter name) but not
/// wherever they occur: masking a one-letter value everywhere would blank the whole trace.
const MIN_MASKED_EVERYWHERE: usize = 6;

impl Exchange {
    /// The request as a trace shows it, with credential headers and the subscription key
    /// masked wherever a caller can send it (the API's names and APIM's standard ones).
    pub fn masked_request_json(&self) -> serde_json::Value {
        let mut headers = self.request.headers.clone();
        let mut url = self.request.url.clone();
        for (header, query) in self.key_parameter_names() {
            if let Some(value) = headers.get_mut(header) {
                *value = http::HeaderValue::from_static(MASK);
            }
            url.query = mask_query(&url.query, query);
        }
        for name in &CREDENTIAL_HEADERS {
            if let http::header::Entry::Occupied(mut entry) = headers.entry(name) {
                for value in entry.iter_mut() {
                    *value = http::HeaderValue::from_static(MASK);
                }
            }
        }
        serde_json::json!({
            "method": self.request.method.as_str(),
            "url": url.to_string(),
            "headers": super::headers_json(&headers),
        })
    }

    /// Where a caller can send a subscription key: the API's header and query names, then
    /// APIM's standard ones (a caller may send the key under them even when the API reads
    /// others).
    fn key_parameter_names(&self) -> [(&str, &str); 2] {
        let standard = ("ocp-apim-subscription-key", "subscription-key");
        let api = self.resolved.api.as_ref().map_or(standard, |api| {
            let names = &api.subscription_key_parameter_names;
            (&*names.header, &*names.query)
        });
        [api, standard]
    }

    /// The caller's credentials as the request arrived: credential headers (whole, and the
    /// part after the scheme) and subscription keys under every name a caller can use. A
    /// trace masks each wherever it appears, since policies may copy them anywhere.
    pub(crate) fn credentials_presented(&self) -> Vec<Arc<str>> {
        let headers = &self.request.headers;
        let mut found: Vec<&str> = Vec::new();
        for name in &CREDENTIAL_HEADERS {
            for value in headers.get_all(name).iter().filter_map(|v| v.to_str().ok()) {
                found.push(value);
                found.extend(
                    value
                        .split_once(' ')
                        .map(|(_, credential)| credential.trim()),
                );
            }
        }
        let mut keys = Vec::new();
        for (header, query) in self.key_parameter_names() {
            found.extend(
                headers
                    .get_all(header)
                    .iter()
                    .filter_map(|v| v.to_str().ok()),
            );
            keys.extend(
                query_pairs(&self.request.url.query)
                    .filter(|(name, _)| name == query)
                    .map(|(_, value)| value),
            );
        }
        found
            .into_iter()
            .map(str::to_owned)
            .chain(keys)
            .filter(|value| value.len() >= MIN_MASKED_EVERYWHERE)
            .map(Arc::from)
            .collect()
    }

    pub(crate) fn headers(&self, message: Message) -> &http::HeaderMap {
        match message {
            Message::Request => &self.request.headers,
            Message::Response => &self.response.headers,
        }
    }

    pub(crate) fn headers_mut(&mut self, message: Message) -> &mut http::HeaderMap {
        match message {
            Message::Request => &mut self.request.headers,
            Message::Response => &mut self.response.headers,
        }
    }
}

/// The `IUrl` view of a URL, with the query split into named parameters.
pub fn url_info(url: &Url) -> UrlInfo {
    let mut query: Vec<(Str, Vec<Str>)> = Vec::new();
    for (name, value) in query_pairs(&url.query) {
        match query.iter_mut().find(|(n, _)| **n == *name) {
            Some((_, values)) => values.push(value.into()),
            None => query.push((name.into(), vec![value.into()])),
        }
    }
    UrlInfo {
        scheme: url.scheme.as_str().into(),
        host: url.host.as_str().into(),
        port: i32::from(url.port),
        path: url.path.as_str().into(),
        query: query.into_iter().map(|(n, v)| (n, v.into())).collect(),
        query_string: if url.query.is_empty() {
            "".into()
        } else {
            format!("?{}", url.query).into()
        },
    }
}

/// The decoded `(name, value)` pairs of a query string, in order.
pub(crate) fn query_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (
            decode_component(name).into_owned(),
            decode_component(value).into_owned(),
        )
    })
}

/// What a secret looks like in a trace.
pub(crate) const MASK: &str = "********";

/// `query` with the value of every `name` parameter replaced by [`MASK`].
pub(crate) fn mask_query(query: &str, name: &str) -> String {
    let pairs = query.split('&').map(|pair| match pair.split_once('=') {
        Some((n, _)) if decode_component(n) == name => format!("{n}={MASK}"),
        _ => pair.to_owned(),
    });
    pairs.collect::<Vec<_>>().join("&")
}
