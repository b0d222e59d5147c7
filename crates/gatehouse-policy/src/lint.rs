//! Warnings for policy authors (`gatehouse policy check`, the management API's `validate`):
//! mistakes that compile but do not do what their author meant, most of them around
//! client-certificate thumbprints.
//!
//! - invisible characters (a thumbprint copied from Windows' certificate dialog often starts
//!   with U+200E, which then never matches);
//! - a 40-hex thumbprint literal with spaces, colons or lowercase letters (`Thumbprint` is
//!   uppercase hex without separators);
//! - `set-status` in inbound outside `return-response` (it does not stop the pipeline: the
//!   backend's response replaces it);
//! - a case-sensitive comparison of `Thumbprint` with a literal that is not uppercase.

use crate::reader::Element;

/// One warning, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// What looks wrong and what to do.
    pub message: String,
}

/// Characters that render as nothing but change what text compares equal to.
const INVISIBLE: [(char, &str); 14] = [
    ('\u{00AD}', "SOFT HYPHEN"),
    ('\u{200B}', "ZERO WIDTH SPACE"),
    ('\u{200C}', "ZERO WIDTH NON-JOINER"),
    ('\u{200D}', "ZERO WIDTH JOINER"),
    ('\u{200E}', "LEFT-TO-RIGHT MARK"),
    ('\u{200F}', "RIGHT-TO-LEFT MARK"),
    ('\u{202A}', "LEFT-TO-RIGHT EMBEDDING"),
    ('\u{202B}', "RIGHT-TO-LEFT EMBEDDING"),
    ('\u{202C}', "POP DIRECTIONAL FORMATTING"),
    ('\u{202D}', "LEFT-TO-RIGHT OVERRIDE"),
    ('\u{202E}', "RIGHT-TO-LEFT OVERRIDE"),
    ('\u{2060}', "WORD JOINER"),
    ('\u{2066}', "LEFT-TO-RIGHT ISOLATE"),
    ('\u{FEFF}', "ZERO WIDTH NO-BREAK SPACE (byte order mark)"),
];

/// Every warning for a policy document, in text order.
pub fn lint(text: &str) -> Vec<Warning> {
    let mut warnings = Vec::new();
    invisible_characters(text, &mut warnings);
    thumbprint_literals(text, &mut warnings);
    thumbprint_comparisons(text, &mut warnings);
    status_without_return(text, &mut warnings);
    jwt_that_refuses_everything(text, &mut warnings);
    literal_credentials(text, &mut warnings);
    warnings.sort_by_key(|w| (w.line, w.column));
    warnings
}

fn warn(text: &str, offset: usize, message: String) -> Warning {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let mut column = text[line_start..offset].chars().count() + 1;
    // A leading byte order mark is not a column, as the reader counts them.
    if line_start == 0 && offset > 0 && text.starts_with('\u{FEFF}') {
        column -= 1;
    }
    Warning {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
        message,
    }
}

fn invisible_characters(text: &str, out: &mut Vec<Warning>) {
    for (offset, c) in text.char_indices() {
        // A byte order mark at the very start is how some editors save UTF-8: harmless.
        if offset == 0 && c == '\u{FEFF}' {
            continue;
        }
        if let Some((_, name)) = INVISIBLE.iter().find(|(i, _)| *i == c) {
            let message = format!(
                "invisible character U+{:04X} ({name}); text around it will not compare equal to what it looks like (thumbprints copied from a certificate dialog often start with U+200E)",
                u32::from(c)
            );
            out.push(warn(text, offset, message));
        }
    }
}

/// Runs of 40 hex digits, optionally in pairs separated by spaces, colons or invisible
/// characters, that are not plain uppercase hex.
fn thumbprint_literals(text: &str, out: &mut Vec<Warning>) {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (offset, c) = chars[i];
        let starts_run =
            c.is_ascii_hexdigit() && (i == 0 || !chars[i - 1].1.is_ascii_alphanumeric());
        if !starts_run {
            i += 1;
            continue;
        }
        let (end, digits, separated) = hex_run(&chars, i);
        let ends_run = chars
            .get(end)
            .is_none_or(|(_, c)| !c.is_ascii_alphanumeric());
        let run: String = chars[i..end].iter().map(|(_, c)| c).collect();
        let lowercase = run.chars().any(|c| c.is_ascii_lowercase());
        let thumbprint_line = line_of(text, offset)
            .to_ascii_lowercase()
            .contains("thumbprint");
        if digits == 40 && ends_run && (separated || (lowercase && thumbprint_line)) {
            let message = format!(
                "thumbprint literal '{}' has {}; certificate thumbprints are 40 uppercase hex digits without separators",
                run.trim(),
                match (separated, lowercase) {
                    (true, true) => "separators and lowercase letters",
                    (true, false) => "separators",
                    _ => "lowercase letters",
                }
            );
            out.push(warn(text, offset, message));
        }
        i = end.max(i + 1);
    }
}

