//! `<set-method>POST</set-method>`: changes the request's HTTP method.

use http::Method;
use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::{Exchange, Failure};

#[derive(Clone, Debug)]
pub(crate) struct SetMethod {
    method: Text,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<SetMethod> {
    let method = cx.content(element)?;
    if let Some(text) = method.literal()
        && parse(text).is_none()
    {
        let message = format!("'{}' is not an HTTP method", text.trim());
        cx.error(element.position, Code::InvalidValue, message);
        return None;
    }
    Some(SetMethod { method })
}

/// A method token, uppercased as APIM sends it.
pub(crate) fn parse(text: &str) -> Option<Method> {
    let text = text.trim().to_ascii_uppercase();
    if text.is_empty() {
        return None;
    }
    Method::from_bytes(text.as_bytes()).ok()
}

impl SetMethod {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.push(&self.method);
    }

    /// The method, evaluated against `ex`.
    pub(crate) fn evaluate(&self, ex: &Exchange, source: &str) -> Result<Method, Failure> {
        let text = self
            .method
            .string(ex)
            .map_err(|e| Failure::expression(source, &e))?;
        parse(&text).ok_or_else(|| Failure::invalid_value(source, "the HTTP method", &text))
    }

    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let method = self.evaluate(ex, "set-method")?;
        ex.record(
            "set-method",
            || json!({ "message": format!("Request method was set to {method}.") }),
        );
        ex.request.method = method;
        Ok(())
    }
}
