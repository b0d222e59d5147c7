//! C# semantics, table by table: each row is an expression and the text `ToString()` gives for
//! its value (APIM inserts values into policies as text).

mod support;

use gatehouse_expr::{EvalError, StaticHost, Value};
use support::{eval, eval_text, expr};

fn check_table(rows: &[(&str, &str)]) {
    let host = StaticHost::default();
    for (text, expected) in rows {
        let wrapped = format!("@({text})");
        assert_eq!(eval_text(&wrapped, &host), *expected, "{text}");
    }
}

fn failure(text: &str) -> EvalError {
    let host = StaticHost::default();
    match expr(text).evaluate(&host) {
        Ok(value) => panic!("{text} gave {value:?} instead of failing"),
        Err(error) => error,
    }
}

#[test]
fn literals() {
    check_table(&[
        ("true", "True"),
        ("false", "False"),
        ("null", ""),
        ("42", "42"),
        ("-7", "-7"),
        ("3000000000", "3000000000"),
        ("10L", "10"),
        ("1.5", "1.5"),
        ("1e3", "1000"),
        ("0x1F", "31"),
        ("'x'", "x"),
        ("'\\n' == '\\u000A'", "True"),
        (r#""tab\tquote\"back\\slash""#, "tab\tquote\"back\\slash"),
        (r#"@"C:\path\""quoted""""#, "C:\\path\\\"quoted\""),
        (r#""\u0041\x42""#, "AB"),
    ]);
}

#[test]
fn equality_is_ordinal_and_case_sensitive() {
    check_table(&[
        (r#""abc" == "abc""#, "True"),
        (r#""abc" == "ABC""#, "False"),
        (r#""abc" != "ABC""#, "True"),
        (r#"(string)null == null"#, "True"),
        (r#""a" == null"#, "False"),
        ("1 == 1L", "True"),
        ("1 == 1.0", "True"),
        ("'a' == 97", "True"),
        ("true != false", "True"),
    ]);
}

#[test]
fn logical_operators_short_circuit() {
    check_table(&[
        ("true || (1 / 0 == 0)", "True"),
        ("false && (1 / 0 == 0)", "False"),
        ("!true", "False"),
        ("!(1 > 2) && 3 >= 3", "True"),
        ("true ^ true", "False"),
        ("true | false", "True"),
        ("true & false", "False"),
    ]);
}

#[test]
fn arithmetic_promotes_like_csharp() {
    check_table(&[
        ("7 / 2", "3"),
        ("-7 / 2", "-3"),
        ("7 % 3", "1"),
        ("-7 % 3", "-1"),
        ("7 / 2.0", "3.5"),
        ("7.0 / 0", "∞"),
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("10 - 2 - 3", "5"),
        ("2147483647 + 1", "-2147483648"),
        ("2147483647L + 1", "2147483648"),
        ("0.1 + 0.2", "0.30000000000000004"),
        ("'a' + 1", "98"),
        ("1 << 4", "16"),
        ("-16 >> 2", "-4"),
        ("5 & 3", "1"),
        ("5 | 3", "7"),
        ("~0", "-1"),
        ("(int)3.9", "3"),
        ("(int)-3.9", "-3"),
        ("(long)2.5 * 2", "4"),
        ("(double)1 / 4", "0.25"),
        ("(char)65", "A"),
        ("(int)'A'", "65"),
    ]);
}

#[test]
fn string_concatenation_converts_like_tostring() {
    check_table(&[
        (r#""a" + 1 + 2"#, "a12"),
        (r#"1 + 2 + "a""#, "3a"),
        (r#""x" + true"#, "xTrue"),
        (r#""x" + null + "y""#, "xy"),
        (r#""v" + 1.5"#, "v1.5"),
        (r#""c" + 'd'"#, "cd"),
        ("(1+1).ToString()", "2"),
        (r#""Hi There".Length"#, "8"),
    ]);
}

#[test]
fn comparisons() {
    check_table(&[
        ("1 < 2", "True"),
        ("2 <= 2", "True"),
        ("3 > 4", "False"),
        ("2.5 >= 2", "True"),
        ("'a' < 'b'", "True"),
    ]);
}

#[test]
fn conditional_and_null_operators() {
    check_table(&[
        ("1 > 0 ? \"yes\" : \"no\"", "yes"),
        ("false ? 1 : 2.5", "2.5"),
        ("(string)null ?? \"fallback\"", "fallback"),
        ("\"set\" ?? \"fallback\"", "set"),
        ("((string)null)?.Length", ""),
        ("((string)null)?.Length ?? -1", "-1"),
        ("\"abc\"?.Length", "3"),
        ("((string)null)?.Trim().ToUpper()", ""),
        ("true ? null : \"x\"", ""),
    ]);
}

#[test]
fn type_tests_and_casts() {
    let host = StaticHost::default()
        .with_variable("text", "hello")
        .with_variable("number", 42)
        .with_variable("flag", true);
    let rows = [
        ("@(context.Variables[\"text\"] is string)", "True"),
        ("@(context.Variables[\"number\"] is string)", "False"),
        (
            "@(context.Variables[\"number\"] is int n && n > 40)",
            "True",
        ),
        ("@((context.Variables[\"text\"] as string).Length)", "5"),
        ("@(context.Variables[\"number\"] as string == null)", "True"),
        ("@((int)context.Variables[\"number\"] + 1)", "43"),
        ("@((bool)context.Variables[\"flag\"])", "True"),
        ("@((string)context.Variables[\"text\"])", "hello"),
        ("@(context.Variables[\"missing\"] is null)", "False"),
    ];
    for (text, expected) in rows {
        match expr(text).evaluate_string(&host) {
            Ok(value) => assert_eq!(value, expected, "{text}"),
            Err(error) if text.contains("missing") => {
                assert!(matches!(error, EvalError::KeyNotFound { .. }))
            }
            Err(error) => panic!("{text}: {error}"),
        }
    }
}

#[test]
fn unboxing_needs_the_exact_type() {
    let host = StaticHost::default().with_variable("number", 42);

    let error = expr("@((long)context.Variables[\"number\"])")
        .evaluate(&host)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Expression evaluation failed. Unable to cast object of type 'System.Int32' to type 'System.Int64'."
    );
    let error = expr("@((string)context.Variables[\"number\"])")
        .evaluate(&host)
        .unwrap_err();
    assert!(matches!(error, EvalError::InvalidCast { .. }));
}

#[test]
fn runtime_failures_have_their_own_variants() {
    assert_eq!(failure("@(1 / 0)"), EvalError::DivideByZero);
    assert_eq!(
        failure("@(((string)null).Length)"),
        EvalError::NullReference
    );
    assert!(matches!(
        failure("@(int.Parse(\"x1\"))"),
        EvalError::Format { .. }
    ));
    assert!(matches!(
        failure("@(\"abc\".Substring(5))"),
        EvalError::Argument { .. }
    ));
    assert!(matches!(
        failure("@(new int[] { 1 }[3])"),
        EvalError::IndexOutOfRange
    ));
    assert!(matches!(
        failure("@(context.Variables[\"nope\"])"),
        EvalError::KeyNotFound { .. }
    ));
    assert!(matches!(
        failure("@(new List<int>().First())"),
        EvalError::InvalidOperation { .. }
    ));
}

#[test]
fn blocks_run_statements_and_return() {
    let host = StaticHost::default();
    let block = r#"@{
        var total = 0;
        for (var i = 1; i <= 4; i++) { total += i; }
        var words = new List<string>();
        foreach (var w in "b,a,c".Split(',')) {
            if (w == "c") { continue; }
            words.Add(w.ToUpper());
        }
        string joined;
        if (total > 5) { joined = string.Join("-", words); } else { joined = "small"; }
        return joined + ":" + total;
    }"#;

    assert_eq!(eval_text(block, &host), "B-A:10");
}

#[test]
fn try_catch_handles_exceptions_but_not_limits() {
    let host = StaticHost::default();
    let caught = r#"@{
        try { return int.Parse("nope").ToString(); }
        catch (FormatException ex) { return "format: " + ex.Message; }
    }"#;
    assert_eq!(
        eval_text(caught, &host),
        "format: Input string was not in a correct format."
    );

    let thrown =
        r#"@{ try { throw new Exception("boom"); } catch (Exception e) { return e.Message; } }"#;
    assert_eq!(eval_text(thrown, &host), "boom");
}

#[test]
fn switch_selects_a_section() {
    let host = StaticHost::default().with_variable("method", "PUT");
    let block = r#"@{
        switch ((string)context.Variables["method"]) {
            case "GET": return 1;
            case "PUT":
            case "POST": return 2;
            default: return 3;
        }
    }"#;

    assert_eq!(eval(block, &host), Value::Int(2));
}

#[test]
fn expressions_are_shareable_across_threads() {
    fn assert_traits<T: Clone + Send + Sync + std::fmt::Debug>() {}
    assert_traits::<gatehouse_expr::Expression>();
    assert_traits::<Value>();

    let compiled = expr("@(context.Request.Method == \"GET\")");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let compiled = compiled.clone();
            std::thread::spawn(move || compiled.evaluate_bool(&StaticHost::default()))
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().expect("thread ran"), Ok(true));
    }
}
