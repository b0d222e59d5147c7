//! Which stored properties are secrets.
//!
//! The model knows what each resource means; the store only moves JSON. This list is how the
//! store learns which properties to seal before they reach the database (private keys,
//! secret named values, subscription keys), without learning anything else about resources.

use serde_json::Value;

use crate::{ResourceKind, ResourcePath};

/// The JSON names of the properties of the resource at `path` that hold secrets, given its
/// stored `properties`.
///
/// A named value's `value` is a secret only while the resource says `secret: true`: other
/// named values are configuration text that GET returns anyway.
pub fn secret_properties(path: &ResourcePath, properties: &Value) -> &'static [&'static str] {
    match path.kind() {
        ResourceKind::Certificate => &["privateKey"],
        ResourceKind::NamedValue if properties.get("secret") == Some(&Value::Bool(true)) => {
            &["value"]
        }
        ResourceKind::Subscription => &["primaryKey", "secondaryKey"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{CertificateProperties, NamedValueProperties, SubscriptionProperties};

    fn path(text: &str) -> ResourcePath {
        text.parse().unwrap()
    }

    /// The names listed are the ones serde writes: renaming a field must not leave a secret
    /// stored in the clear.
    #[test]
    fn the_listed_names_are_the_serialized_names_of_the_secrets() {
        let certificate = CertificateProperties {
            thumbprint: "AB".into(),
            subject: "CN=x".into(),
            issuer: String::new(),
            expiration_date: String::new(),
            not_before: String::new(),
            certificate: "MIIB".into(),
            chain: Vec::new(),
            private_key: Some("key".into()),
        };
        let named: NamedValueProperties =
            serde_json::from_value(json!({"displayName": "n", "value": "v", "secret": true}))
                .unwrap();
        let subscription: SubscriptionProperties = serde_json::from_value(
            json!({"scope": "/apis", "primaryKey": "p", "secondaryKey": "s"}),
        )
        .unwrap();

        let cases = [
            (
                path("certificates/c"),
                serde_json::to_value(certificate).unwrap(),
                "key",
            ),
            (
                path("namedValues/n"),
                serde_json::to_value(named).unwrap(),
                "v",
            ),
            (
                path("subscriptions/s"),
                serde_json::to_value(subscription).unwrap(),
                "p",
            ),
        ];
        for (path, properties, secret) in cases {
            let names = secret_properties(&path, &properties);
            assert_eq!(properties[names[0]], json!(secret), "{path}");
            for name in names {
                assert!(properties.get(name).is_some(), "{path}: {name}");
            }
        }
    }

    #[test]
    fn only_secret_named_values_and_secret_bearing_kinds_are_listed() {
        let plain = json!({"displayName": "n", "value": "v", "secret": false});
        assert!(secret_properties(&path("namedValues/n"), &plain).is_empty());
        assert!(secret_properties(&path("apis/a"), &json!({"path": "a"})).is_empty());
        assert!(secret_properties(&path("certificateRevocationLists/c"), &json!({})).is_empty());
    }
}
