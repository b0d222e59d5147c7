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
