//! Running policies in tests: a fake backend that records what reached it, in-process
//! services on a manual clock, and a request builder.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use gatehouse_expr::context::{
    ApiInfo, DeploymentInfo, OperationInfo, ProductInfo, Str, SubscriptionInfo,
};
use gatehouse_policy::compile::{Environment, ScopeLevel, compile_document_with};
use gatehouse_policy::pipeline::Pipeline;
use gatehouse_policy::runtime::{
    self, Backend, Body, Caller, Exchange, Failure, ForwardError, ForwardOptions, HttpProxy,
    ManualClock, Outcome, Request, Resolved, Response, ResponseExample, Services, Url,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method};

/// A request as it reached the fake backend.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub url: String,
    pub headers: HeaderMap,
    pub body: String,
    /// The thumbprint of the client certificate it was sent with, if any.
    pub certificate: Option<String>,
    /// The HTTP proxy it was sent through, if any.
    pub proxy: Option<HttpProxy>,
}

/// A canned answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Answer {
    pub fn new(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
}

/// A backend answering from a queue of answers (then a default 200), recording calls.
#[derive(Debug, Default)]
pub struct FakeBackend {
    answers: Mutex<VecDeque<Answer>>,
    received: Mutex<Vec<Received>>,
    slept: Mutex<Vec<Duration>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FakeBackend {
    pub fn answer(&self, answer: Answer) {
        lock(&self.answers).push_back(answer);
    }

    pub fn received(&self) -> Vec<Received> {
        lock(&self.received).clone()
    }

    pub fn slept(&self) -> Vec<Duration> {
        lock(&self.slept).clone()
    }

    fn respond(&self, request: Request, options: &ForwardOptions) -> Response {
        let body = match &request.body {
            Body::Full(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            _ => String::new(),
        };
        lock(&self.received).push(Received {
            method: request.method.to_string(),
            url: request.url.to_string(),
            headers: request.headers,
            body,
            certificate: options
                .client_identity
                .as_ref()
                .map(|i| i.thumbprint.to_string()),
            proxy: options.proxy.as_deref().cloned(),
        });
        let answer = lock(&self.answers)
            .pop_front()
            .unwrap_or_else(|| Answer::new(200, "from the backend").header("x-backend", "fake"));
        let mut headers = HeaderMap::new();
        for (name, value) in answer.headers {
            headers.append(
                name,
                HeaderValue::from_str(&value).expect("a valid header value"),
            );
        }
        Response {
            status: answer.status,
            reason: None,
            headers,
            body: Body::from(Bytes::from(answer.body)),
        }
    }
}

impl Backend for FakeBackend {
    async fn forward(
        &self,
        request: Request,
        options: &ForwardOptions,
    ) -> Result<Response, ForwardError> {
        Ok(self.respond(request, options))
    }

    async fn send_one_way(&self, request: Request, options: ForwardOptions) {
        self.respond(request, &options);
    }

    async fn sleep(&self, duration: Duration) {
        lock(&self.slept).push(duration);
    }
}

/// A request to run a policy against.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub ip: String,
    pub subscription: Option<String>,
    pub parameters: Vec<(String, String)>,
    pub template: String,
    pub examples: Vec<ResponseExample>,
    pub traced: bool,
    /// The client certificate, and the gateway's trust decisions about it.
    pub certificate: Option<gatehouse_cert::Certificate>,
    pub trust: Option<Arc<dyn runtime::CertificateTrust>>,
}

impl Call {
    pub fn get(url: &str) -> Self {
        Self {
            method: Method::GET,
            url: url.to_owned(),
            headers: Vec::new(),
            body: None,
            ip: "203.0.113.7".into(),
            subscription: Some("sub-1".into()),
            parameters: Vec::new(),
            template: "/resource".into(),
            examples: Vec::new(),
            traced: true,
            certificate: None,
            trust: None,
        }
    }

    /// Presents `certificate`, judged by `trust`.
    pub fn certificate(
        mut self,
        certificate: gatehouse_cert::Certificate,
        trust: Arc<dyn runtime::CertificateTrust>,
    ) -> Self {
        self.certificate = Some(certificate);
        self.trust = Some(trust);
        self
    }

