//! Static types: what the checker knows about an expression before it runs.
//!
//! C# resolves members against static types, and so does Gatehouse: `x.Length` compiles only when
//! `x` is known to be a string, an array or another type with `Length`, and the member becomes an
//! enum in the compiled form. The same types serve run-time tests (`is`, `as`, casts,
//! `GetValueOrDefault<T>`) through [`Ty::accepts`].
//!
//! Small integer types (`byte`, `short`…) are carried as `int`, `uint`/`ulong` as `long` and
//! `float` as `double`: policy expressions use them only as conversion targets.

use std::sync::Arc;

use crate::ast::{TypeKind, TypeRef};
use crate::context::Str;
use crate::lexer::Kw;
use crate::value::{EnumType, JTokenKind, MessagePart, Value};

/// The static type of a `context` object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HostTy {
    Context,
    Api,
    Operation,
    Product,
    Subscription,
    User,
    Deployment,
    LastError,
    Request,
    Response,
    Headers,
    Body,
    Url,
    Query,
    MatchedParameters,
    Variables,
    Certificates,
    CertificateEntry,
    KeyParameterNames,
    Groups,
    Group,
}

/// The static type of a LINQ to XML object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XmlTy {
    Document,
    Element,
    /// `XNode`: any node, documents included.
    Node,
    /// `XContainer`: a document or an element.
    Container,
    Attribute,
    Name,
    Namespace,
    Text,
    CData,
    Comment,
}

impl XmlTy {
    fn name(self) -> &'static str {
        match self {
            XmlTy::Document => "XDocument",
            XmlTy::Element => "XElement",
            XmlTy::Node => "XNode",
            XmlTy::Container => "XContainer",
            XmlTy::Attribute => "XAttribute",
            XmlTy::Name => "XName",
            XmlTy::Namespace => "XNamespace",
            XmlTy::Text => "XText",
            XmlTy::CData => "XCData",
            XmlTy::Comment => "XComment",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [
            XmlTy::Document,
            XmlTy::Element,
            XmlTy::Node,
            XmlTy::Container,
            XmlTy::Attribute,
            XmlTy::Name,
            XmlTy::Namespace,
            XmlTy::Text,
            XmlTy::CData,
            XmlTy::Comment,
        ]
        .into_iter()
        .find(|t| t.name() == name)
    }

    /// Whether a value of type `from` is also one of this type (`XElement` is an `XNode`…).
    fn includes(self, from: XmlTy) -> bool {
        use XmlTy::*;
        self == from
            || match self {
                Node => matches!(
                    from,
                    Document | Element | Container | Text | CData | Comment
                ),
                Container => matches!(from, Document | Element),
                Text => from == CData,
                _ => false,
            }
    }

    /// Whether `value` is an instance of this type.
    fn accepts(self, value: &crate::value::XmlValue) -> bool {
        use crate::value::{XNode, XmlValue};
        let actual = match value {
            XmlValue::Document(_) => XmlTy::Document,
            XmlValue::Node(XNode::Element(_)) => XmlTy::Element,
            XmlValue::Node(XNode::Text(_)) => XmlTy::Text,
            XmlValue::Node(XNode::CData(_)) => XmlTy::CData,
            XmlValue::Node(XNode::Comment(_)) => XmlTy::Comment,
            XmlValue::Node(XNode::Instruction(..)) => XmlTy::Node,
            XmlValue::Attribute(_) => XmlTy::Attribute,
            XmlValue::Name(_) => XmlTy::Name,
            XmlValue::Namespace(_) => XmlTy::Namespace,
        };
        self.includes(actual)
    }
}

