//! `System.Array` statics: copying between arrays, searching them with predicates, and the
//! in-place `Reverse`, `Sort` and `Clear`.
//!
//! Arrays are shared objects (`T[]` as [`List`], `byte[]` as [`ByteArray`]), so the in-place
//! methods change what every reference to the array sees, as in .NET.

use std::cmp::Ordering;

use super::string::int_arg;
use super::{Class, Func, Recv, Sig, arg};
use crate::error::EvalError;
use crate::eval::{Machine, compare, values_equal};
use crate::types::Ty;
use crate::value::{ByteArray, List, Value};

/// An `Array` static method. `Find` and `Clear` carry `default(T)` for the element type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ArrayFn {
    /// `Copy(source, destination, length)` and the five-argument form with indexes.
    Copy,
    Exists,
    Find(Value),
    FindAll,
    FindIndex,
    TrueForAll,
    IndexOf,
    Reverse,
    Sort,
    /// `Clear(array[, index, length])`.
    Clear(Value),
    /// `Empty<T>()`.
    Empty {
        bytes: bool,
    },
}

fn ok(f: ArrayFn, ty: Ty) -> Option<Result<(Func, Ty), String>> {
    Some(Ok((Func::Array(f), ty)))
}

pub(crate) fn method(sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    let Recv::Static(Class::Array) = sig.recv else {
        return None;
    };
    let array = sig.args.first().cloned().unwrap_or(Ty::Error);
    let elem = array.elem().unwrap_or(Ty::Error);
    let predicate = sig.lambda_results.get(1).cloned().flatten().is_some();
    let default = super::host::default_of(Some(&elem));
    use ArrayFn::*;
    match (sig.name, sig.args.len()) {
        ("Copy", 3 | 5) => ok(Copy, Ty::Void),
        ("Exists", 2) if predicate => ok(Exists, Ty::Bool),
        ("TrueForAll", 2) if predicate => ok(TrueForAll, Ty::Bool),
        ("Find", 2) if predicate => ok(Find(default), elem),
        ("FindAll", 2) if predicate => ok(FindAll, array),
        ("FindIndex", 2) if predicate => ok(FindIndex, Ty::Int),
        ("IndexOf", 2) => ok(IndexOf, Ty::Int),
        ("Reverse", 1) => ok(Reverse, Ty::Void),
        ("Sort", 1) => ok(Sort, Ty::Void),
        ("Clear", 1 | 3) => ok(Clear(default), Ty::Void),
        ("Empty", 0) => empty(sig.generics),
        ("Resize", _) => Some(Err(
            "'Array.Resize' needs a 'ref' argument, which Gatehouse does not support; build a new array with 'ToArray()'".to_owned(),
        )),
        _ => None,
    }
}

fn empty(generics: &[Ty]) -> Option<Result<(Func, Ty), String>> {
    let [elem] = generics else {
        return Some(Err(
            "'Array.Empty' needs a type argument, as in 'Array.Empty<string>()'".to_owned(),
        ));
    };
    let bytes = *elem == Ty::Int;
    let ty = if bytes {
        Ty::Bytes
    } else {
        Ty::array(elem.clone())
    };
    ok(ArrayFn::Empty { bytes }, ty)
}

pub(crate) fn call(
    m: &mut Machine<'_>,
    f: &ArrayFn,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    if let ArrayFn::Empty { bytes } = *f {
        return Ok(if bytes {
            Value::Bytes(ByteArray::from(Vec::new()))
        } else {
            Value::List(List::array(Vec::new()))
        });
    }
    // The array first, then the method's own arguments.
    let array = if args.is_empty() {
        Value::Null
    } else {
        args.remove(0)
    };
    if array.is_null() {
        return Err(EvalError::argument(
            "Value cannot be null. (Parameter 'array')",
        ));
    }
    match f {
        ArrayFn::Copy => copy(&array, args),
        ArrayFn::Reverse | ArrayFn::Sort | ArrayFn::Clear(_) => in_place(f, &array, &args),
        ArrayFn::IndexOf => {
            let wanted = arg(&mut args, 0);
            let items = m.items(&array)?;
            let found = items.iter().position(|v| values_equal(v, &wanted));
            Ok(Value::Int(found.map_or(-1, index_value)))
        }
        _ => search(m, f, &array, &arg(&mut args, 0)),
    }
}

fn index_value(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}

/// `Exists`, `TrueForAll`, `Find`, `FindAll` and `FindIndex`: one pass with the predicate.
fn search(
    m: &mut Machine<'_>,
    f: &ArrayFn,
    array: &Value,
    predicate: &Value,
) -> Result<Value, EvalError> {
    let items = m.items(array)?;
    let mut kept = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        m.tick()?;
        let matched = m.test(predicate, &item)?;
        match (f, matched) {
            (ArrayFn::Exists, true) => return Ok(Value::Bool(true)),
            (ArrayFn::TrueForAll, false) => return Ok(Value::Bool(false)),
            (ArrayFn::Find(_), true) => return Ok(item),
            (ArrayFn::FindIndex, true) => return Ok(Value::Int(index_value(index))),
            (ArrayFn::FindAll, true) => kept.push(item),
            _ => {}
        }
    }
    Ok(match (f, array) {
        (ArrayFn::Exists, _) => Value::Bool(false),
        (ArrayFn::TrueForAll, _) => Value::Bool(true),
        (ArrayFn::FindIndex, _) => Value::Int(-1),
        (ArrayFn::FindAll, Value::Bytes(_)) => Value::Bytes(ByteArray::from(bytes_of(&kept)?)),
        (ArrayFn::FindAll, _) => Value::List(List::array(kept)),
        (ArrayFn::Find(default), _) => default.clone(),
        _ => Value::Null,
    })
}

