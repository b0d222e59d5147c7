//! Line and column positions in the original policy text.

use std::fmt;

/// A 1-based line and column in the original text.
///
/// Columns count Unicode scalar values (a tab is one column), which is what editors show for
/// ASCII text and what roxmltree reports; a UTF-8 byte order mark is not counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line number; `\n`, `\r\n` and a lone `\r` each end a line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A byte range in the original text, `start..end`.
///
/// Kept beside positions so that later stages can slice the source (for example the raw
/// markup of a `set-body` payload) without re-reading it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// Number of bytes covered.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span covers no bytes.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// Bytes per block of the character-count table: a column costs at most this much counting,
/// however long its line (a minified policy on one line must not read in quadratic time).
const BLOCK: usize = 256;

/// Start offsets of every line, and how many characters precede every block of the text, so
/// that a byte offset turns into a [`Position`] with a binary search and a short count.
#[derive(Clone, Debug)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
    /// `chars_before_block[k]` is the number of characters in `source[..k * BLOCK]`.
    chars_before_block: Vec<usize>,
}

impl LineIndex {
    /// Indexes `source`; a leading byte order mark belongs to no column.
    pub(crate) fn new(source: &str) -> Self {
        let bom = if source.starts_with('\u{feff}') { 3 } else { 0 };
        let mut starts = vec![bom];
        let bytes = source.as_bytes();

        for (i, &b) in bytes.iter().enumerate() {
            let ends_line = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
            if ends_line {
                starts.push(i + 1);
            }
        }
        Self {
            starts,
            chars_before_block: block_prefix_counts(bytes),
        }
    }

    /// The position of byte `offset` in `source` (the text this index was built from).
    ///
    /// An offset inside a multi-byte character counts that character as already passed; an
    /// offset past the end is clamped to the end.
    pub(crate) fn position(&self, source: &str, offset: usize) -> Position {
        let bytes = source.as_bytes();
        let offset = offset.min(bytes.len());
        let line = self.starts.partition_point(|&start| start <= offset).max(1);
        let start = self.starts[line - 1].min(offset);

        let column = self.chars_before(bytes, offset) - self.chars_before(bytes, start) + 1;
        Position {
            line: to_u32(line),
            column: to_u32(column),
        }
    }

    /// Characters in `bytes[..offset]`.
    fn chars_before(&self, bytes: &[u8], offset: usize) -> usize {
        let block = offset / BLOCK;
        self.chars_before_block[block] + count_chars(&bytes[block * BLOCK..offset])
    }
}

/// The running character count at every block boundary (one entry per started block, plus the
/// end).
fn block_prefix_counts(bytes: &[u8]) -> Vec<usize> {
    let mut counts = Vec::with_capacity(bytes.len() / BLOCK + 1);
    let mut total = 0;
    counts.push(0);

    for chunk in bytes.chunks(BLOCK) {
        total += count_chars(chunk);
        counts.push(total);
    }
    counts
}

/// Counts characters in a byte slice that may start or end inside a character: every byte but
/// a UTF-8 continuation byte starts one.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// Saturating conversion: documents beyond four billion lines are not a concern, but a panic
/// on hostile input would be.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(source: &str, offset: usize) -> (u32, u32) {
        let p = LineIndex::new(source).position(source, offset);
        (p.line, p.column)
    }

    #[test]
    fn columns_count_characters_across_block_boundaries() {
        let source = format!("{}\n{}x", "é".repeat(300), "ü".repeat(200));
        let x = source.len() - 1;

        assert_eq!(position(&source, x), (2, 201));
        assert_eq!(position(&source, 600), (1, 301));
    }

    #[test]
    fn offsets_are_clamped_and_the_byte_order_mark_skipped() {
        assert_eq!(position("\u{feff}ab", 4), (1, 2));
        assert_eq!(position("ab", 99), (1, 3));
    }
}
