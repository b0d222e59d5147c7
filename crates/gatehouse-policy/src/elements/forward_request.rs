//! `<forward-request timeout="300" follow-redirects="false" fail-on-error-status-code="false"/>`:
//! sends the request to the backend; the answer becomes the response outbound policies see.

use std::time::Duration;

use serde_json::json;

use crate::compile::Compiler;
use crate::reader::Element;
use crate::runtime::execute::{Cx, Flow};
use crate::runtime::{Backend, Body, Exchange, Failure, ForwardOptions, Request, headers_json};

#[derive(Clone, Debug)]
pub(crate) struct ForwardRequest {
    pub(crate) options: ForwardOptions,
    pub(crate) fail_on_error_status: bool,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<ForwardRequest> {
    let mut options = ForwardOptions::default();
    if let Some(seconds) = cx.literal::<u64>(element, "timeout", "a whole number of seconds") {
        options.timeout = Duration::from_secs(seconds);
    }
    if let Some(millis) = cx.literal::<u64>(element, "timeout-ms", "a whole number of milliseconds")
    {
        options.timeout = Duration::from_millis(millis);
    }
    if cx.flag(element, "follow-redirects") == Some(true) {
        let message = "follow-redirects=\"true\" is not supported by Gatehouse yet; redirects are returned to the caller";
        cx.unsupported(element.position, message);
        return None;
    }
    let fail_on_error_status = cx
        .flag(element, "fail-on-error-status-code")
        .unwrap_or(false);
    Some(ForwardRequest {
        options,
        fail_on_error_status,
    })
}

impl ForwardRequest {
    pub(crate) async fn run<B: Backend>(
        &self,
        ex: &mut Exchange,
        cx: &Cx<'_, B>,
    ) -> Result<Flow, Failure> {
        // A body in memory is kept for later readers (and for `retry`); a stream goes once.
        let body = match &mut ex.request.body {
            Body::Full(bytes) => Body::Full(bytes.clone()),
            other => std::mem::take(other),
        };
        ex.record("forward-request", || {
            json!({
                "message": format!(
                    "Request is being forwarded to the backend service. Timeout set to {} seconds",
                    self.options.timeout.as_secs()
                ),
                "request": ex.masked_request_json(),
            })
        });

        let outgoing = Request {
            method: ex.request.method.clone(),
            url: ex.request.url.clone(),
            headers: ex.request.headers.clone(),
            body,
        };
        let options = ForwardOptions {
            client_identity: ex.client_identity.clone(),
            ..self.options.clone()
        };
        let response = cx
            .backend
            .forward(outgoing, &options)
            .await
            .map_err(|e| Failure::backend(e.reason(), e.to_string()))?;

        ex.record("forward-request", || {
            json!({ "response": {
                "status": { "code": response.status, "reason": response.reason_phrase() },
                "headers": headers_json(&response.headers),
            }})
        });
        let status = response.status;
        ex.response = response;
        ex.responded = true;
        if self.fail_on_error_status && status >= 400 {
            let message = format!("Backend service responded with status code {status}.");
            return Err(Failure::backend("BackendConnectionFailure", message));
        }
        Ok(Flow::Next)
    }
}
