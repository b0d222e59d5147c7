//! One request's state as the pipeline runs: the request and response being shaped, the
//! variables policies set, the error that sent it to `on-error`, and the static facts (API,
//! operation, product, subscription, deployment) it resolved to. It is APIM's `context`: the
//! [`Host`](gatehouse_expr::Host) implementation expressions read through (in `host.rs`).

use std::borrow::Cow;
use std::cell::{Cell, OnceCell, RefCell};
use std::sync::Arc;
use std::time::Instant;

use gatehouse_cert::Certificate;
use gatehouse_expr::context::{
    ApiInfo, DeploymentInfo, LastErrorInfo, OperationInfo, ProductInfo, Str, SubscriptionInfo,
    UrlInfo,
};
use gatehouse_expr::{Message, Value};
use http::{HeaderName, HeaderValue};
use time::OffsetDateTime;
use uuid::Uuid;

use super::finish::Deferred;
use super::host::url_info;
use super::message::{Body, Request, Response, Url};
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
    /// The operation's documented responses, for `mock-response`.
    pub examples: Arc<[ResponseExample]>,
}

/// One documented response of an operation (APIM's `responses[]`): what `mock-response`
/// answers with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponseExample {
    /// The status code it documents.
    pub status: u16,
    /// Its representations: content type and example bodies, in order.
    pub representations: Vec<Representation>,
}

/// One representation of a documented response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Representation {
    /// `application/json`, ...
    pub content_type: String,
    /// Example bodies, as text, in order.
    pub examples: Vec<String>,
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
    pub(crate) resolved: Resolved,
    pub(crate) caller: Caller,
    /// The URL the caller used; its `IUrl` view is built only when a policy reads it.
    original_url: Url,
    original_url_info: OnceCell<UrlInfo>,
    pub(crate) request_url: OnceCell<UrlInfo>,
    pub(crate) matched_parameters: Vec<(Str, Str)>,
    pub(crate) variables: Vec<(Str, Value)>,
    pub(crate) last_error: Option<LastErrorInfo>,
    request_id: Uuid,
    pub(crate) started: Instant,
    pub(crate) started_at: OffsetDateTime,
    pub(crate) section: Section,
    trace: RefCell<Option<Trace>>,
    /// The backend's base URL (the API's service URL until `set-backend-service`): what
    /// `rewrite-uri` templates are relative to.
    pub(crate) backend_base: Option<Url>,
    /// Headers `cors` adds to whatever response is finally sent.
    pub(crate) exit_headers: Vec<(HeaderName, HeaderValue)>,
    /// Counting done once the response is known (`increment-condition`, bandwidth).
    pub(crate) deferred: Vec<Deferred>,
    /// The key a `cache-lookup` missed, for `cache-store`.
    pub(crate) cache_key: Option<String>,
    /// Bodies read by an expression without `preserveContent: true`: request bit 1,
    /// response bit 2. The runner empties them after the step, as APIM's stream is consumed.
    pub(crate) consumed: Cell<u8>,
    /// Values of secret named values, masked in the trace.
    pub(crate) secrets: Arc<[Arc<str>]>,
    /// The caller's credentials and subscription keys as the request arrived, masked in the
    /// trace wherever they appear (filled only for traced requests).
    caller_secrets: Vec<Arc<str>>,
    /// The client certificate `authentication-certificate` chose for the backend.
    pub(crate) client_identity: Option<Arc<super::ClientIdentity>>,
    /// How the backend's TLS certificate is checked: the backend entity's settings after
    /// `set-backend-service backend-id`, strict otherwise.
    pub(crate) backend_tls: super::BackendTls,
    /// The HTTP proxy `proxy` chose for `forward-request`.
    pub(crate) proxy: Option<Arc<super::HttpProxy>>,
    /// The gateway's trust decisions about the caller's certificate; `None` verifies nothing.
    pub(crate) trust: Option<Arc<dyn super::CertificateTrust>>,
}

