//! Newtonsoft.Json's LINQ-to-JSON model: `JToken`, `JObject`, `JArray`, `JProperty`, `JValue`.
//!
//! Tokens are shared nodes: `obj["a"]` returns the child itself, so `obj["a"]["b"] = 1` changes
//! `obj`, as in Newtonsoft. Text is parsed with `serde_json` straight into these nodes and written
//! back in Newtonsoft's shapes: `ToString()` is indented with two spaces and `": "`, `Formatting.None`
//! is compact, a string `JValue` prints without quotes.

use std::fmt::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::format::push_within;
use super::format_double;
use crate::context::Str;

/// A JSON token. Cheap to clone; clones are the same node.
#[derive(Clone)]
pub struct JToken(Arc<JNode>);

enum JNode {
    Object(Mutex<Vec<(Str, JToken)>>),
    Array(Mutex<Vec<JToken>>),
    /// A property: name, value, and the object it was read from (for `Remove()`).
    Property(Str, Mutex<JToken>, Option<Weak<JNode>>),
    Value(JPrim),
}

/// The content of a `JValue`.
#[derive(Clone, Debug, PartialEq)]
pub enum JPrim {
    Null,
    Bool(bool),
    Integer(i64),
    Float(f64),
    String(Str),
}

/// Which subclass a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JTokenKind {
    Object,
    Array,
    Property,
    Value,
}

