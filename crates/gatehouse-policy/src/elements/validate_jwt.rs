//! `<validate-jwt header-name="Authorization" failed-validation-httpcode="401"
//! require-scheme="Bearer" require-expiration-time="true" clock-skew="0"
//! output-token-variable-name="jwt">` with `<issuer-signing-keys>`, `<audiences>`,
//! `<issuers>` and `<required-claims>`: refuses requests without a valid token.
//!
//! Keys are given in the policy: base64 symmetric keys, RSA keys as `n`/`e`, PEM public keys
//! (RSA or EC), or `certificate-id` of an uploaded certificate. Gatehouse does not fetch keys:
//! `<openid-config>` is refused.
//!
//! Encrypted tokens (JWE) are decrypted with `<decryption-keys>` (base64 symmetric keys, or
//! `certificate-id` of a certificate uploaded with its RSA private key; see `jwe.rs`). What
//! they carry is then validated like any token: a nested signed token is checked against
//! `<issuer-signing-keys>`, and bare claims count as an unsigned token.

use std::sync::Arc;

use base64::Engine;
use gatehouse_expr::context::Str;
use gatehouse_expr::{Host, Jwt, Value};
use serde_json::json;

use super::jwe::{self, DecryptionKey, DecryptionMaterial, JweError};
use super::jwt::{self, Material, Signature, SigningKey, Token};
use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::{Exchange, Failure, query_pairs};

/// APIM's default body message for a refused token.
const DEFAULT_MESSAGE: &str = "Unauthorized. Access token is missing or invalid.";

#[derive(Clone, Debug)]
pub(crate) struct ValidateJwt {
    source: TokenSource,
    status: u16,
    message: Option<Text>,
    scheme: Option<String>,
    require_expiration: bool,
    require_signed: bool,
    skew: i64,
    output: Option<Str>,
    keys: Vec<SigningKey>,
    decryption: Vec<DecryptionKey>,
    audiences: Vec<String>,
    issuers: Vec<String>,
    claims: Vec<Claim>,
}

#[derive(Clone, Debug)]
enum TokenSource {
    Header(String),
    Query(String),
    Value(Text),
}

#[derive(Clone, Debug)]
struct Claim {
    name: String,
    all: bool,
    separator: Option<String>,
    values: Vec<String>,
}

pub(crate) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<ValidateJwt> {
    refuse_fetching(element, cx)?;
    let mut policy = ValidateJwt {
        source: token_source(element, cx)?,
        status: cx
            .literal(element, "failed-validation-httpcode", "a status code")
            .unwrap_or(401),
        message: cx.text(element, "failed-validation-error-message"),
        scheme: element
            .attribute("require-scheme")
            .map(|a| a.value.text.trim().to_owned()),
        require_expiration: cx.flag(element, "require-expiration-time").unwrap_or(true),
        require_signed: cx.flag(element, "require-signed-tokens").unwrap_or(true),
        skew: cx
            .literal(element, "clock-skew", "a whole number of seconds")
            .unwrap_or(0),
        output: element
            .attribute("output-token-variable-name")
            .map(|a| a.value.text.trim().into()),
        keys: Vec::new(),
        decryption: Vec::new(),
        audiences: Vec::new(),
        issuers: Vec::new(),
        claims: Vec::new(),
    };
    for child in element.elements() {
        match child.name.as_str() {
            "issuer-signing-keys" => policy.keys = keys(child, cx)?,
            "decryption-keys" => policy.decryption = decryption_keys(child, cx)?,
            "audiences" => policy.audiences = literals(child, cx)?,
            "issuers" => policy.issuers = literals(child, cx)?,
            "required-claims" => policy.claims = claims(child, cx)?,
            _ => {}
        }
    }
    // With decryption keys and no signing keys only unsigned inner tokens could pass, which
    // `require-signed-tokens` refuses: APIM accepts such a document, so only `lint` warns.
    if policy.require_signed && policy.keys.is_empty() && policy.decryption.is_empty() {
        let message = "<validate-jwt> needs <issuer-signing-keys> to check signatures (Gatehouse does not fetch keys)";
        cx.error(element.position, Code::MissingAttribute, message);
        return None;
    }
    Some(policy)
}

