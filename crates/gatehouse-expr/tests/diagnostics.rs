//! Compile errors: located in document coordinates, complete, and explicit about what Gatehouse
//! does not support.

mod support;

use gatehouse_expr::{Diagnostic, Position, compile};
use support::errors;

fn diagnostics(text: &str, origin: Position) -> Vec<Diagnostic> {
    compile(text, origin).expect_err("must not compile")
}

#[test]
fn positions_are_in_document_coordinates_across_lines() {
    let text = "@{\n    var x = 1;\n    return x + y;\n}";
    let found = diagnostics(text, Position::new(10, 20));

    assert_eq!(found.len(), 1);
    assert_eq!((found[0].line, found[0].column), (12, 16));
    assert_eq!(
        found[0].message,
        "the name 'y' does not exist in the current context"
    );
}

#[test]
fn first_line_columns_start_at_the_origin() {
    let found = diagnostics("@(context.Request.Nope)", Position::new(3, 30));

    assert_eq!((found[0].line, found[0].column), (3, 48));
    assert_eq!(
        found[0].message,
        "'IRequest' does not contain a definition for 'Nope' that Gatehouse supports"
    );
}

#[test]
fn several_mistakes_are_all_reported() {
    let text = "@{\n var a = missing1;\n var b = missing2;\n return a.Foo + b;\n}";
    let found = diagnostics(text, Position::new(1, 1));

    let lines: Vec<u32> = found.iter().map(|d| d.line).collect();
    assert_eq!(lines, vec![2, 3], "{found:?}");
}

#[test]
fn syntax_errors_in_several_statements_are_all_reported() {
    let text = "@{\n var a = ;\n var b = 2 +;\n return 1;\n}";
    let found = diagnostics(text, Position::new(1, 1));

    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].line, found[1].line), (2, 3));
    assert!(
        found[0]
            .message
            .starts_with("expected an expression, found ';'")
    );
}

#[test]
fn display_shows_line_column_and_message() {
    let found = diagnostics("@(1 +)", Position::new(4, 2));

    assert_eq!(
        found[0].to_string(),
        "4:7: expected an expression, found the end of the expression"
    );
}

#[test]
fn blocks_must_return_on_every_path() {
    let messages = errors("@{ if (context.Request.Method == \"GET\") { return 1; } }");
    assert!(
        messages[0].starts_with("not all code paths return a value"),
        "{messages:?}"
    );

    assert!(
        compile(
            "@{ if (true) { return 1; } else { return 2; } }",
            Position::new(1, 1)
        )
        .is_ok()
    );
    assert!(
        compile(
            "@{ try { return 1; } catch { return 2; } }",
            Position::new(1, 1)
        )
        .is_ok()
    );
    assert!(compile("@{ throw new Exception(\"x\"); }", Position::new(1, 1)).is_ok());
}

#[test]
fn unsupported_constructs_are_named() {
    let cases = [
        (
            "@(new XmlDocument())",
            "the type 'XmlDocument' is not among the types APIM allows in policy expressions",
        ),
        (
            "@{ using (var x = new MemoryStream()) { } return 1; }",
            "the type 'MemoryStream' is not supported by Gatehouse",
        ),
        (
            "@{ lock (context) { } return 1; }",
            "the 'lock' statement is not supported by Gatehouse",
        ),
        (
            "@(typeof(string))",
            "'typeof' is not supported by Gatehouse",
        ),
        ("@(1.5m)", "decimal literals are not supported by Gatehouse"),
        ("@((1, 2))", "tuples are not supported by Gatehouse"),
        (
            "@{ T Same<T>(T x) { return x; } return 1; }",
            "generic local functions are not supported by Gatehouse",
        ),
        (
            "@(int.Parse(ref x))",
            "'ref' arguments are not supported by Gatehouse",
        ),
        (
            "@(\"a\".Split(out var parts))",
            "'Split' with an 'out' argument is not supported by Gatehouse",
        ),
        ("@({{my-named-value}})", "'{{…}}' is a named value"),
    ];
    for (text, expected) in cases {
        let messages = errors(text);
        assert!(
            messages.iter().any(|m| m.starts_with(expected)),
            "{text}: {messages:?}"
        );
    }
}

#[test]
fn type_errors_follow_csharp() {
    let cases = [
        (
            "@(\"a\" < \"b\")",
            "operator '<' cannot be applied to operands of type 'string' and 'string'",
        ),
        (
            "@(1 == \"1\")",
            "operator '==' cannot be applied to operands of type 'int' and 'string'",
        ),
        (
            "@(context.Variables[\"x\"].Length)",
            "'object' does not contain a definition for 'Length'; cast the value to its type first",
        ),
        (
            "@{ string s = 1; return s; }",
            "cannot implicitly convert type 'int' to 'string'",
        ),
        (
            "@(!\"text\")",
            "operator '!' cannot be applied to an operand of type 'string'",
        ),
        (
            "@(true ? 1 : \"x\")",
            "type of conditional expression cannot be determined",
        ),
        (
            "@{ var x = null; return x; }",
            "cannot assign null to an implicitly-typed variable",
        ),
        (
            "@{ var x = 1; var x = 2; return x; }",
            "a local variable named 'x' is already defined in this scope",
        ),
        (
            "@(\"abc\".Frobnicate())",
            "'string' does not contain a method 'Frobnicate'",
        ),
        (
            "@(context.Request.Body.As<XmlDocument>())",
            "the type 'XmlDocument' is not among the types APIM allows",
        ),
        (
            "@(context.Request.Body.As<Uri>())",
            "'Body.As<Uri>' is not supported by Gatehouse",
        ),
        (
            "@{ if (1) { return 1; } return 2; }",
            "cannot implicitly convert type 'int' to 'bool'",
        ),
        (
            "@{ 1 + 2; return 1; }",
            "only assignment, call, increment, decrement and new object expressions",
        ),
    ];
    for (text, expected) in cases {
        let messages = errors(text);
        assert!(
            messages.iter().any(|m| m.starts_with(expected)),
            "{text}: {messages:?}"
        );
    }
}

#[test]
fn malformed_wrappers_are_rejected() {
    assert!(errors("context.Request.Method")[0].contains("starts with '@(' or '@{'"));
    assert!(errors("@(1 + 2")[0].contains("not closed"));
    assert!(errors("@()")[0].starts_with("expected an expression"));
    assert!(
        errors("@(\"unterminated)")[0].starts_with("newline in constant")
            || !errors("@(\"unterminated)").is_empty()
    );
}
