//! The whole configuration: every resource, typed, with references checked.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{
    ApiProperties, BackendProperties, CertificateAuthorityProperties, CertificateProperties,
    CrlProperties, HostnameConfigurationProperties, ModelError, NamedValueProperties,
    OperationProperties, PolicyFragmentProperties, PolicyProperties, PolicyScope,
    ProductProperties, ResourceKind, ResourcePath, SubscriptionProperties, TrustedProxyProperties,
};

/// One typed resource, as [`Config::set`] accepted it.
#[derive(Clone, Debug)]
pub enum Resource {
    /// `apis/{apiId}`
    Api(ApiProperties),
    /// `backends/{backendId}`
    Backend(BackendProperties),
    /// `certificateAuthorities/{certificateId}`
    CertificateAuthority(CertificateAuthorityProperties),
    /// `certificates/{certificateId}`
    Certificate(CertificateProperties),
    /// `certificateRevocationLists/{id}`
    Crl(CrlProperties),
    /// `hostnameConfigurations/{id}`
    HostnameConfiguration(HostnameConfigurationProperties),
    /// `namedValues/{namedValueId}`
    NamedValue(NamedValueProperties),
    /// `apis/{apiId}/operations/{operationId}`
    Operation(OperationProperties),
    /// A policy document.
    Policy(PolicyProperties),
    /// `policyFragments/{fragmentId}`
    PolicyFragment(PolicyFragmentProperties),
    /// `products/{productId}`
    Product(ProductProperties),
    /// `products/{productId}/apis/{apiId}`: a link without properties.
    ProductApi,
    /// `subscriptions/{subscriptionId}`
    Subscription(SubscriptionProperties),
    /// `trustedProxies/{id}`
    TrustedProxy(TrustedProxyProperties),
}

impl Resource {
    /// Parses and validates a `properties` object for the resource at `path`.
    ///
    /// # Errors
    /// [`ModelError::InvalidBody`] when the JSON does not fit, or the resource's own checks.
    pub fn parse(path: &ResourcePath, properties: Value) -> Result<Self, ModelError> {
        let resource = match path.kind() {
            ResourceKind::Api => {
                let mut api: ApiProperties = from_json(properties)?;
                api.validate()?;
                Self::Api(api)
            }
            ResourceKind::Operation => {
                let mut operation: OperationProperties = from_json(properties)?;
                operation.validate()?;
                Self::Operation(operation)
            }
            ResourceKind::Subscription => {
                let subscription: SubscriptionProperties = from_json(properties)?;
                subscription.validate()?;
                Self::Subscription(subscription)
            }
            ResourceKind::CertificateAuthority => {
                Self::CertificateAuthority(from_json(properties)?)
            }
            ResourceKind::Certificate => Self::Certificate(from_json(properties)?),
            ResourceKind::Crl => Self::Crl(from_json(properties)?),
            ResourceKind::HostnameConfiguration => {
                let mut hostname: HostnameConfigurationProperties = from_json(properties)?;
                hostname.validate()?;
                Self::HostnameConfiguration(hostname)
            }
            ResourceKind::TrustedProxy => {
                let proxy: TrustedProxyProperties = from_json(properties)?;
                proxy.validate()?;
                Self::TrustedProxy(proxy)
            }
            ResourceKind::Backend => {
                let backend: BackendProperties = from_json(properties)?;
                backend.validate()?;
                Self::Backend(backend)
            }
            ResourceKind::NamedValue => {
                let named: NamedValueProperties = from_json(properties)?;
                named.validate()?;
                Self::NamedValue(named)
            }
            ResourceKind::PolicyFragment => Self::PolicyFragment(from_json(properties)?),
            ResourceKind::Policy => Self::Policy(from_json(properties)?),
            ResourceKind::Product => Self::Product(from_json(properties)?),
            ResourceKind::ProductApi => Self::ProductApi,
        };
        Ok(resource)
    }
}

