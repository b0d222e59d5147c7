//! Values a Liquid template works on.

use gatehouse_expr::{JPrim, JToken, JTokenKind, Value};

/// A Liquid value: what paths resolve to and filters return.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum LValue {
    Nil,
    Bool(bool),
    Number(f64),
    Str(String),
    List(Vec<LValue>),
    /// An object with its members in order.
    Map(Vec<(String, LValue)>),
}

impl LValue {
    /// Liquid truth: everything but `nil` and `false` is true.
    pub(crate) fn truthy(&self) -> bool {
        !matches!(self, LValue::Nil | LValue::Bool(false))
    }

    /// A member of a map (exact name first, then ignoring case, as DotLiquid's dictionaries
    /// of headers do), an element of a list by index, or the `size`/`first`/`last` of a list
    /// or text.
    pub(crate) fn member(&self, name: &str) -> LValue {
        match self {
            LValue::Map(members) => members
                .iter()
                .find(|(n, _)| n == name)
                .or_else(|| members.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)))
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| self.special(name)),
            _ => self.special(name),
        }
    }

    fn special(&self, name: &str) -> LValue {
        match (self, name) {
            (LValue::List(items), "size") => LValue::Number(items.len() as f64),
            (LValue::Map(members), "size") => LValue::Number(members.len() as f64),
            (LValue::Str(text), "size") => LValue::Number(text.chars().count() as f64),
            (LValue::List(items), "first") => items.first().cloned().unwrap_or(LValue::Nil),
            (LValue::List(items), "last") => items.last().cloned().unwrap_or(LValue::Nil),
            _ => LValue::Nil,
        }
    }

    /// `value[index]`: a list element (negative counts from the end) or a map member.
    pub(crate) fn index(&self, index: &LValue) -> LValue {
        match (self, index) {
            (LValue::List(items), LValue::Number(n)) => {
                let n = *n as i64;
                let at = if n < 0 { items.len() as i64 + n } else { n };
                usize::try_from(at)
                    .ok()
                    .and_then(|i| items.get(i).cloned())
                    .unwrap_or(LValue::Nil)
            }
            (_, LValue::Str(name)) => self.member(name),
            _ => LValue::Nil,
        }
    }

    /// The items a `for` loop walks: list elements, or `{Key, Value}` pairs of a map.
    pub(crate) fn items(&self) -> Vec<LValue> {
        match self {
            LValue::List(items) => items.clone(),
            LValue::Map(members) => members
                .iter()
                .map(|(k, v)| {
                    LValue::Map(vec![
                        ("Key".into(), LValue::Str(k.clone())),
                        ("Value".into(), v.clone()),
                    ])
                })
                .collect(),
            LValue::Nil => Vec::new(),
            other => vec![other.clone()],
        }
    }

    /// The text an output tag writes.
    pub(crate) fn render(&self) -> String {
        match self {
            LValue::Nil => String::new(),
            LValue::Bool(b) => b.to_string(),
            LValue::Number(n) => number_text(*n),
            LValue::Str(s) => s.clone(),
            LValue::List(items) => items.iter().map(LValue::render).collect(),
            LValue::Map(_) => self.to_json(),
        }
    }

    /// The value as JSON text (objects rendered in output tags).
    pub(crate) fn to_json(&self) -> String {
        match self {
            LValue::Nil => "null".into(),
            LValue::Bool(b) => b.to_string(),
            LValue::Number(n) => number_text(*n),
            LValue::Str(s) => serde_json::Value::from(s.as_str()).to_string(),
            LValue::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(LValue::to_json)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            LValue::Map(members) => {
                let members: Vec<String> = members
                    .iter()
                    .map(|(k, v)| {
                        format!("{}:{}", serde_json::Value::from(k.as_str()), v.to_json())
                    })
                    .collect();
                format!("{{{}}}", members.join(","))
            }
        }
    }

    /// A JSON token as a Liquid value.
    pub(crate) fn from_json(token: &JToken) -> LValue {
        match token.kind() {
            JTokenKind::Object => LValue::Map(
                token
                    .properties()
                    .iter()
                    .map(|(name, value)| (name.to_string(), LValue::from_json(value)))
                    .collect(),
            ),
            JTokenKind::Array => {
                LValue::List(token.children().iter().map(LValue::from_json).collect())
            }
            JTokenKind::Property => token
                .as_property()
                .map_or(LValue::Nil, |(_, value)| LValue::from_json(&value)),
            JTokenKind::Value => match token.prim() {
                Some(JPrim::Bool(b)) => LValue::Bool(*b),
                Some(JPrim::Integer(i)) => LValue::Number(*i as f64),
                Some(JPrim::Float(f)) => LValue::Number(*f),
                Some(JPrim::String(s)) => LValue::Str(s.to_string()),
                Some(JPrim::Null) | None => LValue::Nil,
            },
        }
    }

    /// An expression value (a context variable) as a Liquid value; `to_text` renders what
    /// has no Liquid shape as C# would.
    pub(crate) fn from_value(value: &Value, to_text: &dyn Fn(&Value) -> String) -> LValue {
        match value {
            Value::Null => LValue::Nil,
            Value::Bool(b) => LValue::Bool(*b),
            Value::Int(i) => LValue::Number(f64::from(*i)),
            Value::Long(l) => LValue::Number(*l as f64),
            Value::Double(d) => LValue::Number(*d),
            Value::Str(s) => LValue::Str(s.to_string()),
            Value::Json(token) => LValue::from_json(token),
            Value::List(list) => LValue::List(
                list.items()
                    .iter()
                    .map(|v| LValue::from_value(v, to_text))
                    .collect(),
            ),
            other => LValue::Str(to_text(other)),
        }
    }
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}
