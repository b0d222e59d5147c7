//! `<limit-concurrency key="@(...)" max-count="3">` around policies: at most `max-count`
//! requests run them at once per key; a request over the limit fails at once with 429 (APIM
//! does not queue either).

use std::sync::Arc;

use serde_json::json;

use crate::compile::{Compiler, Step, StepMeta, Text};
use crate::reader::Element;
use crate::runtime::execute::{Cx, Flow, Raised, run_nested};
use crate::runtime::{Backend, Exchange, Failure, Section};

#[derive(Clone, Debug)]
pub(crate) struct LimitConcurrency {
    key: Text,
    max: u32,
    pub(crate) steps: Vec<Step>,
}

pub(crate) fn compile(
    element: &Element,
    cx: &mut Compiler<'_>,
    section: Section,
    path: &str,
) -> Option<LimitConcurrency> {
    let key = cx.required_text(element, "key");
    let max = cx.literal::<u32>(element, "max-count", "a whole number");
    let steps = cx.block(element, section, &format!("{path}/"));
    Some(LimitConcurrency {
        key: key?,
        max: max?,
        steps,
    })
}

impl LimitConcurrency {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.push(&self.key);
    }

    pub(crate) async fn run<B: Backend>(
        &self,
        ex: &mut Exchange,
        cx: &Cx<'_, B>,
        meta: &Arc<StepMeta>,
    ) -> Result<Flow, Raised> {
        let raise = |failure| Raised {
            failure,
            at: Some(meta.clone()),
        };
        let source = "limit-concurrency";
        let key = self
            .key
            .string(ex)
            .map_err(|e| raise(Failure::expression(source, &e)))?;
        let Some(permit) = cx
            .services
            .concurrency
            .try_acquire(&format!("{source}|{key}"), self.max)
        else {
            ex.record(source, || json!({ "message": format!("Concurrency limit of {} was reached for key '{key}'.", self.max) }));
            let message = "Too many concurrent requests.";
            return Err(raise(Failure::denied(
                source,
                "ConcurrencyLimitExceeded",
                message,
                429,
            )));
        };
        ex.record(
            source,
            || json!({ "message": "Concurrency limit was not reached.", "key": &*key }),
        );
        let flow = run_nested(&self.steps, ex, cx).await;
        drop(permit);
        flow
    }
}
