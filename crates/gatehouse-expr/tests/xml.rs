//! LINQ to XML in expressions: parsing, navigation, construction, names and namespaces,
//! `ToString()`, conversions and `Body.As<XDocument>()`. Expected texts are what .NET prints,
//! with `\n` line ends (the Linux gateway's `Environment.NewLine`).

mod support;

use gatehouse_expr::StaticHost;
use support::{errors, eval_text, expr};

fn check_table(host: &StaticHost, rows: &[(&str, &str)]) {
    for (text, expected) in rows {
        let wrapped = if text.starts_with("@{") {
            (*text).to_owned()
        } else {
            format!("@({text})")
        };
        assert_eq!(eval_text(&wrapped, host), *expected, "{text}");
    }
}

fn failure(text: &str) -> String {
    match expr(text).evaluate(&StaticHost::default()) {
        Ok(value) => panic!("{text} evaluated to {value:?}"),
        Err(error) => error.dotnet_message(),
    }
}

const SOAP: &str = r#"<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><Order id=\"7\" status=\"open\"><Item>a</Item><Item>b</Item></Order></soap:Body></soap:Envelope>"#;

#[test]
fn documents_are_parsed_and_navigated() {
    let doc = format!("XDocument.Parse(\"{SOAP}\")");
    let rows = [
        (format!("{doc}.Root.Name.LocalName"), "Envelope"),
        (
            format!("{doc}.Root.Name.NamespaceName"),
            "http://schemas.xmlsoap.org/soap/envelope/",
        ),
        (
            format!("{doc}.Root.Name"),
            "{http://schemas.xmlsoap.org/soap/envelope/}Envelope",
        ),
        (format!("{doc}.Descendants(\"Item\").Count()"), "2"),
        (
            format!("{doc}.Descendants().Where(e => e.Name.LocalName == \"Item\").Last().Value"),
            "b",
        ),
        (
            format!("{doc}.Descendants(\"Order\").First().Attribute(\"id\").Value"),
            "7",
        ),
        (
            format!("(int){doc}.Descendants(\"Order\").First().Attribute(\"id\")"),
            "7",
        ),
        (
            format!("{doc}.Descendants(\"Order\").Attributes().Count()"),
            "2",
        ),
        (
            format!("{doc}.Descendants(\"Order\").Elements(\"Item\").Count()"),
            "2",
        ),
        (format!("{doc}.Root.Element(\"Body\") == null"), "True"),
        (
            format!("{doc}.Root.Elements().First().Name.LocalName"),
            "Body",
        ),
        (format!("{doc}.Descendants(\"Order\").First().Value"), "ab"),
        (format!("{doc}.Root.HasElements"), "True"),
        (format!("{doc}.Root.NodeType"), "Element"),
    ];
    let host = StaticHost::default();
    for (text, expected) in &rows {
        assert_eq!(eval_text(&format!("@({text})"), &host), *expected, "{text}");
    }
}