/// Scans hex digits from `start`, allowing one separator between digits; returns where the
/// run ends, how many digits it has, and whether it had separators.
fn hex_run(chars: &[(usize, char)], start: usize) -> (usize, usize, bool) {
    let is_separator = |c: char| c == ' ' || c == ':' || INVISIBLE.iter().any(|(i, _)| *i == c);
    let (mut i, mut digits, mut separated) = (start, 0, false);
    while i < chars.len() {
        let c = chars[i].1;
        if c.is_ascii_hexdigit() {
            digits += 1;
            i += 1;
        } else if is_separator(c)
            && chars.get(i + 1).is_some_and(|(_, n)| n.is_ascii_hexdigit())
            && digits > 0
        {
            separated = true;
            i += 1;
        } else {
            break;
        }
    }
    (i, digits, separated)
}

fn line_of(text: &str, offset: usize) -> &str {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    &text[start..end]
}

/// `Thumbprint == "abc..."`, `"abc..." != x.Thumbprint` and `Thumbprint.Equals("abc...")`
/// (without a `StringComparison`) with a literal that has lowercase letters.
fn thumbprint_comparisons(text: &str, out: &mut Vec<Warning>) {
    for (offset, _) in text.match_indices("Thumbprint") {
        let after = &text[offset + "Thumbprint".len()..];
        let literal = operator_then_literal(after).or_else(|| equals_call_literal(after));
        let literal = literal.or_else(|| literal_then_operator(&text[..offset]));
        if let Some(literal) = literal
            && literal.chars().any(|c| c.is_ascii_lowercase())
        {
            let message = format!(
                "case-sensitive comparison of Thumbprint with \"{literal}\": thumbprints are uppercase, so this never matches; write the literal in uppercase or compare with StringComparison.OrdinalIgnoreCase"
            );
            out.push(warn(text, offset, message));
        }
    }
}

/// `== "literal"` or `!= "literal"` (quotes raw or as `&quot;`).
fn operator_then_literal(after: &str) -> Option<String> {
    let rest = after.trim_start();
    let rest = rest
        .strip_prefix("==")
        .or_else(|| rest.strip_prefix("!="))?;
    string_literal(rest.trim_start())
}

/// `.Equals("literal")` with no second argument.
fn equals_call_literal(after: &str) -> Option<String> {
    let rest = after.trim_start().strip_prefix(".Equals(")?;
    let literal = string_literal(rest.trim_start())?;
    let close = rest.find(')')?;
    (!rest[..close].contains("StringComparison")).then_some(literal)
}

/// `"literal" ==` / `"literal" !=` before a member path ending in `Thumbprint`.
fn literal_then_operator(before: &str) -> Option<String> {
    let path_start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '.' || c == '?' || c == '_'))
        .map_or(0, |i| i + 1);
    let rest = before[..path_start].trim_end();
    let rest = rest
        .strip_suffix("==")
        .or_else(|| rest.strip_suffix("!="))?
        .trim_end();
    let (quote, inner) = if let Some(r) = rest.strip_suffix("&quot;") {
        ("&quot;", r)
    } else {
        ("\"", rest.strip_suffix('"')?)
    };
    let open = inner.rfind(quote)?;
    Some(inner[open + quote.len()..].to_owned())
}

fn string_literal(text: &str) -> Option<String> {
    let (quote, rest) = if let Some(r) = text.strip_prefix("&quot;") {
        ("&quot;", r)
    } else {
        ("\"", text.strip_prefix('"')?)
    };
    let close = rest.find(quote)?;
    Some(rest[..close].to_owned())
}

/// `set-status` directly in inbound (or in a branch there), not inside `return-response`.
fn status_without_return(text: &str, out: &mut Vec<Warning>) {
    let (document, _) = crate::read(text);
    let Some(root) = document.root() else {
        return;
    };
    for section in root.elements().filter(|e| e.name == "inbound") {
        statuses(section, &mut |element| {
            let message = "set-status in inbound does not stop the pipeline: the request is still forwarded and the backend's response replaces this status; put it in <return-response> to answer right away".to_owned();
            out.push(Warning {
                line: element.position.line,
                column: element.position.column,
                message,
            });
        });
    }
}

