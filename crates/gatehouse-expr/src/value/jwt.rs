//! APIM's `Jwt`: a decoded (not validated) JSON Web Token.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::json::{JPrim, JToken, JTokenKind, from_json_text};
use super::time::{DateTime, DateTimeKind, TICKS_PER_SECOND};
use crate::context::Str;

/// A JSON Web Token as `AsJwt()` and `validate-jwt`'s output variable expose it.
///
/// Decoding does not check the signature: that is `validate-jwt`'s job, as in APIM.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Jwt {
    /// `alg` from the header.
    pub algorithm: Option<Str>,
    /// `aud`, one or several.
    pub audiences: Arc<[Str]>,
    /// Every payload claim with its values as text (arrays give several values).
    pub claims: Arc<[(Str, Arc<[Str]>)]>,
    /// `exp`.
    pub expiration_time: Option<DateTime>,
    /// `jti`.
    pub id: Option<Str>,
    /// `iss`.
    pub issuer: Option<Str>,
    /// `iat`.
    pub issued_at: Option<DateTime>,
    /// `nbf`.
    pub not_before: Option<DateTime>,
    /// `sub`.
    pub subject: Option<Str>,
    /// `typ` from the header.
    pub token_type: Option<Str>,
}

impl Jwt {
    /// Decodes a compact JWT (`header.payload.signature`); `None` when it is not one. A
    /// leading `Bearer ` is accepted, as APIM's `AsJwt()` accepts an `Authorization` value.
    pub fn parse(token: &str) -> Option<Jwt> {
        let token = token.trim();
        let token = token.strip_prefix("Bearer ").unwrap_or(token).trim();
        let mut parts = token.split('.');
        let header = decode_part(parts.next()?)?;
        let payload = decode_part(parts.next()?)?;

        let claims: Vec<(Str, Arc<[Str]>)> = payload
            .properties()
            .into_iter()
            .map(|(name, value)| (name, claim_values(&value)))
            .collect();
        let text = |name: &str| {
            claims
                .iter()
                .find(|(n, _)| &**n == name)
                .and_then(|(_, v)| v.first().cloned())
        };
        let date = |name: &str| payload.get(name).and_then(|v| epoch(&v));
        Some(Jwt {
            algorithm: header.get("alg").and_then(|v| string(&v)),
            token_type: header.get("typ").and_then(|v| string(&v)),
            audiences: claims
                .iter()
                .find(|(n, _)| &**n == "aud")
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| Arc::new([])),
            expiration_time: date("exp"),
            issued_at: date("iat"),
            not_before: date("nbf"),
            id: text("jti"),
            issuer: text("iss"),
            subject: text("sub"),
            claims: claims.into(),
        })
    }

    /// All values of claim `name`, if present.
    pub fn claim(&self, name: &str) -> Option<&Arc<[Str]>> {
        self.claims
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| v)
    }
}

fn decode_part(part: &str) -> Option<JToken> {
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    let token = from_json_text(std::str::from_utf8(&bytes).ok()?).ok()?;
    (token.kind() == JTokenKind::Object).then_some(token)
}

fn string(token: &JToken) -> Option<Str> {
    match token.prim()? {
        JPrim::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn claim_values(value: &JToken) -> Arc<[Str]> {
    match value.kind() {
        JTokenKind::Array => value.children().iter().map(claim_text).collect(),
        _ => Arc::new([claim_text(value)]),
    }
}

fn claim_text(value: &JToken) -> Str {
    match value.prim() {
        Some(JPrim::String(s)) => s.clone(),
        Some(JPrim::Bool(b)) => Str::from(if *b { "true" } else { "false" }),
        _ => value.to_json(false).into(),
    }
}

fn epoch(value: &JToken) -> Option<DateTime> {
    let seconds = match value.prim()? {
        JPrim::Integer(i) => *i,
        JPrim::Float(f) => *f as i64,
        _ => return None,
    };
    DateTime::from_unix_ticks(seconds.checked_mul(TICKS_PER_SECOND)?, DateTimeKind::Utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_header_and_payload_claims() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(
            r#"{"sub":"alice","aud":["a","b"],"exp":1700000000,"roles":["r1","r2"],"admin":true}"#,
        );
        let jwt = Jwt::parse(&format!("Bearer {header}.{payload}.sig")).expect("decodes");

        assert_eq!(jwt.algorithm.as_deref(), Some("RS256"));
        assert_eq!(jwt.subject.as_deref(), Some("alice"));
        assert_eq!(jwt.audiences.len(), 2);
        assert_eq!(jwt.claim("roles").map(|r| r.len()), Some(2));
        assert_eq!(
            jwt.claim("admin").map(|r| r[0].to_string()),
            Some("true".to_owned())
        );
        assert!(jwt.expiration_time.is_some());
        assert!(Jwt::parse("not a token").is_none());
    }
}
