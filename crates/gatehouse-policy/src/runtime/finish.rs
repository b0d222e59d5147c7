//! What happens once the response is known, whatever the outcome: counting deferred to the
//! response (`increment-condition`, `increment-after-response`, bandwidth quotas), and the
//! headers `cors` adds to the response the caller gets.

use std::time::Duration;

use serde_json::json;

use super::message::Body;
use super::{Exchange, Section, Services};
use crate::compile::Text;

/// A counter increment made after the response.
#[derive(Clone, Debug)]
pub(crate) struct Deferred {
    /// The counter.
    pub(crate) key: String,
    /// Its period.
    pub(crate) period: Duration,
    /// What to add.
    pub(crate) amount: Amount,
    /// Counted only when this is true (evaluated against the response).
    pub(crate) condition: Option<Text>,
    /// The policy that asked, for the trace.
    pub(crate) source: &'static str,
}

/// What a deferred increment adds.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Amount {
    /// A number of calls.
    Calls(u64),
    /// The kilobytes of the request and response bodies.
    Kilobytes,
}

/// Runs the deferred increments and adds the exit headers.
pub(crate) fn finish(ex: &mut Exchange, services: &Services) {
    for deferred in std::mem::take(&mut ex.deferred) {
        count(ex, services, &deferred);
    }
    for (name, value) in std::mem::take(&mut ex.exit_headers) {
        ex.response.headers.insert(name, value);
    }
}

fn count(ex: &Exchange, services: &Services, deferred: &Deferred) {
    if let Some(condition) = &deferred.condition {
        let counted = match condition {
            Text::Literal(text) => text.trim().eq_ignore_ascii_case("true"),
            Text::Expression(e) => e.evaluate_bool(ex).unwrap_or(false),
        };
        ex.record_in(Section::Outbound, deferred.source, || {
            json!({ "message": "Increment condition was evaluated.", "expression": condition.source(), "value": counted })
        });
        if !counted {
            return;
        }
    }
    let amount = match deferred.amount {
        Amount::Calls(calls) => calls,
        Amount::Kilobytes => kilobytes(ex),
    };
    services
        .counters
        .add(&deferred.key, deferred.period, amount);
}

/// Kilobytes transferred, rounded up: bodies in memory by their length, streams by their
/// `Content-Length` (unknown lengths count as nothing).
fn kilobytes(ex: &Exchange) -> u64 {
    let length = |body: &Body, headers: &http::HeaderMap| -> u64 {
        match body.bytes() {
            Some(bytes) => bytes.len() as u64,
            None => headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        }
    };
    let bytes = length(&ex.request.body, &ex.request.headers)
        + length(&ex.response.body, &ex.response.headers);
    bytes.div_ceil(1024)
}
