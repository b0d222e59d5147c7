//! Finished request traces, kept for a while and fetched by their unguessable id.
//!
//! A trace id is 128 random bits: knowing it is the permission to read the trace, like the
//! signed blob URL APIM returns. Traces expire, and at most `capacity` are kept; the oldest go
//! first. Keys were masked before a trace gets here.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::RngCore;

/// How long a trace can be fetched, unless configured otherwise.
pub const DEFAULT_TRACE_TTL: Duration = Duration::from_secs(3600);

/// How many traces are kept, unless configured otherwise.
pub const DEFAULT_TRACE_CAPACITY: usize = 1000;

/// The trace store.
#[derive(Debug)]
pub struct TraceStore {
    ttl: Duration,
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    by_id: HashMap<String, (Instant, Bytes)>,
    order: VecDeque<String>,
}

impl Default for TraceStore {
    fn default() -> Self {
        Self::new(DEFAULT_TRACE_TTL, DEFAULT_TRACE_CAPACITY)
    }
}

impl TraceStore {
    /// A store keeping at most `capacity` traces for `ttl` each.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// A fresh, unguessable trace id.
    pub fn new_id() -> String {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    }

    /// Keeps `document` (trace JSON) under `id`, dropping expired and overflowing traces.
    pub fn insert(&self, id: String, document: Bytes) {
        let now = Instant::now();
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.evict(now, self.capacity.saturating_sub(1));
        inner.order.push_back(id.clone());
        inner.by_id.insert(id, (now + self.ttl, document));
    }

    /// The trace stored under `id`, unless it expired.
    pub fn get(&self, id: &str) -> Option<Bytes> {
        let inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (expires, document) = inner.by_id.get(id)?;
        (*expires > Instant::now()).then(|| document.clone())
    }
}

impl Inner {
    /// Drops expired traces, then the oldest until at most `keep` remain.
    fn evict(&mut self, now: Instant, keep: usize) {
        while let Some(oldest) = self.order.front() {
            let expired = self
                .by_id
                .get(oldest)
                .is_none_or(|(expires, _)| *expires <= now);
            if !expired && self.order.len() <= keep {
                break;
            }
            if let Some(id) = self.order.pop_front() {
                self.by_id.remove(&id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_128_bit_hex() {
        let (a, b) = (TraceStore::new_id(), TraceStore::new_id());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn keeps_at_most_capacity_dropping_the_oldest() {
        let store = TraceStore::new(Duration::from_secs(60), 2);
        for id in ["a", "b", "c"] {
            store.insert(id.to_owned(), Bytes::from(id));
        }
        assert!(store.get("a").is_none());
        assert_eq!(store.get("c").unwrap(), "c");
    }

    #[test]
    fn expired_traces_are_gone() {
        let store = TraceStore::new(Duration::ZERO, 10);
        store.insert("a".to_owned(), Bytes::from("a"));
        assert!(store.get("a").is_none());
    }
}
