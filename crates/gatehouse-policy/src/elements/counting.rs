//! What the rate-limit and quota policies share: their limits, the headers and variables that
//! report on them, APIM's 429 and 403 answers, and counter keys that survive configuration
//! changes.

use std::time::Duration;

use http::{HeaderName, HeaderValue};

use crate::compile::{Compiler, StepMeta, Text};
use crate::reader::{Code, Element};
use crate::runtime::finish::{Amount, Deferred};
use crate::runtime::{Decision, Exchange, Failure, Services};

/// One call to count against a by-key counter (`rate-limit-by-key`, `quota-by-key`).
pub(crate) struct CallCount<'t> {
    /// The policy counting, for traces and errors.
    pub(crate) source: &'static str,
    /// The counter's key.
    pub(crate) counter: String,
    /// Calls allowed per period.
    pub(crate) limit: u64,
    /// The renewal period.
    pub(crate) period: Duration,
    /// How much this call adds.
    pub(crate) amount: u64,
    /// `increment-condition`: the call counts only when it holds.
    pub(crate) condition: Option<&'t Text>,
    /// `increment-after-response`: count once the response is known.
    pub(crate) after_response: bool,
}

impl CallCount<'_> {
    /// Counts the call now when its condition holds, or, when counting has to wait for the
    /// response (the condition reads `context.Response`, or `increment-after-response`),
    /// checks the limit now and leaves the increment for after the response. `None` when the
    /// condition says the call does not count.
    pub(crate) fn apply(
        self,
        ex: &mut Exchange,
        services: &Services,
    ) -> Result<Option<Decision>, Failure> {
        if self.after_response || self.condition.is_some_and(reads_response) {
            let decision = services
                .counters
                .peek(&self.counter, self.limit, self.period);
            if decision.allowed {
                ex.deferred.push(Deferred {
                    key: self.counter,
                    period: self.period,
                    amount: Amount::Calls(self.amount),
                    condition: self.condition.cloned(),
                    source: self.source,
                });
            }
            return Ok(Some(decision));
        }
        if !condition_holds(self.condition, ex, self.source)? {
            return Ok(None);
        }
        Ok(Some(services.counters.acquire(
            &self.counter,
            self.limit,
            self.period,
            self.amount,
        )))
    }
}

/// Whether an increment condition looks at the response, so it can only be decided after it.
fn reads_response(condition: &Text) -> bool {
    condition.is_expression() && condition.source().contains("Response")
}

/// Evaluates an increment condition now; no condition means every call counts.
fn condition_holds(condition: Option<&Text>, ex: &Exchange, source: &str) -> Result<bool, Failure> {
    match condition {
        None => Ok(true),
        Some(Text::Literal(text)) => Ok(text.trim().eq_ignore_ascii_case("true")),
        Some(Text::Expression(e)) => e
            .evaluate_bool(ex)
            .map_err(|e| Failure::expression(source, &e)),
    }
}

/// A renewal period of 0 means the counter never renews (quota-by-key).
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The headers and variables a rate limit reports through.
#[derive(Clone, Debug, Default)]
pub(crate) struct Reporting {
    retry_after_header: Option<HeaderName>,
    retry_after_variable: Option<gatehouse_expr::context::Str>,
    remaining_header: Option<HeaderName>,
    remaining_variable: Option<gatehouse_expr::context::Str>,
    total_header: Option<HeaderName>,
}

/// The reporting attributes of a rate-limit element.
pub(crate) fn reporting(element: &Element, cx: &mut Compiler<'_>) -> Option<Reporting> {
    Some(Reporting {
        retry_after_header: header_name(element, cx, "retry-after-header-name")?,
        retry_after_variable: variable_name(element, "retry-after-variable-name"),
        remaining_header: header_name(element, cx, "remaining-calls-header-name")?,
        remaining_variable: variable_name(element, "remaining-calls-variable-name"),
        total_header: header_name(element, cx, "total-calls-header-name")?,
    })
}

fn header_name(
    element: &Element,
    cx: &mut Compiler<'_>,
    attribute: &str,
) -> Option<Option<HeaderName>> {
    let Some(found) = element.attribute(attribute) else {
        return Some(None);
    };
    match HeaderName::from_bytes(found.value.text.trim().as_bytes()) {
        Ok(name) => Some(Some(name)),
        Err(_) => {
            let message = format!("'{}' is not a valid header name", found.value.text);
            cx.error(found.value.position, Code::InvalidValue, message);
            None
        }
    }
}

