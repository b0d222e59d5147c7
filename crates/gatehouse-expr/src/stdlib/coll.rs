//! Arrays, `List<T>`, `Dictionary<K, V>`, `KeyValuePair<K, V>`: members, indexers, creation.

use super::string::int_arg;
use super::{Func, Prop, Recv, Sig, arg, non_null};
use crate::error::EvalError;
use crate::eval::{Machine, values_equal};
use crate::types::Ty;
use crate::value::{Dict, List, Value};

/// A collection property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CollProp {
    /// `Length` of strings and arrays, `Count` of lists and dictionaries.
    Count,
    Keys,
    Values,
    Key,
    Value,
}

/// A collection method, indexer or constructor.
#[derive(Clone, Debug)]
pub(crate) enum CollFn {
    Add,
    AddRange,
    Insert,
    Remove,
    RemoveAt,
    Clear,
    IndexOf,
    ContainsKey,
    ContainsValue,
    GetValueOrDefault,
    Get,
    Set,
    NewList,
    /// `new Dictionary<K, V>([comparer])`; a case-insensitive comparer arrives as `true`.
    NewDict,
    NewArray,
    ArrayOf,
    NewBytes,
    BytesOf,
}

pub(crate) fn property(ty: &Ty, name: &str) -> Option<(Prop, Ty)> {
    let (prop, result) = match (ty, name) {
        (Ty::String | Ty::Array(_) | Ty::Bytes, "Length") => (CollProp::Count, Ty::Int),
        (Ty::List(_) | Ty::Dict(..) | Ty::Array(_), "Count") => (CollProp::Count, Ty::Int),
        (Ty::Dict(k, _), "Keys") => (CollProp::Keys, Ty::seq((**k).clone())),
        (Ty::Dict(_, v), "Values") => (CollProp::Values, Ty::seq((**v).clone())),
        (Ty::Pair(k, _), "Key") => (CollProp::Key, (**k).clone()),
        (Ty::Pair(_, v), "Value") => (CollProp::Value, (**v).clone()),
        _ => return None,
    };
    Some((Prop::Coll(prop), result))
}

pub(crate) fn get(m: &mut Machine<'_>, target: Value, prop: CollProp) -> Result<Value, EvalError> {
    let target = non_null(target)?;
    Ok(match (prop, &target) {
        (CollProp::Count, Value::Str(s)) => Value::Int(s.chars().count() as i32),
        (CollProp::Count, Value::Bytes(b)) => Value::Int(b.len() as i32),
        (CollProp::Count, Value::List(l)) => Value::Int(l.len() as i32),
        (CollProp::Count, Value::Dict(d)) => Value::Int(d.len() as i32),
        (CollProp::Keys | CollProp::Values, Value::Dict(d)) => {
            let pick = |(k, v): (Value, Value)| if prop == CollProp::Keys { k } else { v };
            Value::List(List::array(d.entries().into_iter().map(pick).collect()))
        }
        (CollProp::Key, Value::Pair(p)) => p.0.clone(),
        (CollProp::Value, Value::Pair(p)) => p.1.clone(),
        (_, other) => {
            let _ = m;
            return Err(EvalError::cast(
                other.type_name(),
                "System.Collections.ICollection",
            ));
        }
    })
}

fn ok(f: CollFn, ty: Ty) -> Option<Result<(Func, Ty), String>> {
    Some(Ok((Func::Coll(f), ty)))
}

