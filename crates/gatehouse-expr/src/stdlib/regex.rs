//! `System.Text.RegularExpressions.Regex`: the static methods policies use, and `Match`/`Group`.
//!
//! Patterns run on the `regex` crate, which shares .NET's syntax for everything but lookaround
//! and backreferences; a pattern using those fails with an `ArgumentException` naming the
//! problem. A pattern written as a constant is compiled once and kept with the expression.

mod replacement;

use std::sync::{Arc, OnceLock};

use regex::{Regex, RegexBuilder};

use super::string::int_arg;
use super::{Class, Func, Prop, Recv, Sig, arg, non_null};
use crate::error::EvalError;
use crate::eval::Machine;
use crate::types::Ty;
use crate::value::{EnumType, List, RegexMatch, RegexPart, Value};

/// A compiled pattern with the options it was compiled for.
type Cached = (String, i32, Regex);

/// A `Regex` static method, with a slot for the compiled pattern.
#[derive(Clone, Debug)]
pub(crate) struct RegexFn {
    op: RegexOp,
    cache: Arc<OnceLock<Cached>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RegexOp {
    IsMatch,
    Match,
    Replace,
    Split,
    Escape,
    GroupIndex,
}

/// A member of `Match` or `Group`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RegexProp {
    Success,
    Value,
    Index,
    Length,
    Name,
    Groups,
    Count,
}

pub(crate) fn property(ty: &Ty, name: &str) -> Option<(Prop, Ty)> {
    let (prop, result) = match (ty, name) {
        (Ty::RegexMatch | Ty::RegexGroup, "Success") => (RegexProp::Success, Ty::Bool),
        (Ty::RegexMatch | Ty::RegexGroup, "Value") => (RegexProp::Value, Ty::String),
        (Ty::RegexMatch | Ty::RegexGroup, "Index") => (RegexProp::Index, Ty::Int),
        (Ty::RegexMatch | Ty::RegexGroup, "Length") => (RegexProp::Length, Ty::Int),
        (Ty::RegexGroup, "Name") => (RegexProp::Name, Ty::String),
        (Ty::RegexMatch, "Groups") => (RegexProp::Groups, Ty::RegexGroups),
        (Ty::RegexGroups, "Count") => (RegexProp::Count, Ty::Int),
        _ => return None,
    };
    Some((Prop::Regex(prop), result))
}

pub(crate) fn get(target: Value, prop: RegexProp) -> Result<Value, EvalError> {
    let Value::Regex(found, part) = non_null(target)? else {
        return Err(EvalError::NullReference);
    };
    let index = match part {
        RegexPart::Group(i) => i,
        _ => 0,
    };
    let group = found.groups.get(index);
    let captured = group.and_then(|(_, c)| c.as_ref());
    Ok(match prop {
        RegexProp::Success => Value::Bool(captured.is_some()),
        RegexProp::Value => {
            Value::Str(captured.map_or_else(|| "".into(), |(text, _)| text.clone()))
        }
        RegexProp::Index => Value::Int(captured.map_or(0, |(_, at)| *at as i32)),
        RegexProp::Length => {
            Value::Int(captured.map_or(0, |(text, _)| text.chars().count() as i32))
        }
        RegexProp::Name => {
            let name = group.and_then(|(n, _)| n.clone());
            Value::Str(name.unwrap_or_else(|| index.to_string().into()))
        }
        RegexProp::Groups => Value::Regex(found.clone(), RegexPart::Groups),
        RegexProp::Count => Value::Int(found.groups.len() as i32),
    })
}

fn ok(op: RegexOp, ty: Ty) -> Option<Result<(Func, Ty), String>> {
    let f = RegexFn {
        op,
        cache: Arc::new(OnceLock::new()),
    };
    Some(Ok((Func::Regex(f), ty)))
}

pub(crate) fn method(sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    let n = sig.args.len();
    match (sig.recv, sig.name, n) {
        (Recv::Static(Class::Regex), "IsMatch", 2 | 3) => ok(RegexOp::IsMatch, Ty::Bool),
        (Recv::Static(Class::Regex), "Match", 2 | 3) => ok(RegexOp::Match, Ty::RegexMatch),
        (Recv::Static(Class::Regex), "Replace", 3 | 4) => ok(RegexOp::Replace, Ty::String),
        (Recv::Static(Class::Regex), "Split", 2 | 3) => ok(RegexOp::Split, Ty::array(Ty::String)),
        (Recv::Static(Class::Regex), "Escape", 1) => ok(RegexOp::Escape, Ty::String),
        _ => None,
    }
}

