//! LINQ to Objects over every enumerable value, with lambdas.
//!
//! Operators run eagerly and return arrays; a policy expression cannot observe the difference
//! from C#'s deferred execution except through side effects in lambdas, which the subset lacks.

use std::cmp::Ordering;

use super::{Func, Recv, Sig, arg, non_null};
use crate::error::EvalError;
use crate::eval::{Machine, compare, values_equal};
use crate::types::Ty;
use crate::value::{Dict, List, Value};

/// A LINQ operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LinqFn {
    Any,
    All,
    Where,
    Select,
    SelectMany,
    First {
        or_default: bool,
    },
    Last {
        or_default: bool,
    },
    Single {
        or_default: bool,
    },
    Count,
    Contains,
    ToList,
    ToArray,
    OrderBy {
        descending: bool,
    },
    Distinct,
    Skip,
    Take,
    Reverse,
    Sum,
    Max,
    Min,
    Average,
    Concat,
    Union,
    Except,
    Intersect,
    ToDictionary,
    ElementAt,
    Aggregate,
    /// `Cast<T>()`: the items unchanged (they already have their run-time types).
    Cast,
}

fn ok(f: LinqFn, ty: Ty) -> Option<Result<(Func, Ty), String>> {
    Some(Ok((Func::Linq(f), ty)))
}

/// The type the lambda argument `i` returns.
fn lambda_result(sig: &Sig<'_>, i: usize) -> Option<Ty> {
    sig.lambda_results.get(i).cloned().flatten()
}

pub(crate) fn method(sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    let Recv::Value(ty) = sig.recv else {
        return None;
    };
    let elem = ty.elem()?;
    let n = sig.args.len();
    let has_lambda = lambda_result(sig, 0).is_some();
    let seq = |t: Ty| Ty::seq(t);
    use LinqFn::*;
    match (sig.name, n) {
        ("Any", 0) => ok(Any, Ty::Bool),
        ("Any" | "All", 1) if has_lambda => ok(if sig.name == "Any" { Any } else { All }, Ty::Bool),
        ("Where", 1) if has_lambda => ok(Where, seq(elem)),
        ("Select", 1) => ok(Select, seq(lambda_result(sig, 0)?)),
        ("SelectMany", 1) => ok(SelectMany, seq(lambda_result(sig, 0)?.elem()?)),
        (
            "First" | "FirstOrDefault" | "Last" | "LastOrDefault" | "Single" | "SingleOrDefault",
            0 | 1,
        ) => element(sig.name, elem, n == 0 || has_lambda),
        ("Count" | "LongCount", 0) => ok(Count, Ty::Int),
        ("Count" | "LongCount", 1) if has_lambda => ok(Count, Ty::Int),
        ("Contains", 1) => ok(Contains, Ty::Bool),
        ("ToList", 0) => ok(ToList, Ty::list(elem)),
        ("ToArray", 0) => ok(
            ToArray,
            if *ty == Ty::Bytes {
                Ty::Bytes
            } else {
                Ty::array(elem)
            },
        ),
        ("OrderBy" | "OrderByDescending", 1) if has_lambda => ok(
            OrderBy {
                descending: sig.name == "OrderByDescending",
            },
            seq(elem),
        ),
        ("Distinct", 0) => ok(Distinct, seq(elem)),
        ("Skip", 1) => ok(Skip, seq(elem)),
        ("Take", 1) => ok(Take, seq(elem)),
        ("Reverse", 0) => ok(Reverse, seq(elem)),
        ("Sum" | "Max" | "Min", 0 | 1) => {
            aggregate(sig.name, lambda_result(sig, 0).unwrap_or(elem))
        }
        ("Average", 0 | 1) => ok(Average, Ty::Double),
        ("Concat", 1) => ok(Concat, seq(elem)),
        ("Union", 1) => ok(Union, seq(elem)),
        ("Except", 1) => ok(Except, seq(elem)),
        ("Intersect", 1) => ok(Intersect, seq(elem)),
        ("ToDictionary", 1 | 2) => {
            let key = lambda_result(sig, 0)?;
            let value = if n == 2 { lambda_result(sig, 1)? } else { elem };
            ok(ToDictionary, Ty::Dict(Box::new(key), Box::new(value)))
        }
        ("ElementAt" | "ElementAtOrDefault", 1) => ok(ElementAt, elem),
        ("Aggregate", 1) if has_lambda => ok(Aggregate, elem),
        ("Cast", 0) => match sig.generics {
            [t] => ok(Cast, seq(t.clone())),
            _ => Some(Err("'Cast' needs a type argument".to_owned())),
        },
        _ => None,
    }
}

