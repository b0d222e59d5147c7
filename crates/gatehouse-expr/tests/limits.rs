//! Evaluation limits: each has its own error, and `catch` cannot swallow them.

mod support;

use gatehouse_expr::{EvalError, Limits, StaticHost};
use support::expr;

fn run(text: &str, limits: Limits) -> EvalError {
    let host = StaticHost::default();
    expr(text)
        .with_limits(limits)
        .evaluate(&host)
        .expect_err("the limit stops the expression")
}

#[test]
fn endless_loops_hit_the_step_limit() {
    let limits = Limits {
        max_steps: 10_000,
        ..Limits::default()
    };

    assert_eq!(
        run("@{ while (true) { } }", limits),
        EvalError::StepLimit { limit: 10_000 }
    );
}

#[test]
fn catch_does_not_swallow_a_limit() {
    let limits = Limits {
        max_steps: 1_000,
        ..Limits::default()
    };
    let text = "@{ try { while (true) { } } catch (Exception e) { return \"caught\"; } }";

    assert_eq!(run(text, limits), EvalError::StepLimit { limit: 1_000 });
}

#[test]
fn doubling_strings_hit_the_string_limit() {
    let limits = Limits {
        max_string_length: 1024,
        ..Limits::default()
    };
    let text = "@{ var s = \"x\"; while (true) { s = s + s; } }";

    assert_eq!(run(text, limits), EvalError::StringLimit { limit: 1024 });
}

#[test]
fn growing_lists_hit_the_collection_limit() {
    let limits = Limits {
        max_collection_length: 100,
        ..Limits::default()
    };
    let text = "@{ var l = new List<int>(); while (true) { l.Add(1); } }";

    assert_eq!(run(text, limits), EvalError::CollectionLimit { limit: 100 });
}

#[test]
fn nested_lambdas_hit_the_depth_limit() {
    let limits = Limits {
        max_depth: 2,
        ..Limits::default()
    };
    let text = "@(new[] { 1 }.Select(a => new[] { 2 }.Select(b => new[] { 3 }.Select(c => a + b + c).First()).First()).First())";

    assert_eq!(run(text, limits), EvalError::DepthLimit { limit: 2 });
    let host = StaticHost::default();
    assert_eq!(
        expr(text).evaluate(&host).expect("within default limits"),
        6.into()
    );
}

#[test]
fn deep_nesting_is_refused_at_compile_time() {
    let deep = format!("@({}1{})", "(".repeat(500), ")".repeat(500));
    let messages = support::errors(&deep);

    assert!(
        messages
            .iter()
            .any(|m| m == "the expression is nested too deeply"),
        "{messages:?}"
    );
}

#[test]
fn long_operator_chains_compile_and_run_up_to_the_chain_limit() {
    let host = StaticHost::default();
    let long = format!("@({})", vec!["1"; 400].join(" + "));
    assert_eq!(expr(&long).evaluate(&host).expect("evaluates"), 400.into());

    let too_long = format!("@({})", vec!["1"; 402].join(" + "));
    let messages = support::errors(&too_long);
    assert!(
        messages
            .iter()
            .any(|m| m == "the expression chains too many operators"),
        "{messages:?}"
    );
}

#[test]
fn deeply_nested_values_built_in_loops_drop_and_print_safely() {
    let host = StaticHost::default();
    let generous = Limits {
        max_steps: 20_000_000,
        ..Limits::default()
    };
    let lists = "@{ var l = new List<object>(); for (var i = 0; i < 200000; i++) { l = new List<object> { l }; } return l.Count; }";
    assert_eq!(
        expr(lists)
            .with_limits(generous)
            .evaluate(&host)
            .expect("evaluates"),
        1.into()
    );

    let json = "@{ var o = new JObject(); for (var i = 0; i < 100000; i++) { o = new JObject(new JProperty(\"a\", o)); } return o.ToString(Formatting.None).Length > 0; }";
    assert_eq!(
        expr(json)
            .with_limits(generous)
            .evaluate(&host)
            .expect("evaluates"),
        true.into()
    );
}

#[test]
fn results_sized_by_their_arguments_are_refused_at_the_string_limit() {
    let limit = Limits::default().max_string_length;
    for text in support::OVERSIZED_STRINGS {
        assert_eq!(
            run(text, Limits::default()),
            EvalError::StringLimit { limit },
            "{text}"
        );
    }
}

#[test]
fn collections_sized_by_their_arguments_are_refused_at_the_collection_limit() {
    let limit = Limits::default().max_collection_length;
    for text in support::OVERSIZED_COLLECTIONS {
        assert_eq!(
            run(text, Limits::default()),
            EvalError::CollectionLimit { limit },
            "{text}"
        );
    }
}

#[test]
fn a_width_from_a_request_header_is_refused_at_the_string_limit() {
    let host = StaticHost::default().with_request_header("X-Width", "2000000000");
    let text = r#"@("a".PadLeft(int.Parse(context.Request.Headers.GetValueOrDefault("X-Width", "1"))).Length)"#;

    assert_eq!(
        expr(text).evaluate(&host),
        Err(EvalError::StringLimit {
            limit: Limits::default().max_string_length
        })
    );
}

#[test]
fn byte_ranges_from_arguments_are_checked_without_overflowing() {
    for text in [
        "@(Encoding.UTF8.GetString(new byte[4], -1, 2))",
        "@(Encoding.UTF8.GetString(new byte[4], 2, 2147483647))",
        "@(Encoding.UTF8.GetString(new byte[4], 1, -1))",
    ] {
        assert_eq!(
            expr(text).evaluate(&StaticHost::default()),
            Err(EvalError::IndexOutOfRange),
            "{text}"
        );
    }
}

#[test]
fn shared_json_is_refused_as_text_and_cut_in_traces() {
    let host = StaticHost::default();
    let limit = Limits::default().max_string_length;
    let text = r#"@{ var big = "".PadLeft(1000000); var a = new JArray(); for (var i = 0; i < 10000; i++) { a.Add(big); } return a; }"#;

    assert_eq!(
        expr(text).evaluate_string(&host),
        Err(EvalError::StringLimit { limit })
    );
    let value = expr(text)
        .evaluate(&host)
        .expect("the array itself is small");
    let shown = gatehouse_expr::display(&value, &host);
    assert!(
        shown.len() > limit && shown.len() < limit + 16,
        "{}",
        shown.len()
    );
}

#[test]
fn results_up_to_the_string_limit_are_built() {
    let host = StaticHost::default();
    let limit = Limits::default().max_string_length;
    let rows = [
        (format!(r#"@("".PadLeft({limit}).Length)"#), limit),
        (format!(r#"@("a".PadRight({limit}, 'b').Length)"#), limit),
        (
            format!(r#"@(string.Format("{{0,{limit}}}", 1).Length)"#),
            limit,
        ),
        (format!(r#"@(1.ToString("D{limit}").Length)"#), limit),
        // 'é' takes two bytes of the limit.
        (
            format!(r#"@("".PadLeft({}, 'é').Length)"#, limit / 2),
            limit / 2,
        ),
        (
            r#"@(new StringBuilder().Append('a', 3000000).Length)"#.to_owned(),
            3_000_000,
        ),
        (
            r#"@(string.Join("".PadLeft(1000), new string[4000]).Length)"#.to_owned(),
            3_999_000,
        ),
    ];
    for (text, length) in rows {
        let expected = i32::try_from(length).expect("fits");
        assert_eq!(expr(&text).evaluate(&host), Ok(expected.into()), "{text}");
    }
}
