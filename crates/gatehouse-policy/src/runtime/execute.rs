//! The pipeline runner: inbound, backend, outbound, and on-error when anything fails.
//!
//! Fail closed: a failure anywhere skips every remaining step, including forwarding, and the
//! caller gets the error response (or what `on-error` makes of it). Only `forward-request`
//! talks to the backend, so a request that failed in inbound never reaches it.

use std::sync::Arc;

use gatehouse_expr::context::LastErrorInfo;
use http::header::CONTENT_TYPE;
use serde_json::json;

use super::{Backend, Body, Exchange, Failure, Request, Response, Section, headers_json};
use crate::compile::{Step, StepMeta};
use crate::elements::{Action, ForwardRequest};
use crate::pipeline::Pipeline;

/// How a pipeline ended. Either way the response to send is `exchange.response`.
#[derive(Debug)]
pub enum Outcome {
    /// The pipeline ran to the end, or a `return-response` answered.
    Completed,
    /// A step failed; `on-error` ran (if any) and shaped the response.
    Failed(Failure),
}

/// Whether to go on after a block.
enum Flow {
    Next,
    Stop,
}

/// A failure and the step it happened in.
struct Raised {
    failure: Failure,
    at: Option<Arc<StepMeta>>,
}

/// Runs `pipeline` over `exchange`, calling `backend` for `forward-request`.
pub async fn run<B: Backend>(pipeline: &Pipeline, exchange: &mut Exchange, backend: &B) -> Outcome {
    for section in [Section::Inbound, Section::Backend, Section::Outbound] {
        exchange.section = section;
        match run_steps(pipeline.section(section), exchange, backend).await {
            Ok(Flow::Next) => {}
            Ok(Flow::Stop) => return Outcome::Completed,
            Err(raised) => return on_error(pipeline, exchange, backend, raised).await,
        }
    }
    Outcome::Completed
}

/// Runs a block of steps; `choose` branches are entered without recursion, so the runner's
/// future stays one fixed size however deeply policies nest.
async fn run_steps<B: Backend>(
    steps: &[Step],
    ex: &mut Exchange,
    backend: &B,
) -> Result<Flow, Raised> {
    let mut nested: Vec<std::slice::Iter<'_, Step>> = Vec::new();
    let mut current = steps.iter();
    loop {
        let Some(step) = current.next() else {
            match nested.pop() {
                Some(outer) => current = outer,
                None => return Ok(Flow::Next),
            }
            continue;
        };
        let raise = |failure| Raised {
            failure,
            at: Some(step.meta.clone()),
        };
        match &step.action {
            Action::Choose(choose) => {
                if let Some(branch) = choose.pick(ex).map_err(raise)? {
                    nested.push(std::mem::replace(&mut current, branch.iter()));
                }
            }
            Action::ForwardRequest(forward) => {
                forward_request(forward, ex, backend).await.map_err(raise)?
            }
            Action::ReturnResponse(r) => {
                r.run(ex).map_err(raise)?;
                return Ok(Flow::Stop);
            }
            action => run_simple(action, ex).map_err(raise)?,
        }
    }
}

/// Steps that neither branch, wait nor stop.
fn run_simple(action: &Action, ex: &mut Exchange) -> Result<(), Failure> {
    match action {
        Action::SetBody(set_body) => {
            let body = set_body.body(ex)?;
            if ex.section.works_on_request() {
                ex.request.body = body
            } else {
                ex.response.body = body
            }
            Ok(())
        }
        Action::SetHeader(set_header) => set_header.run(ex),
        Action::SetStatus(set_status) => {
            let mut response = std::mem::take(&mut ex.response);
            let result = set_status.apply(ex, &mut response);
            ex.response = response;
            result
        }
        Action::SetVariable(set_variable) => set_variable.run(ex),
        // `<base/>` is gone after joining; the others are handled by `run_steps`.
        Action::Base
        | Action::Choose(_)
        | Action::ForwardRequest(_)
        | Action::ReturnResponse(_) => Ok(()),
    }
}

async fn forward_request<B: Backend>(
    forward: &ForwardRequest,
    ex: &mut Exchange,
    backend: &B,
) -> Result<(), Failure> {
    let body = match &mut ex.request.body {
        Body::Full(bytes) => Body::Full(bytes.clone()),
        other => std::mem::take(other),
    };
    ex.record("forward-request", || {
        json!({
            "message": format!(
                "Request is being forwarded to the backend service. Timeout set to {} seconds",
                forward.options.timeout.as_secs()
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
    let response = backend
        .forward(outgoing, &forward.options)
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
    if forward.fail_on_error_status && status >= 400 {
        let message = format!("Backend service responded with status code {status}.");
        return Err(Failure::backend("BackendConnectionFailure", message));
    }
    Ok(())
}

async fn on_error<B: Backend>(
    pipeline: &Pipeline,
    ex: &mut Exchange,
    backend: &B,
    raised: Raised,
) -> Outcome {
    let Raised { failure, at } = raised;
    ex.record("on-error", || json!({ "message": &failure.message, "reason": &*failure.reason, "source": &*failure.source }));
    ex.set_last_error(last_error(&failure, at.as_deref(), ex.section));
    ex.response = error_response(&failure);
    ex.responded = true;

    ex.section = Section::OnError;
    match run_steps(pipeline.section(Section::OnError), ex, backend).await {
        Ok(_) => Outcome::Failed(failure),
        Err(Raised {
            failure: second, ..
        }) => {
            ex.response = error_response(&second);
            Outcome::Failed(second)
        }
    }
}

fn last_error(failure: &Failure, at: Option<&StepMeta>, section: Section) -> LastErrorInfo {
    LastErrorInfo {
        source: failure.source.clone(),
        reason: failure.reason.clone(),
        message: failure.message.as_str().into(),
        scope: at.map_or("", |m| m.scope.name()).into(),
        section: section.name().into(),
        path: at.map_or_else(|| "".into(), |m| m.path.clone()),
        policy_id: at.and_then(|m| m.id.clone()).unwrap_or_else(|| "".into()),
    }
}

/// APIM's JSON error body: `{"statusCode": 500, "message": "Internal server error"}`.
pub(crate) fn error_response(failure: &Failure) -> Response {
    let mut response = Response {
        status: failure.status,
        ..Response::default()
    };
    response.headers.insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    let body = json!({ "statusCode": failure.status, "message": failure.response_message });
    response.body = Body::from(body.to_string());
    response
}