pub(crate) fn method(sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    let Recv::Value(ty) = sig.recv else {
        return None;
    };
    let n = sig.args.len();
    match (ty, sig.name, n) {
        (Ty::List(_), "Add", 1) => ok(CollFn::Add, Ty::Void),
        (Ty::List(_), "AddRange", 1) => ok(CollFn::AddRange, Ty::Void),
        (Ty::List(_), "Insert", 2) => ok(CollFn::Insert, Ty::Void),
        (Ty::List(_), "Remove", 1) => ok(CollFn::Remove, Ty::Bool),
        (Ty::List(_), "RemoveAt", 1) => ok(CollFn::RemoveAt, Ty::Void),
        (Ty::List(_) | Ty::Dict(..), "Clear", 0) => ok(CollFn::Clear, Ty::Void),
        (Ty::List(_) | Ty::Array(_), "IndexOf", 1) => ok(CollFn::IndexOf, Ty::Int),
        (Ty::Dict(..), "Add", 2) => ok(CollFn::Add, Ty::Void),
        (Ty::Dict(..), "Remove", 1) => ok(CollFn::Remove, Ty::Bool),
        (Ty::Dict(..), "ContainsKey", 1) => ok(CollFn::ContainsKey, Ty::Bool),
        (Ty::Dict(..), "ContainsValue", 1) => ok(CollFn::ContainsValue, Ty::Bool),
        (Ty::Dict(_, v), "GetValueOrDefault", 1 | 2) => {
            ok(CollFn::GetValueOrDefault, (**v).clone())
        }
        _ => None,
    }
}

pub(crate) fn indexer(target: &Ty, key: &Ty) -> Option<(Func, Ty)> {
    let int_key = matches!(key, Ty::Int | Ty::Long | Ty::Char | Ty::Error);
    let value = match target {
        Ty::String if int_key => Ty::Char,
        Ty::Bytes if int_key => Ty::Int,
        Ty::Array(elem) | Ty::List(elem) if int_key => (**elem).clone(),
        Ty::Dict(_, v) => (**v).clone(),
        _ => return None,
    };
    Some((Func::Coll(CollFn::Get), value))
}

pub(crate) fn index_setter(target: &Ty) -> Option<(Func, Ty)> {
    match target {
        Ty::Array(elem) | Ty::List(elem) => Some((Func::Coll(CollFn::Set), (**elem).clone())),
        Ty::Bytes => Some((Func::Coll(CollFn::Set), Ty::Int)),
        Ty::Dict(_, v) => Some((Func::Coll(CollFn::Set), (**v).clone())),
        _ => None,
    }
}

pub(crate) fn constructor(ty: &Ty, args: &[Ty]) -> Option<Result<Func, String>> {
    let f = match (ty, args) {
        (Ty::List(_), [] | [Ty::Int]) => CollFn::NewList,
        (Ty::List(elem), [source]) if source.elem().is_some_and(|e| elem.assignable_from(&e)) => {
            CollFn::NewList
        }
        (Ty::Dict(..), [] | [Ty::Object]) => CollFn::NewDict,
        (Ty::List(_) | Ty::Dict(..), _) => {
            return Some(Err(
                "this constructor is not supported by Gatehouse".to_owned()
            ));
        }
        _ => return None,
    };
    Some(Ok(Func::Coll(f)))
}

/// The constructor for `new T[n]`, `new T[] { … }`, `new byte[n]`.
pub(crate) fn array_constructor(_elem: Ty, is_bytes: bool, with_size: bool) -> Func {
    Func::Coll(match (is_bytes, with_size) {
        (true, true) => CollFn::NewBytes,
        (true, false) => CollFn::BytesOf,
        (false, true) => CollFn::NewArray,
        (false, false) => CollFn::ArrayOf,
    })
}

