//! APIM's extension methods on strings (`AsJwt()`, `AsBasic()`) and the `Jwt` they return.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{Func, Prop, Recv, Sig, arg, non_null};
use crate::context::Str;
use crate::error::EvalError;
use crate::eval::Machine;
use crate::types::Ty;
use crate::value::{Jwt, List, Value};

/// A member of `Jwt` or of its `Claims`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JwtProp {
    Algorithm,
    Audiences,
    Claims,
    ExpirationTime,
    Id,
    Issuer,
    IssuedAt,
    NotBefore,
    Subject,
    Type,
    ClaimCount,
    ClaimKeys,
}

/// `AsJwt()`, `AsBasic()` and the claim dictionary's methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JwtFn {
    AsJwt,
    AsBasic,
    ClaimValue,
    /// `Claims.GetValueOrDefault(name, string[] default)`: the values themselves.
    ClaimValues,
    ClaimContains,
    ClaimIndex,
}

/// The members of APIM's `BasicAuthCredentials`.
pub(crate) fn basic_fields() -> Arc<[(Str, Ty)]> {
    Arc::new([
        ("UserId".into(), Ty::String),
        ("Password".into(), Ty::String),
    ])
}

/// The members of the `Authorization` that `get-authorization-context` stores: the runtime keeps
/// it as a `Value::Anonymous` with these fields, in this order.
pub(crate) fn authorization_fields() -> Arc<[(Str, Ty)]> {
    let claims = Ty::Dict(Box::new(Ty::String), Box::new(Ty::Object));
    Arc::new([
        ("AccessToken".into(), Ty::String),
        ("Claims".into(), claims),
    ])
}

#[rustfmt::skip]
pub(crate) fn property(ty: &Ty, name: &str) -> Option<(Prop, Ty)> {
    use JwtProp as P;
    let date = || Ty::DateTime.nullable();
    let (prop, result) = match (ty, name) {
        (Ty::Jwt, "Algorithm") => (P::Algorithm, Ty::String),
        (Ty::Jwt, "Audiences") => (P::Audiences, Ty::seq(Ty::String)),
        (Ty::Jwt, "Claims") => (P::Claims, Ty::JwtClaims),
        (Ty::Jwt, "ExpirationTime") => (P::ExpirationTime, date()),
        (Ty::Jwt, "Id") => (P::Id, Ty::String),
        (Ty::Jwt, "Issuer") => (P::Issuer, Ty::String),
        (Ty::Jwt, "IssuedAt") => (P::IssuedAt, date()),
        (Ty::Jwt, "NotBefore") => (P::NotBefore, date()),
        (Ty::Jwt, "Subject") => (P::Subject, Ty::String),
        (Ty::Jwt, "Type") => (P::Type, Ty::String),
        (Ty::JwtClaims, "Count") => (P::ClaimCount, Ty::Int),
        (Ty::JwtClaims, "Keys") => (P::ClaimKeys, Ty::seq(Ty::String)),
        _ => return None,
    };
    Some((Prop::Jwt(prop), result))
}

fn text(value: Option<&Str>) -> Value {
    value.cloned().map(Value::Str).unwrap_or_default()
}

pub(crate) fn get(target: Value, prop: JwtProp) -> Result<Value, EvalError> {
    let jwt = match non_null(target)? {
        Value::Jwt(jwt) | Value::JwtClaims(jwt) => jwt,
        other => return Err(EvalError::cast(other.type_name(), "Jwt")),
    };
    let date = |d: Option<crate::value::DateTime>| d.map(Value::DateTime).unwrap_or_default();
    Ok(match prop {
        JwtProp::Algorithm => text(jwt.algorithm.as_ref()),
        JwtProp::Audiences => strings(&jwt.audiences),
        JwtProp::Claims => Value::JwtClaims(jwt),
        JwtProp::ExpirationTime => date(jwt.expiration_time),
        JwtProp::Id => text(jwt.id.as_ref()),
        JwtProp::Issuer => text(jwt.issuer.as_ref()),
        JwtProp::IssuedAt => date(jwt.issued_at),
        JwtProp::NotBefore => date(jwt.not_before),
        JwtProp::Subject => text(jwt.subject.as_ref()),
        JwtProp::Type => text(jwt.token_type.as_ref()),
        JwtProp::ClaimCount => Value::Int(jwt.claims.len() as i32),
        JwtProp::ClaimKeys => Value::List(List::array(
            jwt.claims
                .iter()
                .map(|(n, _)| Value::Str(n.clone()))
                .collect(),
        )),
    })
}

fn strings(values: &[Str]) -> Value {
    Value::List(List::array(
        values.iter().cloned().map(Value::Str).collect(),
    ))
}

pub(crate) fn method(sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    let Recv::Value(ty) = sig.recv else {
        return None;
    };
    let n = sig.args.len();
    let (f, result) = match (ty, sig.name, n) {
        (Ty::String, "AsJwt", 0) => (JwtFn::AsJwt, Ty::Jwt),
        (Ty::String, "AsBasic", 0) => (JwtFn::AsBasic, Ty::Anonymous(basic_fields())),
        (Ty::JwtClaims, "GetValueOrDefault", 2) if matches!(sig.args[1], Ty::Array(_)) => {
            (JwtFn::ClaimValues, Ty::array(Ty::String))
        }
        (Ty::JwtClaims, "GetValueOrDefault", 1 | 2) => (JwtFn::ClaimValue, Ty::String),
        (Ty::JwtClaims, "ContainsKey", 1) => (JwtFn::ClaimContains, Ty::Bool),
        _ => return None,
    };
    Some(Ok((Func::Jwt(f), result)))
}

pub(crate) fn indexer(target: &Ty, key: &Ty) -> Option<(Func, Ty)> {
    let fits = *target == Ty::JwtClaims && matches!(key, Ty::String | Ty::Error);
    fits.then(|| (Func::Jwt(JwtFn::ClaimIndex), Ty::array(Ty::String)))
}

pub(crate) fn call(
    m: &Machine<'_>,
    f: JwtFn,
    target: Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    let target = non_null(target)?;
    match (f, &target) {
        (JwtFn::AsJwt, Value::Str(s)) => Ok(Jwt::parse(s)
            .map(|j| Value::Jwt(Arc::new(j)))
            .unwrap_or_default()),
        (JwtFn::AsBasic, Value::Str(s)) => Ok(basic(s)),
        (_, Value::JwtClaims(jwt)) => {
            let name = m.display(&arg(&mut args, 0));
            let values = jwt.claim(&name);
            match f {
                JwtFn::ClaimContains => Ok(Value::Bool(values.is_some())),
                JwtFn::ClaimIndex => values
                    .map(|v| strings(v))
                    .ok_or(EvalError::KeyNotFound { key: name }),
                JwtFn::ClaimValues => Ok(values.map_or_else(|| arg(&mut args, 1), |v| strings(v))),
                _ => Ok(match values {
                    Some(values) => Value::from(values.join(",")),
                    None => arg(&mut args, 1),
                }),
            }
        }
        (_, other) => Err(EvalError::cast(other.type_name(), "System.String")),
    }
}

/// `AsBasic()`: a `Basic` authorization value (the scheme is optional) decoded to its user and
/// password, or null.
fn basic(value: &str) -> Value {
    let encoded = value.trim();
    let encoded = encoded
        .strip_prefix("Basic ")
        .or_else(|| encoded.strip_prefix("basic "))
        .unwrap_or(encoded);
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Value::Null;
    };
    Value::Anonymous(Arc::new([
        ("UserId".into(), Value::str(user)),
        ("Password".into(), Value::str(password)),
    ]))
}
