//! Resource paths: where each resource lives, mirroring APIM's REST paths.

use std::fmt;
use std::str::FromStr;

use crate::{ModelError, validate_id};

/// The scope a policy document is attached to, broadest first.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyScope {
    /// `policies/policy`: every API.
    Global,
    /// `products/{productId}/policies/policy`.
    Product(String),
    /// `apis/{apiId}/policies/policy`.
    Api(String),
    /// `apis/{apiId}/operations/{operationId}/policies/policy`.
    Operation(String, String),
}

impl PolicyScope {
    /// The scope's name as APIM reports it in `context.LastError.Scope`.
    pub fn level(&self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::Product(_) => "product",
            Self::Api(_) => "api",
            Self::Operation(..) => "operation",
        }
    }
}

/// Every kind of resource Gatehouse stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// An API.
    Api,
    /// A backend service.
    Backend,
    /// A trusted CA or intermediate, naming an uploaded certificate.
    CertificateAuthority,
    /// An uploaded certificate.
    Certificate,
    /// An uploaded certificate revocation list.
    Crl,
    /// Server-name (SNI) settings: server certificate and client-certificate negotiation.
    HostnameConfiguration,
    /// An operation of an API.
    Operation,
    /// A named value.
    NamedValue,
    /// A policy document at some scope.
    Policy,
    /// A policy fragment.
    PolicyFragment,
    /// A product.
    Product,
    /// The link that puts an API into a product.
    ProductApi,
    /// A subscription and its keys.
    Subscription,
    /// A TLS-terminating proxy allowed to forward client certificates in headers.
    TrustedProxy,
}

/// A parsed, validated resource path such as `apis/echo-api/operations/retrieve-resource`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourcePath {
    /// `apis/{apiId}`
    Api(String),
    /// `backends/{backendId}`
    Backend(String),
    /// `certificateAuthorities/{certificateId}`
    CertificateAuthority(String),
    /// `certificates/{certificateId}`
    Certificate(String),
    /// `certificateRevocationLists/{id}`
    Crl(String),
    /// `hostnameConfigurations/{id}`
    HostnameConfiguration(String),
    /// `namedValues/{namedValueId}`
    NamedValue(String),
    /// `apis/{apiId}/operations/{operationId}`
    Operation(String, String),
    /// `.../policies/policy` at some scope.
    Policy(PolicyScope),
    /// `policyFragments/{fragmentId}`
    PolicyFragment(String),
    /// `products/{productId}`
    Product(String),
    /// `products/{productId}/apis/{apiId}`
    ProductApi(String, String),
    /// `subscriptions/{subscriptionId}`
    Subscription(String),
    /// `trustedProxies/{id}`
    TrustedProxy(String),
}

impl ResourcePath {
    /// The kind of resource at this path.
    pub fn kind(&self) -> ResourceKind {
        match self {
            Self::Api(_) => ResourceKind::Api,
            Self::Backend(_) => ResourceKind::Backend,
            Self::CertificateAuthority(_) => ResourceKind::CertificateAuthority,
            Self::Certificate(_) => ResourceKind::Certificate,
            Self::Crl(_) => ResourceKind::Crl,
            Self::HostnameConfiguration(_) => ResourceKind::HostnameConfiguration,
            Self::NamedValue(_) => ResourceKind::NamedValue,
            Self::Operation(..) => ResourceKind::Operation,
            Self::Policy(_) => ResourceKind::Policy,
            Self::PolicyFragment(_) => ResourceKind::PolicyFragment,
            Self::Product(_) => ResourceKind::Product,
            Self::ProductApi(..) => ResourceKind::ProductApi,
            Self::Subscription(_) => ResourceKind::Subscription,
            Self::TrustedProxy(_) => ResourceKind::TrustedProxy,
        }
    }

    /// The last segment: the resource's own name (`policy` for policies).
    pub fn name(&self) -> &str {
        match self {
            Self::Api(id)
            | Self::Backend(id)
            | Self::NamedValue(id)
            | Self::PolicyFragment(id)
            | Self::CertificateAuthority(id)
            | Self::Certificate(id)
            | Self::Crl(id)
            | Self::HostnameConfiguration(id)
            | Self::TrustedProxy(id)
            | Self::Product(id)
            | Self::Subscription(id)
            | Self::Operation(_, id)
            | Self::ProductApi(_, id) => id,
            Self::Policy(_) => "policy",
        }
    }

    /// The collection name APIM puts in a resource's `type`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Api(_) => "apis",
            Self::Backend(_) => "backends",
            Self::NamedValue(_) => "namedValues",
            Self::PolicyFragment(_) => "policyFragments",
            Self::CertificateAuthority(_) => "certificateAuthorities",
            Self::Certificate(_) => "certificates",
            Self::Crl(_) => "certificateRevocationLists",
            Self::HostnameConfiguration(_) => "hostnameConfigurations",
            Self::TrustedProxy(_) => "trustedProxies",
            Self::Operation(..) => "operations",
            Self::Policy(_) => "policies",
            Self::Product(_) => "products",
            Self::ProductApi(..) => "apis",
            Self::Subscription(_) => "subscriptions",
        }
    }

    /// The path of the resource this one belongs to and must not outlive, if any.
    pub fn parent(&self) -> Option<Self> {
        match self {
            Self::Operation(api, _) => Some(Self::Api(api.clone())),
            Self::ProductApi(product, _) => Some(Self::Product(product.clone())),
            Self::Policy(PolicyScope::Product(p)) => Some(Self::Product(p.clone())),
            Self::Policy(PolicyScope::Api(a)) => Some(Self::Api(a.clone())),
            Self::Policy(PolicyScope::Operation(a, o)) => {
                Some(Self::Operation(a.clone(), o.clone()))
            }
            _ => None,
        }
    }
}