fn element(name: &str, elem: Ty, ok_args: bool) -> Option<Result<(Func, Ty), String>> {
    if !ok_args {
        return None;
    }
    let or_default = name.ends_with("OrDefault");
    let f = match name.trim_end_matches("OrDefault") {
        "First" => LinqFn::First { or_default },
        "Last" => LinqFn::Last { or_default },
        _ => LinqFn::Single { or_default },
    };
    ok(f, elem)
}

fn aggregate(name: &str, ty: Ty) -> Option<Result<(Func, Ty), String>> {
    if !ty.unwrap_nullable().is_numeric() && !matches!(ty, Ty::DateTime | Ty::String | Ty::Error) {
        return Some(Err(format!(
            "'{name}' needs numbers, not '{}'",
            ty.display()
        )));
    }
    let f = match name {
        "Sum" => LinqFn::Sum,
        "Max" => LinqFn::Max,
        _ => LinqFn::Min,
    };
    ok(f, ty)
}

fn sequence(m: &Machine<'_>, items: Vec<Value>) -> Result<Value, EvalError> {
    m.check_len(items.len())?;
    Ok(Value::List(List::array(items)))
}

pub(crate) fn call(
    m: &mut Machine<'_>,
    f: LinqFn,
    target: Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    let items = m.items(&non_null(target)?)?;
    let first = arg(&mut args, 0);
    let second = arg(&mut args, 1);
    use LinqFn::*;
    match f {
        Any | All | Count | Where => filter(m, f, items, &first),
        Select => {
            let mut mapped = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                step(m)?;
                mapped.push(m.invoke(&first, &[item, Value::Int(index as i32)])?);
            }
            sequence(m, mapped)
        }
        SelectMany => {
            let mut out = Vec::new();
            for item in &items {
                let inner = m.invoke(&first, std::slice::from_ref(item))?;
                out.extend(m.items(&inner)?);
                m.check_len(out.len())?;
            }
            sequence(m, out)
        }
        First { or_default } | Last { or_default } | Single { or_default } => {
            pick(m, f, items, &first, or_default)
        }
        Contains => Ok(Value::Bool(items.iter().any(|v| values_equal(v, &first)))),
        ToList => Ok(Value::List(List::growable(items))),
        ToArray => Ok(to_array(items)),
        OrderBy { descending } => order_by(m, items, &first, descending),
        _ => reshape(m, f, items, first, second),
    }
}

fn step(m: &mut Machine<'_>) -> Result<(), EvalError> {
    m.tick()
}

fn to_array(items: Vec<Value>) -> Value {
    Value::List(List::array(items))
}

fn filter(
    m: &mut Machine<'_>,
    f: LinqFn,
    items: Vec<Value>,
    predicate: &Value,
) -> Result<Value, EvalError> {
    let no_predicate = predicate.is_null();
    let mut kept = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        step(m)?;
        let matched = no_predicate || m.test_at(predicate, &item, index)?;
        match (f, matched) {
            (LinqFn::Any, true) => return Ok(Value::Bool(true)),
            (LinqFn::All, false) => return Ok(Value::Bool(false)),
            (LinqFn::Count | LinqFn::Where, true) => kept.push(item),
            _ => {}
        }
    }
    match f {
        LinqFn::Any => Ok(Value::Bool(false)),
        LinqFn::All => Ok(Value::Bool(true)),
        LinqFn::Count => Ok(Value::Int(kept.len() as i32)),
        _ => sequence(m, kept),
    }
}

