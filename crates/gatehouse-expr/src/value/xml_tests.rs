//! LINQ to XML reading and writing against what .NET prints (`\n` line ends, as on Linux).

use super::*;

fn element(text: &str) -> Arc<XElement> {
    parse_element(text, false, 10_000).unwrap()
}

fn indented(text: &str) -> String {
    element_to_string(&element(text), Layout::Indented)
}

fn el(name: XName, nodes: Vec<XNode>) -> XNode {
    XNode::Element(Arc::new(XElement::new(name, Vec::new(), nodes).unwrap()))
}

#[test]
fn to_string_indents_child_elements_with_two_spaces() {
    assert_eq!(
        indented("<a><b>1</b><c/></a>"),
        "<a>\n  <b>1</b>\n  <c />\n</a>"
    );
}

#[test]
fn disable_formatting_writes_everything_on_one_line() {
    let a = element("<a>\n  <b>1</b>\n  <c/>\n</a>");

    assert_eq!(
        element_to_string(&a, Layout::Compact),
        "<a><b>1</b><c /></a>"
    );
}

#[test]
fn mixed_content_is_not_indented() {
    assert_eq!(
        indented("<p>Hello <b>world</b>!<i/></p>"),
        "<p>Hello <b>world</b>!<i /></p>"
    );
    assert_eq!(
        indented("<r><p>x<q><s/></q></p><t/></r>"),
        "<r>\n  <p>x<q><s /></q></p>\n  <t />\n</r>"
    );
}

#[test]
fn an_element_written_open_and_closed_stays_so() {
    assert_eq!(indented("<a></a>"), "<a></a>");
    assert_eq!(indented("<a/>"), "<a />");
}

#[test]
fn prefixes_come_from_the_declarations_in_scope() {
    assert_eq!(
        indented(r#"<s:Envelope xmlns:s="urn:s"><s:Body><x/></s:Body></s:Envelope>"#),
        "<s:Envelope xmlns:s=\"urn:s\">\n  <s:Body>\n    <x />\n  </s:Body>\n</s:Envelope>"
    );
}

#[test]
fn undeclared_namespaces_become_default_declarations() {
    let ns = |local| XName {
        namespace: Str::from("urn:x"),
        local: Str::from(local),
    };
    let tree = XElement::new(
        ns("a"),
        Vec::new(),
        vec![el(ns("b"), Vec::new()), el(XName::local("c"), Vec::new())],
    )
    .unwrap();

    assert_eq!(
        element_to_string(&tree, Layout::Indented),
        "<a xmlns=\"urn:x\">\n  <b />\n  <c xmlns=\"\" />\n</a>"
    );
}

#[test]
fn text_and_attributes_are_escaped_as_xml_writer_does() {
    let tree = XElement::new(
        XName::local("a"),
        vec![XAttribute {
            name: XName::local("x"),
            value: Str::from("1 < 2 & \"q\"\n"),
        }],
        vec![XNode::Text(Str::from("1 < 2 & 3 > 2 \"ok\""))],
    )
    .unwrap();

    assert_eq!(
        element_to_string(&tree, Layout::Compact),
        "<a x=\"1 &lt; 2 &amp; &quot;q&quot;&#xA;\">1 &lt; 2 &amp; 3 &gt; 2 \"ok\"</a>"
    );
}

#[test]
fn value_joins_the_text_below_without_comments() {
    assert_eq!(
        element("<a>x<b>y</b><!--c-->z<![CDATA[<w>]]></a>").value(),
        "xy z<w>".replace(' ', "")
    );
}

#[test]
fn whitespace_between_elements_is_dropped_unless_preserved() {
    let text = "<a>\n  <b/>\n</a>";

    assert_eq!(element(text).nodes.len(), 1);
    assert_eq!(parse_element(text, true, 100).unwrap().nodes.len(), 3);
}

#[test]
fn names_parse_and_print_in_expanded_form() {
    let name = XName::parse("{urn:x}a");

    assert_eq!((&*name.namespace, &*name.local), ("urn:x", "a"));
    assert_eq!(name.expanded(), "{urn:x}a");
    assert_eq!(XName::parse("plain").expanded(), "plain");
}

#[test]
fn documents_print_their_nodes_without_the_declaration() {
    let doc = parse_document("<?xml version=\"1.0\"?><!--hi--><r><c/></r>", false, 100).unwrap();

    assert_eq!(
        document_to_string(&doc, Layout::Indented, usize::MAX),
        "<!--hi-->\n<r>\n  <c />\n</r>"
    );
}

#[test]
fn dtds_are_refused_and_depth_is_bounded() {
    let dtd = r#"<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>"#;
    assert!(parse_document(dtd, false, 100).is_err());

    let deep = format!(
        "{}{}",
        "<a>".repeat(MAX_DEPTH + 1),
        "</a>".repeat(MAX_DEPTH + 1)
    );
    assert!(parse_document(&deep, false, 100_000).is_err());
    let fits = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
    assert!(parse_document(&fits, false, 100_000).is_ok());
}
