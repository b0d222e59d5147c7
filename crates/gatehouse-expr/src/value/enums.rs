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
            EnumType::RegexOptions => &[],
        }
    }

    /// The member called `name`, if there is one.
    pub(crate) fn member(self, name: &str) -> Option<EnumValue> {
        if self == EnumType::RegexOptions {
            let (_, value) = REGEX_OPTIONS.iter().find(|(n, _)| *n == name)?;
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
        ]
        .into_iter()
        .find(|t| t.name() == short)
    }
}

impl EnumValue {
    /// The member name (`ToString()`), or the number when it names no member.
    pub fn name(self) -> String {
        if self.ty == EnumType::RegexOptions {
            let set: Vec<&str> = REGEX_OPTIONS
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
