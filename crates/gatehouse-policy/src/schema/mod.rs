//! APIM's policy elements as data, and the check of a document against them.
//!
//! The table in this module lists every policy APIM documents (and the few the policy toolkit
//! knows beyond the documentation): its attributes, whether each is required, allows policy
//! expressions and has a fixed set of values; its child elements; the sections of a
//! `<policies>` document where APIM allows it; and whether it needs a service this gateway
//! does not have. The facts come from the XSD schemas of the APIM VS Code extension, the
//! policy reference documentation and the policy toolkit, with the source noted in the table
//! where they disagree; the XSD files themselves are not part of the build.
//!
//! [`validate`] checks a [`Document`](crate::reader::Document) against the table and reports
//! every problem with its line and column. It does not refuse unsupported policies: that is
//! the compiler's decision, made from [`ElementSpec::support`].

mod suggest;
mod table;
mod validate;

use std::fmt;

pub use table::{policies, policy};
pub use validate::validate;

/// A section of a `<policies>` document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Section {
    /// `<inbound>`: runs on the request before it is forwarded.
    Inbound,
    /// `<backend>`: runs around forwarding the request.
    Backend,
    /// `<outbound>`: runs on the response.
    Outbound,
    /// `<on-error>`: runs after an error in any other section.
    OnError,
}

impl Section {
    /// All sections in pipeline order.
    pub const ALL: [Section; 4] = [
        Section::Inbound,
        Section::Backend,
        Section::Outbound,
        Section::OnError,
    ];

    /// The element name of the section.
    pub fn name(self) -> &'static str {
        match self {
            Section::Inbound => "inbound",
            Section::Backend => "backend",
            Section::Outbound => "outbound",
            Section::OnError => "on-error",
        }
    }

    /// Whether policies in this section act on the request (inbound, backend) rather than
    /// the response (outbound, on-error).
    pub fn works_on_request(self) -> bool {
        matches!(self, Section::Inbound | Section::Backend)
    }

    /// The section an element name stands for.
    pub fn from_name(name: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.name() == name)
    }

    const fn bit(self) -> u8 {
        match self {
            Section::Inbound => 1,
            Section::Backend => 2,
            Section::Outbound => 4,
            Section::OnError => 8,
        }
    }
}

/// A set of sections: where APIM allows a policy.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sections(u8);

impl Sections {
    /// No section: the element is not a statement of a `<policies>` document (GraphQL
    /// resolvers are documents of their own).
    pub const NONE: Sections = Sections(0);
    /// `<inbound>` only.
    pub const INBOUND: Sections = Sections(Section::Inbound.bit());
    /// `<backend>` only.
    pub const BACKEND: Sections = Sections(Section::Backend.bit());
    /// `<outbound>` only.
    pub const OUTBOUND: Sections = Sections(Section::Outbound.bit());
    /// `<on-error>` only.
    pub const ON_ERROR: Sections = Sections(Section::OnError.bit());
    /// Every section.
    pub const ALL: Sections = Sections(0b1111);

    /// The union of two sets.
    pub const fn and(self, other: Sections) -> Sections {
        Sections(self.0 | other.0)
    }

    /// Whether `section` is in the set.
    pub fn contains(self, section: Section) -> bool {
        self.0 & section.bit() != 0
    }

    /// The sections in pipeline order.
    pub fn iter(self) -> impl Iterator<Item = Section> {
        Section::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl fmt::Display for Sections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.iter().map(Section::name).collect();
        if names.is_empty() {
            return f.write_str("no section");
        }
        f.write_str(&names.join(", "))
    }
}

impl fmt::Debug for Sections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sections({self})")
    }
}

/// An element APIM knows: a policy, or a configuration element inside one.
#[derive(Debug)]
pub struct ElementSpec {
    /// The element name.
    pub name: &'static str,
    /// The attributes it may have. Every policy also takes an optional `id` (reported as
    /// `context.LastError.PolicyId`), which is not listed.
    pub attributes: &'static [AttributeSpec],
    /// What may appear between its tags.
    pub content: Content,
    /// For policies, the sections where APIM allows it; for configuration elements
    /// [`Sections::NONE`].
    pub sections: Sections,
    /// Whether this gateway can run it.
    pub support: Support,
}

impl ElementSpec {
    /// The attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&'static AttributeSpec> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

/// An attribute of an element.
#[derive(Debug)]
pub struct AttributeSpec {
    /// The attribute name.
    pub name: &'static str,
    /// Whether the element must have it.
    pub required: bool,
    /// Whether its value may be a `@(...)` or `@{...}` policy expression.
    pub expressions: bool,
    /// What a literal value must look like.
    pub values: ValueType,
}

/// What a literal attribute value must look like. Values holding `{{named-value}}` references
/// are only checked after substitution, which is not this module's job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// Any text.
    Text,
    /// `true` or `false`, in any letter case (.NET parsing).
    Boolean,
    /// A whole number, optionally signed.
    Integer,
    /// A decimal number.
    Number,
    /// One of these words, compared without regard to letter case.
    OneOf(&'static [&'static str]),
}

/// What may appear between an element's tags.
#[derive(Clone, Copy, Debug)]
pub enum Content {
    /// Nothing but whitespace.
    Empty,
    /// A value: literal text or one policy expression, no elements.
    Text,
    /// These configuration elements; no text.
    Elements(&'static [Child]),
    /// These configuration elements and text (a message, for example).
    TextAndElements(&'static [Child]),
    /// Policy statements of the enclosing section (`<when>`, `<retry>`).
    Policies,
    /// Anything, kept as raw markup and never read as policies (`set-body`, an XSLT
    /// stylesheet).
    Payload,
}

/// A child element an element may have.
#[derive(Clone, Copy, Debug)]
pub struct Child {
    /// The child's description.
    pub element: &'static ElementSpec,
    /// Whether at least one must be present.
    pub required: bool,
    /// Whether more than one may be present.
    pub repeats: bool,
}

/// Whether this gateway can run an element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// The gateway implements it (or will, from the document alone).
    Native,
    /// It needs something the gateway does not have, named here (for the message "not
    /// supported by this gateway: needs ...").
    Unsupported(&'static str),
}

#[cfg(test)]
mod tests;
