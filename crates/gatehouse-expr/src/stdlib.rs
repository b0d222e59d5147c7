//! Built-in members: the `context` model and the .NET library subset APIM allows.
//!
//! Each module owns one area and holds both halves of every member: its signature (what the
//! checker resolves a name to, with the result type) and its implementation (what the evaluator
//! runs). Names are matched only here, at compile time; the compiled form holds [`Prop`] and
//! [`Func`] enums.

pub(crate) mod array;
pub(crate) mod cipher;
pub(crate) mod coll;
pub(crate) mod convert;
pub(crate) mod crypto;
pub(crate) mod host;
pub(crate) mod json;
pub(crate) mod jwt;
pub(crate) mod linq;
pub(crate) mod misc;
pub(crate) mod out;
pub(crate) mod regex;
pub(crate) mod string;
pub(crate) mod text;
pub(crate) mod time;
pub(crate) mod uri;
pub(crate) mod xml;

use crate::error::EvalError;
use crate::eval::Machine;
use crate::types::{Ty, strip_namespace};
use crate::value::{EnumType, Value};

/// A property getter.
#[derive(Clone, Debug)]
pub(crate) enum Prop {
    Host(host::HostProp),
    Coll(coll::CollProp),
    Json(json::JsonProp),
    Time(time::TimeProp),
    Misc(misc::MiscProp),
    Jwt(jwt::JwtProp),
    Regex(regex::RegexProp),
    Uri(uri::UriProp),
    Cipher(cipher::CipherProp),
    Crypto(crypto::CryptoProp),
    Text(text::TextProp),
    Xml(xml::XmlProp),
}

/// A method, static method, indexer or constructor.
#[derive(Clone, Debug)]
pub(crate) enum Func {
    Host(host::HostFn),
    Array(array::ArrayFn),
    Str(string::StrFn),
    Conv(convert::ConvFn),
    Coll(coll::CollFn),
    Linq(linq::LinqFn),
    Json(json::JsonFn),
    Time(time::TimeFn),
    Misc(misc::MiscFn),
    Jwt(jwt::JwtFn),
    Crypto(crypto::CryptoFn),
    Cipher(cipher::CipherFn),
    Text(text::TextFn),
    Xml(xml::XmlFn),
    Regex(regex::RegexFn),
    Uri(uri::UriFn),
    Out(out::OutFn),
}

/// A type name used as the receiver of a static member: `string.Join`, `Convert.ToBase64String`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    String,
    Char,
    Int,
    Long,
    Double,
    Bool,
    Convert,
    Encoding,
    Math,
    DateTime,
    DateTimeOffset,
    TimeSpan,
    Guid,
    JObject,
    JArray,
    JToken,
    JValue,
    JProperty,
    JsonConvert,
    WebUtility,
    Uri,
    BitConverter,
    Array,
    Enum(EnumType),
    StringComparer,
    Object,
    Regex,
    /// `SHA256`, `HMACSHA256`…: the algorithm and whether it is the HMAC class.
    Hasher(crate::value::HashAlgorithm, bool),
    /// `Aes`, `SymmetricAlgorithm` and the other AES class names.
    Symmetric,
    /// `XDocument`, `XElement`, `XName`, `XNamespace`…
    Xml(crate::types::XmlTy),
}

impl Class {
    /// The class a (possibly namespace-qualified) name denotes.
    pub(crate) fn from_name(path: &str) -> Option<Class> {
        let name = strip_namespace(path);
        if let Some(e) = EnumType::from_name(name) {
            return Some(Class::Enum(e));
        }
        if let Some((algorithm, hmac)) = crypto::hasher_named(name) {
            return Some(Class::Hasher(algorithm, hmac));
        }
        if cipher::is_symmetric_type(name) {
            return Some(Class::Symmetric);
        }
        if let Some(crate::types::Ty::Xml(x)) = crate::types::simple_type(name) {
            return Some(Class::Xml(x));
        }
        Some(match name {
            "String" | "string" => Class::String,
            "Char" | "char" => Class::Char,
            "Int32" | "int" | "Int16" | "short" | "Byte" | "byte" => Class::Int,
            "Int64" | "long" => Class::Long,
            "Double" | "double" | "Single" | "float" => Class::Double,
            "Boolean" | "bool" => Class::Bool,
            "Convert" => Class::Convert,
            "Encoding" => Class::Encoding,
            "Math" => Class::Math,
            "DateTime" => Class::DateTime,
            "DateTimeOffset" => Class::DateTimeOffset,
            "TimeSpan" => Class::TimeSpan,
            "Guid" => Class::Guid,
            "JObject" => Class::JObject,
            "JArray" => Class::JArray,
            "JToken" => Class::JToken,
            "JValue" => Class::JValue,
            "JProperty" => Class::JProperty,
            "JsonConvert" => Class::JsonConvert,
            "WebUtility" => Class::WebUtility,
            "Uri" => Class::Uri,
            "BitConverter" => Class::BitConverter,
            "Array" => Class::Array,
            "StringComparer" => Class::StringComparer,
            "Object" | "object" => Class::Object,
            "Regex" => Class::Regex,
            _ => return None,
        })
    }
}

