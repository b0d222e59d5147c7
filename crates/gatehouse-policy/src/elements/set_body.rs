//! `<set-body>text or @(expression)</set-body>` and `<set-body template="liquid">`: replaces
//! the message body (the request in inbound and backend, the response in outbound and
//! on-error).
//!
//! Literal content is the element's raw markup (payloads may be XML) with entities decoded
//! and named values substituted. Liquid templates are compiled when the policy is saved; see
//! the `liquid` module for what they may use.

use std::cell::OnceCell;

use bytes::Bytes;
use gatehouse_expr::JToken;
use serde_json::json;

use super::liquid::{LValue, Template};
use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::{Body, Exchange, Failure};

#[derive(Clone, Debug)]
pub(crate) struct SetBody {
    content: Content,
}

#[derive(Clone, Debug)]
enum Content {
    Text(Text),
    Liquid(Template),
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<SetBody> {
    if let Some(attribute) = element.attribute("html-decode-expression")
        && attribute.value.text.trim().eq_ignore_ascii_case("true")
    {
        let message = "html-decode-expression=\"true\" is not supported by Gatehouse yet";
        cx.unsupported(attribute.position, message);
        return None;
    }
    let template = element
        .attribute("template")
        .map(|a| a.value.text.trim().to_ascii_lowercase());
    let content = match template.as_deref() {
        Some("liquid") => Content::Liquid(liquid(element, cx)?),
        _ => Content::Text(text(element, cx)?),
    };
    Some(SetBody { content })
}

fn text(element: &Element, cx: &mut Compiler<'_>) -> Option<Text> {
    match element.meaningful_texts().next() {
        Some(value) if value.is_expression() => cx.value(value),
        _ => {
            let raw = cx
                .document
                .raw_content(element)
                .map(decode_literal)
                .unwrap_or_default();
            let substituted = cx.raw_value(&raw, element.position, false)?;
            Some(Text::Literal(substituted.into()))
        }
    }
}

/// A Liquid template: `{{name}}` references to defined named values are substituted first;
/// others are Liquid's own output tags.
fn liquid(element: &Element, cx: &mut Compiler<'_>) -> Option<Template> {
    let raw = cx
        .document
        .raw_content(element)
        .map(decode_literal)
        .unwrap_or_default();
    let substituted = cx.raw_value(&raw, element.position, true)?;
    match Template::parse(&substituted) {
        Ok(template) => Some(template),
        Err(error) => {
            let message = format!("liquid template: {}", error.message);
            cx.error(element.position, Code::InvalidValue, message);
            None
        }
    }
}

impl SetBody {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        if let Content::Text(text) = &self.content {
            out.push(text);
        }
    }

    /// Whether the new body is made from the current one (a template reading `body`).
    pub(crate) fn reads_body(&self) -> bool {
        matches!(&self.content, Content::Liquid(t) if t.reads_body())
    }

    /// Replaces the body of the message the section works on.
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let body = self.body(ex)?;
        ex.set_body(ex.current_message(), body);
        Ok(())
    }

    /// The new body, evaluated against `ex`.
    pub(crate) fn body(&self, ex: &Exchange) -> Result<Body, Failure> {
        let text: String = match &self.content {
            Content::Text(text) => text
                .string(ex)
                .map_err(|e| Failure::expression("set-body", &e))?
                .to_string(),
            Content::Liquid(template) => render(template, ex)?,
        };
        ex.record(
            "set-body",
            || json!({ "message": "The message body was set." }),
        );
        Ok(Body::from(Bytes::from(text)))
    }
}

fn render(template: &Template, ex: &Exchange) -> Result<String, Failure> {
    let context = OnceCell::new();
    let body = OnceCell::new();
    let roots = |name: &str| match name {
        "body" => body.get_or_init(|| body_value(ex)).clone(),
        "context" => context.get_or_init(|| super::liquid::context(ex)).clone(),
        _ => LValue::Nil,
    };
    template
        .render(&roots)
        .map_err(|message| Failure::internal("set-body", "LiquidTemplateFailure", message))
}

/// The current message's body as Liquid sees it: parsed JSON, else its text.
fn body_value(ex: &Exchange) -> LValue {
    let Some(bytes) = ex.body_of(ex.current_message()).bytes() else {
        return LValue::Nil;
    };
    let text = String::from_utf8_lossy(bytes);
    match JToken::parse(&text) {
        Ok(token) => LValue::from_json(&token),
        Err(_) if text.is_empty() => LValue::Nil,
        Err(_) => LValue::Str(text.into_owned()),
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
