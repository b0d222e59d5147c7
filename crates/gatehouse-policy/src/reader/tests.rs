use super::*;

// ----- helpers -----

fn read_clean(text: &str) -> Document {
    let (document, diagnostics) = read(text);
    assert!(
        diagnostics.is_empty(),
        "unexpected diagnostics: {diagnostics:#?}"
    );
    document
}

/// The diagnostics of `text` as `LINE:COLUMN: message`.
fn problems(text: &str) -> Vec<String> {
    read(text).1.iter().map(ToString::to_string).collect()
}

fn codes(text: &str) -> Vec<Code> {
    read(text).1.iter().map(|d| d.code).collect()
}

fn at(line: u32, column: u32) -> Position {
    Position { line, column }
}

fn first_element<'d>(document: &'d Document, name: &str) -> &'d Element {
    find(document.elements.iter(), name).unwrap_or_else(|| panic!("no <{name}> in the document"))
}

fn find<'d>(mut elements: impl Iterator<Item = &'d Element>, name: &str) -> Option<&'d Element> {
    elements.find_map(|e| {
        if e.name == name {
            Some(e)
        } else {
            find(e.elements(), name)
        }
    })
}

fn value<'d>(document: &'d Document, element: &str, attribute: &str) -> &'d Value {
    let element = first_element(document, element);
    &element
        .attribute(attribute)
        .unwrap_or_else(|| panic!("no attribute {attribute}"))
        .value
}

fn only_text(element: &Element) -> &Value {
    let texts: Vec<_> = element.texts().collect();
    assert_eq!(
        texts.len(),
        1,
        "<{}> should have one text node",
        element.name
    );
    texts[0]
}

// ----- tolerated constructs -----

#[test]
fn raw_quotes_in_an_attribute_expression_do_not_end_the_value() {
    let text = r#"<set-variable name="x" value="@(context.Request.Headers.GetValueOrDefault("a", ""))" />"#;
    let document = read_clean(text);

    let value = value(&document, "set-variable", "value");
    assert_eq!(
        value.text,
        r#"@(context.Request.Headers.GetValueOrDefault("a", ""))"#
    );
    assert_eq!(value.kind, ValueKind::SingleExpression);
    assert_eq!(value.position, at(1, 31));
}

#[test]
fn raw_angle_brackets_and_ampersands_in_an_attribute_expression_are_accepted() {
    let text =
        r#"<when condition="@(context.Variables.GetValueOrDefault<int>("n") > 1 && x < 2)"/>"#;
    let document = read_clean(text);

    let value = value(&document, "when", "condition");
    assert!(value.text.contains("<int>") && value.text.contains("&& x < 2"));
    assert_eq!(value.kind, ValueKind::SingleExpression);
}

#[test]
fn raw_angle_brackets_in_an_element_text_expression_are_not_tags() {
    let document =
        read_clean("<value>@(context.Request.Body.As<string>(preserveContent: true))</value>");

    let element = first_element(&document, "value");
    assert_eq!(element.elements().count(), 0);
    assert_eq!(
        only_text(element).text,
        "@(context.Request.Body.As<string>(preserveContent: true))"
    );
    assert_eq!(only_text(element).kind, ValueKind::SingleExpression);
}

#[test]
fn a_block_expression_keeps_its_line_breaks_and_comments() {
    let text =
        "<set-variable name=\"v\" value=\"@{\n  // the \"quoted\" comment ) }\n  return 1;\n}\" />";
    let document = read_clean(text);

    let value = value(&document, "set-variable", "value");
    assert_eq!(value.kind, ValueKind::BlockExpression);
    assert!(
        value.text.starts_with("@{\n  // the \"quoted\""),
        "{:?}",
        value.text
    );
}

#[test]
fn strings_holding_markup_inside_expressions_are_skipped() {
    let text =
        r#"<set-body>@{ var x = $"<a href=\"{y}\">"; return @"</set-body> "" " + x; }</set-body>"#;
    let document = read_clean(text);

    let body = first_element(&document, "set-body");
    assert_eq!(only_text(body).kind, ValueKind::BlockExpression);
    assert!(only_text(body).text.ends_with("+ x; }"));
}

#[test]
fn whitespace_around_a_text_expression_is_allowed() {
    let document = read_clean("<set-body>\n  @{ return \"a\"; }\n</set-body>");

    assert_eq!(
        only_text(first_element(&document, "set-body")).kind,
        ValueKind::BlockExpression
    );
}

