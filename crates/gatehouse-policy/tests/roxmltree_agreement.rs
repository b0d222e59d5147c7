//! On the corpus files that are well-formed XML, the tolerant reader must build the same tree
//! as a strict parser: same names, attribute values, text and positions.

mod support;

use gatehouse_policy::reader::{self, Element, Node, Position};

#[test]
fn the_reader_agrees_with_roxmltree_on_well_formed_corpus_files() {
    let Some(corpus) = support::corpus_dir() else {
        return;
    };
    let mut compared = 0;

    for (file, text) in support::policy_files(&corpus) {
        let Ok(strict) = roxmltree::Document::parse(&text) else {
            continue;
        };
        let (document, diagnostics) = reader::read(&text);
        assert!(diagnostics.is_empty(), "{file}: {diagnostics:?}");

        let ours = &document.elements;
        assert_eq!(ours.len(), 1, "{file}: one root element");
        compare(
            &Pair {
                file: &file,
                strict: &strict,
            },
            &ours[0],
            strict.root_element(),
        );
        compared += 1;
    }

    println!("compared {compared} well-formed files");
    assert!(
        compared >= 200,
        "only {compared} well-formed files were compared"
    );
}

struct Pair<'a, 'input> {
    file: &'a str,
    strict: &'a roxmltree::Document<'input>,
}

impl Pair<'_, '_> {
    /// roxmltree's position of `offset`, without its count of the byte order mark as a column.
    fn position(&self, offset: usize) -> Position {
        let pos = self.strict.text_pos_at(offset);
        let bom = pos.row == 1 && self.strict.input_text().starts_with('\u{feff}');
        Position {
            line: pos.row,
            column: pos.col - u32::from(bom),
        }
    }
}

fn compare(pair: &Pair<'_, '_>, ours: &Element, strict: roxmltree::Node<'_, '_>) {
    let here = format!("{}: <{}> at {}", pair.file, ours.name, ours.position);
    assert_eq!(
        local_name(&ours.name),
        strict.tag_name().name(),
        "{here}: name"
    );
    assert_eq!(
        ours.position,
        pair.position(strict.range().start),
        "{here}: position"
    );
    assert_eq!(
        ours.span.end,
        strict.range().end,
        "{here}: end of the element"
    );

    compare_attributes(pair, ours, strict, &here);
    assert_eq!(own_text(ours), strict_text(strict), "{here}: text");

    let strict_children: Vec<_> = strict.children().filter(|n| n.is_element()).collect();
    assert_eq!(
        ours.elements().count(),
        strict_children.len(),
        "{here}: child elements"
    );
    for (child, strict_child) in ours.elements().zip(strict_children) {
        compare(pair, child, strict_child);
    }
}

fn compare_attributes(
    pair: &Pair<'_, '_>,
    ours: &Element,
    strict: roxmltree::Node<'_, '_>,
    here: &str,
) {
    let ours: Vec<_> = ours
        .attributes
        .iter()
        .filter(|a| !is_namespace_declaration(&a.name))
        .collect();
    let strict: Vec<_> = strict.attributes().collect();
    assert_eq!(ours.len(), strict.len(), "{here}: attribute count");

    for (attribute, expected) in ours.into_iter().zip(strict) {
        let name = &attribute.name;
        assert_eq!(local_name(name), expected.name(), "{here}: attribute name");
        assert_eq!(
            normalised(&attribute.value.text),
            expected.value(),
            "{here}: value of {name}"
        );
        assert_eq!(
            attribute.position,
            pair.position(expected.range().start),
            "{here}: position of {name}"
        );
        let value_position = pair.position(expected.range_value().start);
        assert_eq!(
            attribute.value.position, value_position,
            "{here}: position of the value of {name}"
        );
    }
}

/// The element's own text and CDATA, concatenated (roxmltree merges them; the reader keeps
/// the pieces a comment separates apart).
fn own_text(element: &Element) -> String {
    element
        .children
        .iter()
        .filter_map(Node::as_text)
        .map(|v| v.text.as_str())
        .collect()
}

