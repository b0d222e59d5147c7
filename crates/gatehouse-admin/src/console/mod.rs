//! The web console at `/console/`, and the management endpoints it needs beyond the
//! resources.
//!
//! The console is a small hand-written front end (HTML, CSS and ES modules in `assets/`),
//! embedded in the binary so it works offline and needs no build step. Its pages are served
//! without a token; the page asks for the admin token, keeps it in the browser's
//! `sessionStorage` (gone when the tab closes) and sends it as the bearer token to the
//! management API, the same API curl users call. The token never appears in a URL.
//!
//! The endpoints added here, all under the admin token:
//!
//! - `GET /gateway`: where the gateway listens, so the console can build call URLs;
//! - `GET /gateway/requests`: the gateway's recent requests and counters (no secrets);
//! - `POST /gateway/send`: the server-side sender, which calls the gateway presenting an
//!   uploaded certificate with its stored private key;
//! - `POST .../policies/policy/validate`: compiles a policy document without saving it;
//! - `GET /apis/{apiId}/operations/{operationId}/effectivePolicy`: the operation's policy
//!   with every `<base/>` resolved.

mod assets;
mod effective;
mod policy_tools;
mod sender;

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::routing::{get, post};
use gatehouse_gateway::TraceStore;
use serde_json::{Value, json};

use crate::Control;
use crate::client::Trust;

pub use effective::effective_policy;

/// What the console needs to know about the gateway it manages.
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    /// The gateway's base URL as callers use it (`https://localhost:8443`).
    pub gateway_url: String,
    /// The roots the sender trusts for the gateway's server certificate (the local CA).
    pub gateway_trust: Trust,
}

/// What the console's management endpoints reach.
#[derive(Debug, Clone)]
struct ConsoleState {
    control: Arc<Control>,
    traces: Arc<TraceStore>,
    settings: Arc<ConsoleSettings>,
}

/// The console's pages and assets: no token, the page signs in itself.
pub(crate) fn pages<S: Clone + Send + Sync + 'static>(
    settings: &ConsoleSettings,
) -> axum::Router<S> {
    assets::router(&settings.gateway_url)
}

/// The console's management endpoints, to be mounted behind the admin token.
pub(crate) fn management<S: Clone + Send + Sync + 'static>(
    control: Arc<Control>,
    traces: Arc<TraceStore>,
    settings: ConsoleSettings,
) -> axum::Router<S> {
    let state = ConsoleState {
        control,
        traces,
        settings: Arc::new(settings),
    };
    let validate = post(policy_tools::validate);
    axum::Router::new()
        .route("/gateway", get(gateway))
        .route("/gateway/requests", get(recent_requests))
        .route("/gateway/send", post(sender::send))
        .route("/policies/policy/validate", validate.clone())
        .route(
            "/products/{productId}/policies/policy/validate",
            validate.clone(),
        )
        .route("/apis/{apiId}/policies/policy/validate", validate.clone())
        .route(
            "/apis/{apiId}/operations/{operationId}/policies/policy/validate",
            validate,
        )
        .route(
            "/apis/{apiId}/operations/{operationId}/effectivePolicy",
            get(policy_tools::effective),
        )
        .with_state(state)
}

async fn gateway(State(state): State<ConsoleState>) -> Json<Value> {
    Json(json!({ "gatewayUrl": state.settings.gateway_url }))
}

async fn recent_requests(State(state): State<ConsoleState>) -> Json<Value> {
    Json(state.control.gateway().recent().to_json())
}
