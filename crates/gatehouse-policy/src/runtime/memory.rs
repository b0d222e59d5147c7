//! The in-process implementations of the [`services`](super::services) traits.
//!
//! Each is a map behind a mutex: the critical sections are a hash lookup and a few integer
//! operations, so contention stays low at gateway request rates. Every map is bounded:
//! expired entries are purged when a map grows past its capacity, and a cache that is still
//! full evicts the entry closest to expiry.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use gatehouse_expr::Value;

use super::services::{
    CachedResponse, Concurrency, Counters, Decision, Permit, ResponseCache, ValueCache,
};

/// How many counters are kept before finished periods are purged.
const COUNTER_CAPACITY: usize = 100_000;
/// How many cache entries (values and responses together) are kept.
const CACHE_CAPACITY: usize = 10_000;

/// Monotonic time for the in-process services, replaceable in tests.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Time since some fixed start.
    fn now(&self) -> Duration;
}

/// The system's monotonic clock.
#[derive(Debug)]
pub struct SystemClock {
    start: Instant,
}

impl SystemClock {
    /// A clock starting now.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A clock that moves only when told to: for tests of periods and expiry.
#[derive(Debug, Default)]
pub struct ManualClock {
    millis: AtomicU64,
}

impl ManualClock {
    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let millis = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.millis.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_millis(self.millis.load(Ordering::SeqCst))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data in a usable state.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

// ----- counters -----

/// One counting period.
#[derive(Debug, Clone, Copy)]
struct Window {
    ends: Duration,
    count: u64,
}

/// Fixed-window counters in memory.
#[derive(Debug)]
pub struct MemoryCounters {
    clock: Arc<dyn Clock>,
    windows: Mutex<HashMap<String, Window>>,
}

impl MemoryCounters {
    /// Counters on `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            windows: Mutex::default(),
        }
    }

    /// Runs `f` on the current window of `key`, starting a new one when the last has ended.
    fn with_window<R>(&self, key: &str, period: Duration, f: impl FnOnce(&mut Window) -> R) -> R {
        let now = self.clock.now();
        let mut windows = lock(&self.windows);
        if windows.len() >= COUNTER_CAPACITY && !windows.contains_key(key) {
            windows.retain(|_, w| w.ends > now);
        }
        let window = windows.entry(key.to_owned()).or_insert(Window {
            ends: now + period,
            count: 0,
        });
        if window.ends <= now {
            *window = Window {
                ends: now + period,
                count: 0,
            };
        }
        f(window)
    }

    fn decision(&self, window: &Window, limit: u64, allowed: bool) -> Decision {
        Decision {
            allowed,
            remaining: limit.saturating_sub(window.count),
            renews_in: window.ends.saturating_sub(self.clock.now()),
        }
    }
}

impl Counters for MemoryCounters {
    fn acquire(&self, key: &str, limit: u64, period: Duration, amount: u64) -> Decision {
        self.with_window(key, period, |window| {
            let allowed = window.count.saturating_add(amount) <= limit;
            if allowed {
                window.count += amount;
            }
            self.decision(window, limit, allowed)
        })
    }

    fn peek(&self, key: &str, limit: u64, period: Duration) -> Decision {
        self.with_window(key, period, |window| {
            let allowed = window.count < limit;
            self.decision(window, limit, allowed)
        })
    }

    fn add(&self, key: &str, period: Duration, amount: u64) {
        self.with_window(key, period, |window| {
            window.count = window.count.saturating_add(amount);
        });
    }
}

// ----- caches -----

#[derive(Debug, Clone)]
enum Cached {
    Value(Value),
    Response(CachedResponse),
}

#[derive(Debug)]
struct Entry {
    expires: Duration,
    item: Cached,
}

/// The key/value and response caches in memory. The two kinds of entry share one map but not
/// their keys: values and responses live in separate key spaces.
#[derive(Debug)]
pub struct MemoryCache {
    clock: Arc<dyn Clock>,
    entries: Mutex<HashMap<(bool, String), Entry>>,
}

impl MemoryCache {
    /// An empty cache on `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            entries: Mutex::default(),
        }
    }

    fn get_item(&self, key: (bool, String)) -> Option<Cached> {
        let now = self.clock.now();
        let mut entries = lock(&self.entries);
        match entries.get(&key) {
            Some(entry) if entry.expires > now => Some(entry.item.clone()),
            Some(_) => {
                entries.remove(&key);
                None
            }
            None => None,
        }
    }

    fn put_item(&self, key: (bool, String), item: Cached, ttl: Duration) {
        let now = self.clock.now();
        let mut entries = lock(&self.entries);
        if entries.len() >= CACHE_CAPACITY && !entries.contains_key(&key) {
            make_room(&mut entries, now);
        }
        let entry = Entry {
            expires: now + ttl,
            item,
        };
        entries.insert(key, entry);
    }
}

