//! Backends (`backends/{id}`): named services that `set-backend-service backend-id` routes to.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ModelError;
use crate::api::invalid;

/// `properties` of `backends/{backendId}`.
///
/// Only the URL is used. Credentials, TLS settings, proxies and pools change how APIM calls
/// the backend; Gatehouse refuses them rather than ignore them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackendProperties {
    /// The base URL requests are forwarded to (`http://` or `https://`).
    pub url: String,
    /// `http` (or `soap`, kept for round trips).
    #[serde(default = "http")]
    pub protocol: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A title, kept for round trips.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Refused: credentials applied to backend calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Value>,
    /// Refused: TLS validation settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Value>,
    /// Refused: an HTTP proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<Value>,
    /// Refused: load-balanced pools, circuit breakers and Service Fabric settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Value>,
}

fn http() -> String {
    "http".to_owned()
}

impl BackendProperties {
    /// Checks the URL's scheme and refuses the settings Gatehouse does not apply.
    ///
    /// # Errors
    /// [`ModelError::InvalidProperty`] naming the property.
    pub fn validate(&self) -> Result<(), ModelError> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(invalid("url", "must be an http:// or https:// URL"));
        }
        if !matches!(self.protocol.as_str(), "http" | "soap") {
            return Err(invalid("protocol", "must be http or soap"));
        }
        let refused = [
            ("credentials", self.credentials.is_some()),
            ("tls", self.tls.is_some()),
            ("proxy", self.proxy.is_some()),
            ("properties", self.properties.is_some()),
        ];
        if let Some((name, _)) = refused.iter().find(|(_, present)| *present) {
            return Err(invalid(
                name,
                "is not supported by Gatehouse yet: set headers with policies instead",
            ));
        }
        Ok(())
    }
}