fn strict_text(node: roxmltree::Node<'_, '_>) -> String {
    node.children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

/// XML attribute-value normalisation, which the reader deliberately skips (see `reader`).
fn normalised(value: &str) -> String {
    value.replace(['\n', '\t'], " ")
}

fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn is_namespace_declaration(name: &str) -> bool {
    name == "xmlns" || name.starts_with("xmlns:")
}

/// On the files that are not well-formed, escaping the raw characters inside the expressions the
/// reader found (and dropping comments) must give well-formed XML with the same tree: evidence
/// that the reader found the right end of every expression.
#[test]
fn escaping_the_expressions_the_reader_found_makes_ill_formed_files_well_formed() {
    let Some(corpus) = support::corpus_dir() else {
        return;
    };
    let mut repaired = 0;

    for (file, text) in support::policy_files(&corpus) {
        let (document, _) = reader::read(&text);
        let single_root = document.elements.len() == 1;
        if roxmltree::Document::parse(&text).is_ok() || !single_root {
            continue;
        }

        let escaped = strip_comments(&escape_expressions(&text, &document.elements[0]));
        let strict = roxmltree::Document::parse(&escaped)
            .unwrap_or_else(|e| panic!("{file}: still not well-formed after escaping: {e}"));
        compare_content(&file, &document.elements[0], strict.root_element());
        repaired += 1;
    }

    println!("repaired {repaired} ill-formed files");
    assert!(
        repaired >= 100,
        "only {repaired} ill-formed files were checked"
    );
}

/// Replaces the raw text of every expression value with its XML-escaped decoded text.
fn escape_expressions(text: &str, root: &Element) -> String {
    let mut edits = Vec::new();
    collect_expression_edits(root, &mut edits);
    edits.sort_by_key(|(start, _, _)| *start);

    let mut out = String::with_capacity(text.len() * 2);
    let mut copied = 0;
    for (start, end, replacement) in edits {
        out.push_str(&text[copied..start]);
        out.push_str(&replacement);
        copied = end;
    }
    out.push_str(&text[copied..]);
    out
}

fn collect_expression_edits(element: &Element, edits: &mut Vec<(usize, usize, String)>) {
    let attribute_values = element.attributes.iter().map(|a| &a.value);
    let texts = element.children.iter().filter_map(|n| match n {
        Node::Text(value) => Some(value),
        _ => None,
    });

    for value in attribute_values.chain(texts).filter(|v| v.is_expression()) {
        edits.push((value.span.start, value.span.end, xml_escape(&value.text)));
    }
    for child in element.elements() {
        collect_expression_edits(child, edits);
    }
}

/// Removes comments, which strict XML refuses when they contain `--` (one corpus file nests
/// `<!--`); after escaping, every `<!--` left starts a real comment.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("-->")
            .map_or(rest.len(), |e| start + e + 3);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// Like [`compare`] without positions, which the escaped copy shifts.
fn compare_content(file: &str, ours: &Element, strict: roxmltree::Node<'_, '_>) {
    let here = format!("{file}: <{}> at {}", ours.name, ours.position);
    assert_eq!(
        local_name(&ours.name),
        strict.tag_name().name(),
        "{here}: name"
    );
    assert_eq!(own_text(ours), strict_text(strict), "{here}: text");

    let ours_attributes: Vec<_> = ours
        .attributes
        .iter()
        .filter(|a| !is_namespace_declaration(&a.name))
        .collect();
    let strict_attributes: Vec<_> = strict.attributes().collect();
    assert_eq!(
        ours_attributes.len(),
        strict_attributes.len(),
        "{here}: attribute count"
    );
    for (attribute, expected) in ours_attributes.into_iter().zip(strict_attributes) {
        assert_eq!(
            normalised(&attribute.value.text),
            expected.value(),
            "{here}: {}",
            attribute.name
        );
    }

    let strict_children: Vec<_> = strict.children().filter(|n| n.is_element()).collect();
    assert_eq!(
        ours.elements().count(),
        strict_children.len(),
        "{here}: child elements"
    );
    for (child, strict_child) in ours.elements().zip(strict_children) {
        compare_content(file, child, strict_child);
    }
}
