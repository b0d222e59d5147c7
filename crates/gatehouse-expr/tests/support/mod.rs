//! Shared helpers for the integration tests: locating the corpus, scanning policy files for
//! expressions, building a context, making certificates with openssl.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use gatehouse_cert::Certificate;
use gatehouse_expr::{Expression, Host, Position, Value, compile};

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root exists")
}

/// `shared/corpus` beside the workspace, or `None` (and a note) when absent. Under `CI=true`
/// a missing corpus fails the test instead.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = workspace_root().join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !ci,
        "the corpus is missing at {} and CI=true",
        dir.display()
    );
    println!("skipping: no corpus at {}", dir.display());
    None
}

/// The cargo target directory: `CARGO_TARGET_DIR` (relative to the workspace) or `target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// Compiles an expression written at line 1, column 1, panicking with the diagnostics.
pub fn expr(text: &str) -> Expression {
    match compile(text, Position::new(1, 1)) {
        Ok(expression) => expression,
        Err(diagnostics) => panic!("{text} does not compile: {diagnostics:?}"),
    }
}

/// Compiles and evaluates.
pub fn eval(text: &str, host: &dyn Host) -> Value {
    match expr(text).evaluate(host) {
        Ok(value) => value,
        Err(error) => panic!("{text} failed: {error}"),
    }
}

/// Compiles and evaluates to text.
pub fn eval_text(text: &str, host: &dyn Host) -> String {
    match expr(text).evaluate_string(host) {
        Ok(value) => value,
        Err(error) => panic!("{text} failed: {error}"),
    }
}

/// The diagnostics' messages for text that must not compile.
pub fn errors(text: &str) -> Vec<String> {
    match compile(text, Position::new(1, 1)) {
        Ok(_) => panic!("{text} compiled but should not"),
        Err(diagnostics) => diagnostics.into_iter().map(|d| d.message).collect(),
    }
}

/// One expression found in a policy file.
#[derive(Debug, Clone)]
pub struct Found {
    pub file: String,
    pub origin: Position,
    pub text: String,
}

/// Finds every `@(…)`/`@{…}` that starts an attribute value, element text or CDATA section.
pub fn scan(file: &str, xml: &str) -> Vec<Found> {
    let text = blank_comments(xml.trim_start_matches('\u{feff}'));
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(at) = text[i..].find('@').map(|p| p + i) {
        i = at + 1;
        let opens = matches!(bytes.get(at + 1), Some(b'(' | b'{'));
        if !opens || !starts_value(&text[..at]) {
            continue;
        }
        let Some(end) = matching_end(&text, at + 1) else {
            continue;
        };
        let raw = &text[at..end];
        let in_cdata = text[..at].trim_end().ends_with("<![CDATA[");
        let text_value = if in_cdata {
            raw.to_owned()
        } else {
            unescape(raw)
        };
        found.push(Found {
            file: file.to_owned(),
            origin: position(&text, at),
            text: text_value,
        });
        i = end;
    }
    found
}

fn starts_value(before: &str) -> bool {
    let trimmed = before.trim_end();
    trimmed.ends_with(['"', '\'', '>']) || trimmed.ends_with("<![CDATA[")
}

fn position(text: &str, at: usize) -> Position {
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |p| p + 1)..]
        .chars()
        .count()
        + 1;
    Position::new(line as u32, column as u32)
}