/// Every resource Gatehouse holds, keyed by name, in a stable order.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// APIs by id.
    pub apis: BTreeMap<String, ApiProperties>,
    /// Operations by (apiId, operationId).
    pub operations: BTreeMap<(String, String), OperationProperties>,
    /// Policy documents by scope.
    pub policies: BTreeMap<PolicyScope, PolicyProperties>,
    /// Products by id.
    pub products: BTreeMap<String, ProductProperties>,
    /// (productId, apiId) links.
    pub product_apis: BTreeSet<(String, String)>,
    /// Subscriptions by id.
    pub subscriptions: BTreeMap<String, SubscriptionProperties>,
    /// Uploaded certificates by id.
    pub certificates: BTreeMap<String, CertificateProperties>,
    /// CA store entries by certificate id.
    pub certificate_authorities: BTreeMap<String, CertificateAuthorityProperties>,
    /// Revocation lists by id.
    pub crls: BTreeMap<String, CrlProperties>,
    /// Server-name settings by id.
    pub hostname_configurations: BTreeMap<String, HostnameConfigurationProperties>,
    /// Proxies allowed to forward client certificates, by id.
    pub trusted_proxies: BTreeMap<String, TrustedProxyProperties>,
    /// Backends by id.
    pub backends: BTreeMap<String, BackendProperties>,
    /// Named values by id (policies reference them by display name).
    pub named_values: BTreeMap<String, NamedValueProperties>,
    /// Policy fragments by id.
    pub policy_fragments: BTreeMap<String, PolicyFragmentProperties>,
}

impl Config {
    /// Builds a configuration from stored documents, then checks that every reference resolves.
    ///
    /// # Errors
    /// The first document that does not parse (with its path), or a dangling reference.
    pub fn from_documents(
        documents: impl IntoIterator<Item = (ResourcePath, Value)>,
    ) -> Result<Self, ModelError> {
        let mut config = Self::default();
        for (path, properties) in documents {
            let resource = Resource::parse(&path, properties)
                .map_err(|e| ModelError::InvalidBody(format!("{path}: {e}")))?;
            config.insert(&path, resource);
        }
        config.check_references()?;
        Ok(config)
    }

    /// Creates or replaces the resource at `path`, checking it against the rest.
    /// On error the configuration is unchanged.
    ///
    /// # Errors
    /// A missing parent or referenced resource, or a uniqueness conflict.
    pub fn set(&mut self, path: &ResourcePath, resource: Resource) -> Result<(), ModelError> {
        let mut next = self.clone();
        next.insert(path, resource);
        next.check_references()?;
        *self = next;
        Ok(())
    }

    /// Removes the resource at `path` and everything that belongs to it (an API's operations,
    /// policies and product links). Returns every removed path; empty when nothing was there.
    ///
    /// # Errors
    /// [`ModelError::Conflict`] when something that outlives the resource still refers to it
    /// (a subscription scoped to a product or API, a CA entry naming a certificate).
    pub fn remove(&mut self, path: &ResourcePath) -> Result<Vec<ResourcePath>, ModelError> {
        if !self.contains(path) {
            return Ok(Vec::new());
        }
        let removed: Vec<ResourcePath> = self
            .paths()
            .into_iter()
            .filter(|p| p == path || belongs_to(p, path))
            .collect();

        let mut next = self.clone();
        for p in &removed {
            next.delete(p);
        }
        next.check_references().map_err(|e| still_used(path, e))?;
        *self = next;
        Ok(removed)
    }

    /// Whether a resource exists at `path`.
    pub fn contains(&self, path: &ResourcePath) -> bool {
        self.get(path).is_some()
    }

    /// The stored `properties` of the resource at `path`, as JSON.
    pub fn get(&self, path: &ResourcePath) -> Option<Value> {
        match path {
            ResourcePath::Api(a) => self.apis.get(a).map(to_json),
            ResourcePath::CertificateAuthority(c) => {
                self.certificate_authorities.get(c).map(to_json)
            }
            ResourcePath::Certificate(c) => self.certificates.get(c).map(to_json),
            ResourcePath::Crl(c) => self.crls.get(c).map(to_json),
            ResourcePath::HostnameConfiguration(h) => {
                self.hostname_configurations.get(h).map(to_json)
            }
            ResourcePath::TrustedProxy(t) => self.trusted_proxies.get(t).map(to_json),
            ResourcePath::Backend(b) => self.backends.get(b).map(to_json),
            ResourcePath::NamedValue(n) => self.named_values.get(n).map(to_json),
            ResourcePath::PolicyFragment(p) => self.policy_fragments.get(p).map(to_json),
            ResourcePath::Operation(a, o) => {
                self.operations.get(&(a.clone(), o.clone())).map(to_json)
            }
            ResourcePath::Policy(scope) => self.policies.get(scope).map(to_json),
            ResourcePath::Product(p) => self.products.get(p).map(to_json),
            ResourcePath::ProductApi(p, a) => self
                .product_apis
                .contains(&(p.clone(), a.clone()))
                .then(|| Value::Object(Default::default())),
            ResourcePath::Subscription(s) => self.subscriptions.get(s).map(to_json),
        }
    }