/// A static type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Ty {
    /// The type of an expression that already failed to check; accepted everywhere so one
    /// mistake is reported once.
    Error,
    Object,
    /// The type of the `null` literal.
    Null,
    Void,
    Bool,
    Char,
    Int,
    Long,
    Double,
    String,
    Bytes,
    DateTime,
    DateTimeOffset,
    TimeSpan,
    Guid,
    Certificate,
    DistName,
    JToken,
    JObject,
    JArray,
    JValue,
    JProperty,
    Array(Box<Ty>),
    List(Box<Ty>),
    Dict(Box<Ty>, Box<Ty>),
    Pair(Box<Ty>, Box<Ty>),
    /// `IEnumerable<T>` as LINQ returns it.
    Seq(Box<Ty>),
    /// `T?` for a value type `T`.
    Nullable(Box<Ty>),
    Anonymous(Arc<[(Str, Ty)]>),
    Host(HostTy),
    Enum(EnumType),
    Message(MessagePart),
    Random,
    StringBuilder,
    /// An AES object; the abstract `SymmetricAlgorithm` and `Aes` types resolve to it too.
    Symmetric,
    Jwt,
    JwtClaims,
    /// A hash algorithm object; `None` for the abstract `HashAlgorithm`.
    Hasher(Option<(crate::value::HashAlgorithm, bool)>),
    RegexMatch,
    RegexGroups,
    RegexGroup,
    Uri,
    /// A caught exception (`catch (Exception ex)`): only `Message` is readable.
    Exception,
    Xml(XmlTy),
    Lambda,
}

impl Ty {
    pub(crate) fn array(elem: Ty) -> Ty {
        Ty::Array(Box::new(elem))
    }

    pub(crate) fn list(elem: Ty) -> Ty {
        Ty::List(Box::new(elem))
    }

    pub(crate) fn seq(elem: Ty) -> Ty {
        Ty::Seq(Box::new(elem))
    }

    pub(crate) fn pair(key: Ty, value: Ty) -> Ty {
        Ty::Pair(Box::new(key), Box::new(value))
    }

    pub(crate) fn nullable(self) -> Ty {
        if self.is_value_type() {
            Ty::Nullable(Box::new(self))
        } else {
            self
        }
    }

    pub(crate) fn is_numeric(&self) -> bool {
        matches!(self, Ty::Int | Ty::Long | Ty::Double | Ty::Char)
    }

    pub(crate) fn is_value_type(&self) -> bool {
        matches!(
            self,
            Ty::Bool
                | Ty::Char
                | Ty::Int
                | Ty::Long
                | Ty::Double
                | Ty::DateTime
                | Ty::DateTimeOffset
                | Ty::TimeSpan
                | Ty::Guid
                | Ty::Pair(..)
                | Ty::Enum(_)
        )
    }

    /// `T` for `T?`, the type itself otherwise.
    pub(crate) fn unwrap_nullable(&self) -> &Ty {
        match self {
            Ty::Nullable(inner) => inner,
            other => other,
        }
    }

    /// Whether `null` is a possible value.
    pub(crate) fn admits_null(&self) -> bool {
        !self.is_value_type()
    }

    pub(crate) fn is_json(&self) -> bool {
        matches!(
            self,
            Ty::JToken | Ty::JObject | Ty::JArray | Ty::JValue | Ty::JProperty
        )
    }

    /// The element type `foreach` and LINQ see, if the type is enumerable.
    pub(crate) fn elem(&self) -> Option<Ty> {
        Some(match self {
            Ty::String => Ty::Char,
            Ty::Bytes => Ty::Int,
            Ty::Array(t) | Ty::List(t) | Ty::Seq(t) => (**t).clone(),
            Ty::Dict(k, v) => Ty::Pair(k.clone(), v.clone()),
            Ty::JObject => Ty::pair(Ty::String, Ty::JToken),
            Ty::JArray | Ty::JToken | Ty::JProperty => Ty::JToken,
            Ty::Host(HostTy::Headers | HostTy::Query) => {
                Ty::pair(Ty::String, Ty::array(Ty::String))
            }
            Ty::Message(MessagePart::Headers) => Ty::pair(Ty::String, Ty::array(Ty::String)),
            Ty::Host(HostTy::MatchedParameters) => Ty::pair(Ty::String, Ty::String),
            Ty::Host(HostTy::Variables) => Ty::pair(Ty::String, Ty::Object),
            Ty::Host(HostTy::Certificates) => Ty::Host(HostTy::CertificateEntry),
            Ty::Host(HostTy::Groups) => Ty::Host(HostTy::Group),
            Ty::JwtClaims => Ty::pair(Ty::String, Ty::array(Ty::String)),
            Ty::RegexGroups => Ty::RegexGroup,
            Ty::Error => Ty::Error,
            _ => return None,
        })
    }

