//! The console's server-side sender: `POST /gateway/send`.
//!
//! A browser cannot present a certificate it does not hold, and the uploaded PFX certificates
//! live in the gateway's store with their private keys. The sender makes the call from the
//! admin process instead, presenting the chosen certificate with its stored key, like the
//! portal's test console sends through its proxy. It only ever calls the gateway it belongs
//! to, so the stored keys cannot be used to authenticate anywhere else.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use gatehouse_model::CertificateProperties;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use rustls::pki_types::CertificateDer;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ConsoleState;
use crate::ApiError;
use crate::client::{self, Identity, Outgoing, Received, SendError};

/// How long the gateway gets to answer a test call.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// The response header that carries a trace's URL.
const TRACE_LOCATION: &str = "ocp-apim-trace-location";

/// The body of `POST /gateway/send`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct SendRequest {
    method: String,
    url: String,
    #[serde(default)]
    headers: Vec<Header>,
    #[serde(default)]
    body: String,
    /// The uploaded certificate to present; none presents no certificate.
    #[serde(default)]
    certificate_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    name: String,
    value: String,
}

/// Sends the request to the gateway and answers with status, headers, body and, when the
/// gateway traced the call, the trace document.
pub(super) async fn send(
    State(state): State<ConsoleState>,
    Json(request): Json<SendRequest>,
) -> Result<Json<Value>, ApiError> {
    let identity = match request
        .certificate_id
        .as_deref()
        .filter(|id| !id.is_empty())
    {
        Some(id) => Some(identity_of(&state, id).await?),
        None => None,
    };
    let outgoing = outgoing(&request, &state.settings.gateway_url)?;

    let trust = &state.settings.gateway_trust;
    let received = client::send(
        outgoing,
        trust,
        identity.as_ref().map(|(_, i)| i),
        SEND_TIMEOUT,
    )
    .await
    .map_err(|e| unreachable(&e, &state.settings.gateway_url))?;

    let presented = identity.map(|(properties, _)| {
        json!({ "id": request.certificate_id, "thumbprint": properties.thumbprint, "subject": properties.subject })
    });
    Ok(Json(answer(&state, &received, presented)))
}

/// The stored certificate and the identity made of it and its private key.
async fn identity_of(
    state: &ConsoleState,
    id: &str,
) -> Result<(CertificateProperties, Identity), ApiError> {
    let stored = state
        .control
        .read(|config| config.certificates.get(id).cloned())
        .await
        .ok_or_else(|| ApiError::not_found(format!("certificates/{id}")))?;
    let Some(key) = &stored.private_key else {
        return Err(ApiError::validation(format!(
            "certificate '{id}' was uploaded without a private key, so it cannot be presented; upload it as a PFX with its key"
        )));
    };

    let der = |b64: &str| BASE64.decode(b64).map(CertificateDer::from);
    let chain: Result<Vec<_>, _> = std::iter::once(&stored.certificate)
        .chain(&stored.chain)
        .map(|c| der(c))
        .collect();
    let (Ok(chain), Ok(key)) = (chain, BASE64.decode(key)) else {
        return Err(ApiError::validation(format!(
            "certificate '{id}' is stored damaged; upload it again"
        )));
    };
    let identity = Identity::new(chain, key).map_err(|e| {
        ApiError::validation(format!("certificate '{id}' cannot be presented: {e}"))
    })?;
    Ok((stored, identity))
}

/// The request as the client sends it; only URLs on the gateway are accepted.
fn outgoing(request: &SendRequest, gateway_url: &str) -> Result<Outgoing, ApiError> {
    let on_gateway = request
        .url
        .strip_prefix(gateway_url.trim_end_matches('/'))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'));
    if !on_gateway {
        return Err(ApiError::validation(format!(
            "the console sends only to the gateway, {gateway_url}; '{}' is elsewhere",
            request.url
        )));
    }
    let url: Uri = request
        .url
        .parse()
        .map_err(|e| ApiError::validation(format!("'{}' is not a URL: {e}", request.url)))?;
    let method = Method::from_bytes(request.method.trim().as_bytes())
        .map_err(|_| ApiError::validation(format!("'{}' is not an HTTP method", request.method)))?;

    let mut headers = HeaderMap::new();
    for header in request.headers.iter().filter(|h| !h.name.trim().is_empty()) {
        let name = HeaderName::from_bytes(header.name.trim().as_bytes())
            .map_err(|_| ApiError::validation(format!("'{}' is not a header name", header.name)))?;
        let value = HeaderValue::from_str(&header.value).map_err(|_| {
            ApiError::validation(format!(
                "the value of header '{}' is not allowed in HTTP",
                header.name
            ))
        })?;
        headers.append(name, value);
    }
    Ok(Outgoing {
        method,
        url,
        headers,
        body: Bytes::from(request.body.clone()),
    })
}

/// A sender failure as a 502 that says what went wrong on the way to the gateway.
fn unreachable(error: &SendError, gateway_url: &str) -> ApiError {
    let hint = match error {
        SendError::UntrustedServer { .. } | SendError::WrongHost { .. } => {
            " (the sender trusts the data directory's local CA, tls/ca.pem, for the gateway's certificate)"
        }
        SendError::Connect { .. } => " (is the gateway listener running?)",
        _ => "",
    };
    ApiError::bad_gateway(format!(
        "no response from the gateway at {gateway_url}: {error}{hint}"
    ))
}

fn answer(state: &ConsoleState, received: &Received, presented: Option<Value>) -> Value {
    let headers: Vec<Value> = received
        .headers
        .iter()
        .map(|(name, value)| json!({ "name": name.as_str(), "value": String::from_utf8_lossy(value.as_bytes()) }))
        .collect();
    let (body, encoding) = match std::str::from_utf8(&received.body) {
        Ok(text) => (text.to_owned(), "utf-8"),
        Err(_) => (BASE64.encode(&received.body), "base64"),
    };
    let trace_id = received
        .headers
        .get(TRACE_LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|location| location.rsplit('/').next())
        .map(str::to_owned);
    let trace = trace_id
        .as_deref()
        .and_then(|id| state.traces.get(id))
        .and_then(|document| serde_json::from_slice::<Value>(&document).ok());
    json!({
        "status": received.status.as_u16(),
        "reason": received.reason,
        "version": format!("{:?}", received.version),
        "headers": headers,
        "body": body,
        "bodyEncoding": encoding,
        "elapsedMs": received.elapsed.as_secs_f64() * 1000.0,
        "certificateRequested": received.certificate_requested,
        "certificatePresented": presented,
        "traceId": trace_id,
        "trace": trace,
    })
}
