//! Newtonsoft.Json: `JObject`, `JArray`, `JToken`, `JProperty`, `JValue`, `JsonConvert`.

use super::{Class, Func, Prop, Recv, Sig, arg, non_null};
use crate::error::EvalError;
use crate::eval::{Machine, from_json_to, to_json};
use crate::types::Ty;
use crate::value::{EnumType, EnumValue, JPrim, JToken, JTokenKind, List, Value, from_json_text};

/// A JSON property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsonProp {
    Type,
    HasValues,
    Count,
    First,
    Last,
    Name,
    Value,
}

/// A JSON method, indexer or constructor.
#[derive(Clone, Debug)]
pub(crate) enum JsonFn {
    Parse(Ty),
    FromObject(Ty),
    Serialize,
    Deserialize(Ty),
    ValueOf(Ty),
    ToObject(Ty),
    ToStringFormatted,
    SelectToken,
    DeepClone,
    Children,
    Properties,
    Property,
    GetValue,
    ContainsKey,
    Add,
    Remove,
    /// `JProperty.Remove()`: out of the object it belongs to.
    RemoveProperty,
    Get,
    Set,
    NewObject,
    NewArray,
    NewProperty,
    NewValue,
}

fn json_ty(ty: &Ty) -> bool {
    ty.is_json()
}

pub(crate) fn property(ty: &Ty, name: &str) -> Option<(Prop, Ty)> {
    if !json_ty(ty) {
        return None;
    }
    let (prop, result) = match (ty, name) {
        (_, "Type") => (JsonProp::Type, Ty::Enum(EnumType::JTokenType)),
        (_, "HasValues") => (JsonProp::HasValues, Ty::Bool),
        (Ty::JObject | Ty::JArray, "Count") => (JsonProp::Count, Ty::Int),
        (_, "First") => (JsonProp::First, Ty::JToken),
        (_, "Last") => (JsonProp::Last, Ty::JToken),
        (Ty::JProperty, "Name") => (JsonProp::Name, Ty::String),
        (Ty::JProperty, "Value") => (JsonProp::Value, Ty::JToken),
        (Ty::JValue, "Value") => (JsonProp::Value, Ty::Object),
        _ => return None,
    };
    Some((Prop::Json(prop), result))
}

pub(crate) fn get(target: Value, prop: JsonProp) -> Result<Value, EvalError> {
    let Value::Json(token) = non_null(target)? else {
        return Err(EvalError::NullReference);
    };
    Ok(match prop {
        JsonProp::Type => Value::Enum(EnumValue {
            ty: EnumType::JTokenType,
            value: token.token_type(),
        }),
        JsonProp::HasValues => Value::Bool(token.count() > 0 && token.kind() != JTokenKind::Value),
        JsonProp::Count => Value::Int(token.count() as i32),
        JsonProp::First => token
            .children()
            .first()
            .cloned()
            .map(Value::Json)
            .unwrap_or_default(),
        JsonProp::Last => token
            .children()
            .last()
            .cloned()
            .map(Value::Json)
            .unwrap_or_default(),
        JsonProp::Name => token
            .as_property()
            .map(|(n, _)| Value::Str(n))
            .unwrap_or_default(),
        JsonProp::Value => match token.as_property() {
            Some((_, value)) => Value::Json(value),
            None => token.prim().map(prim_value).unwrap_or_default(),
        },
    })
}

/// The CLR value inside a `JValue`.
fn prim_value(prim: &JPrim) -> Value {
    match prim {
        JPrim::Null => Value::Null,
        JPrim::Bool(b) => Value::Bool(*b),
        JPrim::Integer(i) => Value::Long(*i),
        JPrim::Float(f) => Value::Double(*f),
        JPrim::String(s) => Value::Str(s.clone()),
    }
}

fn ok(f: JsonFn, ty: Ty) -> Option<Result<(Func, Ty), String>> {
    Some(Ok((Func::Json(f), ty)))
}

pub(crate) fn method(sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    match sig.recv {
        Recv::Static(class) => static_method(class, sig),
        Recv::Value(ty) if json_ty(ty) => instance(ty, sig),
        Recv::Value(_) => None,
    }
}

fn class_ty(class: Class) -> Option<Ty> {
    Some(match class {
        Class::JObject => Ty::JObject,
        Class::JArray => Ty::JArray,
        Class::JToken => Ty::JToken,
        _ => return None,
    })
}