/// How deep the recursive walks (writing, cloning, comparing) go.
pub(crate) const MAX_DEPTH: usize = 256;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock means a panic elsewhere mid-update; the vector itself is still valid.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl JToken {
    pub fn object(properties: Vec<(Str, JToken)>) -> Self {
        Self(Arc::new(JNode::Object(Mutex::new(properties))))
    }

    pub fn array(items: Vec<JToken>) -> Self {
        Self(Arc::new(JNode::Array(Mutex::new(items))))
    }

    pub fn property(name: Str, value: JToken) -> Self {
        Self(Arc::new(JNode::Property(name, Mutex::new(value), None)))
    }

    /// Property `name` of this object as a `JProperty` that knows its parent, so that
    /// `Remove()` takes it out of the object, as in Newtonsoft.
    pub(crate) fn property_of(&self, name: Str, value: JToken) -> Self {
        let parent = matches!(&*self.0, JNode::Object(_)).then(|| Arc::downgrade(&self.0));
        Self(Arc::new(JNode::Property(name, Mutex::new(value), parent)))
    }

    /// `JProperty.Remove()`: takes the property out of the object it belongs to.
    ///
    /// # Errors
    /// Newtonsoft's message when the property has no parent.
    pub(crate) fn remove_from_parent(&self) -> Result<(), &'static str> {
        let JNode::Property(name, _, Some(parent)) = &*self.0 else {
            return Err("The parent is missing.");
        };
        let parent = parent
            .upgrade()
            .map(JToken)
            .ok_or("The parent is missing.")?;
        if parent.remove(name) {
            Ok(())
        } else {
            Err("The parent is missing.")
        }
    }

    pub fn value(prim: JPrim) -> Self {
        Self(Arc::new(JNode::Value(prim)))
    }

    pub fn null() -> Self {
        Self::value(JPrim::Null)
    }

    pub fn kind(&self) -> JTokenKind {
        match &*self.0 {
            JNode::Object(_) => JTokenKind::Object,
            JNode::Array(_) => JTokenKind::Array,
            JNode::Property(..) => JTokenKind::Property,
            JNode::Value(_) => JTokenKind::Value,
        }
    }

    /// The primitive of a `JValue`.
    pub fn prim(&self) -> Option<&JPrim> {
        match &*self.0 {
            JNode::Value(prim) => Some(prim),
            _ => None,
        }
    }

    pub(crate) fn same(&self, other: &JToken) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    pub(crate) fn type_name(&self) -> &'static str {
        match self.kind() {
            JTokenKind::Object => "Newtonsoft.Json.Linq.JObject",
            JTokenKind::Array => "Newtonsoft.Json.Linq.JArray",
            JTokenKind::Property => "Newtonsoft.Json.Linq.JProperty",
            JTokenKind::Value => "Newtonsoft.Json.Linq.JValue",
        }
    }

    /// The `JTokenType` member number.
    pub(crate) fn token_type(&self) -> i32 {
        match &*self.0 {
            JNode::Object(_) => 1,
            JNode::Array(_) => 2,
            JNode::Property(..) => 4,
            JNode::Value(JPrim::Integer(_)) => 6,
            JNode::Value(JPrim::Float(_)) => 7,
            JNode::Value(JPrim::String(_)) => 8,
            JNode::Value(JPrim::Bool(_)) => 9,
            JNode::Value(JPrim::Null) => 10,
        }
    }

    /// A property's name and value.
    pub fn as_property(&self) -> Option<(Str, JToken)> {
        match &*self.0 {
            JNode::Property(name, value, _) => Some((name.clone(), lock(value).clone())),
            _ => None,
        }
    }

    /// `obj[name]`: the property value, or `None` when absent (or not an object).
    pub fn get(&self, name: &str) -> Option<JToken> {
        match &*self.0 {
            JNode::Object(props) => lock(props)
                .iter()
                .find(|(n, _)| &**n == name)
                .map(|(_, v)| v.clone()),
            _ => None,
        }
    }

    /// `arr[index]`.
    pub fn at(&self, index: usize) -> Option<JToken> {
        match &*self.0 {
            JNode::Array(items) => lock(items).get(index).cloned(),
            _ => None,
        }
    }

    /// Sets or adds property `name` (objects) and returns whether this was an object.
    pub fn set(&self, name: &str, value: JToken) -> bool {
        let JNode::Object(props) = &*self.0 else {
            return false;
        };
        let mut props = lock(props);
        match props.iter_mut().find(|(n, _)| &**n == name) {
            Some(slot) => slot.1 = value,
            None => props.push((name.into(), value)),
        }
        true
    }

    /// Replaces item `index` of an array; false when out of range or not an array.
    pub fn set_at(&self, index: usize, value: JToken) -> bool {
        let JNode::Array(items) = &*self.0 else {
            return false;
        };
        match lock(items).get_mut(index) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }

    /// Appends to an array; false when not an array.
    pub fn push(&self, value: JToken) -> bool {
        let JNode::Array(items) = &*self.0 else {
            return false;
        };
        lock(items).push(value);
        true
    }

    /// Removes property `name`; whether it was there.
    pub fn remove(&self, name: &str) -> bool {
        let JNode::Object(props) = &*self.0 else {
            return false;
        };
        let mut props = lock(props);
        let before = props.len();
        props.retain(|(n, _)| &**n != name);
        props.len() != before
    }

    /// The properties of an object as `(name, value)`, in order.
    pub fn properties(&self) -> Vec<(Str, JToken)> {
        match &*self.0 {
            JNode::Object(props) => lock(props).clone(),
            _ => Vec::new(),
        }
    }

    /// The children: array items, property tokens of an object, a property's value.
    pub fn children(&self) -> Vec<JToken> {
        match &*self.0 {
            JNode::Object(props) => lock(props)
                .iter()
                .map(|(n, v)| self.property_of(n.clone(), v.clone()))
                .collect(),
            JNode::Array(items) => lock(items).clone(),
            JNode::Property(_, value, _) => vec![lock(value).clone()],
            JNode::Value(_) => Vec::new(),
        }
    }

    /// `Count` of an object or array.
    pub fn count(&self) -> usize {
        match &*self.0 {
            JNode::Object(props) => lock(props).len(),
            JNode::Array(items) => lock(items).len(),
            JNode::Property(..) => 1,
            JNode::Value(_) => 0,
        }
    }

    /// Parses JSON text (`JToken.Parse`), keeping the order of properties.
    ///
    /// # Errors
    /// The parser's message when the text is not JSON.
    pub fn parse(text: &str) -> Result<JToken, String> {
        from_json_text(text)
    }

    /// A copy with no shared nodes (`DeepClone`); levels past 256 become `null`.
    pub fn deep_clone(&self) -> JToken {
        self.clone_at(0)
    }

    fn clone_at(&self, level: usize) -> JToken {
        if level > MAX_DEPTH {
            return JToken::null();
        }
        let deep_clone = |t: &JToken| t.clone_at(level + 1);
        match &*self.0 {
            JNode::Object(props) => {
                let props = lock(props)
                    .iter()
                    .map(|(n, v)| (n.clone(), deep_clone(v)))
                    .collect();
                JToken::object(props)
            }
            JNode::Array(items) => JToken::array(lock(items).iter().map(deep_clone).collect()),
            JNode::Property(name, value, _) => {
                JToken::property(name.clone(), deep_clone(&lock(value)))
            }
            JNode::Value(prim) => JToken::value(prim.clone()),
        }
    }

    /// Structural equality (`JToken.DeepEquals`), compared down to 256 levels.
    pub fn deep_equals(&self, other: &JToken) -> bool {
        self.equals_at(other, 0)
    }

    fn equals_at(&self, other: &JToken, level: usize) -> bool {
        if level > MAX_DEPTH {
            return true;
        }
        let eq = |a: &JToken, b: &JToken| a.equals_at(b, level + 1);
        match (&*self.0, &*other.0) {
            (JNode::Value(a), JNode::Value(b)) => a == b,
            (JNode::Object(_), JNode::Object(_)) => {
                let (a, b) = (self.properties(), other.properties());
                a.len() == b.len()
                    && a.iter()
                        .all(|(n, v)| b.iter().any(|(m, w)| n == m && eq(v, w)))
            }
            (JNode::Array(_), JNode::Array(_)) | (JNode::Property(..), JNode::Property(..)) => {
                let (a, b) = (self.children(), other.children());
                a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| eq(x, y))
            }
            _ => false,
        }
    }

    /// `ToString()`: indented JSON for containers, the bare text of a `JValue`.
    pub fn to_display_string(&self) -> String {
        self.to_display_capped(usize::MAX)
    }

    /// As [`JToken::to_display_string`], written only until it passes `max` bytes (see
    /// [`JToken::to_json_capped`]).
    pub(crate) fn to_display_capped(&self, max: usize) -> String {
        match self.prim() {
            Some(JPrim::String(s)) => s.to_string(),
            Some(JPrim::Null) => String::new(),
            Some(JPrim::Bool(b)) => if *b { "True" } else { "False" }.to_owned(),
            Some(JPrim::Float(f)) => format_double(*f),
            _ => self.to_json_capped(true, max),
        }
    }

    /// The token as JSON text.
    pub fn to_json(&self, indented: bool) -> String {
        self.to_json_capped(indented, usize::MAX)
    }

    /// The token as JSON text, written only until it passes `max` bytes: the whole text when
    /// it fits, else a cut-off text longer than `max`. Children are shared, so a token holding
    /// one large string a hundred thousand times is small in memory but not as text; the
    /// writer stops instead of building hundreds of gigabytes.
    pub(crate) fn to_json_capped(&self, indented: bool, max: usize) -> String {
        let mut out = String::new();
        write_json(&mut out, self, (indented, max), 0);
        out
    }
}