fn variable_name(element: &Element, attribute: &str) -> Option<gatehouse_expr::context::Str> {
    element
        .attribute(attribute)
        .map(|a| a.value.text.trim().into())
}

impl Reporting {
    /// After an allowed call: remaining calls into their variable and response header, the
    /// limit into its header.
    pub(crate) fn allowed(&self, ex: &mut Exchange, decision: &Decision, calls: u64) {
        if let Some(name) = &self.remaining_variable {
            ex.set_variable(
                name,
                gatehouse_expr::Value::Long(saturating_i64(decision.remaining)),
            );
        }
        if let Some(name) = &self.remaining_header {
            ex.exit_headers
                .push((name.clone(), HeaderValue::from(decision.remaining)));
        }
        if let Some(name) = &self.total_header {
            ex.exit_headers
                .push((name.clone(), HeaderValue::from(calls)));
        }
    }

    /// A refused call: APIM's 429 with `Retry-After` (or the configured header) and body
    /// `Rate limit is exceeded. Try again in N seconds.`
    pub(crate) fn exceeded(&self, ex: &mut Exchange, source: &str, decision: &Decision) -> Failure {
        let seconds = decision.renews_in.as_secs_f64().ceil().max(1.0) as u64;
        if let Some(name) = &self.retry_after_variable {
            ex.set_variable(name, gatehouse_expr::Value::Long(saturating_i64(seconds)));
        }
        if let Some(name) = &self.remaining_variable {
            ex.set_variable(name, gatehouse_expr::Value::Long(0));
        }
        let header = self
            .retry_after_header
            .clone()
            .unwrap_or(http::header::RETRY_AFTER);
        let shown = format!("Rate limit is exceeded. Try again in {seconds} seconds.");
        Failure::denied(source, "RateLimitExceeded", "Rate limit is exceeded", 429)
            .with_response_message(shown)
            .with_header(header, HeaderValue::from(seconds))
    }
}

fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A refused quota: APIM's 403 `Out of call volume quota. Quota will be replenished in
/// hh:mm:ss.` (or the bandwidth variant).
pub(crate) fn quota_exceeded(source: &str, bandwidth: bool, decision: &Decision) -> Failure {
    let what = if bandwidth {
        "bandwidth"
    } else {
        "call volume"
    };
    let message = format!(
        "Out of {what} quota. Quota will be replenished in {}.",
        time_span(decision.renews_in)
    );
    Failure::denied(source, "QuotaExceeded", &message, 403)
}

/// A duration as .NET prints a `TimeSpan`: `hh:mm:ss`, with `d.` in front past a day.
pub(crate) fn time_span(duration: Duration) -> String {
    let total = duration.as_secs();
    let (days, hours, minutes, seconds) = (
        total / 86_400,
        total / 3600 % 24,
        total / 60 % 60,
        total % 60,
    );
    if days > 0 {
        format!("{days}.{hours:02}:{minutes:02}:{seconds:02}")
    } else {
        format!("{hours:02}:{minutes:02}:{seconds:02}")
    }
}

/// A renewal period in seconds; 0 never renews.
pub(crate) fn period(seconds: u64) -> Duration {
    if seconds == 0 {
        FOREVER
    } else {
        Duration::from_secs(seconds)
    }
}

/// A whole number from literal text or an expression.
pub(crate) fn number(text: &Text, ex: &Exchange, source: &str, what: &str) -> Result<u64, Failure> {
    let value = text
        .string(ex)
        .map_err(|e| Failure::expression(source, &e))?;
    value
        .trim()
        .parse()
        .map_err(|_| Failure::invalid_value(source, what, &value))
}

/// Checks at compile time that a literal number attribute parses; expressions are checked
/// per request.
pub(crate) fn number_text(element: &Element, cx: &mut Compiler<'_>, name: &str) -> Option<Text> {
    let text = cx.text(element, name)?;
    if let Some(literal) = text.literal()
        && literal.trim().parse::<u64>().is_err()
    {
        let message = format!(
            "attribute '{name}' of <{}> must be a whole number",
            element.name
        );
        let position = element
            .attribute(name)
            .map_or(element.position, |a| a.value.position);
        cx.error(position, Code::InvalidValue, message);
        return None;
    }
    Some(text)
}

