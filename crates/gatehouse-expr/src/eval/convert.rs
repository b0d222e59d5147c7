//! Casts and implicit conversions.

use super::Machine;
use crate::error::EvalError;
use crate::ir::{Conversion, Narrow};
use crate::stdlib::convert::parse_int;
use crate::types::Ty;
use crate::value::{JPrim, JToken, JTokenKind, Value, XmlValue};

pub(crate) fn apply(
    m: &Machine<'_>,
    value: Value,
    conversion: &Conversion,
) -> Result<Value, EvalError> {
    match conversion {
        Conversion::Identity => Ok(value),
        Conversion::Numeric(ty) => numeric(value, ty),
        Conversion::Check(ty) => check(value, ty),
        Conversion::FromJson(ty) => match value {
            Value::Json(token) => from_json_to(&token, ty),
            Value::Null if ty.admits_null() || matches!(ty, Ty::Nullable(_)) => Ok(Value::Null),
            Value::Null => Err(EvalError::argument(format!(
                "Can not convert Null to {}.",
                clr_name(ty)
            ))),
            other => check(other, ty),
        },
        Conversion::ToJson => Ok(to_json(m, value).map_or(Value::Null, Value::Json)),
        Conversion::Narrow(narrow) => Ok(narrow_integer(value, *narrow)),
        Conversion::FromXml(ty) => crate::stdlib::xml::convert_from(m, value, ty),
        Conversion::ToXml(x) => Ok(match value {
            Value::Str(text) if *x == crate::types::XmlTy::Name => {
                Value::Xml(XmlValue::Name(crate::value::XName::parse(&text)))
            }
            Value::Str(text) => Value::Xml(XmlValue::Namespace(text)),
            other => other,
        }),
        Conversion::ToOffset => Ok(match value {
            Value::DateTime(at) => Value::DateTimeOffset(crate::value::DateTimeOffset {
                ticks: at.ticks,
                offset_minutes: 0,
            }),
            other => other,
        }),
    }
}

/// Keeps the bits of a narrow integer type, sign-extended for the signed ones.
fn narrow_integer(value: Value, narrow: Narrow) -> Value {
    let wide = match value {
        Value::Int(i) => i64::from(i),
        Value::Long(l) => l,
        other => return other,
    };
    match narrow {
        Narrow::Byte => Value::Int(i32::from(wide as u8)),
        Narrow::SByte => Value::Int(i32::from(wide as i8)),
        Narrow::Short => Value::Int(i32::from(wide as i16)),
        Narrow::UShort => Value::Int(i32::from(wide as u16)),
        Narrow::UInt => Value::Long(i64::from(wide as u32)),
    }
}

/// `(T)value` where the value is statically `object`: unboxing needs the exact type.
fn check(value: Value, ty: &Ty) -> Result<Value, EvalError> {
    if value.is_null() {
        return if ty.admits_null() || matches!(ty, Ty::Nullable(_)) {
            Ok(Value::Null)
        } else {
            Err(EvalError::NullReference)
        };
    }
    if ty.accepts(&value) {
        return Ok(value);
    }
    Err(EvalError::cast(value.type_name(), &clr_name(ty)))
}

