//! `<cors allow-credentials terminate-unmatched-request>` with `<allowed-origins>`,
//! `<allowed-methods preflight-result-max-age>`, `<allowed-headers>` and `<expose-headers>`:
//! answers CORS preflight requests in inbound, and adds the CORS headers to the responses of
//! cross-origin requests it allows.
//!
//! A request without `Origin` is not cross-origin and passes untouched. A preflight
//! (`OPTIONS` with `Access-Control-Request-Method`) is answered here: 200 with the allowing
//! headers when it matches, an empty 200 when it does not and `terminate-unmatched-request`
//! is on (the default). An actual cross-origin request that matches goes on and gets the
//! headers on its final response; one that does not is answered with an empty 200 for GET and
//! HEAD when terminating, and otherwise goes on without CORS headers.

use http::Method;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use serde_json::json;

use crate::compile::Compiler;
use crate::reader::{Code, Element};
use crate::runtime::execute::Flow;
use crate::runtime::{Exchange, Failure, Response};

/// Methods allowed when the policy lists none.
const DEFAULT_METHODS: [&str; 2] = ["GET", "POST"];

#[derive(Clone, Debug)]
pub(crate) struct Cors {
    credentials: bool,
    terminate: bool,
    origins: Vec<String>,
    methods: Vec<String>,
    max_age: Option<u32>,
    headers: Vec<String>,
    expose: Vec<String>,
}

