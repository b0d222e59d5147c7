//! The effective policy of an operation as text: every scope's document joined at `<base/>`,
//! the way the gateway joins the compiled steps (`gatehouse_policy::pipeline::Pipeline`).
//!
//! APIM's portal shows this view ("Calculate effective policy") because a `<base/>` chain is
//! hard to follow across four documents. The text is spliced from the stored documents
//! exactly as written, each statement marked with the scope it came from, so what the reader
//! sees is what the author wrote and not a re-serialisation.

use gatehouse_policy::reader::Element;
use gatehouse_policy::{Document, read};

/// The sections, in the order APIM writes them.
const SECTIONS: [&str; 4] = ["inbound", "backend", "outbound", "on-error"];

/// The label of APIM's implicit global backend section.
const DEFAULT_LABEL: &str = "default (no global backend section)";

/// One scope's policy document, broadest first, with the label shown beside its statements.
#[derive(Debug, Clone)]
pub struct Layer<'a> {
    /// Shown in a comment before the statements from this document (`api echo-api`).
    pub label: String,
    /// The document's text; `None` when the scope has no document.
    pub text: Option<&'a str>,
}

/// One top-level statement of a section, dedented, with the label of its document.
#[derive(Debug, Clone)]
struct Piece {
    label: String,
    text: String,
}

/// The joined document. `layers` go from global to operation; a missing document or section
/// inherits the broader one unchanged, and a global document's `<base/>` adds nothing.
pub fn effective_policy(layers: &[Layer<'_>]) -> String {
    let documents: Vec<(String, Option<Document>)> = layers
        .iter()
        .map(|layer| (layer.label.clone(), layer.text.map(|t| read(t).0)))
        .collect();

    let mut out = String::from("<policies>\n");
    for section in SECTIONS {
        let pieces = join_section(&documents, section);
        render_section(&mut out, section, &pieces);
    }
    out.push_str("</policies>\n");
    out
}

fn join_section(documents: &[(String, Option<Document>)], section: &str) -> Vec<Piece> {
    let mut pieces = match section {
        "backend" => vec![Piece {
            label: DEFAULT_LABEL.to_owned(),
            text: "<forward-request />".to_owned(),
        }],
        _ => Vec::new(),
    };
    for (index, (label, document)) in documents.iter().enumerate() {
        let Some(document) = document else { continue };
        let Some(element) = section_of(document, section) else {
            continue;
        };
        let parent = if index == 0 { Vec::new() } else { pieces };
        pieces = expand(document, element, label, parent);
    }
    pieces
}

fn section_of<'d>(document: &'d Document, section: &str) -> Option<&'d Element> {
    document.root()?.elements().find(|e| e.name == section)
}

/// The section's statements with `<base/>` replaced by the parent's.
fn expand(document: &Document, section: &Element, label: &str, parent: Vec<Piece>) -> Vec<Piece> {
    let mut parent = Some(parent);
    let mut pieces = Vec::new();
    for statement in section.elements() {
        if statement.name == "base" {
            pieces.extend(parent.take().unwrap_or_default());
            continue;
        }
        pieces.push(Piece {
            label: label.to_owned(),
            text: dedent(document.slice(statement.span), statement.position.column),
        });
    }
    pieces
}

/// Removes the statement's own indentation from its continuation lines.
fn dedent(text: &str, column: u32) -> String {
    let indent = usize::try_from(column.saturating_sub(1)).unwrap_or(0);
    let mut lines = text.lines();
    let mut out = lines.next().unwrap_or_default().to_owned();
    for line in lines {
        let blank_prefix = line
            .char_indices()
            .take(indent)
            .take_while(|(_, c)| *c == ' ' || *c == '\t')
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8());
        out.push('\n');
        out.push_str(&line[blank_prefix..]);
    }
    out
}

fn render_section(out: &mut String, section: &str, pieces: &[Piece]) {
    if pieces.is_empty() {
        out.push_str(&format!("    <{section} />\n"));
        return;
    }
    out.push_str(&format!("    <{section}>\n"));
    let mut current: Option<&str> = None;
    for piece in pieces {
        if current != Some(piece.label.as_str()) {
            out.push_str(&format!("        <!-- from {} -->\n", piece.label));
            current = Some(&piece.label);
        }
        for line in piece.text.lines() {
            out.push_str("        ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str(&format!("    </{section}>\n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer<'a>(label: &str, text: Option<&'a str>) -> Layer<'a> {
        Layer {
            label: label.to_owned(),
            text,
        }
    }

    #[test]
    fn without_documents_the_backend_forwards() {
        let text = effective_policy(&[layer("global", None)]);

        assert!(text.contains("<inbound />"), "{text}");
        assert!(text.contains("<forward-request />"), "{text}");
    }

    #[test]
    fn base_is_replaced_by_the_broader_scope_and_statements_are_labelled() {
        let global = "<policies><inbound><set-header name=\"a\" exists-action=\"override\"><value>1</value></set-header></inbound></policies>";
        let api = "<policies>\n  <inbound>\n    <base />\n    <choose>\n      <when condition=\"@(true)\">\n        <return-response />\n      </when>\n    </choose>\n  </inbound>\n</policies>";

        let text = effective_policy(&[
            layer("global", Some(global)),
            layer("api echo-api", Some(api)),
        ]);

        let inbound = &text[text.find("<inbound>").unwrap()..text.find("</inbound>").unwrap()];
        let header = inbound.find("set-header").unwrap();
        let choose = inbound.find("<choose>").unwrap();
        assert!(header < choose, "{text}");
        assert!(inbound.contains("<!-- from global -->"), "{text}");
        assert!(inbound.contains("<!-- from api echo-api -->"), "{text}");
        assert!(
            inbound.contains("        <choose>\n          <when"),
            "{text}"
        );
        assert!(!inbound.contains("<base"), "{text}");
    }

    #[test]
    fn a_section_without_base_drops_the_broader_one() {
        let global = "<policies><backend><forward-request timeout=\"5\" /></backend></policies>";
        let operation = "<policies><backend><return-response /></backend></policies>";

        let text = effective_policy(&[
            layer("global", Some(global)),
            layer("api", None),
            layer("operation", Some(operation)),
        ]);

        assert!(!text.contains("forward-request"), "{text}");
        assert!(text.contains("<return-response />"), "{text}");
    }
}
