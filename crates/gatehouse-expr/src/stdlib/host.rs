//! Members of APIM's `context` object model, read through the [`Host`](crate::Host).

use std::sync::Arc;

mod methods;

pub(crate) use self::methods::{call, default_of, entries, indexer, method};
use self::methods::{count, keys};
use super::non_null;
use crate::context::{Str, UrlInfo};
use crate::error::EvalError;
use crate::eval::Machine;
use crate::host::{GroupOwner, HostObject, Message, UrlKind};
use crate::types::{HostTy, Ty};
use crate::value::{
    DateTime, DateTimeKind, EnumType, EnumValue, List, MessagePart, MessageRef, TimeSpan, Value,
};

/// A property of a `context` object (or of a stored `IResponse`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HostProp {
    Api,
    Operation,
    Product,
    Subscription,
    User,
    Deployment,
    LastError,
    Request,
    Response,
    Variables,
    RequestId,
    Timestamp,
    Elapsed,
    Tracing,
    ApiId,
    ApiName,
    ApiPath,
    ApiProtocols,
    ApiServiceUrl,
    ApiKeyNames,
    ApiRevision,
    ApiVersion,
    ApiIsCurrentRevision,
    KeyHeader,
    KeyQuery,
    OperationId,
    OperationMethod,
    OperationName,
    OperationUrlTemplate,
    ProductId,
    ProductName,
    ProductState,
    ProductSubscriptionRequired,
    ProductApprovalRequired,
    ProductSubscriptionLimit,
    Groups,
    GroupId,
    GroupName,
    SubscriptionId,
    SubscriptionKey,
    SubscriptionName,
    SubscriptionPrimaryKey,
    SubscriptionSecondaryKey,
    SubscriptionCreatedDate,
    SubscriptionStartDate,
    SubscriptionEndDate,
    UserId,
    UserEmail,
    UserFirstName,
    UserLastName,
    UserNote,
    UserRegistrationDate,
    GatewayId,
    Region,
    ServiceName,
    Certificates,
    CertificateKey,
    CertificateValue,
    ErrorSource,
    ErrorReason,
    ErrorMessage,
    ErrorScope,
    ErrorSection,
    ErrorPath,
    ErrorPolicyId,
    Method,
    Url,
    OriginalUrl,
    Headers,
    Body,
    IpAddress,
    MatchedParameters,
    Certificate,
    StatusCode,
    StatusReason,
    UrlScheme,
    UrlHost,
    UrlPort,
    UrlPath,
    UrlQuery,
    UrlQueryString,
    Count,
    Keys,
    /// `context.Request.Certificate.<member>`, read without copying the certificate handle.
    ClientCertificate(super::misc::CertProp),
}

/// A method of a `context` object.
#[derive(Clone, Debug)]
pub(crate) enum HostFn {
    /// `context.Trace(message)`.
    Trace,
    /// `Body.As<T>(preserveContent)`.
    BodyAs(Ty),
    /// `Body.AsFormUrlEncodedContent(preserveContent)`.
    BodyForm,
    /// `GetValueOrDefault(name[, default])`, with `T` for `Variables.GetValueOrDefault<T>`.
    GetValueOrDefault(Option<Ty>),
    ContainsKey,
    /// The indexer `dict[name]`.
    Index,
    /// `Certificate.Verify()` / `VerifyNoRevocation()`.
    Verify {
        revocation: bool,
    },
}

fn host_ty(ty: &Ty) -> Option<HostTy> {
    match ty {
        Ty::Host(h) => Some(*h),
        _ => None,
    }
}

/// The type of property `name` of a `context` object, if it has one.
pub(crate) fn property(ty: &Ty, name: &str) -> Option<(super::Prop, Ty)> {
    if let Ty::Message(part) = ty {
        return message_property(*part, name).map(|(p, t)| (super::Prop::Host(p), t));
    }
    let found = context_property(host_ty(ty)?, name)?;
    Some((super::Prop::Host(found.0), found.1))
}

