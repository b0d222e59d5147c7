//! Test support for Gatehouse's end-to-end tests.
//!
//! Everything here drives real components: certificates are made by the `openssl` command
//! line (an implementation independent of Gatehouse's own certificate code), the gateway is the
//! real binary started on ephemeral loopback ports, and calls are made with `curl` and
//! `newman`. Nothing talks to anything but 127.0.0.1.

mod backend;
mod ca;
mod corpus;
mod curl;
mod gateway;
mod pki;
mod policies;
mod proxy;
mod s_client;

pub use backend::RecordingBackend;
pub use ca::{LeafSpec, TestCa};
pub use corpus::{corpus_dir, newman};
pub use curl::{Curl, CurlResponse};
pub use gateway::{GatewayProcess, write_secrets_key};
pub use pki::{ClientCert, Pki};
pub use policies::article_policy;
pub use proxy::{ProxyRequest, TestProxy};
pub use s_client::{Response as SClientResponse, SClient};
