//! A criterion measurement of the benchmark thread's own CPU time, read from
//! `/proc/thread-self/schedstat` (nanoseconds on a CPU).
//!
//! Why: the project's machines are shared, and wall-clock time there includes the time the
//! thread waited for a core other tenants held (load averages of 10 on 2 cores are common).
//! Time on the CPU excludes that wait; it still includes cache effects of the neighbours.

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};

/// The current thread's time on a CPU, in nanoseconds.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        on_cpu_nanos()
    }

    fn end(&self, start: u64) -> u64 {
        on_cpu_nanos().saturating_sub(start)
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanoseconds
    }
}

fn on_cpu_nanos() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("benchmarks read /proc/thread-self/schedstat (Linux with schedstats)");
    stat.split_whitespace()
        .next()
        .and_then(|field| field.parse().ok())
        .expect("schedstat starts with the nanoseconds on a CPU")
}

/// Shows nanoseconds as ns, µs, ms or s, like criterion's wall-clock formatter.
struct Nanoseconds;

impl ValueFormatter for Nanoseconds {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = match typical {
            t if t < 1e3 => (1.0, "ns"),
            t if t < 1e6 => (1e-3, "µs"),
            t if t < 1e9 => (1e-6, "ms"),
            _ => (1e-9, "s"),
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let (per_iteration, unit) = match throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (*n as f64, "B/s"),
            Throughput::Elements(n) => (*n as f64, "elem/s"),
        };
        values
            .iter_mut()
            .for_each(|v| *v = per_iteration * 1e9 / *v);
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
