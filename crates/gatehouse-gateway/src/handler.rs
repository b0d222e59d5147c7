//! One request through the gateway: route, subscription, pipeline, response, trace.

use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use bytes::Bytes;
use gatehouse_policy::runtime::{
    self, Body, BodyError, Caller, Exchange, Outcome, Request, Resolved, Section, Services, Url,
};
use http::header::{CONTENT_TYPE, HeaderValue};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use serde_json::json;

use crate::connection::Connection;
use crate::recent::{Decision, RecentRequests, RequestRecord};
use crate::routing::Routed;
use crate::snapshot::{ApiEntry, OperationEntry, Snapshot};
use crate::subscription::{Granted, presented_key};
use crate::traces::TraceStore;
use crate::trust::TrustSettings;
use crate::upstream::Upstream;

/// The body type of responses to callers.
pub type ResponseBody = http_body_util::combinators::UnsyncBoxBody<Bytes, runtime::BoxError>;

/// The header a caller sends to ask for a trace.
const TRACE_HEADER: &str = "ocp-apim-trace";
/// The response header carrying the trace's URL.
const TRACE_LOCATION: &str = "ocp-apim-trace-location";
/// The largest request body buffered for policies that read it.
const MAX_BUFFERED_BODY: usize = 16 * 1024 * 1024;

/// Settings for the request path.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    /// Base URL traces are served under; the trace id is appended.
    pub trace_base_url: String,
}

/// The data plane: the current snapshot, the backend client and the trace store.
#[derive(Debug)]
pub struct Gateway {
    snapshot: ArcSwap<Snapshot>,
    upstream: Upstream,
    traces: Arc<TraceStore>,
    settings: GatewaySettings,
    recent: RecentRequests,
    services: Services,
    trust_settings: TrustSettings,
}

/// Why a request was refused before its pipeline ran.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refusal {
    NotFound,
    KeyMissing,
    KeyInvalid,
    BodyTooLarge,
    BodyUnreadable,
    /// The Host names a hostname with other client-certificate settings (421).
    Misdirected,
    /// A trusted proxy's certificate header cannot be read (400).
    ForwardedCertificateInvalid,
    /// An HTTP/1.1 request without exactly one `Host`, or any request with several (400).
    AmbiguousHost,
    /// A dot segment or a malformed percent-escape in the path (400).
    UnsafePath,
    /// A header block over the limit (431).
    HeadersTooLarge,
}

impl Gateway {
    /// A gateway serving `snapshot`.
    pub fn new(
        snapshot: Snapshot,
        upstream: Upstream,
        traces: Arc<TraceStore>,
        settings: GatewaySettings,
    ) -> Self {
        Self {
            snapshot: ArcSwap::from_pointee(snapshot),
            upstream,
            traces,
            settings,
            recent: RecentRequests::default(),
            services: Services::in_memory(),
            trust_settings: TrustSettings::default(),
        }
    }

    /// Relaxes chain checks as the gateway's settings say (strict by default).
    pub fn with_trust_settings(mut self, settings: TrustSettings) -> Self {
        self.trust_settings = settings;
        self
    }

    /// The configuration being served.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Keeps rate-limit counters, caches and concurrency limits in `services` (in process by
    /// default). They live here, outside the snapshots, so a configuration change does not
    /// reset them.
    pub fn with_services(mut self, services: Services) -> Self {
        self.services = services;
        self
    }

    /// Replaces the configuration; requests in flight finish on the one they started with.
    ///
    /// Returns the snapshot it replaces, so the caller decides where a large one is dropped.
    pub fn publish(&self, snapshot: Snapshot) -> Arc<Snapshot> {
        self.snapshot.swap(Arc::new(snapshot))
    }

    /// The trace store.
    pub fn traces(&self) -> &Arc<TraceStore> {
        &self.traces
    }

    /// The requests answered lately, for the management API's overview.
    pub fn recent(&self) -> &RecentRequests {
        &self.recent
    }

