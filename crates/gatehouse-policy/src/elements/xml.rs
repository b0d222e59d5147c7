//! Converting between JSON and XML the way APIM's `json-to-xml` and `xml-to-json` do (after
//! Newtonsoft's `DeserializeXmlNode` and `SerializeXmlNode`).
//!
//! JSON to XML: the document is wrapped in `<Document>`; each property becomes an element, an
//! array repeats its property's element, `@name` properties become attributes and `#text`
//! the element's text; names that are not XML names are encoded (`_x0020_` for a space).
//!
//! XML to JSON (`direct`): the root element is the one property of the result; attributes
//! are `@name`, text beside attributes or elements is `#text`, repeated elements become
//! arrays, an empty element is `null`, and values stay strings. `javascript-friendly` drops
//! the `@` of attribute names.

use bytes::Bytes;
use gatehouse_expr::{JPrim, JToken, JTokenKind};
use http::HeaderValue;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName};
use serde_json::json;

use crate::runtime::{Body, Exchange};

/// The root element of converted JSON.
const ROOT: &str = "Document";

/// `json` (parsed) as XML text.
/// When a body conversion applies and how its result replaces the body: what `json-to-xml`
/// and `xml-to-json` share.
pub(crate) struct Conversion {
    /// The policy, for traces.
    pub(crate) source: &'static str,
    /// The body's format (`json` or `xml`), as it appears in content types.
    pub(crate) from: &'static str,
    /// The target format.
    pub(crate) to: &'static str,
    /// `apply="always"`: convert whatever the body's content type says.
    pub(crate) always: bool,
    /// `consider-accept-header`: convert only when the request accepts the target format.
    pub(crate) consider_accept: bool,
}

impl Conversion {
    /// The text of the body to convert, or `None` when the policy's conditions are not met
    /// or there is no body.
    pub(crate) fn body_text(&self, ex: &Exchange) -> Option<String> {
        let message = ex.current_message();
        let is_source = header_text(ex.headers(message), CONTENT_TYPE).contains(self.from);
        let wanted = header_text(&ex.request.headers, ACCEPT).contains(self.to);
        if (!self.always && !is_source) || (self.consider_accept && !wanted) {
            ex.record(self.source, || json!({ "message": "The body was not converted: the conditions of the policy were not met." }));
            return None;
        }
        let bytes = ex.body_of(message).bytes().filter(|b| !b.is_empty())?;
        Some(String::from_utf8_lossy(bytes).into_owned())
    }

    /// Replaces the body with `converted`, of type `content_type`.
    pub(crate) fn replace(&self, ex: &mut Exchange, converted: String, content_type: &'static str) {
        let message = ex.current_message();
        ex.headers_mut(message)
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        ex.set_body(message, Body::from(Bytes::from(converted)));
        let text = format!(
            "The body was converted from {} to {}.",
            self.from.to_uppercase(),
            self.to.to_uppercase()
        );
        ex.record(self.source, || json!({ "message": text }));
    }
}

/// All values of header `name`, joined and lowercased, for content-type checks.
pub(crate) fn header_text(headers: &HeaderMap, name: HeaderName) -> String {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    values.join(",").to_ascii_lowercase()
}

pub(crate) fn json_to_xml(json: &JToken) -> String {
    let mut out = String::new();
    match json.kind() {
        JTokenKind::Object => element(&mut out, ROOT, json),
        _ => {
            let wrapper = JToken::object(vec![("Array".into(), json.clone())]);
            element(&mut out, ROOT, &wrapper);
        }
    }
    out
}

/// Writes `<name>` for `value`: repeated for arrays.
fn element(out: &mut String, name: &str, value: &JToken) {
    let name = encode_name(name);
    match value.kind() {
        JTokenKind::Array => {
            for item in value.children() {
                element(out, &name, &item);
            }
        }
        JTokenKind::Object => {
            let properties = value.properties();
            out.push('<');
            out.push_str(&name);
            for (attribute, v) in properties.iter().filter(|(n, _)| n.starts_with('@')) {
                out.push_str(&format!(
                    " {}=\"{}\"",
                    encode_name(&attribute[1..]),
                    escape(&text_of(v), true)
                ));
            }
            out.push('>');
            for (property, v) in properties.iter().filter(|(n, _)| !n.starts_with('@')) {
                if &**property == "#text" {
                    out.push_str(&escape(&text_of(v), false));
                } else {
                    element(out, property, v);
                }
            }
            out.push_str(&format!("</{name}>"));
        }
        _ => match value.prim() {
            Some(JPrim::Null) | None => out.push_str(&format!("<{name} />")),
            Some(_) => out.push_str(&format!(
                "<{name}>{}</{name}>",
                escape(&text_of(value), false)
            )),
        },
    }
}

/// A JSON primitive as XML text (booleans lowercase, as JSON writes them).
fn text_of(value: &JToken) -> String {
    match value.prim() {
        Some(JPrim::Bool(b)) => b.to_string(),
        Some(JPrim::Null) | None => String::new(),
        Some(_) => value.to_display_string(),
    }
}

