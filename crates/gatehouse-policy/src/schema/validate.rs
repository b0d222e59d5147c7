//! Checking a read document against the policy table.

use super::{
    AttributeSpec, Child, Content, ElementSpec, Section, Sections, ValueType, policies, policy,
    suggest,
};
use crate::reader::{Attribute, Code, Diagnostic, Document, Element, Position, Value};

/// Checks `document` against APIM's policy elements and reports every problem found, each
/// with its line and column, in document order.
///
/// The root must be `<policies>`, holding `inbound`, `backend`, `outbound` and `on-error` in
/// any order and each at most once, or `<fragment>`, holding policy statements. Every element
/// must be known where it stands, with known attributes, its required attributes and children,
/// and literal values of the right form; a policy must be in a section where APIM allows it.
/// `<base/>` may appear once, directly inside a section of `<policies>`. Payloads (the content
/// of `set-body`, XSLT stylesheets) are not read as policies.
///
/// Unsupported policies are not reported here: see [`ElementSpec::support`].
pub fn validate(document: &Document) -> Vec<Diagnostic> {
    let mut checker = Checker {
        document,
        diagnostics: Vec::new(),
    };
    checker.document();
    checker.diagnostics
}

/// Where statements are being checked.
#[derive(Clone, Copy, Debug)]
struct Place {
    /// The section, when known: not in fragments and snippets.
    section: Option<Section>,
    /// Directly inside the section or fragment, where `<base/>` may stand.
    top: bool,
    /// Inside a `<fragment>`.
    fragment: bool,
}

impl Place {
    const FRAGMENT: Place = Place {
        section: None,
        top: true,
        fragment: true,
    };
    const SNIPPET: Place = Place {
        section: None,
        top: false,
        fragment: false,
    };

    fn section(section: Section) -> Place {
        Place {
            section: Some(section),
            top: true,
            fragment: false,
        }
    }

    fn nested(self) -> Place {
        Place { top: false, ..self }
    }
}

struct Checker<'d> {
    document: &'d Document,
    diagnostics: Vec<Diagnostic>,
}

// ----- document structure -----

impl Checker<'_> {
    fn document(&mut self) {
        let Some((root, others)) = self.document.elements.split_first() else {
            return;
        };

        let is_document = matches!(root.name.as_str(), "policies" | "fragment");
        match root.name.as_str() {
            "policies" => self.policies(root),
            "fragment" => self.fragment(root),
            _ => self.snippet(root),
        }
        for other in others {
            self.further_root(other, is_document);
        }
    }

    fn policies(&mut self, root: &Element) {
        self.no_attributes(root);
        self.no_text(root);

        let mut seen = Vec::new();
        for child in root.elements() {
            match Section::from_name(&child.name) {
                Some(section) => self.section(child, section, &mut seen),
                None => self.not_a_section(child),
            }
        }
    }

    fn section(
        &mut self,
        element: &Element,
        section: Section,
        seen: &mut Vec<(Section, Position)>,
    ) {
        match seen.iter().find(|(s, _)| *s == section) {
            Some((_, first)) => {
                let message = format!(
                    "section <{}> appears twice in <policies>; the first is at {first}",
                    section.name()
                );
                self.report(element.position, Code::InvalidSection, message);
            }
            None => seen.push((section, element.position)),
        }

        self.no_attributes(element);
        self.statements(element, Place::section(section));
    }

    fn not_a_section(&mut self, element: &Element) {
        let name = &element.name;
        let message = if policy(name).is_some() || name == "base" {
            format!(
                "<{name}> must be inside a section: <policies> holds only <inbound>, <backend>, <outbound> and <on-error>"
            )
        } else {
            let hint = suggest::hint(name, Section::ALL.map(Section::name));
            format!(
                "<{name}> is not a section of <policies>: expected inbound, backend, outbound or on-error{hint}"
            )
        };
        self.report(element.position, Code::InvalidSection, message);
    }

    fn fragment(&mut self, root: &Element) {
        self.no_attributes(root);
        self.statements(root, Place::FRAGMENT);
    }

    /// A documentation snippet: policy statements with no `<policies>` around them.
    fn snippet(&mut self, root: &Element) {
        let message = format!(
            "the root element must be <policies> (or <fragment> for a policy fragment), not <{}>",
            root.name
        );
        self.report(root.position, Code::InvalidRoot, message);

        if policy(&root.name).is_some() {
            self.statement(root, Place::SNIPPET);
        }
    }

    /// Another top-level element: reported after a real root, only checked after a snippet's
    /// first statement (whose diagnostic already says what is wrong).
    fn further_root(&mut self, element: &Element, after_document: bool) {
        if after_document {
            let message = format!(
                "a policy document has one root element; <{}> comes after it",
                element.name
            );
            self.report(element.position, Code::InvalidRoot, message);
        }
        if policy(&element.name).is_some() {
            self.statement(element, Place::SNIPPET);
        }
    }
}

