//! The secret properties of stored documents: sealed on the way in, opened on the way out.
//!
//! Which properties are secrets is the model's knowledge ([`secret_properties`]); this module
//! only applies it, so the back-ends store and return sealed text without knowing.

use gatehouse_model::{ResourcePath, secret_properties};
use serde_json::Value;

use crate::StoreError;
use crate::seal::{SecretsKey, is_sealed};

/// The associated data a property is sealed with: its resource path and its name. Resource
/// names cannot contain `#`, so no two places share one.
fn place(path: &ResourcePath, property: &str) -> String {
    format!("{path}#{property}")
}

/// A copy of `properties` with every secret property sealed, for writing at `path`.
///
/// Every secret string is sealed, even one that already looks sealed: it is what the user
/// gave, and opening removes exactly one seal.
///
/// # Errors
/// [`StoreError::Seal`] when no nonce can be drawn.
pub(crate) fn seal_document(
    key: &SecretsKey,
    path: &ResourcePath,
    properties: &Value,
) -> Result<Value, StoreError> {
    let mut sealed = properties.clone();
    for &property in secret_properties(path, properties) {
        if let Some(Value::String(value)) = sealed.get_mut(property) {
            *value = key
                .seal(value, &place(path, property))
                .map_err(|cause| StoreError::Seal {
                    path: path.to_string(),
                    property,
                    cause,
                })?;
        }
    }
    Ok(sealed)
}

/// Opens the sealed secret properties of `properties`, stored at `path`, in place. Returns
/// whether a secret was still stored in the clear (written before sealing existed): those
/// are kept as they are, for the caller to seal.
///
/// A clear value that happens to start like a sealed one cannot be told apart from it; it
/// fails to open and is reported like a value sealed with another key.
///
/// # Errors
/// [`StoreError::Unseal`] naming the resource and property when a sealed value does not
/// open with `key`.
pub(crate) fn open_document(
    key: &SecretsKey,
    path: &ResourcePath,
    properties: &mut Value,
) -> Result<bool, StoreError> {
    let mut clear = false;
    for &property in secret_properties(path, properties) {
        let Some(Value::String(stored)) = properties.get_mut(property) else {
            continue;
        };
        if !is_sealed(stored) {
            clear = true;
            continue;
        }
        *stored = key
            .open(stored, &place(path, property))
            .map_err(|cause| StoreError::Unseal {
                path: path.to_string(),
                property,
                cause,
            })?;
    }
    Ok(clear)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn key() -> SecretsKey {
        SecretsKey::from_bytes(&[7; crate::seal::KEY_LEN]).unwrap()
    }

    fn path(text: &str) -> ResourcePath {
        text.parse().unwrap()
    }

    #[test]
    fn only_secret_properties_are_sealed_and_they_open_again() {
        let named = json!({"displayName": "n", "value": "hunter2", "secret": true});
        let at = path("namedValues/n");

        let mut sealed = seal_document(&key(), &at, &named).unwrap();

        assert_eq!(sealed["displayName"], "n");
        assert!(is_sealed(sealed["value"].as_str().unwrap()), "{sealed}");
        assert!(!open_document(&key(), &at, &mut sealed).unwrap());
        assert_eq!(sealed, named);
    }

    #[test]
    fn values_that_are_not_secret_stay_in_the_clear() {
        let named = json!({"displayName": "n", "value": "visible", "secret": false});

        let sealed = seal_document(&key(), &path("namedValues/n"), &named).unwrap();

        assert_eq!(sealed, named);
    }

    #[test]
    fn a_clear_secret_is_reported_and_left_for_the_caller() {
        let mut old = json!({"scope": "/apis", "primaryKey": "k1", "secondaryKey": "k2"});

        let clear = open_document(&key(), &path("subscriptions/s"), &mut old).unwrap();

        assert!(clear);
        assert_eq!(old["primaryKey"], "k1");
    }

    #[test]
    fn a_sealed_value_copied_to_another_property_or_resource_is_refused_by_name() {
        let at = path("subscriptions/a");
        let sealed = seal_document(
            &key(),
            &at,
            &json!({"scope": "/apis", "primaryKey": "k1", "secondaryKey": "k2"}),
        )
        .unwrap();
        let mut swapped = sealed.clone();
        swapped["secondaryKey"] = sealed["primaryKey"].clone();
        let mut moved = sealed;

        let error = open_document(&key(), &at, &mut swapped).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("'secondaryKey' of 'subscriptions/a'"),
            "{error}"
        );
        let error = open_document(&key(), &path("subscriptions/b"), &mut moved).unwrap_err();
        assert!(error.to_string().contains("subscriptions/b"), "{error}");
    }
}