    /// Every resource path, in a stable order.
    pub fn paths(&self) -> Vec<ResourcePath> {
        let mut paths = Vec::new();
        paths.extend(self.apis.keys().map(|a| ResourcePath::Api(a.clone())));
        paths.extend(
            self.certificate_authorities
                .keys()
                .map(|c| ResourcePath::CertificateAuthority(c.clone())),
        );
        paths.extend(
            self.certificates
                .keys()
                .map(|c| ResourcePath::Certificate(c.clone())),
        );
        paths.extend(self.crls.keys().map(|c| ResourcePath::Crl(c.clone())));
        paths.extend(
            self.hostname_configurations
                .keys()
                .map(|h| ResourcePath::HostnameConfiguration(h.clone())),
        );
        paths.extend(
            self.trusted_proxies
                .keys()
                .map(|t| ResourcePath::TrustedProxy(t.clone())),
        );
        paths.extend(
            self.backends
                .keys()
                .map(|b| ResourcePath::Backend(b.clone())),
        );
        paths.extend(
            self.named_values
                .keys()
                .map(|n| ResourcePath::NamedValue(n.clone())),
        );
        paths.extend(
            self.policy_fragments
                .keys()
                .map(|p| ResourcePath::PolicyFragment(p.clone())),
        );
        paths.extend(
            self.operations
                .keys()
                .map(|(a, o)| ResourcePath::Operation(a.clone(), o.clone())),
        );
        paths.extend(
            self.policies
                .keys()
                .map(|s| ResourcePath::Policy(s.clone())),
        );
        paths.extend(
            self.products
                .keys()
                .map(|p| ResourcePath::Product(p.clone())),
        );
        paths.extend(
            self.product_apis
                .iter()
                .map(|(p, a)| ResourcePath::ProductApi(p.clone(), a.clone())),
        );
        paths.extend(
            self.subscriptions
                .keys()
                .map(|s| ResourcePath::Subscription(s.clone())),
        );
        paths
    }

    /// The products an API belongs to.
    pub fn products_of(&self, api: &str) -> impl Iterator<Item = &str> {
        self.product_apis
            .iter()
            .filter(move |(_, a)| a == api)
            .map(|(p, _)| p.as_str())
    }

    fn insert(&mut self, path: &ResourcePath, resource: Resource) {
        match (path, resource) {
            (ResourcePath::Api(a), Resource::Api(r)) => _ = self.apis.insert(a.clone(), r),
            (ResourcePath::CertificateAuthority(c), Resource::CertificateAuthority(r)) => {
                _ = self.certificate_authorities.insert(c.clone(), r)
            }
            (ResourcePath::Certificate(c), Resource::Certificate(r)) => {
                _ = self.certificates.insert(c.clone(), r)
            }
            (ResourcePath::Crl(c), Resource::Crl(r)) => _ = self.crls.insert(c.clone(), r),
            (ResourcePath::HostnameConfiguration(h), Resource::HostnameConfiguration(r)) => {
                _ = self.hostname_configurations.insert(h.clone(), r)
            }
            (ResourcePath::TrustedProxy(t), Resource::TrustedProxy(r)) => {
                _ = self.trusted_proxies.insert(t.clone(), r)
            }
            (ResourcePath::Backend(b), Resource::Backend(r)) => {
                _ = self.backends.insert(b.clone(), r)
            }
            (ResourcePath::NamedValue(n), Resource::NamedValue(r)) => {
                _ = self.named_values.insert(n.clone(), r)
            }
            (ResourcePath::PolicyFragment(p), Resource::PolicyFragment(r)) => {
                _ = self.policy_fragments.insert(p.clone(), r)
            }
            (ResourcePath::Operation(a, o), Resource::Operation(r)) => {
                _ = self.operations.insert((a.clone(), o.clone()), r)
            }
            (ResourcePath::Policy(s), Resource::Policy(r)) => {
                _ = self.policies.insert(s.clone(), r)
            }
            (ResourcePath::Product(p), Resource::Product(r)) => {
                _ = self.products.insert(p.clone(), r)
            }
            (ResourcePath::ProductApi(p, a), Resource::ProductApi) => {
                _ = self.product_apis.insert((p.clone(), a.clone()))
            }
            (ResourcePath::Subscription(s), Resource::Subscription(r)) => {
                _ = self.subscriptions.insert(s.clone(), r)
            }
            // Resource::parse builds the variant from the path's kind, so they always agree.
            _ => {}
        }
    }