// ----- statements -----

impl Checker<'_> {
    fn statements(&mut self, container: &Element, place: Place) {
        self.no_text(container);

        let mut base = None;
        for child in container.elements() {
            if child.name == "base" {
                self.base(child, place, &mut base);
            } else {
                self.statement(child, place);
            }
        }
    }

    fn statement(&mut self, element: &Element, place: Place) {
        let Some(spec) = policy(&element.name) else {
            self.unknown_statement(element, place);
            return;
        };

        self.check_section(element, spec, place);
        if place.fragment && spec.name == "include-fragment" {
            let message = "a policy fragment cannot include another fragment";
            self.report(element.position, Code::ElementNotAllowed, message);
        }
        self.element(element, spec, place.nested());
    }

    fn unknown_statement(&mut self, element: &Element, place: Place) {
        let name = &element.name;
        let (code, message) = if Section::from_name(name).is_some() {
            let container = if place.fragment {
                "a policy fragment"
            } else {
                "another section or policy"
            };
            (
                Code::InvalidSection,
                format!("section <{name}> cannot be inside {container}"),
            )
        } else {
            let hint = suggest::hint(name, policies().iter().map(|p| p.name).chain(["base"]));
            (
                Code::UnknownElement,
                format!("unknown policy <{name}>{hint}"),
            )
        };
        self.report(element.position, code, message);
    }

    fn check_section(&mut self, element: &Element, spec: &ElementSpec, place: Place) {
        let Some(section) = place.section else { return };
        if spec.sections.contains(section) {
            return;
        }

        let message = if spec.sections == Sections::NONE {
            format!(
                "<{}> cannot be used in a policy section (it belongs in a GraphQL resolver)",
                spec.name
            )
        } else {
            format!(
                "<{}> is not allowed in <{}>; APIM allows it in {}",
                spec.name,
                section.name(),
                spec.sections
            )
        };
        self.report(element.position, Code::WrongSection, message);
    }

    fn base(&mut self, element: &Element, place: Place, seen: &mut Option<Position>) {
        match base_misplaced(place, *seen) {
            Some(message) => self.report(element.position, Code::InvalidBase, message),
            None => *seen = Some(element.position),
        }

        let has_content = !element.attributes.is_empty()
            || element.meaningful_texts().next().is_some()
            || element.elements().next().is_some();
        if has_content {
            self.report(
                element.position,
                Code::InvalidBase,
                "<base/> takes no attributes and no content",
            );
        }
    }
}

/// Why `<base/>` cannot stand at `place`, given where the section's first one stood.
fn base_misplaced(place: Place, first: Option<Position>) -> Option<String> {
    if place.fragment {
        return Some("<base/> is not allowed in a policy fragment".to_owned());
    }
    if !place.top {
        return Some(
            "<base/> must be a direct child of <inbound>, <backend>, <outbound> or <on-error>"
                .to_owned(),
        );
    }
    first.map(|first| format!("<base/> appears twice in this section; the first is at {first}"))
}

// ----- elements against their description -----

impl Checker<'_> {
    fn element(&mut self, element: &Element, spec: &'static ElementSpec, place: Place) {
        self.attributes(element, spec);

        match spec.content {
            Content::Empty => {
                self.no_text(element);
                self.children(element, &[], place);
            }
            Content::Text => self.children(element, &[], place),
            Content::Elements(children) => {
                self.no_text(element);
                self.children(element, children, place);
            }
            Content::TextAndElements(children) => self.children(element, children, place),
            Content::Policies => self.statements(element, place),
            Content::Payload => {}
        }
    }

    fn children(&mut self, element: &Element, allowed: &[Child], place: Place) {
        let mut counts = vec![0usize; allowed.len()];

        for child in element.elements() {
            let Some(index) = allowed.iter().position(|c| c.element.name == child.name) else {
                self.unexpected_child(element, child, allowed);
                continue;
            };

            counts[index] += 1;
            if counts[index] == 2 && !allowed[index].repeats {
                let message = format!(
                    "<{}> may appear only once in <{}>",
                    child.name, element.name
                );
                self.report(child.position, Code::ChildCount, message);
            }
            self.element(child, allowed[index].element, place);
        }

        for (child, _) in allowed
            .iter()
            .zip(counts)
            .filter(|(c, n)| c.required && *n == 0)
        {
            let message = format!(
                "<{}> needs a <{}> child element",
                element.name, child.element.name
            );
            self.report(element.position, Code::ChildCount, message);
        }
    }

    fn unexpected_child(&mut self, parent: &Element, child: &Element, allowed: &[Child]) {
        let names: Vec<_> = allowed.iter().map(|c| c.element.name).collect();
        let hint = suggest::hint(&child.name, names.iter().copied());
        let expected = if names.is_empty() {
            " (it takes no child elements)".to_owned()
        } else {
            format!(" (expected {})", names.join(", "))
        };

        let message = format!(
            "<{}> is not allowed in <{}>{hint}{expected}",
            child.name, parent.name
        );
        self.report(child.position, Code::ElementNotAllowed, message);
    }
}

