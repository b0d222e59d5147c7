//! Errors: those that stop the tool before any load, and per-request failures that are
//! counted instead.

use std::path::PathBuf;

use thiserror::Error;

/// Why the tool cannot start.
#[derive(Debug, Error)]
pub(crate) enum SetupError {
    /// A PEM file cannot be read or holds nothing usable.
    #[error("cannot use {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The URL's host cannot be resolved.
    #[error("cannot resolve {0}")]
    Resolve(String),
    /// rustls refused the configuration (for example a key that does not fit the certificate).
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// The URL is not `https://host[:port]/path`.
    #[error("unsupported URL '{0}': expected https://host[:port]/path")]
    Url(String),
}

/// Why one request (or connection) failed; counted by kind in the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Failure {
    /// TCP connect failed.
    Connect,
    /// HTTP exchange failed (connection closed, protocol error).
    Http,
    /// Nothing happened within the time limit.
    Timeout,
    /// The TLS handshake failed (including a server refusing the client certificate).
    Tls,
}

impl Failure {
    /// The name used in the JSON result.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Http => "http",
            Self::Timeout => "timeout",
            Self::Tls => "tls",
        }
    }
}
