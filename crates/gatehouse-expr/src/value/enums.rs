//! The .NET enums policy expressions use, as (type, number) pairs with their member names.

/// A supported .NET enum type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnumType {
    StringComparison,
    StringSplitOptions,
    Formatting,
    DateTimeKind,
    JTokenType,
    ProductState,
    UriKind,
    /// `Encoding.UTF8` and friends, as handles.
    Encoding,
    /// `RegexOptions`, a flags enum.
    RegexOptions,
    CipherMode,
    PaddingMode,
    /// `SaveOptions` of LINQ to XML, a flags enum.
    SaveOptions,
    /// `LoadOptions` of LINQ to XML, a flags enum.
    LoadOptions,
    XmlNodeType,
}

/// `RegexOptions` members and their flag values.
const REGEX_OPTIONS: [(&str, i32); 10] = [
    ("None", 0),
    ("IgnoreCase", 1),
    ("Multiline", 2),
    ("ExplicitCapture", 4),
    ("Compiled", 8),
    ("Singleline", 16),
    ("IgnorePatternWhitespace", 32),
    ("RightToLeft", 64),
    ("ECMAScript", 256),
    ("CultureInvariant", 512),
];

/// `CipherMode` members: the numbers do not start at 0.
const CIPHER_MODES: [(&str, i32); 5] = [("CBC", 1), ("ECB", 2), ("OFB", 3), ("CFB", 4), ("CTS", 5)];

/// `PaddingMode` members.
const PADDING_MODES: [(&str, i32); 5] = [
    ("None", 1),
    ("PKCS7", 2),
    ("Zeros", 3),
    ("ANSIX923", 4),
    ("ISO10126", 5),
];

/// `SaveOptions` members and their flag values.
const SAVE_OPTIONS: [(&str, i32); 3] = [
    ("None", 0),
    ("DisableFormatting", 1),
    ("OmitDuplicateNamespaces", 2),
];

/// `LoadOptions` members and their flag values.
const LOAD_OPTIONS: [(&str, i32); 4] = [
    ("None", 0),
    ("PreserveWhitespace", 1),
    ("SetBaseUri", 2),
    ("SetLineInfo", 4),
];

/// A value of a supported enum: its type and underlying number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnumValue {
    pub ty: EnumType,
    pub value: i32,
}

