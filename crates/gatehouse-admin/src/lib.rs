//! The management plane: the REST API that changes Gatehouse's configuration, and the
//! [`Control`] that applies each change safely.
//!
//! Resource paths and bodies follow APIM's management API without the Azure Resource Manager
//! prefix (`PUT /apis/{apiId}` with `{"properties": {...}}`). Every change is checked in full
//! (the model's rules, policy compilation, a snapshot build) before it is stored, and the new
//! snapshot is published only after the store has it: bad input changes nothing.

mod api;
mod control;
mod error;
mod secrets;
mod server;

pub use api::router;
pub use control::{Control, ControlError};
pub use error::ApiError;
pub use secrets::{generate_key, generate_token};
pub use server::serve;