/// A numeric conversion: truncation toward zero, unchecked wrapping for integers.
pub(crate) fn numeric(value: Value, ty: &Ty) -> Result<Value, EvalError> {
    let target = ty.unwrap_nullable();
    let v = match value {
        Value::Null if matches!(ty, Ty::Nullable(_)) => return Ok(Value::Null),
        Value::Null => return Err(EvalError::NullReference),
        Value::Enum(e) => Value::Int(e.value),
        other => other,
    };
    Ok(match (target, v) {
        (Ty::Int, Value::Int(i)) => Value::Int(i),
        (Ty::Int, Value::Long(l)) => Value::Int(l as i32),
        (Ty::Int, Value::Double(d)) => Value::Int(d as i32),
        (Ty::Int, Value::Char(c)) => Value::Int(c as i32),
        (Ty::Long, Value::Int(i)) => Value::Long(i64::from(i)),
        (Ty::Long, Value::Long(l)) => Value::Long(l),
        (Ty::Long, Value::Double(d)) => Value::Long(d as i64),
        (Ty::Long, Value::Char(c)) => Value::Long(i64::from(c as u32)),
        (Ty::Double, Value::Int(i)) => Value::Double(f64::from(i)),
        (Ty::Double, Value::Long(l)) => Value::Double(l as f64),
        (Ty::Double, Value::Double(d)) => Value::Double(d),
        (Ty::Double, Value::Char(c)) => Value::Double(f64::from(c as u32)),
        (Ty::Char, Value::Int(i)) => {
            Value::Char(char::from_u32(i as u32 & 0xFFFF).unwrap_or('\u{FFFD}'))
        }
        (Ty::Char, Value::Long(l)) => {
            Value::Char(char::from_u32(l as u32 & 0xFFFF).unwrap_or('\u{FFFD}'))
        }
        (Ty::Char, Value::Char(c)) => Value::Char(c),
        (Ty::Enum(e), Value::Int(i)) => Value::Enum(crate::value::EnumValue { ty: *e, value: i }),
        (_, other) => return Err(EvalError::cast(other.type_name(), &clr_name(ty))),
    })
}

/// The .NET name of a type, for messages.
pub(crate) fn clr_name(ty: &Ty) -> String {
    match ty.unwrap_nullable() {
        Ty::String => "System.String".to_owned(),
        Ty::Int => "System.Int32".to_owned(),
        Ty::Long => "System.Int64".to_owned(),
        Ty::Double => "System.Double".to_owned(),
        Ty::Bool => "System.Boolean".to_owned(),
        Ty::Char => "System.Char".to_owned(),
        Ty::JObject => "Newtonsoft.Json.Linq.JObject".to_owned(),
        Ty::JArray => "Newtonsoft.Json.Linq.JArray".to_owned(),
        Ty::JValue => "Newtonsoft.Json.Linq.JValue".to_owned(),
        Ty::JToken => "Newtonsoft.Json.Linq.JToken".to_owned(),
        Ty::JProperty => "Newtonsoft.Json.Linq.JProperty".to_owned(),
        other => other.display(),
    }
}

/// Newtonsoft's explicit conversions out of a token: `(string)token`, `(int)token`, ….
pub(crate) fn from_json_to(token: &JToken, ty: &Ty) -> Result<Value, EvalError> {
    let target = ty.unwrap_nullable();
    if target.is_json() || *target == Ty::Object {
        return check(Value::Json(token.clone()), target);
    }
    let Some(prim) = token.prim() else {
        let kind = if token.kind() == JTokenKind::Object {
            "Object"
        } else {
            "Array"
        };
        return Err(EvalError::argument(format!(
            "Can not convert {kind} to {}.",
            short_name(target)
        )));
    };
    if *prim == JPrim::Null {
        return if ty.admits_null() || matches!(ty, Ty::Nullable(_)) {
            Ok(Value::Null)
        } else {
            Err(EvalError::argument(format!(
                "Can not convert Null to {}.",
                short_name(target)
            )))
        };
    }
    prim_to(prim, target)
}

fn short_name(ty: &Ty) -> String {
    clr_name(ty)
        .rsplit('.')
        .next()
        .unwrap_or("Object")
        .to_owned()
}

