//! The `context` object model, as the policy runtime provides it.
//!
//! An expression never owns request state. It reads `context` through [`Host`], which the policy
//! runtime implements once per request. Member names are resolved when the expression is
//! compiled; at run time a [`HostObject`] handle (a `Copy` enum such as
//! `HostObject::Headers(Message::Request)`) stands for a `context` member, and reading through it
//! is a trait call, so reaching `context.Request.Certificate.Thumbprint` allocates nothing.
//!
//! [`StaticHost`] is a plain-data implementation for tests and benchmarks.

use std::sync::{Arc, Mutex, PoisonError};

use gatehouse_cert::Certificate;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::context::{
    ApiInfo, DeploymentInfo, LastErrorInfo, OperationInfo, ProductInfo, Str, SubscriptionInfo,
    UrlInfo, UserInfo,
};
use crate::value::Value;

/// Which HTTP message: `context.Request` or `context.Response`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Message {
    Request,
    Response,
}

/// Which `IUrl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UrlKind {
    /// `context.Request.Url`: the URL as rewritten so far (backend-relative after `rewrite-uri`).
    Request,
    /// `context.Request.OriginalUrl`: the URL the caller sent.
    Original,
    /// `context.Api.ServiceUrl`.
    ApiServiceUrl,
}

/// Whose groups: `context.Product.Groups` or `context.User.Groups`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GroupOwner {
    Product,
    User,
}

/// A handle to an object of the `context` model. Cheap to copy; reading through it asks the
/// [`Host`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HostObject {
    Context,
    Api,
    Operation,
    Product,
    Subscription,
    User,
    Deployment,
    LastError,
    Request,
    Response,
    /// `Request.Headers` / `Response.Headers`: `IReadOnlyDictionary<string, string[]>`.
    Headers(Message),
    /// `Request.Body` / `Response.Body`: `IMessageBody`.
    Body(Message),
    Url(UrlKind),
    /// `IUrl.Query`: `IReadOnlyDictionary<string, string[]>`.
    Query(UrlKind),
    /// `Request.MatchedParameters`: `IReadOnlyDictionary<string, string>`.
    MatchedParameters,
    /// `context.Variables`: `IReadOnlyDictionary<string, object>`.
    Variables,
    /// `Deployment.Certificates`: `IReadOnlyDictionary<string, X509Certificate2>`.
    DeploymentCertificates,
    /// One `KeyValuePair<string, X509Certificate2>` of `Deployment.Certificates`, by index.
    DeploymentCertificate(u32),
    /// `Api.SubscriptionKeyParameterNames`.
    KeyParameterNames,
    /// `Product.Groups` / `User.Groups`.
    Groups(GroupOwner),
    /// One group, by index.
    Group(GroupOwner, u32),
}

/// APIM's `context`, provided per request by the policy runtime.
///
/// Object-safe and synchronous: expressions run to completion without awaiting. Everything the
/// runtime cannot know returns `None`/empty and the expression sees `null`. Methods returning
/// references let a runtime serve static data straight from its configuration snapshot.
pub trait Host {
    /// `context.Api`; `None` before an API was matched.
    fn api(&self) -> Option<&ApiInfo>;
    /// `context.Operation`.
    fn operation(&self) -> Option<&OperationInfo>;
    /// `context.Product`; `None` without a product-scoped subscription.
    fn product(&self) -> Option<&ProductInfo>;
    /// `context.Subscription`; `None` for anonymous calls.
    fn subscription(&self) -> Option<&SubscriptionInfo>;
    /// `context.User`.
    fn user(&self) -> Option<&UserInfo>;
    /// `context.Deployment`.
    fn deployment(&self) -> &DeploymentInfo;
    /// `context.LastError`; `None` outside `on-error`.
    fn last_error(&self) -> Option<&LastErrorInfo>;
    /// `context.RequestId`.
    fn request_id(&self) -> Uuid;
    /// `context.Timestamp`: when the request arrived, in UTC.
    fn timestamp(&self) -> OffsetDateTime;
    /// `context.Elapsed`: time since the request arrived.
    fn elapsed(&self) -> Duration;
    /// `context.Tracing`: whether the request is being traced.
    fn tracing(&self) -> bool;
    /// `context.Trace(message)`: adds a message to the request trace when tracing.
    fn trace(&self, message: &str);