/// What the policy makes of a request.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// No `Origin`: not a cross-origin request.
    NotCrossOrigin,
    /// Answer with this response now.
    Answer(Response, &'static str),
    /// Go on; add these headers to the final response.
    Allow(Vec<(HeaderName, HeaderValue)>),
    /// Go on without CORS headers.
    Ignore(&'static str),
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<Cors> {
    let mut cors = Cors {
        credentials: cx.flag(element, "allow-credentials").unwrap_or(false),
        terminate: cx
            .flag(element, "terminate-unmatched-request")
            .unwrap_or(true),
        origins: Vec::new(),
        methods: DEFAULT_METHODS.map(str::to_owned).to_vec(),
        max_age: None,
        headers: Vec::new(),
        expose: Vec::new(),
    };
    for child in element.elements() {
        let values = literals(cx, child)?;
        match child.name.as_str() {
            "allowed-origins" => cors.origins = values,
            "allowed-methods" => {
                cors.methods = values.iter().map(|m| m.to_ascii_uppercase()).collect();
                cors.max_age = cx.literal(child, "preflight-result-max-age", "a number of seconds");
            }
            "allowed-headers" => cors.headers = values,
            "expose-headers" => cors.expose = values,
            _ => {}
        }
    }
    if cors.credentials && cors.origins.iter().any(|o| o == "*") {
        let message = "allow-credentials=\"true\" cannot be combined with the origin '*': browsers refuse credentials for any origin; list the origins";
        cx.error(element.position, Code::InvalidValue, message);
        return None;
    }
    Some(cors)
}

/// The literal texts of a list element's children (`<origin>`, `<method>`, `<header>`).
fn literals(cx: &mut Compiler<'_>, list: &Element) -> Option<Vec<String>> {
    let mut values = Vec::new();
    for item in list.elements() {
        let text = cx.content(item)?;
        let Some(literal) = text.literal() else {
            let message = format!(
                "<{}> values of <cors> must be literal text, not expressions",
                item.name
            );
            cx.error(item.position, Code::ExpressionNotAllowed, message);
            return None;
        };
        values.push(literal.trim().to_owned());
    }
    Some(values)
}

impl Cors {
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<Flow, Failure> {
        let verdict = self.judge(&ex.request.method, &ex.request.headers);
        let flow = match verdict {
            Verdict::NotCrossOrigin => {
                ex.record("cors", || json!("Origin header was missing or empty and the request was classified as not cross-domain. CORS policy was not applied."));
                Flow::Next
            }
            Verdict::Answer(response, message) => {
                ex.record("cors", || json!(message));
                ex.response = response;
                ex.responded = true;
                Flow::Stop
            }
            Verdict::Allow(headers) => {
                ex.record("cors", || json!("Cross-origin request was allowed; CORS headers will be added to the response."));
                ex.exit_headers.extend(headers);
                Flow::Next
            }
            Verdict::Ignore(message) => {
                ex.record("cors", || json!(message));
                Flow::Next
            }
        };
        Ok(flow)
    }

    /// What the policy makes of a request with `method` and `headers`.
    pub(crate) fn judge(&self, method: &Method, headers: &HeaderMap) -> Verdict {
        let Some(origin) = header_text(headers, header::ORIGIN).filter(|o| !o.is_empty()) else {
            return Verdict::NotCrossOrigin;
        };
        let requested = header_text(headers, header::ACCESS_CONTROL_REQUEST_METHOD);
        match requested {
            Some(requested) if method == Method::OPTIONS => {
                self.preflight(&origin, &requested, headers)
            }
            _ => self.actual(&origin, method),
        }
    }

    fn preflight(&self, origin: &str, requested: &str, headers: &HeaderMap) -> Verdict {
        let asked_headers: Vec<String> =
            header_text(headers, header::ACCESS_CONTROL_REQUEST_HEADERS)
                .map(|h| {
                    h.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
        let matches = self.allows_origin(origin)
            && self.allows_method(requested)
            && asked_headers.iter().all(|h| self.allows_header(h));
        if !matches {
            return self.unmatched(true, "Preflight request did not match the CORS policy.");
        }

        let mut response = Response::default();
        for (name, value) in self.origin_headers(origin) {
            response.headers.insert(name, value);
        }
        insert(
            &mut response.headers,
            header::ACCESS_CONTROL_ALLOW_METHODS,
            requested,
        );
        if !asked_headers.is_empty() {
            insert(
                &mut response.headers,
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                &asked_headers.join(","),
            );
        }
        if let Some(age) = self.max_age.filter(|a| *a > 0) {
            insert(
                &mut response.headers,
                header::ACCESS_CONTROL_MAX_AGE,
                &age.to_string(),
            );
        }
        Verdict::Answer(
            response,
            "Preflight request was answered by the CORS policy.",
        )
    }

    fn actual(&self, origin: &str, method: &Method) -> Verdict {
        if !self.allows_origin(origin) || !self.allows_method(method.as_str()) {
            let simple = matches!(*method, Method::GET | Method::HEAD);
            return self.unmatched(
                simple,
                "Cross-origin request did not match the CORS policy.",
            );
        }
        let mut headers = self.origin_headers(origin);
        if !self.expose.is_empty()
            && let Ok(value) = HeaderValue::from_str(&self.expose.join(","))
        {
            headers.push((header::ACCESS_CONTROL_EXPOSE_HEADERS, value));
        }
        Verdict::Allow(headers)
    }

    /// An empty 200 when terminating applies, else go on without headers.
    fn unmatched(&self, may_terminate: bool, message: &'static str) -> Verdict {
        if self.terminate && may_terminate {
            Verdict::Answer(Response::default(), message)
        } else {
            Verdict::Ignore(message)
        }
    }

    /// `Access-Control-Allow-Origin` (the caller's origin, or `*` for an open policy without
    /// credentials), `-Credentials`, and `Vary: Origin` when the answer depends on it.
    fn origin_headers(&self, origin: &str) -> Vec<(HeaderName, HeaderValue)> {
        let open = self.origins.iter().any(|o| o == "*") && !self.credentials;
        let mut headers = Vec::new();
        let allowed = if open { "*" } else { origin };
        if let Ok(value) = HeaderValue::from_str(allowed) {
            headers.push((header::ACCESS_CONTROL_ALLOW_ORIGIN, value));
        }
        if self.credentials {
            headers.push((
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            ));
        }
        if !open {
            headers.push((header::VARY, HeaderValue::from_static("Origin")));
        }
        headers
    }

    fn allows_origin(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/');
        self.origins
            .iter()
            .any(|o| o == "*" || o.trim_end_matches('/').eq_ignore_ascii_case(origin))
    }

    fn allows_method(&self, method: &str) -> bool {
        self.methods
            .iter()
            .any(|m| m == "*" || m.eq_ignore_ascii_case(method))
    }

    fn allows_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|h| h == "*" || h.eq_ignore_ascii_case(name))
    }
}

fn header_text(headers: &HeaderMap, name: HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}