/// Refuses what would need fetching keys.
fn refuse_fetching(element: &Element, cx: &mut Compiler<'_>) -> Option<()> {
    let mut refused = false;
    for child in element.elements() {
        let message = match child.name.as_str() {
            "openid-config" => {
                "<openid-config> of <validate-jwt> is not supported by this gateway: it needs fetching OpenID configuration and keys from the network; give the keys in <issuer-signing-keys>"
            }
            "issuer-signing-tokens" => {
                "<issuer-signing-tokens> of <validate-jwt> is not supported by Gatehouse yet"
            }
            _ => continue,
        };
        cx.unsupported(child.position, message);
        refused = true;
    }
    (!refused).then_some(())
}

fn token_source(element: &Element, cx: &mut Compiler<'_>) -> Option<TokenSource> {
    let attribute = |name: &str| {
        element
            .attribute(name)
            .map(|a| a.value.text.trim().to_owned())
    };
    let source = match (
        attribute("header-name"),
        attribute("query-parameter-name"),
        element.attribute("token-value"),
    ) {
        (Some(header), None, None) => TokenSource::Header(header),
        (None, Some(query), None) => TokenSource::Query(query),
        (None, None, Some(_)) => TokenSource::Value(cx.text(element, "token-value")?),
        _ => {
            let message = "<validate-jwt> needs exactly one of 'header-name', 'query-parameter-name' and 'token-value'";
            cx.error(element.position, Code::MissingAttribute, message);
            return None;
        }
    };
    Some(source)
}

fn literals(list: &Element, cx: &mut Compiler<'_>) -> Option<Vec<String>> {
    let mut values = Vec::new();
    for item in list.elements() {
        let text = cx.content(item)?;
        let Some(literal) = text.literal() else {
            let message = format!("<{}> must be literal text", item.name);
            cx.error(item.position, Code::ExpressionNotAllowed, message);
            return None;
        };
        values.push(literal.trim().to_owned());
    }
    Some(values)
}

fn keys(list: &Element, cx: &mut Compiler<'_>) -> Option<Vec<SigningKey>> {
    let mut keys = Vec::new();
    for key in list.elements() {
        if key.name == "zumo-master-key" {
            cx.unsupported(
                key.position,
                "<zumo-master-key> is not supported by Gatehouse yet",
            );
            return None;
        }
        keys.push(signing_key(key, cx)?);
    }
    Some(keys)
}

fn signing_key(key: &Element, cx: &mut Compiler<'_>) -> Option<SigningKey> {
    let id = key.attribute("id").map(|a| a.value.text.trim().to_owned());
    let invalid = |cx: &mut Compiler<'_>, what: &str| {
        cx.error(
            key.position,
            Code::InvalidValue,
            format!("signing key: {what}"),
        );
        None
    };
    let material = if let Some(certificate) = key.attribute("certificate-id") {
        let cid = certificate.value.text.trim();
        match cx.env.certificate(cid) {
            Some(found) => Material::PublicKey(found.public_key().spki_der().to_vec()),
            None => {
                return invalid(
                    cx,
                    &format!(
                        "certificate '{cid}' is not defined (upload it to /certificates/{cid})"
                    ),
                );
            }
        }
    } else if let (Some(n), Some(e)) = (key.attribute("n"), key.attribute("e")) {
        match (
            jwt::base64url(n.value.text.trim()),
            jwt::base64url(e.value.text.trim()),
        ) {
            (Some(n), Some(e)) => Material::RsaComponents { n, e },
            _ => return invalid(cx, "'n' and 'e' must be base64url"),
        }
    } else {
        let text = cx.content(key)?;
        let Some(literal) = text.literal().map(str::trim) else {
            return invalid(cx, "the key must be literal text or a named value");
        };
        if literal.starts_with("-----BEGIN") {
            match jwt::pem_der(literal) {
                Some(der) => Material::PublicKey(der),
                None => return invalid(cx, "the PEM public key is not valid base64"),
            }
        } else {
            match base64::engine::general_purpose::STANDARD.decode(literal) {
                Ok(secret) if !secret.is_empty() => Material::Symmetric(secret),
                _ => return invalid(cx, "a symmetric key must be base64"),
            }
        }
    };
    Some(SigningKey { id, material })
}