    /// Whether a value of type `from` may be used where `self` is expected without a cast.
    pub(crate) fn assignable_from(&self, from: &Ty) -> bool {
        if self == from || matches!(self, Ty::Object | Ty::Error) || matches!(from, Ty::Error) {
            return true;
        }
        match (self, from) {
            (_, Ty::Null) => self.admits_null() || matches!(self, Ty::Nullable(_)),
            (Ty::Long, Ty::Int | Ty::Char) | (Ty::Int, Ty::Char) => true,
            (Ty::Double, Ty::Int | Ty::Long | Ty::Char) => true,
            (Ty::DateTimeOffset, Ty::DateTime) => true,
            (Ty::Xml(XmlTy::Name | XmlTy::Namespace), Ty::String) => true,
            (Ty::Xml(to), Ty::Xml(from)) => to.includes(*from),
            (Ty::Nullable(inner), from) => inner.assignable_from(from),
            (Ty::JToken, from) => from.is_json() || from.is_json_convertible(),
            (Ty::JValue, from) => from.is_json_convertible(),
            (Ty::Seq(elem), from) => from.elem().is_some_and(|e| elem.assignable_from(&e)),
            _ => false,
        }
    }

    /// Types Newtonsoft converts implicitly to `JValue`.
    fn is_json_convertible(&self) -> bool {
        matches!(
            self,
            Ty::String | Ty::Bool | Ty::Int | Ty::Long | Ty::Double | Ty::DateTime | Ty::Guid
        )
    }

    /// The C# spelling, for messages.
    pub(crate) fn display(&self) -> String {
        match self {
            Ty::Array(t) => format!("{}[]", t.display()),
            Ty::List(t) => format!("List<{}>", t.display()),
            Ty::Seq(t) => format!("IEnumerable<{}>", t.display()),
            Ty::Dict(k, v) => format!("Dictionary<{}, {}>", k.display(), v.display()),
            Ty::Pair(k, v) => format!("KeyValuePair<{}, {}>", k.display(), v.display()),
            Ty::Nullable(t) => format!("{}?", t.display()),
            Ty::Enum(e) => e.name().to_owned(),
            Ty::Host(h) => host_type_name(*h).to_owned(),
            Ty::Xml(x) => x.name().to_owned(),
            other => simple_name(other).to_owned(),
        }
    }