    /// Handles one request from `connection`.
    pub async fn handle(
        &self,
        connection: &Connection,
        request: http::Request<Incoming>,
    ) -> http::Response<ResponseBody> {
        let started = Instant::now();
        let snapshot = self.snapshot.load_full();
        let (mut parts, body) = request.into_parts();
        if let Err(refusal) = crate::malformed::check(&parts) {
            return refuse(&self.recent, started, refusal, connection, &parts);
        }
        // Before any policy: a caller's `Connection` list must not reach headers policies set.
        crate::upstream::strip_hop_by_hop(&mut parts.headers);
        let connection = match crate::caller::admit(&snapshot, connection, &mut parts) {
            Ok(connection) => connection,
            Err(refusal) => return refuse(&self.recent, started, refusal, connection, &parts),
        };
        let connection = &*connection;

        let (api, operation, parameters) = match crate::preflight::route(&snapshot, &parts) {
            Routed::Found {
                api,
                operation,
                parameters,
            } => (api, operation, parameters),
            Routed::NoApi | Routed::NoOperation(_) => {
                return refuse(&self.recent, started, Refusal::NotFound, connection, &parts);
            }
        };
        let granted = match authorize(&snapshot, api, &parts) {
            Ok(granted) => granted,
            Err(Refusal::KeyMissing)
                if let Some(answer) = crate::preflight::answer(&operation.pipeline, &parts) =>
            {
                return to_http(answer);
            }
            Err(refusal) => return refuse(&self.recent, started, refusal, connection, &parts),
        };
        if let Err(refusal) = crate::caller::check_binding(&snapshot, granted.as_ref(), connection)
        {
            return refuse(&self.recent, started, refusal, connection, &parts);
        }

        let traced = wants_trace(&parts.headers)
            && granted
                .as_ref()
                .is_some_and(|g| g.subscription.allow_tracing);
        let (pipeline, product) = match granted.as_ref().and_then(|g| product_of(g, operation)) {
            Some((product, pipeline)) => (pipeline.clone(), Some(product.clone())),
            None => (operation.pipeline.clone(), None),
        };

        let original = original_url(&parts);
        let body = match pipeline.reads_body() {
            true => match buffer(body).await {
                Ok(body) => body,
                Err(refusal) => return refuse(&self.recent, started, refusal, connection, &parts),
            },
            false => stream(body),
        };
        let forward_to = backend_url(api, &original, api.info.path.len());
        let request = Request {
            method: parts.method.clone(),
            url: forward_to,
            // Moved, not copied: only the method and path of `parts` are read from here on.
            headers: std::mem::take(&mut parts.headers),
            body,
        };
        let resolved = Resolved {
            api: Some(api.info.clone()),
            operation: Some(operation.info.clone()),
            product,
            subscription: granted.as_ref().map(|g| g.context().clone()),
            deployment: snapshot.deployment().clone(),
            examples: operation.examples.clone(),
        };
        let caller = Caller {
            ip: connection.peer_ip.clone(),
            certificate: connection.certificate.clone(),
        };
        let parameters = parameters
            .into_iter()
            .map(|(n, v)| (n.into(), v.into()))
            .collect();
        let mut exchange = Exchange::new(request, original, resolved, caller, started)
            .with_matched_parameters(parameters)
            .with_backend_base(api.service_url.clone());
        if let Some(trust) = crate::caller::trust(&snapshot, connection, self.trust_settings) {
            exchange = exchange.with_trust(trust);
        }
        if traced {
            exchange = exchange.with_trace();
            record_arrival(&exchange, connection, api, operation);
        }

        let outcome = runtime::run(&pipeline, &mut exchange, &self.upstream, &self.services).await;
        let record = completed_record(&parts, &exchange, connection, &outcome);
        log_decision(&record, connection);
        log_backend_failure(&record, &outcome);
        self.recent.record(record);
        self.respond(exchange)
    }

    fn respond(&self, mut exchange: Exchange) -> http::Response<ResponseBody> {
        exchange.record_in(
            Section::Outbound,
            "transfer-response",
            || json!({ "message": "Response is being sent to the caller" }),
        );
        let trace = exchange.take_trace();
        let mut response = to_http(std::mem::take(&mut exchange.response));
        if let Some(trace) = trace {
            let id = TraceStore::new_id();
            let document = trace.to_json("gatehouse", &id).to_string();
            self.traces.insert(id.clone(), Bytes::from(document));
            let location = format!(
                "{}/{id}",
                self.settings.trace_base_url.trim_end_matches('/')
            );
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(TRACE_LOCATION, value);
            }
        }
        response
    }
}

