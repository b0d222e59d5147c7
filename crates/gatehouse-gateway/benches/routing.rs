//! Routing cost as the configuration grows: 10 and 10,000 APIs with five operations each.
//! The API is found by hashing path prefixes, so the two sizes should cost the same.
//!
//! Run with `cargo bench -p gatehouse-gateway --bench routing`; times are CPU time
//! (see `support/cpu_time.rs`).

#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gatehouse_gateway::routing::{OperationRoute, Routed, Router};

use crate::cpu_time::ThreadCpuTime;

#[path = "support/cpu_time.rs"]
mod cpu_time;

/// Operations every API has, most of them with template parameters.
const OPERATIONS: [(&str, &str); 5] = [
    ("GET", "/plain"),
    ("GET", "/users/{id}"),
    ("GET", "/users/{id}/orders/{order}"),
    ("POST", "/users"),
    ("GET", "/files/{*path}"),
];

fn router(apis: usize) -> Router<usize, usize> {
    let mut router = Router::default();
    for api in 0..apis {
        let operations = OPERATIONS
            .iter()
            .enumerate()
            .map(|(index, (method, template))| OperationRoute {
                method: (*method).to_owned(),
                template: (*template).to_owned(),
                value: index,
            })
            .collect();
        router.add_api(&format!("team-{}/api-{api}", api % 7), api, operations);
    }
    router
}

fn found(router: &Router<usize, usize>, method: &str, path: &str) -> bool {
    matches!(router.route(method, path), Routed::Found { .. })
}

fn routing(c: &mut Criterion<ThreadCpuTime>) {
    let mut group = c.benchmark_group("route");
    for apis in [10, 10_000] {
        let router = router(apis);
        let api = apis / 2;
        let literal = format!("/team-{}/api-{api}/plain", api % 7);
        let templated = format!("/team-{}/api-{api}/users/42/orders/7", api % 7);
        assert!(found(&router, "GET", &literal) && found(&router, "GET", &templated));

        group.bench_with_input(BenchmarkId::new("literal", apis), &literal, |b, path| {
            b.iter(|| found(&router, "GET", black_box(path)))
        });
        group.bench_with_input(
            BenchmarkId::new("two_parameters", apis),
            &templated,
            |b, path| b.iter(|| found(&router, "GET", black_box(path))),
        );
        group.bench_with_input(
            BenchmarkId::new("no_api", apis),
            "/nobody/here",
            |b, path| b.iter(|| found(&router, "GET", black_box(path))),
        );
    }
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
    targets = routing
}
criterion_main!(benches);