    /// Whether `value` is an instance of this type (`is`, `as`, unboxing casts).
    pub(crate) fn accepts(&self, value: &Value) -> bool {
        match (self, value) {
            (_, Value::Null) => false,
            (Ty::Object | Ty::Error, _) => true,
            (Ty::Nullable(inner), v) => inner.accepts(v),
            (Ty::Bool, Value::Bool(_))
            | (Ty::Char, Value::Char(_))
            | (Ty::Int, Value::Int(_))
            | (Ty::Long, Value::Long(_))
            | (Ty::Double, Value::Double(_))
            | (Ty::String, Value::Str(_))
            | (Ty::Bytes, Value::Bytes(_))
            | (Ty::DateTime, Value::DateTime(_))
            | (Ty::DateTimeOffset, Value::DateTimeOffset(_))
            | (Ty::TimeSpan, Value::TimeSpan(_))
            | (Ty::Guid, Value::Guid(_))
            | (Ty::Certificate, Value::Certificate(_))
            | (Ty::Random, Value::Random(_))
            | (Ty::StringBuilder, Value::Builder(_))
            | (Ty::Symmetric, Value::Symmetric(_)) => true,
            (Ty::Array(_), Value::List(l)) => l.is_array(),
            (Ty::List(_) | Ty::Seq(_), Value::List(_)) => true,
            (Ty::Dict(..), Value::Dict(_)) | (Ty::Pair(..), Value::Pair(_)) => true,
            (Ty::Enum(t), Value::Enum(e)) => e.ty == *t,
            (Ty::Message(MessagePart::Whole), Value::Message(m)) => m.part == MessagePart::Whole,
            (Ty::Anonymous(_), Value::Anonymous(_)) => true,
            (Ty::Jwt, Value::Jwt(_)) | (Ty::JwtClaims, Value::JwtClaims(_)) => true,
            (Ty::Hasher(_), Value::Hasher(_)) | (Ty::Uri, Value::Uri(_)) => true,
            (Ty::Xml(x), Value::Xml(value)) => x.accepts(value),
            (Ty::RegexMatch, Value::Regex(_, crate::value::RegexPart::Match)) => true,
            (Ty::RegexGroup, Value::Regex(_, crate::value::RegexPart::Group(_))) => true,
            (json, Value::Json(token)) => json_accepts(json, token.kind()),
            _ => false,
        }
    }
}

fn json_accepts(ty: &Ty, kind: JTokenKind) -> bool {
    match ty {
        Ty::JToken => true,
        Ty::JObject => kind == JTokenKind::Object,
        Ty::JArray => kind == JTokenKind::Array,
        Ty::JValue => kind == JTokenKind::Value,
        Ty::JProperty => kind == JTokenKind::Property,
        _ => false,
    }
}

fn simple_name(ty: &Ty) -> &'static str {
    match ty {
        Ty::Error => "?",
        Ty::Object => "object",
        Ty::Null => "null",
        Ty::Void => "void",
        Ty::Bool => "bool",
        Ty::Char => "char",
        Ty::Int => "int",
        Ty::Long => "long",
        Ty::Double => "double",
        Ty::String => "string",
        Ty::Bytes => "byte[]",
        Ty::DateTime => "DateTime",
        Ty::DateTimeOffset => "DateTimeOffset",
        Ty::TimeSpan => "TimeSpan",
        Ty::Guid => "Guid",
        Ty::Certificate => "X509Certificate2",
        Ty::DistName => "X500DistinguishedName",
        Ty::JToken => "JToken",
        Ty::JObject => "JObject",
        Ty::JArray => "JArray",
        Ty::JValue => "JValue",
        Ty::JProperty => "JProperty",
        Ty::Anonymous(_) => "anonymous type",
        Ty::Message(MessagePart::Whole) => "IResponse",
        Ty::Message(MessagePart::Headers) => "IReadOnlyDictionary<string, string[]>",
        Ty::Message(MessagePart::Body) => "IMessageBody",
        Ty::Random => "Random",
        Ty::StringBuilder => "StringBuilder",
        Ty::Symmetric => "SymmetricAlgorithm",
        Ty::Exception => "Exception",
        Ty::Jwt => "Jwt",
        Ty::JwtClaims => "IReadOnlyDictionary<string, string[]>",
        Ty::Hasher(_) => "HashAlgorithm",
        Ty::RegexMatch => "Match",
        Ty::RegexGroups => "GroupCollection",
        Ty::RegexGroup => "Group",
        Ty::Uri => "Uri",
        Ty::Lambda => "lambda expression",
        _ => "type",
    }
}

