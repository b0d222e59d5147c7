//! The keep-alive and new-connection modes: workers take request tickets from one schedule
//! until the run's duration (or request limit) is used up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::announce;
use crate::args::Mode;
use crate::client::{Connection, Target};
use crate::error::{Failure, SetupError};
use crate::stats::Stats;

/// What to run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    /// Keep-alive or a new connection per request.
    pub(crate) mode: Mode,
    /// Concurrent connections.
    pub(crate) connections: u32,
    /// Concurrent requests per connection (HTTP/2 only; 1 otherwise).
    pub(crate) streams: u32,
    /// How long to measure.
    pub(crate) duration: Duration,
    /// Requests per second scheduled in advance; closed loop when `None`.
    pub(crate) rate: Option<f64>,
    /// At most this many requests.
    pub(crate) limit: Option<u64>,
    /// Wait between announcing the measurement and starting it.
    pub(crate) pause: Duration,
}

/// Hands out request tickets: each is the time the request is due.
#[derive(Debug)]
struct Schedule {
    next: AtomicU64,
    start: Instant,
    deadline: Instant,
    interval: Option<Duration>,
    limit: Option<u64>,
}

impl Schedule {
    fn new(plan: &Plan) -> Self {
        let start = Instant::now();
        Self {
            next: AtomicU64::new(0),
            start,
            deadline: start + plan.duration,
            interval: plan.rate.map(|rate| Duration::from_secs_f64(1.0 / rate)),
            limit: plan.limit,
        }
    }

    /// When the next request is due, or `None` once the run is over. Closed loop: now.
    fn take(&self) -> Option<Instant> {
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        if self.limit.is_some_and(|limit| index >= limit) {
            return None;
        }
        let due = match self.interval {
            Some(interval) => self.start + interval.mul_f64(index as f64),
            None => Instant::now(),
        };
        (due < self.deadline).then_some(due)
    }
}

/// Runs the plan and returns the result. Keep-alive connections are opened (and used once)
/// before measuring starts, so handshakes do not count in the measured window.
///
/// # Errors
/// Never at present; the signature leaves room for set-up failures.
pub(crate) async fn run(target: Arc<Target>, plan: Plan) -> Result<Value, SetupError> {
    let mut stats = Stats::default();
    let opened = match plan.mode {
        Mode::KeepAlive => warm_up(&target, plan, &mut stats).await,
        _ => Vec::new(),
    };
    announce(json!({ "event": "measuring" }));
    tokio::time::sleep(plan.pause).await;
    let schedule = Arc::new(Schedule::new(&plan));

    let mut workers = JoinSet::new();
    match plan.mode {
        Mode::KeepAlive => {
            spawn_keep_alive(&mut workers, &target, &schedule, opened, plan.streams);
        }
        _ => {
            for _ in 0..plan.connections {
                workers.spawn(new_connections(target.clone(), schedule.clone()));
            }
        }
    }
    let mut measured = Stats::default();
    while let Some(done) = workers.join_next().await {
        measured.merge(done.unwrap_or_default());
    }
    measured.add_failures(&stats);
    let mut result = measured.into_json(schedule.start.elapsed());
    result["warm_up"] = stats.handshakes_json();
    if result["tls"].is_null() {
        result["tls"] = stats.tls_json();
    }
    Ok(result)
}

/// Opens every keep-alive connection and sends one request on each.
async fn warm_up(target: &Arc<Target>, plan: Plan, stats: &mut Stats) -> Vec<Connection> {
    let mut opening = JoinSet::new();
    for _ in 0..plan.connections {
        let target = target.clone();
        opening.spawn(async move {
            let mut connection = target.connect().await?;
            connection.send(&target).await?;
            Ok::<_, Failure>(connection)
        });
    }
    let mut opened = Vec::new();
    while let Some(done) = opening.join_next().await {
        match done.unwrap_or(Err(Failure::Http)) {
            Ok(connection) => {
                stats.handshake(&connection);
                opened.push(connection);
            }
            Err(failure) => stats.fail(failure),
        }
    }
    opened
}

fn spawn_keep_alive(
    workers: &mut JoinSet<Stats>,
    target: &Arc<Target>,
    schedule: &Arc<Schedule>,
    opened: Vec<Connection>,
    streams: u32,
) {
    for connection in opened {
        let more: Vec<Connection> = (1..streams).filter_map(|_| connection.stream()).collect();
        for handle in std::iter::once(connection).chain(more) {
            workers.spawn(keep_alive(target.clone(), schedule.clone(), handle));
        }
    }
}

/// One keep-alive worker: requests on its connection, reconnecting if the server closes it.
async fn keep_alive(target: Arc<Target>, schedule: Arc<Schedule>, first: Connection) -> Stats {
    let mut stats = Stats::default();
    let mut connection = Some(first);
    while let Some(due) = schedule.take() {
        let start = wait_until(due).await;
        let open = match connection.take().filter(|c| !c.is_closed()) {
            Some(open) => Ok(open),
            None => reconnect(&target, &mut stats).await,
        };
        let Ok(mut open) = open.map_err(|failure| stats.fail(failure)) else {
            continue;
        };
        let outcome = open.send(&target).await;
        stats.record(start.elapsed(), outcome);
        connection = outcome.is_ok().then_some(open);
    }
    stats
}

/// Waits for a request's due time and returns when latency starts counting: the due time if
/// it has passed (the request waited for a busy worker, which is the server's doing), else
/// the moment the timer fired (tokio's timer wakes up to a millisecond late, which is not).
async fn wait_until(due: Instant) -> Instant {
    if due <= Instant::now() {
        return due;
    }
    tokio::time::sleep_until(due.into()).await;
    Instant::now()
}

async fn reconnect(target: &Target, stats: &mut Stats) -> Result<Connection, Failure> {
    let connection = target.connect().await?;
    stats.handshake(&connection);
    Ok(connection)
}

/// One new-connection worker: each ticket opens a connection, sends one request, closes.
/// Latency covers the TCP connect, the TLS handshake and the request.
async fn new_connections(target: Arc<Target>, schedule: Arc<Schedule>) -> Stats {
    let mut stats = Stats::default();
    while let Some(due) = schedule.take() {
        let start = wait_until(due).await;
        let outcome = match reconnect(&target, &mut stats).await {
            Ok(mut connection) => connection.send(&target).await,
            Err(failure) => Err(failure),
        };
        stats.record(start.elapsed(), outcome);
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(rate: Option<f64>, limit: Option<u64>) -> Plan {
        Plan {
            mode: Mode::KeepAlive,
            connections: 1,
            streams: 1,
            duration: Duration::from_secs(1),
            rate,
            limit,
            pause: Duration::ZERO,
        }
    }

    #[test]
    fn a_fixed_rate_spaces_tickets_and_stops_at_the_deadline() {
        let schedule = Schedule::new(&plan(Some(4.0), None));
        let dues: Vec<Instant> = std::iter::from_fn(|| schedule.take()).collect();
        assert_eq!(dues.len(), 4);
        assert_eq!(dues[1] - dues[0], Duration::from_millis(250));
    }

    #[test]
    fn a_request_limit_stops_before_the_deadline() {
        let schedule = Schedule::new(&plan(None, Some(3)));
        assert_eq!(std::iter::from_fn(|| schedule.take()).count(), 3);
    }
}