    fn delete(&mut self, path: &ResourcePath) {
        match path {
            ResourcePath::Api(a) => _ = self.apis.remove(a),
            ResourcePath::CertificateAuthority(c) => _ = self.certificate_authorities.remove(c),
            ResourcePath::Certificate(c) => _ = self.certificates.remove(c),
            ResourcePath::Crl(c) => _ = self.crls.remove(c),
            ResourcePath::HostnameConfiguration(h) => _ = self.hostname_configurations.remove(h),
            ResourcePath::TrustedProxy(t) => _ = self.trusted_proxies.remove(t),
            ResourcePath::Backend(b) => _ = self.backends.remove(b),
            ResourcePath::NamedValue(n) => _ = self.named_values.remove(n),
            ResourcePath::PolicyFragment(p) => _ = self.policy_fragments.remove(p),
            ResourcePath::Operation(a, o) => _ = self.operations.remove(&(a.clone(), o.clone())),
            ResourcePath::Policy(s) => _ = self.policies.remove(s),
            ResourcePath::Product(p) => _ = self.products.remove(p),
            ResourcePath::ProductApi(p, a) => _ = self.product_apis.remove(&(p.clone(), a.clone())),
            ResourcePath::Subscription(s) => _ = self.subscriptions.remove(s),
        }
    }

    fn check_references(&self) -> Result<(), ModelError> {
        for path in self.paths() {
            if let Some(parent) = path.parent() {
                require(self.contains(&parent), &path, &parent)?;
            }
            self.check_links(&path)?;
        }
        self.check_unique_api_paths()?;
        self.check_unique_named_values()?;
        crate::hostname::check_unique(&self.hostname_configurations)?;
        self.check_unique_keys()
    }

    /// Policies reference named values by display name, so two must not share one.
    fn check_unique_named_values(&self) -> Result<(), ModelError> {
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for (id, named) in &self.named_values {
            if let Some(other) = seen.insert(named.display_name.as_str(), id.as_str()) {
                return Err(ModelError::Conflict(format!(
                    "named values '{other}' and '{id}' both use the display name '{}'",
                    named.display_name
                )));
            }
        }
        Ok(())
    }

    fn check_links(&self, path: &ResourcePath) -> Result<(), ModelError> {
        match path {
            ResourcePath::ProductApi(_, api) => {
                let target = ResourcePath::Api(api.clone());
                require(self.contains(&target), path, &target)
            }
            ResourcePath::CertificateAuthority(c) => {
                let target = ResourcePath::Certificate(c.clone());
                require(self.contains(&target), path, &target)
            }
            ResourcePath::HostnameConfiguration(h) => {
                let certificate = self.hostname_configurations[h].certificate_id.clone();
                let target = certificate.map(ResourcePath::Certificate);
                target.map_or(Ok(()), |t| require(self.contains(&t), path, &t))
            }
            ResourcePath::Subscription(s) => {
                self.check_subscription_scope(path, &self.subscriptions[s])
            }
            _ => Ok(()),
        }
    }

    fn check_subscription_scope(
        &self,
        path: &ResourcePath,
        subscription: &SubscriptionProperties,
    ) -> Result<(), ModelError> {
        let target = match subscription.validate()? {
            crate::SubscriptionScope::AllApis => return Ok(()),
            crate::SubscriptionScope::Api(a) => ResourcePath::Api(a),
            crate::SubscriptionScope::Product(p) => ResourcePath::Product(p),
        };
        require(self.contains(&target), path, &target)
    }

    fn check_unique_api_paths(&self) -> Result<(), ModelError> {
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for (id, api) in &self.apis {
            if let Some(other) = seen.insert(api.path.as_str(), id.as_str()) {
                return Err(ModelError::Conflict(format!(
                    "APIs '{other}' and '{id}' both use the path '/{}'",
                    api.path
                )));
            }
        }
        Ok(())
    }

    fn check_unique_keys(&self) -> Result<(), ModelError> {
        let mut seen = BTreeSet::new();
        for (id, subscription) in &self.subscriptions {
            let keys = [&subscription.primary_key, &subscription.secondary_key];
            for key in keys.into_iter().flatten() {
                if !seen.insert(key.as_str()) {
                    return Err(ModelError::Conflict(format!(
                        "subscription '{id}' reuses a key that another subscription already has"
                    )));
                }
            }
        }
        Ok(())
    }
}

/// Why `path` cannot be deleted: what still refers to it (or to something that goes with it).
fn still_used(path: &ResourcePath, error: ModelError) -> ModelError {
    match error {
        ModelError::MissingReference { from, to } => ModelError::Conflict(format!(
            "cannot delete {path}: {from} still refers to {to}; change or delete {from} first"
        )),
        other => ModelError::Conflict(format!("cannot delete {path}: {other}")),
    }
}

