//! The article's certificate condition is evaluated on every request of a gateway that uses
//! it, so its evaluation must not touch the heap: counted here with dhat's allocator.
//!
//! One test per binary: the counting allocator sees the whole process.

mod support;

use gatehouse_expr::{Position, StaticHost, compile};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

const ARTICLE_CONDITION: &str = r#"@(context.Request.Certificate == null || context.Request.Certificate.Thumbprint != "BF3D644C46099A9D7C073EC002312878B8F9B847")"#;

#[test]
fn the_articles_condition_evaluates_without_allocating() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let expression = compile(ARTICLE_CONDITION, Position::new(1, 1)).unwrap();
    let with_certificate = StaticHost {
        certificate: Some(support::certificate("/CN=alloc")),
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