fn pick(
    m: &mut Machine<'_>,
    f: LinqFn,
    items: Vec<Value>,
    predicate: &Value,
    or_default: bool,
) -> Result<Value, EvalError> {
    let mut matches = Vec::new();
    for item in items {
        step(m)?;
        if predicate.is_null() || m.test(predicate, &item)? {
            matches.push(item);
            if matches!(f, LinqFn::First { .. }) {
                break;
            }
        }
    }
    if matches.len() > 1 && matches!(f, LinqFn::Single { .. }) {
        return Err(EvalError::invalid(
            "Sequence contains more than one matching element",
        ));
    }
    match matches.pop() {
        Some(found) if matches!(f, LinqFn::Last { .. }) || matches.is_empty() => Ok(found),
        Some(_) => Ok(matches.swap_remove(0)),
        None if or_default => Ok(Value::Null),
        None if predicate.is_null() => Err(EvalError::invalid("Sequence contains no elements")),
        None => Err(EvalError::invalid("Sequence contains no matching element")),
    }
}

fn order_by(
    m: &mut Machine<'_>,
    items: Vec<Value>,
    key: &Value,
    descending: bool,
) -> Result<Value, EvalError> {
    let mut keyed = Vec::with_capacity(items.len());
    for item in items {
        step(m)?;
        let k = m.invoke(key, std::slice::from_ref(&item))?;
        keyed.push((k, item));
    }
    keyed.sort_by(|(a, _), (b, _)| {
        let order = compare(a, b).unwrap_or_else(|| a.is_null().cmp(&b.is_null()).reverse());
        if descending { order.reverse() } else { order }
    });
    sequence(m, keyed.into_iter().map(|(_, v)| v).collect())
}

/// The operators that reshape or reduce a sequence.
fn reshape(
    m: &mut Machine<'_>,
    f: LinqFn,
    items: Vec<Value>,
    first: Value,
    second: Value,
) -> Result<Value, EvalError> {
    use LinqFn::*;
    match f {
        Distinct => sequence(m, distinct(items)),
        Skip | Take => sequence(m, skip_take(f, items, &first)?),
        Reverse => sequence(m, items.into_iter().rev().collect()),
        Cast => sequence(m, items),
        Sum | Max | Min | Average => reduce(m, f, items, &first),
        Concat | Union | Except | Intersect => {
            let other = m.items(&first)?;
            sequence(m, combine(f, items, other))
        }
        ToDictionary => to_dictionary(m, items, &first, &second),
        ElementAt => element_at(items, &first),
        Aggregate => fold_items(m, items, &first),
        _ => Err(EvalError::NotSupported {
            what: format!("{f:?}"),
        }),
    }
}

fn count_arg(value: &Value) -> Result<usize, EvalError> {
    Ok(usize::try_from(super::string::int_arg(value)?).unwrap_or(0))
}

fn skip_take(f: LinqFn, items: Vec<Value>, count: &Value) -> Result<Vec<Value>, EvalError> {
    let n = count_arg(count)?;
    let items = items.into_iter();
    Ok(if f == LinqFn::Skip {
        items.skip(n).collect()
    } else {
        items.take(n).collect()
    })
}

fn element_at(items: Vec<Value>, index: &Value) -> Result<Value, EvalError> {
    let at =
        usize::try_from(super::string::int_arg(index)?).map_err(|_| EvalError::IndexOutOfRange)?;
    let found = items.into_iter().nth(at);
    found.ok_or(EvalError::argument(
        "Index was out of range. (Parameter 'index')",
    ))
}