fn decryption_keys(list: &Element, cx: &mut Compiler<'_>) -> Option<Vec<DecryptionKey>> {
    list.elements().map(|key| decryption_key(key, cx)).collect()
}

/// A base64 symmetric key (`dir`, AES key wrap), or the RSA private key of an uploaded
/// certificate (RSA-OAEP). The schema already refuses a public key (`n`/`e`) here.
fn decryption_key(key: &Element, cx: &mut Compiler<'_>) -> Option<DecryptionKey> {
    let id = key.attribute("id").map(|a| a.value.text.trim().to_owned());
    let invalid = |cx: &mut Compiler<'_>, what: String| {
        let message = format!("decryption key: {what}");
        cx.error(key.position, Code::InvalidValue, message);
        None
    };
    let material = if let Some(certificate) = key.attribute("certificate-id") {
        let cid = certificate.value.text.trim();
        let Some(identity) = cx.env.client_identity(cid) else {
            return invalid(
                cx,
                format!(
                    "certificate '{cid}' is not an uploaded certificate with a private key (upload a PFX to /certificates/{cid})"
                ),
            );
        };
        match DecryptionMaterial::rsa_from_pkcs8(&identity.key) {
            Ok(material) => material,
            Err(()) => {
                return invalid(
                    cx,
                    format!(
                        "certificate '{cid}' has no RSA private key, which RSA-OAEP decryption needs"
                    ),
                );
            }
        }
    } else {
        let text = cx.content(key)?;
        let decoded = text
            .literal()
            .map(str::trim)
            .and_then(|literal| {
                base64::engine::general_purpose::STANDARD
                    .decode(literal)
                    .ok()
            })
            .filter(|secret| !secret.is_empty());
        match decoded {
            Some(secret) => DecryptionMaterial::Symmetric(secret),
            None => {
                return invalid(
                    cx,
                    "a symmetric key must be base64 text or a named value".to_owned(),
                );
            }
        }
    };
    Some(DecryptionKey { id, material })
}

fn claims(list: &Element, cx: &mut Compiler<'_>) -> Option<Vec<Claim>> {
    let mut claims = Vec::new();
    for claim in list.elements() {
        let Some(name) = claim
            .attribute("name")
            .map(|a| a.value.text.trim().to_owned())
        else {
            cx.error(
                claim.position,
                Code::MissingAttribute,
                "<claim> needs the attribute 'name'",
            );
            return None;
        };
        claims.push(Claim {
            name,
            all: !claim
                .attribute("match")
                .is_some_and(|a| a.value.text.trim().eq_ignore_ascii_case("any")),
            separator: claim.attribute("separator").map(|a| a.value.text.clone()),
            values: literals(claim, cx)?,
        });
    }
    Some(claims)
}

