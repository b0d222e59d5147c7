//! The requests the gateway answered lately, and how many it answered of each kind.
//!
//! Operators want to see at a glance why calls fail (a refused certificate, a missing key, a
//! rate limit) without reading logs. The handler records one [`RequestRecord`] per request in
//! a bounded ring; the management API reads it. A record holds no secret: the path without
//! its query string (which may carry a subscription key), no headers, no bodies.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// How many requests the ring keeps unless told otherwise.
pub const DEFAULT_RECENT_CAPACITY: usize = 200;

/// Why a request ended the way it did, from the caller's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Decision {
    /// The pipeline ran and answered below 400.
    Allowed,
    /// A policy refused the caller's certificate (or its absence).
    CertificateRefused,
    /// No subscription key where the API needs one.
    KeyMissing,
    /// A key that opens no active subscription for this API.
    KeyInvalid,
    /// A rate limit or quota policy answered 429.
    RateLimited,
    /// A policy answered 400 or more for another reason.
    Denied,
    /// A policy step or the backend failed; on-error ran.
    Error,
    /// No API or operation matches the method and path.
    NotFound,
    /// The request body was too large or broke off.
    BodyRefused,
    /// The request was malformed: an ambiguous `Host`, a dot segment in the path.
    BadRequest,
}

impl Decision {
    /// The word used in logs and in the management API.
    pub fn label(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::CertificateRefused => "certificate_refused",
            Self::KeyMissing => "key_missing",
            Self::KeyInvalid => "key_invalid",
            Self::RateLimited => "rate_limited",
            Self::Denied => "denied",
            Self::Error => "error",
            Self::NotFound => "not_found",
            Self::BodyRefused => "body_refused",
            Self::BadRequest => "bad_request",
        }
    }

    /// The decision for a pipeline that completed with `status` and `reason`. A refusal
    /// whose reason phrase names a certificate counts as a refused certificate, as the
    /// usual policies (`reason="Invalid client certificate"`) phrase it.
    pub fn of_completed(status: u16, reason: &str) -> Self {
        let names_certificate = reason.to_ascii_lowercase().contains("certificate");
        match status {
            429 => Self::RateLimited,
            401 | 403 if names_certificate => Self::CertificateRefused,
            400.. => Self::Denied,
            _ => Self::Allowed,
        }
    }
}

/// One answered request, without secrets.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// When the answer was sent.
    pub at: OffsetDateTime,
    /// The request method.
    pub method: http::Method,
    /// The request path, without the query string.
    pub path: String,
    /// The API it was routed to.
    pub api_id: Option<Arc<str>>,
    /// The operation it was routed to.
    pub operation_id: Option<Arc<str>>,
    /// The subscription whose key opened it.
    pub subscription_id: Option<Arc<str>>,
    /// The presented client certificate's thumbprint.
    pub client_thumbprint: Option<Arc<str>>,
    /// The status sent.
    pub status: u16,
    /// How the request ended.
    pub decision: Decision,
    /// The reason phrase or failure reason, for people.
    pub reason: String,
    /// Time from arrival to the response head, in microseconds.
    pub elapsed_us: u64,
}

impl RequestRecord {
    /// The record as the management API shows it.
    pub fn to_json(&self) -> Value {
        json!({
            "at": self.at.format(&Rfc3339).unwrap_or_default(),
            "method": self.method.as_str(),
            "path": self.path,
            "apiId": self.api_id.as_deref(),
            "operationId": self.operation_id.as_deref(),
            "subscriptionId": self.subscription_id.as_deref(),
            "clientCertificateThumbprint": self.client_thumbprint.as_deref(),
            "status": self.status,
            "decision": self.decision.label(),
            "reason": self.reason,
            "elapsedMicroseconds": self.elapsed_us,
        })
    }
}

/// The ring of recent requests and the counters since start.
#[derive(Debug)]
pub struct RecentRequests {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    ring: VecDeque<RequestRecord>,
    counts: BTreeMap<Decision, u64>,
}

impl Default for RecentRequests {
    fn default() -> Self {
        Self::new(DEFAULT_RECENT_CAPACITY)
    }
}

impl RecentRequests {
    /// A ring keeping the last `capacity` requests.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Adds `record`, dropping the oldest when the ring is full.
    pub fn record(&self, record: RequestRecord) {
        let mut inner = self.lock();
        *inner.counts.entry(record.decision).or_default() += 1;
        if inner.ring.len() == self.capacity {
            inner.ring.pop_front();
        }
        inner.ring.push_back(record);
    }

    /// The kept requests, newest first, and the counts per decision since start.
    pub fn to_json(&self) -> Value {
        let inner = self.lock();
        let requests: Vec<Value> = inner
            .ring
            .iter()
            .rev()
            .map(RequestRecord::to_json)
            .collect();
        let counts: serde_json::Map<String, Value> = inner
            .counts
            .iter()
            .map(|(decision, count)| (decision.label().to_owned(), Value::from(*count)))
            .collect();
        let total: u64 = inner.counts.values().sum();
        json!({ "total": total, "counts": counts, "capacity": self.capacity, "value": requests })
    }

    /// The lock; a panic while holding it cannot leave the ring inconsistent, so a poisoned
    /// lock is used as is.
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: u16, decision: Decision) -> RequestRecord {
        RequestRecord {
            at: OffsetDateTime::UNIX_EPOCH,
            method: http::Method::GET,
            path: "/echo/resource".to_owned(),
            api_id: None,
            operation_id: None,
            subscription_id: None,
            client_thumbprint: None,
            status,
            decision,
            reason: String::new(),
            elapsed_us: 1,
        }
    }

    #[test]
    fn keeps_the_newest_first_and_counts_everything() {
        let recent = RecentRequests::new(2);
        recent.record(record(200, Decision::Allowed));
        recent.record(record(401, Decision::KeyMissing));
        recent.record(record(403, Decision::CertificateRefused));

        let document = recent.to_json();

        assert_eq!(document["total"], 3);
        assert_eq!(document["counts"]["allowed"], 1);
        assert_eq!(document["value"].as_array().unwrap().len(), 2);
        assert_eq!(document["value"][0]["decision"], "certificate_refused");
        assert_eq!(document["value"][1]["status"], 401);
    }

    #[test]
    fn classifies_completed_pipelines_by_status_and_reason() {
        assert_eq!(
            Decision::of_completed(403, "Invalid client certificate"),
            Decision::CertificateRefused
        );
        assert_eq!(Decision::of_completed(403, "Forbidden"), Decision::Denied);
        assert_eq!(
            Decision::of_completed(429, "Too Many Requests"),
            Decision::RateLimited
        );
        assert_eq!(Decision::of_completed(201, "Created"), Decision::Allowed);
    }
}
