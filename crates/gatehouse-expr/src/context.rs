//! Plain data behind APIM's `context` object.
//!
//! The static parts of `context` (the API, operation, product, subscription, user and deployment
//! a request resolved to) change only when configuration changes, so they are plain structs with
//! shared (`Arc<str>`) fields: the gateway builds them once into its immutable configuration
//! snapshot and a [`Host`](crate::Host) hands out references, allocating nothing per request.
//! Request and response parts (method, URL, headers, body) change during the pipeline and are
//! read through the `Host` trait instead.

use std::sync::Arc;

use gatehouse_cert::Certificate;
use time::OffsetDateTime;

/// A shared immutable string: what every text member of the context model is made of.
pub type Str = Arc<str>;

/// `context.Api`.
#[derive(Clone, Debug, Default)]
pub struct ApiInfo {
    pub id: Str,
    pub name: Str,
    pub path: Str,
    /// `Protocols`: `http`, `https`, `ws`, `wss`.
    pub protocols: Arc<[Str]>,
    /// `ServiceUrl`: the backend the API forwards to.
    pub service_url: Option<UrlInfo>,
    pub subscription_key_parameter_names: KeyParameterNames,
    pub revision: Str,
    /// `Version`: null for an API outside a version set.
    pub version: Option<Str>,
    pub is_current_revision: bool,
}

/// `context.Api.SubscriptionKeyParameterNames`.
#[derive(Clone, Debug)]
pub struct KeyParameterNames {
    pub header: Str,
    pub query: Str,
}

impl Default for KeyParameterNames {
    /// APIM's defaults: `Ocp-Apim-Subscription-Key` and `subscription-key`.
    fn default() -> Self {
        Self {
            header: "Ocp-Apim-Subscription-Key".into(),
            query: "subscription-key".into(),
        }
    }
}

/// `context.Operation`.
#[derive(Clone, Debug, Default)]
pub struct OperationInfo {
    pub id: Str,
    pub method: Str,
    pub name: Str,
    pub url_template: Str,
}

/// `context.Product.State`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProductState {
    NotPublished,
    #[default]
    Published,
}

/// A member of `Product.Groups` or `User.Groups`.
#[derive(Clone, Debug, Default)]
pub struct GroupInfo {
    pub id: Str,
    pub name: Str,
}

/// `context.Product`.
#[derive(Clone, Debug, Default)]
pub struct ProductInfo {
    pub id: Str,
    pub name: Str,
    pub state: ProductState,
    pub subscription_required: bool,
    pub approval_required: bool,
    /// `SubscriptionLimit` (`int?`): `None` means unlimited.
    pub subscription_limit: Option<i32>,
    pub groups: Arc<[GroupInfo]>,
}

/// `context.Subscription`.
#[derive(Clone, Debug)]
pub struct SubscriptionInfo {
    pub id: Str,
    /// `Key`: the key the caller presented.
    pub key: Str,
    pub name: Str,
    pub primary_key: Str,
    pub secondary_key: Str,
    pub created_date: OffsetDateTime,
    pub start_date: Option<OffsetDateTime>,
    pub end_date: Option<OffsetDateTime>,
}

/// One entry of `context.User.Identities`.
#[derive(Clone, Debug, Default)]
pub struct UserIdentity {
    pub id: Str,
    pub provider: Str,
}

/// `context.User`.
#[derive(Clone, Debug)]
pub struct UserInfo {
    pub id: Str,
    pub email: Str,
    pub first_name: Str,
    pub last_name: Str,
    pub note: Str,
    pub registration_date: OffsetDateTime,
    pub groups: Arc<[GroupInfo]>,
    pub identities: Arc<[UserIdentity]>,
}

/// `context.Deployment`.
#[derive(Clone, Debug)]
pub struct DeploymentInfo {
    /// `GatewayId`: `managed` for the managed gateway, the gateway's id otherwise.
    pub gateway_id: Str,
    pub region: Str,
    pub service_name: Str,
    /// `Certificates`: uploaded certificates keyed by certificate id, in a stable order.
    pub certificates: Arc<[(Str, Certificate)]>,
}

impl Default for DeploymentInfo {
    fn default() -> Self {
        Self {
            gateway_id: "managed".into(),
            region: Str::from(""),
            service_name: Str::from(""),
            certificates: Arc::new([]),
        }
    }
}

/// `context.LastError`: the error that sent the pipeline to `on-error`.
#[derive(Clone, Debug, Default)]
pub struct LastErrorInfo {
    pub source: Str,
    pub reason: Str,
    pub message: Str,
    /// `global`, `product`, `api` or `operation`.
    pub scope: Str,
    /// `inbound`, `backend`, `outbound` or `on-error`.
    pub section: Str,
    /// e.g. `choose[3]/when[2]`.
    pub path: Str,
    pub policy_id: Str,
}

/// An `IUrl`: `context.Request.Url`, `OriginalUrl`, `Api.ServiceUrl`.
#[derive(Clone, Debug, Default)]
pub struct UrlInfo {
    pub scheme: Str,
    pub host: Str,
    pub port: i32,
    /// The path, starting with `/`.
    pub path: Str,
    /// Query parameters in order, each with all its values.
    pub query: Arc<[(Str, Arc<[Str]>)]>,
    /// `QueryString`: the query as written, with its leading `?`, or empty.
    pub query_string: Str,
}

impl UrlInfo {
    /// The URL as `IUrl.ToString()` prints it: the port only when it is not the scheme default.
    pub fn to_url_string(&self) -> String {
        let default_port = matches!((&*self.scheme, self.port), ("https", 443) | ("http", 80));
        let port = if default_port || self.port <= 0 {
            String::new()
        } else {
            format!(":{}", self.port)
        };
        format!(
            "{}://{}{port}{}{}",
            self.scheme, self.host, self.path, self.query_string
        )
    }
}

/// A response kept in a variable by `send-request` (`IResponse`), or a request to send.
#[derive(Clone, Debug, Default)]
pub struct MessageData {
    pub status_code: i32,
    pub status_reason: Str,
    /// Headers in order; names compare case-insensitively.
    pub headers: Arc<[(Str, Arc<[Str]>)]>,
    pub body: Option<Arc<[u8]>>,
}
