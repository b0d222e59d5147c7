//! `<json-to-xml apply="always|content-type-json" consider-accept-header="true"/>`: converts
//! the body of the message the section works on from JSON to XML (see the `xml` module for
//! the shape), and sets `Content-Type: application/xml`.
//!
//! With `content-type-json` only JSON bodies are converted; with `consider-accept-header`
//! (the default) only when the request's `Accept` asks for XML. The attributes that tune
//! Newtonsoft's conversion (`namespace-*`, `attribute-*`, `parse-date`, ...) are accepted
//! only at their defaults.

use bytes::Bytes;
use gatehouse_expr::JToken;
use http::HeaderValue;
use http::header::{ACCEPT, CONTENT_TYPE};
use serde_json::json;

use crate::compile::Compiler;
use crate::reader::Element;
use crate::runtime::{Body, Exchange, Failure};

/// Tuning attributes implemented only at their defaults.
const DEFAULT_ONLY: [&str; 9] = [
    "namespace-separator",
    "namespace-prefix",
    "attribute-prefix",
    "attribute-block-name",
    "namespace-block-name",
    "invalid-character-replacement",
    "null-values",
    "trim-values",
    "empty-values",
];

#[derive(Clone, Debug)]
pub(crate) struct JsonToXml {
    always: bool,
    consider_accept: bool,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<JsonToXml> {
    for name in DEFAULT_ONLY {
        if let Some(attribute) = element.attribute(name) {
            let message =
                format!("attribute '{name}' of <json-to-xml> is not supported by Gatehouse yet");
            cx.unsupported(attribute.position, message);
            return None;
        }
    }
    let always = element
        .attribute("apply")
        .is_some_and(|a| a.value.text.trim().eq_ignore_ascii_case("always"));
    Some(JsonToXml {
        always,
        consider_accept: cx.flag(element, "consider-accept-header").unwrap_or(true),
    })
}

impl JsonToXml {
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let message = ex.current_message();
        let is_json = content_type(ex.headers(message)).contains("json");
        let wants_xml = content_type_of(&ex.request.headers, ACCEPT).contains("xml");
        if (!self.always && !is_json) || (self.consider_accept && !wants_xml) {
            ex.record("json-to-xml", || json!({ "message": "The body was not converted: the conditions of the policy were not met." }));
            return Ok(());
        }
        let Some(bytes) = ex.body_of(message).bytes() else {
            return Ok(());
        };
        if bytes.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(bytes);
        let token = JToken::parse(&text).map_err(|e| {
            Failure::internal(
                "json-to-xml",
                "JsonToXmlConversionFailure",
                format!("The body is not JSON: {e}"),
            )
        })?;
        let xml = super::xml::json_to_xml(&token);
        ex.headers_mut(message)
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
        ex.set_body(message, Body::from(Bytes::from(xml)));
        ex.record(
            "json-to-xml",
            || json!({ "message": "The body was converted from JSON to XML." }),
        );
        Ok(())
    }
}

fn content_type(headers: &http::HeaderMap) -> String {
    content_type_of(headers, CONTENT_TYPE)
}

pub(crate) fn content_type_of(headers: &http::HeaderMap, name: http::HeaderName) -> String {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",")
        .to_ascii_lowercase()
}
