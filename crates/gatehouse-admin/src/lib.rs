//! The management plane: the REST API that changes Gatehouse's configuration, and the
//! [`Control`] that applies each change safely.
//!
//! Resource paths and bodies follow APIM's management API without the Azure Resource Manager
//! prefix (`PUT /apis/{apiId}` with `{"properties": {...}}`). Every change is checked in full
//! (the model's rules, policy compilation, a snapshot build) before it is stored, and the new
//! snapshot is published only after the store has it: bad input changes nothing.
//!
//! The admin listener also serves the web [`console`], and [`client`] is the HTTPS client the
//! console's sender and `gatehouse call` share.

mod api;
pub mod client;
pub mod console;
mod control;
mod error;
mod policy_resources;
mod secrets;
mod server;
mod trust_resources;

pub use api::router;
pub use console::ConsoleSettings;
pub use control::{Control, ControlError};
pub use error::ApiError;
pub use secrets::{AdminToken, AdminTokenError, generate_key, generate_token};
pub use server::serve;