fn host_type_name(host: HostTy) -> &'static str {
    match host {
        HostTy::Context => "IProxyRequestContext",
        HostTy::Api => "IApi",
        HostTy::Operation => "IOperation",
        HostTy::Product => "IProduct",
        HostTy::Subscription => "ISubscription",
        HostTy::User => "IUser",
        HostTy::Deployment => "IDeployment",
        HostTy::LastError => "ProxyError",
        HostTy::Request => "IRequest",
        HostTy::Response => "IResponse",
        HostTy::Headers | HostTy::Query => "IReadOnlyDictionary<string, string[]>",
        HostTy::Body => "IMessageBody",
        HostTy::Url => "IUrl",
        HostTy::MatchedParameters => "IReadOnlyDictionary<string, string>",
        HostTy::Variables => "IReadOnlyDictionary<string, object>",
        HostTy::Certificates => "IReadOnlyDictionary<string, X509Certificate2>",
        HostTy::CertificateEntry => "KeyValuePair<string, X509Certificate2>",
        HostTy::KeyParameterNames => "ISubscriptionKeyParameterNames",
        HostTy::Groups => "IEnumerable<IGroup>",
        HostTy::Group => "IGroup",
    }
}

// ---------------------------------------------------------------------------------------------
// Type names as written

/// Resolves a written type, or says why it is not supported.
pub(crate) fn resolve_type(ty: &TypeRef) -> Result<Ty, String> {
    match &ty.kind {
        TypeKind::Predefined(kw) => predefined(*kw).ok_or_else(|| unsupported_type(&ty.display())),
        TypeKind::Array(elem) => {
            let elem = resolve_type(elem)?;
            Ok(if elem == Ty::Int && is_byte(ty) {
                Ty::Bytes
            } else {
                Ty::array(elem)
            })
        }
        TypeKind::Nullable(inner) => Ok(resolve_type(inner)?.nullable()),
        TypeKind::Named { path, args } => named(path, args, ty),
    }
}

/// The narrow integer type a cast names (`byte`, `System.Int16`…), if it is one.
pub(crate) fn narrow_type(ty: &TypeRef) -> Option<crate::ir::Narrow> {
    use crate::ir::Narrow;
    let name = match &ty.kind {
        TypeKind::Predefined(kw) => kw.as_str(),
        TypeKind::Named { path, args } if args.is_empty() => path.last()?.as_str(),
        _ => return None,
    };
    Some(match name {
        "byte" | "Byte" => Narrow::Byte,
        "sbyte" | "SByte" => Narrow::SByte,
        "short" | "Int16" => Narrow::Short,
        "ushort" | "UInt16" => Narrow::UShort,
        "uint" | "UInt32" => Narrow::UInt,
        _ => return None,
    })
}

fn is_byte(ty: &TypeRef) -> bool {
    matches!(&ty.kind, TypeKind::Array(elem) if matches!(elem.kind, TypeKind::Predefined(Kw::Byte)))
}

pub(crate) fn unsupported_type(name: &str) -> String {
    if not_allowed_by_apim(name) {
        return format!(
            "the type '{name}' is not among the types APIM allows in policy expressions; use LINQ to XML ('XDocument', 'XElement')"
        );
    }
    format!("the type '{name}' is not supported by Gatehouse")
}

/// XML types policies reach for that APIM itself refuses in expressions.
pub(crate) fn not_allowed_by_apim(name: &str) -> bool {
    let short = name.rsplit('.').next().unwrap_or(name);
    matches!(
        short,
        "XmlDocument" | "XmlReader" | "XmlWriter" | "XmlNode" | "XmlElement"
    )
}

fn predefined(kw: Kw) -> Option<Ty> {
    Some(match kw {
        Kw::Bool => Ty::Bool,
        Kw::Byte | Kw::Sbyte | Kw::Short | Kw::Ushort | Kw::Int => Ty::Int,
        Kw::Uint | Kw::Long | Kw::Ulong => Ty::Long,
        Kw::Float | Kw::Double => Ty::Double,
        Kw::Char => Ty::Char,
        Kw::String => Ty::String,
        Kw::Object => Ty::Object,
        Kw::Void => Ty::Void,
        _ => return None,
    })
}

