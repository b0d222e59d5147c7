//! BER to DER re-encoding for PFX files.
//!
//! Java (BouncyCastle keystores), macOS Keychain and NSS export PFX files in BER: indefinite
//! lengths and OCTET STRINGs split into constructed chunks. The PKCS#12 parser we use accepts
//! DER only, so the file is re-encoded first. Re-encoding is lossless for these structures:
//! lengths become definite and minimal, chunked OCTET STRINGs become one primitive string
//! with the concatenated content, and every other byte is kept. SET OF elements are not
//! re-sorted. The PFX MAC covers the *content* of the outer data OCTET STRING, which the
//! caller checks on the original bytes before using the re-encoded ones.

use crate::der::{self, DerError, Length, tag};

/// Nesting limit; real PFX files stay below 12 levels, and a limit keeps hostile input from
/// exhausting the stack.
const MAX_DEPTH: usize = 48;

const END_OF_CONTENTS: [u8; 2] = [0x00, 0x00];

/// Re-encodes one BER element (which must span all of `input`) as DER.
pub(crate) fn to_der(input: &[u8]) -> Result<Vec<u8>, DerError> {
    let (encoded, used) = to_der_prefix(input)?;
    if used != input.len() {
        return Err(DerError("trailing bytes after the outer element"));
    }
    Ok(encoded)
}

/// Re-encodes the BER element at the start of `input`; returns it and the bytes it used.
pub(crate) fn to_der_prefix(input: &[u8]) -> Result<(Vec<u8>, usize), DerError> {
    element(input, 0)
}

/// Re-encodes the element at the start of `input`; returns it and the bytes consumed.
fn element(input: &[u8], depth: usize) -> Result<(Vec<u8>, usize), DerError> {
    if depth > MAX_DEPTH {
        return Err(DerError("structure nested too deeply"));
    }

    let (element_tag, length, header_len) = der::read_header(input)?;
    let body = &input[header_len..];

    if element_tag & tag::CONSTRUCTED == 0 {
        let Length::Definite(len) = length else {
            return Err(DerError("indefinite length on a primitive element"));
        };
        let content = body
            .get(..len)
            .ok_or(DerError("element runs past the end of the data"))?;
        return Ok((element_with(input, content)?, header_len + len));
    }

    let (children, body_used) = constructed_children(body, length, depth)?;
    let joined = match element_tag {
        OCTET_STRING_CHUNKS => flatten_chunks(&children)?,
        _ => element_with(input, &children.concat())?,
    };
    Ok((joined, header_len + body_used))
}

/// The re-encoded children of a constructed element, and how much of `body` they used
/// (including an end-of-contents marker).
fn constructed_children(
    body: &[u8],
    length: Length,
    depth: usize,
) -> Result<(Vec<Vec<u8>>, usize), DerError> {
    let mut children = Vec::new();
    let mut pos = 0;

    match length {
        Length::Definite(len) => {
            let content = body
                .get(..len)
                .ok_or(DerError("element runs past the end of the data"))?;
            while pos < content.len() {
                let (child, used) = element(&content[pos..], depth + 1)?;
                children.push(child);
                pos += used;
            }
            Ok((children, len))
        }
        Length::Indefinite => loop {
            let rest = body.get(pos..).ok_or(DerError("missing end-of-contents"))?;
            if rest.starts_with(&END_OF_CONTENTS) {
                return Ok((children, pos + END_OF_CONTENTS.len()));
            }
            let (child, used) = element(rest, depth + 1)?;
            children.push(child);
            pos += used;
        },
    }
}

/// A constructed OCTET STRING: BER's way of splitting a string into chunks.
const OCTET_STRING_CHUNKS: u8 = tag::OCTET_STRING | tag::CONSTRUCTED;

/// A definite-length element with the identifier octets of the element at `input`.
fn element_with(input: &[u8], content: &[u8]) -> Result<Vec<u8>, DerError> {
    let identifier = &input[..der::identifier_len(input)?];
    let mut out = Vec::with_capacity(content.len() + identifier.len() + 5);
    der::write_element(&mut out, identifier, content);
    Ok(out)
}