#[rustfmt::skip]
fn context_property(host: HostTy, name: &str) -> Option<(HostProp, Ty)> {
    use HostProp as P;
    use HostTy as H;
    let s = || Ty::String;
    Some(match (host, name) {
        (H::Context, "Api") => (P::Api, Ty::Host(H::Api)),
        (H::Context, "Operation") => (P::Operation, Ty::Host(H::Operation)),
        (H::Context, "Product") => (P::Product, Ty::Host(H::Product)),
        (H::Context, "Subscription") => (P::Subscription, Ty::Host(H::Subscription)),
        (H::Context, "User") => (P::User, Ty::Host(H::User)),
        (H::Context, "Deployment") => (P::Deployment, Ty::Host(H::Deployment)),
        (H::Context, "LastError") => (P::LastError, Ty::Host(H::LastError)),
        (H::Context, "Request") => (P::Request, Ty::Host(H::Request)),
        (H::Context, "Response") => (P::Response, Ty::Host(H::Response)),
        (H::Context, "Variables") => (P::Variables, Ty::Host(H::Variables)),
        (H::Context, "RequestId") => (P::RequestId, Ty::Guid),
        (H::Context, "Timestamp") => (P::Timestamp, Ty::DateTime),
        (H::Context, "Elapsed") => (P::Elapsed, Ty::TimeSpan),
        (H::Context, "Tracing") => (P::Tracing, Ty::Bool),
        (H::Api, "Id") => (P::ApiId, s()),
        (H::Api, "Name") => (P::ApiName, s()),
        (H::Api, "Path") => (P::ApiPath, s()),
        (H::Api, "Protocols") => (P::ApiProtocols, Ty::seq(Ty::String)),
        (H::Api, "ServiceUrl") => (P::ApiServiceUrl, Ty::Host(H::Url)),
        (H::Api, "SubscriptionKeyParameterNames") => (P::ApiKeyNames, Ty::Host(H::KeyParameterNames)),
        (H::Api, "Revision") => (P::ApiRevision, s()),
        (H::Api, "Version") => (P::ApiVersion, s()),
        (H::Api, "IsCurrentRevision") => (P::ApiIsCurrentRevision, Ty::Bool),
        (H::KeyParameterNames, "Header") => (P::KeyHeader, s()),
        (H::KeyParameterNames, "Query") => (P::KeyQuery, s()),
        (H::Operation, "Id") => (P::OperationId, s()),
        (H::Operation, "Method") => (P::OperationMethod, s()),
        (H::Operation, "Name") => (P::OperationName, s()),
        (H::Operation, "UrlTemplate") => (P::OperationUrlTemplate, s()),
        (H::Product, "Id") => (P::ProductId, s()),
        (H::Product, "Name") => (P::ProductName, s()),
        (H::Product, "State") => (P::ProductState, Ty::Enum(EnumType::ProductState)),
        (H::Product, "SubscriptionRequired") => (P::ProductSubscriptionRequired, Ty::Bool),
        (H::Product, "ApprovalRequired") => (P::ProductApprovalRequired, Ty::Bool),
        (H::Product, "SubscriptionLimit") => (P::ProductSubscriptionLimit, Ty::Int.nullable()),
        (H::Product | H::User, "Groups") => (P::Groups, Ty::Host(H::Groups)),
        (H::Group, "Id") => (P::GroupId, s()),
        (H::Group, "Name") => (P::GroupName, s()),
        (H::Subscription, "Id") => (P::SubscriptionId, s()),
        (H::Subscription, "Key") => (P::SubscriptionKey, s()),
        (H::Subscription, "Name") => (P::SubscriptionName, s()),
        (H::Subscription, "PrimaryKey") => (P::SubscriptionPrimaryKey, s()),
        (H::Subscription, "SecondaryKey") => (P::SubscriptionSecondaryKey, s()),
        (H::Subscription, "CreatedDate") => (P::SubscriptionCreatedDate, Ty::DateTime),
        (H::Subscription, "StartDate") => (P::SubscriptionStartDate, Ty::DateTime.nullable()),
        (H::Subscription, "EndDate") => (P::SubscriptionEndDate, Ty::DateTime.nullable()),
        (H::User, "Id") => (P::UserId, s()),
        (H::User, "Email") => (P::UserEmail, s()),
        (H::User, "FirstName") => (P::UserFirstName, s()),
        (H::User, "LastName") => (P::UserLastName, s()),
        (H::User, "Note") => (P::UserNote, s()),
        (H::User, "RegistrationDate") => (P::UserRegistrationDate, Ty::DateTime),
        (H::Deployment, "GatewayId") => (P::GatewayId, s()),
        (H::Deployment, "Region") => (P::Region, s()),
        (H::Deployment, "ServiceName") => (P::ServiceName, s()),
        (H::Deployment, "Certificates") => (P::Certificates, Ty::Host(H::Certificates)),
        (H::CertificateEntry, "Key") => (P::CertificateKey, s()),
        (H::CertificateEntry, "Value") => (P::CertificateValue, Ty::Certificate),
        (H::LastError, "Source") => (P::ErrorSource, s()),
        (H::LastError, "Reason") => (P::ErrorReason, s()),
        (H::LastError, "Message") => (P::ErrorMessage, s()),
        (H::LastError, "Scope") => (P::ErrorScope, s()),
        (H::LastError, "Section") => (P::ErrorSection, s()),
        (H::LastError, "Path") => (P::ErrorPath, s()),
        (H::LastError, "PolicyId") => (P::ErrorPolicyId, s()),
        (H::Request, "Method") => (P::Method, s()),
        (H::Request, "Url") => (P::Url, Ty::Host(H::Url)),
        (H::Request, "OriginalUrl") => (P::OriginalUrl, Ty::Host(H::Url)),
        (H::Request | H::Response, "Headers") => (P::Headers, Ty::Host(H::Headers)),
        (H::Request | H::Response, "Body") => (P::Body, Ty::Host(H::Body)),
        (H::Request, "IpAddress") => (P::IpAddress, s()),
        (H::Request, "MatchedParameters") => (P::MatchedParameters, Ty::Host(H::MatchedParameters)),
        (H::Request, "Certificate") => (P::Certificate, Ty::Certificate),
        (H::Response, "StatusCode") => (P::StatusCode, Ty::Int),
        (H::Response, "StatusReason") => (P::StatusReason, s()),
        (H::Url, "Scheme") => (P::UrlScheme, s()),
        (H::Url, "Host") => (P::UrlHost, s()),
        (H::Url, "Port") => (P::UrlPort, Ty::Int),
        (H::Url, "Path") => (P::UrlPath, s()),
        (H::Url, "Query") => (P::UrlQuery, Ty::Host(H::Query)),
        (H::Url, "QueryString") => (P::UrlQueryString, s()),
        (H::Headers | H::Query | H::MatchedParameters | H::Variables | H::Certificates, "Count") => (P::Count, Ty::Int),
        (H::Groups, "Count") => (P::Count, Ty::Int),
        (H::Headers | H::Query | H::MatchedParameters | H::Variables | H::Certificates, "Keys") => (P::Keys, Ty::seq(Ty::String)),
        _ => return None,
    })
}

