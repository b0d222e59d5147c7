//! Hostname configurations (`hostnameConfigurations/{id}`): per server name (SNI), the
//! server certificate and whether the handshake asks for, or insists on, a client
//! certificate. APIM's hostname configurations of a self-hosted gateway, plus a stricter
//! mode of Gatehouse's own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ModelError;
use crate::api::invalid;

/// `properties` of `hostnameConfigurations/{id}`.
///
/// Defaults differ from APIM's in one place: `negotiateClientCertificate` is true unless
/// set, because a gateway that exists to authenticate by client certificate should not
/// silently stop asking for one on a new hostname (APIM's default is false).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HostnameConfigurationProperties {
    /// The server name callers connect to: `api.example.com`, or `*.example.com` for every
    /// name one label below. Compared without regard to case.
    pub host_name: String,
    /// An uploaded certificate with its private key to serve for this name; the gateway's
    /// own certificate when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_id: Option<String>,
    /// Ask callers for a client certificate in the handshake.
    #[serde(default = "yes")]
    pub negotiate_client_certificate: bool,
    /// Fail the handshake of callers that send no certificate (needs negotiation).
    #[serde(default)]
    pub require_client_certificate: bool,
    /// Use these settings for connections without a server name, or with one no hostname
    /// configuration names (APIM's `defaultSslBinding`). At most one may be the default.
    #[serde(default)]
    pub default_ssl_binding: bool,
}

fn yes() -> bool {
    true
}

impl HostnameConfigurationProperties {
    /// Checks the name and the combination of settings; lowercases the name.
    ///
    /// # Errors
    /// [`ModelError::InvalidProperty`] naming the property.
    pub fn validate(&mut self) -> Result<(), ModelError> {
        self.host_name = self.host_name.trim().to_ascii_lowercase();
        if !is_host_pattern(&self.host_name) {
            return Err(invalid(
                "hostName",
                "must be a DNS name such as api.example.com, or *.example.com",
            ));
        }
        if self.require_client_certificate && !self.negotiate_client_certificate {
            return Err(invalid(
                "requireClientCertificate",
                "needs negotiateClientCertificate: a certificate that is never asked for cannot be required",
            ));
        }
        Ok(())
    }
}

/// Two configurations may not claim one name, and only one may be the default.
///
/// # Errors
/// [`ModelError::Conflict`] naming both configurations.
pub(crate) fn check_unique(
    configurations: &BTreeMap<String, HostnameConfigurationProperties>,
) -> Result<(), ModelError> {
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    let mut default: Option<&str> = None;
    for (id, configuration) in configurations {
        if let Some(other) = names.insert(&configuration.host_name, id) {
            return Err(ModelError::Conflict(format!(
                "hostname configurations '{other}' and '{id}' both name '{}'",
                configuration.host_name
            )));
        }
        if configuration.default_ssl_binding
            && let Some(other) = default.replace(id)
        {
            return Err(ModelError::Conflict(format!(
                "hostname configurations '{other}' and '{id}' are both the defaultSslBinding"
            )));
        }
    }
    Ok(())
}

/// A DNS name of letters, digits and hyphens, optionally starting with `*.`.
fn is_host_pattern(name: &str) -> bool {
    let name = name.strip_prefix("*.").unwrap_or(name);
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    name.len() <= 253 && name.split('.').all(label_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn properties(host_name: &str) -> HostnameConfigurationProperties {
        serde_json::from_value(serde_json::json!({ "hostName": host_name })).unwrap()
    }

    #[test]
    fn names_are_lowercased_and_wildcards_allowed_in_front_only() {
        let mut ok = properties(" API.Example.com ");
        ok.validate().unwrap();
        assert_eq!(ok.host_name, "api.example.com");
        assert!(ok.negotiate_client_certificate, "Gatehouse asks by default");

        for name in ["*.example.com", "localhost", "a-b.c"] {
            assert!(properties(name).validate().is_ok(), "{name}");
        }
        for name in [
            "",
            "a.*.com",
            "-a.com",
            "a..com",
            "a_b.com",
            "127.0.0.1:443",
        ] {
            assert!(properties(name).validate().is_err(), "{name}");
        }
    }

    #[test]
    fn names_and_the_default_binding_are_unique() {
        let mut two = BTreeMap::new();
        two.insert("a".to_owned(), properties("api.example.com"));
        two.insert("b".to_owned(), properties("api.example.com"));
        assert!(check_unique(&two).is_err(), "one name twice");

        let mut defaults = BTreeMap::new();
        for (id, name) in [("a", "a.example.com"), ("b", "b.example.com")] {
            let mut p = properties(name);
            p.default_ssl_binding = true;
            defaults.insert(id.to_owned(), p);
        }
        assert!(check_unique(&defaults).is_err(), "two defaults");
    }

    #[test]
    fn a_certificate_cannot_be_required_without_being_asked_for() {
        let mut p = properties("api.example.com");
        p.negotiate_client_certificate = false;
        p.require_client_certificate = true;
        assert!(p.validate().is_err());
    }
}
