//! APIs and their operations.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ModelError;

/// The header APIM reads the subscription key from unless an API says otherwise.
pub(crate) const DEFAULT_KEY_HEADER: &str = "Ocp-Apim-Subscription-Key";
/// The query parameter APIM reads the subscription key from unless an API says otherwise.
pub(crate) const DEFAULT_KEY_QUERY: &str = "subscription-key";

/// `properties` of `apis/{apiId}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiProperties {
    /// Name shown in the console; defaults to the API id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// URL path prefix on the gateway, without leading or trailing `/`. Empty serves at the root.
    pub path: String,
    /// Where requests are forwarded: an `http(s)://` URL, or `gatehouse://echo` for the
    /// built-in echo backend. `None` means only policies (`return-response`) answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_url: Option<String>,
    /// Protocols the API is served on. Gatehouse serves `https`.
    #[serde(default = "default_protocols")]
    pub protocols: Vec<String>,
    /// Whether a subscription key is needed to call the API.
    #[serde(default = "yes")]
    pub subscription_required: bool,
    /// Where the subscription key is read from.
    #[serde(default)]
    pub subscription_key_parameter_names: KeyParameterNames,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// APIM's revision number, kept for round trips.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_revision: Option<String>,
    /// APIM's version label, kept for round trips.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// APIM's authentication settings, kept for round trips; Gatehouse does not act on them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_settings: Option<Value>,
}

/// `subscriptionKeyParameterNames`: where callers put their key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyParameterNames {
    /// Request header carrying the key.
    #[serde(default = "default_header")]
    pub header: String,
    /// Query parameter carrying the key, read only when the header is absent.
    #[serde(default = "default_query")]
    pub query: String,
}

impl Default for KeyParameterNames {
    fn default() -> Self {
        Self {
            header: default_header(),
            query: default_query(),
        }
    }
}

impl ApiProperties {
    /// Checks the values serde cannot: the path's characters, the service URL's scheme, the
    /// key parameter names. Normalises the path (no surrounding `/`).
    ///
    /// # Errors
    /// [`ModelError::InvalidProperty`] naming the property.
    pub fn validate(&mut self) -> Result<(), ModelError> {
        self.path = self.path.trim_matches('/').to_owned();
        check_api_path(&self.path)?;

        if let Some(url) = &self.service_url {
            check_service_url(url)?;
        }
        check_token(
            "subscriptionKeyParameterNames.header",
            &self.subscription_key_parameter_names.header,
        )?;
        check_token(
            "subscriptionKeyParameterNames.query",
            &self.subscription_key_parameter_names.query,
        )?;
        Ok(())
    }
}

/// `properties` of `apis/{apiId}/operations/{operationId}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OperationProperties {
    /// Name shown in the console; defaults to the operation id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// HTTP method, uppercase (`GET`, `POST`, ...), or `*` for any.
    pub method: String,
    /// Path template below the API path, e.g. `/users/{id}`; a query part is allowed.
    pub url_template: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// APIM's parameter descriptions, kept for round trips and the console.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub template_parameters: Vec<Value>,
    /// APIM's request description, kept for round trips and the console.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Value>,
    /// APIM's response descriptions, kept for round trips and `mock-response`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub responses: Vec<Value>,
}

impl OperationProperties {
    /// Normalises the method to uppercase and checks the template's shape.
    ///
    /// # Errors
    /// [`ModelError::InvalidProperty`] naming the property.
    pub fn validate(&mut self) -> Result<(), ModelError> {
        self.method = self.method.trim().to_ascii_uppercase();
        let method_ok = self.method == "*"
            || (!self.method.is_empty() && self.method.bytes().all(|b| b.is_ascii_uppercase()));
        if !method_ok {
            return Err(invalid(
                "method",
                "must be an HTTP method such as GET, or *",
            ));
        }
        if !self.url_template.starts_with('/') {
            return Err(invalid("urlTemplate", "must start with '/'"));
        }
        check_template_braces(&self.url_template)
    }
}

