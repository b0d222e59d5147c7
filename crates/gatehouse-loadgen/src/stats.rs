//! What a run observed: latencies, status codes, failures, handshakes; and its JSON form.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::client::{Connection, Negotiated};
use crate::error::Failure;

/// Observations of one task, merged into one at the end of a run (no sharing while running).
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Latency of every completed request, in microseconds.
    latencies_us: Vec<u32>,
    statuses: BTreeMap<u16, u64>,
    failures: BTreeMap<Failure, u64>,
    full_handshakes: u64,
    resumed_handshakes: u64,
    negotiated: Option<Negotiated>,
}

impl Stats {
    /// Records one request's outcome; latency counts only for answered requests.
    pub(crate) fn record(&mut self, latency: Duration, outcome: Result<u16, Failure>) {
        match outcome {
            Ok(status) => {
                let micros = u32::try_from(latency.as_micros()).unwrap_or(u32::MAX);
                self.latencies_us.push(micros);
                *self.statuses.entry(status).or_default() += 1;
            }
            Err(failure) => self.fail(failure),
        }
    }

    /// Records a failure that is not a request (a connection that could not be opened).
    pub(crate) fn fail(&mut self, failure: Failure) {
        *self.failures.entry(failure).or_default() += 1;
    }

    /// Records a completed TLS handshake.
    pub(crate) fn handshake(&mut self, connection: &Connection) {
        if connection.resumed {
            self.resumed_handshakes += 1;
        } else {
            self.full_handshakes += 1;
        }
        self.negotiated
            .get_or_insert_with(|| connection.negotiated.clone());
    }

    /// Adds another set's failures only (the warm-up's, which count against a run even though
    /// they happened before it was measured).
    pub(crate) fn add_failures(&mut self, other: &Stats) {
        for (failure, count) in &other.failures {
            *self.failures.entry(*failure).or_default() += count;
        }
    }

    /// Adds another task's observations.
    pub(crate) fn merge(&mut self, other: Stats) {
        self.latencies_us.extend(other.latencies_us);
        for (status, count) in other.statuses {
            *self.statuses.entry(status).or_default() += count;
        }
        for (failure, count) in other.failures {
            *self.failures.entry(failure).or_default() += count;
        }
        self.full_handshakes += other.full_handshakes;
        self.resumed_handshakes += other.resumed_handshakes;
        self.negotiated = self.negotiated.take().or(other.negotiated);
    }

    /// Full and resumed handshake counts.
    pub(crate) fn handshakes_json(&self) -> Value {
        json!({ "full": self.full_handshakes, "resumed": self.resumed_handshakes })
    }

    /// The result over a run that lasted `elapsed`.
    pub(crate) fn into_json(mut self, elapsed: Duration) -> Value {
        self.latencies_us.sort_unstable();
        let answered = self.latencies_us.len() as u64;
        let ok: u64 = self
            .statuses
            .iter()
            .filter(|(status, _)| (200..300).contains(*status))
            .map(|(_, count)| count)
            .sum();
        let seconds = elapsed.as_secs_f64();
        json!({
            "requests": answered,
            "ok": ok,
            "seconds": seconds,
            "rps": if seconds > 0.0 { ok as f64 / seconds } else { 0.0 },
            "statuses": self.statuses.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "failures": self.failures.iter().map(|(f, n)| (f.name().to_owned(), json!(n))).collect::<serde_json::Map<_, _>>(),
            "latency_ms": latency_json(&self.latencies_us),
            "handshakes": self.handshakes_json(),
            "tls": self.tls_json(),
        })
    }

    /// What the first connection negotiated (`null` if none was opened).
    pub(crate) fn tls_json(&self) -> Value {
        self.negotiated.as_ref().map_or(
            Value::Null,
            |n| json!({ "version": n.version, "suite": n.suite, "group": n.group, "alpn": n.alpn }),
        )
    }
}

fn latency_json(sorted_us: &[u32]) -> Value {
    let ms = |us: u32| f64::from(us) / 1000.0;
    let at = |q: f64| ms(percentile(sorted_us, q));
    let mean = if sorted_us.is_empty() {
        0.0
    } else {
        sorted_us.iter().map(|&us| f64::from(us)).sum::<f64>() / sorted_us.len() as f64 / 1000.0
    };
    json!({
        "p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "p999": at(0.999),
        "max": ms(sorted_us.last().copied().unwrap_or(0)), "mean": mean,
    })
}

/// The nearest-rank percentile of sorted samples (0 when there are none).
fn percentile(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&samples, 0.50), 50);
        assert_eq!(percentile(&samples, 0.99), 99);
        assert_eq!(percentile(&samples, 1.0), 100);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn merged_counts_add_up_and_only_2xx_is_ok() {
        let mut a = Stats::default();
        a.record(Duration::from_micros(100), Ok(200));
        a.record(Duration::from_micros(100), Err(Failure::Tls));
        let mut b = Stats::default();
        b.record(Duration::from_micros(300), Ok(403));
        a.merge(b);

        let json = a.into_json(Duration::from_secs(1));
        assert_eq!(json["requests"], 2);
        assert_eq!(json["ok"], 1);
        assert_eq!(json["statuses"]["403"], 1);
        assert_eq!(json["failures"]["tls"], 1);
        assert_eq!(json["latency_ms"]["max"], 0.3);
    }
}