#[test]
fn a_byte_order_mark_does_not_shift_columns() {
    let document = read_clean("\u{feff}<policies>\n  <inbound />\n</policies>");

    assert_eq!(document.elements[0].position, at(1, 1));
    assert_eq!(first_element(&document, "inbound").position, at(2, 3));
}

#[test]
fn xml_declarations_are_accepted_anywhere() {
    let text = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<policies><set-body><?xml version=\"1.0\"?><a/></set-body></policies>";
    let document = read_clean(text);

    assert_eq!(document.elements.len(), 1);
    assert_eq!(first_element(&document, "set-body").elements().count(), 1);
}

#[test]
fn named_values_are_recorded_with_their_positions() {
    let text = "<set-header name=\"x\">\n  <value>Bearer {{api-key}} and {{second.key_2}}</value>\n</set-header>";
    let document = read_clean(text);

    let value = only_text(first_element(&document, "value"));
    let names: Vec<_> = value.named_values.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["api-key", "second.key_2"]);
    assert_eq!(value.named_values[0].position, at(2, 17));
    assert_eq!(
        &value.text[value.named_values[0].range.clone()],
        "{{api-key}}"
    );
}

#[test]
fn liquid_output_tags_are_not_named_values() {
    let document = read_clean("<set-body template=\"liquid\">{{ body.a }} {{{{x}}}}</set-body>");

    let names: Vec<_> = only_text(document.root().unwrap())
        .named_values
        .iter()
        .map(|n| n.name.clone())
        .collect();
    assert_eq!(names, ["x"]);
}

#[test]
fn fragment_roots_and_bare_snippets_are_read() {
    assert_eq!(
        read_clean("<fragment><set-variable name=\"a\" value=\"b\" /></fragment>")
            .elements
            .len(),
        1
    );

    let snippet = read_clean(
        "<!-- c -->\n<set-variable name=\"a\" value=\"1\"/>\n<choose />\n<rewrite-uri template=\"/\"/>",
    );
    let names: Vec<_> = snippet.elements.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["set-variable", "choose", "rewrite-uri"]);
}

#[test]
fn cdata_bodies_are_verbatim_and_may_hold_an_expression() {
    let document = read_clean("<set-body><![CDATA[@{ return \"&amp; <x>\"; }]]></set-body>");

    let body = first_element(&document, "set-body");
    let Some(Node::CData(value)) = body.children.first() else {
        panic!("expected CDATA")
    };
    assert_eq!(value.text, "@{ return \"&amp; <x>\"; }");
    assert_eq!(value.kind, ValueKind::BlockExpression);
    assert_eq!(value.position, at(1, 20));
}

#[test]
fn entities_and_character_references_are_decoded_in_plain_values() {
    let document = read_clean(
        "<v a=\"&lt;&gt;&amp;&quot;&apos;&#65;&#x42; &nbsp;\">x &amp;&amp; y &#x263A;</v>",
    );

    assert_eq!(value(&document, "v", "a").text, "<>&\"'AB &nbsp;");
    assert_eq!(only_text(&document.elements[0]).text, "x && y \u{263a}");
}

#[test]
fn escaped_expressions_decode_like_a_strict_parser_would() {
    let document = read_clean("<data>@(context.Request.Body.As&lt;string&gt;())</data>");

    let value = only_text(&document.elements[0]);
    assert_eq!(value.text, "@(context.Request.Body.As<string>())");
    assert_eq!(value.kind, ValueKind::SingleExpression);
}

#[test]
fn offsets_inside_a_decoded_value_map_back_to_the_source() {
    let text = "<v a=\"x&amp;&lt;yz\"/>";
    let document = read_clean(text);

    let value = value(&document, "v", "a");
    let y = value.text.find('y').unwrap();
    assert_eq!(
        &text[value.source_offset(y)..value.source_offset(y) + 1],
        "y"
    );
    assert_eq!(document.position(value.source_offset(y)), at(1, 17));
    assert_eq!(value.source_offset(0), 6);
}

#[test]
fn a_set_body_payload_stays_available_as_raw_markup() {
    let text = "<set-body template=\"liquid\">\n  <soap:Envelope xmlns:soap=\"s\"><cust>{{body.c}}</cust></soap:Envelope>\n</set-body>";
    let document = read_clean(text);

    let body = first_element(&document, "set-body");
    let raw = document.raw_content(body).unwrap();
    assert_eq!(
        raw,
        "\n  <soap:Envelope xmlns:soap=\"s\"><cust>{{body.c}}</cust></soap:Envelope>\n"
    );
    assert_eq!(
        document.raw_content(first_element(&document, "soap:Envelope")),
        Some("<cust>{{body.c}}</cust>")
    );
}