pub(crate) fn call(
    m: &mut Machine<'_>,
    f: &CollFn,
    target: Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    match f {
        CollFn::NewList => new_list(m, args),
        CollFn::NewDict => Ok(Value::Dict(Dict::new(matches!(
            args.first(),
            Some(Value::Bool(true))
        )))),
        CollFn::NewArray => {
            let size = array_size(m, &arg(&mut args, 0))?;
            Ok(Value::List(List::array(vec![Value::Null; size])))
        }
        CollFn::ArrayOf => {
            m.check_len(args.len())?;
            Ok(Value::List(List::array(args)))
        }
        CollFn::NewBytes => Ok(Value::Bytes(
            vec![0u8; array_size(m, &arg(&mut args, 0))?].into(),
        )),
        CollFn::BytesOf => {
            let bytes: Result<Vec<u8>, _> =
                args.iter().map(|v| int_arg(v).map(|i| i as u8)).collect();
            Ok(Value::Bytes(bytes?.into()))
        }
        _ => match non_null(target)? {
            Value::List(list) => list_call(m, f, &list, args),
            Value::Dict(dict) => dict_call(m, f, &dict, args),
            other => indexed_call(m, f, &other, args),
        },
    }
}

fn array_size(m: &Machine<'_>, size: &Value) -> Result<usize, EvalError> {
    let size = usize::try_from(int_arg(size)?).map_err(|_| EvalError::Overflow)?;
    m.check_len(size)?;
    Ok(size)
}

fn new_list(m: &mut Machine<'_>, mut args: Vec<Value>) -> Result<Value, EvalError> {
    let items = match arg(&mut args, 0) {
        Value::Null | Value::Int(_) => Vec::new(),
        source => m.items(&source)?,
    };
    Ok(Value::List(List::growable(items)))
}

/// Index arguments: `usize` when in range of `len`.
fn position(index: &Value, len: usize) -> Result<usize, EvalError> {
    let index = int_arg(index)?;
    usize::try_from(index).ok().filter(|i| *i < len).ok_or(EvalError::argument(
        "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')",
    ))
}

fn list_call(
    m: &mut Machine<'_>,
    f: &CollFn,
    list: &List,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    let first = arg(&mut args, 0);
    let second = arg(&mut args, 1);
    match f {
        CollFn::IndexOf => {
            let found = list.with_items(|items| items.iter().position(|v| values_equal(v, &first)));
            Ok(Value::Int(found.map_or(-1, |i| i as i32)))
        }
        CollFn::Get => {
            let at = position(&first, list.len()).map_err(|_| EvalError::IndexOutOfRange)?;
            list.get(at).ok_or(EvalError::IndexOutOfRange)
        }
        CollFn::Set => {
            let at = position(&first, list.len()).map_err(|_| EvalError::IndexOutOfRange)?;
            list.with_items(|items| items.get_mut(at).map(|slot| *slot = second));
            Ok(Value::Null)
        }
        _ if list.is_array() => Err(EvalError::NotSupported {
            what: "Collection was of a fixed size.".to_owned(),
        }),
        _ => grow_or_shrink(m, f, list, first, second),
    }
}

/// The `List<T>` methods that change its length.
fn grow_or_shrink(
    m: &mut Machine<'_>,
    f: &CollFn,
    list: &List,
    first: Value,
    second: Value,
) -> Result<Value, EvalError> {
    match f {
        CollFn::Add => {
            m.check_len(list.len() + 1)?;
            list.with_items(|items| items.push(first));
        }
        CollFn::AddRange => {
            let more = m.items(&first)?;
            m.check_len(list.len() + more.len())?;
            list.with_items(|items| items.extend(more));
        }
        CollFn::Insert => {
            let at = position(&first, list.len() + 1)?;
            list.with_items(|items| items.insert(at, second));
        }
        CollFn::Remove => {
            let at = list.with_items(|items| items.iter().position(|v| values_equal(v, &first)));
            let removed = at.map(|i| list.with_items(|items| items.remove(i)));
            return Ok(Value::Bool(removed.is_some()));
        }
        CollFn::RemoveAt => {
            let at = position(&first, list.len())?;
            list.with_items(|items| items.remove(at));
        }
        CollFn::Clear => list.with_items(Vec::clear),
        _ => {
            return Err(EvalError::NotSupported {
                what: format!("{f:?} on a list"),
            });
        }
    }
    Ok(Value::Null)
}