pub(crate) fn indexer(target: &Ty, key: &Ty) -> Option<(Func, Ty)> {
    let fits = *target == Ty::RegexGroups && matches!(key, Ty::String | Ty::Int | Ty::Error);
    let f = RegexFn {
        op: RegexOp::GroupIndex,
        cache: Arc::new(OnceLock::new()),
    };
    fits.then_some((Func::Regex(f), Ty::RegexGroup))
}

pub(crate) fn call(
    m: &Machine<'_>,
    f: &RegexFn,
    target: Value,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    if f.op == RegexOp::GroupIndex {
        return group(m, target, &arg(&mut args, 0));
    }
    let input = m.display(&non_null(arg(&mut args, 0))?);
    if f.op == RegexOp::Escape {
        return m.string(regex::escape(&input));
    }
    let pattern = m.display(&non_null(arg(&mut args, 1))?);
    let options_at = if f.op == RegexOp::Replace { 3 } else { 2 };
    let options = match args.get(options_at) {
        Some(Value::Enum(e)) if e.ty == EnumType::RegexOptions => e.value,
        _ => 0,
    };
    let regex = compiled(f, &pattern, options)?;
    match f.op {
        RegexOp::IsMatch => Ok(Value::Bool(regex.is_match(&input))),
        RegexOp::Match => Ok(first_match(&regex, &input)),
        RegexOp::Replace => {
            let replacement = m.display(&arg(&mut args, 2));
            m.string(replacement::replace_all(m, &regex, &input, &replacement)?)
        }
        _ => split(m, &regex, &input),
    }
}

/// `Regex.Split`: one part past the collection limit is enough to refuse, so a long input
/// does not become millions of strings before the limit is checked.
fn split(m: &Machine<'_>, regex: &Regex, input: &str) -> Result<Value, EvalError> {
    let limit = m.limits().max_collection_length.saturating_add(1);
    let parts: Vec<Value> = regex.split(input).take(limit).map(Value::str).collect();
    m.check_len(parts.len())?;
    Ok(Value::List(List::array(parts)))
}

/// The compiled pattern, from the expression's cache when it was compiled before.
fn compiled(f: &RegexFn, pattern: &str, options: i32) -> Result<Regex, EvalError> {
    if let Some((cached, cached_options, regex)) = f.cache.get()
        && cached == pattern
        && *cached_options == options
    {
        return Ok(regex.clone());
    }
    let regex = build(pattern, options)?;
    let _ = f.cache.set((pattern.to_owned(), options, regex.clone()));
    Ok(regex)
}

fn build(pattern: &str, options: i32) -> Result<Regex, EvalError> {
    RegexBuilder::new(pattern)
        .case_insensitive(options & 1 != 0)
        .multi_line(options & 2 != 0)
        .dot_matches_new_line(options & 16 != 0)
        .ignore_whitespace(options & 32 != 0)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| EvalError::argument(format!("Invalid pattern '{pattern}': {e}")))
}

fn first_match(regex: &Regex, input: &str) -> Value {
    let names: Vec<Option<&str>> = regex.capture_names().collect();
    let groups = match regex.captures(input) {
        Some(captures) => names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let captured = captures
                    .get(i)
                    .map(|c| (c.as_str().into(), input[..c.start()].chars().count()));
                (name.map(Into::into), captured)
            })
            .collect(),
        None => names
            .iter()
            .map(|name| (name.map(Into::into), None))
            .collect(),
    };
    Value::Regex(Arc::new(RegexMatch { groups }), RegexPart::Match)
}

fn group(m: &Machine<'_>, target: Value, key: &Value) -> Result<Value, EvalError> {
    let Value::Regex(found, _) = non_null(target)? else {
        return Err(EvalError::NullReference);
    };
    let index = match key {
        Value::Str(name) => found
            .groups
            .iter()
            .position(|(n, _)| n.as_deref() == Some(&**name)),
        other => usize::try_from(int_arg(other)?)
            .ok()
            .filter(|i| *i < found.groups.len()),
    };
    let _ = m;
    Ok(match index {
        Some(i) => Value::Regex(found, RegexPart::Group(i)),
        None => {
            let empty = RegexMatch {
                groups: vec![(None, None)],
            };
            Value::Regex(Arc::new(empty), RegexPart::Group(0))
        }
    })
}