/// The subscription the request's key opens, `None` for an anonymous call the API allows.
fn authorize(
    snapshot: &Snapshot,
    api: &ApiEntry,
    parts: &http::request::Parts,
) -> Result<Option<Granted>, Refusal> {
    let names = &api.info.subscription_key_parameter_names;
    let Some(key) = presented_key(
        &parts.headers,
        parts.uri.query(),
        &names.header,
        &names.query,
    ) else {
        return if api.subscription_required {
            Err(Refusal::KeyMissing)
        } else {
            Ok(None)
        };
    };
    let granted = snapshot.keys().find(&key).ok_or(Refusal::KeyInvalid)?;
    if !granted.subscription.opens(&api.info.id, &api.products) {
        return Err(Refusal::KeyInvalid);
    }
    Ok(Some(granted))
}

/// Product policies apply only to keys of product-scoped subscriptions.
fn product_of<'o>(
    granted: &Granted,
    operation: &'o OperationEntry,
) -> Option<&'o (
    Arc<gatehouse_expr::context::ProductInfo>,
    Arc<gatehouse_policy::pipeline::Pipeline>,
)> {
    match &granted.subscription.scope {
        crate::subscription::Scope::Product(product) => operation.by_product.get(product),
        _ => None,
    }
}

fn wants_trace(headers: &http::HeaderMap) -> bool {
    headers
        .get(TRACE_HEADER)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"))
}

/// The URL the caller used, as `context.Request.OriginalUrl` shows it.
fn original_url(parts: &http::request::Parts) -> Url {
    let authority = parts
        .uri
        .authority()
        .map(http::uri::Authority::as_str)
        .or_else(|| {
            parts
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
        })
        .unwrap_or("localhost");
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or_default();
    Url::from_parts("https", authority, path, query).unwrap_or_else(|| Url {
        scheme: "https".into(),
        host: "localhost".into(),
        port: 443,
        path: path.to_owned(),
        query: query.to_owned(),
    })
}

/// The backend URL: the API's service URL joined with the path below the API's prefix.
fn backend_url(api: &ApiEntry, original: &Url, api_path_len: usize) -> Url {
    let Some(service) = &api.service_url else {
        return original.clone();
    };
    let below = original
        .path
        .trim_start_matches('/')
        .get(api_path_len..)
        .unwrap_or_default();
    let base = service.path.trim_end_matches('/');
    let path = match below.trim_start_matches('/') {
        "" if base.is_empty() => "/".to_owned(),
        "" => base.to_owned(),
        rest => format!("{base}/{rest}"),
    };
    Url {
        scheme: service.scheme.clone(),
        host: service.host.clone(),
        port: service.port,
        path,
        query: original.query.clone(),
    }
}

fn stream(body: Incoming) -> Body {
    Body::Stream(
        body.map_err(|e| Box::new(e) as runtime::BoxError)
            .boxed_unsync(),
    )
}

/// Reads the whole body for policies that read it. A body over the limit, or an upload that
/// breaks off, refuses the request: it is never forwarded in part.
async fn buffer(body: Incoming) -> Result<Body, Refusal> {
    match stream(body).collect(MAX_BUFFERED_BODY).await {
        Ok(bytes) => Ok(Body::from(bytes)),
        Err(BodyError::TooLarge { .. }) => Err(Refusal::BodyTooLarge),
        Err(BodyError::Broken(_)) => Err(Refusal::BodyUnreadable),
    }
}

fn record_arrival(
    exchange: &Exchange,
    connection: &Connection,
    api: &ApiEntry,
    operation: &OperationEntry,
) {
    exchange.record_in(
        Section::Inbound,
        "api-inspector",
        || json!({ "request": exchange.masked_request_json() }),
    );
    exchange.record_in(Section::Inbound, "client-certificate", || {
        connection.certificate_json()
    });
    exchange.record_in(Section::Inbound, "api-inspector", || {
        json!({ "configuration": {
            "api": { "id": &*api.info.id, "from": format!("/{}", api.info.path), "to": api.service_url.as_ref().map(Url::to_string) },
            "operation": { "id": &*operation.info.id, "method": &*operation.info.method, "uriTemplate": &*operation.info.url_template },
            "subscription": exchange.resolved().subscription.as_ref().map(|s| &*s.id),
            "product": exchange.resolved().product.as_ref().map(|p| &*p.id),
        }})
    });
}