#[test]
fn namespaces_combine_with_names() {
    check_table(
        &StaticHost::default(),
        &[
            (
                r#"@{ XNamespace soap = "http://schemas.xmlsoap.org/soap/envelope/"; var doc = XDocument.Parse("<s:E xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'><s:Body>x</s:Body></s:E>"); return doc.Root.Element(soap + "Body").Value; }"#,
                "x",
            ),
            (
                r#"@{ XNamespace ns = "urn:a"; XName n = ns + "b"; return n.ToString() + " " + n.Namespace; }"#,
                "{urn:a}b urn:a",
            ),
            (r#"XName.Get("b", "urn:a") == "{urn:a}b""#, "True"),
            (r#"XNamespace.Get("urn:x").GetName("y").LocalName"#, "y"),
            (r#"XNamespace.None.NamespaceName == """#, "True"),
        ],
    );
}

#[test]
fn elements_are_built_from_content() {
    check_table(
        &StaticHost::default(),
        &[
            (
                r#"new XElement("order", new XAttribute("id", 7), new XElement("paid", true), new XElement("total", 2.5), "note").ToString()"#,
                "<order id=\"7\">\n  <paid>true</paid>\n  <total>2.5</total>note</order>",
            ),
            (
                r#"new XElement("list", new[] { "a", "b" }.Select(x => new XElement("item", x))).ToString(SaveOptions.DisableFormatting)"#,
                "<list><item>a</item><item>b</item></list>",
            ),
            (
                r#"@{ XNamespace ns = "urn:x"; return new XElement(ns + "root", new XAttribute(XNamespace.Xmlns + "p", ns), new XElement(ns + "child")).ToString(); }"#,
                "<p:root xmlns:p=\"urn:x\">\n  <p:child />\n</p:root>",
            ),
            (r#"new XElement("empty").ToString()"#, "<empty />"),
            (r#"new XElement("blank", "").ToString()"#, "<blank></blank>"),
            (r#"new XElement("a", "x", "y", null).Value"#, "xy"),
            (
                r#"new XDocument(new XComment("c"), new XElement("r")).ToString()"#,
                "<!--c-->\n<r />",
            ),
            (
                r#"new XElement("a", new XCData("<b>")).ToString()"#,
                "<a><![CDATA[<b>]]></a>",
            ),
            (
                r#"new XAttribute("k", "a\"b").ToString()"#,
                "k=\"a&quot;b\"",
            ),
            (r#"(string)new XElement("a", 42)"#, "42"),
            (r#"(bool)new XElement("a", " 1 ")"#, "True"),
            (r#"((int?)(XElement)null).HasValue"#, "False"),
        ],
    );
}

#[test]
fn to_string_follows_xml_writer() {
    check_table(
        &StaticHost::default(),
        &[
            (
                r#"XElement.Parse("<a><b>1</b><c/></a>").ToString()"#,
                "<a>\n  <b>1</b>\n  <c />\n</a>",
            ),
            (
                r#"XElement.Parse("<a>\n  <b>1</b>\n</a>").ToString(SaveOptions.DisableFormatting)"#,
                "<a><b>1</b></a>",
            ),
            (
                r#"XElement.Parse("<p>Hi <b>there</b></p>").ToString()"#,
                "<p>Hi <b>there</b></p>",
            ),
            (
                r#"XDocument.Parse("<?xml version='1.0'?><r/>").ToString()"#,
                "<r />",
            ),
            (
                r#"XElement.Parse("<a>\n <b/>\n</a>", LoadOptions.PreserveWhitespace).Nodes().Count()"#,
                "3",
            ),
        ],
    );
}

#[test]
fn bodies_read_as_xml() {
    let host = StaticHost::default().with_request_body("<order><id>42</id></order>");
    check_table(
        &host,
        &[
            (
                r#"context.Request.Body.As<XDocument>(preserveContent: true).Root.Element("id").Value"#,
                "42",
            ),
            (
                r#"context.Request.Body.As<XElement>(preserveContent: true).Name"#,
                "order",
            ),
            (
                r#"((XElement)context.Request.Body.As<XNode>(preserveContent: true)).Elements().Count()"#,
                "1",
            ),
        ],
    );
}

#[test]
fn xml_failures_read_like_dotnet() {
    assert!(!failure(r#"@(XDocument.Parse("<a>"))"#).is_empty());
    assert_eq!(
        failure(r#"@(new XElement("a", new XAttribute("x", 1), new XAttribute("x", 2)))"#),
        "Duplicate attribute."
    );
    assert_eq!(
        failure(r#"@((int)new XElement("a", "x"))"#),
        "Input string was not in a correct format."
    );
    assert_eq!(
        failure(r#"@((int)(XElement)null)"#),
        "Value cannot be null. (Parameter 'element')"
    );
    assert_eq!(
        failure(r#"@(new XDocument(new XElement("a"), new XElement("b")))"#),
        "This operation would create an incorrectly structured document."
    );
    assert!(
        !failure(r#"@(XDocument.Parse("<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>"))"#).is_empty()
    );
}

#[test]
fn xml_refusals_name_what_is_missing() {
    assert_eq!(
        errors(r#"@(XDocument.Load("https://example.com/x.xml"))"#),
        vec![
            "'XDocument.Load' reads files or URLs, which APIM does not allow in policy expressions; use 'XDocument.Parse'"
        ]
    );
    assert_eq!(
        errors(r#"@{ var e = new XElement("a"); e.Add(new XElement("b")); return e; }"#),
        vec![
            "'Add' changes an XML tree in place, which Gatehouse does not support; build a new element with the content you want"
        ]
    );
    assert_eq!(
        errors(r#"@(XmlReader.Create("x"))"#),
        vec![
            "the type 'XmlReader' is not among the types APIM allows in policy expressions; use LINQ to XML ('XDocument', 'XElement')"
        ]
    );
}

#[test]
fn deep_trees_are_refused() {
    let message = failure(
        r#"@{ var e = new XElement("a"); for (var i = 0; i < 300; i++) { e = new XElement("a", e); } return e.ToString(); }"#,
    );

    assert!(message.contains("nested deeper than 256"), "{message}");
}
