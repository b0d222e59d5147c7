//! Named values (`namedValues/{id}`): text that policies reference as `{{displayName}}`.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ModelError;
use crate::api::invalid;

/// The longest display name APIM accepts.
const MAX_NAME_LEN: usize = 256;
/// The longest value APIM accepts.
const MAX_VALUE_LEN: usize = 4096;

/// `properties` of `namedValues/{namedValueId}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamedValueProperties {
    /// The name policies use: `{{displayName}}`.
    pub display_name: String,
    /// The text substituted for references.
    #[serde(default)]
    pub value: String,
    /// Whether the value is a secret: never returned by GET (use `listValue`), never logged
    /// or shown in traces.
    #[serde(default)]
    pub secret: bool,
    /// Labels, kept for round trips.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// A Key Vault reference: refused, Gatehouse has no Key Vault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_vault: Option<Value>,
}

impl NamedValueProperties {
    /// Checks the name's characters and length, the value's length, and refuses Key Vault
    /// references.
    ///
    /// # Errors
    /// [`ModelError::InvalidProperty`] naming the property.
    pub fn validate(&self) -> Result<(), ModelError> {
        let name_ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
        if self.display_name.is_empty()
            || self.display_name.len() > MAX_NAME_LEN
            || !self.display_name.chars().all(name_ok)
        {
            return Err(invalid(
                "displayName",
                "must be 1 to 256 letters, digits, '.', '-' or '_' (policies reference it as {{displayName}})",
            ));
        }
        if self.value.len() > MAX_VALUE_LEN {
            return Err(invalid("value", "is longer than 4096 characters"));
        }
        if self.key_vault.is_some() {
            return Err(invalid(
                "keyVault",
                "is not supported by this gateway: it needs Azure Key Vault; give the value itself with secret: true",
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for NamedValueProperties {
    /// Secret values never reach logs through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = if self.secret { "********" } else { &self.value };
        f.debug_struct("NamedValueProperties")
            .field("display_name", &self.display_name)
            .field("value", &value)
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(json: &str) -> Result<NamedValueProperties, ModelError> {
        let value: NamedValueProperties =
            serde_json::from_str(json).map_err(|e| ModelError::InvalidBody(e.to_string()))?;
        value.validate()?;
        Ok(value)
    }

    #[test]
    fn names_follow_apims_rule_and_key_vault_is_refused() {
        assert!(named(r#"{"displayName": "backend-url.v2_x", "value": "x"}"#).is_ok());
        assert!(named(r#"{"displayName": "bad name", "value": "x"}"#).is_err());
        let error = named(r#"{"displayName": "k", "keyVault": {"secretIdentifier": "https://v"}}"#)
            .unwrap_err();
        assert!(error.to_string().contains("keyVault"), "{error}");
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let value = named(r#"{"displayName": "k", "value": "s3cret", "secret": true}"#).unwrap();
        assert!(!format!("{value:?}").contains("s3cret"));
    }
}