impl Exchange {
    /// Starts an exchange for `request`, which arrived at `started` on `original_url`.
    pub fn new(
        request: Request,
        original_url: Url,
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
            original_url,
            original_url_info: OnceCell::new(),
            request_url: OnceCell::new(),
            matched_parameters: Vec::new(),
            variables: Vec::new(),
            last_error: None,
            request_id: request_id(),
            started,
            started_at,
            section: Section::Inbound,
            trace: RefCell::new(None),
            backend_base: None,
            exit_headers: Vec::new(),
            deferred: Vec::new(),
            cache_key: None,
            consumed: Cell::new(0),
            secrets: Arc::new([]),
            caller_secrets: Vec::new(),
            client_identity: None,
            backend_tls: super::BackendTls::default(),
            proxy: None,
            trust: None,
        }
    }

    /// `context.Request.OriginalUrl`: the URL the caller used.
    pub(crate) fn original_url(&self) -> &UrlInfo {
        self.original_url_info
            .get_or_init(|| url_info(&self.original_url))
    }

    /// Sets the template parameters the operation matched.
    pub fn with_matched_parameters(mut self, parameters: Vec<(Str, Str)>) -> Self {
        self.matched_parameters = parameters;
        self
    }

    /// Sets the backend's base URL (the API's service URL), which `rewrite-uri` templates are
    /// relative to and `set-backend-service` replaces.
    pub fn with_backend_base(mut self, base: Option<Url>) -> Self {
        self.backend_base = base;
        self
    }

    /// Lets `Verify()`, `VerifyNoRevocation()` and `validate-client-certificate` ask the
    /// gateway about the caller's certificate. Without it no certificate verifies.
    pub fn with_trust(mut self, trust: Arc<dyn super::CertificateTrust>) -> Self {
        self.trust = Some(trust);
        self
    }

    /// The gateway's trust decisions, if it gave any.
    pub fn trust(&self) -> Option<&Arc<dyn super::CertificateTrust>> {
        self.trust.as_ref()
    }

    /// Turns on recording; traced requests carry a [`Trace`].
    pub fn with_trace(mut self) -> Self {
        *self.trace.borrow_mut() = Some(Trace::start(self.started));
        self.caller_secrets = self.credentials_presented();
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
        self.record_as(section, Cow::Borrowed(source), data);
    }

    /// Records a trace entry with a source chosen at run time (the `trace` policy's).
    pub fn record_as(
        &self,
        section: Section,
        source: Cow<'static, str>,
        data: impl FnOnce() -> serde_json::Value,
    ) {
        if let Some(trace) = self.trace.borrow_mut().as_mut() {
            trace.record(section, source, data());
        }
    }

    /// Takes the finished trace, if the request was traced, with the values of secret named
    /// values masked wherever they appear.
    pub fn take_trace(&mut self) -> Option<Trace> {
        let mut trace = self.trace.get_mut().take()?;
        trace.mask(&self.secrets);
        trace.mask(&self.caller_secrets);
        Some(trace)
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

    /// The message the current section works on: the request in inbound and backend, the
    /// response in outbound and on-error.
    pub(crate) fn current_message(&self) -> Message {
        if self.section.works_on_request() {
            Message::Request
        } else {
            Message::Response
        }
    }

    /// The body of `message`.
    pub(crate) fn body_of(&self, message: Message) -> &Body {
        match message {
            Message::Request => &self.request.body,
            Message::Response => &self.response.body,
        }
    }

    /// Replaces the body of `message`; a body a policy sets is not a consumed stream.
    pub(crate) fn set_body(&mut self, message: Message, body: Body) {
        let bit = consumed_bit(message);
        self.consumed.set(self.consumed.get() & !bit);
        match message {
            Message::Request => self.request.body = body,
            Message::Response => self.response.body = body,
        }
    }

    /// Empties the bodies an expression read without `preserveContent: true`.
    pub(crate) fn settle_consumed(&mut self) {
        let consumed = self.consumed.replace(0);
        if consumed & consumed_bit(Message::Request) != 0 {
            self.request.body = Body::Empty;
        }
        if consumed & consumed_bit(Message::Response) != 0 {
            self.response.body = Body::Empty;
        }
    }
}

/// A random (version 4) request id from the thread's generator: `Uuid::new_v4` asks the
/// kernel for every id, which costs a system call per request.
fn request_id() -> Uuid {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid()
}

/// The bit of [`Exchange::consumed`] for `message`.
pub(crate) fn consumed_bit(message: Message) -> u8 {
    match message {
        Message::Request => 1,
        Message::Response => 2,
    }
}
