//! `System.String` and `System.Char`: instance methods, static helpers, composite formatting.
//!
//! Comparisons are ordinal unless a `StringComparison` says otherwise; indexes count characters
//! (Unicode scalar values), which matches .NET's UTF-16 indexes outside the astral planes.

use super::{Class, Func, Member, Recv, Sig, arg, non_null};
use crate::error::EvalError;
use crate::eval::Machine;
use crate::types::Ty;
use crate::value::{EnumType, List, Value};

/// A string or char method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StrFn {
    ToUpper,
    ToLower,
    Trim,
    TrimStart,
    TrimEnd,
    Split,
    Replace,
    Substring,
    Contains,
    StartsWith,
    EndsWith,
    IndexOf,
    LastIndexOf,
    Equals,
    PadLeft,
    PadRight,
    Insert,
    Remove,
    ToCharArray,
    CompareTo,
    IsNullOrEmpty,
    IsNullOrWhiteSpace,
    Format,
    Join,
    Concat,
    StaticEquals,
    Compare,
    CharIsDigit,
    CharIsLetter,
    CharIsLetterOrDigit,
    CharIsWhiteSpace,
    CharIsUpper,
    CharIsLower,
    CharToUpper,
    CharToLower,
}

pub(crate) fn static_member(class: Class, name: &str) -> Option<Member> {
    match (class, name) {
        (Class::String, "Empty") => Some(Member::Const(Value::str(""), Ty::String)),
        _ => None,
    }
}

fn ok(f: StrFn, ty: Ty) -> Option<Result<(Func, Ty), String>> {
    Some(Ok((Func::Str(f), ty)))
}

pub(crate) fn method(sig: &Sig<'_>) -> Option<Result<(Func, Ty), String>> {
    match sig.recv {
        Recv::Value(Ty::String) => instance(sig.name, sig.args),
        Recv::Static(Class::String) => static_method(sig.name, sig.args),
        Recv::Static(Class::Char) => char_method(sig.name, sig.args.len()),
        _ => None,
    }
}

#[rustfmt::skip]
fn instance(name: &str, args: &[Ty]) -> Option<Result<(Func, Ty), String>> {
    use StrFn::*;
    let n = args.len();
    let s = Ty::String;
    match (name, n) {
        ("ToUpper" | "ToUpperInvariant", 0) => ok(ToUpper, s),
        ("ToLower" | "ToLowerInvariant", 0) => ok(ToLower, s),
        ("Trim", _) => ok(Trim, s),
        ("TrimStart", _) => ok(TrimStart, s),
        ("TrimEnd", _) => ok(TrimEnd, s),
        ("Split", 1..) => ok(Split, Ty::array(Ty::String)),
        ("Replace", 2) => ok(Replace, s),
        ("Substring", 1 | 2) => ok(Substring, s),
        ("Contains", 1 | 2) => ok(Contains, Ty::Bool),
        ("StartsWith", 1 | 2) => ok(StartsWith, Ty::Bool),
        ("EndsWith", 1 | 2) => ok(EndsWith, Ty::Bool),
        ("IndexOf", 1..=3) => ok(IndexOf, Ty::Int),
        ("LastIndexOf", 1 | 2) => ok(LastIndexOf, Ty::Int),
        ("Equals", 1 | 2) => ok(Equals, Ty::Bool),
        ("PadLeft", 1 | 2) => ok(PadLeft, s),
        ("PadRight", 1 | 2) => ok(PadRight, s),
        ("Insert", 2) => ok(Insert, s),
        ("Remove", 1 | 2) => ok(Remove, s),
        ("ToCharArray", 0) => ok(ToCharArray, Ty::array(Ty::Char)),
        ("CompareTo", 1) => ok(CompareTo, Ty::Int),
        _ => None,
    }
}

fn static_method(name: &str, args: &[Ty]) -> Option<Result<(Func, Ty), String>> {
    use StrFn::*;
    match (name, args.len()) {
        ("IsNullOrEmpty", 1) => ok(IsNullOrEmpty, Ty::Bool),
        ("IsNullOrWhiteSpace", 1) => ok(IsNullOrWhiteSpace, Ty::Bool),
        ("Format", 1..) => ok(Format, Ty::String),
        ("Join", 2..) => ok(Join, Ty::String),
        ("Concat", 1..) => ok(Concat, Ty::String),
        ("Equals", 2 | 3) => ok(StaticEquals, Ty::Bool),
        ("Compare", 2 | 3) => ok(Compare, Ty::Int),
        _ => None,
    }
}

