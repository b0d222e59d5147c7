//! Runtime values.
//!
//! [`Value`] is what an expression evaluates to and what `context.Variables` holds. It is cheap to
//! clone: text, byte arrays, certificates, collections and JSON are shared behind `Arc`s, and the
//! handles to `context` objects are `Copy`. Collections and JSON containers are mutable through
//! every reference, as .NET reference types are (`list.Add(x)` is seen by every alias).

mod enums;
mod format;
mod json;
mod jwt;
mod objects;
mod time;
pub(crate) mod xml;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use gatehouse_cert::Certificate;
use uuid::Uuid;

pub use self::enums::{EnumType, EnumValue};
pub(crate) use self::format::{format_double, to_display_capped};
pub(crate) use self::json::MAX_DEPTH as JSON_MAX_DEPTH;
pub(crate) use self::json::from_json_text;
pub use self::json::{JPrim, JToken, JTokenKind};
pub use self::jwt::Jwt;
pub(crate) use self::objects::{CIPHER_MODE_CBC, PADDING_PKCS7, SymmetricState, random_bytes};
pub use self::objects::{Random, StringBuilder, Symmetric};
pub use self::time::{DateTime, DateTimeKind, DateTimeOffset, TimeSpan};
pub(crate) use self::time::{TICKS_PER_SECOND, format_date_time, parse_date_time as parse_date};
pub use self::xml::{XAttribute, XDocument, XElement, XName, XNode, XmlValue};
use crate::context::{MessageData, Str};
use crate::host::HostObject;

/// A value of the expression language.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum Value {
    /// C# `null`.
    #[default]
    Null,
    Bool(bool),
    Char(char),
    Int(i32),
    Long(i64),
    Double(f64),
    Str(Str),
    /// `byte[]`, writable through every reference.
    Bytes(ByteArray),
    DateTime(DateTime),
    DateTimeOffset(DateTimeOffset),
    TimeSpan(TimeSpan),
    Guid(Uuid),
    /// `X509Certificate2`.
    Certificate(Certificate),
    /// `X500DistinguishedName` (only `Name` is readable, as in APIM).
    DistinguishedName(Str),
    /// Arrays (`T[]`) and `List<T>`.
    List(List),
    /// `Dictionary<K, V>`.
    Dict(Dict),
    /// `KeyValuePair<K, V>`.
    Pair(Arc<(Value, Value)>),
    /// An anonymous object, `new { a = 1 }`.
    Anonymous(Arc<[(Str, Value)]>),
    /// Newtonsoft `JToken` and its subclasses.
    Json(JToken),
    /// A lambda, as passed to LINQ methods.
    Lambda(Lambda),
    /// A handle to a `context` object.
    Host(HostObject),
    /// A value of one of the supported .NET enums.
    Enum(EnumValue),
    /// An `IResponse` stored by `send-request`, or one of its parts.
    Message(MessageRef),
    /// `System.Random`.
    Random(Random),
    /// `System.Text.StringBuilder`.
    Builder(StringBuilder),
    /// An AES object (`Aes.Create()`), a `SymmetricAlgorithm`.
    Symmetric(Symmetric),
    /// A LINQ to XML object: document, element or other node, attribute, name, namespace.
    Xml(XmlValue),
    /// APIM's `Jwt` (`AsJwt()`, `validate-jwt` output variables).
    Jwt(Arc<Jwt>),
    /// `Jwt.Claims`.
    JwtClaims(Arc<Jwt>),
    /// A hash or HMAC algorithm object (`SHA256.Create()`, `new HMACSHA256(key)`).
    Hasher(Hasher),
    /// A `Regex.Match` result, its `Groups`, or one `Group`.
    Regex(Arc<RegexMatch>, RegexPart),
    /// `System.Uri`.
    Uri(Arc<crate::context::UrlInfo>),
}

/// The hash algorithms behind `SHA256.Create()`, `new HMACSHA256(key)` and friends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlgorithm {
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

/// A hash algorithm object; with a key it computes an HMAC. The key is shared by every
/// reference to the object, so `hmac.Key = k` (or `new HMACSHA256 { Key = k }`) is seen by
/// all of them, as in .NET.
#[derive(Clone, Debug)]
pub struct Hasher {
    pub algorithm: HashAlgorithm,
    key: Arc<Mutex<Option<Arc<[u8]>>>>,
}

impl Hasher {
    /// A hash object; `key` makes it an HMAC.
    pub fn new(algorithm: HashAlgorithm, key: Option<Arc<[u8]>>) -> Self {
        Self {
            algorithm,
            key: Arc::new(Mutex::new(key)),
        }
    }