/// Replaces `<!-- … -->` with spaces, keeping newlines so positions stay right.
fn blank_comments(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("-->")
            .map_or(rest.len(), |e| start + e + 3);
        out.extend(
            rest[start..end]
                .chars()
                .map(|c| if c == '\n' { '\n' } else { ' ' }),
        );
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The index just past the bracket matching the one at `open`, skipping C# strings, chars and
/// comments.
fn matching_end(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'(' | b'{' | b'[' => depth += 1,
            b')' | b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |p| i + p);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(bytes.len(), |p| i + p + 4);
                continue;
            }
            b'@' if bytes.get(i + 1) == Some(&b'"') => {
                i = skip_verbatim(bytes, i + 2);
                continue;
            }
            b'$' if bytes.get(i + 1) == Some(&b'"') => {
                i = skip_interpolated(text, i + 2)?;
                continue;
            }
            b'$' if bytes.get(i + 1) == Some(&b'@') && bytes.get(i + 2) == Some(&b'"') => {
                i = skip_verbatim(bytes, i + 3);
                continue;
            }
            quote @ (b'"' | b'\'') => {
                i = skip_quoted(bytes, i + 1, quote);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn skip_quoted(bytes: &[u8], mut i: usize, quote: u8) -> usize {
    while i < bytes.len() && bytes[i] != quote {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    i + 1
}

fn skip_verbatim(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        if bytes[i] == b'"' {
            if bytes.get(i + 1) == Some(&b'"') {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    i
}

/// Skips the rest of `$"…"`, including holes with nested strings.
fn skip_interpolated(text: &str, mut i: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'{' if bytes.get(i + 1) == Some(&b'{') => i += 2,
            b'}' if bytes.get(i + 1) == Some(&b'}') => i += 2,
            b'{' => i = matching_end(text, i)?,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// XML entity decoding for attribute values and text.
pub fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let entity = tail.find(';').filter(|e| *e <= 10).map(|e| &tail[..=e]);
        let decoded = entity.and_then(decode_entity);
        match (entity, decoded) {
            (Some(entity), Some(c)) => {
                out.push(c);
                rest = &tail[entity.len()..];
            }
            _ => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_entity(entity: &str) -> Option<char> {
    let name = entity.strip_prefix('&')?.strip_suffix(';')?;
    match name {
        "quot" => Some('"'),
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// Every `.xml` file under `dir`, sorted.
pub fn xml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "xml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// A fresh self-signed certificate with the given subject (OpenSSL `-subj` syntax).
pub fn certificate(subject: &str) -> Certificate {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let unique = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("gatehouse-expr-{}-{unique}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let der = dir.join("cert.der");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args(["-subj", subject, "-days", "30", "-outform", "DER"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(&der)
        .output()
        .expect("openssl runs");
    assert!(
        status.status.success(),
        "openssl failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let bytes = std::fs::read(&der).expect("certificate written");
    std::fs::remove_dir_all(&dir).ok();
    Certificate::from_der(&bytes).expect("openssl makes valid certificates")
}

/// Expressions whose string result would be far past the default string limit (4 MiB), each
/// sized by its arguments (a width, a precision, a count, or many copies of a large part). The
/// evaluator must refuse each with `StringLimit` before it builds anything that large.
pub const OVERSIZED_STRINGS: &[&str] = &[
    r#"@("a".PadLeft(2000000000).Length)"#,
    r#"@("a".PadRight(2000000000, 'é').Length)"#,
    r#"@("".PadLeft(4194305).Length)"#,
    r#"@(string.Format("{0,2000000000}", 1))"#,
    r#"@(string.Format("{0,-2000000000}", 1))"#,
    r#"@(string.Format("{0,9000000000000000000}", 1))"#,
    r#"@(string.Format("{0:D2000000000}", 1))"#,
    r#"@(string.Format("".PadLeft(1000000, 'x').Replace("x", "{0}"), "".PadLeft(1000000)).Length)"#,
    r#"@($"{1,2000000000}")"#,
    r#"@($"{1:D2000000000}")"#,
    r#"@(1.ToString("D2000000000"))"#,
    r#"@(255.ToString("X2000000000"))"#,
    r#"@(1L.ToString("D99999999999999999999"))"#,
    r#"@((1.5).ToString("F2000000000"))"#,
    r#"@((1.5).ToString("N2000000000"))"#,
    r#"@((1.5).ToString("P2000000000"))"#,
    r#"@((1.5).ToString("E2000000000"))"#,
    r#"@(new StringBuilder().Append('a', 2000000000).Length)"#,
    r#"@(new StringBuilder().AppendFormat("{0,2000000000}", 1).Length)"#,
    r#"@(new StringBuilder("".PadLeft(1000000, 'a')).Replace("a", "".PadLeft(1000000, 'b')).Length)"#,
    r#"@(new StringBuilder("".PadLeft(3000000)).Insert(0, "".PadLeft(3000000)).Length)"#,
    r#"@{ var sb = new StringBuilder(); sb.Length = 2000000000; return sb.Length; }"#,
    r#"@("".PadLeft(1000000, 'a').Replace("a", "".PadLeft(1000000, 'b')).Length)"#,
    r#"@("".PadLeft(2000000, 'a').Replace('a', '😀').Length)"#,
    r#"@("".PadLeft(3000000).Insert(0, "".PadLeft(3000000)).Length)"#,
    r#"@(("".PadLeft(3000000) + "".PadLeft(3000000)).Length)"#,
    r#"@(string.Join("".PadLeft(1000000), new string[100000]).Length)"#,
    r#"@{ var big = "".PadLeft(1000000); var parts = new List<string>(); for (var i = 0; i < 10000; i++) { parts.Add(big); } return string.Concat(parts).Length; }"#,
    r#"@(Regex.Replace("".PadLeft(1000000, 'a'), "a", "".PadLeft(1000000, 'b')).Length)"#,
    r#"@(Regex.Replace("".PadLeft(1000000, 'a'), "a+", "".PadLeft(1000000, 'x').Replace("x", "$0")).Length)"#,
    // JSON and XML nodes are shared: ten thousand references to one megabyte of text are
    // small in memory and ten gigabytes as text.
    r#"@{ var big = "".PadLeft(1000000); var a = new JArray(); for (var i = 0; i < 10000; i++) { a.Add(big); } return a.ToString().Length; }"#,
    r#"@{ var big = "".PadLeft(1000000); var a = new JArray(); for (var i = 0; i < 10000; i++) { a.Add(big); } return a.ToString(Formatting.None).Length; }"#,
    r#"@{ var big = "".PadLeft(1000000); var a = new JArray(); for (var i = 0; i < 10000; i++) { a.Add(big); } return ("" + a).Length; }"#,
    r#"@{ var big = "".PadLeft(1000000); var l = new List<string>(); for (var i = 0; i < 10000; i++) { l.Add(big); } return JsonConvert.SerializeObject(l).Length; }"#,
    r#"@{ var e = new XElement("a", "".PadLeft(1000000)); var l = new List<XElement>(); for (var i = 0; i < 10000; i++) { l.Add(e); } return new XElement("r", l).ToString().Length; }"#,
    r#"@{ var e = new XElement("a", "".PadLeft(1000000)); var l = new List<XElement>(); for (var i = 0; i < 10000; i++) { l.Add(e); } return new XElement("r", l).Value.Length; }"#,
    r#"@{ var e = new XElement("a", "".PadLeft(1000000)); var l = new List<XElement>(); for (var i = 0; i < 10000; i++) { l.Add(e); } return ((string)new XElement("r", l)).Length; }"#,
    r#"@{ var e = new XElement("a", new XAttribute("v", "".PadLeft(1000000))); var l = new List<XElement>(); for (var i = 0; i < 10000; i++) { l.Add(e); } return $"{new XElement("r", l)}".Length; }"#,
];

/// Expressions whose collection would be far past the default collection limit (100,000
/// items), sized by their arguments; refused with `CollectionLimit` before they are built.
pub const OVERSIZED_COLLECTIONS: &[&str] = &[
    r#"@("".PadLeft(4000000).ToCharArray().Length)"#,
    r#"@("".PadLeft(4000000, ',').Split(',').Length)"#,
    r#"@(Regex.Split("".PadLeft(4000000, ','), ",").Length)"#,
    r#"@(new int[2000000000].Length)"#,
    r#"@(new byte[2000000000].Length)"#,
];