fn char_method(name: &str, count: usize) -> Option<Result<(Func, Ty), String>> {
    use StrFn::*;
    let f = match name {
        "IsDigit" | "IsNumber" => CharIsDigit,
        "IsLetter" => CharIsLetter,
        "IsLetterOrDigit" => CharIsLetterOrDigit,
        "IsWhiteSpace" => CharIsWhiteSpace,
        "IsUpper" => CharIsUpper,
        "IsLower" => CharIsLower,
        "ToUpper" | "ToUpperInvariant" => {
            return (count == 1).then_some(Ok((Func::Str(CharToUpper), Ty::Char)));
        }
        "ToLower" | "ToLowerInvariant" => {
            return (count == 1).then_some(Ok((Func::Str(CharToLower), Ty::Char)));
        }
        _ => return None,
    };
    (count == 1).then_some(Ok((Func::Str(f), Ty::Bool)))
}

// ---------------------------------------------------------------------------------------------
// Evaluation

pub(crate) fn call(
    m: &mut Machine<'_>,
    f: StrFn,
    target: Value,
    args: Vec<Value>,
) -> Result<Value, EvalError> {
    use StrFn::*;
    match f {
        IsNullOrEmpty | IsNullOrWhiteSpace | Format | Join | Concat | StaticEquals | Compare => {
            static_call(m, f, args)
        }
        CharIsDigit | CharIsLetter | CharIsLetterOrDigit | CharIsWhiteSpace | CharIsUpper
        | CharIsLower => char_test(f, &args),
        CharToUpper | CharToLower => char_case(f, &args),
        _ => {
            let Value::Str(s) = non_null(target)? else {
                return Err(EvalError::NullReference);
            };
            instance_call(m, f, &s, args)
        }
    }
}

fn text(value: &Value) -> Option<&str> {
    match value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

/// A required string argument.
pub(crate) fn string_arg<'v>(value: &'v Value, name: &str) -> Result<&'v str, EvalError> {
    match value {
        Value::Str(s) => Ok(s),
        Value::Null => Err(EvalError::argument(format!(
            "Value cannot be null. (Parameter '{name}')"
        ))),
        other => Err(EvalError::cast(other.type_name(), "System.String")),
    }
}

/// An `int` argument.
pub(crate) fn int_arg(value: &Value) -> Result<i64, EvalError> {
    match value {
        Value::Int(i) => Ok(i64::from(*i)),
        Value::Long(l) => Ok(*l),
        Value::Char(c) => Ok(i64::from(*c as u32)),
        other => Err(EvalError::cast(other.type_name(), "System.Int32")),
    }
}

fn ignore_case(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Enum(e)) => e.ignores_case(),
        Some(Value::Bool(b)) => *b,
        _ => false,
    }
}

fn instance_call(
    m: &mut Machine<'_>,
    f: StrFn,
    s: &str,
    mut args: Vec<Value>,
) -> Result<Value, EvalError> {
    use StrFn::*;
    let result = match f {
        ToUpper => s.to_uppercase(),
        ToLower => s.to_lowercase(),
        Trim | TrimStart | TrimEnd => trim(f, s, &args)?,
        Split => return split(m, s, &args),
        Replace => replace(m, s, &args)?,
        Substring => substring(s, &args)?,
        Insert => insert(m, s, &args)?,
        Remove => remove(s, &args)?,
        PadLeft | PadRight => pad(m, f, s, &args)?,
        ToCharArray => {
            m.check_len(s.chars().count())?;
            return Ok(Value::List(List::array(
                s.chars().map(Value::Char).collect(),
            )));
        }
        _ => return search(f, s, &mut args),
    };
    m.string(result)
}

/// The methods that answer questions about the string.
fn search(f: StrFn, s: &str, args: &mut [Value]) -> Result<Value, EvalError> {
    use StrFn::*;
    let needle = arg(args, 0);
    let option = args.get(1).cloned();
    let fold = ignore_case(args.last());
    let (hay, pat) = match &needle {
        Value::Char(c) => (cased(s, fold), cased(&c.to_string(), fold)),
        Value::Str(p) => (cased(s, fold), cased(p, fold)),
        Value::Null if f == Equals => return Ok(Value::Bool(false)),
        Value::Null => {
            return Err(EvalError::argument(
                "Value cannot be null. (Parameter 'value')",
            ));
        }
        other => return Err(EvalError::cast(other.type_name(), "System.String")),
    };
    Ok(match f {
        Contains => Value::Bool(hay.contains(&pat)),
        StartsWith => Value::Bool(hay.starts_with(&pat)),
        EndsWith => Value::Bool(hay.ends_with(&pat)),
        Equals => Value::Bool(hay == pat),
        CompareTo => Value::Int(ordering(&hay, &pat)),
        IndexOf => Value::Int(index_of(&hay, &pat, option.as_ref())?),
        _ => Value::Int(hay.rfind(&pat).map_or(-1, |b| char_index(&hay, b))),
    })
}

