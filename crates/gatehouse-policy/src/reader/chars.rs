//! A cursor over the source that yields decoded characters while remembering where each one
//! came from.
//!
//! Entity and character references (`&lt;`, `&#x22;`) are decoded on the fly so that the
//! C#-aware bracket matcher sees `&quot;` as a quote, exactly as it would after a strict XML
//! parser. Line ends are normalised to `\n` as XML requires. An `&` that starts no known
//! reference stays a literal `&`: APIM accepts raw `&&` inside expressions.

/// A decoded character and the source bytes it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Decoded {
    pub(crate) ch: char,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Decoded {
    /// Whether the source bytes differ from the UTF-8 of `ch` (an entity or a `\r\n`).
    pub(crate) fn is_translated(&self) -> bool {
        self.end - self.start != self.ch.len_utf8()
    }
}

/// A cursor in `source[..limit]`.
#[derive(Clone, Debug)]
pub(crate) struct Chars<'s> {
    source: &'s str,
    pos: usize,
    limit: usize,
    entities: bool,
}

impl<'s> Chars<'s> {
    /// A cursor at `pos` that decodes entities when `entities` is set (not in CDATA).
    pub(crate) fn new(source: &'s str, pos: usize, limit: usize, entities: bool) -> Self {
        Self {
            source,
            pos,
            limit: limit.min(source.len()),
            entities,
        }
    }

    /// The source offset of the next character.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The next character, without consuming it.
    pub(crate) fn peek(&self) -> Option<char> {
        self.decode_at(self.pos).map(|d| d.ch)
    }

    /// The character after the next one.
    pub(crate) fn peek_second(&self) -> Option<char> {
        let first = self.decode_at(self.pos)?;
        self.decode_at(first.end).map(|d| d.ch)
    }

    /// Consumes and returns the next character.
    pub(crate) fn bump(&mut self) -> Option<Decoded> {
        let decoded = self.decode_at(self.pos)?;
        self.pos = decoded.end;
        Some(decoded)
    }

    /// Consumes the next character when it is `expected`.
    pub(crate) fn eat(&mut self, expected: char) -> bool {
        let matches = self.peek() == Some(expected);
        if matches {
            self.bump();
        }
        matches
    }

    fn decode_at(&self, pos: usize) -> Option<Decoded> {
        if pos >= self.limit {
            return None;
        }

        let rest = &self.source[pos..self.limit];
        let (ch, len) = if self.entities && rest.starts_with('&') {
            reference(rest).unwrap_or(('&', 1))
        } else {
            plain(rest)?
        };
        Some(Decoded {
            ch,
            start: pos,
            end: pos + len,
        })
    }
}

/// One character of plain text, with `\r\n` and a lone `\r` read as `\n`.
fn plain(rest: &str) -> Option<(char, usize)> {
    let ch = rest.chars().next()?;
    if ch == '\r' {
        let len = if rest.as_bytes().get(1) == Some(&b'\n') {
            2
        } else {
            1
        };
        return Some(('\n', len));
    }
    Some((ch, ch.len_utf8()))
}

/// Decodes the entity or character reference at the start of `rest` (which begins with `&`).
fn reference(rest: &str) -> Option<(char, usize)> {
    // The longest reference is `&#x10FFFF;` or `&#1114111;` (10 bytes).
    let semicolon = rest.as_bytes().iter().take(12).position(|&b| b == b';')?;
    let body = &rest[1..semicolon];

    let ch = match body {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ => numeric(body)?,
    };
    Some((ch, semicolon + 1))
}

/// `#123` or `#x7B`, refusing code points XML forbids.
fn numeric(body: &str) -> Option<char> {
    let digits = body.strip_prefix('#')?;
    let code = match digits.strip_prefix('x') {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => digits.parse().ok()?,
    };

    let allowed = matches!(code, 0x9 | 0xA | 0xD) || code >= 0x20;
    char::from_u32(code).filter(|_| allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(text: &str) -> String {
        let mut chars = Chars::new(text, 0, text.len(), true);
        std::iter::from_fn(|| chars.bump().map(|d| d.ch)).collect()
    }

    #[test]
    fn standard_entities_and_character_references_are_decoded() {
        let text = "&lt;&gt;&amp;&quot;&apos;&#65;&#x42;";

        assert_eq!(decode_all(text), "<>&\"'AB");
    }

    #[test]
    fn unknown_references_and_bare_ampersands_stay_literal() {
        assert_eq!(
            decode_all("a && b &nbsp; &#0; &#xZZ;"),
            "a && b &nbsp; &#0; &#xZZ;"
        );
    }

    #[test]
    fn line_ends_are_normalised() {
        assert_eq!(decode_all("a\r\nb\rc"), "a\nb\nc");
    }

    #[test]
    fn cdata_cursors_do_not_decode() {
        let mut chars = Chars::new("&lt;", 0, 4, false);

        assert_eq!(chars.bump().map(|d| d.ch), Some('&'));
    }
}