fn message_property(part: MessagePart, name: &str) -> Option<(HostProp, Ty)> {
    Some(match (part, name) {
        (MessagePart::Whole, "StatusCode") => (HostProp::StatusCode, Ty::Int),
        (MessagePart::Whole, "StatusReason") => (HostProp::StatusReason, Ty::String),
        (MessagePart::Whole, "Headers") => (HostProp::Headers, Ty::Message(MessagePart::Headers)),
        (MessagePart::Whole, "Body") => (HostProp::Body, Ty::Message(MessagePart::Body)),
        (MessagePart::Headers, "Count") => (HostProp::Count, Ty::Int),
        (MessagePart::Headers, "Keys") => (HostProp::Keys, Ty::seq(Ty::String)),
        _ => return None,
    })
}

/// Folds `context.Request`-style handles that never depend on the request into constants.
pub(crate) fn fold(target: &Value, prop: HostProp) -> Option<Value> {
    let Value::Host(object) = target else {
        return None;
    };
    use HostObject as O;
    use HostProp as P;
    let folded = match (object, prop) {
        (O::Context, P::Request) => O::Request,
        (O::Context, P::Response) => O::Response,
        (O::Context, P::Variables) => O::Variables,
        (O::Context, P::Deployment) => O::Deployment,
        (O::Deployment, P::Certificates) => O::DeploymentCertificates,
        (O::Request, P::Headers) => O::Headers(Message::Request),
        (O::Response, P::Headers) => O::Headers(Message::Response),
        (O::Request, P::Url) => O::Url(UrlKind::Request),
        (O::Request, P::OriginalUrl) => O::Url(UrlKind::Original),
        (O::Request, P::MatchedParameters) => O::MatchedParameters,
        (O::Url(kind), P::UrlQuery) if *kind != UrlKind::ApiServiceUrl => O::Query(*kind),
        _ => return None,
    };
    Some(Value::Host(folded))
}

