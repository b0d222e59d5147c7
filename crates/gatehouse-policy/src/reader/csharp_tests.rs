use super::*;

/// Runs the matcher on `text` and returns the rest of the text after the expression.
fn rest_after(text: &str) -> Result<&str, Unbalanced> {
    let mut chars = Chars::new(text, 0, text.len(), true);
    skip_expression(&mut chars)?;
    Ok(&text[chars.pos()..])
}

fn problem(text: &str) -> (usize, Problem) {
    let error = rest_after(text).expect_err("the expression should not balance");
    (error.offset, error.problem)
}

#[test]
fn single_and_block_forms_are_recognised() {
    let mut chars = Chars::new("@{ return 1; }", 0, 14, true);

    assert_eq!(skip_expression(&mut chars), Ok(Form::Block));
    assert_eq!(rest_after("@(a(b)[c]{d}) tail"), Ok(" tail"));
}

#[test]
fn brackets_and_quotes_inside_strings_are_skipped() {
    assert_eq!(
        rest_after(r#"@(x == ")]}\"(" && y)" rest"#),
        Ok(r#"" rest"#)
    );
    assert_eq!(rest_after(r#"@(@"a "" ) \ b")x"#), Ok("x"));
}

#[test]
fn interpolation_holes_nest() {
    let text = r#"@($"{a["k"]} }} {{ {$"{(b)}"} )")x"#;

    assert_eq!(rest_after(text), Ok("x"));
    assert_eq!(rest_after(r#"@($@"{a}"" ) {{")x"#), Ok("x"));
    assert_eq!(rest_after(r#"@(@$"{a}")x"#), Ok("x"));
}

#[test]
fn char_literals_and_comments_are_skipped() {
    assert_eq!(
        rest_after("@(c == ')' || c == '\\'' || c == '\\u0028')x"),
        Ok("x")
    );
    assert_eq!(
        rest_after("@{ // a ) comment\n /* } */ return 1; }x"),
        Ok("x")
    );
    assert_eq!(rest_after("@(a / b)x"), Ok("x"));
}

#[test]
fn escaped_quotes_act_as_quotes() {
    assert_eq!(rest_after("@(a == &quot;)&quot;)x"), Ok("x"));
}

#[test]
fn generic_angle_brackets_do_not_matter() {
    assert_eq!(
        rest_after("@(context.Variables.GetValueOrDefault<string>(\"a\", \"\"))x"),
        Ok("x")
    );
}

#[test]
fn unbalanced_expressions_report_the_opening_bracket() {
    assert_eq!(problem("@(a(b)"), (1, Problem::Unclosed { open: '(' }));
    assert_eq!(
        problem("@{ if (a) { b; }"),
        (1, Problem::Unclosed { open: '{' })
    );
}

#[test]
fn other_bracket_kinds_are_left_to_the_compiler() {
    assert_eq!(rest_after("@(a])x"), Ok("x"));
    assert_eq!(rest_after("@{ f(x[; }x"), Ok("x"));
}

#[test]
fn unclosed_literals_report_their_start() {
    assert_eq!(problem("@(\"abc)"), (2, Problem::UnclosedString));
    assert_eq!(problem("@('a\nb')"), (2, Problem::UnclosedChar));
    assert_eq!(problem("@(a /* b)"), (4, Problem::UnclosedComment));
}

#[test]
fn deep_interpolation_is_refused() {
    let text = format!("@({}", "$\"{".repeat(40));

    assert_eq!(problem(&text).1, Problem::TooDeep);
}

#[test]
fn lenient_literals_still_find_the_end() {
    assert_eq!(rest_after("@(h.ContainsKey('Retry-After') && x)x"), Ok("x"));
    assert_eq!(rest_after("@(\"a\n b\")x"), Ok("x"));
}