fn cased(s: &str, fold: bool) -> String {
    if fold { s.to_lowercase() } else { s.to_owned() }
}

fn ordering(a: &str, b: &str) -> i32 {
    match crate::eval::culture_order(a, b) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }
}

fn char_index(s: &str, byte: usize) -> i32 {
    s[..byte].chars().count() as i32
}

fn byte_index(s: &str, chars: usize) -> Option<usize> {
    if chars == 0 {
        return Some(0);
    }
    s.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .nth(chars)
}

fn index_of(hay: &str, pat: &str, start: Option<&Value>) -> Result<i32, EvalError> {
    let start = match start {
        Some(v @ (Value::Int(_) | Value::Long(_))) => int_arg(v)?,
        _ => 0,
    };
    let from = usize::try_from(start).ok().and_then(|c| byte_index(hay, c)).ok_or(EvalError::argument(
        "Index was out of range. Must be non-negative and less than or equal to the size of the collection. (Parameter 'startIndex')",
    ))?;
    Ok(hay[from..]
        .find(pat)
        .map_or(-1, |b| char_index(hay, from + b)))
}

fn trim_set(args: &[Value]) -> Vec<char> {
    let mut set = Vec::new();
    for value in args {
        match value {
            Value::Char(c) => set.push(*c),
            Value::List(list) => set.extend(list.items().iter().filter_map(|v| match v {
                Value::Char(c) => Some(*c),
                _ => None,
            })),
            _ => {}
        }
    }
    set
}

fn trim(f: StrFn, s: &str, args: &[Value]) -> Result<String, EvalError> {
    let set = trim_set(args);
    let matches = |c: char| {
        if set.is_empty() {
            c.is_whitespace()
        } else {
            set.contains(&c)
        }
    };
    Ok(match f {
        StrFn::TrimStart => s.trim_start_matches(matches),
        StrFn::TrimEnd => s.trim_end_matches(matches),
        _ => s.trim_matches(matches),
    }
    .to_owned())
}

/// `Split(char)`, `Split(params char[])`, `Split(string)`, `Split(string[], options)`,
/// `Split(char[], options)`, `Split(char, count)`.
fn split(m: &Machine<'_>, s: &str, args: &[Value]) -> Result<Value, EvalError> {
    let mut separators: Vec<String> = Vec::new();
    let mut remove_empty = false;
    let mut trim_entries = false;
    for value in args {
        match value {
            Value::Char(c) => separators.push(c.to_string()),
            Value::Str(text) => separators.push(text.to_string()),
            Value::List(list) => separators.extend(list.items().iter().map(|v| m.display(v))),
            Value::Enum(e) if e.ty == EnumType::StringSplitOptions => {
                remove_empty = e.value & 1 == 1;
                trim_entries = e.value & 2 == 2;
            }
            _ => {}
        }
    }
    separators.retain(|sep| !sep.is_empty());

    let parts = split_on(s, &separators)
        .map(|p| if trim_entries { p.trim() } else { p })
        .filter(|p| !(remove_empty && p.is_empty()));
    // One past the limit is enough to refuse: a string of commas must not become millions of
    // strings before the collection limit is checked.
    let limit = m.limits().max_collection_length;
    let parts: Vec<Value> = parts
        .take(limit.saturating_add(1))
        .map(Value::str)
        .collect();
    m.check_len(parts.len())?;
    Ok(Value::List(List::array(parts)))
}

/// Splits at the earliest separator at each position; no separators means whitespace. The
/// parts are produced one at a time and borrow from `s`, so only those kept are copied.
fn split_on<'s>(s: &'s str, separators: &'s [String]) -> impl Iterator<Item = &'s str> + 's {
    let (mut start, mut i, mut done) = (0, 0, false);
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        while i < s.len() {
            let here = &s[i..];
            match separator_at(here, separators) {
                Some(length) => {
                    let part = &s[start..i];
                    i += length;
                    start = i;
                    return Some(part);
                }
                None => i += here.chars().next().map_or(1, char::len_utf8),
            }
        }
        done = true;
        Some(&s[start..])
    })
}

