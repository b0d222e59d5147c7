//! The pipeline runner: inbound, backend, outbound, and on-error when anything fails.
//!
//! Fail closed: a failure anywhere skips every remaining step, including forwarding, and the
//! caller gets the error response (or what `on-error` makes of it). Only `forward-request`
//! talks to the backend, so a request that failed in inbound never reaches it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use gatehouse_expr::context::LastErrorInfo;
use http::header::CONTENT_TYPE;
use serde_json::json;

use super::{Backend, Body, Exchange, Failure, Response, Section, Services, finish};
use crate::compile::{Step, StepMeta};
use crate::elements::{self, Action};
use crate::pipeline::Pipeline;

/// How a pipeline ended. Either way the response to send is `exchange.response`.
#[derive(Debug)]
pub enum Outcome {
    /// The pipeline ran to the end, or a policy answered (`return-response`, a cache hit...).
    Completed,
    /// A step failed; `on-error` ran (if any) and shaped the response.
    Failed(Failure),
}

/// Where to go after a step or block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// The next step.
    Next,
    /// Nowhere: the response is final (`return-response`, `mock-response`, a CORS preflight).
    Stop,
    /// Straight to outbound, skipping the rest of inbound and the backend (a cache hit).
    Outbound,
}

/// A failure and the step it happened in.
#[derive(Debug)]
pub(crate) struct Raised {
    pub(crate) failure: Failure,
    pub(crate) at: Option<Arc<StepMeta>>,
}

/// What steps reach besides the exchange: the outside world and the shared state.
#[derive(Debug)]
pub(crate) struct Cx<'r, B> {
    pub(crate) backend: &'r B,
    pub(crate) services: &'r Services,
}

/// The future of a nested block: boxed, so that containers (`retry`, `wait`,
/// `limit-concurrency`) can run blocks that contain containers.
pub(crate) type BlockFuture<'a> = Pin<Box<dyn Future<Output = Result<Flow, Raised>> + Send + 'a>>;

/// Runs `pipeline` over `exchange`, calling `backend` for `forward-request` and
/// `send-request` and keeping counters and caches in `services`.
pub async fn run<B: Backend>(
    pipeline: &Pipeline,
    exchange: &mut Exchange,
    backend: &B,
    services: &Services,
) -> Outcome {
    exchange.secrets = pipeline.secrets().clone();
    let cx = Cx { backend, services };
    let outcome = run_sections(pipeline, exchange, &cx).await;
    finish::finish(exchange, services);
    outcome
}

async fn run_sections<B: Backend>(
    pipeline: &Pipeline,
    ex: &mut Exchange,
    cx: &Cx<'_, B>,
) -> Outcome {
    let mut to_outbound = false;
    for section in [Section::Inbound, Section::Backend, Section::Outbound] {
        if to_outbound && section != Section::Outbound {
            continue;
        }
        ex.section = section;
        match run_block(pipeline.section(section), ex, cx).await {
            Ok(Flow::Next) => {}
            Ok(Flow::Outbound) => to_outbound = true,
            Ok(Flow::Stop) => return Outcome::Completed,
            Err(raised) => return on_error(pipeline, ex, cx, raised).await,
        }
    }
    Outcome::Completed
}

/// Runs a block nested in a container step.
pub(crate) fn run_nested<'a, B: Backend>(
    steps: &'a [Step],
    ex: &'a mut Exchange,
    cx: &'a Cx<'a, B>,
) -> BlockFuture<'a> {
    Box::pin(run_block(steps, ex, cx))
}

/// Runs a block of steps; `choose` branches are entered without recursion, so the common
/// case allocates nothing and the runner's future stays one fixed size however deeply
/// branches nest.
pub(crate) async fn run_block<B: Backend>(
    steps: &[Step],
    ex: &mut Exchange,
    cx: &Cx<'_, B>,
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
        if step.body {
            ex.buffer_bodies().await.map_err(raise)?;
        }
        if let Action::Choose(choose) = &step.action {
            let picked = choose.pick(ex);
            ex.settle_consumed();
            if let Some(branch) = picked.map_err(raise)? {
                nested.push(std::mem::replace(&mut current, branch.iter()));
            }
            continue;
        }
        let flow = run_step(step, ex, cx).await;
        ex.settle_consumed();
        match flow? {
            Flow::Next => {}
            other => return Ok(other),
        }
    }
}

/// Runs one step other than `choose`.
async fn run_step<B: Backend>(
    step: &Step,
    ex: &mut Exchange,
    cx: &Cx<'_, B>,
) -> Result<Flow, Raised> {
    let raise = |failure| Raised {
        failure,
        at: Some(step.meta.clone()),
    };
    match &step.action {
        Action::Retry(retry) => retry.run(ex, cx, &step.meta).await,
        Action::LimitConcurrency(limit) => limit.run(ex, cx, &step.meta).await,
        Action::Wait(wait) => wait.run(ex, cx, &step.meta).await,
        action => elements::run_leaf(action, ex, cx, &step.meta)
            .await
            .map_err(raise),
    }
}

async fn on_error<B: Backend>(
    pipeline: &Pipeline,
    ex: &mut Exchange,
    cx: &Cx<'_, B>,
    raised: Raised,
) -> Outcome {
    let Raised { failure, at } = raised;
    ex.record(
        "on-error",
        || json!({ "message": &failure.message, "reason": &*failure.reason, "source": &*failure.source }),
    );
    ex.set_last_error(last_error(&failure, at.as_deref(), ex.section));
    ex.response = error_response(&failure);
    ex.responded = true;

    ex.section = Section::OnError;
    match run_block(pipeline.section(Section::OnError), ex, cx).await {
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

/// APIM's JSON error body: `{"statusCode": 500, "message": "Internal server error"}`, with the
/// headers the failure carries (`Retry-After` for rate limits).
pub(crate) fn error_response(failure: &Failure) -> Response {
    let mut response = Response {
        status: failure.status,
        ..Response::default()
    };
    response.headers.insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    for (name, value) in &failure.headers {
        response.headers.insert(name.clone(), value.clone());
    }
    let body = json!({ "statusCode": failure.status, "message": failure.response_message });
    response.body = Body::from(body.to_string());
    response
}