    /// The HMAC key, if this is an HMAC.
    pub fn key(&self) -> Option<Arc<[u8]>> {
        lock(&self.key).clone()
    }

    pub(crate) fn set_key(&self, key: Arc<[u8]>) {
        *lock(&self.key) = Some(key);
    }
}

impl PartialEq for Hasher {
    fn eq(&self, other: &Self) -> bool {
        self.algorithm == other.algorithm && self.key() == other.key()
    }
}

/// The groups of one regular-expression match: group 0 is the whole match. Each group has its
/// name (when named) and, when it took part in the match, its text and character index.
#[derive(Clone, Debug, PartialEq)]
pub struct RegexMatch {
    pub groups: Vec<RegexGroup>,
}

/// One group of a match: its name (when named) and, when it took part in the match, its text
/// and character index.
pub type RegexGroup = (Option<Str>, Option<(Str, usize)>);

/// Which view of a [`RegexMatch`] a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegexPart {
    Match,
    Groups,
    Group(usize),
}

/// Which part of a stored message a [`Value::Message`] stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessagePart {
    Whole,
    Headers,
    Body,
}

/// A stored message (`IResponse`) or its `Headers`/`Body`.
#[derive(Clone, Debug)]
pub struct MessageRef {
    pub data: Arc<MessageData>,
    pub part: MessagePart,
}

impl Value {
    /// A string value.
    pub fn str(text: &str) -> Self {
        Value::Str(Str::from(text))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A copy that shares no mutable object with `self`: lists, dictionaries and JSON are
    /// copied all the way down (256 levels; deeper levels stay shared).
    /// This is what a cache must store, since .NET's cache serialises what it keeps.
    pub fn detached(&self) -> Value {
        self.detached_at(0)
    }

    fn detached_at(&self, level: usize) -> Value {
        if level > JSON_MAX_DEPTH {
            return self.clone();
        }
        let copy = |v: &Value| v.detached_at(level + 1);
        match self {
            Value::List(list) => {
                let items = list.items().iter().map(copy).collect();
                Value::List(if list.is_array() {
                    List::array(items)
                } else {
                    List::growable(items)
                })
            }
            Value::Dict(dict) => {
                let copied = Dict::new(dict.ignore_case());
                let entries = dict
                    .entries()
                    .iter()
                    .map(|(k, v)| (copy(k), copy(v)))
                    .collect();
                copied.with_entries(|e| *e = entries);
                Value::Dict(copied)
            }
            Value::Pair(pair) => Value::Pair(Arc::new((copy(&pair.0), copy(&pair.1)))),
            Value::Anonymous(fields) => {
                Value::Anonymous(fields.iter().map(|(n, v)| (n.clone(), copy(v))).collect())
            }
            Value::Json(token) => Value::Json(token.deep_clone()),
            Value::Bytes(bytes) => Value::Bytes(ByteArray::from(bytes.to_vec())),
            other => other.clone(),
        }
    }

    /// The .NET type name, for cast and conversion messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "System.Boolean",
            Value::Char(_) => "System.Char",
            Value::Int(_) => "System.Int32",
            Value::Long(_) => "System.Int64",
            Value::Double(_) => "System.Double",
            Value::Str(_) => "System.String",
            Value::Bytes(_) => "System.Byte[]",
            Value::DateTime(_) => "System.DateTime",
            Value::DateTimeOffset(_) => "System.DateTimeOffset",
            Value::TimeSpan(_) => "System.TimeSpan",
            Value::Guid(_) => "System.Guid",
            Value::Certificate(_) => {
                "System.Security.Cryptography.X509Certificates.X509Certificate2"
            }
            Value::DistinguishedName(_) => {
                "System.Security.Cryptography.X509Certificates.X500DistinguishedName"
            }
            Value::List(list) if list.is_array() => "System.Object[]",
            Value::List(_) => "System.Collections.Generic.List`1[System.Object]",
            Value::Dict(_) => {
                "System.Collections.Generic.Dictionary`2[System.String,System.Object]"
            }
            Value::Pair(_) => "System.Collections.Generic.KeyValuePair`2",
            Value::Anonymous(_) => "<>f__AnonymousType",
            Value::Json(token) => token.type_name(),
            Value::Lambda(_) => "System.Func`2",
            Value::Host(_) => "Microsoft.Azure.ApiManagement.Proxy.Gateway.Policies.Expressions",
            Value::Enum(e) => e.ty.type_name(),
            Value::Message(_) => "Microsoft.Azure.ApiManagement.Proxy.Gateway.IResponse",
            Value::Random(_) => "System.Random",
            Value::Builder(_) => "System.Text.StringBuilder",
            Value::Symmetric(_) => "System.Security.Cryptography.Aes",
            Value::Xml(xml) => xml.type_name(),
            Value::Jwt(_) => "Microsoft.Azure.ApiManagement.Proxy.Gateway.Policies.Expressions.Jwt",
            Value::JwtClaims(_) => {
                "System.Collections.Generic.IReadOnlyDictionary`2[System.String,System.String[]]"
            }
            Value::Hasher(_) => "System.Security.Cryptography.HashAlgorithm",
            Value::Regex(_, RegexPart::Match) => "System.Text.RegularExpressions.Match",
            Value::Regex(_, RegexPart::Groups) => "System.Text.RegularExpressions.GroupCollection",
            Value::Regex(_, RegexPart::Group(_)) => "System.Text.RegularExpressions.Group",
            Value::Uri(_) => "System.Uri",
        }
    }
}

