//! `<rate-limit-by-key calls="10" renewal-period="60" counter-key="@(...)"
//! increment-condition="@(...)" increment-count="1" increment-after-response="false">`: at
//! most `calls` calls per key per period, whatever the subscription.
//!
//! The key's counter is shared by every policy using the same key, as in APIM. When the
//! increment depends on the response (`increment-after-response`, or a condition that reads
//! `context.Response`), the request is checked against the limit now and counted once the
//! response is known.

use serde_json::json;

use super::counting::{self, Reporting};
use crate::compile::{Compiler, Text};
use crate::reader::Element;
use crate::runtime::finish::{Amount, Deferred};
use crate::runtime::{Exchange, Failure, Services};

#[derive(Clone, Debug)]
pub(crate) struct RateLimitByKey {
    calls: Text,
    period: Text,
    key: Text,
    condition: Option<Text>,
    count: Option<Text>,
    after_response: bool,
    reporting: Reporting,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<RateLimitByKey> {
    let calls = counting::number_text(element, cx, "calls");
    let period = counting::number_text(element, cx, "renewal-period");
    let key = cx.required_text(element, "counter-key");
    let condition = cx.text(element, "increment-condition");
    let count = counting::number_text(element, cx, "increment-count");
    let after_response = cx
        .flag(element, "increment-after-response")
        .unwrap_or(false);
    let reporting = counting::reporting(element, cx);
    Some(RateLimitByKey {
        calls: calls?,
        period: period?,
        key: key?,
        condition,
        count,
        after_response,
        reporting: reporting?,
    })
}

impl RateLimitByKey {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.extend([&self.calls, &self.period, &self.key]);
        out.extend(&self.condition);
        out.extend(&self.count);
    }

    pub(crate) fn run(&self, ex: &mut Exchange, services: &Services) -> Result<(), Failure> {
        let source = "rate-limit-by-key";
        let calls = counting::number(&self.calls, ex, source, "calls")?;
        let period = counting::period(counting::number(
            &self.period,
            ex,
            source,
            "renewal-period",
        )?);
        let key = self
            .key
            .string(ex)
            .map_err(|e| Failure::expression(source, &e))?;
        let amount = match &self.count {
            Some(count) => counting::number(count, ex, source, "increment-count")?,
            None => 1,
        };
        ex.record(source, || json!({ "message": "Expression was successfully evaluated.", "expression": self.key.source(), "value": &*key }));
        let counter = format!("{source}|{key}");

        let decision = if self.counts_after_response() {
            let decision = services.counters.peek(&counter, calls, period);
            if decision.allowed {
                ex.deferred.push(Deferred {
                    key: counter,
                    period,
                    amount: Amount::Calls(amount),
                    condition: self.condition.clone(),
                    source,
                });
            }
            decision
        } else {
            if !self.condition_holds(ex)? {
                return Ok(());
            }
            services.counters.acquire(&counter, calls, period, amount)
        };

        if !decision.allowed {
            return Err(self.reporting.exceeded(ex, source, &decision));
        }
        self.reporting.allowed(ex, &decision, calls);
        Ok(())
    }

    /// Whether counting waits for the response.
    fn counts_after_response(&self) -> bool {
        self.after_response
            || self
                .condition
                .as_ref()
                .is_some_and(|c| c.is_expression() && c.source().contains("Response"))
    }

    fn condition_holds(&self, ex: &Exchange) -> Result<bool, Failure> {
        match &self.condition {
            None => Ok(true),
            Some(Text::Literal(text)) => Ok(text.trim().eq_ignore_ascii_case("true")),
            Some(Text::Expression(e)) => e
                .evaluate_bool(ex)
                .map_err(|e| Failure::expression("rate-limit-by-key", &e)),
        }
    }
}
