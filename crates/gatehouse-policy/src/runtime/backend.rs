//! What the pipeline needs from the outside world: a way to call the backend.
//!
//! The gateway implements [`Backend`] over real sockets; `policy test` and unit tests
//! implement it with canned responses. Keeping the trait here keeps this crate free of
//! server and client libraries.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use super::message::{Request, Response};

/// APIM's default `forward-request` timeout.
pub const DEFAULT_FORWARD_TIMEOUT: Duration = Duration::from_secs(300);

/// APIM's default `send-request` timeout.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(60);

/// How `forward-request` and `send-request` call a backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardOptions {
    /// How long to wait for the backend's response headers.
    pub timeout: Duration,
    /// Whether to follow redirects instead of returning them to the caller.
    pub follow_redirects: bool,
    /// The client certificate to present to the backend (`authentication-certificate`).
    pub client_identity: Option<Arc<ClientIdentity>>,
    /// How the backend's certificate is checked (strict unless a backend entity relaxes it).
    pub tls: BackendTls,
}

impl Default for ForwardOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_FORWARD_TIMEOUT,
            follow_redirects: false,
            client_identity: None,
            tls: BackendTls::default(),
        }
    }
}

/// How the backend's TLS certificate is checked: APIM's `tls` settings of a backend entity.
/// Both checks are on unless a backend entity turns one off by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BackendTls {
    /// The certificate must chain to a trusted root (`tls.validateCertificateChain`).
    pub validate_certificate_chain: bool,
    /// The certificate must name the host called (`tls.validateCertificateName`).
    pub validate_certificate_name: bool,
}

impl Default for BackendTls {
    fn default() -> Self {
        Self {
            validate_certificate_chain: true,
            validate_certificate_name: true,
        }
    }
}

impl BackendTls {
    /// Whether both checks are on.
    pub fn is_strict(&self) -> bool {
        self.validate_certificate_chain && self.validate_certificate_name
    }
}

/// A certificate and its private key, presented to a backend that asks for one.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The certificate's thumbprint: what a client for it is cached under.
    pub thumbprint: Arc<str>,
    /// The certificate and the chain sent with it, DER, leaf first.
    pub chain: Vec<Vec<u8>>,
    /// The private key, PKCS#8 DER. A secret.
    pub key: Arc<[u8]>,
}

impl fmt::Debug for ClientIdentity {
    /// The private key never reaches logs through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("thumbprint", &self.thumbprint)
            .finish_non_exhaustive()
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

/// The outside world as a pipeline sees it: the backend and other HTTP services it calls,
/// and the passing of time.
///
/// The gateway implements it over real sockets and timers; `policy test` and unit tests with
/// canned responses. Keeping it a trait keeps this crate free of server, client and runtime
/// libraries.
pub trait Backend: Send + Sync {
    /// Sends `request` to the backend it is addressed to (`request.url`) for
    /// `forward-request`, and returns the response, body unread. The request is the
    /// pipeline's copy: policies keep reading `context.Request` afterwards.
    fn forward<'a>(
        &'a self,
        request: Request,
        options: &'a ForwardOptions,
    ) -> impl Future<Output = Result<Response, ForwardError>> + Send + 'a;

    /// Sends a request a policy built (`send-request`) and returns the response, body unread.
    /// By default the same as [`Backend::forward`].
    fn send<'a>(
        &'a self,
        request: Request,
        options: &'a ForwardOptions,
    ) -> impl Future<Output = Result<Response, ForwardError>> + Send + 'a {
        self.forward(request, options)
    }

    /// Sends a request without waiting for the answer (`send-one-way-request`). The gateway
    /// hands it to a background task; by default it is sent and its answer dropped.
    fn send_one_way<'a>(
        &'a self,
        request: Request,
        options: ForwardOptions,
    ) -> impl Future<Output = ()> + Send + 'a {
        async move {
            let _ = self.send(request, &options).await;
        }
    }

    /// Waits for `duration` (`wait`, `retry` intervals).
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + '_;
}
