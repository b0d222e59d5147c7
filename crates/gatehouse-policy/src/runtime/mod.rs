//! Running a pipeline over one request.

mod backend;
mod buffer;
mod encoding;
mod exchange;
pub(crate) mod execute;
mod failure;
pub(crate) mod finish;
mod host;
mod memory;
mod message;
mod services;
mod trace;
mod trust;

pub use backend::{
    Backend, BackendTls, ClientIdentity, DEFAULT_FORWARD_TIMEOUT, DEFAULT_SEND_TIMEOUT,
    ForwardError, ForwardOptions, HttpProxy,
};
pub use buffer::MAX_BUFFERED_BODY;
pub use encoding::{decode_component, decode_path_segment, encode_component};
pub use exchange::{Caller, Exchange, Representation, Resolved, ResponseExample};
pub use execute::{Outcome, run};
pub use failure::Failure;
pub use host::url_info;
pub(crate) use host::{MASK, query_pairs};
pub use memory::SystemClock;
pub use message::{Body, BodyError, BoxError, Request, Response, StreamBody, Url};
pub use services::{
    CachedResponse, Clock, Concurrency, Counters, Decision, ManualClock, MemoryCache,
    MemoryConcurrency, MemoryCounters, Permit, ResponseCache, Services, ValueCache,
};
pub use trace::{Section, Trace, TraceEntry, format_elapsed, format_timestamp};
pub use trust::{CertificateTrust, TrustCheck};

/// Headers as a trace shows them: `[{"name": ..., "value": ...}]`; values marked sensitive
/// (credentials a policy set) are masked.
pub fn headers_json(headers: &http::HeaderMap) -> serde_json::Value {
    let list = headers
        .iter()
        .map(|(name, value)| {
            let shown = if value.is_sensitive() {
                MASK.into()
            } else {
                String::from_utf8_lossy(value.as_bytes())
            };
            serde_json::json!({ "name": name.as_str(), "value": shown })
        })
        .collect();
    serde_json::Value::Array(list)
}
