//! `<include-fragment fragment-id="x"/>`: a policy fragment's statements, compiled in place.
//!
//! APIM inserts a fragment's statements where it is included, so the compiler does the same:
//! the fragment is read, checked and compiled in the including section, and its steps join the
//! including block. A problem inside the fragment is reported at the `include-fragment`
//! element, naming the fragment and the line and column in it. Fragments cannot include
//! fragments (the schema check refuses it), so inclusion never recurses.

use crate::compile::{Compiler, Environment, Step};
use crate::reader::{self, Code, Diagnostic, Document, Element};
use crate::runtime::Section;
use crate::schema::{self, Content};

/// The steps of the fragment `element` includes, compiled for `section`.
pub(super) fn include(
    cx: &mut Compiler<'_>,
    element: &Element,
    section: Section,
    path: &str,
) -> Vec<Step> {
    let Some(id) = element
        .attribute("fragment-id")
        .map(|a| a.value.text.trim())
    else {
        return Vec::new();
    };
    let Some(source) = cx.env.fragment(id).cloned() else {
        let message = format!("policy fragment '{id}' is not defined");
        cx.error(element.position, Code::InvalidValue, message);
        return Vec::new();
    };

    let document = match read(&source) {
        Ok(document) => document,
        Err(diagnostics) => {
            report(cx, element, id, diagnostics);
            return Vec::new();
        }
    };
    let Some(root) = document.root() else {
        return Vec::new();
    };
    let mut misplaced = Vec::new();
    for statement in root.elements() {
        check_section(statement, section, &mut misplaced);
    }
    if !misplaced.is_empty() {
        report(cx, element, id, misplaced);
        return Vec::new();
    }

    let mut inner = Compiler::new(&document, cx.scope, cx.env);
    let steps = inner.block(root, section, &format!("{path}/"));
    cx.secrets.append(&mut inner.secrets);
    if let Err(diagnostics) = inner.finish() {
        report(cx, element, id, diagnostics);
    }
    steps
}

/// Checks a fragment on its own: it reads, validates, and each statement compiles in the
/// first section that allows it.
pub(super) fn check(source: &str, env: &Environment) -> Result<(), Vec<Diagnostic>> {
    let document = read(source)?;
    let Some(root) = document.root() else {
        return Ok(());
    };

    let mut cx = Compiler::new(&document, super::ScopeLevel::Global, env);
    for (index, statement) in root.elements().enumerate() {
        let section = schema::policy(&statement.name).and_then(|spec| spec.sections.iter().next());
        if let Some(section) = section {
            let path = format!("{}[{}]", statement.name, index + 1);
            crate::elements::compile(statement, &mut cx, section, &path);
        }
    }
    cx.finish()
}

/// Reads and validates fragment text; the root must be `<fragment>`.
fn read(source: &str) -> Result<Document, Vec<Diagnostic>> {
    let (document, mut diagnostics) = reader::read(source);
    diagnostics.extend(schema::validate(&document));
    if let Some(root) = document.root()
        && root.name != "fragment"
    {
        let message = format!(
            "a policy fragment's root element must be <fragment>, not <{}>",
            root.name
        );
        diagnostics.push(Diagnostic::new(root.position, Code::InvalidRoot, message));
    }
    if diagnostics.is_empty() {
        Ok(document)
    } else {
        Err(diagnostics)
    }
}

/// Reports problems of fragment `id` at the including element.
fn report(cx: &mut Compiler<'_>, element: &Element, id: &str, diagnostics: Vec<Diagnostic>) {
    let located = diagnostics.into_iter().map(|d| {
        let message = format!(
            "in policy fragment '{id}' at {}:{}: {}",
            d.line, d.column, d.message
        );
        Diagnostic::new(element.position, d.code, message)
    });
    cx.absorb(located.collect());
}

/// Reports `statement`, and the statements nested in it, when `section` does not allow them.
fn check_section(statement: &Element, section: Section, out: &mut Vec<Diagnostic>) {
    let Some(spec) = schema::policy(&statement.name) else {
        return;
    };
    if !spec.sections.contains(section) {
        let message = format!(
            "<{}> is not allowed in <{}>, where the fragment is included; APIM allows it in {}",
            spec.name,
            section.name(),
            spec.sections
        );
        out.push(Diagnostic::new(
            statement.position,
            Code::WrongSection,
            message,
        ));
    }
    for nested in nested_statements(statement, spec.content) {
        check_section(nested, section, out);
    }
}

/// The statements directly inside `statement`: a `choose`'s branches, a `wait`'s children, or
/// the body of a container such as `retry`.
fn nested_statements(statement: &Element, content: Content) -> Vec<&Element> {
    match (statement.name.as_str(), content) {
        ("choose", _) => statement.elements().flat_map(Element::elements).collect(),
        ("wait", _) | (_, Content::Policies) => statement.elements().collect(),
        _ => Vec::new(),
    }
}
