//! `<quota calls="10000" bandwidth="40000" renewal-period="3600">`, with optional `<api>` and
//! `<operation>` quotas: a call volume and/or bandwidth (kilobytes) per subscription per
//! period. Over quota the caller gets APIM's 403 saying when the quota is replenished.
//!
//! Calls are counted when the request passes; bandwidth is checked when it arrives and
//! counted once the response is known.

use std::time::Duration;

use serde_json::json;

use super::counting::{self, Scoped};
use crate::compile::{Compiler, StepMeta};
use crate::reader::{Code, Element};
use crate::runtime::execute::Flow;
use crate::runtime::finish::{Amount, Deferred};
use crate::runtime::{Exchange, Failure, Services};

#[derive(Clone, Debug)]
pub(crate) struct Quota {
    calls: Option<u64>,
    bandwidth: Option<u64>,
    period: u64,
    scoped: Vec<Scoped>,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<Quota> {
    let calls = cx.literal(element, "calls", "a whole number of calls");
    let bandwidth = cx.literal(element, "bandwidth", "a whole number of kilobytes");
    let period = cx.literal(element, "renewal-period", "a whole number of seconds");
    let scoped = counting::scoped(element, cx);
    if calls.is_none() && bandwidth.is_none() && scoped.is_empty() {
        let message = "<quota> needs 'calls', 'bandwidth' or both";
        cx.error(element.position, Code::MissingAttribute, message);
        return None;
    }
    Some(Quota {
        calls,
        bandwidth,
        period: period?,
        scoped,
    })
}

/// One quota to check: counter key prefix, limits and period.
struct Check {
    key: String,
    calls: Option<u64>,
    bandwidth: Option<u64>,
    period: Duration,
}

impl Quota {
    pub(crate) fn run(
        &self,
        ex: &mut Exchange,
        services: &Services,
        meta: &StepMeta,
    ) -> Result<Flow, Failure> {
        let checks = self.checks(ex, meta);
        for check in &checks {
            enforce(ex, services, check)?;
        }
        ex.record("quota", || json!({ "message": "Quota was not exceeded." }));
        Ok(Flow::Next)
    }

    fn checks(&self, ex: &Exchange, meta: &StepMeta) -> Vec<Check> {
        let mut checks = vec![Check {
            key: counting::subscription_key("quota", ex, meta, ""),
            calls: self.calls,
            bandwidth: self.bandwidth,
            period: counting::period(self.period),
        }];
        for (limit, scope) in counting::matching(&self.scoped, ex) {
            checks.push(Check {
                key: counting::subscription_key("quota", ex, meta, &scope),
                calls: limit.calls,
                bandwidth: limit.bandwidth,
                period: counting::period(limit.period.unwrap_or(self.period)),
            });
        }
        checks
    }
}

/// Checks one quota: bandwidth first (it is only counted later), then calls.
fn enforce(ex: &mut Exchange, services: &Services, check: &Check) -> Result<(), Failure> {
    if let Some(kilobytes) = check.bandwidth {
        let key = format!("{}|kilobytes", check.key);
        let decision = services.counters.peek(&key, kilobytes, check.period);
        if !decision.allowed {
            return Err(counting::quota_exceeded("quota", true, &decision));
        }
        ex.deferred.push(Deferred {
            key,
            period: check.period,
            amount: Amount::Kilobytes,
            condition: None,
            source: "quota",
        });
    }
    if let Some(calls) = check.calls {
        let key = format!("{}|calls", check.key);
        let decision = services.counters.acquire(&key, calls, check.period, 1);
        if !decision.allowed {
            return Err(counting::quota_exceeded("quota", false, &decision));
        }
    }
    Ok(())
}
