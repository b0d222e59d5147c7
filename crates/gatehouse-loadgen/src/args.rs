//! Command-line arguments.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::drive::Plan;

/// Drives HTTPS load with a client certificate and prints one JSON result.
#[derive(Debug, Parser)]
#[command(name = "gatehouse-loadgen", version, about, long_about = None)]
pub(crate) struct Args {
    /// The URL to request (`https://host[:port]/path`).
    pub(crate) url: http::Uri,
    /// CA certificate (PEM) that verifies the server.
    #[arg(long)]
    pub(crate) cacert: PathBuf,
    /// Client certificate chain (PEM).
    #[arg(long)]
    pub(crate) cert: PathBuf,
    /// The client certificate's private key (PEM).
    #[arg(long)]
    pub(crate) key: PathBuf,
    /// How connections are used.
    #[arg(long, value_enum, default_value_t = Mode::KeepAlive)]
    pub(crate) mode: Mode,
    /// Speak HTTP/2 (ALPN h2) instead of HTTP/1.1.
    #[arg(long)]
    pub(crate) http2: bool,
    /// Concurrent connections; in idle mode, the connections to open and hold.
    #[arg(long, short = 'c', default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) connections: u32,
    /// Concurrent requests on each HTTP/2 connection.
    #[arg(long, short = 'p', default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) streams: u32,
    /// Seconds of measurement; in idle mode, how long connections are held once open.
    #[arg(long, short = 'z', default_value_t = 5.0, value_parser = seconds)]
    pub(crate) duration: f64,
    /// Requests per second across all connections, scheduled in advance; a request that waits
    /// for a busy connection counts its latency from its scheduled time, so a stalled server
    /// cannot hide queued requests. Without it, each connection sends its next request when
    /// the previous one is answered.
    #[arg(long, short = 'q', value_parser = rate)]
    pub(crate) rate: Option<f64>,
    /// Stop after this many requests, even before the duration ends (fixed work, for profiles).
    #[arg(long, short = 'n')]
    pub(crate) requests: Option<u64>,
    /// An extra request header, `Name: value` (repeatable).
    #[arg(long, short = 'H')]
    pub(crate) header: Vec<String>,
    /// The key-exchange group offered (the only one, so every server negotiates it).
    #[arg(long, value_enum, default_value_t = Kx::X25519)]
    pub(crate) kx: Kx,
    /// Connect to this address instead of resolving the URL's host.
    #[arg(long)]
    pub(crate) connect: Option<SocketAddr>,
    /// Seconds to wait between announcing the measurement and starting it, so that a profiler
    /// switched on at the announcement sees every measured request.
    #[arg(long, default_value_t = 0.0, value_parser = pause)]
    pub(crate) pause: f64,
}

/// How connections are used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Mode {
    /// Open the connections first, then send requests on them for the whole run.
    KeepAlive,
    /// A new connection (TCP, TLS handshake) for every request.
    NewConnection,
    /// Open the connections, send nothing, hold them, close them.
    Idle,
}

/// Key-exchange groups the tool can offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Kx {
    /// X25519: what OpenSSL 3.0 servers negotiate with common clients.
    X25519,
    /// NIST P-256.
    Secp256r1,
    /// The post-quantum hybrid rustls clients offer first by default.
    X25519mlkem768,
}

impl Args {
    /// The load plan for the keep-alive and new-connection modes.
    pub(crate) fn plan(&self) -> Plan {
        Plan {
            mode: self.mode,
            connections: self.connections,
            streams: if self.http2 { self.streams } else { 1 },
            duration: Duration::from_secs_f64(self.duration),
            rate: self.rate,
            limit: self.requests,
            pause: Duration::from_secs_f64(self.pause),
        }
    }

    /// How long idle connections are held.
    pub(crate) fn hold(&self) -> Duration {
        Duration::from_secs_f64(self.duration)
    }
}

fn seconds(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('s').parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 && value <= 3600.0 => Ok(value),
        _ => Err(format!(
            "'{text}' is not a number of seconds between 0 and 3600"
        )),
    }
}

fn pause(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('s').parse::<f64>() {
        Ok(value) if (0.0..=60.0).contains(&value) => Ok(value),
        _ => Err(format!("'{text}' is not a pause of 0 to 60 seconds")),
    }
}

fn rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 1.0 => Ok(value),
        _ => Err(format!("'{text}' is not a rate of at least 1 per second")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_a_seconds_suffix_and_refuse_nonsense() {
        assert_eq!(seconds("5s"), Ok(5.0));
        assert_eq!(seconds("0.5"), Ok(0.5));
        assert!(seconds("0").is_err());
        assert!(seconds("-1").is_err());
        assert!(seconds("inf").is_err());
    }

    #[test]
    fn streams_only_apply_to_http2() {
        let args = Args::parse_from([
            "loadgen",
            "https://localhost/",
            "--cacert=a",
            "--cert=b",
            "--key=c",
            "-p",
            "8",
        ]);
        assert_eq!(args.plan().streams, 1);
    }
}
