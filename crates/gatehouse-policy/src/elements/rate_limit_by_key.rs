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
        let count = counting::CallCount {
            source,
            counter: format!("{source}|{key}"),
            limit: calls,
            period,
            amount,
            condition: self.condition.as_ref(),
            after_response: self.after_response,
        };
        let Some(decision) = count.apply(ex, services)? else {
            return Ok(());
        };

        if !decision.allowed {
            return Err(self.reporting.exceeded(ex, source, &decision));
        }
        self.reporting.allowed(ex, &decision, calls);
        Ok(())
    }
}