fn bytes_of(items: &[Value]) -> Result<Vec<u8>, EvalError> {
    items.iter().map(|v| int_arg(v).map(|i| i as u8)).collect()
}

/// A non-negative count or index argument.
fn count(value: &Value, name: &str) -> Result<usize, EvalError> {
    usize::try_from(int_arg(value)?).map_err(|_| {
        EvalError::argument(format!(
            "Non-negative number required. (Parameter '{name}')"
        ))
    })
}

/// `Copy(source, destination, length)` or `Copy(source, sourceIndex, destination,
/// destinationIndex, length)`; overlapping ranges of one array copy as if through a buffer.
fn copy(source: &Value, args: Vec<Value>) -> Result<Value, EvalError> {
    let (from, destination, to, length) = match args.as_slice() {
        [destination, length] => (0, destination, 0, count(length, "length")?),
        [from, destination, to, length] => (
            count(from, "sourceIndex")?,
            destination,
            count(to, "destinationIndex")?,
            count(length, "length")?,
        ),
        _ => return Err(EvalError::argument("Array.Copy takes 3 or 5 arguments.")),
    };
    if destination.is_null() {
        return Err(EvalError::argument(
            "Value cannot be null. (Parameter 'destinationArray')",
        ));
    }
    let taken = slice(source, from, length).ok_or_else(|| {
        EvalError::argument("Source array was not long enough. Check the source index, length, and the array's lower bounds. (Parameter 'sourceArray')")
    })?;
    write(destination, to, taken)?;
    Ok(Value::Null)
}

/// `length` items of an array from `from`, copied out.
fn slice(array: &Value, from: usize, length: usize) -> Option<Vec<Value>> {
    let end = from.checked_add(length)?;
    match array {
        Value::Bytes(bytes) => {
            let copied = bytes.with_bytes(|b| b.get(from..end).map(<[u8]>::to_vec))?;
            Some(
                copied
                    .into_iter()
                    .map(|b| Value::Int(i32::from(b)))
                    .collect(),
            )
        }
        Value::List(list) => list.with_items(|items| items.get(from..end).map(<[Value]>::to_vec)),
        _ => None,
    }
}

fn write(destination: &Value, at: usize, items: Vec<Value>) -> Result<(), EvalError> {
    let too_short = || {
        EvalError::argument(
            "Destination array was not long enough. Check the destination index, length, and the array's lower bounds. (Parameter 'destinationArray')",
        )
    };
    let end = at.checked_add(items.len()).ok_or_else(too_short)?;
    match destination {
        Value::Bytes(bytes) => {
            let new = bytes_of(&items)
                .map_err(|_| EvalError::cast("System.Object[]", "System.Byte[]"))?;
            bytes.with_bytes(|b| b.get_mut(at..end).map(|range| range.copy_from_slice(&new)))
        }
        Value::List(list) => list.with_items(|existing| {
            existing
                .get_mut(at..end)
                .map(|range| range.clone_from_slice(&items))
        }),
        other => return Err(EvalError::cast(other.type_name(), "System.Array")),
    }
    .ok_or_else(too_short)
}

/// `Reverse`, `Sort` and `Clear` change the array itself.
fn in_place(f: &ArrayFn, array: &Value, args: &[Value]) -> Result<Value, EvalError> {
    let range = match args {
        [index, length] => Some((count(index, "index")?, count(length, "length")?)),
        _ => None,
    };
    let out_of_range = || EvalError::IndexOutOfRange;
    match array {
        Value::Bytes(bytes) => bytes.with_bytes(|b| {
            let end = range.map_or(Some(b.len()), |(i, n)| i.checked_add(n));
            let part = b.get_mut(range.map_or(0, |r| r.0)..end.ok_or_else(out_of_range)?);
            let part = part.ok_or_else(out_of_range)?;
            match f {
                ArrayFn::Reverse => part.reverse(),
                ArrayFn::Sort => part.sort_unstable(),
                _ => part.fill(0),
            }
            Ok(())
        }),
        Value::List(list) => list.with_items(|items| {
            let end = range.map_or(Some(items.len()), |(i, n)| i.checked_add(n));
            let part = items.get_mut(range.map_or(0, |r| r.0)..end.ok_or_else(out_of_range)?);
            let part = part.ok_or_else(out_of_range)?;
            match f {
                ArrayFn::Reverse => part.reverse(),
                ArrayFn::Sort => sort(part)?,
                ArrayFn::Clear(default) => part.fill(default.clone()),
                _ => {}
            }
            Ok(())
        }),
        other => Err(EvalError::cast(other.type_name(), "System.Array")),
    }
    .map(|()| Value::Null)
}

/// `Array.Sort` with the default comparer: nulls first, strings in culture order, and an
/// `InvalidOperationException` for items that do not compare, as .NET throws.
fn sort(items: &mut [Value]) -> Result<(), EvalError> {
    let comparable = items.windows(2).all(|pair| {
        pair[0].is_null() || pair[1].is_null() || compare(&pair[0], &pair[1]).is_some()
    });
    if !comparable {
        return Err(EvalError::invalid(
            "Failed to compare two elements in the array.",
        ));
    }
    items.sort_by(|a, b| match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => compare(a, b).unwrap_or(Ordering::Equal),
    });
    Ok(())
}
