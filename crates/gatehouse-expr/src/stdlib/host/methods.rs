//! Dictionaries of the context model (headers, query, matched parameters, variables, uploaded
//! certificates) and the methods of `context` objects.

use std::sync::Arc;

use super::super::{Func, Recv, Sig, arg, non_null};
use super::{HostFn, groups, text, url};
use crate::context::{MessageData, Str, UrlInfo};
use crate::error::EvalError;
use crate::eval::{Machine, values_equal};
use crate::host::HostObject;
use crate::stdlib::convert::percent_decode;
use crate::types::{HostTy, Ty, XmlTy};
use crate::value::{ByteArray, List, MessagePart, Value};

/// The entries of a dictionary-like `context` object, as (key, value) pairs.
pub(crate) fn entries(m: &Machine<'_>, object: HostObject) -> Vec<(Value, Value)> {
    let host = m.host;
    match object {
        HostObject::Headers(message) => host
            .header_names(message)
            .into_iter()
            .map(|name| {
                let values = host.header(message, &name).unwrap_or_default();
                (Value::Str(name), string_array(values))
            })
            .collect(),
        HostObject::Query(kind) => query_entries(url(m, kind)),
        HostObject::MatchedParameters => host
            .matched_parameters()
            .iter()
            .map(|(k, v)| (text(k), text(v)))
            .collect(),
        HostObject::Variables => host
            .variable_names()
            .into_iter()
            .map(|name| {
                let value = host.variable(&name).unwrap_or_default();
                (Value::Str(name), value)
            })
            .collect(),
        HostObject::DeploymentCertificates => (0..host.deployment().certificates.len())
            .map(|i| {
                (
                    Value::Null,
                    Value::Host(HostObject::DeploymentCertificate(i as u32)),
                )
            })
            .collect(),
        HostObject::Groups(owner) => {
            let count = groups(m, owner).map_or(0, |g| g.len());
            (0..count)
                .map(|i| (Value::Null, Value::Host(HostObject::Group(owner, i as u32))))
                .collect()
        }
        _ => Vec::new(),
    }
}

fn query_entries(url: Option<&UrlInfo>) -> Vec<(Value, Value)> {
    let Some(url) = url else { return Vec::new() };
    url.query
        .iter()
        .map(|(k, v)| (text(k), string_array(v.to_vec())))
        .collect()
}

fn string_array(values: Vec<Str>) -> Value {
    Value::List(List::array(values.into_iter().map(Value::Str).collect()))
}

pub(super) fn count(m: &Machine<'_>, object: HostObject) -> i32 {
    let n = match object {
        HostObject::Headers(message) => m.host.header_names(message).len(),
        HostObject::DeploymentCertificates => m.host.deployment().certificates.len(),
        HostObject::MatchedParameters => m.host.matched_parameters().len(),
        HostObject::Variables => m.host.variable_names().len(),
        _ => entries(m, object).len(),
    };
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub(super) fn keys(m: &Machine<'_>, object: HostObject) -> Value {
    let keys = match object {
        HostObject::DeploymentCertificates => m
            .host
            .deployment()
            .certificates
            .iter()
            .map(|(k, _)| text(k))
            .collect(),
        _ => entries(m, object).into_iter().map(|(k, _)| k).collect(),
    };
    Value::List(List::array(keys))
}

/// Looks `key` up in a dictionary-like object; `None` when absent.
fn lookup(m: &Machine<'_>, object: &Value, key: &str) -> Result<Option<Value>, EvalError> {
    let host = m.host;
    Ok(match object {
        Value::Host(HostObject::Headers(message)) => host.header(*message, key).map(string_array),
        Value::Host(HostObject::Query(kind)) => url(m, *kind).and_then(|u| {
            let found = u.query.iter().find(|(k, _)| k.eq_ignore_ascii_case(key));
            found.map(|(_, v)| string_array(v.to_vec()))
        }),
        Value::Host(HostObject::MatchedParameters) => host
            .matched_parameters()
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| text(v)),
        Value::Host(HostObject::Variables) => host.variable(key),
        Value::Host(HostObject::DeploymentCertificates) => {
            let found = host
                .deployment()
                .certificates
                .iter()
                .find(|(k, _)| &**k == key);
            found.map(|(_, c)| Value::Certificate(c.clone()))
        }
        Value::Message(message) => message_header(&message.data, key).map(string_array),
        other => return Err(EvalError::cast(other.type_name(), "IReadOnlyDictionary")),
    })
}

fn message_header(data: &MessageData, key: &str) -> Option<Vec<Str>> {
    let found = data
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key));
    found.map(|(_, v)| v.to_vec())
}

/// Headers and query parameters join their values with commas in `GetValueOrDefault`.
fn joined(value: Value) -> Value {
    let Value::List(list) = &value else {
        return value;
    };
    let parts: Vec<String> = list
        .items()
        .iter()
        .map(|v| match v {
            Value::Str(s) => s.to_string(),
            _ => String::new(),
        })
        .collect();
    Value::from(parts.join(","))
}

// ---------------------------------------------------------------------------------------------
// Methods