impl fmt::Display for ResourcePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api(a) => write!(f, "apis/{a}"),
            Self::Backend(b) => write!(f, "backends/{b}"),
            Self::NamedValue(n) => write!(f, "namedValues/{n}"),
            Self::PolicyFragment(p) => write!(f, "policyFragments/{p}"),
            Self::CertificateAuthority(c) => write!(f, "certificateAuthorities/{c}"),
            Self::Certificate(c) => write!(f, "certificates/{c}"),
            Self::Crl(c) => write!(f, "certificateRevocationLists/{c}"),
            Self::HostnameConfiguration(h) => write!(f, "hostnameConfigurations/{h}"),
            Self::TrustedProxy(t) => write!(f, "trustedProxies/{t}"),
            Self::Operation(a, o) => write!(f, "apis/{a}/operations/{o}"),
            Self::Policy(PolicyScope::Global) => f.write_str("policies/policy"),
            Self::Policy(PolicyScope::Product(p)) => write!(f, "products/{p}/policies/policy"),
            Self::Policy(PolicyScope::Api(a)) => write!(f, "apis/{a}/policies/policy"),
            Self::Policy(PolicyScope::Operation(a, o)) => {
                write!(f, "apis/{a}/operations/{o}/policies/policy")
            }
            Self::Product(p) => write!(f, "products/{p}"),
            Self::ProductApi(p, a) => write!(f, "products/{p}/apis/{a}"),
            Self::Subscription(s) => write!(f, "subscriptions/{s}"),
        }
    }
}

impl FromStr for ResourcePath {
    type Err = ModelError;

    /// Parses `apis/echo-api`, `/apis/echo-api/policies/policy` and the like. A leading or
    /// trailing `/` is ignored; names are validated.
    fn from_str(path: &str) -> Result<Self, ModelError> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let unknown = || ModelError::UnknownPath(path.to_owned());
        let parsed = match segments.as_slice() {
            ["apis", a] => Self::Api(id("apiId", a)?),
            ["apis", a, "policies", "policy"] => Self::Policy(PolicyScope::Api(id("apiId", a)?)),
            ["apis", a, "operations", o] => Self::Operation(id("apiId", a)?, id("operationId", o)?),
            ["apis", a, "operations", o, "policies", "policy"] => Self::Policy(
                PolicyScope::Operation(id("apiId", a)?, id("operationId", o)?),
            ),
            ["backends", b] => Self::Backend(id("backendId", b)?),
            ["namedValues", n] => Self::NamedValue(id("namedValueId", n)?),
            ["policyFragments", p] => Self::PolicyFragment(id("fragmentId", p)?),
            ["certificateAuthorities", c] => Self::CertificateAuthority(id("certificateId", c)?),
            ["certificates", c] => Self::Certificate(id("certificateId", c)?),
            ["certificateRevocationLists", c] => Self::Crl(id("crlId", c)?),
            ["hostnameConfigurations", h] => {
                Self::HostnameConfiguration(id("hostnameConfigurationId", h)?)
            }
            ["trustedProxies", t] => Self::TrustedProxy(id("trustedProxyId", t)?),
            ["policies", "policy"] => Self::Policy(PolicyScope::Global),
            ["products", p] => Self::Product(id("productId", p)?),
            ["products", p, "apis", a] => Self::ProductApi(id("productId", p)?, id("apiId", a)?),
            ["products", p, "policies", "policy"] => {
                Self::Policy(PolicyScope::Product(id("productId", p)?))
            }
            ["subscriptions", s] => Self::Subscription(id("subscriptionId", s)?),
            _ => return Err(unknown()),
        };
        Ok(parsed)
    }
}

fn id(what: &'static str, value: &str) -> Result<String, ModelError> {
    validate_id(what, value)?;
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_round_trips_through_its_text() {
        let paths = [
            "apis/echo-api",
            "apis/echo-api/operations/retrieve-resource",
            "apis/echo-api/operations/retrieve-resource/policies/policy",
            "apis/echo-api/policies/policy",
            "policies/policy",
            "products/starter",
            "products/starter/apis/echo-api",
            "products/starter/policies/policy",
            "subscriptions/demo",
            "certificates/client-a",
            "certificateAuthorities/root",
            "certificateRevocationLists/root-crl",
            "hostnameConfigurations/api",
            "trustedProxies/edge",
            "backends/orders",
            "namedValues/backend-url",
            "policyFragments/cors-defaults",
        ];
        for text in paths {
            let path: ResourcePath = text.parse().unwrap();
            assert_eq!(path.to_string(), text);
        }
    }

    #[test]
    fn unknown_or_malformed_paths_are_refused() {
        for text in [
            "",
            "apis",
            "apis/a/b",
            "things/x",
            "apis/bad name",
            "policies/other",
        ] {
            assert!(text.parse::<ResourcePath>().is_err(), "{text}");
        }
    }

    #[test]
    fn leading_slash_is_accepted_like_apim_scopes() {
        let path: ResourcePath = "/apis/echo-api/".parse().unwrap();
        assert_eq!(path, ResourcePath::Api("echo-api".into()));
    }
}