#[test]
fn positions_count_characters_and_every_kind_of_line_end() {
    let document = read_clean("<a>\r\n<b é=\"ü\"/>\r<c/>\n\t<d/></a>");

    let b = first_element(&document, "b");
    assert_eq!(b.position, at(2, 1));
    assert_eq!(b.attributes[0].position, at(2, 4));
    assert_eq!(b.attributes[0].value.position, at(2, 7));
    assert_eq!(first_element(&document, "c").position, at(3, 1));
    assert_eq!(first_element(&document, "d").position, at(4, 2));
}

#[test]
fn comments_and_processing_instructions_are_dropped() {
    let document = read_clean("<a><!-- <b> --><?pi x?><c/></a>");

    assert_eq!(document.elements[0].children.len(), 1);
}

#[test]
fn element_spans_cover_the_tags() {
    let text = "<a x=\"1\"><b/></a>";
    let document = read_clean(text);

    let a = &document.elements[0];
    assert_eq!(document.slice(a.span), text);
    assert_eq!(a.content, Some(Span::new(9, 13)));
    assert_eq!(first_element(&document, "b").content, None);
}

// ----- errors, each at its place -----

#[test]
fn an_element_left_open_is_reported_where_the_text_ends() {
    let text = "<policies>\n  <inbound>\n    <choose>\n  </inbound>\n</policies>";

    assert_eq!(
        problems(text),
        ["4:3: unclosed element <choose> opened at 3:5"]
    );
}

#[test]
fn elements_open_at_the_end_of_the_text_are_all_reported() {
    let text = "<policies>\n  <inbound>\n";

    assert_eq!(
        problems(text),
        [
            "3:1: unclosed element <inbound> opened at 2:3",
            "3:1: unclosed element <policies> opened at 1:1"
        ]
    );
}

#[test]
fn an_end_tag_that_closes_nothing_is_reported_and_skipped() {
    let text = "<a>\n  </b>\n</a>";

    assert_eq!(
        problems(text),
        [
            "2:3: end tag </b> does not close any open element (the innermost open element is <a> opened at 1:1)"
        ]
    );
}

#[test]
fn an_attribute_without_its_closing_quote_is_reported_at_the_opening_quote() {
    let text = "<choose>\n  <when condition=\"@(true)>\n  </when>\n</choose>";
    let (document, diagnostics) = read(text);

    let messages: Vec<_> = diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "2:19: attribute 'condition' is not closed: no matching \" before this point",
            "2:3: start tag <when> is not closed with '>'"
        ]
    );
    assert_eq!(
        first_element(&document, "when").attributes[0].name,
        "condition"
    );
}

#[test]
fn an_unbalanced_expression_is_reported_at_its_bracket_and_read_as_text() {
    let text = "<when condition=\"@(a == (b)\" />";
    let (document, diagnostics) = read(text);

    let messages: Vec<_> = diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        ["1:19: policy expression in attribute 'condition' cannot be read: '(' is never closed"]
    );
    assert_eq!(value(&document, "when", "condition").text, "@(a == (b)");
}

#[test]
fn an_unclosed_string_in_an_expression_is_reported_at_its_start() {
    let problems = problems("<set-body>@(\"abc)</set-body>");

    assert_eq!(
        problems,
        ["1:13: policy expression in text cannot be read: string literal is not closed"]
    );
}

#[test]
fn text_after_an_expression_is_reported() {
    assert_eq!(
        problems("<v a=\"@(1) + @(2)\" />"),
        [
            "1:12: text after the policy expression in attribute 'a': an expression must be the whole value"
        ]
    );
    assert_eq!(codes("<v>@(1) tail</v>"), [Code::TextAfterExpression]);
}

#[test]
fn a_raw_quote_in_a_literal_value_is_reported_once_and_the_value_recovered() {
    let text = "<identity subject=\"C=US, O=\"Contoso, Inc.\", CN=x\" dns-name=\"a\" />";
    let (document, diagnostics) = read(text);

    let messages: Vec<_> = diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        ["1:28: attribute 'subject' has a raw \" inside its value; write it as &quot;"]
    );
    assert_eq!(
        value(&document, "identity", "subject").text,
        "C=US, O=\"Contoso, Inc.\", CN=x"
    );
    assert_eq!(value(&document, "identity", "dns-name").text, "a");
}