/// .NET's `XmlConvert.EncodeName`: characters that cannot be in an XML name become `_xHHHH_`.
fn encode_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, c) in name.chars().enumerate() {
        let allowed = c.is_alphabetic()
            || c == '_'
            || (i > 0 && (c.is_ascii_digit() || c == '-' || c == '.'));
        if allowed {
            out.push(c);
        } else {
            out.push_str(&format!("_x{:04X}_", u32::from(c)));
        }
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

fn escape(text: &str, attribute: bool) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    if attribute {
        escaped.replace('"', "&quot;")
    } else {
        escaped
    }
}

/// XML text as JSON text; `friendly` drops the `@` of attribute names.
///
/// # Errors
/// The XML parser's message when the text is not well-formed XML.
pub(crate) fn xml_to_json(xml: &str, friendly: bool) -> Result<String, String> {
    let document = roxmltree::Document::parse(xml).map_err(|e| e.to_string())?;
    let root = document.root_element();
    check_depth(root)?;
    let value = node_value(root, friendly);
    let object = JToken::object(vec![(root.tag_name().name().into(), value)]);
    Ok(object.to_json(true))
}

/// How deep elements may nest for `xml-to-json`: converting recurses once per level (and so
/// do writing and dropping the JSON), so a caller's deeply nested body would otherwise
/// overflow the stack and take the whole process down. The same bound as the XML and JSON
/// readers of the expression language.
const MAX_XML_DEPTH: usize = 256;

/// Refuses a document nested deeper than [`MAX_XML_DEPTH`], walked without recursion.
fn check_depth(root: roxmltree::Node<'_, '_>) -> Result<(), String> {
    let mut stack = vec![(root, 1usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_XML_DEPTH {
            return Err(format!(
                "the XML nests deeper than {MAX_XML_DEPTH} elements"
            ));
        }
        stack.extend(
            node.children()
                .filter(roxmltree::Node::is_element)
                .map(|c| (c, depth + 1)),
        );
    }
    Ok(())
}

fn node_value(node: roxmltree::Node<'_, '_>, friendly: bool) -> JToken {
    let mut properties: Vec<(std::sync::Arc<str>, JToken)> = Vec::new();
    for attribute in node.attributes() {
        let name = if friendly {
            attribute.name().to_owned()
        } else {
            format!("@{}", attribute.name())
        };
        properties.push((name.into(), string(attribute.value())));
    }
    let children: Vec<_> = node
        .children()
        .filter(roxmltree::Node::is_element)
        .collect();
    let text: String = node
        .children()
        .filter(roxmltree::Node::is_text)
        .filter_map(|t| t.text())
        .collect();
    let text = text.trim();

    if children.is_empty() && properties.is_empty() {
        return if text.is_empty() {
            JToken::null()
        } else {
            string(text)
        };
    }
    for child in children {
        let name: std::sync::Arc<str> = child.tag_name().name().into();
        let value = node_value(child, friendly);
        match properties.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) if existing.kind() == JTokenKind::Array => {
                existing.push(value);
            }
            Some((_, existing)) => *existing = JToken::array(vec![existing.clone(), value]),
            None => properties.push((name, value)),
        }
    }
    if !text.is_empty() {
        properties.push(("#text".into(), string(text)));
    }
    JToken::object(properties)
}

fn string(text: &str) -> JToken {
    JToken::value(JPrim::String(text.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_becomes_a_document_with_repeated_elements_and_attributes() {
        let json = JToken::parse(r#"{"vehicleType":"train","maxSpeed":125,"tags":["a","b"],"@id":"7","n":null,"odd name":1}"#).unwrap();
        assert_eq!(
            json_to_xml(&json),
            r#"<Document id="7"><vehicleType>train</vehicleType><maxSpeed>125</maxSpeed><tags>a</tags><tags>b</tags><n /><odd_x0020_name>1</odd_x0020_name></Document>"#
        );
    }

    #[test]
    fn xml_becomes_json_with_attributes_text_and_arrays() {
        let xml = r#"<order id="1"><item>a</item><item>b</item><note lang="en">hi</note><empty/></order>"#;
        let json: serde_json::Value =
            serde_json::from_str(&xml_to_json(xml, false).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"order": {"@id": "1", "item": ["a", "b"], "note": {"@lang": "en", "#text": "hi"}, "empty": null}})
        );
        let friendly: serde_json::Value =
            serde_json::from_str(&xml_to_json(xml, true).unwrap()).unwrap();
        assert_eq!(friendly["order"]["id"], "1");
    }

    #[test]
    fn a_document_nested_deeper_than_the_limit_is_refused_not_recursed_into() {
        let nested = |depth: usize| format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));

        let refused = xml_to_json(&nested(100_000), false).unwrap_err();

        assert!(refused.contains("deeper than 256"), "{refused}");
        assert!(xml_to_json(&nested(MAX_XML_DEPTH), true).is_ok());
        assert!(xml_to_json(&nested(MAX_XML_DEPTH + 1), true).is_err());
    }
}