impl ValidateJwt {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        if let TokenSource::Value(text) = &self.source {
            out.push(text);
        }
        out.extend(&self.message);
    }

    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let raw = self.token(ex)?;
        let raw = self.decrypted(ex, raw)?;
        let token = jwt::decode(&raw)
            .map_err(|e| self.refuse(ex, "JwtInvalid", format!("JWT is not well formed: {e}.")))?;
        self.check_critical(ex, &token.header)?;
        self.check_signature(ex, &token)?;
        self.check_lifetime(ex, &token)?;
        self.check_audience(ex, &token)?;
        self.check_issuer(ex, &token)?;
        self.check_claims(ex, &token)?;

        ex.record(
            "validate-jwt",
            || json!({ "message": "JWT was successfully validated." }),
        );
        if let Some(variable) = &self.output
            && let Some(parsed) = Jwt::parse(&raw)
        {
            ex.set_variable(variable, Value::Jwt(Arc::new(parsed)));
        }
        Ok(())
    }

    /// The token from the header, query parameter or expression.
    fn token(&self, ex: &Exchange) -> Result<String, Failure> {
        let missing = || self.refuse(ex, "TokenNotPresent", "JWT not present.".into());
        let found = match &self.source {
            TokenSource::Header(name) => ex
                .request
                .headers
                .get(name.as_str())
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            TokenSource::Query(name) => query_pairs(&ex.request.url.query)
                .find(|(n, _)| n == name)
                .map(|(_, v)| v),
            TokenSource::Value(text) => Some(
                text.string(ex)
                    .map_err(|e| Failure::expression("validate-jwt", &e))?
                    .to_string(),
            ),
        };
        let value = found.filter(|v| !v.trim().is_empty()).ok_or_else(missing)?;
        let value = value.trim();
        let split = value.split_once(' ').map(|(s, r)| (s, r.trim()));
        match (&self.scheme, split) {
            (Some(required), Some((scheme, rest))) if scheme.eq_ignore_ascii_case(required) => {
                Ok(rest.to_owned())
            }
            (Some(_), _) => Err(missing()),
            (None, Some((scheme, rest))) if scheme.eq_ignore_ascii_case("bearer") => {
                Ok(rest.to_owned())
            }
            (None, _) => Ok(value.to_owned()),
        }
    }

    /// Refuses a header with `crit`: it names extensions the recipient must understand to
    /// accept the token (RFC 7515 section 4.1.11), and Gatehouse understands none.
    fn check_critical(&self, ex: &Exchange, header: &serde_json::Value) -> Result<(), Failure> {
        let Some(critical) = header.get("crit") else {
            return Ok(());
        };
        let message = format!(
            "The token marks header parameters as critical ({critical}), and this gateway understands none. Access denied."
        );
        Err(self.refuse(ex, "JwtInvalid", message))
    }

    /// `raw` itself when it is not encrypted; else what it carries: the nested token, or its
    /// bare claims as an unsigned token (which `require-signed-tokens` then refuses).
    fn decrypted(&self, ex: &Exchange, raw: String) -> Result<String, Failure> {
        if !jwe::is_encrypted(&raw) {
            return Ok(raw);
        }
        if self.decryption.is_empty() {
            let message =
                "The token is encrypted and no decryption keys are configured. Access denied.";
            return Err(self.refuse(ex, "JwtInvalid", message.into()));
        }
        let decrypted = jwe::decrypt(&raw, &self.decryption).map_err(|error| {
            let message = match error {
                JweError::Malformed(what) => format!("JWT is not well formed: {what}."),
                JweError::Unsupported(what) => {
                    format!("The token cannot be decrypted: {what}. Access denied.")
                }
                JweError::NoKey(alg) => format!(
                    "No configured decryption key fits the token (alg {alg}). Access denied."
                ),
                JweError::Undecryptable => {
                    "The token could not be decrypted with the configured keys. Access denied."
                        .to_owned()
                }
            };
            self.refuse(ex, "JwtInvalid", message)
        })?;
        self.check_critical(ex, &decrypted.header)?;
        ex.record(
            "validate-jwt",
            || json!({ "message": "The encrypted token was decrypted." }),
        );
        let text = String::from_utf8(decrypted.plaintext).map_err(|_| {
            self.refuse(
                ex,
                "JwtInvalid",
                "The decrypted token is not text. Access denied.".into(),
            )
        })?;
        if text.trim_start().starts_with('{') {
            return Ok(jwt::unsigned(text.trim()));
        }
        Ok(text.trim().to_owned())
    }

    fn check_signature(&self, ex: &Exchange, token: &Token) -> Result<(), Failure> {
        if !self.require_signed && token.algorithm().eq_ignore_ascii_case("none") {
            return Ok(());
        }
        match token.verify(&self.keys) {
            Signature::Valid => Ok(()),
            Signature::Invalid => Err(self.refuse(ex, "TokenSignatureInvalid", "Signature validation failed: no configured key verifies the token's signature. Access denied.".into())),
            Signature::NoKey => Err(self.refuse(ex, "TokenSignatureKeyNotFound", format!("No configured signing key fits the token (alg {}). Access denied.", token.algorithm()))),
            Signature::Unsupported(alg) => Err(self.refuse(ex, "TokenSignatureInvalid", format!("The token's algorithm '{alg}' is not accepted. Access denied."))),
        }
    }

    fn check_lifetime(&self, ex: &Exchange, token: &Token) -> Result<(), Failure> {
        let now = ex.now().unix_timestamp();
        let claim = |name: &str| token.claims.get(name).and_then(serde_json::Value::as_i64);
        match claim("exp") {
            None if self.require_expiration => {
                return Err(self.refuse(
                    ex,
                    "JwtInvalid",
                    "The token has no expiration time. Access denied.".into(),
                ));
            }
            Some(exp) if now > exp.saturating_add(self.skew) => {
                return Err(self.refuse(
                    ex,
                    "TokenExpired",
                    "Lifetime validation failed. The token is expired. Access denied.".into(),
                ));
            }
            _ => {}
        }
        if let Some(nbf) = claim("nbf")
            && now.saturating_add(self.skew) < nbf
        {
            return Err(self.refuse(
                ex,
                "JwtInvalid",
                "Lifetime validation failed. The token is not yet valid. Access denied.".into(),
            ));
        }
        Ok(())
    }

    fn check_audience(&self, ex: &Exchange, token: &Token) -> Result<(), Failure> {
        if self.audiences.is_empty() {
            return Ok(());
        }
        let audiences = strings(token.claims.get("aud"));
        if audiences.iter().any(|a| self.audiences.contains(a)) {
            return Ok(());
        }
        Err(self.refuse(
            ex,
            "TokenAudienceNotAllowed",
            format!(
                "Audience validation failed. Audiences: '{}'. Access denied.",
                audiences.join(", ")
            ),
        ))
    }

    fn check_issuer(&self, ex: &Exchange, token: &Token) -> Result<(), Failure> {
        if self.issuers.is_empty() {
            return Ok(());
        }
        let issuer = token
            .claims
            .get("iss")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        if self.issuers.iter().any(|i| i == issuer) {
            return Ok(());
        }
        Err(self.refuse(
            ex,
            "TokenIssuerNotAllowed",
            format!("Issuer validation failed. Issuer: '{issuer}'. Access denied."),
        ))
    }

    fn check_claims(&self, ex: &Exchange, token: &Token) -> Result<(), Failure> {
        let missing: Vec<&str> = self
            .claims
            .iter()
            .filter(|c| token.claims.get(&c.name).is_none())
            .map(|c| c.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(self.refuse(
                ex,
                "TokenClaimNotFound",
                format!(
                    "JWT token is missing the following claims: {}. Access denied.",
                    missing.join(", ")
                ),
            ));
        }
        for claim in &self.claims {
            let present = claim_values(token.claims.get(&claim.name), claim.separator.as_deref());
            if claim.values.is_empty() {
                continue;
            }
            let allowed = if claim.all {
                claim.values.iter().all(|v| present.contains(v))
            } else {
                claim.values.iter().any(|v| present.contains(v))
            };
            if !allowed {
                return Err(self.refuse(
                    ex,
                    "TokenClaimValueNotAllowed",
                    format!(
                        "Claim {} value of {} is not allowed. Access denied.",
                        claim.name,
                        present.join(",")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A refusal: `LastError` says why; the caller gets the configured status and message.
    fn refuse(&self, ex: &Exchange, reason: &str, message: String) -> Failure {
        let shown = self
            .message
            .as_ref()
            .and_then(|m| m.string(ex).ok())
            .map_or_else(|| DEFAULT_MESSAGE.to_owned(), |m| m.to_string());
        ex.record(
            "validate-jwt",
            || json!({ "message": &message, "reason": reason }),
        );
        Failure::denied("validate-jwt", reason, &message, self.status).with_response_message(shown)
    }
}

/// A claim as a list of strings (arrays flattened).
fn strings(value: Option<&serde_json::Value>) -> Vec<String> {
    match value {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        Some(other) => vec![other.to_string()],
        None => Vec::new(),
    }
}

/// A claim's values, split by the separator when one is given.
fn claim_values(value: Option<&serde_json::Value>, separator: Option<&str>) -> Vec<String> {
    let values = strings(value);
    match separator.filter(|s| !s.is_empty()) {
        Some(separator) => values
            .iter()
            .flat_map(|v| v.split(separator).map(|s| s.trim().to_owned()))
            .collect(),
        None => values,
    }
}
