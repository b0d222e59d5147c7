//! Distinguished names in the text form .NET prints for `X500DistinguishedName.Name`.
//!
//! APIM policies compare `Subject`, `Issuer` and `SubjectName.Name` with literal strings
//! copied from Windows, so the formatting must match character for character. The rules
//! follow Windows `CertNameToStr(CERT_X500_NAME_STR | CERT_NAME_STR_REVERSE_FLAG)`, which
//! .NET reproduces on every platform (dotnet/runtime `X500NameEncoder`):
//!
//! - RDNs are printed most specific first, the reverse of their encoding order, joined by
//!   `", "`; the attributes of a multi-valued RDN keep their encoded order, joined by `" + "`.
//! - Each attribute prints as `KEY=value`, where `KEY` is the .NET friendly name of the
//!   attribute type (`CN`, `S`, `E`, ...) or `OID.` followed by the dotted OID.
//! - A value is wrapped in double quotes when it is empty, starts or ends with a space, tab,
//!   CR, LF, VT or FF, or contains any of `, + = " \n < > # ;`; an inner `"` is doubled.
//!   A carriage return in the middle does not trigger quoting (Windows does not quote it).
//! - String values are decoded by their ASN.1 type: UTF8String as UTF-8, BMPString as
//!   UTF-16BE, UniversalString as UCS-4, T61String as UTF-8 when valid and ISO 8859-1
//!   otherwise, the ASCII types byte for byte. Trailing NUL characters are dropped.
//! - An OCTET STRING prints as `#` and its content in uppercase hex; any other non-string
//!   value prints as `#` and its whole encoding in hex. Hex values are never quoted.
//! - A name that cannot be decoded prints as the empty string.
//!
//! Deliberate leniency, matching Windows rather than .NET on Linux: PrintableString and
//! IA5String values with characters outside their ASN.1 alphabet (a `*` in a wildcard CN is
//! common) and VisibleString values print as text, and invalid UTF-8 is replaced with U+FFFD
//! instead of blanking the whole name.

use crate::der::{self, DerError, Reader, tag};
use crate::oids;

/// One attribute of a distinguished name, decoded for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attribute {
    /// Dotted attribute type, e.g. `2.5.4.3`.
    pub(crate) oid: String,
    /// The decoded value, or `#` + hex for values that are not strings.
    pub(crate) value: String,
    /// True when `value` is the `#hex` fallback (never quoted).
    pub(crate) binary: bool,
}

/// A relative distinguished name: one or more attributes.
pub(crate) type Rdn = Vec<Attribute>;

/// Formats an encoded `Name` the way .NET's `X500DistinguishedName.Name` does.
///
/// Undecodable input yields `""`, as on Windows.
pub fn dotnet_distinguished_name(name_der: &[u8]) -> String {
    parse_rdns(name_der)
        .map(|rdns| format_rdns(&rdns))
        .unwrap_or_default()
}

/// Decodes an encoded `Name` into its RDNs, in encoding order.
pub(crate) fn parse_rdns(name_der: &[u8]) -> Result<Vec<Rdn>, DerError> {
    let name = der::read_single(name_der, tag::SEQUENCE)?;
    let mut rdns = Vec::new();
    let mut sets = name.children();

    while let Some(set) = sets.next_tlv()? {
        if set.tag != tag::SET {
            return Err(DerError("an RDN is not a SET"));
        }
        rdns.push(parse_rdn(set.children())?);
    }
    Ok(rdns)
}

/// Decodes the attributes of one RDN. Windows accepts sets that are not DER-sorted, so the
/// encoded order is kept.
fn parse_rdn(mut attributes: Reader<'_>) -> Result<Rdn, DerError> {
    let mut rdn = Vec::new();
    while let Some(pair) = attributes.next_tlv()? {
        if pair.tag != tag::SEQUENCE {
            return Err(DerError("an attribute is not a SEQUENCE"));
        }
        rdn.push(parse_attribute(pair.children())?);
    }
    if rdn.is_empty() {
        return Err(DerError("empty RDN"));
    }
    Ok(rdn)
}