/// `validate-jwt` with `<decryption-keys>`, no `<issuer-signing-keys>` and signed tokens
/// required: the token inside an encrypted one is either signed (and no key can check it) or
/// not (and refused), so every request fails. APIM accepts the document; it compiles here too.
fn jwt_that_refuses_everything(text: &str, out: &mut Vec<Warning>) {
    let (document, _) = crate::read(text);
    let Some(root) = document.root() else {
        return;
    };
    let mut found = Vec::new();
    descendants(root, "validate-jwt", &mut found);
    for jwt in found {
        let has = |name: &str| jwt.elements().any(|e| e.name == name);
        let unsigned_allowed = jwt
            .attribute("require-signed-tokens")
            .is_some_and(|a| a.value.text.trim().eq_ignore_ascii_case("false"));
        unusable_decryption_keys(jwt, out);
        if has("decryption-keys") && !has("issuer-signing-keys") && !unsigned_allowed {
            let message = "validate-jwt decrypts tokens but has no <issuer-signing-keys> and requires signed tokens: every token will be refused; add the issuer's signing keys or set require-signed-tokens=\"false\"".to_owned();
            out.push(Warning {
                line: jwt.position.line,
                column: jwt.position.column,
                message,
            });
        }
    }
}

/// Elements whose `password` is a credential for another system.
const CREDENTIAL_HOLDERS: [&str; 3] = [
    "authentication-basic",
    "authentication-certificate",
    "proxy",
];

/// A password written into the document itself: the document is stored and shown as it is,
/// while a secret named value (`{{name}}`) is sealed at rest and masked everywhere.
fn literal_credentials(text: &str, out: &mut Vec<Warning>) {
    let (document, _) = crate::read(text);
    let Some(root) = document.root() else {
        return;
    };
    for name in CREDENTIAL_HOLDERS {
        let mut found = Vec::new();
        descendants(root, name, &mut found);
        for element in found {
            let Some(password) = element.attribute("password") else {
                continue;
            };
            let value = password.value.text.trim();
            if value.is_empty() || value.starts_with("{{") || value.starts_with('@') {
                continue;
            }
            let message = format!(
                "the password of <{name}> is written in the policy, which is stored in the clear: put it in a secret named value and write {{{{name}}}}"
            );
            out.push(Warning {
                line: password.value.position.line,
                column: password.value.position.column,
                message,
            });
        }
    }
}

/// The lengths a symmetric decryption key can have: content keys for `dir` (16-64 bytes) and
/// key-encryption keys for `A128KW`/`A256KW`.
const DECRYPTION_KEY_LENGTHS: [usize; 5] = [16, 24, 32, 48, 64];

/// Literal base64 decryption keys of a length no algorithm uses: they never decrypt anything.
/// APIM accepts them, so this is a warning, not an error.
fn unusable_decryption_keys(jwt: &Element, out: &mut Vec<Warning>) {
    use base64::Engine;

    let keys = jwt.elements().filter(|e| e.name == "decryption-keys");
    for key in keys.flat_map(Element::elements) {
        let Some(text) = key.meaningful_texts().next() else {
            continue;
        };
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(text.text.trim()) else {
            continue;
        };
        if !DECRYPTION_KEY_LENGTHS.contains(&bytes.len()) {
            let message = format!(
                "this decryption key is {} bytes long and will never decrypt a token: dir needs 16, 24, 32, 48 or 64 bytes, A128KW 16 and A256KW 32",
                bytes.len()
            );
            out.push(Warning {
                line: key.position.line,
                column: key.position.column,
                message,
            });
        }
    }
}

/// Every element named `name` below `element`.
fn descendants<'a>(element: &'a Element, name: &str, found: &mut Vec<&'a Element>) {
    for child in element.elements() {
        if child.name == name {
            found.push(child);
        }
        descendants(child, name, found);
    }
}

