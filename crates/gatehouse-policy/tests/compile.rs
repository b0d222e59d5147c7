//! Compiling policy documents: every problem with its exact line and column.

use gatehouse_policy::compile::{ScopeLevel, compile_document};

fn errors(source: &str) -> Vec<String> {
    match compile_document(source, ScopeLevel::Api) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn the_articles_policy_compiles_in_both_formats() {
    let raw = r#"<policies><inbound><choose><when condition="@(context.Request.Certificate == null || context.Request.Certificate.Thumbprint != "BF3D644C46099A9D7C073EC002312878B8F9B847")"><return-response><set-status code="403" reason="Invalid client certificate" /></return-response></when></choose></inbound></policies>"#;
    let escaped = raw
        .replace("!= \"BF", "!= &quot;BF")
        .replace("847\")", "847&quot;)");

    assert_eq!(errors(raw), Vec::<String>::new());
    assert_eq!(errors(&escaped), Vec::<String>::new());
}

#[test]
fn an_expression_error_is_reported_where_it_is_even_after_entities() {
    let source = "<policies>\n  <inbound>\n    <set-variable name=\"x\" value=\"@(&quot;a&quot; + context.Nope)\" />\n  </inbound>\n</policies>";

    let errors = errors(source);

    assert_eq!(errors.len(), 1, "{errors:?}");
    let column = source.lines().nth(2).unwrap().find("Nope").unwrap() + 1;
    assert!(
        errors[0].starts_with(&format!("3:{column}:")),
        "{errors:?} (expected column {column})"
    );
}

#[test]
fn several_problems_are_all_reported() {
    let source = "<policies>\n<inbound>\n<set-status code=\"999\" reason=\"x\" />\n<set-header name=\"a b\"><value>v</value></set-header>\n<proxy url=\"https://proxy.local\" />\n</inbound>\n</policies>";

    let errors = errors(source);

    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors[0].starts_with("3:") && errors[1].starts_with("4:") && errors[2].starts_with("5:"),
        "{errors:?}"
    );
    assert!(
        errors[2].contains("the proxy URL must start with http://"),
        "{errors:?}"
    );
}

#[test]
fn a_misspelled_policy_is_refused_with_a_hint() {
    let errors = errors("<policies><inbound><set-statuss code=\"403\" /></inbound></policies>");

    assert!(
        errors
            .iter()
            .any(|e| e.contains("set-statuss") && e.contains("set-status")),
        "{errors:?}"
    );
}

#[test]
fn informational_statuses_are_refused_where_a_final_response_is_set() {
    for element in [
        r#"<return-response><set-status code="101" /></return-response>"#,
        r#"<set-status code="100" reason="Continue" />"#,
        r#"<mock-response status-code="101" />"#,
        r#"<check-header name="x" failed-check-httpcode="100" failed-check-error-message="m" ignore-case="true" />"#,
    ] {
        let errors = errors(&format!(
            "<policies><inbound>{element}</inbound></policies>"
        ));

        assert_eq!(errors.len(), 1, "{element}: {errors:?}");
        assert!(errors[0].contains("200 to 599"), "{element}: {errors:?}");
    }
}