/// Drops children iteratively: a chain of tokens built in a loop can be deeper than the stack.
impl Drop for JNode {
    fn drop(&mut self) {
        let mut stack = self.take_children();
        while let Some(token) = stack.pop() {
            if let Ok(mut node) = Arc::try_unwrap(token.0) {
                stack.extend(node.take_children());
            }
        }
    }
}

impl JNode {
    fn take_children(&mut self) -> Vec<JToken> {
        match self {
            JNode::Object(props) => {
                let props = std::mem::take(props.get_mut().unwrap_or_else(PoisonError::into_inner));
                props.into_iter().map(|(_, v)| v).collect()
            }
            JNode::Array(items) => {
                std::mem::take(items.get_mut().unwrap_or_else(PoisonError::into_inner))
            }
            JNode::Property(_, value, _) => {
                vec![std::mem::replace(
                    value.get_mut().unwrap_or_else(PoisonError::into_inner),
                    JToken::null_leaf(),
                )]
            }
            JNode::Value(_) => Vec::new(),
        }
    }
}

impl JToken {
    /// A `null` value for placeholders during drops.
    fn null_leaf() -> JToken {
        JToken(Arc::new(JNode::Value(JPrim::Null)))
    }
}

impl fmt::Debug for JToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json(false))
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

/// How JSON is written: indented or not, and the length past which the writer stops.
type JsonLayout = (bool, usize);

/// Appends `token` as JSON, Newtonsoft style; containers nested past [`MAX_DEPTH`] are written
/// as `null` (policies never nest that deep; the bound keeps the writer's recursion finite).
/// Once `out` is longer than the layout's maximum, nothing more is written.
fn write_json(out: &mut String, token: &JToken, layout: JsonLayout, level: usize) {
    let (indented, max) = layout;
    if out.len() > max {
        return;
    }
    if level > MAX_DEPTH {
        out.push_str("null");
        return;
    }
    match &*token.0 {
        JNode::Value(prim) => write_prim(out, prim, max),
        JNode::Property(name, value, _) => {
            write_string(out, name, max);
            out.push_str(if indented { ": " } else { ":" });
            write_json(out, &lock(value), layout, level);
        }
        JNode::Object(props) => {
            let props = lock(props).clone();
            let items = props.iter().map(|(n, v)| JsonItem::Member(n, v));
            write_container(out, ('{', '}'), items, layout, level);
        }
        JNode::Array(items) => {
            let items = lock(items).clone();
            write_container(
                out,
                ('[', ']'),
                items.iter().map(JsonItem::Item),
                layout,
                level,
            );
        }
    }
}