fn static_method(class: Class, sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    let n = sig.args.len();
    if class == Class::JsonConvert {
        return match (sig.name, sig.generics, n) {
            ("SerializeObject", [], 1 | 2) => ok(JsonFn::Serialize, Ty::String),
            ("DeserializeObject", [], 1) => ok(JsonFn::Deserialize(Ty::Object), Ty::Object),
            ("DeserializeObject", [t], 1) if deserializable(t) => {
                ok(JsonFn::Deserialize(t.clone()), t.clone())
            }
            ("DeserializeObject", [t], 1) => Some(Err(format!(
                "'DeserializeObject<{}>' is not supported by Gatehouse",
                t.display()
            ))),
            _ => None,
        };
    }
    let ty = class_ty(class)?;
    match (sig.name, n) {
        ("Parse", 1) => ok(JsonFn::Parse(ty.clone()), ty),
        ("FromObject", 1) => ok(JsonFn::FromObject(ty.clone()), ty),
        _ => None,
    }
}

fn deserializable(ty: &Ty) -> bool {
    ty.is_json()
        || matches!(
            ty,
            Ty::String | Ty::Int | Ty::Long | Ty::Double | Ty::Bool | Ty::Object
        )
        || matches!(ty, Ty::Dict(k, _) if **k == Ty::String)
        || matches!(ty, Ty::List(_) | Ty::Array(_))
}

#[rustfmt::skip]
fn instance(ty: &Ty, sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    let n = sig.args.len();
    let is_object = matches!(ty, Ty::JObject | Ty::JToken);
    match (sig.name, sig.generics, n) {
        ("Value", [t], 0 | 1) => ok(JsonFn::ValueOf(t.clone()), t.clone()),
        ("ToObject", [t], 0) => ok(JsonFn::ToObject(t.clone()), t.clone()),
        ("ToString", [], 1..=2) => ok(JsonFn::ToStringFormatted, Ty::String),
        ("SelectToken", [], 1 | 2) => ok(JsonFn::SelectToken, Ty::JToken),
        ("DeepClone", [], 0) => ok(JsonFn::DeepClone, ty.clone()),
        ("Children", [], 0) => ok(JsonFn::Children, Ty::seq(Ty::JToken)),
        ("Properties", [], 0) if is_object => ok(JsonFn::Properties, Ty::seq(Ty::JProperty)),
        ("Property", [], 1 | 2) if is_object => ok(JsonFn::Property, Ty::JProperty),
        ("GetValue", [], 1 | 2) if is_object => ok(JsonFn::GetValue, Ty::JToken),
        ("ContainsKey", [], 1) if is_object => ok(JsonFn::ContainsKey, Ty::Bool),
        ("Add", [], 1 | 2) if matches!(ty, Ty::JObject | Ty::JArray | Ty::JToken) => ok(JsonFn::Add, Ty::Void),
        ("Remove", [], 1) if matches!(ty, Ty::JObject | Ty::JArray | Ty::JToken) => ok(JsonFn::Remove, Ty::Bool),
        ("Remove", [], 0) if *ty == Ty::JProperty => ok(JsonFn::RemoveProperty, Ty::Void),
        _ => None,
    }
}

pub(crate) fn indexer(target: &Ty, key: &Ty) -> Option<(Func, Ty)> {
    let key_ok = matches!(key, Ty::String | Ty::Int | Ty::Object | Ty::Error);
    (json_ty(target) && key_ok).then_some((Func::Json(JsonFn::Get), Ty::JToken))
}

pub(crate) fn index_setter(target: &Ty) -> Option<(Func, Ty)> {
    json_ty(target).then_some((Func::Json(JsonFn::Set), Ty::JToken))
}