#[test]
fn a_raw_less_than_in_text_is_reported_and_kept() {
    let (document, diagnostics) = read("<v>a < b</v>");

    assert_eq!(
        diagnostics[0].to_string(),
        "1:6: a '<' in text must be written as &lt;"
    );
    assert_eq!(only_text(&document.elements[0]).text, "a < b");
}

#[test]
fn malformed_attributes_are_reported() {
    assert_eq!(
        problems("<v a=\"1\" a=\"2\"/>"),
        ["1:10: attribute 'a' appears twice on <v>; the first is at 1:4"]
    );
    assert_eq!(
        problems("<v a/>"),
        ["1:4: attribute 'a' has no value: expected '=' and a quoted value"]
    );
    assert_eq!(
        problems("<v a=1/>"),
        ["1:6: value of attribute 'a' must be in quotes"]
    );
    assert_eq!(
        problems("<v a=\"1\"b=\"2\"/>"),
        ["1:9: missing whitespace before this attribute"]
    );
    assert_eq!(
        problems("<v ! />"),
        ["1:4: unexpected '!' in start tag <v>"]
    );
}

#[test]
fn other_markup_problems_are_reported() {
    assert_eq!(
        codes("<!DOCTYPE x [<!ENTITY a \"b\">]><a/>"),
        [Code::Doctype]
    );
    assert_eq!(
        problems("<a><!-- never closed</a>"),
        [
            "1:4: comment is not closed with '-->'",
            "1:25: unclosed element <a> opened at 1:1"
        ]
    );
    assert_eq!(
        codes("<a><![CDATA[x</a>"),
        [Code::UnclosedMarkup, Code::UnclosedElement]
    );
    assert_eq!(
        problems("<a></a>\ntail"),
        ["2:1: text outside the root element"]
    );
    assert_eq!(
        problems("  "),
        ["1:1: the document has no root element: expected <policies> or <fragment>"]
    );
}

#[test]
fn several_mistakes_are_all_reported_in_order() {
    let text = "<policies>\n  <inbound>\n    <set-header name=\"a\" name=\"b\">\n      <value>@(x</value>\n    </set-header>\n    <when condition=\"@(a)\" a=1>\n  </inbound>\n</policies>\n";

    assert_eq!(
        problems(text),
        [
            "3:26: attribute 'name' appears twice on <set-header>; the first is at 3:17",
            "4:15: policy expression in text cannot be read: '(' is never closed",
            "6:30: value of attribute 'a' must be in quotes",
            "7:3: unclosed element <when> opened at 6:5",
        ]
    );
}

// ----- limits -----

#[test]
fn deep_nesting_stops_with_a_diagnostic_instead_of_overflowing() {
    let text = "<a>".repeat(MAX_DEPTH + 10);
    let (_, diagnostics) = read(&text);

    let first = &diagnostics[0];
    assert_eq!(
        first.message,
        format!("elements nest deeper than {MAX_DEPTH} levels; the rest was not read")
    );
    assert_eq!(first.position(), at(1, 3 * MAX_DEPTH as u32 + 1));
}

#[test]
fn reading_stops_after_too_many_problems() {
    let text = format!("<a>{}</a>", "< ".repeat(MAX_DIAGNOSTICS * 2));
    let (_, diagnostics) = read(&text);

    assert_eq!(diagnostics.len(), MAX_DIAGNOSTICS + 1);
    assert!(
        diagnostics[MAX_DIAGNOSTICS]
            .message
            .starts_with("more than 100 problems")
    );
}

#[test]
fn too_many_attributes_stop_with_a_diagnostic() {
    let attributes: String = (0..MAX_ATTRIBUTES + 5)
        .map(|i| format!(" a{i}=\"x\""))
        .collect();
    let (_, diagnostics) = read(&format!("<v{attributes}/>"));

    assert_eq!(diagnostics.len(), 1);
    assert!(
        diagnostics[0]
            .message
            .ends_with("attributes; the rest was not read")
    );
}

#[test]
fn a_long_single_line_document_reads_in_linear_time() {
    // Quadratic column counting took minutes on this input; linear reading takes milliseconds
    // (the bound leaves a hundredfold margin for a slow shared machine).
    let statement =
        "<set-header name=\"x\"><value>@(context.Variables[\"a\"])</value></set-header>";
    let text = format!(
        "<policies><inbound>{}</inbound></policies>",
        statement.repeat(10_000)
    );

    let started = std::time::Instant::now();
    let (document, diagnostics) = read(&text);

    assert!(diagnostics.is_empty());
    assert_eq!(
        first_element(&document, "inbound").elements().count(),
        10_000
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}
