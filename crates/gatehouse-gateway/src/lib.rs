//! The Gatehouse data plane.
//!
//! Callers connect over TLS; the listener picks its settings by server name ([`sni`],
//! [`hostnames`]), asks for a client certificate where configured, accepts any (or none) and
//! verifies proof of possession ([`tls`]). A trusted proxy's forwarded certificate replaces
//! its own ([`forwarded`]). A request with an ambiguous `Host` or a dot segment in its path
//! is refused first. Each request is routed to an API and operation ([`routing`]),
//! its subscription key checked ([`subscription`], [`binding`]), and its operation's
//! pipeline run ([`handler`]) against the current configuration [`snapshot`], whose CA store
//! answers `Verify()` and `validate-client-certificate` ([`trust`]); `forward-request`
//! calls the backend through [`upstream`]. Traced requests leave their trace in the
//! [`traces`] store.
//!
//! This crate never reads the configuration store: it serves from snapshots it is given.

pub mod binding;
mod caller;
pub mod connection;
mod direct;
mod echo;
pub mod examples;
pub mod forwarded;
pub mod handler;
pub mod hostnames;
mod malformed;
mod preflight;
pub mod recent;
pub mod routing;
pub mod server;
pub mod snapshot;
pub mod sni;
pub mod subscription;
pub mod tls;
pub mod traces;
pub mod trust;
pub mod upstream;
mod upstream_proxy;
mod upstream_tls;

use thiserror::Error;

pub use handler::{Gateway, GatewaySettings};
pub use recent::{Decision, RecentRequests, RequestRecord};
pub use snapshot::{Snapshot, SnapshotError};
pub use sni::GatewayTls;
pub use traces::TraceStore;
pub use trust::TrustSettings;
pub use upstream::Upstream;

/// Why the gateway cannot start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The TLS configuration cannot be built.
    #[error("TLS configuration: {0}")]
    Tls(String),
}