/// Fuses `context.Request.Certificate.Member` into one read.
pub(crate) fn fuse(target: &crate::ir::Node, prop: &super::Prop) -> Option<HostProp> {
    let crate::ir::Node::Prop(inner, super::Prop::Host(HostProp::Certificate)) = target else {
        return None;
    };
    let is_request = matches!(
        &**inner,
        crate::ir::Node::Const(Value::Host(HostObject::Request))
    );
    match prop {
        super::Prop::Misc(super::misc::MiscProp::Cert(member)) if is_request => {
            Some(HostProp::ClientCertificate(*member))
        }
        _ => None,
    }
}

/// Answers `object.prop == null` without building the value, for the members that can be null.
pub(crate) fn is_absent(m: &Machine<'_>, object: HostObject, prop: HostProp) -> Option<bool> {
    let host = m.host;
    Some(match (object, prop) {
        (HostObject::Request, HostProp::Certificate) => host.client_certificate().is_none(),
        (HostObject::Context, HostProp::Api) => host.api().is_none(),
        (HostObject::Context, HostProp::Product) => host.product().is_none(),
        (HostObject::Context, HostProp::Subscription) => host.subscription().is_none(),
        (HostObject::Context, HostProp::User) => host.user().is_none(),
        (HostObject::Context, HostProp::LastError) => host.last_error().is_none(),
        _ => return None,
    })
}

/// Compares a text member of a `context` object with `constant` in place; `None` when the
/// member is not one this shortcut knows.
pub(crate) fn text_equals(
    m: &Machine<'_>,
    object: HostObject,
    prop: HostProp,
    constant: &str,
) -> Option<bool> {
    use super::misc::CertProp;
    let host = m.host;
    let text: Option<&str> = match (object, prop) {
        (HostObject::Request, HostProp::ClientCertificate(member)) => {
            // Without a certificate the read throws; the ordinary path reports it.
            let cert = Some(host.client_certificate()?);
            match member {
                CertProp::Thumbprint => cert.map(|c| &**c.thumbprint()),
                CertProp::Subject | CertProp::Name => cert.map(|c| &**c.subject()),
                CertProp::Issuer => cert.map(|c| &**c.issuer()),
                CertProp::SerialNumber => cert.map(|c| &**c.serial_number()),
                _ => return None,
            }
        }
        (HostObject::Api, HostProp::ApiId) => host.api().map(|a| &*a.id),
        (HostObject::Api, HostProp::ApiName) => host.api().map(|a| &*a.name),
        (HostObject::Operation, HostProp::OperationId) => host.operation().map(|o| &*o.id),
        (HostObject::Operation, HostProp::OperationName) => host.operation().map(|o| &*o.name),
        (HostObject::Product, HostProp::ProductId) => host.product().map(|p| &*p.id),
        (HostObject::Product, HostProp::ProductName) => host.product().map(|p| &*p.name),
        (HostObject::Subscription, HostProp::SubscriptionId) => host.subscription().map(|s| &*s.id),
        (HostObject::Subscription, HostProp::SubscriptionName) => {
            host.subscription().map(|s| &*s.name)
        }
        _ => return None,
    };
    Some(text == Some(constant))
}

