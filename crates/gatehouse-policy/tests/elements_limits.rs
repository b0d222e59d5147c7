//! Rate limits, quotas and concurrency limits: APIM's 429 and 403 answers, `Retry-After`,
//! counters that renew with their period and survive recompiling the policy.

mod support;

use std::time::Duration;

use support::harness::{Answer, Call, GATEWAY, TestGateway, policy};

fn call() -> Call {
    Call::get(&format!("{GATEWAY}/resource"))
}

#[test]
fn rate_limit_answers_429_with_retry_after_once_the_calls_are_spent() {
    let gateway = TestGateway::default();
    let limited = policy(
        r#"<rate-limit calls="2" renewal-period="60" remaining-calls-header-name="x-remaining" />"#,
        "",
        "",
    );

    let first = gateway.run(&limited, call());
    assert_eq!(
        (first.status, first.header("x-remaining")),
        (200, Some("1"))
    );
    assert_eq!(gateway.run(&limited, call()).status, 200);
    gateway.clock.advance(Duration::from_secs(3));
    let refused = gateway.run(&limited, call());

    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("57"));
    assert_eq!(
        refused.json(),
        serde_json::json!({"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."})
    );
    let failure = refused.failure.expect("refused");
    assert_eq!(
        (&*failure.reason, failure.message.as_str()),
        ("RateLimitExceeded", "Rate limit is exceeded")
    );
    assert_eq!(
        gateway.backend.received().len(),
        2,
        "the refused call never reached the backend"
    );

    gateway.clock.advance(Duration::from_secs(57));
    assert_eq!(
        gateway.run(&limited, call()).status,
        200,
        "a new period starts"
    );
}

#[test]
fn rate_limits_count_per_subscription_and_survive_recompiling() {
    let gateway = TestGateway::default();
    let limited = policy(r#"<rate-limit calls="1" renewal-period="60" />"#, "", "");
    // The same policy with an unrelated change: compiled again, as after a configuration edit.
    let edited = policy(
        r#"<set-header name="x-edit" exists-action="override"><value>1</value></set-header><rate-limit calls="1" renewal-period="60" />"#,
        "",
        "",
    );

    assert_eq!(
        gateway.run(&limited, call().subscription(Some("a"))).status,
        200
    );
    assert_eq!(
        gateway.run(&limited, call().subscription(Some("b"))).status,
        200
    );
    assert_eq!(
        gateway.run(&edited, call().subscription(Some("a"))).status,
        429
    );
}

#[test]
fn rate_limit_by_key_shares_one_counter_per_key_and_names_its_retry_header() {
    let gateway = TestGateway::default();
    let by_ip = policy(
        r#"<rate-limit-by-key calls="1" renewal-period="10" counter-key="@(context.Request.IpAddress)" retry-after-header-name="x-retry" retry-after-variable-name="wait" />"#,
        "",
        "",
    );

    assert_eq!(gateway.run(&by_ip, call().ip("10.0.0.1")).status, 200);
    assert_eq!(gateway.run(&by_ip, call().ip("10.0.0.2")).status, 200);
    let refused = gateway.run(&by_ip, call().ip("10.0.0.1"));

    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("x-retry"), Some("10"));
    assert!(refused.header("retry-after").is_none());
}

#[test]
fn an_increment_condition_on_the_response_counts_only_matching_responses() {
    let gateway = TestGateway::default();
    let failures_only = policy(
        r#"<rate-limit-by-key calls="1" renewal-period="60" counter-key="k" increment-condition="@(context.Response.StatusCode >= 500)" />"#,
        "",
        "",
    );

    gateway.backend.answer(Answer::new(200, "ok"));
    gateway.backend.answer(Answer::new(200, "ok"));
    gateway.backend.answer(Answer::new(503, "down"));
    assert_eq!(gateway.run(&failures_only, call()).status, 200);
    assert_eq!(gateway.run(&failures_only, call()).status, 200);
    assert_eq!(gateway.run(&failures_only, call()).status, 503);
    assert_eq!(
        gateway.run(&failures_only, call()).status,
        429,
        "the 503 was counted"
    );
}

#[test]
fn quota_answers_403_saying_when_it_is_replenished() {
    let gateway = TestGateway::default();
    let quota = policy(r#"<quota calls="1" renewal-period="3600" />"#, "", "");

    assert_eq!(gateway.run(&quota, call()).status, 200);
    gateway.clock.advance(Duration::from_secs(60));
    let refused = gateway.run(&quota, call());

    assert_eq!(refused.status, 403);
    let message = "Out of call volume quota. Quota will be replenished in 00:59:00.";
    assert_eq!(
        refused.json(),
        serde_json::json!({"statusCode": 403, "message": message})
    );
    assert_eq!(refused.reason_code(), Some("QuotaExceeded"));
}

#[test]
fn bandwidth_quotas_count_the_kilobytes_after_the_response() {
    let gateway = TestGateway::default();
    let quota = policy(
        r#"<quota-by-key bandwidth="2" renewal-period="60" counter-key="k" />"#,
        "",
        "",
    );

    gateway.backend.answer(Answer::new(200, &"x".repeat(3000)));
    assert_eq!(
        gateway.run(&quota, call()).status,
        200,
        "checked before counting"
    );
    let refused = gateway.run(&quota, call());

    assert_eq!(refused.status, 403);
    assert!(
        refused.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("Out of bandwidth quota.")
    );
}

#[test]
fn quota_by_key_with_a_zero_period_never_renews() {
    let gateway = TestGateway::default();
    let quota = policy(
        r#"<quota-by-key calls="1" renewal-period="0" counter-key="@(context.Subscription.Id)" />"#,
        "",
        "",
    );

    assert_eq!(gateway.run(&quota, call()).status, 200);
    gateway.clock.advance(Duration::from_secs(365 * 24 * 3600));
    assert_eq!(gateway.run(&quota, call()).status, 403);
}

#[test]
fn limit_concurrency_refuses_at_once_when_every_place_is_taken() {
    let gateway = TestGateway::default();
    let limited = policy("", "", "").replace(
        "<forward-request />",
        r#"<limit-concurrency key="backend" max-count="1"><forward-request /></limit-concurrency>"#,
    );

    let held = gateway
        .services
        .concurrency
        .try_acquire("limit-concurrency|backend", 1);
    let refused = gateway.run(&limited, call());
    assert_eq!(refused.status, 429);
    assert_eq!(refused.reason_code(), Some("ConcurrencyLimitExceeded"));

    drop(held);
    assert_eq!(gateway.run(&limited, call()).status, 200);
    assert!(
        gateway
            .services
            .concurrency
            .try_acquire("limit-concurrency|backend", 1)
            .is_some(),
        "the place is freed"
    );
}
