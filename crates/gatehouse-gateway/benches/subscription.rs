//! Subscription-key lookup with 10 and 1,000,000 keys: the presented key is hashed (SHA-256),
//! looked up and compared in constant time, so the cost should not depend on the key count.
//!
//! Run with `cargo bench -p gatehouse-gateway --bench subscription`; times are CPU time.

#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gatehouse_expr::context::SubscriptionInfo;
use gatehouse_gateway::subscription::{KeyIndex, KeySlot, Scope, Subscription, presented_key};

use crate::cpu_time::ThreadCpuTime;

#[path = "support/cpu_time.rs"]
mod cpu_time;

const HEADER: &str = "Ocp-Apim-Subscription-Key";

fn key(n: usize) -> String {
    format!("{n:032x}")
}

/// One subscription shared by every key: the index's cost is in its entries, not in them.
fn subscription() -> Arc<Subscription> {
    let info = Arc::new(SubscriptionInfo {
        id: "bench".into(),
        key: "k".into(),
        name: "bench".into(),
        primary_key: "k".into(),
        secondary_key: "k".into(),
        created_date: time::OffsetDateTime::UNIX_EPOCH,
        start_date: None,
        end_date: None,
    });
    Arc::new(Subscription {
        id: "bench".into(),
        scope: Scope::AllApis,
        active: true,
        allow_tracing: false,
        certificates: None,
        context: [info.clone(), info],
    })
}

fn index(keys: usize) -> KeyIndex {
    let shared = subscription();
    let mut index = KeyIndex::default();
    for n in 0..keys {
        index.insert(&key(n), KeySlot::Primary, shared.clone());
    }
    index
}

fn lookup(c: &mut Criterion<ThreadCpuTime>) {
    let mut group = c.benchmark_group("key_lookup");
    for keys in [10, 1_000_000] {
        let index = index(keys);
        let (present, absent) = (key(keys / 2), key(keys + 1));
        assert!(index.find(&present).is_some() && index.find(&absent).is_none());

        group.bench_with_input(BenchmarkId::new("hit", keys), &present, |b, k| {
            b.iter(|| index.find(black_box(k)).is_some())
        });
        group.bench_with_input(BenchmarkId::new("miss", keys), &absent, |b, k| {
            b.iter(|| index.find(black_box(k)).is_some())
        });
    }
    group.finish();
}

/// Finding the key in the request: the header (the usual case) and the query fallback.
fn extraction(c: &mut Criterion<ThreadCpuTime>) {
    let mut headers = http::HeaderMap::new();
    for (name, value) in [
        ("host", "localhost"),
        ("accept", "*/*"),
        ("user-agent", "bench/1.0"),
    ] {
        headers.insert(name, value.parse().expect("a valid header"));
    }
    let mut with_key = headers.clone();
    with_key.insert(HEADER, key(7).parse().expect("a valid header"));
    let query = format!("a=1&subscription-key={}", key(7));

    let mut group = c.benchmark_group("presented_key");
    group.bench_function("header", |b| {
        b.iter(|| presented_key(black_box(&with_key), None, HEADER, "subscription-key").is_some())
    });
    group.bench_function("query", |b| {
        b.iter(|| {
            presented_key(
                black_box(&headers),
                Some(&query),
                HEADER,
                "subscription-key",
            )
            .is_some()
        })
    });
    group.finish();
}

fn config() -> Criterion<ThreadCpuTime> {
    Criterion::default()
        .with_measurement(ThreadCpuTime)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = lookup, extraction
}
criterion_main!(benches);