/// Resolves methods of `context` objects.
pub(crate) fn method(sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    let Recv::Value(ty) = sig.recv else {
        return None;
    };
    let found = match (ty, sig.name) {
        (Ty::Host(HostTy::Context), "Trace") if sig.args.len() == 1 => {
            Ok((HostFn::Trace, Ty::Void))
        }
        (Ty::Host(HostTy::Body) | Ty::Message(MessagePart::Body), "As") => body_as(sig),
        (Ty::Host(HostTy::Body) | Ty::Message(MessagePart::Body), "AsFormUrlEncodedContent")
            if sig.args.len() <= 1 && sig.generics.is_empty() =>
        {
            Ok((HostFn::BodyForm, form_type()))
        }
        (Ty::Certificate, "Verify") => Ok((HostFn::Verify { revocation: true }, Ty::Bool)),
        (Ty::Certificate, "VerifyNoRevocation") => {
            Ok((HostFn::Verify { revocation: false }, Ty::Bool))
        }
        (_, "GetValueOrDefault") => return dictionary_value(ty, sig).map(|r| r.map(wrap)),
        (_, "ContainsKey") if is_dictionary(ty) => Ok((HostFn::ContainsKey, Ty::Bool)),
        _ => return None,
    };
    Some(found.map(wrap))
}

fn wrap((f, ty): (HostFn, Ty)) -> (Func, Ty) {
    (Func::Host(f), ty)
}

fn is_dictionary(ty: &Ty) -> bool {
    matches!(
        ty,
        Ty::Host(
            HostTy::Headers
                | HostTy::Query
                | HostTy::MatchedParameters
                | HostTy::Variables
                | HostTy::Certificates
        ) | Ty::Message(MessagePart::Headers)
    )
}

/// `IDictionary<string, IList<string>>`, what APIM documents `AsFormUrlEncodedContent` to return.
fn form_type() -> Ty {
    Ty::Dict(Box::new(Ty::String), Box::new(Ty::list(Ty::String)))
}

fn body_as(sig: &Sig<'_>) -> Result<(HostFn, Ty), String> {
    let [target] = sig.generics else {
        return Err("'As' needs a type argument, as in 'As<string>()'".to_owned());
    };
    let supported = matches!(
        target,
        Ty::String
            | Ty::Bytes
            | Ty::JObject
            | Ty::JToken
            | Ty::JArray
            | Ty::Xml(XmlTy::Document | XmlTy::Element | XmlTy::Node)
    );
    if !supported {
        return Err(format!(
            "'Body.As<{}>' is not supported by Gatehouse",
            target.display()
        ));
    }
    if sig.args.len() > 1 {
        return Err("'As' takes at most one argument, 'preserveContent'".to_owned());
    }
    Ok((HostFn::BodyAs(target.clone()), target.clone()))
}

/// `GetValueOrDefault` on the dictionaries of the context model.
fn dictionary_value(ty: &Ty, sig: &Sig<'_>) -> Option<Result<(HostFn, Ty), String>> {
    let value_ty = match ty {
        Ty::Host(HostTy::Headers | HostTy::Query) | Ty::Message(MessagePart::Headers) => Ty::String,
        Ty::Host(HostTy::MatchedParameters) => Ty::String,
        Ty::Host(HostTy::Variables) => return Some(variable_value(sig)),
        _ => return None,
    };
    // With a `string[]` default, C# picks the generic dictionary extension, which returns the
    // values as they are instead of joining them.
    if let [_, Ty::Array(_)] = sig.args {
        let values = Ty::array(Ty::String);
        return Some(Ok((
            HostFn::GetValueOrDefault(Some(values.clone())),
            values,
        )));
    }
    let arity_ok = matches!(sig.args.len(), 1 | 2) && sig.generics.is_empty();
    Some(if arity_ok {
        Ok((HostFn::GetValueOrDefault(None), value_ty))
    } else {
        Err("'GetValueOrDefault' takes a name and an optional default value".to_owned())
    })
}

/// `Variables.GetValueOrDefault<T>(name[, default])`: `T` explicit, inferred from the default,
/// or `object`.
fn variable_value(sig: &Sig<'_>) -> Result<(HostFn, Ty), String> {
    let target = match (sig.generics, sig.args) {
        ([t], [_] | [_, _]) => Some(t.clone()),
        ([], [_]) => None,
        ([], [_, default]) if !matches!(default, Ty::Null | Ty::Error) => Some(default.clone()),
        ([], [_, _]) => None,
        _ => {
            return Err(
                "'GetValueOrDefault' takes a name and an optional default value".to_owned(),
            );
        }
    };
    let result = target.clone().unwrap_or(Ty::Object);
    Ok((HostFn::GetValueOrDefault(target), result))
}

/// Resolves `context` dictionary indexers.
pub(crate) fn indexer(target: &Ty, key: &Ty) -> Option<(Func, Ty)> {
    if !matches!(key, Ty::String | Ty::Error) {
        return None;
    }
    let value = match target {
        Ty::Host(HostTy::Headers | HostTy::Query) | Ty::Message(MessagePart::Headers) => {
            Ty::array(Ty::String)
        }
        Ty::Host(HostTy::MatchedParameters) => Ty::String,
        Ty::Host(HostTy::Variables) => Ty::Object,
        Ty::Host(HostTy::Certificates) => Ty::Certificate,
        _ => return None,
    };
    Some((Func::Host(HostFn::Index), value))
}