// ---------------------------------------------------------------------------------------------
// Reading properties

fn text(value: &Str) -> Value {
    Value::Str(value.clone())
}

fn date(at: time::OffsetDateTime) -> Value {
    Value::DateTime(DateTime::from_offset_date_time(at, DateTimeKind::Utc))
}

/// Reads `prop` of `target`.
pub(crate) fn get(m: &mut Machine<'_>, target: Value, prop: HostProp) -> Result<Value, EvalError> {
    match non_null(target)? {
        Value::Host(object) => get_host(m, object, prop),
        Value::Message(message) => get_message(&message, prop),
        other => Err(EvalError::cast(other.type_name(), "context object")),
    }
}

fn get_host(m: &Machine<'_>, object: HostObject, prop: HostProp) -> Result<Value, EvalError> {
    if let Some(folded) = fold(&Value::Host(object), prop) {
        return Ok(folded);
    }
    if let Some(handle) = context_object(m, prop) {
        return Ok(handle);
    }
    let host = m.host;
    use HostProp as P;
    Ok(match prop {
        P::RequestId => Value::Guid(host.request_id()),
        P::Timestamp => date(host.timestamp()),
        P::Elapsed => Value::TimeSpan(TimeSpan::from_duration(host.elapsed())),
        P::Tracing => Value::Bool(host.tracing()),
        P::Method => Value::Str(host.request_method()),
        P::IpAddress => Value::Str(host.client_ip()),
        P::Certificate => host
            .client_certificate()
            .cloned()
            .map(Value::Certificate)
            .unwrap_or_default(),
        P::ClientCertificate(member) => {
            let certificate = host.client_certificate().ok_or(EvalError::NullReference)?;
            super::misc::certificate(certificate, member)
        }
        P::StatusCode => Value::Int(host.response_status().0),
        P::StatusReason => Value::Str(host.response_status().1),
        P::Body => body_handle(m, object),
        P::Count => Value::Int(count(m, object)),
        P::Keys => keys(m, object),
        _ => get_static_part(m, object, prop),
    })
}

/// `context.Api`, `Operation`, `Product`, `Subscription`, `User`, `LastError`: a handle when the
/// request has one, null otherwise.
fn context_object(m: &Machine<'_>, prop: HostProp) -> Option<Value> {
    let host = m.host;
    let (present, object) = match prop {
        HostProp::Api => (host.api().is_some(), HostObject::Api),
        HostProp::Operation => (host.operation().is_some(), HostObject::Operation),
        HostProp::Product => (host.product().is_some(), HostObject::Product),
        HostProp::Subscription => (host.subscription().is_some(), HostObject::Subscription),
        HostProp::User => (host.user().is_some(), HostObject::User),
        HostProp::LastError => (host.last_error().is_some(), HostObject::LastError),
        _ => return None,
    };
    Some(if present {
        Value::Host(object)
    } else {
        Value::Null
    })
}

fn body_handle(m: &Machine<'_>, object: HostObject) -> Value {
    let message = if object == HostObject::Response {
        Message::Response
    } else {
        Message::Request
    };
    match m.host.body(message, true) {
        Some(_) => Value::Host(HostObject::Body(message)),
        None => Value::Null,
    }
}

