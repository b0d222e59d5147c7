//! The immutable configuration the data plane serves from.
//!
//! A [`Snapshot`] is built from the whole configuration whenever it changes: policies are
//! compiled and joined per operation and product, keys are indexed, certificates parsed. The
//! request path then only reads it; requests in flight keep the snapshot they started with.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use base64::Engine;
use gatehouse_cert::Certificate;
use gatehouse_expr::context::{self as cx, Str};
use gatehouse_model::{ApiProperties, Config, PolicyScope, SubscriptionScope, SubscriptionState};
use gatehouse_policy::compile::{
    Environment, PolicyDocument, ScopeLevel, check_fragment, compile_document_with,
};
use gatehouse_policy::pipeline::Pipeline;
use gatehouse_policy::reader::Diagnostic;
use gatehouse_policy::runtime::{BackendTls, ClientIdentity, ResponseExample, Url};
use thiserror::Error;
use time::OffsetDateTime;

use crate::forwarded::TrustedProxies;
use crate::hostnames::Hostnames;
use crate::routing::{OperationRoute, Routed, Router};
use crate::subscription::{KeyIndex, KeySlot, Scope, Subscription};
use crate::trust::SnapshotTrust;

/// Why a configuration cannot be served.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// A policy document does not compile.
    #[error("policy at {path} does not compile:\n{}", list(.diagnostics))]
    Policy {
        /// The policy's resource path.
        path: String,
        /// Every problem, with its line and column.
        diagnostics: Vec<Diagnostic>,
    },
    /// A stored certificate cannot be read.
    #[error("certificate '{id}' cannot be read: {reason}")]
    Certificate {
        /// The certificate's id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// An API's service URL cannot be parsed.
    #[error("API '{id}' has an invalid serviceUrl: {reason}")]
    ServiceUrl {
        /// The API's id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// A backend's URL cannot be parsed.
    #[error("backend '{id}' has an invalid url: {reason}")]
    BackendUrl {
        /// The backend's id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// A policy fragment does not compile.
    #[error("policy fragment '{id}' does not compile:\n{}", list(.diagnostics))]
    Fragment {
        /// The fragment's id.
        id: String,
        /// Every problem, with its line and column in the fragment.
        diagnostics: Vec<Diagnostic>,
    },
    /// A CA store entry names a certificate that cannot serve as a CA.
    #[error("certificate authority '{id}' cannot be used: {reason}")]
    CertificateAuthority {
        /// The entry's certificate id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// A revocation list cannot be read or was not issued by a CA of the store.
    #[error("certificate revocation list '{id}' cannot be used: {reason}")]
    Crl {
        /// The CRL's id.
        id: String,
        /// What is wrong, e.g. the issuer missing from the CA store.
        reason: String,
    },
    /// A hostname configuration's certificate cannot be served.
    #[error("hostname configuration '{id}' cannot be used: {reason}")]
    Hostname {
        /// The configuration's id.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// A trusted proxy entry does not validate.
    #[error("trusted proxy '{id}' cannot be used: {reason}")]
    TrustedProxy {
        /// The entry's id.
        id: String,
        /// What is wrong.
        reason: String,
    },
}

fn list(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// An API as the data plane serves it.
#[derive(Debug)]
pub struct ApiEntry {
    /// `context.Api`.
    pub info: Arc<cx::ApiInfo>,
    /// Where requests go unless a policy says otherwise.
    pub service_url: Option<Url>,
    /// Whether a key is required.
    pub subscription_required: bool,
    /// The products the API belongs to.
    pub products: HashSet<Arc<str>>,
}

/// An operation with its effective pipelines.
#[derive(Debug)]
pub struct OperationEntry {
    /// `context.Operation`.
    pub info: Arc<cx::OperationInfo>,
    /// The pipeline for calls outside any product (API-scoped, all-APIs or anonymous).
    pub pipeline: Arc<Pipeline>,
    /// The pipeline and product for calls through each product the API belongs to.
    pub by_product: HashMap<Arc<str>, (Arc<cx::ProductInfo>, Arc<Pipeline>)>,
    /// The documented responses, for `mock-response`.
    pub examples: Arc<[ResponseExample]>,
}

/// The serving configuration.
#[derive(Debug)]
pub struct Snapshot {
    router: Router<ApiEntry, OperationEntry>,
    keys: KeyIndex,
    deployment: Arc<cx::DeploymentInfo>,
    trust: Arc<SnapshotTrust>,
    hostnames: Hostnames,
    proxies: TrustedProxies,
}

impl Snapshot {
    /// An empty configuration: every request is a 404.
    pub fn empty() -> Self {
        Self {
            router: Router::default(),
            keys: KeyIndex::default(),
            deployment: Arc::default(),
            trust: Arc::default(),
            hostnames: Hostnames::default(),
            proxies: TrustedProxies::default(),
        }
    }

    /// Builds the serving configuration.
    ///
    /// # Errors
    /// The first resource that cannot be served (a policy that does not compile lists all
    /// of its problems).
    pub fn build(config: &Config) -> Result<Self, SnapshotError> {
        let deployment = deployment(config)?;
        let env = environment(config, &deployment)?;
        check_fragments(config, &env)?;
        let policies = compile_policies(config, &env)?;
        let products = product_infos(config);
        let mut router = Router::default();
        for (id, api) in &config.apis {
            let (entry, operations) = build_api(config, id, api, &policies, &products)?;
            router.add_api(&api.path, entry, operations);
        }
        Ok(Self {
            router,
            keys: index_keys(config),
            trust: Arc::new(SnapshotTrust::build(config, &deployment)?),
            deployment: Arc::new(deployment),
            hostnames: Hostnames::build(config)?,
            proxies: TrustedProxies::build(config)?,
        })
    }

    /// Routes a request.
    pub fn route(&self, method: &str, path: &str) -> Routed<'_, ApiEntry, OperationEntry> {
        self.router.route(method, path)
    }

    /// Every subscription key.
    pub fn keys(&self) -> &KeyIndex {
        &self.keys
    }

    /// `context.Deployment`.
    pub fn deployment(&self) -> &Arc<cx::DeploymentInfo> {
        &self.deployment
    }

    /// The CA store and CRLs.
    pub fn trust(&self) -> &Arc<SnapshotTrust> {
        &self.trust
    }

    /// The hostname configurations.
    pub fn hostnames(&self) -> &Hostnames {
        &self.hostnames
    }

    /// The proxies trusted to forward client certificates.
    pub fn proxies(&self) -> &TrustedProxies {
        &self.proxies
    }
}

/// What the policies of `config` may refer to, for checking one policy before it is stored.
///
/// # Errors
/// A stored certificate that cannot be read, or a backend whose URL cannot be parsed.
pub fn policy_environment(config: &Config) -> Result<Environment, SnapshotError> {
    environment(config, &deployment(config)?)
}

/// What policies may refer to: named values (by display name), fragments, backends and
/// uploaded certificates.
///
/// # Errors
/// A backend whose URL cannot be parsed.
pub fn environment(
    config: &Config,
    deployment: &cx::DeploymentInfo,
) -> Result<Environment, SnapshotError> {
    let mut env = Environment::new();
    for named in config.named_values.values() {
        env = env.with_named_value(&named.display_name, &named.value, named.secret);
    }
    for (id, fragment) in &config.policy_fragments {
        env = env.with_fragment(id, &fragment.value);
    }
    for (id, backend) in &config.backends {
        let url = Url::parse(&backend.url).map_err(|reason| SnapshotError::BackendUrl {
            id: id.clone(),
            reason,
        })?;
        env = env.with_backend_entity(id, url, backend_tls(backend));
    }
    for (id, certificate) in deployment.certificates.iter() {
        env = env.with_certificate(id, certificate.clone());
    }
    for (id, properties) in &config.certificates {
        if let Some(identity) = client_identity(id, properties)? {
            env = env.with_client_identity(id, identity);
        }
    }
    Ok(env)
}

/// A backend's TLS settings; both checks on unless the entity turns one off.
fn backend_tls(backend: &gatehouse_model::BackendProperties) -> BackendTls {
    let tls = backend.tls.unwrap_or_default();
    BackendTls {
        validate_certificate_chain: tls.validate_certificate_chain,
        validate_certificate_name: tls.validate_certificate_name,
    }
}

/// An uploaded certificate with its private key, as `authentication-certificate` presents it
/// to backends; `None` without a key.
fn client_identity(
    id: &str,
    properties: &gatehouse_model::CertificateProperties,
) -> Result<Option<ClientIdentity>, SnapshotError> {
    let Some(key) = &properties.private_key else {
        return Ok(None);
    };
    let failed = |reason: String| SnapshotError::Certificate {
        id: id.to_owned(),
        reason,
    };
    let decode = |b64: &str| base64::engine::general_purpose::STANDARD.decode(b64);
    let mut chain = vec![decode(&properties.certificate).map_err(|e| failed(e.to_string()))?];
    for der in &properties.chain {
        chain.push(decode(der).map_err(|e| failed(e.to_string()))?);
    }
    let key = decode(key).map_err(|e| failed(e.to_string()))?;
    Ok(Some(ClientIdentity {
        thumbprint: properties.thumbprint.as_str().into(),
        chain,
        key: key.into(),
    }))
}

/// Every fragment must compile on its own, even when no policy includes it yet.
fn check_fragments(config: &Config, env: &Environment) -> Result<(), SnapshotError> {
    for (id, fragment) in &config.policy_fragments {
        check_fragment(&fragment.value, env).map_err(|diagnostics| SnapshotError::Fragment {
            id: id.clone(),
            diagnostics,
        })?;
    }
    Ok(())
}

/// Compiles every policy document once.
fn compile_policies(
    config: &Config,
    env: &Environment,
) -> Result<BTreeMap<PolicyScope, PolicyDocument>, SnapshotError> {
    let mut compiled = BTreeMap::new();
    for (scope, policy) in &config.policies {
        let document =
            compile_document_with(&policy.value, level(scope), env).map_err(|diagnostics| {
                let path = gatehouse_model::ResourcePath::Policy(scope.clone()).to_string();
                SnapshotError::Policy { path, diagnostics }
            })?;
        compiled.insert(scope.clone(), document);
    }
    Ok(compiled)
}

/// The scope level a policy resource is written at.
pub fn level(scope: &PolicyScope) -> ScopeLevel {
    match scope {
        PolicyScope::Global => ScopeLevel::Global,
        PolicyScope::Product(_) => ScopeLevel::Product,
        PolicyScope::Api(_) => ScopeLevel::Api,
        PolicyScope::Operation(..) => ScopeLevel::Operation,
    }
}

fn build_api(
    config: &Config,
    id: &str,
    api: &ApiProperties,
    policies: &BTreeMap<PolicyScope, PolicyDocument>,
    products: &HashMap<String, Arc<cx::ProductInfo>>,
) -> Result<(ApiEntry, Vec<OperationRoute<OperationEntry>>), SnapshotError> {
    let service_url = match &api.service_url {
        Some(url) => Some(Url::parse(url).map_err(|reason| SnapshotError::ServiceUrl {
            id: id.to_owned(),
            reason,
        })?),
        None => None,
    };
    let api_products: Vec<&str> = config.products_of(id).collect();
    let entry = ApiEntry {
        info: Arc::new(api_info(id, api, service_url.as_ref())),
        service_url,
        subscription_required: api.subscription_required,
        products: api_products.iter().map(|p| Arc::from(*p)).collect(),
    };

    let global = policies.get(&PolicyScope::Global);
    let api_policy = policies.get(&PolicyScope::Api(id.to_owned()));
    let mut operations = Vec::new();
    for ((_, op_id), op) in config
        .operations
        .range((id.to_owned(), String::new())..)
        .take_while(|((a, _), _)| a == id)
    {
        let op_policy = policies.get(&PolicyScope::Operation(id.to_owned(), op_id.clone()));
        let by_product = api_products
            .iter()
            .filter_map(|p| products.get(*p).map(|info| (*p, info)))
            .map(|(p, info)| {
                let product_policy = policies.get(&PolicyScope::Product(p.to_owned()));
                let pipeline = Pipeline::join(global, product_policy, api_policy, op_policy);
                (Arc::from(p), (info.clone(), Arc::new(pipeline)))
            })
            .collect();
        let info = cx::OperationInfo {
            id: op_id.as_str().into(),
            method: op.method.as_str().into(),
            name: op.display_name.as_deref().unwrap_or(op_id).into(),
            url_template: op.url_template.as_str().into(),
        };
        let pipeline = Arc::new(Pipeline::join(global, None, api_policy, op_policy));
        let entry = OperationEntry {
            info: Arc::new(info),
            pipeline,
            by_product,
            examples: crate::examples::from_responses(&op.responses).into(),
        };
        operations.push(OperationRoute {
            method: op.method.clone(),
            template: op.url_template.clone(),
            value: entry,
        });
    }
    Ok((entry, operations))
}

fn api_info(id: &str, api: &ApiProperties, service_url: Option<&Url>) -> cx::ApiInfo {
    let names = &api.subscription_key_parameter_names;
    cx::ApiInfo {
        id: id.into(),
        name: api.display_name.as_deref().unwrap_or(id).into(),
        path: api.path.as_str().into(),
        protocols: api
            .protocols
            .iter()
            .map(|p| Str::from(p.as_str()))
            .collect(),
        service_url: service_url.map(gatehouse_policy::runtime::url_info),
        subscription_key_parameter_names: cx::KeyParameterNames {
            header: names.header.as_str().into(),
            query: names.query.as_str().into(),
        },
        revision: api.api_revision.as_deref().unwrap_or("1").into(),
        version: api.api_version.as_deref().map(Str::from),
        is_current_revision: true,
    }
}

fn product_infos(config: &Config) -> HashMap<String, Arc<cx::ProductInfo>> {
    let info = |(id, product): (&String, &gatehouse_model::ProductProperties)| {
        let state = match product.state {
            gatehouse_model::ProductState::Published => cx::ProductState::Published,
            gatehouse_model::ProductState::NotPublished => cx::ProductState::NotPublished,
        };
        let info = cx::ProductInfo {
            id: id.as_str().into(),
            name: product.display_name.as_deref().unwrap_or(id).into(),
            state,
            subscription_required: product.subscription_required,
            approval_required: product.approval_required,
            subscription_limit: product
                .subscriptions_limit
                .and_then(|l| i32::try_from(l).ok()),
            groups: Arc::new([]),
        };
        (id.clone(), Arc::new(info))
    };
    config.products.iter().map(info).collect()
}

fn index_keys(config: &Config) -> KeyIndex {
    let mut index = KeyIndex::default();
    for (id, properties) in &config.subscriptions {
        let Ok(scope) = properties.validate() else {
            continue;
        };
        let (primary, secondary) = (
            properties.primary_key.clone().unwrap_or_default(),
            properties.secondary_key.clone().unwrap_or_default(),
        );
        let info = |key: &str| {
            Arc::new(cx::SubscriptionInfo {
                id: id.as_str().into(),
                key: key.into(),
                name: properties.display_name.as_deref().unwrap_or(id).into(),
                primary_key: primary.as_str().into(),
                secondary_key: secondary.as_str().into(),
                created_date: created(properties.created_date.as_deref()),
                start_date: None,
                end_date: None,
            })
        };
        let subscription = Arc::new(Subscription {
            id: id.as_str().into(),
            scope: match scope {
                SubscriptionScope::AllApis => Scope::AllApis,
                SubscriptionScope::Api(a) => Scope::Api(a.into()),
                SubscriptionScope::Product(p) => Scope::Product(p.into()),
            },
            active: properties.state == SubscriptionState::Active,
            allow_tracing: properties.allow_tracing,
            certificates: properties.client_certificates.clone(),
            context: [info(&primary), info(&secondary)],
        });
        for (key, slot) in [
            (&primary, KeySlot::Primary),
            (&secondary, KeySlot::Secondary),
        ] {
            if !key.is_empty() {
                index.insert(key, slot, subscription.clone());
            }
        }
    }
    index
}

fn created(date: Option<&str>) -> OffsetDateTime {
    let parse =
        |d: &str| OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok();
    date.and_then(parse).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn deployment(config: &Config) -> Result<cx::DeploymentInfo, SnapshotError> {
    let mut certificates = Vec::with_capacity(config.certificates.len());
    for (id, properties) in &config.certificates {
        let failed = |reason: String| SnapshotError::Certificate {
            id: id.clone(),
            reason,
        };
        let der = base64::engine::general_purpose::STANDARD
            .decode(&properties.certificate)
            .map_err(|e| failed(e.to_string()))?;
        let certificate = Certificate::from_der(&der).map_err(|e| failed(e.to_string()))?;
        certificates.push((Str::from(id.as_str()), certificate));
    }
    Ok(cx::DeploymentInfo {
        gateway_id: "gatehouse".into(),
        region: "local".into(),
        service_name: "gatehouse".into(),
        certificates: certificates.into(),
    })
}
