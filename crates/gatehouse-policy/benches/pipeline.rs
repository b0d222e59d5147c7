//! The cost of running policies: the article's certificate check through the whole runner
//! (trace off), a ten-step inbound section, and a policy that reads a JSON body.
//!
//! Each iteration gets a fresh exchange, built and dropped outside the timing (the gateway
//! builds one per request), and runs the joined pipeline against a backend that answers at
//! once, polled without an async runtime. Run with `cargo bench -p gatehouse-policy --bench pipeline`.

#![allow(missing_docs)]

use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use gatehouse_cert::Certificate;
use gatehouse_expr::context::{ApiInfo, DeploymentInfo, OperationInfo};
use gatehouse_policy::compile::{ScopeLevel, compile_document};
use gatehouse_policy::pipeline::Pipeline;
use gatehouse_policy::runtime::{
    self, Backend, Body, Caller, Exchange, ForwardError, ForwardOptions, Request, Resolved,
    Response, Services, Url,
};
use http::{HeaderMap, HeaderValue, Method};

const ARTICLE: &str = r#"<policies><inbound><choose><when condition="@(context.Request.Certificate == null || context.Request.Certificate.Thumbprint != "THUMBPRINT")"><return-response><set-status code="403" reason="Invalid client certificate" /></return-response></when></choose></inbound><backend><forward-request /></backend><outbound /></policies>"#;

const TEN_STEPS: &str = r#"<policies><inbound>
    <set-variable name="tenant" value="@(context.Request.Headers.GetValueOrDefault("X-Tenant", "none"))" />
    <set-variable name="started" value="@(DateTime.UtcNow)" />
    <check-header name="X-Tenant" failed-check-httpcode="401" failed-check-error-message="no tenant" />
    <set-header name="X-Forwarded-Tenant" exists-action="override"><value>@((string)context.Variables["tenant"])</value></set-header>
    <set-header name="X-Request-Id" exists-action="override"><value>@(context.RequestId.ToString())</value></set-header>
    <set-header name="X-Internal" exists-action="delete" />
    <set-query-parameter name="api-version" exists-action="override"><value>2024-01-01</value></set-query-parameter>
    <choose><when condition="@(context.Request.Method == "POST")"><set-header name="X-Write" exists-action="override"><value>1</value></set-header></when></choose>
    <rewrite-uri template="/v2/resource" />
    <set-backend-service base-url="http://backend.bench/api" />
</inbound><backend><forward-request /></backend><outbound /></policies>"#;

const JSON_BODY: &str = r#"<policies><inbound>
    <set-variable name="tier" value="@((string)context.Request.Body.As<JObject>(preserveContent: true)["customer"]["tier"])" />
    <choose><when condition="@((string)context.Variables["tier"] == "gold")"><set-header name="X-Priority" exists-action="override"><value>high</value></set-header></when></choose>
</inbound><backend><forward-request /></backend><outbound /></policies>"#;

/// A backend that answers every request at once.
struct Instant200;

impl Backend for Instant200 {
    async fn forward(
        &self,
        _request: Request,
        _: &ForwardOptions,
    ) -> Result<Response, ForwardError> {
        Ok(Response::default())
    }

    async fn sleep(&self, _duration: Duration) {}
}

/// Polls a future that never waits (the backend answers at once) to completion.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut cx) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the benchmark backend never waits"),
    }
}

fn pipeline(source: &str) -> Pipeline {
    let document =
        compile_document(source, ScopeLevel::Api).expect("the benchmark policies compile");
    Pipeline::join(None, None, Some(&document), None)
}

fn client_certificate() -> Certificate {
    let ca = gatehouse_cert::LocalCa::generate("bench CA").expect("a CA");
    ca.issue_client("bench client", 1)
        .expect("a client certificate")
        .certificate()
        .clone()
}

fn exchange(certificate: Option<&Certificate>, body: &Bytes) -> Exchange {
    let url = Url::parse("https://gateway.bench/api/resource?a=1").expect("a URL");
    let mut headers = HeaderMap::new();
    headers.insert("x-tenant", HeaderValue::from_static("contoso"));
    let request = Request {
        method: Method::POST,
        url: url.clone(),
        headers,
        body: Body::from(body.clone()),
    };
    let resolved = Resolved {
        api: Some(Arc::new(ApiInfo {
            id: "bench".into(),
            ..ApiInfo::default()
        })),
        operation: Some(Arc::new(OperationInfo {
            id: "op".into(),
            ..OperationInfo::default()
        })),
        product: None,
        subscription: None,
        deployment: Arc::new(DeploymentInfo::default()),
        examples: Arc::new([]),
    };
    let caller = Caller {
        ip: "127.0.0.1".into(),
        certificate: certificate.cloned(),
    };
    Exchange::new(request, url, resolved, caller, Instant::now()).with_backend_base(Some(
        Url::parse("http://backend.bench/base").expect("a URL"),
    ))
}

fn bench(
    c: &mut Criterion,
    name: &str,
    pipeline: &Pipeline,
    certificate: Option<&Certificate>,
    body: &Bytes,
) {
    let services = Services::in_memory();
    c.bench_function(name, |b| {
        b.iter_batched(
            || exchange(certificate, body),
            |mut exchange| {
                let outcome = ready(runtime::run(
                    pipeline,
                    &mut exchange,
                    &Instant200,
                    &services,
                ));
                black_box((outcome, exchange.response.status))
            },
            BatchSize::SmallInput,
        );
    });
}

fn benchmarks(c: &mut Criterion) {
    let certificate = client_certificate();
    let article = pipeline(&ARTICLE.replace("THUMBPRINT", certificate.thumbprint()));
    let no_body = Bytes::new();
    bench(
        c,
        "article policy, trusted certificate (forwarded)",
        &article,
        Some(&certificate),
        &no_body,
    );
    bench(
        c,
        "article policy, no certificate (403)",
        &article,
        None,
        &no_body,
    );

    bench(
        c,
        "ten-step inbound section",
        &pipeline(TEN_STEPS),
        None,
        &no_body,
    );

    let body = Bytes::from(format!(
        r#"{{"customer":{{"id":42,"tier":"gold","name":"Contoso"}},"items":[{}]}}"#,
        (0..20)
            .map(|i| format!(r#"{{"sku":"item-{i}","qty":{i}}}"#))
            .collect::<Vec<_>>()
            .join(",")
    ));
    bench(
        c,
        "JSON body access (1 KB body)",
        &pipeline(JSON_BODY),
        None,
        &body,
    );
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
