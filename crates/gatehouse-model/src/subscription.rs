//! Subscriptions: named holders of two keys, granted a scope.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::api::invalid;
use crate::{ModelError, validate_id};

/// The longest key APIM accepts.
const MAX_KEY_LEN: usize = 256;

/// A subscription's lifecycle state; only `active` grants access.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SubscriptionState {
    /// Keys work.
    Active,
    /// Cancelled by the owner or an administrator.
    Cancelled,
    /// Past its end date.
    Expired,
    /// Refused by an administrator.
    Rejected,
    /// Waiting for approval: APIM's state for subscriptions created without one.
    #[default]
    Submitted,
    /// Temporarily disabled.
    Suspended,
}

/// What a subscription's keys grant access to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SubscriptionScope {
    /// `/apis`: every API.
    AllApis,
    /// `/apis/{apiId}`: one API; product policies are not applied.
    Api(String),
    /// `/products/{productId}`: the product's APIs, with the product's policies.
    Product(String),
}

impl FromStr for SubscriptionScope {
    type Err = ModelError;

    fn from_str(scope: &str) -> Result<Self, ModelError> {
        let segments: Vec<&str> = scope.trim_end_matches('/').split('/').collect();
        match segments.as_slice() {
            ["", "apis"] => Ok(Self::AllApis),
            ["", "apis", api] => validate_id("apiId", api).map(|()| Self::Api((*api).to_owned())),
            ["", "products", product] => {
                validate_id("productId", product).map(|()| Self::Product((*product).to_owned()))
            }
            _ => Err(invalid(
                "scope",
                "must be /apis, /apis/{apiId} or /products/{productId}",
            )),
        }
    }
}

impl fmt::Display for SubscriptionScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AllApis => f.write_str("/apis"),
            Self::Api(api) => write!(f, "/apis/{api}"),
            Self::Product(product) => write!(f, "/products/{product}"),
        }
    }
}

/// `properties` of `subscriptions/{sid}`. The keys are write-only through the API: GET leaves
/// them out (see [`SubscriptionProperties::without_keys`]) and `listSecrets` returns them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubscriptionProperties {
    /// `/apis`, `/apis/{apiId}` or `/products/{productId}`.
    pub scope: String,
    /// Name shown in the console; defaults to the subscription id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Lifecycle state; APIM creates subscriptions as `submitted` unless told otherwise.
    #[serde(default)]
    pub state: SubscriptionState,
    /// Whether requests with this key may ask for a trace (`Ocp-Apim-Trace: true`).
    #[serde(default)]
    pub allow_tracing: bool,
    /// The owning user (`/users/{uid}`), kept for round trips.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// First key; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<String>,
    /// Second key; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_key: Option<String>,
    /// When the subscription was created (RFC 3339), set by Gatehouse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    /// Binds the keys to client certificates: with it, a key works only on requests whose
    /// certificate is listed (not an APIM property).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificates: Option<CertificateBinding>,
}

/// The client certificates a subscription's keys work with: listed by thumbprint, or issued
/// by a listed CA (by its thumbprint; the certificate's signature must verify with that CA's
/// key). Either list may be empty, not both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertificateBinding {
    /// SHA-1 thumbprints of the client certificates, 40 hex digits.
    #[serde(default)]
    pub thumbprints: Vec<String>,
    /// SHA-1 thumbprints of CA certificates whose certificates are accepted.
    #[serde(default)]
    pub issuer_thumbprints: Vec<String>,
}

