//! The article's certificate condition is evaluated on every request of a gateway that uses
//! it, so its evaluation must not touch the heap: counted here with dhat's allocator.
//!
//! One test per binary: the counting allocator sees the whole process.

use std::process::Command;

use gatehouse_cert::Certificate;
use gatehouse_expr::{Position, StaticHost, compile};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

const ARTICLE_CONDITION: &str = r#"@(context.Request.Certificate == null || context.Request.Certificate.Thumbprint != "BF3D644C46099A9D7C073EC002312878B8F9B847")"#;

/// A certificate made with the openssl command line.
fn certificate() -> Certificate {
    let dir = tempfile_dir();
    let der = dir.join("cert.der");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args([
            "-nodes",
            "-subj",
            "/CN=alloc",
            "-days",
            "1",
            "-outform",
            "DER",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(&der)
        .output()
        .expect("openssl runs");
    assert!(status.status.success(), "openssl made a certificate");
    let certificate = Certificate::from_der(&std::fs::read(&der).unwrap()).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    certificate
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gatehouse-expr-alloc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_articles_condition_evaluates_without_allocating() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let expression = compile(ARTICLE_CONDITION, Position::new(1, 1)).unwrap();
    let with_certificate = StaticHost {
        certificate: Some(certificate()),
        ..StaticHost::default()
    };
    let without = StaticHost::default();
    // The certificate's thumbprint is worked out once per connection, before policies run.
    assert_eq!(expression.evaluate_bool(&with_certificate), Ok(true));
    assert_eq!(expression.evaluate_bool(&without), Ok(true));

    let before = dhat::HeapStats::get();
    for _ in 0..1000 {
        assert_eq!(expression.evaluate_bool(&with_certificate), Ok(true));
        assert_eq!(expression.evaluate_bool(&without), Ok(true));
    }
    let after = dhat::HeapStats::get();

    dhat::assert_eq!(after.total_blocks - before.total_blocks, 0);
}
