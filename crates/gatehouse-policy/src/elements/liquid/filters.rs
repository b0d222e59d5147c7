//! The Liquid filters Gatehouse supports.

use super::parse::Expr;
use super::render::MAX_OUTPUT;
use super::value::LValue;

/// A filter's result would be longer than a rendered body may be ([`MAX_OUTPUT`]).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct OverBudget;

/// A filter with its argument expressions.
#[derive(Clone, Debug)]
pub(crate) struct Filter {
    kind: Kind,
    args: Vec<Expr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Abs,
    Append,
    Capitalize,
    Default,
    DividedBy,
    Downcase,
    Escape,
    First,
    Join,
    Last,
    Lstrip,
    Minus,
    Modulo,
    Plus,
    Prepend,
    Remove,
    RemoveFirst,
    Replace,
    ReplaceFirst,
    Round,
    Rstrip,
    Size,
    Slice,
    Split,
    Strip,
    Times,
    Truncate,
    Upcase,
    UrlDecode,
    UrlEncode,
}

/// Names as written in templates (Liquid's `url_encode` or DotLiquid's `UrlEncode`), without
/// underscores, lowercase.
const NAMES: [(&str, Kind, usize); 31] = [
    ("abs", Kind::Abs, 0),
    ("append", Kind::Append, 1),
    ("capitalize", Kind::Capitalize, 0),
    ("default", Kind::Default, 1),
    ("dividedby", Kind::DividedBy, 1),
    ("downcase", Kind::Downcase, 0),
    ("escape", Kind::Escape, 0),
    ("h", Kind::Escape, 0),
    ("first", Kind::First, 0),
    ("join", Kind::Join, 1),
    ("last", Kind::Last, 0),
    ("lstrip", Kind::Lstrip, 0),
    ("minus", Kind::Minus, 1),
    ("modulo", Kind::Modulo, 1),
    ("plus", Kind::Plus, 1),
    ("prepend", Kind::Prepend, 1),
    ("remove", Kind::Remove, 1),
    ("removefirst", Kind::RemoveFirst, 1),
    ("replace", Kind::Replace, 2),
    ("replacefirst", Kind::ReplaceFirst, 2),
    ("round", Kind::Round, 0),
    ("rstrip", Kind::Rstrip, 0),
    ("size", Kind::Size, 0),
    ("slice", Kind::Slice, 1),
    ("split", Kind::Split, 1),
    ("strip", Kind::Strip, 0),
    ("times", Kind::Times, 1),
    ("truncate", Kind::Truncate, 1),
    ("upcase", Kind::Upcase, 0),
    ("urldecode", Kind::UrlDecode, 0),
    ("urlencode", Kind::UrlEncode, 0),
];

impl Filter {
    /// The filter `name` with `args`.
    ///
    /// # Errors
    /// An unknown filter, or too few arguments.
    pub(crate) fn new(name: &str, args: Vec<Expr>) -> Result<Self, String> {
        let key = name.replace('_', "").to_ascii_lowercase();
        let Some((_, kind, arity)) = NAMES.iter().find(|(n, _, _)| *n == key) else {
            return Err(format!(
                "the Liquid filter '{name}' is not supported by Gatehouse"
            ));
        };
        if args.len() < *arity {
            return Err(format!(
                "the Liquid filter '{name}' needs {arity} argument(s)"
            ));
        }
        Ok(Self { kind: *kind, args })
    }

    /// The argument expressions.
    pub(crate) fn args(&self) -> &[Expr] {
        &self.args
    }