/// Drops expired entries, then the one closest to expiry if the cache is still full.
fn make_room(entries: &mut HashMap<(bool, String), Entry>, now: Duration) {
    entries.retain(|_, e| e.expires > now);
    if entries.len() < CACHE_CAPACITY {
        return;
    }
    let soonest = entries
        .iter()
        .min_by_key(|(_, e)| e.expires)
        .map(|(k, _)| k.clone());
    if let Some(key) = soonest {
        entries.remove(&key);
    }
}

impl ValueCache for MemoryCache {
    fn get(&self, key: &str) -> Option<Value> {
        match self.get_item((true, key.to_owned()))? {
            Cached::Value(value) => Some(value.detached()),
            Cached::Response(_) => None,
        }
    }

    fn set(&self, key: &str, value: Value, ttl: Duration) {
        self.put_item((true, key.to_owned()), Cached::Value(value.detached()), ttl);
    }

    fn remove(&self, key: &str) {
        lock(&self.entries).remove(&(true, key.to_owned()));
    }
}

impl ResponseCache for MemoryCache {
    fn get(&self, key: &str) -> Option<CachedResponse> {
        match self.get_item((false, key.to_owned()))? {
            Cached::Response(response) => Some(response),
            Cached::Value(_) => None,
        }
    }

    fn put(&self, key: &str, response: CachedResponse, ttl: Duration) {
        self.put_item((false, key.to_owned()), Cached::Response(response), ttl);
    }
}

// ----- concurrency -----

/// Counting semaphores in memory, one per key, removed when no request holds them.
#[derive(Debug, Default)]
pub struct MemoryConcurrency {
    held: Arc<Mutex<HashMap<String, Arc<AtomicU32>>>>,
}

/// Frees a place when dropped.
struct Place {
    key: String,
    count: Arc<AtomicU32>,
    held: Arc<Mutex<HashMap<String, Arc<AtomicU32>>>>,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut held = lock(&self.held);
        if self.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            held.remove(&self.key);
        }
    }
}

impl Concurrency for MemoryConcurrency {
    fn try_acquire(&self, key: &str, max: u32) -> Option<Permit> {
        let mut held = lock(&self.held);
        let count = held.entry(key.to_owned()).or_default().clone();
        if count.load(Ordering::SeqCst) >= max {
            return None;
        }
        count.fetch_add(1, Ordering::SeqCst);
        drop(held);
        Some(Permit::new(Place {
            key: key.to_owned(),
            count,
            held: self.held.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_allow_up_to_the_limit_per_period_then_renew() {
        let clock = Arc::new(ManualClock::default());
        let counters = MemoryCounters::new(clock.clone());
        let period = Duration::from_secs(60);

        for remaining in [1, 0] {
            let decision = counters.acquire("k", 2, period, 1);
            assert!(decision.allowed);
            assert_eq!(decision.remaining, remaining);
        }
        clock.advance(Duration::from_secs(3));
        let refused = counters.acquire("k", 2, period, 1);
        assert!(!refused.allowed);
        assert_eq!(refused.renews_in, Duration::from_secs(57));

        clock.advance(Duration::from_secs(57));
        assert!(counters.acquire("k", 2, period, 1).allowed);
    }

    #[test]
    fn peek_does_not_count_and_add_ignores_the_limit() {
        let counters = MemoryCounters::new(Arc::new(ManualClock::default()));
        let period = Duration::from_secs(10);
        assert!(counters.peek("k", 1, period).allowed);
        counters.add("k", period, 5);
        assert!(!counters.peek("k", 1, period).allowed);
    }

    #[test]
    fn cached_values_expire_and_are_detached_copies() {
        let clock = Arc::new(ManualClock::default());
        let cache = MemoryCache::new(clock.clone());
        let list = gatehouse_expr::List::growable(vec![Value::Int(1)]);
        cache.set("k", Value::List(list), Duration::from_secs(5));

        let Some(Value::List(copy)) = ValueCache::get(&cache, "k") else {
            panic!("the list is cached");
        };
        assert_eq!(copy.items(), vec![Value::Int(1)]);

        clock.advance(Duration::from_secs(5));
        assert!(ValueCache::get(&cache, "k").is_none());
    }

    #[test]
    fn concurrency_places_are_freed_when_permits_drop() {
        let limits = MemoryConcurrency::default();
        let first = limits.try_acquire("k", 1);
        assert!(first.is_some());
        assert!(limits.try_acquire("k", 1).is_none());
        drop(first);
        assert!(limits.try_acquire("k", 1).is_some());
    }
}