pub(crate) fn call(
    m: &mut Machine<'_>,
    f: &HostFn,
    target: Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    let target = non_null(target)?;
    match f {
        HostFn::Trace => {
            m.host.trace(&m.display(&arg(&mut args, 0)));
            Ok(Value::Null)
        }
        HostFn::BodyAs(ty) => body_as_value(m, &target, ty, &arg(&mut args, 0)),
        HostFn::BodyForm => {
            let text = body_as_value(m, &target, &Ty::String, &arg(&mut args, 0))?;
            form_fields(m, &m.display(&text))
        }
        HostFn::Verify { revocation } => match &target {
            Value::Certificate(cert) => {
                Ok(Value::Bool(m.host.verify_certificate(cert, *revocation)))
            }
            other => Err(EvalError::cast(other.type_name(), "X509Certificate2")),
        },
        HostFn::ContainsKey => {
            let key = key_text(&arg(&mut args, 0))?;
            Ok(Value::Bool(lookup(m, &target, &key)?.is_some()))
        }
        HostFn::Index => {
            let key = key_text(&arg(&mut args, 0))?;
            lookup(m, &target, &key)?.ok_or(EvalError::KeyNotFound { key })
        }
        HostFn::GetValueOrDefault(ty) => get_value_or_default(m, &target, ty.as_ref(), args),
    }
}

fn key_text(key: &Value) -> Result<String, EvalError> {
    match key {
        Value::Str(s) => Ok(s.to_string()),
        Value::Null => Err(EvalError::argument(
            "Value cannot be null. (Parameter 'key')",
        )),
        other => Err(EvalError::cast(other.type_name(), "System.String")),
    }
}

fn get_value_or_default(
    m: &Machine<'_>,
    target: &Value,
    ty: Option<&Ty>,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    let key = key_text(&arg(&mut args, 0))?;
    let default = if args.len() > 1 {
        arg(&mut args, 1)
    } else {
        default_of(ty)
    };
    let Some(found) = lookup(m, target, &key)? else {
        return Ok(default);
    };

    let is_variables = matches!(target, Value::Host(HostObject::Variables));
    if !is_variables {
        return Ok(if ty.is_some() { found } else { joined(found) });
    }
    match ty {
        Some(ty) if !found.is_null() && !ty.accepts(&found) => Err(EvalError::cast(
            found.type_name(),
            &crate::eval::clr_name(ty),
        )),
        _ => Ok(found),
    }
}

/// `default(T)`.
pub(crate) fn default_of(ty: Option<&Ty>) -> Value {
    match ty {
        Some(Ty::Bool) => Value::Bool(false),
        Some(Ty::Int) => Value::Int(0),
        Some(Ty::Long) => Value::Long(0),
        Some(Ty::Double) => Value::Double(0.0),
        Some(Ty::Char) => Value::Char('\0'),
        _ => Value::Null,
    }
}

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space, repeated names collect
/// their values in order, a name without `=` has the value `""`.
fn form_fields(m: &Machine<'_>, text: &str) -> Result<Value, EvalError> {
    let fields = crate::value::Dict::new(false);
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = Value::from(percent_decode(name, true));
        let value = Value::from(percent_decode(value, true));
        let added = fields.with_entries(|entries| {
            match entries.iter_mut().find(|(n, _)| values_equal(n, &name)) {
                Some((_, Value::List(values))) => values.with_items(|v| v.push(value)),
                _ => entries.push((name, Value::List(List::growable(vec![value])))),
            }
            entries.len()
        });
        m.check_len(added)?;
    }
    Ok(Value::Dict(fields))
}

fn body_as_value(
    m: &Machine<'_>,
    target: &Value,
    ty: &Ty,
    preserve: &Value,
) -> Result<Value, EvalError> {
    let preserve = matches!(preserve, Value::Bool(true));
    let bytes = match target {
        Value::Host(HostObject::Body(message)) => m.host.body(*message, preserve),
        Value::Message(message) => message.data.body.clone(),
        other => return Err(EvalError::cast(other.type_name(), "IMessageBody")),
    };
    let bytes = bytes.unwrap_or_else(|| Arc::from(&b""[..]));
    match ty {
        Ty::Bytes => Ok(Value::Bytes(ByteArray::from(&*bytes))),
        Ty::String => m.string(String::from_utf8_lossy(&bytes).into_owned()),
        Ty::Xml(x) => {
            let document = *x == XmlTy::Document;
            let kind = if document {
                XmlTy::Document
            } else {
                XmlTy::Element
            };
            crate::stdlib::xml::parse_text(m, &String::from_utf8_lossy(&bytes), kind, false)
        }
        json_ty => crate::stdlib::json::parse_as(&String::from_utf8_lossy(&bytes), json_ty),
    }
}
