//! Policies that reshape the request or response: URLs, methods, query parameters, bodies
//! (literal, expressions, Liquid), JSON and XML conversion, find-and-replace.

mod support;

use support::harness::{Answer, BACKEND, Call, GATEWAY, TestGateway, policy};

fn forwarded(inbound: &str, call: Call) -> support::harness::Received {
    let gateway = TestGateway::default();
    let ran = gateway.run(&policy(inbound, "", ""), call);
    assert!(ran.failure.is_none(), "{ran:?}");
    gateway
        .backend
        .received()
        .pop()
        .expect("the request was forwarded")
}

#[test]
fn set_query_parameter_follows_exists_action() {
    let call = Call::get(&format!("{GATEWAY}/r?a=1&b=2"));
    let cases = [
        (
            r#"<set-query-parameter name="a" exists-action="override"><value>x y</value></set-query-parameter>"#,
            "b=2&a=x%20y",
        ),
        (
            r#"<set-query-parameter name="a" exists-action="skip"><value>x</value></set-query-parameter>"#,
            "a=1&b=2",
        ),
        (
            r#"<set-query-parameter name="a" exists-action="append"><value>3</value></set-query-parameter>"#,
            "a=1&b=2&a=3",
        ),
        (
            r#"<set-query-parameter name="b" exists-action="delete" />"#,
            "a=1",
        ),
    ];
    for (inbound, query) in cases {
        let received = forwarded(inbound, call.clone());
        assert_eq!(received.url, format!("{BACKEND}/r?{query}"), "{inbound}");
    }
}

#[test]
fn set_method_changes_what_the_backend_receives() {
    let received = forwarded(
        "<set-method>post</set-method>",
        Call::get(&format!("{GATEWAY}/r")),
    );
    assert_eq!(received.method, "POST");
}

#[test]
fn rewrite_uri_fills_template_parameters_and_copies_unmatched_query_parameters() {
    let call = Call::get(&format!("{GATEWAY}/users/42?expand=true&param1=x"))
        .template("/users/{id}?param1={param1}")
        .parameter("id", "42")
        .parameter("param1", "x");

    let copied = forwarded(
        r#"<rewrite-uri template="/v2/people/{id}?source=gw" />"#,
        call.clone(),
    );
    assert_eq!(
        copied.url,
        format!("{BACKEND}/v2/people/42?source=gw&expand=true")
    );

    let only_template = forwarded(
        r#"<rewrite-uri template="/v2/people/{id}" copy-unmatched-params="false" />"#,
        call,
    );
    assert_eq!(only_template.url, format!("{BACKEND}/v2/people/42"));
}

#[test]
fn set_backend_service_keeps_the_path_below_the_base_and_the_query() {
    let received = forwarded(
        r#"<set-backend-service base-url="https://other.test/v9" />"#,
        Call::get(&format!("{GATEWAY}/orders/7?x=1")),
    );
    assert_eq!(received.url, "https://other.test/v9/orders/7?x=1");
}