/// The access-log line of a request whose pipeline ran: its overview record, and the
/// caller's address.
fn log_decision(record: &RequestRecord, connection: &Connection) {
    tracing::info!(
        api.id = record.api_id.as_deref(),
        operation.id = record.operation_id.as_deref(),
        subscription.id = record.subscription_id.as_deref(),
        client.cert.thumbprint = record.client_thumbprint.as_deref(),
        client.ip = &*connection.peer_ip,
        status = record.status,
        decision = record.decision.label(),
        reason = &*record.reason,
        elapsed_us = record.elapsed_us,
        "request"
    );
}

/// Why the backend call failed, for the operator: the access line only says that it did.
/// The message names hosts and causes ("Connection refused", a proxy's 407), no secrets.
fn log_backend_failure(record: &RequestRecord, outcome: &Outcome) {
    if let Outcome::Failed(failure) = outcome
        && matches!(&*failure.source, "forward-request" | "send-request")
    {
        tracing::warn!(
            api.id = record.api_id.as_deref(),
            operation.id = record.operation_id.as_deref(),
            reason = &*failure.reason,
            error = &*failure.message,
            "backend call failed"
        );
    }
}

/// What the overview shows of a request whose pipeline ran.
fn completed_record(
    parts: &http::request::Parts,
    exchange: &Exchange,
    connection: &Connection,
    outcome: &Outcome,
) -> RequestRecord {
    let resolved = exchange.resolved();
    let status = exchange.response.status;
    let (decision, reason) = match outcome {
        Outcome::Failed(failure) => (failed(failure), failure.reason.to_string()),
        Outcome::Completed => {
            let reason = exchange.response.reason_phrase().to_owned();
            (Decision::of_completed(status, &reason), reason)
        }
    };
    RequestRecord {
        at: time::OffsetDateTime::now_utc(),
        method: parts.method.clone(),
        path: parts.uri.path().to_owned(),
        api_id: resolved.api.as_ref().map(|a| a.id.clone()),
        operation_id: resolved.operation.as_ref().map(|o| o.id.clone()),
        subscription_id: resolved.subscription.as_ref().map(|s| s.id.clone()),
        client_thumbprint: connection
            .certificate
            .as_ref()
            .map(|c| c.thumbprint().clone()),
        status,
        decision,
        reason,
        elapsed_us: micros(exchange.started()),
    }
}

/// A pipeline failure as a decision: a refused certificate, a refusal below 500 (a token, a
/// limit), or an error.
fn failed(failure: &gatehouse_policy::runtime::Failure) -> Decision {
    if &*failure.source == "validate-client-certificate" {
        Decision::CertificateRefused
    } else if failure.status < 500 {
        // A refusal the policy answered itself (a token, a header, a limit): as the overview
        // counts the same statuses from `return-response`.
        Decision::of_completed(failure.status, &failure.reason)
    } else {
        Decision::Error
    }
}

fn micros(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX)
}

