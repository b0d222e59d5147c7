//! `<rate-limit calls="20" renewal-period="90">`, with optional `<api>` and `<operation>`
//! limits: at most `calls` calls per subscription per `renewal-period` seconds. Over the
//! limit the caller gets APIM's 429 with `Retry-After`.

use std::time::Duration;

use serde_json::json;

use super::counting::{self, Reporting, Scoped};
use crate::compile::{Compiler, StepMeta};
use crate::reader::Element;
use crate::runtime::execute::Flow;
use crate::runtime::{Decision, Exchange, Failure, Services};

#[derive(Clone, Debug)]
pub(crate) struct RateLimit {
    calls: u64,
    period: u64,
    reporting: Reporting,
    scoped: Vec<Scoped>,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<RateLimit> {
    let calls = cx.literal(element, "calls", "a whole number of calls");
    let period = cx.literal(element, "renewal-period", "a whole number of seconds");
    let reporting = counting::reporting(element, cx);
    let scoped = counting::scoped(element, cx);
    Some(RateLimit {
        calls: calls?,
        period: period?,
        reporting: reporting?,
        scoped,
    })
}

/// One counter to check: its key, limit and period.
struct Check {
    key: String,
    calls: u64,
    period: Duration,
}

impl RateLimit {
    pub(crate) fn run(
        &self,
        ex: &mut Exchange,
        services: &Services,
        meta: &StepMeta,
    ) -> Result<Flow, Failure> {
        let checks = self.checks(ex, meta);
        let counters = &services.counters;
        let refused = checks
            .iter()
            .map(|c| counters.peek(&c.key, c.calls, c.period))
            .find(|d| !d.allowed);
        if let Some(decision) = refused {
            return Err(self.exceeded(ex, &decision));
        }

        let mut first: Option<Decision> = None;
        for check in &checks {
            let decision = counters.acquire(&check.key, check.calls, check.period, 1);
            if !decision.allowed {
                return Err(self.exceeded(ex, &decision));
            }
            first.get_or_insert(decision);
        }
        if let Some(decision) = first {
            self.reporting.allowed(ex, &decision, self.calls);
            ex.record("rate-limit", || json!({ "message": "Rate limit was not exceeded.", "remainingCalls": decision.remaining }));
        }
        Ok(Flow::Next)
    }

    /// The subscription's counter for this policy, then those of matching `<api>` and
    /// `<operation>` limits.
    fn checks(&self, ex: &Exchange, meta: &StepMeta) -> Vec<Check> {
        let mut checks = vec![Check {
            key: counting::subscription_key("rate-limit", ex, meta, ""),
            calls: self.calls,
            period: counting::period(self.period),
        }];
        for (limit, scope) in counting::matching(&self.scoped, ex) {
            let Some(calls) = limit.calls else { continue };
            checks.push(Check {
                key: counting::subscription_key("rate-limit", ex, meta, &scope),
                calls,
                period: counting::period(limit.period.unwrap_or(self.period)),
            });
        }
        checks
    }

    fn exceeded(&self, ex: &mut Exchange, decision: &Decision) -> Failure {
        ex.record(
            "rate-limit",
            || json!({ "message": "Rate limit was exceeded." }),
        );
        self.reporting.exceeded(ex, "rate-limit", decision)
    }
}
