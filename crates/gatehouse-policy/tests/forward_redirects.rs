//! `forward-request follow-redirects="true"`: hops, methods and bodies as HTTP clients follow
//! them, a bound on the number of hops, and credentials kept from other origins.

mod support;

use support::harness::{Answer, BACKEND, Call, GATEWAY, TestGateway};

const FOLLOWING: &str = r#"<policies><inbound /><backend><forward-request follow-redirects="true" /></backend><outbound /></policies>"#;

fn call() -> Call {
    Call::get(&format!("{GATEWAY}/resource"))
}

#[test]
fn redirects_are_returned_to_the_caller_by_default() {
    let gateway = TestGateway::default();
    gateway
        .backend
        .answer(Answer::new(302, "").header("location", "/moved"));
    let document =
        r#"<policies><inbound /><backend><forward-request /></backend><outbound /></policies>"#;

    let ran = gateway.run(document, call());

    assert_eq!(ran.status, 302);
    assert_eq!(gateway.backend.received().len(), 1);
}

#[test]
fn a_redirect_is_followed_relative_to_the_url_it_answered() {
    let gateway = TestGateway::default();
    gateway
        .backend
        .answer(Answer::new(301, "").header("location", "moved?x=1"));

    let ran = gateway.run(FOLLOWING, call());

    assert_eq!((ran.status, ran.body.as_str()), (200, "from the backend"));
    let received = gateway.backend.received();
    assert_eq!(received[0].url, format!("{BACKEND}/resource"));
    assert_eq!(received[1].url, format!("{BACKEND}/moved?x=1"));
}

#[test]
fn see_other_fetches_the_target_with_get_and_no_body() {
    let gateway = TestGateway::default();
    gateway
        .backend
        .answer(Answer::new(303, "").header("location", "/result"));

    gateway.run(
        FOLLOWING,
        call()
            .method("POST")
            .header("content-type", "text/plain")
            .body("order"),
    );

    let received = gateway.backend.received();
    assert_eq!(
        (received[1].method.as_str(), received[1].body.as_str()),
        ("GET", "")
    );
    assert!(received[1].headers.get("content-type").is_none());
}

#[test]
fn temporary_redirects_send_the_same_method_and_body_again() {
    let gateway = TestGateway::default();
    gateway
        .backend
        .answer(Answer::new(307, "").header("location", "/again"));

    let ran = gateway.run(FOLLOWING, call().method("POST").body("order"));

    assert_eq!(ran.status, 200);
    let received = gateway.backend.received();
    assert_eq!(
        (received[1].method.as_str(), received[1].body.as_str()),
        ("POST", "order")
    );
}

#[test]
fn credentials_are_not_sent_to_another_origin() {
    let gateway = TestGateway::default();
    gateway
        .backend
        .answer(Answer::new(302, "").header("location", "https://elsewhere.test/x"));
    let with_credentials = call()
        .header("Authorization", "Bearer secret")
        .header("Ocp-Apim-Subscription-Key", "key")
        .header("Cookie", "session=1")
        .header("x-kept", "yes");

    gateway.run(FOLLOWING, with_credentials);

    let received = gateway.backend.received();
    assert_eq!(
        received[0].headers.get("authorization").unwrap(),
        "Bearer secret"
    );
    assert_eq!(received[1].url, "https://elsewhere.test/x");
    for name in ["authorization", "ocp-apim-subscription-key", "cookie"] {
        assert!(
            received[1].headers.get(name).is_none(),
            "{name} left the origin"
        );
    }
    assert_eq!(received[1].headers.get("x-kept").unwrap(), "yes");
}

#[test]
fn a_redirect_loop_ends_after_ten_hops_with_the_last_redirect() {
    let gateway = TestGateway::default();
    for _ in 0..20 {
        gateway
            .backend
            .answer(Answer::new(302, "").header("location", "/loop"));
    }

    let ran = gateway.run(FOLLOWING, call());

    assert_eq!(ran.status, 302);
    assert_eq!(
        gateway.backend.received().len(),
        11,
        "the first request and ten hops"
    );
}

#[test]
fn targets_other_than_http_are_not_followed() {
    let gateway = TestGateway::default();
    gateway
        .backend
        .answer(Answer::new(302, "").header("location", "ftp://files.test/x"));

    let ran = gateway.run(FOLLOWING, call());

    assert_eq!(ran.status, 302);
    assert_eq!(gateway.backend.received().len(), 1);
}

#[test]
fn following_redirects_buffers_the_request_body() {
    let document = gatehouse_policy::compile::compile_document_with(
        FOLLOWING,
        gatehouse_policy::compile::ScopeLevel::Api,
        &gatehouse_policy::compile::Environment::new(),
    )
    .expect("compiles");
    let pipeline = gatehouse_policy::pipeline::Pipeline::join(None, None, Some(&document), None);

    assert!(pipeline.reads_body());
}