fn parse_attribute(mut fields: Reader<'_>) -> Result<Attribute, DerError> {
    let oid = der::oid_to_string(fields.read(tag::OID)?.value)?;
    let value = fields
        .next_tlv()?
        .ok_or(DerError("attribute without a value"))?;
    fields.finish()?;

    let (value, binary) = match decode_value(value.tag, value.value) {
        Some(text) => (text.trim_end_matches('\0').to_owned(), false),
        None => (hex_fallback(value.tag, value.value, value.encoded), true),
    };
    Ok(Attribute { oid, value, binary })
}

/// Text of a string-typed value; `None` for types that print as hex.
fn decode_value(value_tag: u8, bytes: &[u8]) -> Option<String> {
    match value_tag {
        tag::UTF8_STRING => Some(String::from_utf8_lossy(bytes).into_owned()),
        tag::PRINTABLE_STRING | tag::NUMERIC_STRING | tag::IA5_STRING | tag::VISIBLE_STRING => {
            Some(latin1(bytes))
        }
        tag::T61_STRING => {
            Some(std::str::from_utf8(bytes).map_or_else(|_| latin1(bytes), str::to_owned))
        }
        tag::BMP_STRING => utf16_be(bytes),
        tag::UNIVERSAL_STRING => ucs4_be(bytes),
        _ => None,
    }
}

/// Windows unwraps one OCTET STRING and shows its content; anything else shows whole.
fn hex_fallback(value_tag: u8, content: &[u8], encoded: &[u8]) -> String {
    let shown = if value_tag == tag::OCTET_STRING {
        content
    } else {
        encoded
    };
    format!("#{}", hex::encode_upper(shown))
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn utf16_be(bytes: &[u8]) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]));
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

fn ucs4_be(bytes: &[u8]) -> Option<String> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    bytes
        .chunks_exact(4)
        .map(|quad| char::from_u32(u32::from_be_bytes([quad[0], quad[1], quad[2], quad[3]])))
        .collect()
}

/// Joins decoded RDNs most specific first.
pub(crate) fn format_rdns(rdns: &[Rdn]) -> String {
    let mut out = String::new();
    for (index, rdn) in rdns.iter().rev().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        format_rdn(&mut out, rdn);
    }
    out
}

fn format_rdn(out: &mut String, rdn: &[Attribute]) {
    for (index, attribute) in rdn.iter().enumerate() {
        if index > 0 {
            out.push_str(" + ");
        }
        push_key(out, &attribute.oid);
        out.push('=');
        push_value(out, attribute);
    }
}

fn push_key(out: &mut String, oid: &str) {
    match oids::friendly_name(oid) {
        Some(name) => out.push_str(name),
        None => {
            out.push_str("OID.");
            out.push_str(oid);
        }
    }
}

fn push_value(out: &mut String, attribute: &Attribute) {
    if attribute.binary || !needs_quoting(&attribute.value) {
        out.push_str(&attribute.value);
        return;
    }
    out.push('"');
    out.push_str(&attribute.value.replace('"', "\"\""));
    out.push('"');
}

/// The CertNameToStr quoting rule.
fn needs_quoting(value: &str) -> bool {
    const SPECIAL: [char; 9] = [',', '+', '=', '"', '\n', '<', '>', '#', ';'];

    let edge_is_space = |c: Option<char>| c.is_some_and(is_quotable_whitespace);
    value.is_empty()
        || edge_is_space(value.chars().next())
        || edge_is_space(value.chars().next_back())
        || value.contains(SPECIAL)
}

/// Space and the ASCII control whitespace; other Unicode spaces are not quoted by Windows.
fn is_quotable_whitespace(c: char) -> bool {
    c == ' ' || ('\u{9}'..='\u{d}').contains(&c)
}

/// The value of the most specific attribute of type `oid` (last in encoding order).
pub(crate) fn most_specific<'a>(rdns: &'a [Rdn], oid: &str) -> Option<&'a str> {
    rdns.iter()
        .rev()
        .flatten()
        .find(|a| a.oid == oid)
        .map(|a| a.value.as_str())
}

#[cfg(test)]
#[path = "dn_tests.rs"]
mod tests;
