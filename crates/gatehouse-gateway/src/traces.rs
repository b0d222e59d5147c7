//! Finished request traces, kept for a while and fetched by their unguessable id.
//!
//! A trace id is 128 random bits: knowing it is the permission to read the trace, like the
//! signed blob URL APIM returns. Traces expire, and at most `capacity` traces and `budget`
//! bytes are kept; the oldest go first. A trace can be as large as the values a policy puts in
//! it (a whole body in a variable), so one larger than [`MAX_TRACE_BYTES`] is replaced by a
//! note saying so. Keys were masked before a trace gets here.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rand::RngCore;

/// How long a trace can be fetched, unless configured otherwise.
pub const DEFAULT_TRACE_TTL: Duration = Duration::from_secs(3600);

/// How many traces are kept, unless configured otherwise.
pub const DEFAULT_TRACE_CAPACITY: usize = 1000;

/// How many bytes of traces are kept, unless configured otherwise.
pub const DEFAULT_TRACE_BUDGET: usize = 64 * 1024 * 1024;

/// The largest trace kept as it is.
pub const MAX_TRACE_BYTES: usize = 4 * 1024 * 1024;

/// The trace store.
#[derive(Debug)]
pub struct TraceStore {
    ttl: Duration,
    capacity: usize,
    budget: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    by_id: HashMap<String, (Instant, Bytes)>,
    order: VecDeque<String>,
    /// The bytes of the documents in `by_id`.
    bytes: usize,
}

impl Default for TraceStore {
    fn default() -> Self {
        Self::new(
            DEFAULT_TRACE_TTL,
            DEFAULT_TRACE_CAPACITY,
            DEFAULT_TRACE_BUDGET,
        )
    }
}

impl TraceStore {
    /// A store keeping at most `capacity` traces and `budget` bytes of them, for `ttl` each.
    pub fn new(ttl: Duration, capacity: usize, budget: usize) -> Self {
        Self {
            ttl,
            capacity: capacity.max(1),
            budget: budget.max(MAX_TRACE_BYTES),
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
        let document = within_limit(document);
        let now = Instant::now();
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let room = self.budget.saturating_sub(document.len());
        inner.evict(now, self.capacity.saturating_sub(1), room);
        inner.bytes += document.len();
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

/// `document`, or a short note in its place when it is larger than [`MAX_TRACE_BYTES`].
fn within_limit(document: Bytes) -> Bytes {
    if document.len() <= MAX_TRACE_BYTES {
        return document;
    }
    let note = serde_json::json!({
        "error": format!(
            "the trace was {} bytes, over the {MAX_TRACE_BYTES} a trace may keep; trace a smaller request or put less in variables",
            document.len()
        )
    });
    Bytes::from(note.to_string())
}

impl Inner {
    /// Drops expired traces, then the oldest until at most `keep` traces of at most
    /// `keep_bytes` remain.
    fn evict(&mut self, now: Instant, keep: usize, keep_bytes: usize) {
        while let Some(oldest) = self.order.front() {
            let expired = self
                .by_id
                .get(oldest)
                .is_none_or(|(expires, _)| *expires <= now);
            if !expired && self.order.len() <= keep && self.bytes <= keep_bytes {
                break;
            }
            if let Some(id) = self.order.pop_front()
                && let Some((_, document)) = self.by_id.remove(&id)
            {
                self.bytes -= document.len();
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
        let store = TraceStore::new(Duration::from_secs(60), 2, DEFAULT_TRACE_BUDGET);
        for id in ["a", "b", "c"] {
            store.insert(id.to_owned(), Bytes::from(id));
        }
        assert!(store.get("a").is_none());
        assert_eq!(store.get("c").unwrap(), "c");
    }

    #[test]
    fn keeps_at_most_the_byte_budget_dropping_the_oldest() {
        let store = TraceStore::new(Duration::from_secs(60), 1000, MAX_TRACE_BYTES);
        let big = Bytes::from(vec![b'x'; MAX_TRACE_BYTES / 3]);
        for id in ["a", "b", "c", "d"] {
            store.insert(id.to_owned(), big.clone());
        }

        assert!(store.get("a").is_none());
        assert!(["b", "c", "d"].iter().all(|id| store.get(id).is_some()));
        let inner = store.inner.lock().unwrap();
        assert!(inner.bytes <= MAX_TRACE_BYTES, "{}", inner.bytes);
    }

    #[test]
    fn a_trace_over_the_limit_is_replaced_by_a_note() {
        let store = TraceStore::default();
        store.insert("a".to_owned(), Bytes::from(vec![b'"'; MAX_TRACE_BYTES + 1]));

        let kept = store.get("a").unwrap();
        assert!(kept.len() < 1024);
        let note: serde_json::Value = serde_json::from_slice(&kept).unwrap();
        assert!(
            note["error"].as_str().unwrap().contains("over the"),
            "{note}"
        );
    }

    #[test]
    fn expired_traces_are_gone() {
        let store = TraceStore::new(Duration::ZERO, 10, DEFAULT_TRACE_BUDGET);
        store.insert("a".to_owned(), Bytes::from("a"));
        assert!(store.get("a").is_none());
    }
}