/// One primitive OCTET STRING holding the concatenated chunks.
fn flatten_chunks(children: &[Vec<u8>]) -> Result<Vec<u8>, DerError> {
    let mut content = Vec::new();
    for child in children {
        let chunk = der::read_single(child, tag::OCTET_STRING)?;
        content.extend_from_slice(chunk.value);
    }
    Ok(der::tlv(tag::OCTET_STRING, &content))
}

/// Replaces an implicitly tagged, chunked OCTET STRING (`[n] IMPLICIT OCTET STRING` in
/// constructed form, as in CMS `EncryptedContentInfo.encryptedContent`) with its primitive
/// form. Generic re-encoding cannot know the implicit type, so callers that do apply this.
pub(crate) fn flatten_implicit_octets(encoded: &[u8]) -> Result<Vec<u8>, DerError> {
    let (outer, _) = der::read_tlv(encoded)?;
    if outer.tag & tag::CONSTRUCTED == 0 {
        return Ok(encoded.to_vec());
    }

    let mut content = Vec::new();
    let mut chunks = outer.children();
    while let Some(chunk) = chunks.next_tlv()? {
        if chunk.tag != tag::OCTET_STRING {
            return Err(DerError("implicit OCTET STRING chunk of another type"));
        }
        content.extend_from_slice(chunk.value);
    }
    Ok(der::tlv(outer.tag & !tag::CONSTRUCTED, &content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_der_unchanged() {
        let der = der::sequence(&[
            &der::tlv(tag::INTEGER, &[3]),
            &der::tlv(tag::OCTET_STRING, b"abc"),
        ]);
        assert_eq!(to_der(&der).unwrap(), der);
    }

    #[test]
    fn resolves_indefinite_lengths_and_chunks() {
        // SEQUENCE (indefinite) { INTEGER 3, OCTET STRING (constructed, indefinite) { "ab", "c" } }
        let ber = [
            0x30, 0x80, 0x02, 0x01, 0x03, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c',
            0x00, 0x00, 0x00, 0x00,
        ];
        let expected = der::sequence(&[
            &der::tlv(tag::INTEGER, &[3]),
            &der::tlv(tag::OCTET_STRING, b"abc"),
        ]);
        assert_eq!(to_der(&ber).unwrap(), expected);
    }

    #[test]
    fn keeps_high_tag_numbers() {
        let ber = [0x7F, 0x20, 0x80, 0x04, 0x01, 0xAA, 0x00, 0x00];
        assert_eq!(
            to_der(&ber).unwrap(),
            vec![0x7F, 0x20, 0x03, 0x04, 0x01, 0xAA]
        );
    }

    #[test]
    fn shortens_non_minimal_lengths() {
        let ber = [0x04, 0x82, 0x00, 0x02, 0xAA, 0xBB];
        assert_eq!(to_der(&ber).unwrap(), vec![0x04, 0x02, 0xAA, 0xBB]);
    }

    #[test]
    fn flattens_implicit_octet_chunks() {
        let chunked = der::tlv(
            0xA0,
            &[
                der::tlv(tag::OCTET_STRING, b"ab"),
                der::tlv(tag::OCTET_STRING, b"c"),
            ]
            .concat(),
        );
        assert_eq!(
            flatten_implicit_octets(&chunked).unwrap(),
            der::tlv(0x80, b"abc")
        );
        let primitive = der::tlv(0x80, b"abc");
        assert_eq!(flatten_implicit_octets(&primitive).unwrap(), primitive);
    }

    #[test]
    fn rejects_hostile_input() {
        assert!(to_der(&[0x30, 0x80, 0x02, 0x01]).is_err());
        assert!(to_der(&[0x04, 0x80, 0x00, 0x00]).is_err());
        let deep: Vec<u8> = std::iter::repeat_n([0x30, 0x80], 100).flatten().collect();
        assert!(to_der(&deep).is_err());
    }
}