    /// `context.Request.Method`.
    fn request_method(&self) -> Str;
    /// `context.Request.Url` and `OriginalUrl` (`Api.ServiceUrl` comes from [`Host::api`]).
    fn url(&self, which: UrlKind) -> Option<&UrlInfo>;
    /// `context.Request.IpAddress`.
    fn client_ip(&self) -> Str;
    /// `context.Request.MatchedParameters`, in template order.
    fn matched_parameters(&self) -> &[(Str, Str)];
    /// `context.Request.Certificate`: the client certificate, when one was presented.
    fn client_certificate(&self) -> Option<&Certificate>;
    /// `context.Response.StatusCode` and `StatusReason`.
    fn response_status(&self) -> (i32, Str);
    /// All values of header `name` (case-insensitive) in order, or `None` when absent.
    fn header(&self, message: Message, name: &str) -> Option<Vec<Str>>;
    /// The header names present, in order.
    fn header_names(&self, message: Message) -> Vec<Str>;
    /// The message body, or `None` when there is none. Without `preserve_content` APIM hands
    /// the stream to the reader, so later reads see an empty body; the host decides.
    fn body(&self, message: Message, preserve_content: bool) -> Option<Arc<[u8]>>;
    /// `context.Variables[name]`.
    fn variable(&self, name: &str) -> Option<Value>;
    /// The names in `context.Variables`, in insertion order.
    fn variable_names(&self) -> Vec<Str>;

    /// The clock behind `DateTime.UtcNow`/`Now`, overridable so tests are deterministic.
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    /// `X509Certificate2.Verify()` (`check_revocation`) and `VerifyNoRevocation()`: whether the
    /// certificate chains to a trusted CA of the gateway. Without a CA store nothing verifies,
    /// which fails closed.
    fn verify_certificate(&self, certificate: &Certificate, check_revocation: bool) -> bool {
        let _ = (certificate, check_revocation);
        false
    }
}

/// A [`Host`] built from plain data, for tests and benchmarks here and in other crates.
///
/// Fields are public; build it with `StaticHost::default()` and struct update syntax, then the
/// `with_*` helpers. Messages passed to `Trace` are collected in `traces`.
#[derive(Debug, Default)]
pub struct StaticHost {
    pub api: Option<ApiInfo>,
    pub operation: Option<OperationInfo>,
    pub product: Option<ProductInfo>,
    pub subscription: Option<SubscriptionInfo>,
    pub user: Option<UserInfo>,
    pub deployment: DeploymentInfo,
    pub last_error: Option<LastErrorInfo>,
    pub request_id: Uuid,
    pub timestamp: Option<OffsetDateTime>,
    pub elapsed: Duration,
    pub tracing: bool,
    pub method: Option<Str>,
    pub url: Option<UrlInfo>,
    pub original_url: Option<UrlInfo>,
    pub client_ip: Option<Str>,
    pub matched_parameters: Vec<(Str, Str)>,
    pub certificate: Option<Certificate>,
    pub status: Option<(i32, Str)>,
    pub request_headers: Vec<(Str, Str)>,
    pub response_headers: Vec<(Str, Str)>,
    pub request_body: Option<Arc<[u8]>>,
    pub response_body: Option<Arc<[u8]>>,
    pub variables: Vec<(Str, Value)>,
    /// The fixed clock for `DateTime.UtcNow`; the real clock when `None`.
    pub now: Option<OffsetDateTime>,
    /// Certificates `Verify()` accepts (by thumbprint): a stand-in for a CA store.
    pub trusted: Vec<Certificate>,
    pub traces: Mutex<Vec<String>>,
}

impl StaticHost {
    /// Adds a request header (repeat for several values).
    pub fn with_request_header(mut self, name: &str, value: &str) -> Self {
        self.request_headers.push((name.into(), value.into()));
        self
    }

    /// Adds a response header.
    pub fn with_response_header(mut self, name: &str, value: &str) -> Self {
        self.response_headers.push((name.into(), value.into()));
        self
    }