/// `Aggregate((acc, item) => …)` seeded with the first item.
fn fold_items(
    m: &mut Machine<'_>,
    items: Vec<Value>,
    function: &Value,
) -> Result<Value, EvalError> {
    let mut iter = items.into_iter();
    let mut acc = iter
        .next()
        .ok_or(EvalError::invalid("Sequence contains no elements"))?;
    for item in iter {
        step(m)?;
        acc = m.invoke(function, &[acc, item])?;
    }
    Ok(acc)
}

fn distinct(items: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        if !out.iter().any(|v| values_equal(v, &item)) {
            out.push(item);
        }
    }
    out
}

fn combine(f: LinqFn, items: Vec<Value>, other: Vec<Value>) -> Vec<Value> {
    let in_other = |v: &Value| other.iter().any(|o| values_equal(o, v));
    match f {
        LinqFn::Concat => items.into_iter().chain(other.clone()).collect(),
        LinqFn::Union => distinct(items.into_iter().chain(other.clone()).collect()),
        LinqFn::Except => distinct(items.into_iter().filter(|v| !in_other(v)).collect()),
        _ => distinct(items.into_iter().filter(in_other).collect()),
    }
}

fn reduce(
    m: &mut Machine<'_>,
    f: LinqFn,
    items: Vec<Value>,
    selector: &Value,
) -> Result<Value, EvalError> {
    let mut values = Vec::with_capacity(items.len());
    for item in items {
        step(m)?;
        let value = if selector.is_null() {
            item
        } else {
            m.invoke(selector, std::slice::from_ref(&item))?
        };
        values.push(value);
    }
    match f {
        LinqFn::Sum => values.into_iter().try_fold(Value::Int(0), |acc, v| {
            crate::eval::binary_value(m, crate::ast::BinOp::Add, acc, v)
        }),
        LinqFn::Average => average(&values),
        _ => extreme(f, values),
    }
}

fn average(values: &[Value]) -> Result<Value, EvalError> {
    if values.is_empty() {
        return Err(EvalError::invalid("Sequence contains no elements"));
    }
    let mut total = 0.0;
    for value in values {
        total += match value {
            Value::Int(i) => f64::from(*i),
            Value::Long(l) => *l as f64,
            Value::Double(d) => *d,
            other => return Err(EvalError::cast(other.type_name(), "System.Double")),
        };
    }
    Ok(Value::Double(total / values.len() as f64))
}

fn extreme(f: LinqFn, values: Vec<Value>) -> Result<Value, EvalError> {
    let wanted = if f == LinqFn::Max {
        Ordering::Greater
    } else {
        Ordering::Less
    };
    let mut best: Option<Value> = None;
    for value in values.into_iter().filter(|v| !v.is_null()) {
        let better = best
            .as_ref()
            .is_none_or(|b| compare(&value, b) == Some(wanted));
        if better {
            best = Some(value);
        }
    }
    best.ok_or(EvalError::invalid("Sequence contains no elements"))
}

fn to_dictionary(
    m: &mut Machine<'_>,
    items: Vec<Value>,
    key: &Value,
    value: &Value,
) -> Result<Value, EvalError> {
    let dict = Dict::new(false);
    for item in items {
        step(m)?;
        let k = m.invoke(key, std::slice::from_ref(&item))?;
        let v = if value.is_null() {
            item
        } else {
            m.invoke(value, std::slice::from_ref(&item))?
        };
        let duplicate = dict
            .entries()
            .iter()
            .any(|(existing, _)| values_equal(existing, &k));
        if duplicate {
            let message = format!(
                "An item with the same key has already been added. Key: {}",
                m.display(&k)
            );
            return Err(EvalError::argument(message));
        }
        dict.with_entries(|entries| entries.push((k, v)));
    }
    m.check_len(dict.len())?;
    Ok(Value::Dict(dict))
}
