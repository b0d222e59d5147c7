//! `<xml-to-json kind="javascript-friendly|direct" apply="always|content-type-xml"
//! consider-accept-header="true"/>`: converts the body of the message the section works on
//! from XML to JSON (see the `xml` module for the shape), and sets
//! `Content-Type: application/json`.

use super::xml::Conversion;
use crate::compile::Compiler;
use crate::reader::Element;
use crate::runtime::{Exchange, Failure};

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
        let conversion = Conversion {
            source: "xml-to-json",
            from: "xml",
            to: "json",
            always: self.always,
            consider_accept: self.consider_accept,
        };
        let Some(text) = conversion.body_text(ex) else {
            return Ok(());
        };
        let converted = super::xml::xml_to_json(&text, self.friendly).map_err(|e| {
            let message = format!("The body is not XML: {e}");
            Failure::internal("xml-to-json", "XmlToJsonConversionFailure", message)
        })?;
        conversion.replace(ex, converted, "application/json");
        Ok(())
    }
}