    /// Sets a variable, replacing an earlier one of the same name.
    pub fn with_variable(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.variables.retain(|(n, _)| &**n != name);
        self.variables.push((name.into(), value.into()));
        self
    }

    /// Sets the request body.
    pub fn with_request_body(mut self, body: &str) -> Self {
        self.request_body = Some(Arc::from(body.as_bytes()));
        self
    }

    /// The messages collected by `context.Trace`.
    pub fn traced(&self) -> Vec<String> {
        self.traces
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn headers(&self, message: Message) -> &[(Str, Str)] {
        match message {
            Message::Request => &self.request_headers,
            Message::Response => &self.response_headers,
        }
    }
}

impl Host for StaticHost {
    fn api(&self) -> Option<&ApiInfo> {
        self.api.as_ref()
    }

    fn operation(&self) -> Option<&OperationInfo> {
        self.operation.as_ref()
    }

    fn product(&self) -> Option<&ProductInfo> {
        self.product.as_ref()
    }

    fn subscription(&self) -> Option<&SubscriptionInfo> {
        self.subscription.as_ref()
    }

    fn user(&self) -> Option<&UserInfo> {
        self.user.as_ref()
    }

    fn deployment(&self) -> &DeploymentInfo {
        &self.deployment
    }

    fn last_error(&self) -> Option<&LastErrorInfo> {
        self.last_error.as_ref()
    }

    fn request_id(&self) -> Uuid {
        self.request_id
    }

    fn timestamp(&self) -> OffsetDateTime {
        self.timestamp.unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    fn elapsed(&self) -> Duration {
        self.elapsed
    }

    fn tracing(&self) -> bool {
        self.tracing
    }

    fn trace(&self, message: &str) {
        let mut traces = self.traces.lock().unwrap_or_else(PoisonError::into_inner);
        traces.push(message.to_owned());
    }

    fn request_method(&self) -> Str {
        self.method.clone().unwrap_or_else(|| "GET".into())
    }

    fn url(&self, which: UrlKind) -> Option<&UrlInfo> {
        match which {
            UrlKind::Request => self.url.as_ref(),
            UrlKind::Original => self.original_url.as_ref().or(self.url.as_ref()),
            UrlKind::ApiServiceUrl => self.api.as_ref()?.service_url.as_ref(),
        }
    }

    fn client_ip(&self) -> Str {
        self.client_ip.clone().unwrap_or_else(|| "127.0.0.1".into())
    }

    fn matched_parameters(&self) -> &[(Str, Str)] {
        &self.matched_parameters
    }

    fn client_certificate(&self) -> Option<&Certificate> {
        self.certificate.as_ref()
    }

    fn response_status(&self) -> (i32, Str) {
        self.status.clone().unwrap_or_else(|| (200, "OK".into()))
    }

    fn header(&self, message: Message, name: &str) -> Option<Vec<Str>> {
        let values: Vec<Str> = self
            .headers(message)
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect();
        (!values.is_empty()).then_some(values)
    }

    fn header_names(&self, message: Message) -> Vec<Str> {
        let mut names: Vec<Str> = Vec::new();
        for (name, _) in self.headers(message) {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                names.push(name.clone());
            }
        }
        names
    }

    fn body(&self, message: Message, _preserve_content: bool) -> Option<Arc<[u8]>> {
        match message {
            Message::Request => self.request_body.clone(),
            Message::Response => self.response_body.clone(),
        }
    }

    fn variable(&self, name: &str) -> Option<Value> {
        let found = self.variables.iter().find(|(n, _)| &**n == name);
        found.map(|(_, v)| v.clone())
    }

    fn variable_names(&self) -> Vec<Str> {
        self.variables.iter().map(|(n, _)| n.clone()).collect()
    }

    fn now(&self) -> OffsetDateTime {
        self.now.unwrap_or_else(OffsetDateTime::now_utc)
    }

    fn verify_certificate(&self, certificate: &Certificate, _check_revocation: bool) -> bool {
        self.trusted
            .iter()
            .any(|t| t.thumbprint() == certificate.thumbprint())
    }
}