fn prim_to(prim: &JPrim, target: &Ty) -> Result<Value, EvalError> {
    let invalid = || EvalError::format("Input string was not in a correct format.");
    Ok(match (target, prim) {
        (Ty::String, JPrim::String(s)) => Value::Str(s.clone()),
        (Ty::String, other) => Value::from(JToken::value(other.clone()).to_display_string()),
        (Ty::Bool, JPrim::Bool(b)) => Value::Bool(*b),
        (Ty::Bool, JPrim::Integer(i)) => Value::Bool(*i != 0),
        (Ty::Bool, JPrim::String(s)) => Value::Bool(parse_bool(s).ok_or_else(invalid)?),
        (Ty::Int, JPrim::Integer(i)) => {
            Value::Int(i32::try_from(*i).map_err(|_| EvalError::Overflow)?)
        }
        (Ty::Int, JPrim::Float(f)) => Value::Int(round_even(*f).ok_or(EvalError::Overflow)? as i32),
        (Ty::Int, JPrim::String(s)) => Value::Int(parse_int(s)?),
        (Ty::Int, JPrim::Bool(b)) => Value::Int(i32::from(*b)),
        (Ty::Long, JPrim::Integer(i)) => Value::Long(*i),
        (Ty::Long, JPrim::Float(f)) => Value::Long(round_even(*f).ok_or(EvalError::Overflow)?),
        (Ty::Long, JPrim::String(s)) => Value::Long(s.trim().parse().map_err(|_| invalid())?),
        (Ty::Double, JPrim::Integer(i)) => Value::Double(*i as f64),
        (Ty::Double, JPrim::Float(f)) => Value::Double(*f),
        (Ty::Double, JPrim::String(s)) => Value::Double(s.trim().parse().map_err(|_| invalid())?),
        (Ty::DateTime, JPrim::String(s)) => {
            let at = crate::value::parse_date(s).ok_or_else(|| {
                EvalError::format("String was not recognized as a valid DateTime.")
            })?;
            Value::DateTime(at)
        }
        (Ty::Guid, JPrim::String(s)) => Value::Guid(crate::stdlib::misc::parse_guid(s)?),
        (ty, prim) => {
            let from = JToken::value(prim.clone()).type_name();
            return Err(EvalError::cast(from, &clr_name(ty)));
        }
    })
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// `Convert.ToInt64(double)`: banker's rounding, `None` out of range.
pub(crate) fn round_even(f: f64) -> Option<i64> {
    let rounded = f.round_ties_even();
    let in_range = rounded >= i64::MIN as f64 && rounded <= i64::MAX as f64;
    in_range.then_some(rounded as i64)
}

/// Newtonsoft's implicit conversion of a value into a token (`new JProperty("a", 1)`).
pub(crate) fn to_json(m: &Machine<'_>, value: Value) -> Option<JToken> {
    Some(JToken::value(match value {
        Value::Json(token) => return Some(token),
        Value::Null => return None,
        Value::Str(s) => JPrim::String(s),
        Value::Bool(b) => JPrim::Bool(b),
        Value::Int(i) => JPrim::Integer(i64::from(i)),
        Value::Long(l) => JPrim::Integer(l),
        Value::Double(d) => JPrim::Float(d),
        Value::Char(c) => JPrim::String(c.to_string().into()),
        Value::DateTime(at) => JPrim::String(crate::value::format_date_time(at, "o", None).into()),
        Value::Guid(g) => JPrim::String(g.hyphenated().to_string().into()),
        Value::Enum(e) => JPrim::Integer(i64::from(e.value)),
        Value::List(list) => {
            let items = list
                .items()
                .into_iter()
                .map(|v| to_json(m, v).unwrap_or_else(JToken::null));
            return Some(JToken::array(items.collect()));
        }
        Value::Anonymous(members) => {
            let props = members.iter().map(|(n, v)| {
                (
                    n.clone(),
                    to_json(m, v.clone()).unwrap_or_else(JToken::null),
                )
            });
            return Some(JToken::object(props.collect()));
        }
        Value::Dict(dict) => {
            let props = dict.entries().into_iter().map(|(k, v)| {
                (
                    m.display(&k).into(),
                    to_json(m, v).unwrap_or_else(JToken::null),
                )
            });
            return Some(JToken::object(props.collect()));
        }
        other => JPrim::String(m.display(&other).into()),
    }))
}