/// Structural equality for tests and assertions: same variant and same content (lists and JSON
/// element by element). This is not C#'s `==`, which compares objects by reference.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) | (Value::Random(_), Value::Random(_)) => true,
            (Value::Builder(a), Value::Builder(b)) => a.same(b) || a.text() == b.text(),
            (Value::Symmetric(a), Value::Symmetric(b)) => a.same(b),
            (Value::Xml(a), Value::Xml(b)) => a.equals(b) || a.display() == b.display(),
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Char(a), Value::Char(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Long(a), Value::Long(b)) => a == b,
            (Value::Double(a), Value::Double(b)) => a == b,
            (Value::Str(a), Value::Str(b))
            | (Value::DistinguishedName(a), Value::DistinguishedName(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::DateTime(a), Value::DateTime(b)) => a == b,
            (Value::DateTimeOffset(a), Value::DateTimeOffset(b)) => a == b,
            (Value::TimeSpan(a), Value::TimeSpan(b)) => a == b,
            (Value::Guid(a), Value::Guid(b)) => a == b,
            (Value::Certificate(a), Value::Certificate(b)) => a.der() == b.der(),
            (Value::List(a), Value::List(b)) => a.items() == b.items(),
            (Value::Dict(a), Value::Dict(b)) => a.entries() == b.entries(),
            (Value::Pair(a), Value::Pair(b)) => a == b,
            (Value::Anonymous(a), Value::Anonymous(b)) => a == b,
            (Value::Json(a), Value::Json(b)) => a.deep_equals(b),
            (Value::Host(a), Value::Host(b)) => a == b,
            (Value::Enum(a), Value::Enum(b)) => a == b,
            (Value::Jwt(a), Value::Jwt(b)) | (Value::JwtClaims(a), Value::JwtClaims(b)) => a == b,
            (Value::Hasher(a), Value::Hasher(b)) => a == b,
            (Value::Regex(a, x), Value::Regex(b, y)) => a == b && x == y,
            (Value::Uri(a), Value::Uri(b)) => a.to_url_string() == b.to_url_string(),
            _ => false,
        }
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Long(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.into())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v.into())
    }
}

impl From<Str> for Value {
    fn from(v: Str) -> Self {
        Value::Str(v)
    }
}

impl From<Certificate> for Value {
    fn from(v: Certificate) -> Self {
        Value::Certificate(v)
    }
}