/// Whether `path` is owned by `owner` and goes when it goes.
fn belongs_to(path: &ResourcePath, owner: &ResourcePath) -> bool {
    let mut current = path.parent();
    while let Some(parent) = current {
        if &parent == owner {
            return true;
        }
        current = parent.parent();
    }
    matches!((path, owner), (ResourcePath::ProductApi(_, a), ResourcePath::Api(b)) if a == b)
}

fn require(exists: bool, from: &ResourcePath, to: &ResourcePath) -> Result<(), ModelError> {
    if exists {
        return Ok(());
    }
    Err(ModelError::MissingReference {
        from: from.to_string(),
        to: to.to_string(),
    })
}

fn from_json<T: DeserializeOwned>(properties: Value) -> Result<T, ModelError> {
    serde_json::from_value(properties).map_err(|e| ModelError::InvalidBody(e.to_string()))
}

fn to_json<T: Serialize>(value: &T) -> Value {
    // Serialising these plain structs cannot fail: no maps with non-string keys, no floats.
    serde_json::to_value(value).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn path(text: &str) -> ResourcePath {
        text.parse().unwrap()
    }

    fn set(config: &mut Config, text: &str, properties: Value) -> Result<(), ModelError> {
        let p = path(text);
        let resource = Resource::parse(&p, properties)?;
        config.set(&p, resource)
    }

    fn echo_config() -> Config {
        let mut config = Config::default();
        set(&mut config, "apis/echo-api", json!({"path": "echo"})).unwrap();
        set(
            &mut config,
            "apis/echo-api/operations/get",
            json!({"method": "GET", "urlTemplate": "/resource"}),
        )
        .unwrap();
        set(&mut config, "products/starter", json!({})).unwrap();
        set(&mut config, "products/starter/apis/echo-api", json!({})).unwrap();
        config
    }

    #[test]
    fn children_need_their_parent() {
        let mut config = Config::default();
        let error = set(
            &mut config,
            "apis/x/operations/y",
            json!({"method": "GET", "urlTemplate": "/"}),
        );
        assert!(
            matches!(error, Err(ModelError::MissingReference { .. })),
            "{error:?}"
        );
        assert!(
            config.operations.is_empty(),
            "a refused change leaves nothing behind"
        );
    }

    #[test]
    fn deleting_an_api_takes_its_operations_policies_and_links() {
        let mut config = echo_config();
        set(
            &mut config,
            "apis/echo-api/policies/policy",
            json!({"value": "<policies/>"}),
        )
        .unwrap();

        let removed = config.remove(&path("apis/echo-api")).unwrap();

        assert_eq!(removed.len(), 4, "{removed:?}");
        assert!(config.apis.is_empty() && config.operations.is_empty());
        assert!(config.policies.is_empty() && config.product_apis.is_empty());
        assert!(config.products.contains_key("starter"));
    }

    #[test]
    fn a_product_with_subscriptions_cannot_be_deleted() {
        let mut config = echo_config();
        set(
            &mut config,
            "subscriptions/demo",
            json!({"scope": "/products/starter"}),
        )
        .unwrap();

        let error = config.remove(&path("products/starter")).unwrap_err();

        assert!(error.to_string().contains("subscriptions/demo"), "{error}");
        assert!(
            error
                .to_string()
                .contains("still refers to products/starter"),
            "the message says what still uses it: {error}"
        );
        assert!(config.products.contains_key("starter"));
    }

    #[test]
    fn two_apis_cannot_share_a_path() {
        let mut config = echo_config();
        let error = set(&mut config, "apis/other", json!({"path": "/echo"})).unwrap_err();
        assert!(matches!(error, ModelError::Conflict(_)), "{error}");
    }

    #[test]
    fn two_subscriptions_cannot_share_a_key() {
        let mut config = echo_config();
        set(
            &mut config,
            "subscriptions/a",
            json!({"scope": "/apis", "primaryKey": "k1"}),
        )
        .unwrap();
        let error = set(
            &mut config,
            "subscriptions/b",
            json!({"scope": "/apis", "secondaryKey": "k1"}),
        );
        assert!(matches!(error, Err(ModelError::Conflict(_))), "{error:?}");
    }

    #[test]
    fn documents_round_trip_through_get() {
        let config = echo_config();
        let documents: Vec<_> = config
            .paths()
            .into_iter()
            .map(|p| {
                let body = config.get(&p).unwrap();
                (p, body)
            })
            .collect();

        let reloaded = Config::from_documents(documents).unwrap();

        assert_eq!(reloaded.paths(), config.paths());
        assert_eq!(reloaded.apis, config.apis);
    }
}
