//! Running a pipeline over one request.

mod backend;
mod encoding;
mod exchange;
mod execute;
mod failure;
mod message;
mod trace;

pub use backend::{Backend, DEFAULT_FORWARD_TIMEOUT, ForwardError, ForwardOptions};
pub use encoding::{decode_component, decode_path_segment};
pub use exchange::{Caller, Exchange, Resolved, url_info};
pub use execute::{Outcome, run};
pub use failure::Failure;
pub use message::{Body, BodyError, BoxError, Request, Response, StreamBody, Url};
pub use trace::{Section, Trace, TraceEntry, format_elapsed, format_timestamp};

/// Headers as a trace shows them: `[{"name": ..., "value": ...}]`.
pub fn headers_json(headers: &http::HeaderMap) -> serde_json::Value {
    let list = headers
        .iter()
        .map(|(name, value)| {
            serde_json::json!({ "name": name.as_str(), "value": String::from_utf8_lossy(value.as_bytes()) })
        })
        .collect();
    serde_json::Value::Array(list)
}