enum JsonItem<'a> {
    Member(&'a str, &'a JToken),
    Item(&'a JToken),
}

fn write_container<'a>(
    out: &mut String,
    (open, close): (char, char),
    items: impl ExactSizeIterator<Item = JsonItem<'a>>,
    layout: JsonLayout,
    level: usize,
) {
    let (indented, max) = layout;
    out.push(open);
    let empty = items.len() == 0;
    for (i, item) in items.enumerate() {
        if out.len() > max {
            return;
        }
        if i > 0 {
            out.push(',');
        }
        if indented {
            out.push('\n');
            out.push_str(&"  ".repeat(level + 1));
        }
        match item {
            JsonItem::Member(name, value) => {
                write_string(out, name, max);
                out.push_str(if indented { ": " } else { ":" });
                write_json(out, value, layout, level + 1);
            }
            JsonItem::Item(value) => write_json(out, value, layout, level + 1),
        }
    }
    if indented && !empty {
        out.push('\n');
        out.push_str(&"  ".repeat(level));
    }
    out.push(close);
}

fn write_prim(out: &mut String, prim: &JPrim, max: usize) {
    match prim {
        JPrim::Null => out.push_str("null"),
        JPrim::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        JPrim::Integer(i) => {
            let _ = write!(out, "{i}");
        }
        JPrim::Float(f) => out.push_str(&json_float(*f)),
        JPrim::String(s) => write_string(out, s, max),
    }
}

/// Newtonsoft writes whole floats with `.0` and non-finite values as strings.
fn json_float(f: f64) -> String {
    if !f.is_finite() {
        return format!("\"{}\"", format_double(f));
    }
    let text = format_double(f);
    if text.contains(['.', 'E', 'e']) {
        text
    } else {
        format!("{text}.0")
    }
}

/// A JSON string literal; one that would take `out` past `max` is cut there instead (escaping
/// only lengthens it), so that a large string stops the writer without being copied whole.
fn write_string(out: &mut String, s: &str, max: usize) {
    out.push('"');
    if out.len().saturating_add(s.len()) > max {
        push_within(out, s, max);
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// Parses JSON text into a token (`JToken.Parse`).
pub(crate) fn from_json_text(text: &str) -> Result<JToken, String> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let token = TokenSeed
        .deserialize(&mut deserializer)
        .map_err(|e| e.to_string())?;
    deserializer.end().map_err(|e| e.to_string())?;
    Ok(token)
}

struct TokenSeed;

impl<'de> DeserializeSeed<'de> for TokenSeed {
    type Value = JToken;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<JToken, D::Error> {
        deserializer.deserialize_any(TokenVisitor)
    }
}

struct TokenVisitor;

impl<'de> Visitor<'de> for TokenVisitor {
    type Value = JToken;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<JToken, E> {
        Ok(JToken::null())
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<JToken, E> {
        Ok(JToken::value(JPrim::Bool(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<JToken, E> {
        Ok(JToken::value(JPrim::Integer(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<JToken, E> {
        let prim = i64::try_from(v).map_or(JPrim::Float(v as f64), JPrim::Integer);
        Ok(JToken::value(prim))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<JToken, E> {
        Ok(JToken::value(JPrim::Float(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<JToken, E> {
        Ok(JToken::value(JPrim::String(v.into())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JToken, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(TokenSeed)? {
            items.push(item);
        }
        Ok(JToken::array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JToken, A::Error> {
        let mut props: Vec<(Str, JToken)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(TokenSeed)?;
            match props.iter_mut().find(|(n, _)| **n == *key) {
                Some(slot) => slot.1 = value,
                None => props.push((key.into(), value)),
            }
        }
        Ok(JToken::object(props))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_write_round_trip_in_newtonsoft_shapes() {
        let token = from_json_text(r#"{"a":1,"b":[true,null,"x"],"c":{},"d":2.0}"#).expect("json");

        assert_eq!(
            token.to_json(false),
            r#"{"a":1,"b":[true,null,"x"],"c":{},"d":2.0}"#
        );
        assert_eq!(
            token.to_display_string(),
            "{\n  \"a\": 1,\n  \"b\": [\n    true,\n    null,\n    \"x\"\n  ],\n  \"c\": {},\n  \"d\": 2.0\n}"
        );
    }

    #[test]
    fn children_are_shared_with_their_parent() {
        let token = from_json_text(r#"{"a":{"b":1}}"#).expect("json");
        let child = token.get("a").expect("child");

        child.set("b", JToken::value(JPrim::Integer(2)));

        assert_eq!(token.to_json(false), r#"{"a":{"b":2}}"#);
    }
}