/// What a member name resolved to.
#[derive(Debug)]
pub(crate) enum Member {
    Prop(Prop, Ty),
    Const(Value, Ty),
    /// A parameterless static call, such as `DateTime.UtcNow`.
    Call(Func, Ty),
}

/// The receiver of a method call.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Recv<'a> {
    Value(&'a Ty),
    Static(Class),
}

/// A method call to resolve: receiver, name, argument types and explicit type arguments.
/// Lambda arguments appear as `Ty::Func`-like entries through [`Sig::lambda_results`].
#[derive(Debug)]
pub(crate) struct Sig<'a> {
    pub(crate) recv: Recv<'a>,
    pub(crate) name: &'a str,
    pub(crate) args: &'a [Ty],
    pub(crate) generics: &'a [Ty],
    /// For each argument, the result type of the lambda written there, if it is a lambda.
    pub(crate) lambda_results: &'a [Option<Ty>],
}

/// Resolves `recv.name` used as a value.
pub(crate) fn property(recv: Recv<'_>, name: &str) -> Option<Member> {
    match recv {
        Recv::Static(class) => static_member(class, name),
        Recv::Value(ty) => instance_property(ty, name),
    }
}

fn instance_property(ty: &Ty, name: &str) -> Option<Member> {
    let found = host::property(ty, name)
        .or_else(|| json::property(ty, name))
        .or_else(|| coll::property(ty, name))
        .or_else(|| time::property(ty, name))
        .or_else(|| misc::property(ty, name))
        .or_else(|| jwt::property(ty, name))
        .or_else(|| regex::property(ty, name))
        .or_else(|| uri::property(ty, name))
        .or_else(|| cipher::property(ty, name))
        .or_else(|| crypto::property(ty, name))
        .or_else(|| text::property(ty, name))
        .or_else(|| xml::property(ty, name))?;
    Some(Member::Prop(found.0, found.1))
}

fn static_member(class: Class, name: &str) -> Option<Member> {
    if let Class::Enum(e) = class {
        return e
            .member(name)
            .map(|v| Member::Const(Value::Enum(v), Ty::Enum(e)));
    }
    string::static_member(class, name)
        .or_else(|| time::static_member(class, name))
        .or_else(|| convert::static_member(class, name))
        .or_else(|| misc::static_member(class, name))
        .or_else(|| xml::static_member(class, name))
}

