//! CORS preflight requests, which browsers send without credentials.
//!
//! A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) carries no
//! subscription key and usually targets a path with no `OPTIONS` operation. So it is routed
//! to the operation of the method it asks about, and, when it has no key, answered by the
//! pipeline's inbound `cors` policy alone: nothing else runs for a request nobody
//! authenticated. Without a `cors` policy that answers it, it is refused as usual.

use gatehouse_policy::pipeline::Pipeline;
use gatehouse_policy::runtime::Response;
use http::Method;
use http::header::{ACCESS_CONTROL_REQUEST_METHOD, ORIGIN};

use crate::routing::Routed;
use crate::snapshot::{ApiEntry, OperationEntry, Snapshot};

/// Routes a request; a preflight without an `OPTIONS` operation is routed by the method it
/// asks about.
pub(crate) fn route<'s>(
    snapshot: &'s Snapshot,
    parts: &http::request::Parts,
) -> Routed<'s, ApiEntry, OperationEntry> {
    let routed = snapshot.route(parts.method.as_str(), parts.uri.path());
    let Routed::NoOperation(_) = routed else {
        return routed;
    };
    match asked_method(parts) {
        Some(method) => snapshot.route(&method, parts.uri.path()),
        None => routed,
    }
}

/// The `cors` policy's answer to a preflight that came without a subscription key.
pub(crate) fn answer(pipeline: &Pipeline, parts: &http::request::Parts) -> Option<Response> {
    let answer = pipeline.answer_preflight(&parts.method, &parts.headers)?;
    tracing::debug!(
        path = parts.uri.path(),
        status = answer.status,
        "CORS preflight answered by the cors policy"
    );
    Some(answer)
}

/// The method a preflight asks about, uppercase.
fn asked_method(parts: &http::request::Parts) -> Option<String> {
    if parts.method != Method::OPTIONS || !parts.headers.contains_key(ORIGIN) {
        return None;
    }
    let asked = parts
        .headers
        .get(ACCESS_CONTROL_REQUEST_METHOD)?
        .to_str()
        .ok()?;
    Some(asked.trim().to_ascii_uppercase())
}
