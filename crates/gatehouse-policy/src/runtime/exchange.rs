//! One request's state as the pipeline runs: the request and response being shaped, the
//! variables policies set, the error that sent it to `on-error`, and the static facts (API,
//! operation, product, subscription, deployment) it resolved to. It is APIM's `context`: the
//! [`Host`] implementation expressions read through.

use std::cell::{OnceCell, RefCell};
use std::sync::Arc;
use std::time::Instant;

use gatehouse_cert::Certificate;
use gatehouse_expr::context::{
    ApiInfo, DeploymentInfo, LastErrorInfo, OperationInfo, ProductInfo, Str, SubscriptionInfo,
    UrlInfo, UserInfo,
};
use gatehouse_expr::{Host, Message, UrlKind, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use super::encoding::decode_component;
use super::message::{Request, Response, Url};
use super::trace::{Section, Trace};

/// What a request resolved to before its pipeline runs. Built by the gateway from its
/// configuration snapshot; everything is shared, so building one costs a few reference counts.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// `context.Api`.
    pub api: Option<Arc<ApiInfo>>,
    /// `context.Operation`.
    pub operation: Option<Arc<OperationInfo>>,
    /// `context.Product`.
    pub product: Option<Arc<ProductInfo>>,
    /// `context.Subscription`.
    pub subscription: Option<Arc<SubscriptionInfo>>,
    /// `context.Deployment`.
    pub deployment: Arc<DeploymentInfo>,
}

/// Facts about the caller's connection.
#[derive(Clone, Debug)]
pub struct Caller {
    /// `context.Request.IpAddress`.
    pub ip: Str,
    /// `context.Request.Certificate`.
    pub certificate: Option<Certificate>,
}

/// One request's pipeline state.
#[derive(Debug)]
pub struct Exchange {
    /// The request; `request.url` is where it will be forwarded.
    pub request: Request,
    /// The response being built.
    pub response: Response,
    /// Whether `response` came from the backend or a policy, rather than being the default.
    pub(crate) responded: bool,
    resolved: Resolved,
    caller: Caller,
    original_url: UrlInfo,
    request_url: OnceCell<UrlInfo>,
    matched_parameters: Vec<(Str, Str)>,
    variables: Vec<(Str, Value)>,
    last_error: Option<LastErrorInfo>,
    request_id: Uuid,
    started: Instant,
    started_at: OffsetDateTime,
    pub(crate) section: Section,
    trace: RefCell<Option<Trace>>,
}

impl Exchange {
    /// Starts an exchange for `request`, which arrived at `started` on `original_url`.
    pub fn new(
        request: Request,
        original_url: &Url,
        resolved: Resolved,
        caller: Caller,
        started: Instant,
    ) -> Self {
        let started_at = OffsetDateTime::now_utc() - started.elapsed();
        Self {
            request,
            response: Response::default(),
            responded: false,
            resolved,
            caller,
            original_url: url_info(original_url),
            request_url: OnceCell::new(),
            matched_parameters: Vec::new(),
            variables: Vec::new(),
            last_error: None,
            request_id: Uuid::new_v4(),
            started,
            started_at,
            section: Section::Inbound,
            trace: RefCell::new(None),
        }
    }

    /// Sets the template parameters the operation matched.
    pub fn with_matched_parameters(mut self, parameters: Vec<(Str, Str)>) -> Self {
        self.matched_parameters = parameters;
        self
    }

    /// Turns on recording; traced requests carry a [`Trace`].
    pub fn with_trace(self) -> Self {
        *self.trace.borrow_mut() = Some(Trace::start(self.started));
        self
    }

    /// The request's id, `context.RequestId`.
    pub fn request_id(&self) -> Uuid {
        self.request_id
    }

    /// When the request arrived.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// What the request resolved to.
    pub fn resolved(&self) -> &Resolved {
        &self.resolved
    }

    /// The caller's connection facts.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// Whether the request is traced.
    pub fn is_traced(&self) -> bool {
        self.trace.borrow().is_some()
    }

    /// Records a trace entry in the current section, when tracing.
    pub fn record(&self, source: &'static str, data: impl FnOnce() -> serde_json::Value) {
        self.record_in(self.section, source, data);
    }

    /// Records a trace entry in `section`, when tracing. `data` is only built when tracing.
    pub fn record_in(
        &self,
        section: Section,
        source: &'static str,
        data: impl FnOnce() -> serde_json::Value,
    ) {
        if let Some(trace) = self.trace.borrow_mut().as_mut() {
            trace.record(section, source, data());
        }
    }

    /// Takes the finished trace, if the request was traced.
    pub fn take_trace(&mut self) -> Option<Trace> {
        self.trace.get_mut().take()
    }

    /// Sets `context.Variables[name]`.
    pub fn set_variable(&mut self, name: &Str, value: Value) {
        match self.variables.iter_mut().find(|(n, _)| n == name) {
            Some((_, slot)) => *slot = value,
            None => self.variables.push((name.clone(), value)),
        }
    }

    /// Sets `context.LastError` on the way to `on-error`.
    pub fn set_last_error(&mut self, error: LastErrorInfo) {
        self.last_error = Some(error);
    }

    /// Points the request at a new URL (`set-backend-service`, `rewrite-uri`, forwarding).
    pub fn set_request_url(&mut self, url: Url) {
        self.request.url = url;
        self.request_url = OnceCell::new();
    }
}

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
        self.request_id
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
            UrlKind::Original => Some(&self.original_url),
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

    fn body(&self, message: Message, _preserve_content: bool) -> Option<Arc<[u8]>> {
        let body = match message {
            Message::Request => &self.request.body,
            Message::Response => &self.response.body,
        };
        body.bytes().filter(|b| !b.is_empty()).map(Arc::from)
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
}

impl Exchange {
    /// The request as a trace shows it, with the subscription key masked wherever the API
    /// reads it from (header and query).
    pub fn masked_request_json(&self) -> serde_json::Value {
        let names = self
            .resolved
            .api
            .as_ref()
            .map(|api| &api.subscription_key_parameter_names);
        let mut headers = self.request.headers.clone();
        let mut url = self.request.url.clone();
        if let Some(names) = names {
            if let Some(value) = headers.get_mut(&*names.header) {
                *value = http::HeaderValue::from_static(MASK);
            }
            url.query = mask_query(&url.query, &names.query);
        }
        serde_json::json!({
            "method": self.request.method.as_str(),
            "url": url.to_string(),
            "headers": super::headers_json(&headers),
        })
    }

    fn headers(&self, message: Message) -> &http::HeaderMap {
        match message {
            Message::Request => &self.request.headers,
            Message::Response => &self.response.headers,
        }
    }
}

/// The `IUrl` view of a URL, with the query split into named parameters.
pub fn url_info(url: &Url) -> UrlInfo {
    let mut query: Vec<(Str, Vec<Str>)> = Vec::new();
    for pair in url.query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value: Str = decode_component(value).into();
        match query.iter_mut().find(|(n, _)| &**n == name) {
            Some((_, values)) => values.push(value),
            None => query.push((decode_component(name).into(), vec![value])),
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
