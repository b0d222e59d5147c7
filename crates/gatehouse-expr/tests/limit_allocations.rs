//! Results sized by their arguments are refused before they are built: evaluating every
//! oversized expression keeps the heap's peak far below what the results would take (2 GB to
//! terabytes each), counted here with dhat's allocator. Sizes, not time, are the signal.
//!
//! One test per binary: the counting allocator sees the whole process.

mod support;

use gatehouse_expr::StaticHost;

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// The peak the evaluator may reach: a few strings at the 4 MiB limit and their parts.
const PEAK_BYTES: usize = 64 * 1024 * 1024;

#[test]
fn oversized_results_are_refused_before_they_are_allocated() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let host = StaticHost::default();
    let all = support::OVERSIZED_STRINGS
        .iter()
        .chain(support::OVERSIZED_COLLECTIONS);
    for text in all {
        let error = support::expr(text).evaluate(&host).expect_err(text);
        assert!(error.is_limit(), "{text}: {error}");
        let peak = dhat::HeapStats::get().max_bytes;
        dhat::assert!(peak < PEAK_BYTES, "{text}: the heap peaked at {peak} bytes");
    }
    println!("peak heap: {} bytes", dhat::HeapStats::get().max_bytes);
}
