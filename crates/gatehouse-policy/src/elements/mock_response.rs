//! `<mock-response status-code="200" content-type="application/json" index="0"/>`: answers
//! with an example from the operation's documented responses instead of calling the backend,
//! and stops the pipeline. Without a matching example the answer is the status with no body.

use bytes::Bytes;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::execute::Flow;
use crate::runtime::{Body, Exchange, Failure, Representation, Response};

#[derive(Clone, Debug)]
pub(crate) struct MockResponse {
    status: u16,
    content_type: Option<Text>,
    index: usize,
    enabled: bool,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<MockResponse> {
    let status = cx
        .literal::<u16>(element, "status-code", "a status code from 200 to 599")
        .unwrap_or(200);
    if !super::FINAL_STATUSES.contains(&status) {
        let message = format!("status-code {status} must be from 200 to 599");
        cx.error(element.position, Code::InvalidValue, message);
        return None;
    }
    Some(MockResponse {
        status,
        content_type: cx.text(element, "content-type"),
        index: cx.literal(element, "index", "a whole number").unwrap_or(0),
        enabled: cx.flag(element, "enabled").unwrap_or(true),
    })
}

impl MockResponse {
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<Flow, Failure> {
        if !self.enabled {
            ex.record(
                "mock-response",
                || json!({ "message": "Mocking is disabled (enabled=\"false\")." }),
            );
            return Ok(Flow::Next);
        }
        let wanted = match &self.content_type {
            Some(text) => Some(
                text.string(ex)
                    .map_err(|e| Failure::expression("mock-response", &e))?,
            ),
            None => None,
        };
        let mut response = Response {
            status: self.status,
            ..Response::default()
        };
        let found = self.example(ex, wanted.as_deref());
        if let Some((content_type, body)) = &found
            && let Ok(value) = HeaderValue::from_str(content_type)
        {
            response.headers.insert(CONTENT_TYPE, value);
            response.body = Body::from(Bytes::copy_from_slice(body.as_bytes()));
        }

        ex.record("mock-response", || {
            let message = match found {
                Some(_) => "Mock response was returned from the operation's example.",
                None => "Mock response was returned with no body: the operation has no matching example.",
            };
            json!({ "message": message, "response": { "status": { "code": self.status } } })
        });
        ex.response = response;
        ex.responded = true;
        Ok(Flow::Stop)
    }

    /// The content type and body of the example to answer with.
    fn example(&self, ex: &Exchange, wanted: Option<&str>) -> Option<(String, String)> {
        let documented = ex
            .resolved
            .examples
            .iter()
            .find(|r| r.status == self.status)?;
        let representation: &Representation = match wanted {
            Some(wanted) => documented
                .representations
                .iter()
                .find(|r| r.content_type.eq_ignore_ascii_case(wanted.trim()))?,
            None => documented.representations.first()?,
        };
        let body = representation.examples.get(self.index)?;
        Some((representation.content_type.clone(), body.clone()))
    }
}
