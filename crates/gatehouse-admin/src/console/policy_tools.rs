//! Policy endpoints for editors: compile without saving, and the effective policy.

use std::str::FromStr;

use axum::Json;
use axum::extract::{OriginalUri, Path, Query, State};
use gatehouse_model::{Config, PolicyProperties, PolicyScope, ResourcePath};
use gatehouse_policy::compile::compile_document_with;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ConsoleState;
use super::effective::{Layer, effective_policy};
use crate::ApiError;

/// `POST .../policies/policy/validate` with the body a PUT would take: compiles the document
/// for that scope, against the named values, fragments and certificates configured now (as
/// a PUT would), and answers 200 with `valid`, every error at its line and column, and the
/// warnings `gatehouse policy check` prints (a document with warnings still compiles).
/// Nothing is stored. An editor calls this while the user types.
pub(super) async fn validate(
    State(state): State<ConsoleState>,
    OriginalUri(uri): OriginalUri,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let scope = scope_of(uri.path())?;
    let policy = policy_of(&body)?;
    let environment = state
        .control
        .read(gatehouse_gateway::snapshot::policy_environment)
        .await
        .map_err(|e| ApiError::validation(e.to_string()))?;

    let level = gatehouse_gateway::snapshot::level(&scope);
    let errors: Vec<Value> = match compile_document_with(&policy.value, level, &environment) {
        Ok(_) => Vec::new(),
        Err(mut diagnostics) => {
            // In text order, as an editor lists them (the checks find them in passes).
            diagnostics.sort_by_key(|d| (d.line, d.column));
            diagnostics
            .iter()
            .map(|d| json!({ "line": d.line, "column": d.column, "message": d.message, "code": format!("{:?}", d.code) }))
            .collect()
        }
    };
    let warnings: Vec<Value> = gatehouse_policy::lint::lint(&policy.value)
        .into_iter()
        .map(|w| json!({ "line": w.line, "column": w.column, "message": w.message }))
        .collect();
    Ok(Json(json!({
        "valid": errors.is_empty(),
        "scope": level.name(),
        "errors": errors,
        "warnings": warnings,
    })))
}

/// The policy scope named by `/....../policies/policy/validate`.
fn scope_of(path: &str) -> Result<PolicyScope, ApiError> {
    let text = path
        .trim_matches('/')
        .strip_suffix("/validate")
        .unwrap_or_default();
    match ResourcePath::from_str(text) {
        Ok(ResourcePath::Policy(scope)) => Ok(scope),
        _ => Err(ApiError::not_found(format!("'{path}'"))),
    }
}

fn policy_of(body: &[u8]) -> Result<PolicyProperties, ApiError> {
    #[derive(Deserialize)]
    struct Envelope {
        properties: PolicyProperties,
    }
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        ApiError::validation(format!(
            "the body must be {{\"properties\": {{\"format\": \"rawxml\", \"value\": \"<policies>...\"}}}}: {e}"
        ))
    })?;
    Ok(envelope.properties)
}

/// `?productId=`: the product whose key the caller would use; product policies apply only
/// then.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EffectiveQuery {
    product_id: Option<String>,
}

/// `GET /apis/{apiId}/operations/{operationId}/effectivePolicy[?productId=]`: the document
/// the operation runs, `<base/>` resolved, each statement labelled with its scope.
pub(super) async fn effective(
    State(state): State<ConsoleState>,
    Path((api, operation)): Path<(String, String)>,
    Query(query): Query<EffectiveQuery>,
) -> Result<Json<Value>, ApiError> {
    let product = query.product_id.filter(|p| !p.is_empty());
    let text = state
        .control
        .read(|config| joined(config, &api, &operation, product.as_deref()))
        .await?;
    Ok(Json(json!({
        "properties": { "format": "rawxml", "value": text, "productId": product },
    })))
}

fn joined(
    config: &Config,
    api: &str,
    operation: &str,
    product: Option<&str>,
) -> Result<String, ApiError> {
    let key = (api.to_owned(), operation.to_owned());
    if !config.operations.contains_key(&key) {
        return Err(ApiError::not_found(format!(
            "apis/{api}/operations/{operation}"
        )));
    }
    if let Some(product) = product
        && !config
            .product_apis
            .contains(&(product.to_owned(), api.to_owned()))
    {
        return Err(ApiError::validation(format!(
            "the API '{api}' is not in the product '{product}'"
        )));
    }

    let text = |scope: PolicyScope| config.policies.get(&scope).map(|p| p.value.as_str());
    let mut layers = vec![Layer {
        label: "global policy".to_owned(),
        text: text(PolicyScope::Global),
    }];
    if let Some(product) = product {
        layers.push(Layer {
            label: format!("product {product}"),
            text: text(PolicyScope::Product(product.to_owned())),
        });
    }
    layers.push(Layer {
        label: format!("API {api}"),
        text: text(PolicyScope::Api(api.to_owned())),
    });
    layers.push(Layer {
        label: format!("operation {operation}"),
        text: text(PolicyScope::Operation(api.to_owned(), operation.to_owned())),
    });
    Ok(effective_policy(&layers))
}
