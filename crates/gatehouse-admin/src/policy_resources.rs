//! Writes that the policy compiler checks before they reach the store: policy documents and
//! policy fragments, checked against the named values, fragments, backends and certificates
//! already configured, so every problem comes back with its line and column. And what the
//! API shows of named values: never a secret's value.

use gatehouse_model::{PolicyFragmentProperties, PolicyProperties, ResourcePath};
use gatehouse_policy::compile::{Environment, check_fragment, compile_document_with};
use gatehouse_policy::reader::Diagnostic;
use serde_json::{Map, Value, json};

use crate::ApiError;
use crate::control::Control;

/// A policy write: compiled here first so every problem comes back with its position.
pub(crate) async fn policy(
    control: &Control,
    path: &ResourcePath,
    properties: Value,
) -> Result<PolicyProperties, ApiError> {
    let policy: PolicyProperties = serde_json::from_value(properties).map_err(|e| {
        ApiError::validation(format!("invalid body: {e} (format must be \"xml\" or \"rawxml\"; policies are not fetched from URLs)"))
    })?;
    let ResourcePath::Policy(scope) = path else {
        return Err(ApiError::not_found(path));
    };
    let env = environment(control).await?;
    let level = gatehouse_gateway::snapshot::level(scope);
    if let Err(diagnostics) = compile_document_with(&policy.value, level, &env) {
        return Err(refusal("the policy", &diagnostics));
    }
    Ok(policy)
}

/// A fragment write: read and checked on its own (each statement in a section that allows
/// it); where it is included is checked with the including policies.
pub(crate) async fn fragment(
    control: &Control,
    properties: Value,
) -> Result<PolicyFragmentProperties, ApiError> {
    let fragment: PolicyFragmentProperties = serde_json::from_value(properties)
        .map_err(|e| ApiError::validation(format!("invalid body: {e}")))?;
    let env = environment(control).await?;
    if let Err(diagnostics) = check_fragment(&fragment.value, &env) {
        return Err(refusal("the policy fragment", &diagnostics));
    }
    Ok(fragment)
}

/// `POST /namedValues/{id}/listValue`: the value, secret or not, as APIM returns it.
pub(crate) async fn named_value(control: &Control, id: &str) -> Result<Value, ApiError> {
    let value = control
        .read(|config| config.named_values.get(id).map(|n| n.value.clone()))
        .await
        .ok_or_else(|| ApiError::not_found(format!("namedValues/{id}")))?;
    Ok(json!({ "value": value }))
}

/// Removes a secret named value's value from what GET returns.
pub(crate) fn hide_secret(properties: &mut Map<String, Value>) {
    if properties.get("secret") == Some(&Value::Bool(true)) {
        properties.remove("value");
    }
}

async fn environment(control: &Control) -> Result<Environment, ApiError> {
    control
        .read(gatehouse_gateway::snapshot::policy_environment)
        .await
        .map_err(|e| ApiError::validation(e.to_string()))
}

/// 400 with one detail per problem, each with its line and column.
fn refusal(what: &str, diagnostics: &[Diagnostic]) -> ApiError {
    let details = diagnostics
        .iter()
        .map(|d| json!({ "code": "PolicyError", "target": "value", "line": d.line, "column": d.column, "message": d.to_string() }))
        .collect();
    let first = diagnostics
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    let summary = format!(
        "{what} does not compile: {} error(s), first at {first}",
        diagnostics.len()
    );
    ApiError::validation_details(summary, details)
}
