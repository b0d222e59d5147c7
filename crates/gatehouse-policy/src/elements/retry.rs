//! `<retry condition="@(...)" count="3" interval="1" delta="1" max-interval="10"
//! first-fast-retry="false">` around policies: runs them, then again while the condition
//! (evaluated after each run) holds, up to `count` more times, waiting between runs.
//!
//! Waits follow APIM: a fixed `interval`; with `delta`, linear growth (`interval + (n-1) *
//! delta`); with `delta` and `max-interval`, exponential growth (`interval + (2^n - 1) *
//! delta`) capped at `max-interval`. `first-fast-retry` makes the first retry immediate. A
//! failure inside the policies is not retried: it goes to on-error as anywhere else.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::counting;
use crate::compile::{Compiler, Step, StepMeta, Text};
use crate::reader::{Code, Element};
use crate::runtime::execute::{Cx, Flow, Raised, run_nested};
use crate::runtime::{Backend, Exchange, Failure, Section};

/// Retries past this are refused at compile time: a retry loop must end.
const MAX_COUNT: u64 = 100;

#[derive(Clone, Debug)]
pub(crate) struct Retry {
    condition: Text,
    count: Text,
    interval: Text,
    delta: Option<Text>,
    max_interval: Option<Text>,
    first_fast: bool,
    pub(crate) steps: Vec<Step>,
}

pub(crate) fn compile(
    element: &Element,
    cx: &mut Compiler<'_>,
    section: Section,
    path: &str,
) -> Option<Retry> {
    let condition = cx.required_text(element, "condition");
    let count = counting::number_text(element, cx, "count");
    if let Some(literal) = count.as_ref().and_then(Text::literal)
        && literal.trim().parse::<u64>().is_ok_and(|c| c > MAX_COUNT)
    {
        let message = format!("retry count {} is more than {MAX_COUNT}", literal.trim());
        cx.error(element.position, Code::InvalidValue, message);
        return None;
    }
    let interval = counting::number_text(element, cx, "interval");
    let delta = counting::number_text(element, cx, "delta");
    let max_interval = counting::number_text(element, cx, "max-interval");
    let first_fast = cx.flag(element, "first-fast-retry").unwrap_or(false);
    let steps = cx.block(element, section, &format!("{path}/"));
    Some(Retry {
        condition: condition?,
        count: count?,
        interval: interval?,
        delta,
        max_interval,
        first_fast,
        steps,
    })
}

impl Retry {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.extend([&self.condition, &self.count, &self.interval]);
        out.extend(self.delta.iter().chain(&self.max_interval));
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
        let count = counting::number(&self.count, ex, "retry", "count")
            .map_err(raise)?
            .min(MAX_COUNT);
        let mut attempt = 0;
        loop {
            let flow = run_nested(&self.steps, ex, cx).await?;
            if flow != Flow::Next || attempt >= count || !self.should_retry(ex).map_err(raise)? {
                return Ok(flow);
            }
            attempt += 1;
            let wait = self.wait(ex, attempt).map_err(raise)?;
            ex.record("retry", || json!({ "message": format!("Retry condition was true; attempt {attempt} of {count} after {} ms.", wait.as_millis()) }));
            if !wait.is_zero() {
                cx.backend.sleep(wait).await;
            }
        }
    }

    fn should_retry(&self, ex: &Exchange) -> Result<bool, Failure> {
        match &self.condition {
            Text::Literal(text) => Ok(text.trim().eq_ignore_ascii_case("true")),
            Text::Expression(e) => e
                .evaluate_bool(ex)
                .map_err(|e| Failure::expression("retry", &e)),
        }
    }

    /// How long to wait before retry number `attempt` (from 1).
    fn wait(&self, ex: &Exchange, attempt: u64) -> Result<Duration, Failure> {
        if self.first_fast && attempt == 1 {
            return Ok(Duration::ZERO);
        }
        let number = |t: &Text, what| counting::number(t, ex, "retry", what);
        let interval = number(&self.interval, "interval")?;
        let delta = self
            .delta
            .as_ref()
            .map(|d| number(d, "delta"))
            .transpose()?;
        let max = self
            .max_interval
            .as_ref()
            .map(|m| number(m, "max-interval"))
            .transpose()?;
        let seconds = match (delta, max) {
            (None, _) => interval,
            (Some(delta), None) => interval.saturating_add((attempt - 1).saturating_mul(delta)),
            (Some(delta), Some(max)) => {
                let factor = 1u64
                    .checked_shl(u32::try_from(attempt).unwrap_or(63))
                    .unwrap_or(u64::MAX)
                    - 1;
                interval
                    .saturating_add(factor.saturating_mul(delta))
                    .min(max)
            }
        };
        Ok(Duration::from_secs(seconds))
    }
}
