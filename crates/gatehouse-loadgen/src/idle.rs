//! The idle mode: open many connections, hold them without sending anything, close them.
//! The harness reads the server's memory while they are held.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::announce;
use crate::client::{Connection, Target};
use crate::error::{Failure, SetupError};
use crate::stats::Stats;

/// Handshakes in flight at once: enough to keep one server core busy, few enough not to
/// overflow its listen backlog.
const OPENING_AT_ONCE: usize = 64;

/// Opens `count` connections, announces how many are held, holds them for `hold`, reports how
/// many the server kept open meanwhile, and closes them.
///
/// # Errors
/// Never at present; the signature leaves room for set-up failures.
pub(crate) async fn run(
    target: Arc<Target>,
    count: u32,
    hold: Duration,
) -> Result<Value, SetupError> {
    let started = Instant::now();
    let mut stats = Stats::default();
    let held = open_all(&target, count, &mut stats).await;
    let opening_seconds = started.elapsed().as_secs_f64();
    announce(json!({ "event": "held", "connections": held.len() }));

    tokio::time::sleep(hold).await;
    let still_open = held.iter().filter(|c| !c.is_closed()).count();
    let mut result = stats.into_json(started.elapsed());
    result["held"] = json!(held.len());
    result["still_open"] = json!(still_open);
    result["opening_seconds"] = json!(opening_seconds);
    drop(held);
    Ok(result)
}

async fn open_all(target: &Arc<Target>, count: u32, stats: &mut Stats) -> Vec<Connection> {
    let permits = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let mut opening = JoinSet::new();
    for _ in 0..count {
        let (target, permits) = (target.clone(), permits.clone());
        opening.spawn(async move {
            let _permit = permits.acquire().await.map_err(|_| Failure::Connect)?;
            target.connect().await
        });
    }
    let mut held = Vec::with_capacity(count as usize);
    while let Some(done) = opening.join_next().await {
        match done.unwrap_or(Err(Failure::Connect)) {
            Ok(connection) => {
                stats.handshake(&connection);
                held.push(connection);
            }
            Err(failure) => stats.fail(failure),
        }
    }
    held
}
