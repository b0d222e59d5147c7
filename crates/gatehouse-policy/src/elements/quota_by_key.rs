//! `<quota-by-key calls="..." bandwidth="..." renewal-period="..." counter-key="@(...)"
//! increment-condition="@(...)" increment-count="1" first-period-start="...">`: a call
//! volume and/or bandwidth per key per period, shared by every policy using the key.
//!
//! A renewal period of 0 (or none) never renews. `first-period-start` is accepted, but periods
//! start with the first counted call rather than at that instant.

use serde_json::json;

use super::counting;
use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::finish::{Amount, Deferred};
use crate::runtime::{Exchange, Failure, Services};

#[derive(Clone, Debug)]
pub(crate) struct QuotaByKey {
    calls: Option<Text>,
    bandwidth: Option<Text>,
    period: Option<Text>,
    key: Text,
    condition: Option<Text>,
    count: Option<Text>,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<QuotaByKey> {
    let calls = counting::number_text(element, cx, "calls");
    let bandwidth = counting::number_text(element, cx, "bandwidth");
    if calls.is_none() && bandwidth.is_none() {
        let message = "<quota-by-key> needs 'calls', 'bandwidth' or both";
        cx.error(element.position, Code::MissingAttribute, message);
        return None;
    }
    Some(QuotaByKey {
        calls,
        bandwidth,
        period: counting::number_text(element, cx, "renewal-period"),
        key: cx.required_text(element, "counter-key")?,
        condition: cx.text(element, "increment-condition"),
        count: counting::number_text(element, cx, "increment-count"),
    })
}

impl QuotaByKey {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        out.push(&self.key);
        out.extend(self.calls.iter().chain(&self.bandwidth).chain(&self.period));
        out.extend(self.condition.iter().chain(&self.count));
    }

    pub(crate) fn run(&self, ex: &mut Exchange, services: &Services) -> Result<(), Failure> {
        let source = "quota-by-key";
        let key = self
            .key
            .string(ex)
            .map_err(|e| Failure::expression(source, &e))?;
        let period = match &self.period {
            Some(period) => {
                counting::period(counting::number(period, ex, source, "renewal-period")?)
            }
            None => counting::period(0),
        };
        ex.record(source, || json!({ "message": "Expression was successfully evaluated.", "expression": self.key.source(), "value": &*key }));

        if let Some(bandwidth) = &self.bandwidth {
            let limit = counting::number(bandwidth, ex, source, "bandwidth")?;
            let counter = format!("{source}|{key}|kilobytes");
            let decision = services.counters.peek(&counter, limit, period);
            if !decision.allowed {
                return Err(counting::quota_exceeded(source, true, &decision));
            }
            ex.deferred.push(Deferred {
                key: counter,
                period,
                amount: Amount::Kilobytes,
                condition: self.condition.clone(),
                source,
            });
        }
        if let Some(calls) = &self.calls {
            let limit = counting::number(calls, ex, source, "calls")?;
            let amount = match &self.count {
                Some(count) => counting::number(count, ex, source, "increment-count")?,
                None => 1,
            };
            let count = counting::CallCount {
                source,
                counter: format!("{source}|{key}|calls"),
                limit,
                period,
                amount,
                condition: self.condition.as_ref(),
                after_response: false,
            };
            if let Some(decision) = count.apply(ex, services)?
                && !decision.allowed
            {
                return Err(counting::quota_exceeded(source, false, &decision));
            }
        }
        Ok(())
    }
}
