//! `<json-to-xml apply="always|content-type-json" consider-accept-header="true"/>`: converts
//! the body of the message the section works on from JSON to XML (see the `xml` module for
//! the shape), and sets `Content-Type: application/xml`.
//!
//! With `content-type-json` only JSON bodies are converted; with `consider-accept-header`
//! (the default) only when the request's `Accept` asks for XML. The attributes that tune
//! Newtonsoft's conversion (`namespace-*`, `attribute-*`, `parse-date`, ...) are accepted
//! only at their defaults.

use gatehouse_expr::JToken;

use super::xml::Conversion;
use crate::compile::Compiler;
use crate::reader::Element;
use crate::runtime::{Exchange, Failure};

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
        let conversion = Conversion {
            source: "json-to-xml",
            from: "json",
            to: "xml",
            always: self.always,
            consider_accept: self.consider_accept,
        };
        let Some(text) = conversion.body_text(ex) else {
            return Ok(());
        };
        let token = JToken::parse(&text).map_err(|e| {
            let message = format!("The body is not JSON: {e}");
            Failure::internal("json-to-xml", "JsonToXmlConversionFailure", message)
        })?;
        conversion.replace(ex, super::xml::json_to_xml(&token), "application/xml");
        Ok(())
    }
}