impl CertificateBinding {
    /// Checks the thumbprints' shape and stores them upper case.
    ///
    /// # Errors
    /// [`ModelError::InvalidProperty`] when a list holds something other than a thumbprint,
    /// or both are empty.
    pub fn normalize(&mut self) -> Result<(), ModelError> {
        if self.thumbprints.is_empty() && self.issuer_thumbprints.is_empty() {
            return Err(invalid(
                "clientCertificates",
                "must list thumbprints or issuerThumbprints (remove it to accept any certificate)",
            ));
        }
        for list in [&mut self.thumbprints, &mut self.issuer_thumbprints] {
            for thumbprint in list.iter_mut() {
                *thumbprint = thumbprint.trim().to_ascii_uppercase();
                let hex =
                    thumbprint.len() == 40 && thumbprint.bytes().all(|b| b.is_ascii_hexdigit());
                if !hex {
                    return Err(invalid(
                        "clientCertificates",
                        "lists a value that is not a SHA-1 thumbprint (40 hex digits, no spaces or colons)",
                    ));
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for SubscriptionProperties {
    /// Keys are secrets: they never reach logs through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubscriptionProperties")
            .field("scope", &self.scope)
            .field("display_name", &self.display_name)
            .field("state", &self.state)
            .field("allow_tracing", &self.allow_tracing)
            .field("client_certificates", &self.client_certificates)
            .field("keys", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl SubscriptionProperties {
    /// Checks the scope and the keys' shape.
    ///
    /// # Errors
    /// [`ModelError::InvalidProperty`] naming the property.
    pub fn validate(&self) -> Result<SubscriptionScope, ModelError> {
        if let Some(binding) = &self.client_certificates {
            binding.clone().normalize()?;
        }
        for (name, key) in [
            ("primaryKey", &self.primary_key),
            ("secondaryKey", &self.secondary_key),
        ] {
            if let Some(key) = key {
                check_key(name, key)?;
            }
        }
        self.scope.parse()
    }

    /// The same properties with both keys removed, as GET returns them.
    pub fn without_keys(&self) -> Self {
        Self {
            primary_key: None,
            secondary_key: None,
            ..self.clone()
        }
    }
}

fn check_key(property: &'static str, key: &str) -> Result<(), ModelError> {
    let visible_ascii = key.bytes().all(|b| b.is_ascii_graphic());
    if key.is_empty() || key.len() > MAX_KEY_LEN || !visible_ascii {
        return Err(invalid(
            property,
            "must be 1 to 256 visible ASCII characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_print() {
        for text in ["/apis", "/apis/echo-api", "/products/starter"] {
            let scope: SubscriptionScope = text.parse().unwrap();
            assert_eq!(scope.to_string(), text);
        }
        for text in ["", "/", "apis", "/apis/a/b", "/users/x", "/products/"] {
            assert!(text.parse::<SubscriptionScope>().is_err(), "{text}");
        }
    }

    #[test]
    fn debug_output_never_shows_keys() {
        let subscription = SubscriptionProperties {
            scope: "/apis".into(),
            display_name: None,
            state: SubscriptionState::Active,
            allow_tracing: false,
            owner_id: None,
            primary_key: Some("secret-primary".into()),
            secondary_key: Some("secret-secondary".into()),
            created_date: None,
            client_certificates: None,
        };
        let text = format!("{subscription:?}");
        assert!(!text.contains("secret"), "{text}");
        assert!(subscription.without_keys().primary_key.is_none());
    }

    #[test]
    fn certificate_bindings_hold_thumbprints_only() {
        let mut binding = CertificateBinding {
            thumbprints: vec![" 5e7fc1a1f7ad302edfbfb0b87c5af2a299b72858".into()],
            issuer_thumbprints: vec![],
        };
        binding.normalize().unwrap();
        assert_eq!(
            binding.thumbprints[0],
            "5E7FC1A1F7AD302EDFBFB0B87C5AF2A299B72858"
        );

        for bad in ["5E:7F", "not hex", ""] {
            let mut b = CertificateBinding {
                thumbprints: vec![bad.into()],
                issuer_thumbprints: vec![],
            };
            assert!(b.normalize().is_err(), "{bad}");
        }
        assert!(CertificateBinding::default().normalize().is_err());
    }

    #[test]
    fn state_defaults_to_submitted_like_apim() {
        let s: SubscriptionProperties = serde_json::from_str(r#"{"scope": "/apis"}"#).unwrap();
        assert_eq!(s.state, SubscriptionState::Submitted);
    }
}
