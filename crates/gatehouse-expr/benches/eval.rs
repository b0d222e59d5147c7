//! Evaluation cost of compiled expressions: the certificate condition from APIM's mutual-TLS
//! article, a string-building expression, and JSON body access.
//!
//! Run with `cargo bench -p gatehouse-expr --bench eval`.

#![allow(missing_docs)]

use std::hint::black_box;
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};
use gatehouse_cert::Certificate;
use gatehouse_expr::context::{ApiInfo, OperationInfo};
use gatehouse_expr::{Expression, Position, StaticHost, compile};

const ARTICLE_CONDITION: &str = r#"@(context.Request.Certificate == null || context.Request.Certificate.Thumbprint != "BF3D644C46099A9D7C073EC002312878B8F9B847")"#;

const STRING_BUILDING: &str = r#"@(context.Api.Name + "/" + context.Operation.Id + "?user=" + context.Request.Headers.GetValueOrDefault("X-User", "anonymous").ToLowerInvariant() + "&n=" + (context.Variables.GetValueOrDefault<int>("count", 0) + 1).ToString())"#;

const JSON_BODY: &str =
    r#"@((string)context.Request.Body.As<JObject>(preserveContent: true)["customer"]["tier"])"#;

fn compiled(text: &str) -> Expression {
    compile(text, Position::new(1, 1)).expect("benchmark expressions compile")
}

/// A certificate made with the openssl command line, or none when openssl is missing.
fn certificate() -> Option<Certificate> {
    let dir = std::env::temp_dir().join(format!("gatehouse-expr-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let der = dir.join("cert.der");
    let output = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args(["-subj", "/CN=bench", "-days", "1", "-outform", "DER"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(&der)
        .output()
        .ok()?;
    let bytes = output
        .status
        .success()
        .then(|| std::fs::read(&der).ok())
        .flatten()?;
    std::fs::remove_dir_all(&dir).ok();
    Certificate::from_der(&bytes).ok()
}

fn host() -> StaticHost {
    let api = ApiInfo {
        name: "echo-api".into(),
        ..ApiInfo::default()
    };
    let operation = OperationInfo {
        id: "retrieve-resource".into(),
        ..OperationInfo::default()
    };
    StaticHost {
        api: Some(api),
        operation: Some(operation),
        certificate: certificate(),
        ..StaticHost::default()
    }
    .with_request_header("X-User", "Alice")
    .with_variable("count", 41)
    .with_request_body(r#"{"customer":{"id":17,"tier":"gold","tags":["a","b"]},"items":[1,2,3]}"#)
}

fn benches(c: &mut Criterion) {
    let host = host();
    let no_certificate = StaticHost::default();

    let article = compiled(ARTICLE_CONDITION);
    c.bench_function("article_condition/with_certificate", |b| {
        b.iter(|| article.evaluate_bool(black_box(&host)))
    });
    c.bench_function("article_condition/without_certificate", |b| {
        b.iter(|| article.evaluate_bool(black_box(&no_certificate)))
    });

    let building = compiled(STRING_BUILDING);
    c.bench_function("string_building", |b| {
        b.iter(|| building.evaluate(black_box(&host)))
    });

    let json = compiled(JSON_BODY);
    c.bench_function("json_body_access", |b| {
        b.iter(|| json.evaluate(black_box(&host)))
    });

    c.bench_function("compile/article_condition", |b| {
        b.iter(|| compile(black_box(ARTICLE_CONDITION), Position::new(1, 1)))
    });
}

criterion_group!(eval_benches, benches);
criterion_main!(eval_benches);
