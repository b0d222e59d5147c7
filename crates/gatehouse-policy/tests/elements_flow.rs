//! Policies that call out, wait, repeat, cache, mock and trace, and the references a policy
//! makes to named values and fragments.

mod support;

use std::time::Duration;

use gatehouse_policy::compile::{Environment, ScopeLevel, compile_document_with};
use gatehouse_policy::runtime::{Representation, ResponseExample};
use support::harness::{Answer, Call, GATEWAY, TestGateway, policy};

fn call() -> Call {
    Call::get(&format!("{GATEWAY}/resource"))
}

#[test]
fn send_request_keeps_the_response_as_an_iresponse_variable() {
    let gateway = TestGateway::default();
    gateway
        .backend
        .answer(Answer::new(201, r#"{"token":"t-1"}"#).header("x-from", "auth"));
    let inbound = r#"<send-request mode="new" response-variable-name="auth" timeout="5">
            <set-url>https://auth.test/token</set-url>
            <set-method>POST</set-method>
            <set-header name="x-client" exists-action="override"><value>gw</value></set-header>
            <set-body>grant=client</set-body>
        </send-request>
        <return-response>
            <set-status code="200" reason="OK" />
            <set-body>@{ var r = (IResponse)context.Variables["auth"]; return r.StatusCode + " " + r.Headers.GetValueOrDefault("x-from", "") + " " + r.Body.As<JObject>()["token"]; }</set-body>
        </return-response>"#;

    let ran = gateway.run(&policy(inbound, "", ""), call());

    assert_eq!(ran.body, "201 auth t-1");
    let sent = &gateway.backend.received()[0];
    assert_eq!(
        (sent.method.as_str(), sent.url.as_str(), sent.body.as_str()),
        ("POST", "https://auth.test/token", "grant=client")
    );
    assert_eq!(sent.headers.get("x-client").unwrap(), "gw");
}

#[test]
fn return_response_can_start_from_a_stored_response() {
    let gateway = TestGateway::default();
    gateway
        .backend
        .answer(Answer::new(418, "teapot").header("x-kind", "tea"));
    let inbound = r#"<send-request response-variable-name="r"><set-url>https://other.test/</set-url></send-request>
        <return-response response-variable-name="r"><set-header name="x-added" exists-action="override"><value>1</value></set-header></return-response>"#;

    let ran = gateway.run(&policy(inbound, "", ""), call());

    assert_eq!((ran.status, ran.body.as_str()), (418, "teapot"));
    assert_eq!(
        (ran.header("x-kind"), ran.header("x-added")),
        (Some("tea"), Some("1"))
    );
}

#[test]
fn send_one_way_request_does_not_wait_for_or_keep_an_answer() {
    let gateway = TestGateway::default();
    let inbound = r#"<send-one-way-request mode="new"><set-url>https://audit.test/log</set-url><set-method>POST</set-method></send-one-way-request>"#;

    let ran = gateway.run(&policy(inbound, "", ""), call());

    assert_eq!(ran.body, "from the backend");
    let urls: Vec<String> = gateway
        .backend
        .received()
        .into_iter()
        .map(|r| r.url)
        .collect();
    assert_eq!(urls[0], "https://audit.test/log");
}

#[test]
fn wait_sends_its_requests_together_and_keeps_every_response() {
    let gateway = TestGateway::default();
    let inbound = r#"<wait for="all">
            <send-request response-variable-name="one"><set-url>https://a.test/</set-url></send-request>
            <send-request response-variable-name="two"><set-url>https://b.test/</set-url></send-request>
        </wait>
        <return-response><set-body>@(((IResponse)context.Variables["one"]).StatusCode + "," + ((IResponse)context.Variables["two"]).StatusCode)</set-body></return-response>"#;

    let ran = gateway.run(&policy(inbound, "", ""), call());

    assert_eq!(ran.body, "200,200");
    assert_eq!(gateway.backend.received().len(), 2);
}

#[test]
fn retry_runs_again_while_the_condition_holds_waiting_as_configured() {
    let gateway = TestGateway::default();
    for _ in 0..2 {
        gateway.backend.answer(Answer::new(503, "busy"));
    }
    let backend = r#"<retry condition="@(context.Response.StatusCode == 503)" count="3" interval="1" delta="2" first-fast-retry="true"><forward-request /></retry>"#;
    let document =
        format!("<policies><inbound /><backend>{backend}</backend><outbound /></policies>");

    let ran = gateway.run(&document, call());

    assert_eq!(ran.status, 200);
    assert_eq!(gateway.backend.received().len(), 3);
    assert_eq!(
        gateway.backend.slept(),
        [Duration::from_secs(3)],
        "the first retry is immediate, the second waits 1 + 1*2 s"
    );
}

#[test]
fn retry_stops_after_count_more_runs() {
    let gateway = TestGateway::default();
    for _ in 0..5 {
        gateway.backend.answer(Answer::new(500, "down"));
    }
    let document = r#"<policies><inbound /><backend><retry condition="@(context.Response.StatusCode >= 500)" count="2" interval="0"><forward-request /></retry></backend><outbound /></policies>"#;

    let ran = gateway.run(document, call());

    assert_eq!(ran.status, 500);
    assert_eq!(gateway.backend.received().len(), 3);
}

#[test]
fn cache_lookup_serves_a_stored_response_without_calling_the_backend() {
    let gateway = TestGateway::default();
    let cached = policy(
        r#"<cache-lookup vary-by-developer="false" vary-by-developer-groups="false"><vary-by-header>Accept</vary-by-header></cache-lookup>"#,
        r#"<cache-store duration="60" /><set-header name="x-outbound" exists-action="override"><value>ran</value></set-header>"#,
        "",
    );

    let first = gateway.run(&cached, call());
    let second = gateway.run(&cached, call());
    let other_query = gateway.run(&cached, Call::get(&format!("{GATEWAY}/resource?page=2")));

    assert_eq!(
        (first.body.as_str(), second.body.as_str()),
        ("from the backend", "from the backend")
    );
    assert_eq!(
        second.header("x-outbound"),
        Some("ran"),
        "outbound runs on a cache hit"
    );
    assert_eq!(other_query.status, 200);
    assert_eq!(
        gateway.backend.received().len(),
        2,
        "the second call came from the cache"
    );

    gateway.clock.advance(Duration::from_secs(61));
    gateway.run(&cached, call());
    assert_eq!(gateway.backend.received().len(), 3, "the entry expired");
}

#[test]
fn the_value_cache_stores_looks_up_and_forgets() {
    let gateway = TestGateway::default();
    let store = policy(
        r#"<cache-store-value key="k" value="@(new JObject(new JProperty("n", 1)))" duration="30" />"#,
        "",
        "",
    );
    let lookup = policy(
        r#"<cache-lookup-value key="k" variable-name="v" default-value="none" /><return-response><set-body>@(context.Variables["v"].ToString())</set-body></return-response>"#,
        "",
        "",
    );
    let remove = policy(r#"<cache-remove-value key="k" />"#, "", "");

    assert_eq!(gateway.run(&lookup, call()).body, "none");
    gateway.run(&store, call());
    let found = gateway.run(&lookup, call()).body;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&found).unwrap(),
        serde_json::json!({"n": 1})
    );
    gateway.run(&remove, call());
    assert_eq!(gateway.run(&lookup, call()).body, "none");
}

#[test]
fn mock_response_answers_with_the_operation_example_or_just_the_status() {
    let examples = vec![ResponseExample {
        status: 200,
        representations: vec![Representation {
            content_type: "application/json".into(),
            examples: vec![r#"{"id":1}"#.into()],
        }],
    }];
    let gateway = TestGateway::default();

    let mocked = gateway.run(
        &policy(
            r#"<mock-response status-code="200" content-type="application/json" />"#,
            "",
            "",
        ),
        call().examples(examples),
    );
    let bare = gateway.run(
        &policy(r#"<mock-response status-code="404" />"#, "", ""),
        call(),
    );

    assert_eq!((mocked.status, mocked.body.as_str()), (200, r#"{"id":1}"#));
    assert_eq!(mocked.header("content-type"), Some("application/json"));
    assert_eq!((bare.status, bare.body.as_str()), (404, ""));
    assert!(gateway.backend.received().is_empty());
}

#[test]
fn trace_adds_entries_under_its_source() {
    let ran = TestGateway::default().run(
        &policy(r#"<trace source="audit" severity="information"><message>@("seen " + context.Request.Method)</message><metadata name="tenant" value="t1" /></trace>"#, "", ""),
        call(),
    );

    let entry = ran.trace["traceEntries"]["inbound"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["source"] == "audit")
        .cloned()
        .expect("a trace entry from the policy");
    assert_eq!(
        entry["data"],
        serde_json::json!({"message": "seen GET", "severity": "information", "metadata": {"tenant": "t1"}})
    );
}

#[test]
fn fragments_run_in_place_and_their_errors_point_into_them() {
    let env = Environment::new().with_fragment(
        "stamp",
        r#"<fragment><set-header name="x-stamp" exists-action="override"><value>@(context.Api.Id)</value></set-header></fragment>"#,
    );
    let gateway = TestGateway::with_env(env);

    gateway.run(
        &policy(r#"<include-fragment fragment-id="stamp" />"#, "", ""),
        call(),
    );
    assert_eq!(
        gateway.backend.received()[0]
            .headers
            .get("x-stamp")
            .unwrap(),
        "test-api"
    );

    let broken = Environment::new().with_fragment(
        "bad",
        "<fragment>\n  <set-header name=\"a b\"><value>1</value></set-header>\n</fragment>",
    );
    let errors = compile_document_with(
        &policy(r#"<include-fragment fragment-id="bad" />"#, "", ""),
        ScopeLevel::Api,
        &broken,
    )
    .unwrap_err();
    assert!(
        errors[0]
            .message
            .starts_with("in policy fragment 'bad' at 2:"),
        "{errors:?}"
    );
    let misplaced = Environment::new().with_fragment(
        "out",
        r#"<fragment><cache-store duration="1" /></fragment>"#,
    );
    let errors = compile_document_with(
        &policy(r#"<include-fragment fragment-id="out" />"#, "", ""),
        ScopeLevel::Api,
        &misplaced,
    )
    .unwrap_err();
    assert!(
        errors[0]
            .message
            .contains("not allowed in <inbound>, where the fragment is included"),
        "{errors:?}"
    );
}

#[test]
fn named_values_are_substituted_and_secrets_stay_out_of_traces_and_errors() {
    let env = Environment::new()
        .with_named_value("tenant", "contoso", false)
        .with_named_value("api-key", "s3cr3t-value", true);
    let gateway = TestGateway::with_env(env.clone());
    let inbound = r#"<set-header name="x-tenant" exists-action="override"><value>{{tenant}}</value></set-header><set-header name="x-key" exists-action="override"><value>{{api-key}}</value></set-header>"#;

    let ran = gateway.run(&policy(inbound, "", ""), call());

    let sent = &gateway.backend.received()[0];
    assert_eq!(sent.headers.get("x-tenant").unwrap(), "contoso");
    assert_eq!(sent.headers.get("x-key").unwrap(), "s3cr3t-value");
    let trace = ran.trace.to_string();
    assert!(
        trace.contains("contoso") && !trace.contains("s3cr3t-value"),
        "{trace}"
    );

    let document = compile_document_with(&policy(inbound, "", ""), ScopeLevel::Api, &env).unwrap();
    assert!(
        !format!("{document:?}").contains("s3cr3t-value"),
        "Debug output hides compiled secrets"
    );

    let undefined = compile_document_with(
        &policy("<set-variable name=\"x\" value=\"{{missing}}\" />", "", ""),
        ScopeLevel::Api,
        &env,
    )
    .unwrap_err();
    assert_eq!(
        undefined[0].message,
        "named value '{{missing}}' is not defined"
    );
    let bad = compile_document_with(
        &policy(
            r#"<rate-limit calls="{{api-key}}" renewal-period="60" />"#,
            "",
            "",
        ),
        ScopeLevel::Api,
        &env,
    )
    .unwrap_err();
    assert!(
        !bad.iter().any(|d| d.message.contains("s3cr3t-value")),
        "{bad:?}"
    );
}

#[test]
fn a_named_value_holding_an_expression_becomes_one() {
    let env = Environment::new().with_named_value(
        "now-method",
        "@(context.Request.Method.ToLower())",
        false,
    );
    let gateway = TestGateway::with_env(env);

    gateway.run(&policy(r#"<set-header name="x-m" exists-action="override"><value>{{now-method}}</value></set-header>"#, "", ""), call());

    assert_eq!(
        gateway.backend.received()[0].headers.get("x-m").unwrap(),
        "get"
    );
}

#[test]
fn proxy_sends_the_forwarded_request_through_the_proxy_and_keeps_its_password_out_of_traces() {
    let env = Environment::new().with_named_value("proxy-password", "pr0xy-s3cret", true);
    let gateway = TestGateway::with_env(env);
    let inbound = r#"<proxy url="@("http://" + "10.1.2.3:3128")" username="gw" password="{{proxy-password}}" />"#;

    let ran = gateway.run(&policy(inbound, "", ""), call());

    assert_eq!(ran.status, 200, "{ran:?}");
    let proxy = gateway.backend.received()[0]
        .proxy
        .clone()
        .expect("sent through the proxy");
    assert_eq!((proxy.host.as_str(), proxy.port), ("10.1.2.3", 3128));
    assert_eq!(
        proxy.authorization().as_deref(),
        Some("Basic Z3c6cHIweHktczNjcmV0")
    );
    assert!(ran.sources("inbound").contains(&"proxy".to_owned()));
    let trace = ran.trace.to_string();
    assert!(
        trace.contains("10.1.2.3:3128") && !trace.contains("pr0xy-s3cret"),
        "{trace}"
    );
    assert!(!format!("{proxy:?}").contains("pr0xy-s3cret"));
}

#[test]
fn send_request_takes_its_own_proxy_and_forward_request_none_without_the_policy() {
    let gateway = TestGateway::default();
    let inbound = r#"<send-request mode="new" response-variable-name="r"><set-url>http://side.example/x</set-url><proxy url="http://127.0.0.1:8888" /></send-request>"#;

    gateway.run(&policy(inbound, "", ""), call());

    let received = gateway.backend.received();
    let side = received[0]
        .proxy
        .as_ref()
        .expect("the side call uses its proxy");
    assert_eq!((side.port, side.username.as_deref()), (8888, None));
    assert_eq!(
        received[1].proxy, None,
        "the forwarded request has no proxy"
    );
}

#[test]
fn proxy_urls_other_than_plain_http_are_refused_when_saved_and_when_computed() {
    let cases = [
        (
            r#"<proxy url="https://proxy.example:8443" />"#,
            "must start with http://",
        ),
        (r#"<proxy url="http://proxy.example:0" />"#, "no valid port"),
        (
            r#"<proxy url="http://user:pw@proxy.example:8080" />"#,
            "not in the URL",
        ),
        (
            r#"<proxy url="http://proxy.example:8080/path" />"#,
            "no path or query",
        ),
        (
            r#"<proxy url="http://proxy.example:8080" password="x" />"#,
            "no 'username'",
        ),
        (
            r#"<proxy url="http://proxy.example:8080" username="a:b" />"#,
            "cannot contain ':'",
        ),
    ];
    for (inbound, expected) in cases {
        let errors = compile_document_with(
            &policy(inbound, "", ""),
            ScopeLevel::Api,
            &Environment::new(),
        )
        .expect_err(inbound);
        assert!(
            errors[0].message.contains(expected),
            "{inbound}: {errors:?}"
        );
    }

    let computed = r#"<proxy url="@("ftp://" + "proxy.example")" />"#;
    let gateway = TestGateway::default();
    let ran = gateway.run(&policy(computed, "", ""), call());
    assert_eq!(ran.status, 500);
    assert_eq!(ran.reason_code(), Some("ExpressionValueEvaluationFailure"));
    assert!(gateway.backend.received().is_empty(), "fails closed");
}

#[test]
fn a_computed_informational_status_fails_the_request_instead_of_being_sent() {
    let gateway = TestGateway::default();
    let inbound = r#"<return-response><set-status code="@(context.Request.Url.Query.GetValueOrDefault("s", "200"))" /></return-response>"#;

    let ran = gateway.run(
        &policy(inbound, "", ""),
        Call::get(&format!("{GATEWAY}/resource?s=101")),
    );

    assert_eq!(ran.status, 500, "{}", ran.body);
}
