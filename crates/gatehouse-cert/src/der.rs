//! A small DER reader and writer for the few structures this crate walks by hand.
//!
//! x509-parser covers certificates, but the .NET name formatter needs the exact encoded
//! attribute values (tags, raw bytes for the `#hex` fallback), and the PFX and key code needs
//! to rebuild a handful of structures. Pulling a second ASN.1 framework in for that is more
//! weight than this module. Tags are matched by their first octet: none of the
//! structures we read use high tag numbers, so those are only skipped over.

use std::fmt;

/// Universal tags used across the crate.
pub(crate) mod tag {
    pub(crate) const INTEGER: u8 = 0x02;
    pub(crate) const BIT_STRING: u8 = 0x03;
    pub(crate) const OCTET_STRING: u8 = 0x04;
    pub(crate) const NULL: u8 = 0x05;
    pub(crate) const OID: u8 = 0x06;
    pub(crate) const UTF8_STRING: u8 = 0x0C;
    pub(crate) const NUMERIC_STRING: u8 = 0x12;
    pub(crate) const PRINTABLE_STRING: u8 = 0x13;
    pub(crate) const T61_STRING: u8 = 0x14;
    pub(crate) const IA5_STRING: u8 = 0x16;
    pub(crate) const VISIBLE_STRING: u8 = 0x1A;
    pub(crate) const UNIVERSAL_STRING: u8 = 0x1C;
    pub(crate) const BMP_STRING: u8 = 0x1E;
    pub(crate) const SEQUENCE: u8 = 0x30;
    pub(crate) const SET: u8 = 0x31;
    /// Bit 6 of the identifier octet: the value is made of nested TLVs.
    pub(crate) const CONSTRUCTED: u8 = 0x20;
    /// Context-specific class bits.
    pub(crate) const CONTEXT: u8 = 0x80;
}

/// Why bytes are not the DER we expected. Internal: callers wrap it in their own errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DerError(pub(crate) &'static str);

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for DerError {}

/// One tag-length-value element with a definite length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: u8,
    /// The content octets.
    pub(crate) value: &'a [u8],
    /// The whole element: identifier, length and content.
    pub(crate) encoded: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// A reader over the content of a constructed element.
    pub(crate) fn children(&self) -> Reader<'a> {
        Reader::new(self.value)
    }
}

/// Where a length field says the content ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Length {
    Definite(usize),
    /// BER only: the content runs until an end-of-contents marker (`00 00`).
    Indefinite,
}

/// Reads the identifier and length octets at the start of `input`.
///
/// Returns the first identifier octet as the tag, the length and how many header bytes were
/// read. High tag numbers (identifier `xx1F` plus base-128 octets) are skipped over and
/// reported by their first octet; nothing here needs to tell them apart.
pub(crate) fn read_header(input: &[u8]) -> Result<(u8, Length, usize), DerError> {
    let (&tag, _) = input
        .split_first()
        .ok_or(DerError("unexpected end of data"))?;
    let tag_len = identifier_len(input)?;

    let rest = &input[tag_len..];
    let (&first, rest) = rest.split_first().ok_or(DerError("missing length"))?;
    if first < 0x80 {
        return Ok((tag, Length::Definite(usize::from(first)), tag_len + 1));
    }
    if first == 0x80 {
        return Ok((tag, Length::Indefinite, tag_len + 1));
    }

    let count = usize::from(first & 0x7F);
    if count > 4 || rest.len() < count {
        return Err(DerError("length field too long or truncated"));
    }
    let len = rest[..count]
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Ok((tag, Length::Definite(len), tag_len + 1 + count))
}

/// Length of the identifier octets: one, or more for high tag numbers.
pub(crate) fn identifier_len(input: &[u8]) -> Result<usize, DerError> {
    if input[0] & 0x1F != 0x1F {
        return Ok(1);
    }
    let continuation = input[1..].iter().take(4).position(|b| b & 0x80 == 0);
    continuation
        .map(|last| last + 2)
        .ok_or(DerError("tag number too long or truncated"))
}

/// Reads one definite-length element from the start of `input`.
pub(crate) fn read_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let (tag, length, header_len) = read_header(input)?;
    let Length::Definite(len) = length else {
        return Err(DerError("indefinite length where DER was expected"));
    };

    let end = header_len
        .checked_add(len)
        .ok_or(DerError("length overflow"))?;
    if input.len() < end {
        return Err(DerError("element runs past the end of the data"));
    }

    let tlv = Tlv {
        tag,
        value: &input[header_len..end],
        encoded: &input[..end],
    };
    Ok((tlv, &input[end..]))
}