fn check_api_path(path: &str) -> Result<(), ModelError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~/".contains(c);
    if !path.chars().all(allowed) || path.contains("//") {
        return Err(invalid(
            "path",
            "may contain only letters, digits, '-', '.', '_', '~' and single '/' separators",
        ));
    }
    Ok(())
}

fn check_service_url(url: &str) -> Result<(), ModelError> {
    let scheme_ok = ["http://", "https://", "gatehouse://"]
        .iter()
        .any(|s| url.starts_with(s));
    if !scheme_ok {
        return Err(invalid(
            "serviceUrl",
            "must be an http://, https:// or gatehouse:// URL",
        ));
    }
    Ok(())
}

fn check_token(property: &'static str, name: &str) -> Result<(), ModelError> {
    let token_char = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token_char) {
        return Err(invalid(
            property,
            "must be a non-empty HTTP token (no spaces or separators)",
        ));
    }
    Ok(())
}

fn check_template_braces(template: &str) -> Result<(), ModelError> {
    let mut open = false;
    for c in template.chars() {
        match (c, open) {
            ('{', false) => open = true,
            ('}', true) => open = false,
            ('{' | '}', _) => return Err(invalid("urlTemplate", "has unbalanced braces")),
            _ => {}
        }
    }
    if open {
        return Err(invalid("urlTemplate", "has an unclosed '{'"));
    }
    Ok(())
}

pub(crate) fn invalid(property: &'static str, reason: &str) -> ModelError {
    ModelError::InvalidProperty {
        property,
        reason: reason.to_owned(),
    }
}

fn default_protocols() -> Vec<String> {
    vec!["https".to_owned()]
}

fn default_header() -> String {
    DEFAULT_KEY_HEADER.to_owned()
}

fn default_query() -> String {
    DEFAULT_KEY_QUERY.to_owned()
}

pub(crate) fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(json: &str) -> Result<ApiProperties, ModelError> {
        let mut api: ApiProperties =
            serde_json::from_str(json).map_err(|e| ModelError::InvalidBody(e.to_string()))?;
        api.validate()?;
        Ok(api)
    }

    #[test]
    fn api_defaults_follow_apim() {
        let api = api(r#"{"path": "/echo/"}"#).unwrap();
        assert_eq!(api.path, "echo");
        assert!(api.subscription_required);
        assert_eq!(api.protocols, ["https"]);
        assert_eq!(
            api.subscription_key_parameter_names.header,
            "Ocp-Apim-Subscription-Key"
        );
        assert_eq!(
            api.subscription_key_parameter_names.query,
            "subscription-key"
        );
    }

    #[test]
    fn misspelled_properties_are_refused_not_ignored() {
        let error = api(r#"{"path": "x", "subscriptionRequried": false}"#).unwrap_err();
        assert!(
            error.to_string().contains("subscriptionRequried"),
            "{error}"
        );
    }

    #[test]
    fn bad_values_name_their_property() {
        let cases = [
            (r#"{"path": "a b"}"#, "path"),
            (r#"{"path": "x", "serviceUrl": "ftp://h"}"#, "serviceUrl"),
            (
                r#"{"path": "x", "subscriptionKeyParameterNames": {"header": "a b"}}"#,
                "header",
            ),
        ];
        for (json, property) in cases {
            let error = api(json).unwrap_err().to_string();
            assert!(error.contains(property), "{json}: {error}");
        }
    }

    #[test]
    fn operations_normalise_method_and_check_templates() {
        let mut op: OperationProperties =
            serde_json::from_str(r#"{"method": "get", "urlTemplate": "/users/{id}"}"#).unwrap();
        op.validate().unwrap();
        assert_eq!(op.method, "GET");

        for template in ["users", "/users/{id", "/users/id}"] {
            let mut op = OperationProperties {
                method: "GET".into(),
                url_template: template.into(),
                ..Default::default()
            };
            assert!(op.validate().is_err(), "{template}");
        }
    }
}