#[test]
fn backend_ids_resolve_against_the_backends_defined() {
    let env = gatehouse_policy::compile::Environment::new().with_backend(
        "orders",
        gatehouse_policy::runtime::Url::parse("http://orders.test/api").unwrap(),
    );
    let gateway = TestGateway::with_env(env);

    gateway.run(
        &policy(r#"<set-backend-service backend-id="orders" />"#, "", ""),
        Call::get(&format!("{GATEWAY}/o/1")),
    );

    assert_eq!(
        gateway.backend.received()[0].url,
        "http://orders.test/api/o/1"
    );
    let missing = gatehouse_policy::compile::compile_document_with(
        &policy(r#"<set-backend-service backend-id="nope" />"#, "", ""),
        gatehouse_policy::compile::ScopeLevel::Api,
        &gateway.env,
    )
    .unwrap_err();
    assert!(
        missing[0].message.contains("backend 'nope' is not defined"),
        "{missing:?}"
    );
}

#[test]
fn service_fabric_and_dapr_attributes_are_refused_by_name() {
    let errors = gatehouse_policy::compile::compile_document(
        &policy(
            r#"<set-backend-service sf-partition-key="1" backend-id="x" />"#,
            "",
            "",
        ),
        gatehouse_policy::compile::ScopeLevel::Api,
    )
    .unwrap_err();
    assert!(
        errors[0].message.contains("'sf-partition-key'"),
        "{errors:?}"
    );
    assert!(
        errors[0]
            .message
            .contains("not supported by this gateway: it needs Service Fabric"),
        "{errors:?}"
    );
}

#[test]
fn header_names_may_be_expressions() {
    let received = forwarded(
        r#"<set-header name="@("x-" + "computed")" exists-action="override"><value>1</value></set-header>"#,
        Call::get(&format!("{GATEWAY}/r")),
    );
    assert_eq!(received.headers.get("x-computed").unwrap(), "1");
}

#[test]
fn liquid_templates_read_the_body_and_context() {
    let template = r#"<set-body template="liquid">{"name": "{{body.user.name | upcase}}", "method": "{{context.Request.Method}}", "first": "{{ body.tags[0] }}"{% if body.admin %}, "admin": true{% endif %}}</set-body>"#;
    let call = Call::get(&format!("{GATEWAY}/r"))
        .method("POST")
        .body(r#"{"user":{"name":"ada"},"tags":["x","y"],"admin":true}"#);

    let received = forwarded(template, call);

    let json: serde_json::Value =
        serde_json::from_str(&received.body).unwrap_or_else(|e| panic!("{e}: {}", received.body));
    assert_eq!(
        json,
        serde_json::json!({"name": "ADA", "method": "POST", "first": "x", "admin": true})
    );
}

#[test]
fn liquid_loops_over_headers_as_key_value_pairs() {
    let template = "<set-body template=\"liquid\">{% for h in context.Request.Headers %}{{ h.Key }}={{ h.Value }};{% endfor %}</set-body>";
    let call = Call::get(&format!("{GATEWAY}/r"))
        .header("x-a", "1")
        .header("x-b", "2");

    assert_eq!(forwarded(template, call).body, "x-a=1;x-b=2;");
}

#[test]
fn unsupported_liquid_is_refused_when_saved() {
    let errors = gatehouse_policy::compile::compile_document(
        &policy(
            r#"<set-body template="liquid">{% capture x %}y{% endcapture %}</set-body>"#,
            "",
            "",
        ),
        gatehouse_policy::compile::ScopeLevel::Api,
    )
    .unwrap_err();
    assert!(
        errors[0].message.contains("{% capture %} is not supported"),
        "{errors:?}"
    );
}

#[test]
fn json_to_xml_and_xml_to_json_convert_bodies_and_content_types() {
    let gateway = TestGateway::default();
    let to_xml = policy(
        r#"<json-to-xml apply="always" consider-accept-header="false" />"#,
        "",
        "",
    );
    gateway.run(
        &to_xml,
        Call::get(&format!("{GATEWAY}/r"))
            .method("POST")
            .body(r#"{"vehicleType":"train","maxSpeed":125}"#),
    );
    let received = gateway.backend.received().pop().unwrap();
    assert_eq!(
        received.body,
        "<Document><vehicleType>train</vehicleType><maxSpeed>125</maxSpeed></Document>"
    );
    assert_eq!(
        received.headers.get("content-type").unwrap(),
        "application/xml"
    );

    let gateway = TestGateway::default();
    gateway.backend.answer(
        Answer::new(200, "<order id=\"1\"><item>a</item></order>")
            .header("content-type", "application/xml"),
    );
    let to_json = policy(
        "",
        r#"<xml-to-json kind="direct" apply="content-type-xml" consider-accept-header="false" />"#,
        "",
    );
    let ran = gateway.run(&to_json, Call::get(&format!("{GATEWAY}/r")));
    assert_eq!(
        ran.json(),
        serde_json::json!({"order": {"@id": "1", "item": "a"}})
    );
    assert_eq!(ran.header("content-type"), Some("application/json"));
}

#[test]
fn find_and_replace_rewrites_the_response_body() {
    let gateway = TestGateway::default();
    gateway
        .backend
        .answer(Answer::new(200, "legacy text, legacy again"));

    let ran = gateway.run(
        &policy("", r#"<find-and-replace from="legacy" to="modern" />"#, ""),
        Call::get(&format!("{GATEWAY}/r")),
    );

    assert_eq!(ran.body, "modern text, modern again");
}

#[test]
fn find_and_replace_refuses_a_body_that_would_outgrow_the_body_limit() {
    let gateway = TestGateway::default();
    let to = "b".repeat(100);
    let inbound = format!(r#"<find-and-replace from="a" to="{to}" />"#);

    // A megabyte of `a`, each replaced by 100 bytes: 100 MB, past the 16 MiB body limit.
    let ran = gateway.run(
        &policy(&inbound, "", ""),
        Call::get(&format!("{GATEWAY}/r"))
            .method("POST")
            .body(&"a".repeat(1_000_000)),
    );

    assert_eq!(ran.status, 500);
    let failure = ran.failure.expect("refused");
    assert_eq!(
        (&*failure.source, &*failure.reason),
        ("find-and-replace", "BodyLimitExceeded")
    );
    assert!(gateway.backend.received().is_empty());
}

#[test]
fn reading_the_body_without_preserving_it_empties_it_for_the_backend() {
    let consumed = forwarded(
        r#"<set-variable name="b" value="@(context.Request.Body.As<string>())" />"#,
        Call::get(&format!("{GATEWAY}/r"))
            .method("POST")
            .body("payload"),
    );
    assert_eq!(
        consumed.body, "",
        "APIM hands the stream to the first reader"
    );

    let preserved = forwarded(
        r#"<set-variable name="b" value="@(context.Request.Body.As<string>(preserveContent: true))" />"#,
        Call::get(&format!("{GATEWAY}/r"))
            .method("POST")
            .body("payload"),
    );
    assert_eq!(preserved.body, "payload");
}

#[test]
fn authentication_basic_sets_a_masked_authorization_header() {
    let gateway = TestGateway::default();
    let ran = gateway.run(
        &policy(
            r#"<authentication-basic username="svc" password="p4ss" />"#,
            "",
            "",
        ),
        Call::get(&format!("{GATEWAY}/r")),
    );

    let received = gateway.backend.received().pop().unwrap();
    assert_eq!(
        received.headers.get("authorization").unwrap(),
        "Basic c3ZjOnA0c3M="
    );
    assert!(
        !ran.trace.to_string().contains("c3ZjOnA0c3M="),
        "the credentials stay out of the trace"
    );
}

#[test]
fn authentication_certificate_presents_an_uploaded_certificate_to_the_backend() {
    let identity = gatehouse_policy::runtime::ClientIdentity {
        thumbprint: "AB12".into(),
        chain: vec![vec![1, 2, 3]],
        key: std::sync::Arc::from(&[4u8, 5, 6][..]),
    };
    let env =
        gatehouse_policy::compile::Environment::new().with_client_identity("client", identity);
    let gateway = TestGateway::with_env(env);
    let inbound = r#"<authentication-certificate certificate-id="client" />
        <send-request response-variable-name="r"><set-url>https://other.test/</set-url><authentication-certificate thumbprint="ab12" /></send-request>"#;

    gateway.run(&policy(inbound, "", ""), Call::get(&format!("{GATEWAY}/r")));

    let certificates: Vec<Option<String>> = gateway
        .backend
        .received()
        .into_iter()
        .map(|r| r.certificate)
        .collect();
    assert_eq!(
        certificates,
        [Some("AB12".to_owned()), Some("AB12".to_owned())]
    );
    let missing = gatehouse_policy::compile::compile_document_with(
        &policy(
            r#"<authentication-certificate certificate-id="nope" />"#,
            "",
            "",
        ),
        gatehouse_policy::compile::ScopeLevel::Api,
        &gateway.env,
    )
    .unwrap_err();
    assert!(
        missing[0].message.contains("with a private key"),
        "{missing:?}"
    );
}
