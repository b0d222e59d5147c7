//! `gatehouse policy test POLICY.xml --request REQUEST.json`: runs a policy against a
//! described request, with a canned backend, and prints the response and the trace. No
//! gateway, store or network is involved.
//!
//! The request file's format is [`REQUEST_FORMAT`], which `--help` prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use gatehouse_expr::context::{self as cx, Str};
use gatehouse_policy::compile::{Environment, ScopeLevel, compile_document_with};
use gatehouse_policy::pipeline::Pipeline;
use gatehouse_policy::runtime::{
    self, Backend, Body, Caller, Exchange, ForwardError, ForwardOptions, Outcome, Request,
    Resolved, Response, Services, Url,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use serde_json::Value;

/// The request file's fields, shown by `gatehouse policy test --help`.
pub(crate) const REQUEST_FORMAT: &str = r#"The request file (paths in it are relative to it); every field is optional:

{
  "method": "GET",
  "url": "https://gateway.local/echo/resource?param1=sample",
  "headers": { "Accept": "application/json" },
  "body": "text, or any JSON value",
  "clientIp": "203.0.113.7",
  "clientCertificate": "client.pem", "clientCertificatePassword": "for a PFX",
  "api": { "id": "echo-api", "name": "Echo API", "path": "echo", "serviceUrl": "http://backend.local/api" },
  "operation": { "id": "get", "method": "GET", "urlTemplate": "/resource", "responses": [] },
  "matchedParameters": { "id": "42" },
  "subscription": { "id": "demo", "name": "Demo", "key": "abc" },
  "product": { "id": "starter", "name": "Starter" },
  "namedValues": { "name": "value", "secret-name": { "value": "s3cret", "secret": true } },
  "fragments": { "fragment-id": "fragment.xml" },
  "backends": { "backend-id": "http://orders.local" },
  "backend": { "status": 200, "headers": { "Content-Type": "application/json" }, "body": { "ok": true } },
  "responses": [ { "url": "https://other.local/", "status": 404 } ]
}

`backend` answers forward-request and every send-request unless a `responses` entry's
`url` is a prefix of the request's URL."#;

/// Runs `policy` against the request described in `request`.
///
/// # Errors
/// When a file cannot be read, the request description is malformed or the policy does not
/// compile (its diagnostics are printed first).
pub(crate) fn run(policy: &Path, request: &Path) -> Result<ExitCode> {
    let source = std::fs::read_to_string(policy)
        .with_context(|| format!("cannot read {}", policy.display()))?;
    let text = std::fs::read_to_string(request)
        .with_context(|| format!("cannot read {}", request.display()))?;
    let spec: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", request.display()))?;
    let base = request.parent().unwrap_or(Path::new(".")).to_owned();

    let env = environment(&spec, &base)?;
    let document = match compile_document_with(&source, ScopeLevel::Api, &env) {
        Ok(document) => document,
        Err(diagnostics) => {
            for diagnostic in diagnostics {
                println!("{}:{diagnostic}", policy.display());
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let pipeline = Pipeline::join(None, None, Some(&document), None);
    let backend = CannedBackend::from_spec(&spec)?;
    let exchange = exchange(&spec, &base)?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (outcome, exchange) = runtime.block_on(execute(&pipeline, exchange, &backend));
    print_result(outcome, exchange, &backend);
    Ok(ExitCode::SUCCESS)
}

async fn execute(
    pipeline: &Pipeline,
    mut exchange: Exchange,
    backend: &CannedBackend,
) -> (Outcome, Exchange) {
    let services = Services::in_memory();
    let outcome = runtime::run(pipeline, &mut exchange, backend, &services).await;
    if let Err(error) = exchange.buffer_response_body().await {
        eprintln!(
            "warning: the response body could not be read: {}",
            error.message
        );
    }
    (outcome, exchange)
}

fn print_result(outcome: Outcome, mut exchange: Exchange, backend: &CannedBackend) {
    let response = &exchange.response;
    println!("HTTP/1.1 {} {}", response.status, response.reason_phrase());
    for (name, value) in &response.headers {
        println!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
    }
    println!();
    if let Some(body) = response.body.bytes() {
        println!("{}", String::from_utf8_lossy(body));
    }
    if let Outcome::Failed(failure) = &outcome {
        println!(
            "\nFailed: {} in {}: {}",
            failure.reason, failure.source, failure.message
        );
    }
    println!("\nBackend calls:");
    for call in backend.calls() {
        println!("  {call}");
    }
    if let Some(trace) = exchange.take_trace() {
        let document = trace.to_json("gatehouse", "policy-test");
        println!(
            "\nTrace:\n{}",
            serde_json::to_string_pretty(&document).unwrap_or_default()
        );
    }
}

// ----- the environment -----

fn environment(spec: &Value, base: &Path) -> Result<Environment> {
    let mut env = Environment::new();
    for (name, value) in object(spec, "namedValues") {
        env = match value {
            Value::Object(_) => {
                let text = value
                    .get("value")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let secret = value
                    .get("secret")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                env.with_named_value(name, text, secret)
            }
            other => env.with_named_value(name, &text_of(other), false),
        };
    }
    for (id, file) in object(spec, "fragments") {
        let path = base.join(file.as_str().context("fragments map ids to file names")?);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        env = env.with_fragment(id, &text);
    }
    for (id, url) in object(spec, "backends") {
        let url = Url::parse(url.as_str().unwrap_or_default()).map_err(anyhow::Error::msg)?;
        env = env.with_backend(id, url);
    }
    Ok(env)
}

fn object<'v>(spec: &'v Value, key: &str) -> impl Iterator<Item = (&'v String, &'v Value)> {
    spec.get(key)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn str_of(value: &Value, key: &str) -> Option<Str> {
    value.get(key).and_then(Value::as_str).map(Str::from)
}

// ----- the request -----

fn exchange(spec: &Value, base: &Path) -> Result<Exchange> {
    let method = spec.get("method").and_then(Value::as_str).unwrap_or("GET");
    let method =
        Method::from_bytes(method.to_ascii_uppercase().as_bytes()).context("invalid method")?;
    let url_text = spec
        .get("url")
        .and_then(Value::as_str)
        .context("the request needs a \"url\"")?;
    let original = Url::parse(url_text).map_err(anyhow::Error::msg)?;
    let api = api_info(spec)?;
    let service_url = match spec
        .get("api")
        .and_then(|a| a.get("serviceUrl"))
        .and_then(Value::as_str)
    {
        Some(text) => Some(Url::parse(text).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let forwarded = forward_url(
        &original,
        service_url.as_ref(),
        api.as_ref().map_or("", |a| &a.path),
    );
    let request = Request {
        method,
        url: forwarded,
        headers: headers(spec.get("headers"))?,
        body: body_of(spec.get("body")),
    };
    let resolved = Resolved {
        api: api.map(Arc::new),
        operation: operation_info(spec).map(Arc::new),
        product: product_info(spec).map(Arc::new),
        subscription: subscription_info(spec).map(Arc::new),
        deployment: Arc::new(cx::DeploymentInfo::default()),
        examples: spec
            .get("operation")
            .and_then(|o| o.get("responses"))
            .and_then(Value::as_array)
            .map(|r| Arc::from(gatehouse_gateway::examples::from_responses(r)))
            .unwrap_or_else(|| Arc::from(Vec::new())),
    };
    let caller = Caller {
        ip: str_of(spec, "clientIp").unwrap_or_else(|| "127.0.0.1".into()),
        certificate: certificate(spec, base)?,
    };
    let parameters = object(spec, "matchedParameters")
        .map(|(n, v)| (Str::from(n.as_str()), Str::from(text_of(v))))
        .collect();
    let exchange = Exchange::new(request, original, resolved, caller, Instant::now())
        .with_matched_parameters(parameters)
        .with_backend_base(service_url)
        .with_trace();
    Ok(exchange)
}

/// The URL the request is forwarded to: the service URL joined with the path below the API's.
fn forward_url(original: &Url, service: Option<&Url>, api_path: &str) -> Url {
    let Some(service) = service else {
        return original.clone();
    };
    let prefix = format!("/{}", api_path.trim_matches('/'));
    let below = original
        .path
        .strip_prefix(&prefix)
        .unwrap_or(&original.path);
    let path = format!(
        "{}/{}",
        service.path.trim_end_matches('/'),
        below.trim_start_matches('/')
    );
    Url {
        path: if path.len() > 1 {
            path.trim_end_matches('/').to_owned()
        } else {
            path
        },
        query: original.query.clone(),
        ..service.clone()
    }
}

fn headers(value: Option<&Value>) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    for (name, value) in value.and_then(Value::as_object).into_iter().flatten() {
        let name = HeaderName::from_bytes(name.as_bytes())
            .with_context(|| format!("invalid header name '{name}'"))?;
        let values = match value {
            Value::Array(items) => items.iter().map(text_of).collect(),
            other => vec![text_of(other)],
        };
        for value in values {
            headers.append(
                name.clone(),
                HeaderValue::from_str(&value)
                    .with_context(|| format!("invalid value for header '{name}'"))?,
            );
        }
    }
    Ok(headers)
}

fn body_of(value: Option<&Value>) -> Body {
    match value {
        None | Some(Value::Null) => Body::Empty,
        Some(Value::String(text)) => Body::from(text.clone()),
        Some(other) => Body::from(other.to_string()),
    }
}

fn certificate(spec: &Value, base: &Path) -> Result<Option<gatehouse_cert::Certificate>> {
    let Some(file) = spec.get("clientCertificate").and_then(Value::as_str) else {
        return Ok(None);
    };
    let path: PathBuf = base.join(file);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let password = spec
        .get("clientCertificatePassword")
        .and_then(Value::as_str);
    let imported = gatehouse_cert::import_certificate(&bytes, password)
        .with_context(|| path.display().to_string())?;
    Ok(Some(imported.certificate().clone()))
}

fn api_info(spec: &Value) -> Result<Option<cx::ApiInfo>> {
    let Some(api) = spec.get("api") else {
        return Ok(None);
    };
    let service_url = match api.get("serviceUrl").and_then(Value::as_str) {
        Some(text) => Some(runtime::url_info(
            &Url::parse(text).map_err(anyhow::Error::msg)?,
        )),
        None => None,
    };
    let id = str_of(api, "id").unwrap_or_else(|| "api".into());
    Ok(Some(cx::ApiInfo {
        name: str_of(api, "name").unwrap_or_else(|| id.clone()),
        path: str_of(api, "path").unwrap_or_else(|| "".into()),
        id,
        protocols: Arc::new(["https".into()]),
        service_url,
        revision: "1".into(),
        is_current_revision: true,
        ..cx::ApiInfo::default()
    }))
}

fn operation_info(spec: &Value) -> Option<cx::OperationInfo> {
    let operation = spec.get("operation")?;
    let id = str_of(operation, "id").unwrap_or_else(|| "operation".into());
    Some(cx::OperationInfo {
        name: str_of(operation, "name").unwrap_or_else(|| id.clone()),
        method: str_of(operation, "method").unwrap_or_else(|| "GET".into()),
        url_template: str_of(operation, "urlTemplate").unwrap_or_else(|| "/".into()),
        id,
    })
}

fn product_info(spec: &Value) -> Option<cx::ProductInfo> {
    let product = spec.get("product")?;
    let id = str_of(product, "id").unwrap_or_else(|| "product".into());
    Some(cx::ProductInfo {
        name: str_of(product, "name").unwrap_or_else(|| id.clone()),
        id,
        ..cx::ProductInfo::default()
    })
}

fn subscription_info(spec: &Value) -> Option<cx::SubscriptionInfo> {
    let subscription = spec.get("subscription")?;
    let id = str_of(subscription, "id").unwrap_or_else(|| "subscription".into());
    let key = str_of(subscription, "key").unwrap_or_else(|| "".into());
    Some(cx::SubscriptionInfo {
        name: str_of(subscription, "name").unwrap_or_else(|| id.clone()),
        id,
        primary_key: key.clone(),
        secondary_key: "".into(),
        key,
        created_date: time::OffsetDateTime::UNIX_EPOCH,
        start_date: None,
        end_date: None,
    })
}

// ----- the canned backend -----

/// Answers every call with a canned response and remembers what was called.
#[derive(Debug)]
struct CannedBackend {
    default: Canned,
    by_url: Vec<(String, Canned)>,
    calls: Mutex<Vec<String>>,
}

#[derive(Debug, Clone)]
struct Canned {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

impl CannedBackend {
    fn from_spec(spec: &Value) -> Result<Self> {
        let default = match spec.get("backend") {
            Some(value) => canned(value)?,
            None => Canned {
                status: 200,
                headers: HeaderMap::new(),
                body: Bytes::new(),
            },
        };
        let mut by_url = Vec::new();
        for entry in spec
            .get("responses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(url) = entry.get("url").and_then(Value::as_str) else {
                bail!("each of \"responses\" needs a \"url\"");
            };
            by_url.push((url.to_owned(), canned(entry)?));
        }
        Ok(Self {
            default,
            by_url,
            calls: Mutex::default(),
        })
    }

    fn answer(&self, request: &Request, kind: &str) -> Response {
        let url = request.url.to_string();
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(format!("{kind}: {} {url}", request.method));
        let canned = self
            .by_url
            .iter()
            .find(|(prefix, _)| url.starts_with(prefix.as_str()))
            .map_or(&self.default, |(_, c)| c);
        Response {
            status: canned.status,
            reason: None,
            headers: canned.headers.clone(),
            body: Body::from(canned.body.clone()),
        }
    }

    fn calls(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

fn canned(value: &Value) -> Result<Canned> {
    let status = value.get("status").and_then(Value::as_u64).unwrap_or(200);
    let body = match value.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(text)) => Bytes::from(text.clone()),
        Some(other) => Bytes::from(other.to_string()),
    };
    Ok(Canned {
        status: u16::try_from(status).context("status must be a status code")?,
        headers: headers(value.get("headers"))?,
        body,
    })
}

impl Backend for CannedBackend {
    async fn forward(
        &self,
        request: Request,
        _options: &ForwardOptions,
    ) -> Result<Response, ForwardError> {
        Ok(self.answer(&request, "forward-request"))
    }

    async fn send(
        &self,
        request: Request,
        _options: &ForwardOptions,
    ) -> Result<Response, ForwardError> {
        Ok(self.answer(&request, "send-request"))
    }

    async fn send_one_way(&self, request: Request, _options: ForwardOptions) {
        self.answer(&request, "send-one-way-request");
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}