fn refuse(
    recent: &RecentRequests,
    started: Instant,
    refusal: Refusal,
    connection: &Connection,
    parts: &http::request::Parts,
) -> http::Response<ResponseBody> {
    let (status, reason, message) = match refusal {
        Refusal::NotFound => (404, "not_found", "Resource not found"),
        Refusal::KeyMissing => (
            401,
            "key_missing",
            "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.",
        ),
        Refusal::KeyInvalid => (
            401,
            "key_invalid",
            "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.",
        ),
        Refusal::BodyTooLarge => (413, "body_too_large", "Request entity too large"),
        Refusal::BodyUnreadable => (400, "body_unreadable", "The request body could not be read"),
        Refusal::Misdirected => (
            421,
            "misdirected",
            "Misdirected request: the Host header names a hostname with other client certificate settings than the one this connection was made for. Connect again using that host name.",
        ),
        Refusal::ForwardedCertificateInvalid => (
            400,
            "forwarded_certificate_invalid",
            "The client certificate forwarded by the proxy cannot be read",
        ),
        Refusal::AmbiguousHost => (
            400,
            "ambiguous_host",
            "Bad request: an HTTP/1.1 request needs exactly one Host header",
        ),
        Refusal::UnsafePath => (
            400,
            "unsafe_path",
            "Bad request: the path has a '.' or '..' segment (possibly percent-encoded) or a malformed percent-escape",
        ),
        Refusal::HeadersTooLarge => (431, "headers_too_large", "Request header fields too large"),
    };
    tracing::info!(
        method = %parts.method,
        path = parts.uri.path(),
        client.cert.thumbprint = connection.thumbprint(),
        client.ip = &*connection.peer_ip,
        status,
        decision = refusal.decision().label(),
        reason,
        "request refused"
    );
    recent.record(RequestRecord {
        at: time::OffsetDateTime::now_utc(),
        method: parts.method.clone(),
        path: parts.uri.path().to_owned(),
        api_id: None,
        operation_id: None,
        subscription_id: None,
        client_thumbprint: connection
            .certificate
            .as_ref()
            .map(|c| c.thumbprint().clone()),
        status,
        decision: refusal.decision(),
        reason: message.to_owned(),
        elapsed_us: micros(started),
    });
    json_response(status, &json!({ "statusCode": status, "message": message }))
}

impl Refusal {
    fn decision(self) -> Decision {
        match self {
            Self::NotFound => Decision::NotFound,
            Self::KeyMissing => Decision::KeyMissing,
            Self::KeyInvalid => Decision::KeyInvalid,
            Self::BodyTooLarge | Self::BodyUnreadable => Decision::BodyRefused,
            Self::Misdirected | Self::ForwardedCertificateInvalid => Decision::CertificateRefused,
            Self::AmbiguousHost | Self::UnsafePath | Self::HeadersTooLarge => Decision::BadRequest,
        }
    }
}

/// A JSON response with APIM's error shape.
pub(crate) fn json_response(status: u16, body: &serde_json::Value) -> http::Response<ResponseBody> {
    let mut response = http::Response::new(full(Bytes::from(body.to_string())));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn full(bytes: Bytes) -> ResponseBody {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// The pipeline's response as hyper sends it, with a custom reason phrase when a policy set one.
fn to_http(mut response: runtime::Response) -> http::Response<ResponseBody> {
    // 204 and 304 carry no body (HTTP/2 resets a stream that sends one); a 204 has no
    // Content-Length, and a 304's describes the representation, so it is left as it is.
    match response.status {
        204 => {
            response.body = Body::Empty;
            response.headers.remove(http::header::CONTENT_LENGTH);
        }
        304 => response.body = Body::Empty,
        _ => response.body.frame(&mut response.headers),
    }
    let body = match response.body {
        Body::Empty => full(Bytes::new()),
        Body::Full(bytes) => full(bytes),
        Body::Stream(stream) => stream,
    };
    let mut out = http::Response::new(body);
    *out.status_mut() = http::StatusCode::from_u16(response.status)
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    *out.headers_mut() = response.headers;
    if let Some(reason) = response.reason
        && let Ok(phrase) = hyper::ext::ReasonPhrase::try_from(reason.into_bytes())
    {
        out.extensions_mut().insert(phrase);
    }
    out
}

#[cfg(test)]
mod decision_tests {
    use gatehouse_policy::runtime::Failure;

    use super::*;

    #[test]
    fn a_refusal_a_policy_answers_counts_by_its_status_and_a_failure_as_an_error() {
        let token = Failure::denied("validate-jwt", "TokenExpired", "expired", 401);
        let limit = Failure::denied("rate-limit", "RateLimitExceeded", "slow down", 429);
        let backend = Failure::backend("BackendConnectionFailure", "refused".to_owned());

        assert_eq!(failed(&token), Decision::Denied);
        assert_eq!(failed(&limit), Decision::RateLimited);
        assert_eq!(failed(&backend), Decision::Error);
    }
}
