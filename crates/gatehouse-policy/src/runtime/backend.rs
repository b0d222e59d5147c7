//! What the pipeline needs from the outside world: a way to call the backend.
//!
//! The gateway implements [`Backend`] over real sockets; `policy test` and unit tests
//! implement it with canned responses. Keeping the trait here keeps this crate free of
//! server and client libraries.

use std::future::Future;
use std::time::Duration;

use thiserror::Error;

use super::message::{Request, Response};

/// APIM's default `forward-request` timeout.
pub const DEFAULT_FORWARD_TIMEOUT: Duration = Duration::from_secs(300);

/// How `forward-request` calls the backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardOptions {
    /// How long to wait for the backend's response headers.
    pub timeout: Duration,
    /// Whether to follow redirects instead of returning them to the caller.
    pub follow_redirects: bool,
}

impl Default for ForwardOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_FORWARD_TIMEOUT,
            follow_redirects: false,
        }
    }
}

/// Why the backend could not be called. Each maps to an APIM `LastError.Reason`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ForwardError {
    /// No response headers within the timeout (`Timeout`).
    #[error("Request to the backend service timed out after {} seconds.", .0.as_secs())]
    Timeout(Duration),

    /// The connection could not be made or broke (`BackendConnectionFailure`).
    #[error("Error occured while calling backend service: {0}")]
    Connection(String),

    /// There is nothing to forward to: the API has no service URL and no policy set one.
    #[error("Backend service URL is not defined.")]
    NoServiceUrl,

    /// The backend URL cannot be called (`BackendConnectionFailure`).
    #[error("Backend service URL '{0}' is not supported.")]
    UnsupportedUrl(String),
}

impl ForwardError {
    /// APIM's `LastError.Reason` for this failure.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Timeout(_) => "Timeout",
            Self::Connection(_) | Self::UnsupportedUrl(_) | Self::NoServiceUrl => {
                "BackendConnectionFailure"
            }
        }
    }
}

/// Calls the backend a request is addressed to (`request.url`).
pub trait Backend: Send + Sync {
    /// Sends `request` and returns the backend's response, body unread. The request is the
    /// pipeline's copy: policies keep reading `context.Request` afterwards.
    fn forward<'a>(
        &'a self,
        request: Request,
        options: &'a ForwardOptions,
    ) -> impl Future<Output = Result<Response, ForwardError>> + Send + 'a;
}
