//! `<xml-to-json kind="javascript-friendly|direct" apply="always|content-type-xml"
//! consider-accept-header="true"/>`: converts the body of the message the section works on
//! from XML to JSON (see the `xml` module for the shape), and sets
//! `Content-Type: application/json`.

use bytes::Bytes;
use http::HeaderValue;
use http::header::{ACCEPT, CONTENT_TYPE};
use serde_json::json;

use super::json_to_xml::content_type_of;
use crate::compile::Compiler;
use crate::reader::Element;
use crate::runtime::{Body, Exchange, Failure};

/// Tuning attributes implemented only at their defaults.
const DEFAULT_ONLY: [&str; 4] = [
    "preserve-whitespace-nodes",
    "empty-values",
    "trim-values",
    "always-array-child-elements",
];

#[derive(Clone, Debug)]
pub(crate) struct XmlToJson {
    friendly: bool,
    always: bool,
    consider_accept: bool,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<XmlToJson> {
    for name in DEFAULT_ONLY {
        if let Some(attribute) = element.attribute(name) {
            let message =
                format!("attribute '{name}' of <xml-to-json> is not supported by Gatehouse yet");
            cx.unsupported(attribute.position, message);
            return None;
        }
    }
    let word = |name: &str| {
        element
            .attribute(name)
            .map(|a| a.value.text.trim().to_ascii_lowercase())
    };
    Some(XmlToJson {
        friendly: word("kind").as_deref() == Some("javascript-friendly"),
        always: word("apply").as_deref() == Some("always"),
        consider_accept: cx.flag(element, "consider-accept-header").unwrap_or(true),
    })
}

impl XmlToJson {
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let message = ex.current_message();
        let is_xml = content_type_of(ex.headers(message), CONTENT_TYPE).contains("xml");
        let wants_json = content_type_of(&ex.request.headers, ACCEPT).contains("json");
        if (!self.always && !is_xml) || (self.consider_accept && !wants_json) {
            ex.record("xml-to-json", || json!({ "message": "The body was not converted: the conditions of the policy were not met." }));
            return Ok(());
        }
        let Some(bytes) = ex.body_of(message).bytes() else {
            return Ok(());
        };
        if bytes.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(bytes);
        let converted = super::xml::xml_to_json(&text, self.friendly).map_err(|e| {
            Failure::internal(
                "xml-to-json",
                "XmlToJsonConversionFailure",
                format!("The body is not XML: {e}"),
            )
        })?;
        ex.headers_mut(message)
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        ex.set_body(message, Body::from(Bytes::from(converted)));
        ex.record(
            "xml-to-json",
            || json!({ "message": "The body was converted from XML to JSON." }),
        );
        Ok(())
    }
}