/// Reads exactly one element that must fill `input` completely.
pub(crate) fn read_single(input: &[u8], expected_tag: u8) -> Result<Tlv<'_>, DerError> {
    let (tlv, rest) = read_tlv(input)?;
    if !rest.is_empty() {
        return Err(DerError("trailing bytes after the element"));
    }
    expect_tag(tlv, expected_tag)
}

fn expect_tag(tlv: Tlv<'_>, expected: u8) -> Result<Tlv<'_>, DerError> {
    if tlv.tag == expected {
        Ok(tlv)
    } else {
        Err(DerError("unexpected tag"))
    }
}

/// Sequential reader over the elements inside a constructed value.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next element, or `None` at the end.
    pub(crate) fn next_tlv(&mut self) -> Result<Option<Tlv<'a>>, DerError> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let (tlv, rest) = read_tlv(self.rest)?;
        self.rest = rest;
        Ok(Some(tlv))
    }

    /// The next element, which must exist and carry `expected` as its tag.
    pub(crate) fn read(&mut self, expected: u8) -> Result<Tlv<'a>, DerError> {
        let tlv = self.next_tlv()?.ok_or(DerError("missing element"))?;
        expect_tag(tlv, expected)
    }

    /// The next element when its tag is `wanted`; otherwise nothing is consumed.
    pub(crate) fn optional(&mut self, wanted: u8) -> Result<Option<Tlv<'a>>, DerError> {
        if self.rest.first() != Some(&wanted) {
            return Ok(None);
        }
        self.next_tlv()
    }

    /// Fails unless every element has been read.
    pub(crate) fn finish(&self) -> Result<(), DerError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DerError("unexpected trailing elements"))
        }
    }
}

/// Appends a DER length field.
fn write_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        // The guard makes the narrowing exact.
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let significant = &bytes[skip..];
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

/// Appends one element with a definite length.
pub(crate) fn write_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    write_element(out, &[tag], value);
}

/// Appends one element given its identifier octets (one, or more for high tag numbers).
pub(crate) fn write_element(out: &mut Vec<u8>, identifier: &[u8], value: &[u8]) {
    out.extend_from_slice(identifier);
    write_length(out, value.len());
    out.extend_from_slice(value);
}

/// One element as a new buffer.
pub(crate) fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    write_tlv(&mut out, tag, value);
    out
}

/// A SEQUENCE whose content is the given, already encoded, elements.
pub(crate) fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag::SEQUENCE, &parts.concat())
}

/// Decodes an OBJECT IDENTIFIER's content octets to dotted form (`1.2.840.113549`).
pub(crate) fn oid_to_string(content: &[u8]) -> Result<String, DerError> {
    let mut arcs: Vec<u128> = Vec::new();
    let mut current: u128 = 0;
    let mut in_arc = false;

    for &byte in content {
        if current > (u128::MAX >> 7) {
            return Err(DerError("object identifier arc too large"));
        }
        current = (current << 7) | u128::from(byte & 0x7F);
        in_arc = byte & 0x80 != 0;
        if !in_arc {
            arcs.push(current);
            current = 0;
        }
    }
    if in_arc || arcs.is_empty() {
        return Err(DerError("truncated object identifier"));
    }

    Ok(format_arcs(&arcs))
}

/// The first encoded arc packs the first two arcs of the dotted form.
fn format_arcs(arcs: &[u128]) -> String {
    let first = arcs[0];
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };

    let mut out = format!("{a}.{b}");
    for arc in &arcs[1..] {
        out.push('.');
        out.push_str(&arc.to_string());
    }
    out
}

/// Encodes a dotted OID (`2.5.4.3`) as OBJECT IDENTIFIER content octets.
///
/// Only used with the constant OIDs of this crate, which are well formed; a malformed input
/// produces a harmless empty or partial encoding rather than a panic.
pub(crate) fn encode_oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u128> = dotted
        .split('.')
        .filter_map(|arc| arc.parse().ok())
        .collect();
    let mut out = Vec::new();
    let [first, second, rest @ ..] = arcs.as_slice() else {
        return out;
    };

    push_base128(&mut out, first * 40 + second);
    for &arc in rest {
        push_base128(&mut out, arc);
    }
    out
}