    /// Applies the filter to `input` with evaluated `args`.
    ///
    /// # Errors
    /// When the result would be longer than a rendered body may be.
    pub(crate) fn apply(&self, input: LValue, args: &[LValue]) -> Result<LValue, OverBudget> {
        let text = || input.render();
        let arg = |i: usize| args.get(i).map(LValue::render).unwrap_or_default();
        let num = |v: &LValue| match v {
            LValue::Number(n) => *n,
            other => other.render().trim().parse().unwrap_or(0.0),
        };
        let arg_num = |i: usize| args.get(i).map_or(0.0, num);
        Ok(match self.kind {
            Kind::Append => LValue::Str(concat(&text(), &arg(0))?),
            Kind::Prepend => LValue::Str(concat(&arg(0), &text())?),
            Kind::Replace => LValue::Str(replace(&text(), &arg(0), &arg(1))?),
            Kind::ReplaceFirst => LValue::Str(replace_first(&text(), &arg(0), &arg(1))?),
            Kind::Join => LValue::Str(join(&input.items(), &arg(0))?),
            Kind::Upcase => LValue::Str(text().to_uppercase()),
            Kind::Downcase => LValue::Str(text().to_lowercase()),
            Kind::Capitalize => LValue::Str(capitalize(&text())),
            Kind::Default => default(input, args),
            Kind::Strip => LValue::Str(text().trim().to_owned()),
            Kind::Lstrip => LValue::Str(text().trim_start().to_owned()),
            Kind::Rstrip => LValue::Str(text().trim_end().to_owned()),
            Kind::Remove => LValue::Str(text().replace(&arg(0), "")),
            Kind::RemoveFirst => LValue::Str(text().replacen(&arg(0), "", 1)),
            Kind::Escape => LValue::Str(escape_html(&text())),
            Kind::UrlEncode => LValue::Str(crate::runtime::encode_component(&text()).into_owned()),
            Kind::UrlDecode => LValue::Str(crate::runtime::decode_component(&text()).into_owned()),
            Kind::Truncate => LValue::Str(truncate(&text(), arg_num(0) as usize)),
            Kind::Slice => LValue::Str(
                text()
                    .chars()
                    .skip(arg_num(0).max(0.0) as usize)
                    .take(args.get(1).map_or(1, |v| num(v) as usize))
                    .collect(),
            ),
            Kind::Size => LValue::Number(match &input {
                LValue::List(items) => items.len(),
                LValue::Map(members) => members.len(),
                other => other.render().chars().count(),
            } as f64),
            Kind::First => input.items().first().cloned().unwrap_or(LValue::Nil),
            Kind::Last => input.items().last().cloned().unwrap_or(LValue::Nil),
            Kind::Split => LValue::List(
                text()
                    .split(arg(0).as_str())
                    .map(|s| LValue::Str(s.to_owned()))
                    .collect(),
            ),
            Kind::Abs => LValue::Number(num(&input).abs()),
            Kind::Plus => LValue::Number(num(&input) + arg_num(0)),
            Kind::Minus => LValue::Number(num(&input) - arg_num(0)),
            Kind::Times => LValue::Number(num(&input) * arg_num(0)),
            Kind::DividedBy => divide(num(&input), arg_num(0)),
            Kind::Modulo => LValue::Number(num(&input) % arg_num(0)),
            Kind::Round => LValue::Number(num(&input).round()),
        })
    }
}

// `append`, `prepend`, `replace`, `replace_first` and `join` can build results far longer than
// their input: each works its length out and checks it against [`MAX_OUTPUT`] before building.
// An `assign` in a `for` loop feeds a filter its own output, so `append` can double a string
// once per item of the request's body, and `replace` or `join` can multiply a large argument
// by a count the body controls.

fn fits(length: Option<usize>) -> Result<(), OverBudget> {
    match length {
        Some(length) if length <= MAX_OUTPUT => Ok(()),
        _ => Err(OverBudget),
    }
}

fn concat(a: &str, b: &str) -> Result<String, OverBudget> {
    fits(a.len().checked_add(b.len()))?;
    Ok(format!("{a}{b}"))
}

fn replace(text: &str, old: &str, new: &str) -> Result<String, OverBudget> {
    fits(replaced_len(text, old, new))?;
    Ok(text.replace(old, new))
}

fn replace_first(text: &str, old: &str, new: &str) -> Result<String, OverBudget> {
    fits(text.len().checked_add(new.len()))?;
    Ok(text.replacen(old, new, 1))
}

/// The length of `text` with every `old` replaced by `new`, as `str::replace` does it (an
/// empty `old` matches at every character boundary); `None` when it overflows.
fn replaced_len(text: &str, old: &str, new: &str) -> Option<usize> {
    let count = text.matches(old).count();
    let kept = text.len() - count * old.len();
    kept.checked_add(count.checked_mul(new.len())?)
}

/// The items' text with `separator` between them, each part measured before it is appended.
fn join(items: &[LValue], separator: &str) -> Result<String, OverBudget> {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        let separator = if i == 0 { "" } else { separator };
        let text = item.render();
        let length = out.len().checked_add(separator.len());
        fits(length.and_then(|n| n.checked_add(text.len())))?;
        out.push_str(separator);
        out.push_str(&text);
    }
    Ok(out)
}

fn default(input: LValue, args: &[LValue]) -> LValue {
    let empty = match &input {
        LValue::Nil | LValue::Bool(false) => true,
        LValue::Str(s) => s.is_empty(),
        LValue::List(items) => items.is_empty(),
        _ => false,
    };
    if empty {
        args.first().cloned().unwrap_or(LValue::Nil)
    } else {
        input
    }
}

fn divide(a: f64, b: f64) -> LValue {
    if b == 0.0 {
        LValue::Nil
    } else {
        LValue::Number(a / b)
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

fn truncate(text: &str, length: usize) -> String {
    if text.chars().count() <= length {
        return text.to_owned();
    }
    let kept: String = text.chars().take(length.saturating_sub(3)).collect();
    kept + "..."
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
