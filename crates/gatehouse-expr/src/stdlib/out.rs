//! Methods with an `out` parameter: `int.TryParse(s, out var n)`, `dict.TryGetValue(k, out v)`,
//! `header.TryParseJwt(out var jwt)`.
//!
//! The checker passes the `out` variable as its frame slot (a constant last argument); these
//! functions store the result there and return whether they succeeded.

use super::{Class, Func, Recv, arg, non_null};
use crate::error::EvalError;
use crate::eval::Machine;
use crate::types::{HostTy, Ty};
use crate::value::{JTokenKind, Value};

/// A method with an `out` parameter.
#[derive(Clone, Debug)]
pub(crate) enum OutFn {
    /// `T.TryParse(text, out T value)`.
    Parse(Ty),
    /// `TryGetValue(key, out value)` through the receiver's indexer.
    GetValue(Box<Func>),
    /// `text.TryParseJwt(out Jwt jwt)` / `TryParseBasic(out …)`.
    ParseToken(super::jwt::JwtFn),
}

/// The method and the type of its `out` parameter, for the calls this module supports.
pub(crate) fn signature(recv: Recv<'_>, name: &str, argc: usize) -> Option<(OutFn, Ty)> {
    match (recv, name, argc) {
        (Recv::Static(class), "TryParse", 2) => {
            let ty = parsed_type(class)?;
            Some((OutFn::Parse(ty.clone()), ty))
        }
        (Recv::Value(ty), "TryGetValue", 2) => {
            let (getter, value) =
                super::indexer(ty, &Ty::String).or_else(|| super::indexer(ty, &Ty::Object))?;
            let value = if matches!(ty, Ty::Host(HostTy::Variables)) {
                Ty::Object
            } else {
                value
            };
            Some((OutFn::GetValue(Box::new(getter)), value))
        }
        (Recv::Value(Ty::String), "TryParseJwt", 1) => {
            Some((OutFn::ParseToken(super::jwt::JwtFn::AsJwt), Ty::Jwt))
        }
        (Recv::Value(Ty::String), "TryParseBasic", 1) => {
            let basic = Ty::Anonymous(super::jwt::basic_fields());
            Some((OutFn::ParseToken(super::jwt::JwtFn::AsBasic), basic))
        }
        _ => None,
    }
}

fn parsed_type(class: Class) -> Option<Ty> {
    Some(match class {
        Class::Int => Ty::Int,
        Class::Long => Ty::Long,
        Class::Double => Ty::Double,
        Class::Bool => Ty::Bool,
        Class::DateTime => Ty::DateTime,
        Class::Guid => Ty::Guid,
        _ => return None,
    })
}

pub(crate) fn call(
    m: &mut Machine<'_>,
    f: &OutFn,
    target: Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    let slot = match args.pop() {
        Some(Value::Int(slot)) => u16::try_from(slot).map_err(|_| EvalError::IndexOutOfRange)?,
        _ => return Err(EvalError::IndexOutOfRange),
    };
    let (success, value) = match f {
        OutFn::Parse(ty) => try_parse(m, ty, arg(&mut args, 0)),
        OutFn::GetValue(getter) => try_get(m, getter, target, args)?,
        OutFn::ParseToken(parse) => {
            let token = super::jwt::call(m, *parse, non_null(target)?, Vec::new())?;
            (!token.is_null(), token)
        }
    };
    m.write_local(slot, value);
    Ok(Value::Bool(success))
}

/// Parses with the `Parse` method's rules; failure gives `default(T)`.
fn try_parse(m: &mut Machine<'_>, ty: &Ty, text: Value) -> (bool, Value) {
    let parse = match ty {
        Ty::Int => super::convert::ConvFn::ParseInt,
        Ty::Long => super::convert::ConvFn::ParseLong,
        Ty::Double => super::convert::ConvFn::ParseDouble,
        Ty::Bool => super::convert::ConvFn::ParseBool,
        Ty::DateTime => {
            let parsed = super::time::call(m, super::time::TimeFn::Parse, Value::Null, vec![text]);
            return outcome(parsed, ty);
        }
        _ => {
            let parsed =
                super::misc::call(m, &super::misc::MiscFn::GuidParse, Value::Null, vec![text]);
            return outcome(parsed, ty);
        }
    };
    outcome(super::convert::call(m, parse, Value::Null, vec![text]), ty)
}

fn outcome(parsed: Result<Value, EvalError>, ty: &Ty) -> (bool, Value) {
    match parsed {
        Ok(value) => (true, value),
        Err(_) => (false, super::host::default_of(Some(ty))),
    }
}

/// Reads through the indexer; a missing key (or a missing JSON property) is `false`.
fn try_get(
    m: &mut Machine<'_>,
    getter: &Func,
    target: Value,
    args: Vec<Value>,
) -> Result<(bool, Value), EvalError> {
    let is_json_object = matches!(&target, Value::Json(t) if t.kind() == JTokenKind::Object);
    match super::call(m, getter, target, args) {
        Ok(Value::Null) if is_json_object => Ok((false, Value::Null)),
        Ok(value) => Ok((true, value)),
        Err(EvalError::KeyNotFound { .. }) => Ok((false, Value::Null)),
        Err(other) => Err(other),
    }
}