fn push_base128(out: &mut Vec<u8>, mut value: u128) {
    let mut groups = [0u8; 19];
    let mut count = 0;
    loop {
        groups[count] = (value & 0x7F) as u8;
        count += 1;
        value >>= 7;
        if value == 0 {
            break;
        }
    }
    for (index, group) in groups[..count].iter().enumerate().rev() {
        let more = if index > 0 { 0x80 } else { 0 };
        out.push(group | more);
    }
}

/// Strips the sign padding from an INTEGER's content so equal numbers compare equal.
pub(crate) fn unsigned_integer(content: &[u8]) -> &[u8] {
    let skip = content.iter().take_while(|&&b| b == 0).count();
    &content[skip.min(content.len().saturating_sub(1))..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let short = [0x04, 0x02, 0xAA, 0xBB];
        let (tlv, rest) = read_tlv(&short).unwrap();
        assert_eq!(
            (tlv.tag, tlv.value, rest.len()),
            (0x04, &[0xAA, 0xBB][..], 0)
        );

        let long_value = vec![7u8; 300];
        let encoded = tlv_helper(0x04, &long_value);
        assert_eq!(&encoded[..4], &[0x04, 0x82, 0x01, 0x2C]);
        let (tlv, _) = read_tlv(&encoded).unwrap();
        assert_eq!(tlv.value.len(), 300);
    }

    fn tlv_helper(tag: u8, value: &[u8]) -> Vec<u8> {
        tlv(tag, value)
    }

    #[test]
    fn rejects_truncated_and_indefinite_input() {
        assert!(read_tlv(&[0x30, 0x05, 0x01]).is_err());
        assert!(read_tlv(&[0x30, 0x80, 0x00, 0x00]).is_err());
        assert!(read_tlv(&[0x1F, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00]).is_err());
        assert!(read_tlv(&[]).is_err());
    }

    #[test]
    fn skips_high_tag_numbers() {
        let (tlv, rest) = read_tlv(&[0x7F, 0x20, 0x01, 0xAA, 0x05]).unwrap();
        assert_eq!(
            (tlv.tag, tlv.value, tlv.encoded.len(), rest),
            (0x7F, &[0xAA][..], 4, &[0x05][..])
        );
    }

    #[test]
    fn decodes_object_identifiers() {
        // 1.2.840.113549.1.1.11 (sha256WithRSAEncryption)
        let content = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B];
        assert_eq!(oid_to_string(&content).unwrap(), "1.2.840.113549.1.1.11");
        // 2.5.4.3 (commonName)
        assert_eq!(oid_to_string(&[0x55, 0x04, 0x03]).unwrap(), "2.5.4.3");
        // 0.9.2342.19200300.100.1.25 (domainComponent)
        let dc = [0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x19];
        assert_eq!(oid_to_string(&dc).unwrap(), "0.9.2342.19200300.100.1.25");
        assert!(oid_to_string(&[0x86]).is_err());
    }

    #[test]
    fn encodes_object_identifiers() {
        for dotted in [
            "1.2.840.113549.1.1.11",
            "2.5.4.3",
            "0.9.2342.19200300.100.1.25",
            "1.3.101.112",
        ] {
            assert_eq!(oid_to_string(&encode_oid(dotted)).unwrap(), dotted);
        }
    }

    #[test]
    fn reader_walks_children_and_optional_elements() {
        let inner = [sequence(&[&tlv(tag::INTEGER, &[1]), &tlv(0xA0, &[])])].concat();
        let outer = read_single(&inner, tag::SEQUENCE).unwrap();
        let mut reader = outer.children();
        assert_eq!(reader.read(tag::INTEGER).unwrap().value, &[1]);
        assert!(reader.optional(0xA1).unwrap().is_none());
        assert!(reader.optional(0xA0).unwrap().is_some());
        reader.finish().unwrap();
    }

    #[test]
    fn strips_integer_sign_padding() {
        assert_eq!(unsigned_integer(&[0x00, 0x80, 0x01]), &[0x80, 0x01]);
        assert_eq!(unsigned_integer(&[0x00]), &[0x00]);
        assert_eq!(unsigned_integer(&[0x7F]), &[0x7F]);
    }
}
