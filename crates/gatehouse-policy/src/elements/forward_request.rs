//! `<forward-request timeout="300" follow-redirects="false" fail-on-error-status-code="false"/>`:
//! sends the request to the backend; the answer becomes the response outbound policies see.
//! With `follow-redirects="true"` the backend's redirects are followed here (`redirect.rs`).

mod redirect;

use std::time::Duration;

use bytes::Bytes;

use serde_json::json;

use crate::compile::Compiler;
use crate::reader::Element;
use crate::runtime::execute::{Cx, Flow};
use crate::runtime::{
    Backend, Body, Exchange, Failure, ForwardOptions, Request, Response, headers_json,
};

#[derive(Clone, Debug)]
pub(crate) struct ForwardRequest {
    pub(crate) options: ForwardOptions,
    pub(crate) fail_on_error_status: bool,
    /// `follow-redirects="true"`: the runtime follows redirects; backends are always asked
    /// to return them.
    pub(crate) follow_redirects: bool,
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
    let follow_redirects = cx.flag(element, "follow-redirects").unwrap_or(false);
    let fail_on_error_status = cx
        .flag(element, "fail-on-error-status-code")
        .unwrap_or(false);
    Some(ForwardRequest {
        options,
        fail_on_error_status,
        follow_redirects,
    })
}

impl ForwardRequest {
    pub(crate) async fn run<B: Backend>(
        &self,
        ex: &mut Exchange,
        cx: &Cx<'_, B>,
    ) -> Result<Flow, Failure> {
        let (outgoing, replay) = self.outgoing(ex);
        ex.record("forward-request", || {
            json!({
                "message": format!(
                    "Request is being forwarded to the backend service. Timeout set to {} seconds",
                    self.options.timeout.as_secs()
                ),
                "request": ex.masked_request_json(),
            })
        });

        let options = ForwardOptions {
            client_identity: ex.client_identity.clone(),
            tls: ex.backend_tls,
            proxy: ex.proxy.clone(),
            follow_redirects: false,
            ..self.options.clone()
        };
        let mut response = send(cx, outgoing, &options).await?;
        if let Some(replay) = replay {
            response = redirect::follow(ex, cx, &options, replay, response).await?;
        }

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

impl ForwardRequest {
    /// The request to send and, when redirects are followed, what a redirect may need to
    /// send again (the body only when it is in memory). A body in memory stays for later
    /// readers (and for `retry`); a stream goes once.
    fn outgoing(&self, ex: &mut Exchange) -> (Request, Option<redirect::Sent>) {
        let body = match &mut ex.request.body {
            Body::Full(bytes) => Body::Full(bytes.clone()),
            other => std::mem::take(other),
        };
        let replay = self.follow_redirects.then(|| redirect::Sent {
            method: ex.request.method.clone(),
            url: ex.request.url.clone(),
            headers: ex.request.headers.clone(),
            body: replayable(&body),
        });
        let request = Request {
            method: ex.request.method.clone(),
            url: ex.request.url.clone(),
            headers: ex.request.headers.clone(),
            body,
        };
        (request, replay)
    }
}

/// Sends one request to the backend.
async fn send<B: Backend>(
    cx: &Cx<'_, B>,
    request: Request,
    options: &ForwardOptions,
) -> Result<Response, Failure> {
    cx.backend
        .forward(request, options)
        .await
        .map_err(|e| Failure::backend(e.reason(), e.to_string()))
}

/// The body as bytes that can be sent again, or `None` for a stream.
fn replayable(body: &Body) -> Option<Bytes> {
    match body {
        Body::Empty => Some(Bytes::new()),
        Body::Full(bytes) => Some(bytes.clone()),
        Body::Stream(_) => None,
    }
}