impl EnumType {
    /// The C# name, as written in source.
    pub fn name(self) -> &'static str {
        match self {
            EnumType::StringComparison => "StringComparison",
            EnumType::StringSplitOptions => "StringSplitOptions",
            EnumType::Formatting => "Formatting",
            EnumType::DateTimeKind => "DateTimeKind",
            EnumType::JTokenType => "JTokenType",
            EnumType::ProductState => "ProductState",
            EnumType::UriKind => "UriKind",
            EnumType::Encoding => "Encoding",
            EnumType::RegexOptions => "RegexOptions",
            EnumType::CipherMode => "CipherMode",
            EnumType::PaddingMode => "PaddingMode",
            EnumType::SaveOptions => "SaveOptions",
            EnumType::LoadOptions => "LoadOptions",
            EnumType::XmlNodeType => "XmlNodeType",
        }
    }

    /// Members whose numbers are not their positions, and whether the enum holds flags.
    fn valued(self) -> Option<(&'static [(&'static str, i32)], bool)> {
        match self {
            EnumType::RegexOptions => Some((&REGEX_OPTIONS, true)),
            EnumType::CipherMode => Some((&CIPHER_MODES, false)),
            EnumType::PaddingMode => Some((&PADDING_MODES, false)),
            EnumType::SaveOptions => Some((&SAVE_OPTIONS, true)),
            EnumType::LoadOptions => Some((&LOAD_OPTIONS, true)),
            _ => None,
        }
    }

    pub(crate) fn type_name(self) -> &'static str {
        match self {
            EnumType::Formatting => "Newtonsoft.Json.Formatting",
            EnumType::JTokenType => "Newtonsoft.Json.Linq.JTokenType",
            EnumType::StringComparison => "System.StringComparison",
            EnumType::StringSplitOptions => "System.StringSplitOptions",
            EnumType::DateTimeKind => "System.DateTimeKind",
            EnumType::ProductState => "ProductState",
            EnumType::UriKind => "System.UriKind",
            EnumType::Encoding => "System.Text.Encoding",
            EnumType::RegexOptions => "System.Text.RegularExpressions.RegexOptions",
            EnumType::CipherMode => "System.Security.Cryptography.CipherMode",
            EnumType::PaddingMode => "System.Security.Cryptography.PaddingMode",
            EnumType::SaveOptions => "System.Xml.Linq.SaveOptions",
            EnumType::LoadOptions => "System.Xml.Linq.LoadOptions",
            EnumType::XmlNodeType => "System.Xml.XmlNodeType",
        }
    }

    /// Member names in order of their numbers (0, 1, 2…).
    pub(crate) fn members(self) -> &'static [&'static str] {
        match self {
            EnumType::StringComparison => &[
                "CurrentCulture",
                "CurrentCultureIgnoreCase",
                "InvariantCulture",
                "InvariantCultureIgnoreCase",
                "Ordinal",
                "OrdinalIgnoreCase",
            ],
            EnumType::StringSplitOptions => &["None", "RemoveEmptyEntries", "TrimEntries"],
            EnumType::Formatting => &["None", "Indented"],
            EnumType::DateTimeKind => &["Unspecified", "Utc", "Local"],
            EnumType::JTokenType => &[
                "None",
                "Object",
                "Array",
                "Constructor",
                "Property",
                "Comment",
                "Integer",
                "Float",
                "String",
                "Boolean",
                "Null",
                "Undefined",
                "Date",
                "Raw",
                "Bytes",
                "Guid",
                "Uri",
                "TimeSpan",
            ],
            EnumType::ProductState => &["NotPublished", "Published"],
            EnumType::UriKind => &["RelativeOrAbsolute", "Absolute", "Relative"],
            EnumType::Encoding => &["UTF8", "ASCII", "Unicode"],
            EnumType::XmlNodeType => &[
                "None",
                "Element",
                "Attribute",
                "Text",
                "CDATA",
                "EntityReference",
                "Entity",
                "ProcessingInstruction",
                "Comment",
                "Document",
                "DocumentType",
                "DocumentFragment",
                "Notation",
                "Whitespace",
                "SignificantWhitespace",
                "EndElement",
                "EndEntity",
                "XmlDeclaration",
            ],
            EnumType::RegexOptions
            | EnumType::CipherMode
            | EnumType::PaddingMode
            | EnumType::SaveOptions
            | EnumType::LoadOptions => &[],
        }
    }

    /// The member called `name`, if there is one.
    pub(crate) fn member(self, name: &str) -> Option<EnumValue> {
        if let Some((members, _)) = self.valued() {
            let (_, value) = members.iter().find(|(n, _)| *n == name)?;
            return Some(EnumValue {
                ty: self,
                value: *value,
            });
        }
        let index = self.members().iter().position(|m| *m == name)?;
        Some(EnumValue {
            ty: self,
            value: i32::try_from(index).ok()?,
        })
    }

    /// Resolves a type name as written (`StringComparison`, `System.StringComparison`…).
    pub(crate) fn from_name(name: &str) -> Option<EnumType> {
        let short = name.rsplit('.').next().unwrap_or(name);
        [
            EnumType::StringComparison,
            EnumType::StringSplitOptions,
            EnumType::Formatting,
            EnumType::DateTimeKind,
            EnumType::JTokenType,
            EnumType::UriKind,
            EnumType::RegexOptions,
            EnumType::CipherMode,
            EnumType::PaddingMode,
            EnumType::SaveOptions,
            EnumType::LoadOptions,
            EnumType::XmlNodeType,
        ]
        .into_iter()
        .find(|t| t.name() == short)
    }
}

impl EnumValue {
    /// The member name (`ToString()`), or the number when it names no member.
    pub fn name(self) -> String {
        match self.ty.valued() {
            Some((members, true)) => {
                let set: Vec<&str> = members
                    .iter()
                    .filter(|(_, v)| *v != 0 && self.value & v == *v)
                    .map(|(n, _)| *n)
                    .collect();
                return if set.is_empty() {
                    "None".to_owned()
                } else {
                    set.join(", ")
                };
            }
            Some((members, false)) => {
                return members
                    .iter()
                    .find(|(_, v)| *v == self.value)
                    .map_or_else(|| self.value.to_string(), |(n, _)| (*n).to_owned());
            }
            None => {}
        }
        let index = usize::try_from(self.value).ok();
        match index.and_then(|i| self.ty.members().get(i)) {
            Some(name) => (*name).to_owned(),
            None => self.value.to_string(),
        }
    }

    /// Whether a `StringComparison` ignores case.
    pub(crate) fn ignores_case(self) -> bool {
        self.ty == EnumType::StringComparison && self.value % 2 == 1
    }
}