pub(crate) fn constructor(ty: &Ty, args: &[Ty]) -> Option<Result<Func, String>> {
    let f = match (ty, args.len()) {
        (Ty::JObject, _) => JsonFn::NewObject,
        (Ty::JArray, _) => JsonFn::NewArray,
        (Ty::JProperty, 2) => JsonFn::NewProperty,
        (Ty::JValue, 1) => JsonFn::NewValue,
        (Ty::JProperty | Ty::JValue, _) => {
            return Some(Err("wrong number of constructor arguments".to_owned()));
        }
        _ => return None,
    };
    Some(Ok(Func::Json(f)))
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/// Parses `text` and checks the token is a `ty` (`JObject.Parse`, `Body.As<JObject>()`).
pub(crate) fn parse_as(text: &str, ty: &Ty) -> Result<Value, EvalError> {
    let token = from_json_text(text).map_err(|message| EvalError::Json { message })?;
    let value = Value::Json(token);
    if ty.accepts(&value) {
        return Ok(value);
    }
    let (expected, kind) = match ty {
        Ty::JArray => ("JArray", "an array"),
        _ => ("JObject", "an object"),
    };
    let found = match &value {
        Value::Json(t) if t.kind() == JTokenKind::Array => "StartArray",
        Value::Json(t) if t.kind() == JTokenKind::Object => "StartObject",
        _ => "a value",
    };
    Err(EvalError::Json {
        message: format!(
            "Error reading {expected} from JsonReader. Current JsonReader item is not {kind}: {found}."
        ),
    })
}

fn token_of(m: &Machine<'_>, value: Value) -> JToken {
    to_json(m, value).unwrap_or_else(JToken::null)
}

pub(crate) fn call(
    m: &mut Machine<'_>,
    f: &JsonFn,
    target: Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    match f {
        JsonFn::Parse(ty) => parse_as(&m.display(&non_null(arg(&mut args, 0))?), ty),
        JsonFn::FromObject(ty) => {
            let token = token_of(m, arg(&mut args, 0));
            from_json_to(&token, ty)
        }
        JsonFn::Serialize => Ok(Value::from(serialize(m, arg(&mut args, 0), &args))),
        JsonFn::Deserialize(ty) => {
            let text = m.display(&non_null(arg(&mut args, 0))?);
            let token = from_json_text(&text).map_err(|message| EvalError::Json { message })?;
            to_object(&token, ty)
        }
        JsonFn::NewObject | JsonFn::NewArray | JsonFn::NewProperty | JsonFn::NewValue => {
            construct(m, f, args)
        }
        _ => {
            let Value::Json(token) = non_null(target)? else {
                return Err(EvalError::NullReference);
            };
            instance_call(m, f, &token, args)
        }
    }
}

fn serialize(m: &Machine<'_>, value: Value, rest: &[Value]) -> String {
    let indented = matches!(rest.first(), Some(Value::Enum(e)) if e.ty == EnumType::Formatting && e.value == 1);
    match to_json(m, value) {
        Some(token) => token.to_json_capped(indented, m.limits().max_string_length),
        None => "null".to_owned(),
    }
}

fn construct(m: &Machine<'_>, f: &JsonFn, mut args: Vec<Value>) -> Result<Value, EvalError> {
    let token = match f {
        JsonFn::NewProperty => {
            let name = m.display(&non_null(arg(&mut args, 0))?);
            JToken::property(name.into(), token_of(m, arg(&mut args, 1)))
        }
        JsonFn::NewValue => token_of(m, arg(&mut args, 0)).deep_clone(),
        JsonFn::NewObject => {
            let object = JToken::object(Vec::new());
            for content in flatten(m, args) {
                add_to_object(m, &object, content)?;
            }
            object
        }
        _ => {
            let items: Vec<JToken> = flatten(m, args)
                .into_iter()
                .map(|v| token_of(m, v))
                .collect();
            m.check_len(items.len())?;
            JToken::array(items)
        }
    };
    Ok(Value::Json(token))
}

/// Constructor content: arrays and sequences contribute their items.
fn flatten(m: &Machine<'_>, args: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for value in args {
        match value {
            Value::List(list) => out.extend(list.items()),
            other => out.push(other),
        }
    }
    let _ = m;
    out
}

fn add_to_object(m: &Machine<'_>, object: &JToken, content: Value) -> Result<(), EvalError> {
    let Value::Json(token) = &content else {
        return Err(EvalError::argument(format!(
            "Can not add {} to Newtonsoft.Json.Linq.JObject.",
            content.type_name()
        )));
    };
    match token.as_property() {
        Some((name, value)) if object.get(&name).is_none() => {
            object.set(&name, value);
            Ok(())
        }
        Some((name, _)) => Err(EvalError::argument(format!(
            "Can not add property {name} to Newtonsoft.Json.Linq.JObject. Property with the same name already exists on object."
        ))),
        None if token.kind() == JTokenKind::Object => {
            for (name, value) in token.properties() {
                object.set(&name, value);
            }
            Ok(())
        }
        None => {
            let _ = m;
            Err(EvalError::argument(format!(
                "Can not add {} to Newtonsoft.Json.Linq.JObject.",
                token.type_name()
            )))
        }
    }
}