/// The length of the separator `text` starts with: the first of `separators` that matches,
/// or one whitespace character when there are none.
fn separator_at(text: &str, separators: &[String]) -> Option<usize> {
    if separators.is_empty() {
        return text
            .chars()
            .next()
            .filter(|c| c.is_whitespace())
            .map(char::len_utf8);
    }
    separators
        .iter()
        .find(|sep| text.starts_with(sep.as_str()))
        .map(String::len)
}

fn replace(m: &Machine<'_>, s: &str, args: &[Value]) -> Result<String, EvalError> {
    let (old, new) = match (args.first(), args.get(1)) {
        (Some(Value::Char(a)), Some(Value::Char(b))) => (a.to_string(), b.to_string()),
        (Some(old), new) => {
            let old = string_arg(old, "oldValue")?;
            if old.is_empty() {
                return Err(EvalError::argument(
                    "String cannot be of zero length. (Parameter 'oldValue')",
                ));
            }
            (old.to_owned(), new.and_then(text).unwrap_or("").to_owned())
        }
        _ => return Ok(s.to_owned()),
    };
    check_replace(m, s, &old, &new)?;
    Ok(s.replace(&old, &new))
}

/// Fails before `s.replace(old, new)` (`old` not empty) when the result would pass the string
/// limit: a megabyte of `a` with each `a` replaced by a megabyte would be a terabyte. Only a
/// replacement longer than what it replaces can grow the text, so only then are the
/// occurrences counted.
pub(crate) fn check_replace(
    m: &Machine<'_>,
    s: &str,
    old: &str,
    new: &str,
) -> Result<(), EvalError> {
    let Some(growth) = new.len().checked_sub(old.len()).filter(|g| *g > 0) else {
        return Ok(());
    };
    let grown = s.matches(old).count().checked_mul(growth);
    m.check_new_string(grown.and_then(|n| n.checked_add(s.len())))
}

fn out_of_range(parameter: &str) -> EvalError {
    EvalError::argument(format!(
        "Index and length must refer to a location within the string. (Parameter '{parameter}')"
    ))
}

fn substring(s: &str, args: &[Value]) -> Result<String, EvalError> {
    let total = s.chars().count() as i64;
    let start = int_arg(args.first().unwrap_or(&Value::Int(0)))?;
    let length = match args.get(1) {
        Some(v) => int_arg(v)?,
        None => total - start,
    };
    if start < 0 || start > total {
        return Err(EvalError::argument(
            "startIndex cannot be larger than length of string. (Parameter 'startIndex')",
        ));
    }
    if length < 0 || start + length > total {
        return Err(out_of_range("length"));
    }
    Ok(s.chars()
        .skip(start as usize)
        .take(length as usize)
        .collect())
}

fn insert(m: &Machine<'_>, s: &str, args: &[Value]) -> Result<String, EvalError> {
    let at = int_arg(args.first().unwrap_or(&Value::Null))?;
    let value = string_arg(args.get(1).unwrap_or(&Value::Null), "value")?;
    let at = usize::try_from(at)
        .ok()
        .and_then(|c| byte_index(s, c))
        .ok_or_else(|| out_of_range("startIndex"))?;
    m.check_new_string(s.len().checked_add(value.len()))?;
    Ok(format!("{}{value}{}", &s[..at], &s[at..]))
}

fn remove(s: &str, args: &[Value]) -> Result<String, EvalError> {
    let start = int_arg(args.first().unwrap_or(&Value::Null))?;
    let total = s.chars().count() as i64;
    let count = match args.get(1) {
        Some(v) => int_arg(v)?,
        None => total - start,
    };
    if start < 0 || count < 0 || start + count > total {
        return Err(out_of_range("count"));
    }
    let kept = s
        .chars()
        .enumerate()
        .filter(|(i, _)| (*i as i64) < start || (*i as i64) >= start + count);
    Ok(kept.map(|(_, c)| c).collect())
}

