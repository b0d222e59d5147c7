//! `<set-body>text or @(expression)</set-body>`: replaces the message body.

use bytes::Bytes;
use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::{Body, Exchange, Failure};

#[derive(Clone, Debug)]
pub(crate) struct SetBody {
    content: Text,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<SetBody> {
    if let Some(template) = element.attribute("template") {
        let message = format!(
            "set-body template '{}' is not supported by Gatehouse yet",
            template.value.text
        );
        cx.error(template.position, Code::Unsupported, message);
        return None;
    }
    let content = match element.texts().next() {
        Some(value) if value.is_expression() => cx.value(value)?,
        _ => Text::Literal(
            cx.document
                .raw_content(element)
                .map(decode_literal)
                .unwrap_or_default()
                .into(),
        ),
    };
    Some(SetBody { content })
}

impl SetBody {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.push(&self.content);
    }

    /// The new body, evaluated against `ex`.
    pub(crate) fn body(&self, ex: &Exchange) -> Result<Body, Failure> {
        let text = self
            .content
            .string(ex)
            .map_err(|e| Failure::expression("set-body", &e))?;
        ex.record(
            "set-body",
            || json!({ "message": "The message body was set." }),
        );
        Ok(Body::from(Bytes::copy_from_slice(text.as_bytes())))
    }
}

/// Literal `set-body` content is the element's raw markup (payloads may be XML) with the
/// standard entities of plain text decoded, as APIM sends it.
fn decode_literal(raw: &str) -> String {
    match raw
        .strip_prefix("<![CDATA[")
        .and_then(|r| r.strip_suffix("]]>"))
    {
        Some(cdata) => cdata.to_owned(),
        None => raw
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    }
}