// ----- attributes -----

impl Checker<'_> {
    fn attributes(&mut self, element: &Element, spec: &'static ElementSpec) {
        for attribute in &element.attributes {
            self.attribute(element, spec, attribute);
        }

        for required in spec.attributes.iter().filter(|a| a.required) {
            if element.attribute(required.name).is_none() {
                let message = format!(
                    "<{}> is missing the required attribute '{}'",
                    element.name, required.name
                );
                self.report(element.position, Code::MissingAttribute, message);
            }
        }
    }

    fn attribute(&mut self, element: &Element, spec: &'static ElementSpec, attribute: &Attribute) {
        let name = attribute.name.as_str();
        let policy_id = name == "id" && is_policy(spec);
        if policy_id || is_namespace_declaration(name) {
            return;
        }

        match spec.attribute(name) {
            Some(attribute_spec) => self.attribute_value(element, attribute_spec, attribute),
            None => self.unknown_attribute(element, spec, attribute),
        }
    }

    fn unknown_attribute(&mut self, element: &Element, spec: &ElementSpec, attribute: &Attribute) {
        let known = spec.attributes.iter().map(|a| a.name);
        let hint = suggest::hint(&attribute.name, known);
        let message = format!(
            "attribute '{}' is not allowed on <{}>{hint}",
            attribute.name, element.name
        );
        self.report(attribute.position, Code::UnknownAttribute, message);
    }

    fn attribute_value(&mut self, element: &Element, spec: &AttributeSpec, attribute: &Attribute) {
        let value = &attribute.value;
        if value.is_expression() {
            if !spec.expressions {
                let message = format!(
                    "attribute '{}' of <{}> does not allow policy expressions",
                    attribute.name, element.name
                );
                self.report(value.position, Code::ExpressionNotAllowed, message);
            }
            return;
        }

        // A named value is substituted before the value means anything.
        if !value.named_values.is_empty() || literal_fits(spec.values, &value.text) {
            return;
        }
        let message = format!(
            "'{}' is not a valid value for attribute '{}' of <{}>: expected {}",
            value.text.trim(),
            attribute.name,
            element.name,
            describe(spec.values)
        );
        self.report(value.position, Code::InvalidValue, message);
    }
}

fn literal_fits(values: ValueType, text: &str) -> bool {
    let text = text.trim();
    match values {
        ValueType::Text => true,
        ValueType::Boolean => {
            text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false")
        }
        ValueType::Integer => is_integer(text),
        ValueType::Number => text.parse::<f64>().is_ok_and(f64::is_finite),
        ValueType::OneOf(words) => words.iter().any(|w| w.eq_ignore_ascii_case(text)),
    }
}

fn is_integer(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn describe(values: ValueType) -> String {
    match values {
        ValueType::Text => "text".to_owned(),
        ValueType::Boolean => "true or false".to_owned(),
        ValueType::Integer => "a whole number".to_owned(),
        ValueType::Number => "a number".to_owned(),
        ValueType::OneOf(words) => format!("one of {}", words.join(", ")),
    }
}

fn is_policy(spec: &ElementSpec) -> bool {
    policies().iter().any(|p| std::ptr::eq(*p, spec))
}

fn is_namespace_declaration(name: &str) -> bool {
    name == "xmlns" || name.starts_with("xmlns:")
}

// ----- shared checks and reporting -----

impl Checker<'_> {
    fn no_attributes(&mut self, element: &Element) {
        for attribute in element
            .attributes
            .iter()
            .filter(|a| !is_namespace_declaration(&a.name))
        {
            let message = format!(
                "attribute '{}' is not allowed on <{}>",
                attribute.name, element.name
            );
            self.report(attribute.position, Code::UnknownAttribute, message);
        }
    }

    /// Reports the first piece of non-whitespace text in `element`, where none is allowed.
    fn no_text(&mut self, element: &Element) {
        let Some(text) = element.meaningful_texts().next() else {
            return;
        };

        let message = format!("text is not allowed in <{}>", element.name);
        let position = self.first_visible(text);
        self.report(position, Code::TextNotAllowed, message);
    }

    /// Where the first non-whitespace character of `value` is.
    fn first_visible(&self, value: &Value) -> Position {
        let leading = value.text.len() - value.text.trim_start().len();
        self.document.position(value.source_offset(leading))
    }

    fn report(&mut self, position: Position, code: Code, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::new(position, code, message));
    }
}