/// One area's method resolver: `None` when the call is not in its area.
type Resolver = fn(&Sig<'_>) -> Option<Result<(Func, Ty), String>>;

/// Resolves a method call, or explains why none matches.
pub(crate) fn method(sig: &Sig<'_>) -> Result<(Func, Ty), String> {
    let resolvers: [Resolver; 15] = [
        array::method,
        cipher::method,
        text::method,
        xml::method,
        jwt::method,
        crypto::method,
        regex::method,
        host::method,
        string::method,
        linq::method,
        json::method,
        coll::method,
        convert::method,
        time::method,
        misc::method,
    ];
    for resolve in resolvers {
        if let Some(result) = resolve(sig) {
            return result;
        }
    }
    Err(no_method(sig))
}

fn no_method(sig: &Sig<'_>) -> String {
    match sig.recv {
        Recv::Value(Ty::Object) => format!(
            "'object' does not contain a definition for '{}'; cast the value to its type first",
            sig.name
        ),
        Recv::Value(ty) => format!(
            "'{}' does not contain a method '{}' taking {} arguments that Gatehouse supports",
            ty.display(),
            sig.name,
            sig.args.len()
        ),
        Recv::Static(class) => format!(
            "'{class:?}.{}' with {} arguments is not supported by Gatehouse",
            sig.name,
            sig.args.len()
        ),
    }
}

/// Resolves `target[key]` for reading.
pub(crate) fn indexer(target: &Ty, key: &Ty) -> Option<(Func, Ty)> {
    host::indexer(target, key)
        .or_else(|| json::indexer(target, key))
        .or_else(|| coll::indexer(target, key))
        .or_else(|| jwt::indexer(target, key))
        .or_else(|| regex::indexer(target, key))
        .or_else(|| text::indexer(target, key))
}

/// Resolves `target[key] = value`; returns the setter.
pub(crate) fn index_setter(target: &Ty) -> Option<(Func, Ty)> {
    json::index_setter(target)
        .or_else(|| coll::index_setter(target))
        .or_else(|| text::index_setter(target))
}

/// Resolves `target.Name = value` on a property with a setter; returns the setter, called
/// with the value as its one argument, and the property's type.
pub(crate) fn property_setter(target: &Ty, name: &str) -> Option<(Func, Ty)> {
    cipher::setter(target, name)
        .or_else(|| crypto::setter(target, name))
        .or_else(|| text::setter(target, name))
}

/// Resolves `new T(args)`.
pub(crate) fn constructor(ty: &Ty, args: &[Ty]) -> Option<Result<Func, String>> {
    json::constructor(ty, args)
        .or_else(|| coll::constructor(ty, args))
        .or_else(|| time::constructor(ty, args))
        .or_else(|| misc::constructor(ty, args))
        .or_else(|| crypto::constructor(ty, args))
        .or_else(|| cipher::constructor(ty, args))
        .or_else(|| text::constructor(ty, args))
        .or_else(|| xml::constructor(ty, args))
        .or_else(|| uri::constructor(ty, args))
}

/// Reads a property.
pub(crate) fn get(m: &mut Machine<'_>, target: Value, prop: &Prop) -> Result<Value, EvalError> {
    match prop {
        Prop::Host(p) => host::get(m, target, *p),
        Prop::Coll(p) => coll::get(m, target, *p),
        Prop::Json(p) => json::get(target, *p),
        Prop::Time(p) => time::get(target, *p),
        Prop::Misc(p) => misc::get(m, target, p),
        Prop::Jwt(p) => jwt::get(target, *p),
        Prop::Regex(p) => regex::get(target, *p),
        Prop::Uri(p) => uri::get(target, *p),
        Prop::Cipher(p) => cipher::get(target, *p),
        Prop::Crypto(p) => crypto::get(target, *p),
        Prop::Text(p) => text::get(target, *p),
        Prop::Xml(p) => xml::get(m, target, *p),
    }
}

/// Runs a method.
pub(crate) fn call(
    m: &mut Machine<'_>,
    func: &Func,
    target: Value,
    args: Vec<Value>,
) -> Result<Value, EvalError> {
    match func {
        Func::Host(f) => host::call(m, f, target, args),
        Func::Array(f) => array::call(m, f, args),
        Func::Str(f) => string::call(m, *f, target, args),
        Func::Conv(f) => convert::call(m, *f, target, args),
        Func::Coll(f) => coll::call(m, f, target, args),
        Func::Linq(f) => linq::call(m, *f, target, args),
        Func::Json(f) => json::call(m, f, target, args),
        Func::Time(f) => time::call(m, *f, target, args),
        Func::Misc(f) => misc::call(m, f, target, args),
        Func::Jwt(f) => jwt::call(m, *f, target, args),
        Func::Crypto(f) => crypto::call(*f, target, args),
        Func::Cipher(f) => cipher::call(m, *f, target, args),
        Func::Text(f) => text::call(m, *f, target, args),
        Func::Xml(f) => xml::call(m, *f, target, args),
        Func::Regex(f) => regex::call(m, f, target, args),
        Func::Uri(f) => uri::call(m, *f, &args),
        Func::Out(f) => out::call(m, f, target, args),
    }
}

/// Takes argument `i`, or null when absent.
pub(crate) fn arg(args: &mut [Value], i: usize) -> Value {
    args.get_mut(i).map(std::mem::take).unwrap_or_default()
}

/// Fails with `NullReferenceException` when a method is called on null.
pub(crate) fn non_null(target: Value) -> Result<Value, EvalError> {
    if target.is_null() {
        Err(EvalError::NullReference)
    } else {
        Ok(target)
    }
}
