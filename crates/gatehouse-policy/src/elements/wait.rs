//! `<wait for="all|any">` around `send-request` (and a few other) policies: sends the
//! requests at the same time and waits for all of them, or for the first to answer.
//!
//! The `send-request` children are built first, in order, and then sent together. Other
//! children (`choose`, `cache-lookup-value`, ...) run one after another before the requests
//! are sent. With `for="any"` only the first response is kept; the other requests are
//! abandoned.

use std::sync::Arc;

use futures_util::future::{join_all, select_all};
use gatehouse_expr::context::MessageData;

use super::Action;
use super::send_request::{self, Prepared, SendRequest};
use crate::compile::{Compiler, Step, StepMeta};
use crate::reader::Element;
use crate::runtime::execute::{Cx, Flow, Raised, run_nested};
use crate::runtime::{Backend, Exchange, ForwardError, Section};

#[derive(Clone, Debug)]
pub(crate) struct Wait {
    any: bool,
    pub(crate) steps: Vec<Step>,
}

pub(crate) fn compile(
    element: &Element,
    cx: &mut Compiler<'_>,
    section: Section,
    path: &str,
) -> Option<Wait> {
    let any = element
        .attribute("for")
        .is_some_and(|a| a.value.text.trim().eq_ignore_ascii_case("any"));
    let steps = cx.block(element, section, &format!("{path}/"));
    Some(Wait { any, steps })
}

type Sent = Result<MessageData, ForwardError>;

impl Wait {
    pub(crate) async fn run<B: Backend>(
        &self,
        ex: &mut Exchange,
        cx: &Cx<'_, B>,
        _meta: &Arc<StepMeta>,
    ) -> Result<Flow, Raised> {
        let mut requests: Vec<(&SendRequest, Prepared, Arc<StepMeta>)> = Vec::new();
        for step in &self.steps {
            if let Action::SendRequest(send) = &step.action {
                let request = send.prepare(ex, "send-request").map_err(|failure| Raised {
                    failure,
                    at: Some(step.meta.clone()),
                })?;
                requests.push((send, request, step.meta.clone()));
                continue;
            }
            let flow = run_nested(std::slice::from_ref(step), ex, cx).await?;
            if flow != Flow::Next {
                return Ok(flow);
            }
        }
        if requests.is_empty() {
            return Ok(Flow::Next);
        }

        let sends: Vec<_> = requests.iter().map(|(s, _, _)| *s).collect();
        let metas: Vec<_> = requests.iter().map(|(_, _, m)| m.clone()).collect();
        let futures = requests.into_iter().map(|(_, prepared, _)| {
            let Prepared { request, options } = prepared;
            Box::pin(async move { send_request::exchange(cx.backend, request, &options).await })
        });
        let results: Vec<(usize, Sent)> = if self.any {
            let (first, index, _) = select_all(futures).await;
            vec![(index, first)]
        } else {
            join_all(futures).await.into_iter().enumerate().collect()
        };
        for (index, result) in results {
            sends[index].store(ex, result).map_err(|failure| Raised {
                failure,
                at: Some(metas[index].clone()),
            })?;
        }
        Ok(Flow::Next)
    }
}
