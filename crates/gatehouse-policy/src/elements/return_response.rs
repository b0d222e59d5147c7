//! `<return-response>` with optional `set-status`, `set-header` and `set-body` children: stops
//! the pipeline and answers with a response built from scratch (200 and no body by default).

use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::elements::{SetBody, SetHeader, SetStatus, set_body, set_header, set_status};
use crate::reader::Element;
use crate::runtime::{Exchange, Failure, Response};

#[derive(Clone, Debug)]
pub(crate) struct ReturnResponse {
    /// A variable holding a response (`send-request`'s) to start from.
    variable: Option<gatehouse_expr::context::Str>,
    status: Option<SetStatus>,
    headers: Vec<SetHeader>,
    body: Option<SetBody>,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<ReturnResponse> {
    let mut compiled = ReturnResponse {
        variable: element
            .attribute("response-variable-name")
            .map(|a| a.value.text.trim().into()),
        status: None,
        headers: Vec::new(),
        body: None,
    };
    let mut ok = true;
    for child in element.elements() {
        match child.name.as_str() {
            "set-status" => {
                compiled.status = set_status::compile(child, cx).or_else(|| fail(&mut ok))
            }
            "set-header" => match set_header::compile(child, cx) {
                Some(header) => compiled.headers.push(header),
                None => ok = false,
            },
            "set-body" => compiled.body = set_body::compile(child, cx).or_else(|| fail(&mut ok)),
            _ => {}
        }
    }
    ok.then_some(compiled)
}

fn fail<T>(ok: &mut bool) -> Option<T> {
    *ok = false;
    None
}

impl ReturnResponse {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        self.status.iter().for_each(|s| s.texts(out));
        self.headers.iter().for_each(|h| h.texts(out));
        self.body.iter().for_each(|b| b.texts(out));
    }

    /// Builds the response; the caller stops the pipeline.
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let mut response = match &self.variable {
            Some(name) => from_variable(ex, name)?,
            None => Response::default(),
        };
        if let Some(status) = &self.status {
            status.apply(ex, &mut response)?;
        }
        for header in &self.headers {
            header.apply_to(ex, &mut response.headers)?;
        }
        if let Some(body) = &self.body {
            response.body = body.body(ex)?;
        }

        ex.record("return-response", || {
            json!({
                "message": "Return response was applied",
                "response": {
                    "status": { "code": response.status, "reason": response.reason_phrase() },
                    "headers": crate::runtime::headers_json(&response.headers),
                }
            })
        });
        ex.response = response;
        ex.responded = true;
        Ok(())
    }
}

/// The response kept in variable `name` by `send-request`.
fn from_variable(ex: &Exchange, name: &str) -> Result<Response, Failure> {
    use gatehouse_expr::Host;

    let Some(gatehouse_expr::Value::Message(message)) = ex.variable(name) else {
        let text = format!("Variable '{name}' does not hold a response (IResponse).");
        return Err(Failure::internal(
            "return-response",
            "ExpressionValueEvaluationFailure",
            text,
        ));
    };
    let data = &message.data;
    let mut response = Response {
        status: u16::try_from(data.status_code).unwrap_or(500),
        reason: Some(data.status_reason.to_string()).filter(|r| !r.is_empty()),
        ..Response::default()
    };
    for (header, values) in data.headers.iter() {
        let Ok(header) = http::HeaderName::from_bytes(header.as_bytes()) else {
            continue;
        };
        for value in values.iter() {
            if let Ok(value) = http::HeaderValue::from_str(value) {
                response.headers.append(header.clone(), value);
            }
        }
    }
    if let Some(body) = &data.body {
        response.body = crate::runtime::Body::from(bytes::Bytes::copy_from_slice(body));
    }
    Ok(response)
}