fn instance_call(
    m: &mut Machine<'_>,
    f: &JsonFn,
    token: &JToken,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    let first = arg(&mut args, 0);
    let rest = args.get(1..).unwrap_or_default();
    let name = || m.display(&first);
    let found = |value: Option<JToken>| value.map(Value::Json).unwrap_or_default();
    match f {
        JsonFn::Property => {
            let property =
                lookup(token, &name(), rest).map(|(n, v)| token.property_of(n.into(), v));
            Ok(found(property))
        }
        JsonFn::GetValue => Ok(found(lookup(token, &name(), rest).map(|(_, v)| v))),
        JsonFn::ContainsKey => Ok(Value::Bool(token.get(&name()).is_some())),
        JsonFn::SelectToken => Ok(found(select_token(token, &name()))),
        JsonFn::Get => Ok(found(child(m, token, &first)?)),
        JsonFn::Set => set(m, token, &first, arg(&mut args, 1)),
        JsonFn::Add => add(m, token, first, args),
        JsonFn::Remove => Ok(Value::Bool(remove(m, token, &first))),
        JsonFn::RemoveProperty => token
            .remove_from_parent()
            .map(|()| Value::Null)
            .map_err(EvalError::invalid),
        _ => read_call(m, f, token, first),
    }
}

/// Methods that read a token as a whole: conversions, text, copies, children.
fn read_call(
    m: &mut Machine<'_>,
    f: &JsonFn,
    token: &JToken,
    first: Value,
) -> Result<Value, EvalError> {
    match f {
        JsonFn::ValueOf(ty) => value_of(m, token, &first, ty),
        JsonFn::ToObject(ty) => to_object(token, ty),
        JsonFn::ToStringFormatted => {
            let indented =
                matches!(first, Value::Enum(e) if e.ty == EnumType::Formatting && e.value == 1);
            m.string(token.to_json_capped(indented, m.limits().max_string_length))
        }
        JsonFn::DeepClone => Ok(Value::Json(token.deep_clone())),
        JsonFn::Children => Ok(json_list(token.children())),
        JsonFn::Properties => {
            let props = token
                .properties()
                .into_iter()
                .map(|(n, v)| token.property_of(n, v));
            Ok(json_list(props.collect()))
        }
        _ => Err(EvalError::NotSupported {
            what: format!("{f:?}"),
        }),
    }
}

/// `token.Value<T>()` and `obj.Value<T>(key)`: a missing or null value gives `default(T)`.
fn value_of(m: &Machine<'_>, token: &JToken, key: &Value, ty: &Ty) -> Result<Value, EvalError> {
    let source = if key.is_null() {
        Some(token.clone())
    } else {
        child(m, token, key)?
    };
    match source {
        Some(t) if t.prim() != Some(&JPrim::Null) || !ty.is_value_type() => from_json_to(&t, ty),
        _ => Ok(super::host::default_of(Some(ty))),
    }
}

fn json_list(tokens: Vec<JToken>) -> Value {
    Value::List(List::array(tokens.into_iter().map(Value::Json).collect()))
}

/// `GetValue(name[, StringComparison])` and `Property(name[, comparison])`.
fn lookup(token: &JToken, name: &str, rest: &[Value]) -> Option<(String, JToken)> {
    let fold = matches!(rest.first(), Some(Value::Enum(e)) if e.ignores_case());
    let props = token.properties();
    let exact = props.iter().find(|(n, _)| &**n == name);
    let found = exact.or_else(|| {
        fold.then(|| props.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)))
            .flatten()
    });
    found.map(|(n, v)| (n.to_string(), v.clone()))
}

/// `token[key]`: property by name, item by index.
fn child(m: &Machine<'_>, token: &JToken, key: &Value) -> Result<Option<JToken>, EvalError> {
    match (token.kind(), key) {
        (JTokenKind::Object, Value::Str(name)) => Ok(token.get(name)),
        (JTokenKind::Array, Value::Int(i)) => {
            let at = usize::try_from(*i).map_err(|_| EvalError::IndexOutOfRange)?;
            token.at(at).map(Some).ok_or(EvalError::argument("Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')"))
        }
        (JTokenKind::Property, _) => token
            .as_property()
            .map_or(Ok(None), |(_, v)| child(m, &v, key)),
        (JTokenKind::Value, _) => Err(EvalError::invalid(
            "Cannot access child value on Newtonsoft.Json.Linq.JValue.",
        )),
        (JTokenKind::Object, other) => Err(EvalError::argument(format!(
            "Accessed JObject values with invalid key value: {}. Object property name expected.",
            m.display(other)
        ))),
        (JTokenKind::Array, other) => Err(EvalError::argument(format!(
            "Accessed JArray values with invalid key value: \"{}\". Int32 array index expected.",
            m.display(other)
        ))),
    }
}

