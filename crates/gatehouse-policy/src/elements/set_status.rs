//! `<set-status code="403" reason="Forbidden"/>`: sets the response status. It does not stop
//! the pipeline: in inbound, a backend response later replaces it (APIM semantics); pair it
//! with `return-response` to answer right away.

use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::Element;
use crate::runtime::{Exchange, Failure, Response};

#[derive(Clone, Debug)]
pub(crate) struct SetStatus {
    code: Text,
    reason: Option<Text>,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<SetStatus> {
    let code = cx.required_text(element, "code")?;
    let reason = cx.text(element, "reason");
    if let Text::Literal(text) = &code
        && parse_status(text).is_none()
    {
        let message = format!("status code '{text}' must be a number from 200 to 599");
        cx.error(element.position, crate::reader::Code::InvalidValue, message);
        return None;
    }
    Some(SetStatus { code, reason })
}

impl SetStatus {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.push(&self.code);
        out.extend(&self.reason);
    }

    /// Sets the status of the response being built.
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let mut response = std::mem::take(&mut ex.response);
        let result = self.apply(ex, &mut response);
        ex.response = response;
        result
    }

    /// Applies the status to `response`, evaluating against `ex`.
    pub(crate) fn apply(&self, ex: &Exchange, response: &mut Response) -> Result<(), Failure> {
        let code = self
            .code
            .string(ex)
            .map_err(|e| Failure::expression("set-status", &e))?;
        let status = parse_status(&code)
            .ok_or_else(|| Failure::invalid_value("set-status", "code", &code))?;
        let reason = match &self.reason {
            Some(reason) => Some(
                reason
                    .string(ex)
                    .map_err(|e| Failure::expression("set-status", &e))?,
            ),
            None => None,
        };

        response.status = status;
        response.reason = reason.map(|r| r.to_string());
        ex.record("set-status", || {
            json!({ "message": [
                format!("Response status code was set to {status}"),
                format!("Response status reason was set to '{}'", response.reason_phrase()),
            ]})
        });
        Ok(())
    }
}

fn parse_status(text: &str) -> Option<u16> {
    text.trim()
        .parse()
        .ok()
        .filter(|code| super::FINAL_STATUSES.contains(code))
}
