//! The management REST API routes.

use std::str::FromStr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{OriginalUri, Path, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use gatehouse_gateway::TraceStore;
use gatehouse_model::{
    CertificateProperties, ModelError, Resource, ResourceKind, ResourcePath, SubscriptionProperties,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::console::ConsoleSettings;
use crate::control::{Control, ControlError};
use crate::{AdminToken, ApiError, generate_key};
use crate::{policy_resources, trust_resources};

/// What every handler can reach.
#[derive(Debug, Clone)]
struct AppState {
    control: Arc<Control>,
    traces: Arc<TraceStore>,
    token: AdminToken,
}

/// The management API: resources under the admin token, traces by their unguessable id, and
/// the web console (its pages sign in with the token themselves).
pub fn router(
    control: Arc<Control>,
    traces: Arc<TraceStore>,
    token: AdminToken,
    console: ConsoleSettings,
) -> axum::Router {
    let console_pages = crate::console::pages(&console);
    let console_api = crate::console::management(control.clone(), traces.clone(), console);
    let state = AppState {
        control,
        traces,
        token,
    };
    let authenticated = axum::Router::new()
        .route("/subscriptions/{sid}/listSecrets", post(list_secrets))
        .route("/namedValues/{id}/listValue", post(list_value))
        .route(
            "/subscriptions/{sid}/regeneratePrimaryKey",
            post(regenerate_primary),
        )
        .route(
            "/subscriptions/{sid}/regenerateSecondaryKey",
            post(regenerate_secondary),
        )
        .merge(console_api)
        .fallback(resource)
        .layer(middleware::from_fn_with_state(state.clone(), require_token));
    axum::Router::new()
        .route("/traces/{id}", get(trace))
        .merge(console_pages)
        .merge(authenticated)
        .with_state(state)
}

async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .unwrap_or_default();
    if !state.token.matches(presented) {
        return ApiError::unauthorized().into_response();
    }
    next.run(request).await
}

/// The token of an `Authorization: Bearer <token>` value; the scheme's letter case does not
/// matter (RFC 9110 section 11.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn trace(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.traces.get(&id) {
        Some(document) => ([(header::CONTENT_TYPE, "application/json")], document).into_response(),
        None => ApiError::not_found("the trace (traces expire after an hour)").into_response(),
    }
}

/// GET, PUT and DELETE on any resource path, GET on collection paths.
async fn resource(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    body: axum::body::Bytes,
) -> Response {
    let text = uri.path().trim_matches('/');
    let Ok(path) = ResourcePath::from_str(text) else {
        return match (method, Collection::parse(text)) {
            (Method::GET, Some(collection)) => list(&state, &collection).await.into_response(),
            _ => ApiError::not_found(format!("'/{text}'")).into_response(),
        };
    };
    let result = match method {
        Method::GET => get_one(&state, &path).await,
        Method::PUT => put(&state, &path, &body).await,
        Method::DELETE => delete(&state, &path).await,
        _ => Err(ApiError::not_found(format!("{method} /{text}"))),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn get_one(state: &AppState, path: &ResourcePath) -> Result<Response, ApiError> {
    let properties = state.control.read(|config| config.get(path)).await;
    let properties = properties.ok_or_else(|| ApiError::not_found(path))?;
    Ok(Json(envelope(path, &public(path, properties))).into_response())
}

async fn put(state: &AppState, path: &ResourcePath, body: &[u8]) -> Result<Response, ApiError> {
    let properties = match path.kind() {
        // The link that puts an API into a product has no properties: APIM accepts its PUT
        // with no body, or with `{}`.
        ResourceKind::ProductApi if is_empty_object(body) => Value::Object(Default::default()),
        _ => properties_of(body)?,
    };
    let resource = match path.kind() {
        ResourceKind::Certificate => Resource::Certificate(import(&properties)?),
        ResourceKind::Crl => Resource::Crl(trust_resources::crl(&properties)?),
        ResourceKind::Subscription => {
            Resource::Subscription(subscription(state, path, properties).await?)
        }
        ResourceKind::Policy => {
            Resource::Policy(policy_resources::policy(&state.control, path, properties).await?)
        }
        ResourceKind::PolicyFragment => {
            Resource::PolicyFragment(policy_resources::fragment(&state.control, properties).await?)
        }
        _ => Resource::parse(path, properties).map_err(model_error)?,
    };
    let created = state
        .control
        .put(vec![(path.clone(), resource)])
        .await
        .map_err(control_error)?;

    let stored = state
        .control
        .read(|config| config.get(path))
        .await
        .unwrap_or(Value::Null);
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(envelope(path, &public(path, stored)))).into_response())
}

