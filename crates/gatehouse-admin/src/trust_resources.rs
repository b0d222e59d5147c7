//! Trust-related resources as the management API shows and takes them: CRL uploads,
//! certificate validity, and the expiry warnings logged when the configuration loads or
//! changes.

use base64::Engine;
use gatehouse_cert::expiry::{DEFAULT_WARNING, needing_attention};
use gatehouse_cert::{Certificate, Crl, Validity};
use gatehouse_model::{Config, CrlProperties};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::ApiError;

/// A CRL upload: `data` is PEM text, or the base64 of a DER or PEM CRL. Stored as base64
/// DER with what was read from it. Whether a CA of the store issued it is checked with the
/// whole configuration (a CRL nobody can check is refused there, with the reason).
///
/// # Errors
/// 400 when `data` is missing or not one readable CRL.
pub(crate) fn crl(properties: &Value) -> Result<CrlProperties, ApiError> {
    let data = properties
        .get("data")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::validation("property 'data' (the CRL: PEM, or base64 of DER) is required")
        })?;
    let bytes = crl_bytes(data)?;
    let mut crls =
        Crl::parse(&bytes).map_err(|e| ApiError::validation(format!("property 'data': {e}")))?;
    if crls.len() != 1 {
        return Err(ApiError::validation(format!(
            "property 'data' holds {} CRLs; upload each as its own certificateRevocationLists resource",
            crls.len()
        )));
    }
    let crl = crls.remove(0);
    let date = |at: OffsetDateTime| at.format(&Rfc3339).ok();
    Ok(CrlProperties {
        data: base64::engine::general_purpose::STANDARD.encode(crl.der()),
        issuer: Some(crl.issuer().to_string()),
        this_update: date(crl.this_update()),
        next_update: crl.next_update().and_then(date),
        revoked_count: Some(crl.revoked_count()),
    })
}

fn crl_bytes(data: &str) -> Result<Vec<u8>, ApiError> {
    let text = data.trim();
    if text.starts_with("-----BEGIN") {
        return Ok(text.as_bytes().to_vec());
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| {
            ApiError::validation(format!("property 'data' is neither PEM nor base64: {e}"))
        })
}

/// Adds `validity` to a certificate's properties: `{"state", "daysLeft"}` with state
/// `valid`, `expiringSoon` (within 30 days), `expired` or `notYetValid`.
pub(crate) fn add_validity(object: &mut Map<String, Value>) {
    let certificate = object
        .get("certificate")
        .and_then(Value::as_str)
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|der| Certificate::from_der(&der).ok());
    if let Some(certificate) = certificate {
        let validity = certificate.validity_at(OffsetDateTime::now_utc(), DEFAULT_WARNING);
        object.insert("validity".to_owned(), validity_json(&validity));
    }
}

fn validity_json(validity: &Validity) -> Value {
    let (state, days_left) = match validity {
        Validity::NotYetValid { .. } => ("notYetValid", None),
        Validity::Valid { remaining } => ("valid", Some(remaining.whole_days())),
        Validity::ExpiringSoon { remaining } => ("expiringSoon", Some(remaining.whole_days())),
        Validity::Expired { since } => ("expired", Some(-since.whole_days())),
    };
    json!({ "state": state, "daysLeft": days_left })
}

/// Logs every uploaded certificate that is expired, expiring within 30 days or not valid
/// yet, soonest first: at start and after each configuration change, so operators hear of
/// it before callers fail.
pub(crate) fn log_expiry(config: &Config) {
    let parsed: Vec<(String, Certificate)> = config
        .certificates
        .iter()
        .filter_map(|(id, properties)| {
            let der = base64::engine::general_purpose::STANDARD
                .decode(&properties.certificate)
                .ok()?;
            Some((id.clone(), Certificate::from_der(&der).ok()?))
        })
        .collect();
    let named = parsed.iter().map(|(id, c)| (id.as_str(), c));
    for notice in needing_attention(named, OffsetDateTime::now_utc(), DEFAULT_WARNING) {
        let is_ca = config.certificate_authorities.contains_key(notice.name);
        tracing::warn!(
            certificate.id = notice.name,
            client.cert.thumbprint = &**notice.certificate.thumbprint(),
            validity = notice.validity.label(),
            certificate_authority = is_ca,
            "{notice}"
        );
    }
}