    pub fn method(mut self, method: &str) -> Self {
        self.method = Method::from_bytes(method.as_bytes()).expect("a method");
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn body(mut self, body: &str) -> Self {
        self.body = Some(body.to_owned());
        self
    }

    pub fn ip(mut self, ip: &str) -> Self {
        self.ip = ip.to_owned();
        self
    }

    pub fn subscription(mut self, id: Option<&str>) -> Self {
        self.subscription = id.map(str::to_owned);
        self
    }

    pub fn parameter(mut self, name: &str, value: &str) -> Self {
        self.parameters.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn template(mut self, template: &str) -> Self {
        self.template = template.to_owned();
        self
    }

    pub fn examples(mut self, examples: Vec<ResponseExample>) -> Self {
        self.examples = examples;
        self
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct Ran {
    pub status: u16,
    pub reason: String,
    pub headers: HeaderMap,
    pub body: String,
    pub failure: Option<Failure>,
    pub trace: serde_json::Value,
}

impl Ran {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The failure's `LastError.Reason`, if the pipeline failed.
    pub fn reason_code(&self) -> Option<&str> {
        self.failure.as_ref().map(|f| &*f.reason)
    }

    /// The sources of the trace entries of `section`, in order.
    pub fn sources(&self, section: &str) -> Vec<String> {
        self.trace["traceEntries"][section]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| e["source"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A gateway in a test: an environment, services on a manual clock and a fake backend.
#[derive(Debug)]
pub struct TestGateway {
    pub env: Environment,
    pub clock: Arc<ManualClock>,
    pub services: Services,
    pub backend: FakeBackend,
}

impl Default for TestGateway {
    fn default() -> Self {
        Self::with_env(Environment::new())
    }
}

impl TestGateway {
    pub fn with_env(env: Environment) -> Self {
        let clock = Arc::new(ManualClock::default());
        Self {
            env,
            services: Services::in_memory_with_clock(clock.clone()),
            clock,
            backend: FakeBackend::default(),
        }
    }

    /// Compiles `policy` at API scope (the rest of the scopes empty) and runs it.
    pub fn run(&self, policy: &str, call: Call) -> Ran {
        let document = compile_document_with(policy, ScopeLevel::Api, &self.env)
            .unwrap_or_else(|e| panic!("the policy compiles: {e:#?}"));
        let pipeline = Pipeline::join(None, None, Some(&document), None);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        runtime.block_on(self.execute(&pipeline, call))
    }

    async fn execute(&self, pipeline: &Pipeline, call: Call) -> Ran {
        let mut exchange = exchange(call);
        let outcome = runtime::run(pipeline, &mut exchange, &self.backend, &self.services).await;
        exchange
            .buffer_response_body()
            .await
            .expect("the response body reads");
        let trace = exchange
            .take_trace()
            .map(|t| t.to_json("test", "trace"))
            .unwrap_or_default();
        let response = &exchange.response;
        Ran {
            status: response.status,
            reason: response.reason_phrase().to_owned(),
            headers: response.headers.clone(),
            body: String::from_utf8_lossy(response.body.bytes().unwrap_or_default()).into_owned(),
            failure: match outcome {
                Outcome::Failed(failure) => Some(failure),
                Outcome::Completed => None,
            },
            trace,
        }
    }
}

/// The API the test requests go to: `https://gateway.test/api/...`, forwarded to
/// `http://backend.test/base/...`.
pub const GATEWAY: &str = "https://gateway.test/api";
pub const BACKEND: &str = "http://backend.test/base";

fn exchange(call: Call) -> Exchange {
    let original = Url::parse(&call.url).expect("a test URL");
    let service = Url::parse(BACKEND).expect("the backend URL");
    let below = original.path.strip_prefix("/api").unwrap_or(&original.path);
    let forwarded = Url {
        path: format!("{}{below}", service.path),
        query: original.query.clone(),
        ..service.clone()
    };
    let mut headers = HeaderMap::new();
    for (name, value) in &call.headers {
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            HeaderValue::from_str(value).expect("a header value"),
        );
    }
    let request = Request {
        method: call.method.clone(),
        url: forwarded,
        headers,
        body: call.body.clone().map(Body::from).unwrap_or_default(),
    };
    let caller = Caller {
        ip: call.ip.as_str().into(),
        certificate: call.certificate.clone(),
    };
    let parameters = call
        .parameters
        .iter()
        .map(|(n, v)| (Str::from(n.as_str()), Str::from(v.as_str())))
        .collect();
    let mut exchange = Exchange::new(request, original, resolved(&call), caller, Instant::now())
        .with_matched_parameters(parameters)
        .with_backend_base(Some(service));
    if let Some(trust) = call.trust.clone() {
        exchange = exchange.with_trust(trust);
    }
    if call.traced {
        exchange.with_trace()
    } else {
        exchange
    }
}

fn resolved(call: &Call) -> Resolved {
    let api = ApiInfo {
        id: "test-api".into(),
        name: "Test API".into(),
        path: "api".into(),
        service_url: Some(runtime::url_info(
            &Url::parse(BACKEND).expect("the backend URL"),
        )),
        ..ApiInfo::default()
    };
    let operation = OperationInfo {
        id: "test-operation".into(),
        method: call.method.as_str().into(),
        name: "Test operation".into(),
        url_template: call.template.as_str().into(),
    };
    let subscription = call.subscription.as_deref().map(|id| {
        Arc::new(SubscriptionInfo {
            id: id.into(),
            key: "key".into(),
            name: id.into(),
            primary_key: "key".into(),
            secondary_key: "other".into(),
            created_date: time::OffsetDateTime::UNIX_EPOCH,
            start_date: None,
            end_date: None,
        })
    });
    Resolved {
        api: Some(Arc::new(api)),
        operation: Some(Arc::new(operation)),
        product: Some(Arc::new(ProductInfo {
            id: "starter".into(),
            name: "Starter".into(),
            ..ProductInfo::default()
        })),
        subscription,
        deployment: Arc::new(DeploymentInfo::default()),
        examples: call.examples.clone().into(),
    }
}

/// `<policies><inbound>{inbound}</inbound><backend><forward-request/></backend><outbound>{outbound}</outbound><on-error>{on_error}</on-error></policies>`
pub fn policy(inbound: &str, outbound: &str, on_error: &str) -> String {
    format!(
        "<policies><inbound>{inbound}</inbound><backend><forward-request /></backend><outbound>{outbound}</outbound><on-error>{on_error}</on-error></policies>"
    )
}