async fn delete(state: &AppState, path: &ResourcePath) -> Result<Response, ApiError> {
    let removed = state.control.delete(path).await.map_err(control_error)?;
    if removed.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(StatusCode::OK.into_response())
}

/// Whether `body` is blank or `{}`.
fn is_empty_object(body: &[u8]) -> bool {
    body.trim_ascii().is_empty()
        || serde_json::from_slice::<Value>(body)
            .is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
}

/// The `properties` object of an APIM-style body.
fn properties_of(body: &[u8]) -> Result<Value, ApiError> {
    let document: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::validation(format!("the body is not JSON: {e}")))?;
    match document {
        Value::Object(mut object) if object.contains_key("properties") => {
            Ok(object.remove("properties").unwrap_or_default())
        }
        _ => Err(ApiError::validation(
            "the body must be an object with a 'properties' object, as in APIM: {\"properties\": {...}}",
        )),
    }
}

/// A certificate upload: `data` is the base64 of a PFX, PEM, DER or CER file.
fn import(properties: &Value) -> Result<CertificateProperties, ApiError> {
    let data = properties
        .get("data")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::validation(
                "property 'data' (the base64 of a PFX, PEM or DER file) is required",
            )
        })?;
    let password = properties.get("password").and_then(Value::as_str);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| ApiError::validation(format!("property 'data' is not base64: {e}")))?;
    let imported = gatehouse_cert::import_certificate(&bytes, password)
        .map_err(|e| ApiError::validation(e.to_string()))?;

    let (certificate, chain, key) = imported.into_parts();
    let b64 = |der: &[u8]| base64::engine::general_purpose::STANDARD.encode(der);
    let date = |at: OffsetDateTime| at.format(&Rfc3339).unwrap_or_default();
    Ok(CertificateProperties {
        thumbprint: certificate.thumbprint().to_string(),
        subject: certificate.subject().to_string(),
        issuer: certificate.issuer().to_string(),
        expiration_date: date(certificate.not_after()),
        not_before: date(certificate.not_before()),
        certificate: b64(certificate.der()),
        chain: chain.iter().map(|c| b64(c.der())).collect(),
        private_key: key.map(|k| b64(k.pkcs8_der())),
    })
}

/// A subscription write: keys not given are kept from the stored subscription, or generated.
async fn subscription(
    state: &AppState,
    path: &ResourcePath,
    properties: Value,
) -> Result<SubscriptionProperties, ApiError> {
    let mut incoming: SubscriptionProperties = serde_json::from_value(properties)
        .map_err(|e| ApiError::validation(format!("invalid body: {e}")))?;
    let existing: Option<SubscriptionProperties> = state
        .control
        .read(|config| config.subscriptions.get(path.name()).cloned())
        .await;

    let kept = |existing: Option<&Option<String>>| {
        existing.cloned().flatten().unwrap_or_else(generate_key)
    };
    incoming.primary_key = incoming
        .primary_key
        .or_else(|| Some(kept(existing.as_ref().map(|e| &e.primary_key))));
    incoming.secondary_key = incoming
        .secondary_key
        .or_else(|| Some(kept(existing.as_ref().map(|e| &e.secondary_key))));
    incoming.created_date = existing
        .and_then(|e| e.created_date)
        .or_else(|| OffsetDateTime::now_utc().format(&Rfc3339).ok());
    if let Some(binding) = &mut incoming.client_certificates {
        binding.normalize().map_err(model_error)?;
    }
    incoming.validate().map_err(model_error)?;
    Ok(incoming)
}

async fn list_value(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    policy_resources::named_value(&state.control, &id)
        .await
        .map(Json)
}