/// Drops a namespace the policy may spell out (`System.`, `Newtonsoft.Json.Linq.`…).
pub(crate) fn strip_namespace(path: &str) -> &str {
    const NAMESPACES: [&str; 12] = [
        "System.Xml.Linq.",
        "System.Xml.",
        "System.Collections.Generic.",
        "System.Security.Cryptography.X509Certificates.",
        "System.Security.Cryptography.",
        "System.Text.RegularExpressions.",
        "System.Text.",
        "System.Linq.",
        "System.Net.",
        "Newtonsoft.Json.Linq.",
        "Newtonsoft.Json.",
        "System.",
    ];
    NAMESPACES
        .iter()
        .find_map(|ns| path.strip_prefix(ns))
        .unwrap_or(path)
}

fn named(path: &[String], args: &[TypeRef], whole: &TypeRef) -> Result<Ty, String> {
    let joined = path.join(".");
    let name = strip_namespace(&joined);
    let args: Vec<Ty> = args.iter().map(resolve_type).collect::<Result<_, _>>()?;
    let ty = match (name, args.as_slice()) {
        ("List" | "IList" | "ICollection" | "IReadOnlyList", [t]) => Ty::list(t.clone()),
        ("IEnumerable", [t]) => Ty::seq(t.clone()),
        ("Dictionary" | "IDictionary" | "IReadOnlyDictionary", [k, v]) => {
            Ty::Dict(Box::new(k.clone()), Box::new(v.clone()))
        }
        ("KeyValuePair", [k, v]) => Ty::pair(k.clone(), v.clone()),
        ("Nullable", [t]) => t.clone().nullable(),
        (name, []) => simple_type(name).ok_or_else(|| unsupported_type(&whole.display()))?,
        _ => return Err(unsupported_type(&whole.display())),
    };
    Ok(ty)
}

/// Non-generic type names.
pub(crate) fn simple_type(name: &str) -> Option<Ty> {
    if let Some(e) = EnumType::from_name(name) {
        return Some(Ty::Enum(e));
    }
    Some(match name {
        "String" => Ty::String,
        "Object" => Ty::Object,
        "Boolean" => Ty::Bool,
        "Char" => Ty::Char,
        "Byte" | "SByte" | "Int16" | "UInt16" | "Int32" => Ty::Int,
        "UInt32" | "Int64" | "UInt64" => Ty::Long,
        "Single" | "Double" => Ty::Double,
        "DateTime" => Ty::DateTime,
        "DateTimeOffset" => Ty::DateTimeOffset,
        "TimeSpan" => Ty::TimeSpan,
        "Guid" => Ty::Guid,
        "X509Certificate2" | "X509Certificate" => Ty::Certificate,
        "X500DistinguishedName" => Ty::DistName,
        "JToken" | "JContainer" => Ty::JToken,
        "JObject" => Ty::JObject,
        "JArray" => Ty::JArray,
        "JValue" => Ty::JValue,
        "JProperty" => Ty::JProperty,
        "IResponse" => Ty::Message(MessagePart::Whole),
        "IMessageBody" => Ty::Message(MessagePart::Body),
        "Random" => Ty::Random,
        "StringBuilder" => Ty::StringBuilder,
        name if XmlTy::from_name(name).is_some() => Ty::Xml(XmlTy::from_name(name)?),
        name if crate::stdlib::cipher::is_symmetric_type(name) => Ty::Symmetric,
        "Exception" => Ty::Exception,
        "Jwt" => Ty::Jwt,
        "Match" => Ty::RegexMatch,
        "Group" => Ty::RegexGroup,
        "Uri" => Ty::Uri,
        "HashAlgorithm" | "HMAC" | "KeyedHashAlgorithm" => Ty::Hasher(None),
        name if crate::stdlib::crypto::hasher_named(name).is_some() => {
            Ty::Hasher(crate::stdlib::crypto::hasher_named(name))
        }
        "BasicAuthCredentials" => Ty::Anonymous(crate::stdlib::jwt::basic_fields()),
        "Authorization" => Ty::Anonymous(crate::stdlib::jwt::authorization_fields()),
        "IUrl" => Ty::Host(HostTy::Url),
        _ => return None,
    })
}
