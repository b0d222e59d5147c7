//! Gatehouse's configuration resources, shaped like APIM's management API.
//!
//! Every resource lives at a path that mirrors APIM's REST paths without the Azure Resource
//! Manager prefix (`apis/echo-api`, `apis/echo-api/operations/retrieve-resource`,
//! `subscriptions/demo`, ...) and carries a JSON `properties` object. This crate parses those
//! paths and bodies into typed, validated resources and assembles them into a [`Config`]: the
//! whole configuration, checked for dangling references. It does no I/O: the store persists
//! documents, the gateway compiles a `Config` into the snapshot it serves from.

mod api;
mod backend;
mod certificate;
mod config;
mod error;
mod hostname;
mod id;
mod named_value;
mod path;
mod policy;
mod policy_fragment;
mod product;
mod secret;
mod subscription;
mod trusted_proxy;

pub use api::{ApiProperties, KeyParameterNames, OperationProperties};
pub use backend::{BackendProperties, BackendTlsProperties};
pub use certificate::{CertificateAuthorityProperties, CertificateProperties, CrlProperties};
pub use config::{Config, Resource};
pub use error::ModelError;
pub use hostname::HostnameConfigurationProperties;
pub use id::validate_id;
pub use named_value::NamedValueProperties;
pub use path::{PolicyScope, ResourceKind, ResourcePath};
pub use policy::{PolicyFormat, PolicyProperties};
pub use policy_fragment::PolicyFragmentProperties;
pub use product::{ProductProperties, ProductState};
pub use secret::secret_properties;
pub use subscription::{
    CertificateBinding, SubscriptionProperties, SubscriptionScope, SubscriptionState,
};
pub use trusted_proxy::{Cidr, ForwardedHeaderFormat, TrustedProxyProperties};