async fn list_secrets(
    State(state): State<AppState>,
    Path(sid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let subscription = state
        .control
        .read(|config| config.subscriptions.get(&sid).cloned())
        .await;
    let subscription =
        subscription.ok_or_else(|| ApiError::not_found(format!("subscriptions/{sid}")))?;
    Ok(Json(
        json!({ "primaryKey": subscription.primary_key, "secondaryKey": subscription.secondary_key }),
    ))
}

async fn regenerate_primary(
    state: State<AppState>,
    sid: Path<String>,
) -> Result<StatusCode, ApiError> {
    regenerate(state, sid, true).await
}

async fn regenerate_secondary(
    state: State<AppState>,
    sid: Path<String>,
) -> Result<StatusCode, ApiError> {
    regenerate(state, sid, false).await
}

async fn regenerate(
    State(state): State<AppState>,
    Path(sid): Path<String>,
    primary: bool,
) -> Result<StatusCode, ApiError> {
    let path = ResourcePath::Subscription(sid.clone());
    let current = state
        .control
        .read(|config| config.subscriptions.get(&sid).cloned())
        .await;
    let mut subscription = current.ok_or_else(|| ApiError::not_found(&path))?;
    let slot = if primary {
        &mut subscription.primary_key
    } else {
        &mut subscription.secondary_key
    };
    *slot = Some(generate_key());

    state
        .control
        .put(vec![(path, Resource::Subscription(subscription))])
        .await
        .map_err(control_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A collection path: which resources a GET lists.
enum Collection {
    Kind(ResourceKind),
    Operations(String),
    ProductApis(String),
}

impl Collection {
    fn parse(path: &str) -> Option<Self> {
        let segments: Vec<&str> = path.split('/').collect();
        let collection = match segments.as_slice() {
            ["apis"] => Self::Kind(ResourceKind::Api),
            ["apis", api, "operations"] => Self::Operations((*api).to_owned()),
            ["products"] => Self::Kind(ResourceKind::Product),
            ["products", product, "apis"] => Self::ProductApis((*product).to_owned()),
            ["subscriptions"] => Self::Kind(ResourceKind::Subscription),
            ["certificates"] => Self::Kind(ResourceKind::Certificate),
            ["certificateAuthorities"] => Self::Kind(ResourceKind::CertificateAuthority),
            ["certificateRevocationLists"] => Self::Kind(ResourceKind::Crl),
            ["backends"] => Self::Kind(ResourceKind::Backend),
            ["hostnameConfigurations"] => Self::Kind(ResourceKind::HostnameConfiguration),
            ["trustedProxies"] => Self::Kind(ResourceKind::TrustedProxy),
            ["namedValues"] => Self::Kind(ResourceKind::NamedValue),
            ["policyFragments"] => Self::Kind(ResourceKind::PolicyFragment),
            _ => return None,
        };
        Some(collection)
    }

    fn contains(&self, path: &ResourcePath) -> bool {
        match (self, path) {
            (Self::Operations(api), ResourcePath::Operation(a, _)) => api == a,
            (Self::ProductApis(product), ResourcePath::ProductApi(p, _)) => product == p,
            (Self::Kind(kind), path) => path.kind() == *kind,
            _ => false,
        }
    }
}

async fn list(state: &AppState, collection: &Collection) -> Json<Value> {
    let items: Vec<Value> = state
        .control
        .read(|config| {
            let matching = config
                .paths()
                .into_iter()
                .filter(|p| collection.contains(p));
            matching
                .filter_map(|p| config.get(&p).map(|body| envelope(&p, &public(&p, body))))
                .collect()
        })
        .await;
    Json(json!({ "count": items.len(), "value": items }))
}

/// `{"id", "type", "name", "properties"}` as APIM returns resources.
fn envelope(path: &ResourcePath, properties: &Value) -> Value {
    json!({ "id": format!("/{path}"), "type": path.type_name(), "name": path.name(), "properties": properties })
}

/// The stored properties with secrets removed: keys and private keys are never returned.
fn public(path: &ResourcePath, mut properties: Value) -> Value {
    if let Value::Object(object) = &mut properties {
        match path.kind() {
            ResourceKind::Subscription => {
                object.remove("primaryKey");
                object.remove("secondaryKey");
            }
            ResourceKind::Certificate => {
                let has_key = object.remove("privateKey").is_some();
                object.insert("hasPrivateKey".to_owned(), Value::Bool(has_key));
                trust_resources::add_validity(object);
            }
            ResourceKind::NamedValue => policy_resources::hide_secret(object),
            _ => {}
        }
    }
    properties
}

fn model_error(error: ModelError) -> ApiError {
    match error {
        ModelError::Conflict(message) => ApiError::conflict(message),
        other => ApiError::validation(other.to_string()),
    }
}

fn control_error(error: ControlError) -> ApiError {
    match error {
        ControlError::Model(model) => model_error(model),
        ControlError::Snapshot(snapshot) => ApiError::validation(snapshot.to_string()),
        ControlError::Busy => ApiError::conflict(ControlError::Busy.to_string()),
        ControlError::Store(store) => {
            tracing::error!(error = %store, "configuration change could not be stored");
            ApiError::internal()
        }
        ControlError::Interrupted(cause) => {
            tracing::error!(error = %cause, "configuration change could not be checked");
            ApiError::internal()
        }
    }
}