fn key_matches(dict: &Dict, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) if dict.ignore_case() => {
            x.to_lowercase() == y.to_lowercase()
        }
        _ => values_equal(a, b),
    }
}

fn dict_call(
    m: &Machine<'_>,
    f: &CollFn,
    dict: &Dict,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    let key = arg(&mut args, 0);
    let value = arg(&mut args, 1);
    match f {
        CollFn::Clear => {
            dict.with_entries(Vec::clear);
            return Ok(Value::Null);
        }
        CollFn::ContainsValue => {
            return Ok(Value::Bool(
                dict.entries().iter().any(|(_, v)| values_equal(v, &key)),
            ));
        }
        _ if key.is_null() => {
            return Err(EvalError::argument(
                "Value cannot be null. (Parameter 'key')",
            ));
        }
        _ => {}
    }

    let found =
        dict.with_entries(|entries| entries.iter().position(|(k, _)| key_matches(dict, k, &key)));
    let read = |i: usize| {
        dict.with_entries(|entries| entries.get(i).map(|e| e.1.clone()))
            .unwrap_or_default()
    };
    match (f, found) {
        (CollFn::Add | CollFn::Set, _) => dict_store(m, f, dict, found, key, value),
        (CollFn::Remove, _) => Ok(Value::Bool(
            found.map(|i| dict.with_entries(|e| e.remove(i))).is_some(),
        )),
        (CollFn::ContainsKey, _) => Ok(Value::Bool(found.is_some())),
        (CollFn::GetValueOrDefault, Some(i)) | (CollFn::Get, Some(i)) => Ok(read(i)),
        (CollFn::GetValueOrDefault, None) => Ok(value),
        (CollFn::Get, None) => Err(EvalError::KeyNotFound {
            key: m.display(&key),
        }),
        _ => Err(EvalError::NotSupported {
            what: format!("{f:?} on a dictionary"),
        }),
    }
}

/// `Add` (which refuses an existing key) and the indexer's setter (which replaces it).
fn dict_store(
    m: &Machine<'_>,
    f: &CollFn,
    dict: &Dict,
    found: Option<usize>,
    key: Value,
    value: Value,
) -> Result<Value, EvalError> {
    if let (CollFn::Add, Some(_)) = (f, found) {
        let message = format!(
            "An item with the same key has already been added. Key: {}",
            m.display(&key)
        );
        return Err(EvalError::argument(message));
    }
    m.check_len(dict.len() + 1)?;
    dict.with_entries(|entries| match found {
        Some(i) => {
            if let Some(entry) = entries.get_mut(i) {
                entry.1 = value;
            }
        }
        None => entries.push((key, value)),
    });
    Ok(Value::Null)
}

/// Indexers of strings and byte arrays.
fn indexed_call(
    m: &Machine<'_>,
    f: &CollFn,
    target: &Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    let index = arg(&mut args, 0);
    let at = usize::try_from(int_arg(&index)?).map_err(|_| EvalError::IndexOutOfRange)?;
    match (f, target) {
        (CollFn::Get, Value::Str(s)) => s
            .chars()
            .nth(at)
            .map(Value::Char)
            .ok_or(EvalError::IndexOutOfRange),
        (CollFn::Get, Value::Bytes(b)) => b
            .get(at)
            .map(|x| Value::Int(i32::from(x)))
            .ok_or(EvalError::IndexOutOfRange),
        // `bytes[i] = x` stores the low 8 bits, as the `(byte)` cast C# requires does.
        (CollFn::Set, Value::Bytes(b)) => {
            let byte = int_arg(&arg(&mut args, 1))? as u8;
            b.with_bytes(|bytes| bytes.get_mut(at).map(|slot| *slot = byte))
                .map(|()| Value::Null)
                .ok_or(EvalError::IndexOutOfRange)
        }
        (_, other) => {
            let _ = m;
            Err(EvalError::cast(
                other.type_name(),
                "System.Collections.IList",
            ))
        }
    }
}