/// Calls `found` for each `set-status` statement in `block`, descending into `choose`.
fn statuses(block: &Element, found: &mut dyn FnMut(&Element)) {
    for element in block.elements() {
        match element.name.as_str() {
            "set-status" => found(element),
            "choose" => element
                .elements()
                .for_each(|branch| statuses(branch, found)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str) -> Vec<(u32, u32, String)> {
        lint(text)
            .into_iter()
            .map(|w| (w.line, w.column, w.message))
            .collect()
    }

    #[test]
    fn invisible_characters_are_located() {
        let found = messages("<a>\n  x\u{200E}y</a>");
        assert_eq!((found[0].0, found[0].1), (2, 4));
        assert!(found[0].2.contains("U+200E"), "{found:?}");
        assert!(
            messages("\u{FEFF}<a/>").is_empty(),
            "a leading byte order mark is fine"
        );
    }

    #[test]
    fn thumbprints_with_spaces_or_lowercase_are_flagged() {
        let spaced = "<v>bf 3d 64 4c 46 09 9a 9d 7c 07 3e c0 02 31 28 78 b8 f9 b8 47</v>";
        assert_eq!(messages(spaced).len(), 1);
        let lower = r#"<when condition="@(context.Request.Certificate.Thumbprint == "bf3d644c46099a9d7c073ec002312878b8f9b847")">"#;
        let found = messages(lower);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().any(|f| f.2.contains("case-sensitive")));
        let upper = r#"@(context.Request.Certificate.Thumbprint == "BF3D644C46099A9D7C073EC002312878B8F9B847")"#;
        assert!(messages(upper).is_empty());
    }

    #[test]
    fn reversed_and_equals_comparisons_are_flagged() {
        let reversed = r#"@("abc" != context.Request.Certificate.Thumbprint)"#;
        assert_eq!(messages(reversed).len(), 1);
        let equals = r#"@(context.Request.Certificate.Thumbprint.Equals("abc"))"#;
        assert_eq!(messages(equals).len(), 1);
        let ignoring_case = r#"@(context.Request.Certificate.Thumbprint.Equals("abc", StringComparison.OrdinalIgnoreCase))"#;
        assert!(messages(ignoring_case).is_empty());
    }

    #[test]
    fn a_decrypting_validate_jwt_without_signing_keys_is_flagged() {
        let never = "<policies><inbound><choose><when condition=\"true\"><validate-jwt header-name=\"A\"><decryption-keys><key>MDEyMzQ1Njc4OWFiY2RlZg==</key></decryption-keys></validate-jwt></when></choose></inbound></policies>";
        let found = messages(never);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].2.contains("every token will be refused"),
            "{found:?}"
        );

        let unsigned = never.replace(
            "header-name=\"A\"",
            "header-name=\"A\" require-signed-tokens=\"false\"",
        );
        assert!(messages(&unsigned).is_empty());
        let signed = never.replace(
            "</decryption-keys>",
            "</decryption-keys><issuer-signing-keys><key>dGVzdA==</key></issuer-signing-keys>",
        );
        assert!(messages(&signed).is_empty());
    }

    #[test]
    fn decryption_keys_of_a_length_no_algorithm_uses_are_flagged() {
        let policy = |key: &str| {
            format!(
                "<policies><inbound><validate-jwt header-name=\"A\" require-signed-tokens=\"false\"><decryption-keys><key>{key}</key></decryption-keys></validate-jwt></inbound></policies>"
            )
        };

        let found = messages(&policy("dGVzdA=="));

        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].2.contains("4 bytes long"), "{found:?}");
        assert!(
            messages(&policy("MDEyMzQ1Njc4OWFiY2RlZg==")).is_empty(),
            "16 bytes"
        );
        assert!(
            messages(&policy("{{decryption-key}}")).is_empty(),
            "a named value"
        );
    }

    #[test]
    fn passwords_written_in_the_document_are_flagged_and_named_values_are_not() {
        let literal = r#"<policies><inbound><proxy url="http://p:1" username="u" password="secret123" /><authentication-basic username="a" password="{{basic-password}}" /><send-request mode="new"><set-url>http://x</set-url><authentication-certificate body="@(x)" password="pfx-pass" /></send-request></inbound></policies>"#;

        let found = messages(literal);

        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().any(|f| f.2.contains("<proxy>")), "{found:?}");
        assert!(
            found
                .iter()
                .any(|f| f.2.contains("<authentication-certificate>")),
            "{found:?}"
        );
        assert!(found.iter().all(|f| f.2.contains("secret named value")));
    }

    #[test]
    fn inbound_set_status_outside_return_response_is_flagged() {
        let policy = "<policies><inbound><set-status code=\"403\" reason=\"x\"/><return-response><set-status code=\"401\" reason=\"y\"/></return-response></inbound><outbound><set-status code=\"200\" reason=\"OK\"/></outbound></policies>";
        let found = messages(policy);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].0, found[0].1), (1, 20));
    }
}
