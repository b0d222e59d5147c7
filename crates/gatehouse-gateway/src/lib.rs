//! The Gatehouse data plane.
//!
//! Callers connect over TLS; the listener asks for a client certificate, accepts any (or
//! none) and verifies proof of possession ([`tls`]). Each request is routed to an API and
//! operation ([`routing`]), its subscription key checked ([`subscription`]), and its
//! operation's pipeline run ([`handler`]) against the current configuration [`snapshot`];
//! `forward-request` calls the backend through [`upstream`]. Traced requests leave their
//! trace in the [`traces`] store.
//!
//! This crate never reads the configuration store: it serves from snapshots it is given.

pub mod connection;
mod echo;
pub mod examples;
pub mod handler;
mod preflight;
pub mod recent;
pub mod routing;
pub mod server;
pub mod snapshot;
pub mod subscription;
pub mod tls;
pub mod traces;
pub mod upstream;

use thiserror::Error;

pub use handler::{Gateway, GatewaySettings};
pub use recent::{Decision, RecentRequests, RequestRecord};
pub use snapshot::{Snapshot, SnapshotError};
pub use traces::TraceStore;
pub use upstream::Upstream;

/// Why the gateway cannot start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The TLS configuration cannot be built.
    #[error("TLS configuration: {0}")]
    Tls(String),
}