fn set(m: &Machine<'_>, token: &JToken, key: &Value, value: Value) -> Result<Value, EvalError> {
    let value = without_cycle(token, token_of(m, value));
    let done = match (token.kind(), key) {
        (JTokenKind::Object, Value::Str(name)) => token.set(name, value),
        (JTokenKind::Array, Value::Int(i)) => {
            usize::try_from(*i).is_ok_and(|at| token.set_at(at, value))
        }
        (JTokenKind::Value, _) => {
            return Err(EvalError::invalid(
                "Cannot set child value on Newtonsoft.Json.Linq.JValue.",
            ));
        }
        _ => false,
    };
    if done {
        Ok(Value::Null)
    } else {
        Err(EvalError::argument(format!(
            "Set JSON value with invalid key value: {}.",
            m.display(key)
        )))
    }
}

fn add(
    m: &mut Machine<'_>,
    token: &JToken,
    first: Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    match token.kind() {
        JTokenKind::Array => {
            m.check_len(token.count() + 1)?;
            token.push(without_cycle(token, token_of(m, first)));
            Ok(Value::Null)
        }
        JTokenKind::Object if args.len() < 2 => {
            add_to_object(m, token, first).map(|()| Value::Null)
        }
        JTokenKind::Object => {
            let name = m.display(&first);
            if token.get(&name).is_some() {
                return Err(EvalError::argument(format!(
                    "Can not add property {name} to Newtonsoft.Json.Linq.JObject. Property with the same name already exists on object."
                )));
            }
            token.set(&name, without_cycle(token, token_of(m, arg(&mut args, 1))));
            Ok(Value::Null)
        }
        _ => Err(EvalError::invalid("Cannot add child value to this token.")),
    }
}

fn remove(m: &Machine<'_>, token: &JToken, key: &Value) -> bool {
    match token.kind() {
        JTokenKind::Object => token.remove(&m.display(key)),
        _ => false,
    }
}

/// Newtonsoft copies a token added under itself; without the copy the tree would be a cycle.
fn without_cycle(parent: &JToken, value: JToken) -> JToken {
    if contains(&value, parent) {
        value.deep_clone()
    } else {
        value
    }
}

fn contains(haystack: &JToken, needle: &JToken) -> bool {
    contains_at(haystack, needle, 0)
}

fn contains_at(haystack: &JToken, needle: &JToken, level: usize) -> bool {
    let deeper = level < crate::value::JSON_MAX_DEPTH;
    haystack.same(needle)
        || (deeper
            && haystack
                .children()
                .iter()
                .any(|c| contains_at(c, needle, level + 1)))
}

/// `SelectToken` for dotted paths with indexes: `a.b[0].c`, `$.a`, `['a b']`.
fn select_token(token: &JToken, path: &str) -> Option<JToken> {
    let mut current = token.clone();
    let path = path.strip_prefix('$').unwrap_or(path);
    let mut rest = path;
    while !rest.is_empty() {
        rest = rest.strip_prefix('.').unwrap_or(rest);
        if let Some(inner) = rest.strip_prefix('[') {
            let end = inner.find(']')?;
            let key = &inner[..end];
            current = match key.trim_matches('\'').parse::<usize>() {
                Ok(i) if !key.starts_with('\'') => current.at(i)?,
                _ => current.get(key.trim_matches('\''))?,
            };
            rest = &inner[end + 1..];
            continue;
        }
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        current = current.get(&rest[..end])?;
        rest = &rest[end..];
    }
    Some(current)
}

/// `ToObject<T>()` and `DeserializeObject<T>()`.
fn to_object(token: &JToken, ty: &Ty) -> Result<Value, EvalError> {
    match ty {
        Ty::Object => Ok(Value::Json(token.clone())),
        Ty::List(elem) | Ty::Array(elem) => {
            let items: Result<Vec<Value>, _> = token
                .children()
                .iter()
                .map(|c| to_object(c, elem))
                .collect();
            let items = items?;
            Ok(Value::List(if matches!(ty, Ty::List(_)) {
                List::growable(items)
            } else {
                List::array(items)
            }))
        }
        Ty::Dict(_, value_ty) => {
            let dict = crate::value::Dict::new(false);
            for (name, value) in token.properties() {
                let value = to_object(&value, value_ty)?;
                dict.with_entries(|entries| entries.push((Value::Str(name), value)));
            }
            Ok(Value::Dict(dict))
        }
        other => from_json_to(token, other),
    }
}