/// Properties served from the configuration structs.
fn get_static_part(m: &Machine<'_>, object: HostObject, prop: HostProp) -> Value {
    let host = m.host;
    use HostProp as P;
    let value = match prop {
        P::ApiId | P::ApiName | P::ApiPath | P::ApiProtocols | P::ApiServiceUrl => {
            api_part(m, prop)
        }
        P::ApiKeyNames | P::ApiRevision | P::ApiVersion | P::ApiIsCurrentRevision => {
            api_part(m, prop)
        }
        P::KeyHeader => host
            .api()
            .map(|a| text(&a.subscription_key_parameter_names.header)),
        P::KeyQuery => host
            .api()
            .map(|a| text(&a.subscription_key_parameter_names.query)),
        P::OperationId => host.operation().map(|o| text(&o.id)),
        P::OperationMethod => host.operation().map(|o| text(&o.method)),
        P::OperationName => host.operation().map(|o| text(&o.name)),
        P::OperationUrlTemplate => host.operation().map(|o| text(&o.url_template)),
        P::GatewayId => Some(text(&host.deployment().gateway_id)),
        P::Region => Some(text(&host.deployment().region)),
        P::ServiceName => Some(text(&host.deployment().service_name)),
        P::CertificateKey | P::CertificateValue => certificate_entry(m, object, prop),
        P::GroupId | P::GroupName | P::Groups => group_part(m, object, prop),
        P::UrlScheme | P::UrlHost | P::UrlPort | P::UrlPath | P::UrlQueryString => {
            url_part(m, object, prop)
        }
        _ => identity_part(m, prop),
    };
    value.unwrap_or_default()
}

fn api_part(m: &Machine<'_>, prop: HostProp) -> Option<Value> {
    let api = m.host.api()?;
    Some(match prop {
        HostProp::ApiId => text(&api.id),
        HostProp::ApiName => text(&api.name),
        HostProp::ApiPath => text(&api.path),
        HostProp::ApiProtocols => {
            Value::List(List::array(api.protocols.iter().map(text).collect()))
        }
        HostProp::ApiServiceUrl => api
            .service_url
            .as_ref()
            .map(|_| Value::Host(HostObject::Url(UrlKind::ApiServiceUrl)))?,
        HostProp::ApiKeyNames => Value::Host(HostObject::KeyParameterNames),
        HostProp::ApiRevision => text(&api.revision),
        HostProp::ApiVersion => api.version.as_ref().map(text)?,
        _ => Value::Bool(api.is_current_revision),
    })
}

/// Product, subscription, user and last-error members.
fn identity_part(m: &Machine<'_>, prop: HostProp) -> Option<Value> {
    let host = m.host;
    use HostProp as P;
    Some(match prop {
        P::ProductId => text(&host.product()?.id),
        P::ProductName => text(&host.product()?.name),
        P::ProductState => {
            let value = host.product()?.state as i32;
            Value::Enum(EnumValue {
                ty: EnumType::ProductState,
                value,
            })
        }
        P::ProductSubscriptionRequired => Value::Bool(host.product()?.subscription_required),
        P::ProductApprovalRequired => Value::Bool(host.product()?.approval_required),
        P::ProductSubscriptionLimit => host.product()?.subscription_limit.map(Value::Int)?,
        P::SubscriptionId => text(&host.subscription()?.id),
        P::SubscriptionKey => text(&host.subscription()?.key),
        P::SubscriptionName => text(&host.subscription()?.name),
        P::SubscriptionPrimaryKey => text(&host.subscription()?.primary_key),
        P::SubscriptionSecondaryKey => text(&host.subscription()?.secondary_key),
        P::SubscriptionCreatedDate => date(host.subscription()?.created_date),
        P::SubscriptionStartDate => date(host.subscription()?.start_date?),
        P::SubscriptionEndDate => date(host.subscription()?.end_date?),
        P::UserId => text(&host.user()?.id),
        P::UserEmail => text(&host.user()?.email),
        P::UserFirstName => text(&host.user()?.first_name),
        P::UserLastName => text(&host.user()?.last_name),
        P::UserNote => text(&host.user()?.note),
        P::UserRegistrationDate => date(host.user()?.registration_date),
        _ => return last_error_part(m, prop),
    })
}