impl From<JToken> for Value {
    fn from(v: JToken) -> Self {
        Value::Json(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

// ---------------------------------------------------------------------------------------------
// Collections

/// Locks a collection; a poisoned lock only means another evaluation panicked mid-update, and
/// the data is still a valid vector, so it is used as is.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A shared, mutable array or `List<T>`.
#[derive(Clone)]
pub struct List(Arc<ListInner>);

struct ListInner {
    is_array: bool,
    items: Mutex<Vec<Value>>,
}

impl List {
    /// A new array (fixed-size in C#, `T[]`).
    pub fn array(items: Vec<Value>) -> Self {
        Self(Arc::new(ListInner {
            is_array: true,
            items: Mutex::new(items),
        }))
    }

    /// A new `List<T>`.
    pub fn growable(items: Vec<Value>) -> Self {
        Self(Arc::new(ListInner {
            is_array: false,
            items: Mutex::new(items),
        }))
    }

    pub fn is_array(&self) -> bool {
        self.0.is_array
    }

    pub fn len(&self) -> usize {
        lock(&self.0.items).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, index: usize) -> Option<Value> {
        lock(&self.0.items).get(index).cloned()
    }

    /// A copy of the items, taken under the lock.
    pub fn items(&self) -> Vec<Value> {
        lock(&self.0.items).clone()
    }

    pub(crate) fn with_items<R>(&self, f: impl FnOnce(&mut Vec<Value>) -> R) -> R {
        f(&mut lock(&self.0.items))
    }

    pub(crate) fn same(&self, other: &List) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Drops nested collections iteratively: a list of lists built in a loop can be deeper than
/// the stack.
impl Drop for ListInner {
    fn drop(&mut self) {
        let items = std::mem::take(self.items.get_mut().unwrap_or_else(PoisonError::into_inner));
        drop_iteratively(items);
    }
}

impl Drop for DictInner {
    fn drop(&mut self) {
        let entries = std::mem::take(
            self.entries
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        );
        drop_iteratively(entries.into_iter().flat_map(|(k, v)| [k, v]).collect());
    }
}

fn drop_iteratively(mut stack: Vec<Value>) {
    while let Some(value) = stack.pop() {
        match value {
            Value::List(List(inner)) => {
                if let Ok(mut inner) = Arc::try_unwrap(inner) {
                    stack.append(
                        inner
                            .items
                            .get_mut()
                            .unwrap_or_else(PoisonError::into_inner),
                    );
                }
            }
            Value::Dict(Dict(inner)) => {
                if let Ok(mut inner) = Arc::try_unwrap(inner) {
                    let entries = std::mem::take(
                        inner
                            .entries
                            .get_mut()
                            .unwrap_or_else(PoisonError::into_inner),
                    );
                    stack.extend(entries.into_iter().flat_map(|(k, v)| [k, v]));
                }
            }
            Value::Pair(pair) => {
                if let Ok((key, value)) = Arc::try_unwrap(pair) {
                    stack.extend([key, value]);
                }
            }
            other => drop(other),
        }
    }
}

impl fmt::Debug for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.items()).finish()
    }
}

/// A shared `byte[]`: fixed in length, its items writable through every reference
/// (`bytes[0] = 1`, `Array.Copy` into it), as .NET arrays are.
#[derive(Clone)]
pub struct ByteArray(Arc<Mutex<Vec<u8>>>);

impl ByteArray {
    pub fn len(&self) -> usize {
        lock(&self.0).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The byte at `index`, if in range.
    pub fn get(&self, index: usize) -> Option<u8> {
        lock(&self.0).get(index).copied()
    }

    /// A copy of the content, taken under the lock.
    pub fn to_vec(&self) -> Vec<u8> {
        lock(&self.0).clone()
    }

    /// Runs `f` on the content. The slice keeps the array's length fixed, as in .NET.
    pub(crate) fn with_bytes<R>(&self, f: impl FnOnce(&mut [u8]) -> R) -> R {
        f(&mut lock(&self.0))
    }

    pub(crate) fn same(&self, other: &ByteArray) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl From<Vec<u8>> for ByteArray {
    fn from(bytes: Vec<u8>) -> Self {
        Self(Arc::new(Mutex::new(bytes)))
    }
}

impl From<&[u8]> for ByteArray {
    fn from(bytes: &[u8]) -> Self {
        Self::from(bytes.to_vec())
    }
}

impl PartialEq for ByteArray {
    fn eq(&self, other: &Self) -> bool {
        self.same(other) || self.to_vec() == other.to_vec()
    }
}

impl fmt::Debug for ByteArray {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte[{}]", self.len())
    }
}

/// A shared, mutable `Dictionary<K, V>` keeping insertion order.
#[derive(Clone)]
pub struct Dict(Arc<DictInner>);

struct DictInner {
    ignore_case: bool,
    entries: Mutex<Vec<(Value, Value)>>,
}

impl Dict {
    /// A new dictionary; `ignore_case` for `StringComparer.OrdinalIgnoreCase` keys.
    pub fn new(ignore_case: bool) -> Self {
        Self(Arc::new(DictInner {
            ignore_case,
            entries: Mutex::new(Vec::new()),
        }))
    }

    pub fn len(&self) -> usize {
        lock(&self.0.entries).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of the entries, in insertion order.
    pub fn entries(&self) -> Vec<(Value, Value)> {
        lock(&self.0.entries).clone()
    }

    pub(crate) fn ignore_case(&self) -> bool {
        self.0.ignore_case
    }

    pub(crate) fn with_entries<R>(&self, f: impl FnOnce(&mut Vec<(Value, Value)>) -> R) -> R {
        f(&mut lock(&self.0.entries))
    }
}

impl fmt::Debug for Dict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.entries()).finish()
    }
}

/// A compiled lambda. Opaque: only LINQ methods and delegates invoke it.
#[derive(Clone)]
pub struct Lambda(pub(crate) Arc<crate::ir::Lambda>);

impl fmt::Debug for Lambda {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lambda/{}", self.0.params.len())
    }
}
