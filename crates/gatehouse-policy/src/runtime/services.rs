//! State that outlives a request and a configuration: rate-limit and quota counters, the
//! response and value caches, and concurrency limits.
//!
//! Compiled policies are rebuilt whenever the configuration changes, so nothing stateful may
//! live in them: a rate limit must not reset because someone edited an unrelated API. The
//! pipeline reaches this state through the traits below, which the gateway creates once per
//! process ([`Services::in_memory`]) and a shared store (Redis, in a cluster) can implement
//! later without touching the policies.
//!
//! The traits are synchronous: the in-process implementations answer from memory, and a
//! networked one is expected to keep a local view and synchronise in the background, as
//! APIM's own counters do ("rate limiting is never completely accurate").

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use gatehouse_expr::Value;
use http::HeaderMap;

pub use super::memory::{Clock, ManualClock, MemoryCache, MemoryConcurrency, MemoryCounters};

/// What a counter said about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request fits in the limit (and was counted, for [`Counters::acquire`]).
    pub allowed: bool,
    /// Calls (or kilobytes) left in the current period after this request.
    pub remaining: u64,
    /// How long until the current period ends and the counter starts again.
    pub renews_in: Duration,
}

/// Counters for `rate-limit`, `rate-limit-by-key`, `quota` and `quota-by-key`.
///
/// A counter is identified by its key and counts within fixed periods: the first count after
/// a period ended starts a new one of `period`.
pub trait Counters: Send + Sync + fmt::Debug {
    /// Adds `amount` to the counter `key` unless that would take it past `limit`; says whether
    /// it did, what is left and when the period ends.
    fn acquire(&self, key: &str, limit: u64, period: Duration, amount: u64) -> Decision;

    /// Says whether one more call fits, without counting it (for increments made after the
    /// response).
    fn peek(&self, key: &str, limit: u64, period: Duration) -> Decision;

    /// Adds `amount` to the counter `key` whatever its limit (increments made after the
    /// response, bandwidth).
    fn add(&self, key: &str, period: Duration, amount: u64);
}

/// The key/value cache behind `cache-lookup-value`, `cache-store-value` and
/// `cache-remove-value`.
///
/// Values are detached copies: a cached `JObject` changed by a later request does not change
/// what another request reads, as with APIM's serialising cache.
pub trait ValueCache: Send + Sync + fmt::Debug {
    /// The value stored under `key`, if it has not expired.
    fn get(&self, key: &str) -> Option<Value>;
    /// Stores `value` under `key` for `ttl`.
    fn set(&self, key: &str, value: Value, ttl: Duration);
    /// Forgets `key`.
    fn remove(&self, key: &str);
}

/// A response kept by `cache-store` for `cache-lookup`.
#[derive(Clone, Debug)]
pub struct CachedResponse {
    /// Status code.
    pub status: u16,
    /// Reason phrase, when the backend or a policy set a custom one.
    pub reason: Option<String>,
    /// Headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

/// The response cache behind `cache-lookup` and `cache-store`.
pub trait ResponseCache: Send + Sync + fmt::Debug {
    /// The response stored under `key`, if it has not expired.
    fn get(&self, key: &str) -> Option<CachedResponse>;
    /// Stores `response` under `key` for `ttl`.
    fn put(&self, key: &str, response: CachedResponse, ttl: Duration);
}

/// A place inside `limit-concurrency`; dropping it frees the place.
pub struct Permit {
    /// Held only to be dropped: its `Drop` releases the place.
    _guard: Box<dyn Send + Sync>,
}

impl Permit {
    /// A permit that releases its place when `guard` is dropped.
    pub fn new(guard: impl Send + Sync + 'static) -> Self {
        Self {
            _guard: Box::new(guard),
        }
    }
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Permit")
    }
}

/// The semaphores behind `limit-concurrency`.
pub trait Concurrency: Send + Sync + fmt::Debug {
    /// A place among `max` for `key`, or `None` when all are taken (the request then fails
    /// right away, as APIM's does).
    fn try_acquire(&self, key: &str, max: u32) -> Option<Permit>;
}

/// Everything stateful a pipeline uses, shared by all requests and configurations.
#[derive(Clone, Debug)]
pub struct Services {
    /// Rate-limit and quota counters.
    pub counters: Arc<dyn Counters>,
    /// The key/value cache.
    pub values: Arc<dyn ValueCache>,
    /// The response cache.
    pub responses: Arc<dyn ResponseCache>,
    /// Concurrency limits.
    pub concurrency: Arc<dyn Concurrency>,
}

impl Services {
    /// In-process state: right for one gateway process, lost when it stops.
    pub fn in_memory() -> Self {
        Self::in_memory_with_clock(Arc::new(super::memory::SystemClock::new()))
    }

    /// In-process state on `clock`, so tests can move time.
    pub fn in_memory_with_clock(clock: Arc<dyn Clock>) -> Self {
        let cache = Arc::new(MemoryCache::new(clock.clone()));
        Self {
            counters: Arc::new(MemoryCounters::new(clock)),
            values: cache.clone(),
            responses: cache,
            concurrency: Arc::new(MemoryConcurrency::default()),
        }
    }
}