fn last_error_part(m: &Machine<'_>, prop: HostProp) -> Option<Value> {
    let error = m.host.last_error()?;
    let field = match prop {
        HostProp::ErrorSource => &error.source,
        HostProp::ErrorReason => &error.reason,
        HostProp::ErrorMessage => &error.message,
        HostProp::ErrorScope => &error.scope,
        HostProp::ErrorSection => &error.section,
        HostProp::ErrorPath => &error.path,
        HostProp::ErrorPolicyId => &error.policy_id,
        _ => return None,
    };
    Some(text(field))
}

fn certificate_entry(m: &Machine<'_>, object: HostObject, prop: HostProp) -> Option<Value> {
    let HostObject::DeploymentCertificate(index) = object else {
        return None;
    };
    let (key, cert) = m.host.deployment().certificates.get(index as usize)?;
    Some(match prop {
        HostProp::CertificateKey => text(key),
        _ => Value::Certificate(cert.clone()),
    })
}

fn groups(m: &Machine<'_>, owner: GroupOwner) -> Option<Arc<[crate::context::GroupInfo]>> {
    match owner {
        GroupOwner::Product => Some(m.host.product()?.groups.clone()),
        GroupOwner::User => Some(m.host.user()?.groups.clone()),
    }
}

fn group_part(m: &Machine<'_>, object: HostObject, prop: HostProp) -> Option<Value> {
    if prop == HostProp::Groups {
        let owner = if object == HostObject::Product {
            GroupOwner::Product
        } else {
            GroupOwner::User
        };
        return Some(Value::Host(HostObject::Groups(owner)));
    }
    let HostObject::Group(owner, index) = object else {
        return None;
    };
    let groups = groups(m, owner)?;
    let group = groups.get(index as usize)?;
    Some(text(if prop == HostProp::GroupId {
        &group.id
    } else {
        &group.name
    }))
}

pub(crate) fn url<'h>(m: &Machine<'h>, kind: UrlKind) -> Option<&'h UrlInfo> {
    match kind {
        UrlKind::ApiServiceUrl => m.host.api()?.service_url.as_ref(),
        other => m.host.url(other),
    }
}

fn url_part(m: &Machine<'_>, object: HostObject, prop: HostProp) -> Option<Value> {
    let HostObject::Url(kind) = object else {
        return None;
    };
    let url = url(m, kind)?;
    Some(match prop {
        HostProp::UrlScheme => text(&url.scheme),
        HostProp::UrlHost => text(&url.host),
        HostProp::UrlPort => Value::Int(url.port),
        HostProp::UrlPath => text(&url.path),
        _ => text(&url.query_string),
    })
}

fn get_message(message: &MessageRef, prop: HostProp) -> Result<Value, EvalError> {
    let data = &message.data;
    let part = |part| {
        Value::Message(MessageRef {
            data: data.clone(),
            part,
        })
    };
    Ok(match prop {
        HostProp::StatusCode => Value::Int(data.status_code),
        HostProp::StatusReason => text(&data.status_reason),
        HostProp::Headers => part(MessagePart::Headers),
        HostProp::Body => data
            .body
            .as_ref()
            .map(|_| part(MessagePart::Body))
            .unwrap_or_default(),
        HostProp::Count => Value::Int(data.headers.len() as i32),
        _ => Value::List(List::array(
            data.headers.iter().map(|(n, _)| text(n)).collect(),
        )),
    })
}