/// `PadLeft(totalWidth[, char])` and `PadRight`. The padded length is known from the width:
/// it is checked against the string limit before the padding is built, since the width may
/// come from a request (`PadLeft(2000000000)` would otherwise take two gigabytes first).
fn pad(m: &Machine<'_>, f: StrFn, s: &str, args: &[Value]) -> Result<String, EvalError> {
    let width = int_arg(args.first().unwrap_or(&Value::Null))?;
    let fill = match args.get(1) {
        Some(Value::Char(c)) => *c,
        _ => ' ',
    };
    let missing = usize::try_from(width)
        .unwrap_or(0)
        .saturating_sub(s.chars().count());
    let length = missing.checked_mul(fill.len_utf8());
    m.check_new_string(length.and_then(|n| n.checked_add(s.len())))?;
    let padding = std::iter::repeat_n(fill, missing);
    let mut out = String::new();
    if f == StrFn::PadLeft {
        out.extend(padding);
        out.push_str(s);
    } else {
        out.push_str(s);
        out.extend(padding);
    }
    Ok(out)
}

fn static_call(m: &Machine<'_>, f: StrFn, mut args: Vec<Value>) -> Result<Value, EvalError> {
    use StrFn::*;
    let first = arg(&mut args, 0);
    let rest = || flatten_params(args.iter().skip(1).cloned().collect());
    match f {
        IsNullOrEmpty => Ok(Value::Bool(text(&first).is_none_or(str::is_empty))),
        IsNullOrWhiteSpace => Ok(Value::Bool(
            text(&first).is_none_or(|s| s.trim().is_empty()),
        )),
        Format => {
            let format = string_arg(&first, "format")?;
            m.string(super::convert::format_composite(m, format, &rest())?)
        }
        Join => m.string(join(m, &m.display(&first), &rest())?),
        Concat => {
            let items = flatten_params(
                std::iter::once(first)
                    .chain(args.iter().skip(1).cloned())
                    .collect(),
            );
            m.string(join(m, "", &items)?)
        }
        StaticEquals | Compare => Ok(compare_strings(f, &first, args.get(1), args.get(2))),
        _ => Ok(Value::Null),
    }
}

/// `string.Join` and `string.Concat`: each part is measured against the string limit before
/// it is appended. The items may be a hundred thousand references to one large string, whose
/// joined text would be hundreds of gigabytes.
fn join(m: &Machine<'_>, separator: &str, items: &[Value]) -> Result<String, EvalError> {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        let separator = if i == 0 { "" } else { separator };
        let text = m.display(item);
        let length = out.len().checked_add(separator.len());
        m.check_new_string(length.and_then(|n| n.checked_add(text.len())))?;
        out.push_str(separator);
        out.push_str(&text);
    }
    Ok(out)
}

/// `string.Equals(a, b[, comparison])` and `string.Compare(a, b[, ignoreCase | comparison])`;
/// null sorts before every string.
fn compare_strings(f: StrFn, a: &Value, b: Option<&Value>, option: Option<&Value>) -> Value {
    let fold = ignore_case(option);
    let a = text(a).map(|s| cased(s, fold));
    let b = b.and_then(text).map(|s| cased(s, fold));
    if f == StrFn::StaticEquals {
        return Value::Bool(a == b);
    }
    Value::Int(match (a, b) {
        (Some(a), Some(b)) => ordering(&a, &b),
        (None, None) => 0,
        (None, Some(_)) => -1,
        (Some(_), None) => 1,
    })
}

/// `params object[]` and `IEnumerable` arguments: a single collection argument is its items.
pub(crate) fn flatten_params(args: Vec<Value>) -> Vec<Value> {
    match args.as_slice() {
        [Value::List(list)] => list.items(),
        [Value::Json(token)] if token.kind() == crate::value::JTokenKind::Array => {
            token.children().into_iter().map(Value::Json).collect()
        }
        _ => args,
    }
}

fn char_test(f: StrFn, args: &[Value]) -> Result<Value, EvalError> {
    let Some(Value::Char(c)) = args.first() else {
        return Err(EvalError::NullReference);
    };
    Ok(Value::Bool(match f {
        StrFn::CharIsDigit => c.is_ascii_digit(),
        StrFn::CharIsLetter => c.is_alphabetic(),
        StrFn::CharIsLetterOrDigit => c.is_alphanumeric(),
        StrFn::CharIsWhiteSpace => c.is_whitespace(),
        StrFn::CharIsUpper => c.is_uppercase(),
        _ => c.is_lowercase(),
    }))
}

fn char_case(f: StrFn, args: &[Value]) -> Result<Value, EvalError> {
    let Some(Value::Char(c)) = args.first() else {
        return Err(EvalError::NullReference);
    };
    let mapped = if f == StrFn::CharToUpper {
        c.to_uppercase().next()
    } else {
        c.to_lowercase().next()
    };
    Ok(Value::Char(mapped.unwrap_or(*c)))
}