/// The counter identity of a per-subscription limit: the policy's scope, the resource it is
/// attached to, its place in the section and the subscription. Nothing in it changes when
/// unrelated configuration does, so editing another API does not reset the counter.
pub(crate) fn subscription_key(kind: &str, ex: &Exchange, meta: &StepMeta, extra: &str) -> String {
    let resolved = &ex.resolved;
    let api = resolved.api.as_ref().map_or("", |a| &*a.id);
    let owner = match meta.scope {
        crate::compile::ScopeLevel::Global => String::new(),
        crate::compile::ScopeLevel::Product => {
            resolved.product.as_ref().map_or("", |p| &*p.id).to_owned()
        }
        crate::compile::ScopeLevel::Api => api.to_owned(),
        crate::compile::ScopeLevel::Operation => {
            let operation = resolved.operation.as_ref().map_or("", |o| &*o.id);
            format!("{api}/{operation}")
        }
    };
    let subscription = resolved.subscription.as_ref().map_or("", |s| &*s.id);
    format!(
        "{kind}|{}:{owner}|{}|{extra}|{subscription}",
        meta.scope.name(),
        meta.path
    )
}

/// A limit that applies to one API or operation inside a `rate-limit` or `quota`.
#[derive(Clone, Debug)]
pub(crate) struct Scoped {
    /// Whether it is an `<api>` (else an `<operation>`).
    pub(crate) api: bool,
    /// Matches the API or operation by name or id.
    pub(crate) name: Option<String>,
    pub(crate) id: Option<String>,
    pub(crate) calls: Option<u64>,
    pub(crate) bandwidth: Option<u64>,
    pub(crate) period: Option<u64>,
    /// Operation limits inside an API limit.
    pub(crate) operations: Vec<Scoped>,
}

impl Scoped {
    /// Whether this limit names the API or operation with `name` and `id`.
    pub(crate) fn names(&self, name: &str, id: &str) -> bool {
        self.name.as_deref().is_some_and(|n| n == name)
            || self.id.as_deref().is_some_and(|i| i == id)
    }
}

/// The scoped limits that apply to the request: a matching `<api>`, and a matching
/// `<operation>` in it or at the top level. Each comes with its counter name.
pub(crate) fn matching<'s>(scoped: &'s [Scoped], ex: &Exchange) -> Vec<(&'s Scoped, String)> {
    let resolved = &ex.resolved;
    let (api_name, api_id) = resolved
        .api
        .as_ref()
        .map_or(("", ""), |a| (&*a.name, &*a.id));
    let (op_name, op_id) = resolved
        .operation
        .as_ref()
        .map_or(("", ""), |o| (&*o.name, &*o.id));
    let mut found = Vec::new();
    for limit in scoped {
        if limit.api && limit.names(api_name, api_id) {
            found.push((limit, format!("api:{api_id}")));
            for operation in limit.operations.iter().filter(|o| o.names(op_name, op_id)) {
                found.push((operation, format!("api:{api_id}/operation:{op_id}")));
            }
        } else if !limit.api && limit.names(op_name, op_id) {
            found.push((limit, format!("operation:{api_id}/{op_id}")));
        }
    }
    found
}

/// The `<api>` and `<operation>` children of a rate limit or quota.
pub(crate) fn scoped(element: &Element, cx: &mut Compiler<'_>) -> Vec<Scoped> {
    element
        .elements()
        .filter(|child| matches!(child.name.as_str(), "api" | "operation"))
        .map(|child| Scoped {
            api: child.name == "api",
            name: child
                .attribute("name")
                .map(|a| a.value.text.trim().to_owned()),
            id: child
                .attribute("id")
                .map(|a| a.value.text.trim().to_owned()),
            calls: cx.literal(child, "calls", "a whole number"),
            bandwidth: cx.literal(child, "bandwidth", "a whole number of kilobytes"),
            period: cx.literal(child, "renewal-period", "a whole number of seconds"),
            operations: if child.name == "api" {
                scoped(child, cx)
            } else {
                Vec::new()
            },
        })
        .collect()
}
