//! Backends (`backends/{id}`): named services that `set-backend-service backend-id` routes to.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ModelError;
use crate::api::invalid;

/// `properties` of `backends/{backendId}`.
///
/// The URL and the TLS settings are used. Credentials, proxies and pools change how APIM
/// calls the backend; Gatehouse refuses them rather than ignore them.
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
    /// How the backend's TLS certificate is checked; both checks on when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<BackendTlsProperties>,
    /// Refused: an HTTP proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<Value>,
    /// Refused: load-balanced pools, circuit breakers and Service Fabric settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Value>,
}

/// `tls` of a backend: APIM's names for the two checks of the backend's certificate. Each
/// is on unless set to false here; turning one off is logged when the configuration loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackendTlsProperties {
    /// The certificate must chain to a root the gateway trusts.
    #[serde(default = "yes")]
    pub validate_certificate_chain: bool,
    /// The certificate must be valid for the backend's host name.
    #[serde(default = "yes")]
    pub validate_certificate_name: bool,
}

impl Default for BackendTlsProperties {
    fn default() -> Self {
        Self {
            validate_certificate_chain: true,
            validate_certificate_name: true,
        }
    }
}

fn yes() -> bool {
    true
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
        if self.proxy.is_some() {
            return Err(invalid(
                "proxy",
                "is not supported on backends yet: use the <proxy> policy instead",
            ));
        }
        let refused = [
            ("credentials", self.credentials.is_some()),
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
