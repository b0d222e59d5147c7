//! Tells DER structures apart by their shape, so an upload of the wrong file gets a precise
//! answer ("this is a CRL") instead of a parser error.

use crate::der::{self, Tlv, tag};

const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// What a DER `SEQUENCE` most likely is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DerKind {
    Pfx,
    Certificate,
    /// Not a certificate; the text says what it is.
    Other(&'static str),
}

/// Classifies a DER/BER `SEQUENCE` from its first few elements. Anything unclear is
/// reported as a certificate so that the certificate parser gives the detailed error.
pub(super) fn classify(bytes: &[u8]) -> DerKind {
    let Ok((tag::SEQUENCE, _, header_len)) = der::read_header(bytes) else {
        return DerKind::Certificate;
    };
    let body = &bytes[header_len..];
    match body.first() {
        Some(&tag::INTEGER) => classify_versioned(body),
        Some(&tag::OID) => DerKind::Other(PKCS7),
        Some(&tag::SEQUENCE) => classify_signed(bytes),
        _ => DerKind::Certificate,
    }
}

const PKCS7: &str = "a PKCS#7/CMS structure (.p7b); export the certificates as PEM or PFX";
const PRIVATE_KEY: &str = "a private key without its certificate";

/// `SEQUENCE { INTEGER, ... }`: a PFX (version 3) or a private key (PKCS#8, PKCS#1, SEC1).
fn classify_versioned(body: &[u8]) -> DerKind {
    let mut elements = der::Reader::new(body);
    let Ok(Some(version)) = elements.next_tlv() else {
        return DerKind::Certificate;
    };
    if version.value == [3] {
        return DerKind::Pfx;
    }
    match elements.next_tlv() {
        Ok(Some(next)) if matches!(next.tag, tag::SEQUENCE | tag::INTEGER | tag::OCTET_STRING) => {
            DerKind::Other(PRIVATE_KEY)
        }
        _ => DerKind::Certificate,
    }
}

/// `SEQUENCE { SEQUENCE, ... }`: a signed structure (certificate, CRL, CSR) or a public key.
fn classify_signed(bytes: &[u8]) -> DerKind {
    let Ok((outer, _)) = der::read_tlv(bytes) else {
        return DerKind::Certificate;
    };
    let mut parts = outer.children();
    let (Ok(Some(first)), Ok(Some(second))) = (parts.next_tlv(), parts.next_tlv()) else {
        return DerKind::Certificate;
    };
    if second.tag == tag::BIT_STRING && parts.is_empty() {
        return DerKind::Other("a public key, not a certificate");
    }
    classify_to_be_signed(first)
}

/// Looks at the signed content: a CRL has a time where a certificate has its validity
/// SEQUENCE, and a CSR ends in `[0]` attributes.
fn classify_to_be_signed(tbs: Tlv<'_>) -> DerKind {
    let mut tags = Vec::new();
    let mut elements = tbs.children();
    while let Ok(Some(element)) = elements.next_tlv() {
        tags.push(element.tag);
        if tags.len() == 4 {
            break;
        }
    }

    let has_time = tags
        .iter()
        .take(4)
        .any(|&t| t == UTC_TIME || t == GENERALIZED_TIME);
    let csr_shape = tags.len() == 4
        && tags[..3] == [tag::INTEGER, tag::SEQUENCE, tag::SEQUENCE]
        && tags[3] == 0xA0;
    if has_time {
        DerKind::Other("a certificate revocation list (CRL), not a certificate")
    } else if csr_shape {
        DerKind::Other("a certificate signing request (CSR), not a certificate")
    } else {
        DerKind::Certificate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der::{sequence, tlv};

    fn int(v: u8) -> Vec<u8> {
        tlv(tag::INTEGER, &[v])
    }

    #[test]
    fn recognises_pfx_and_private_keys() {
        assert_eq!(
            classify(&sequence(&[&int(3), &sequence(&[])])),
            DerKind::Pfx
        );
        let pkcs8 = sequence(&[&int(0), &sequence(&[]), &tlv(tag::OCTET_STRING, &[1])]);
        assert_eq!(classify(&pkcs8), DerKind::Other(PRIVATE_KEY));
        let pkcs1 = sequence(&[&int(0), &int(5), &int(3)]);
        assert_eq!(classify(&pkcs1), DerKind::Other(PRIVATE_KEY));
    }

    #[test]
    fn recognises_crls_csrs_and_public_keys() {
        let signature = [sequence(&[]), tlv(tag::BIT_STRING, &[0])];
        let crl_tbs = sequence(&[
            &int(1),
            &sequence(&[]),
            &sequence(&[]),
            &tlv(UTC_TIME, b"250101000000Z"),
        ]);
        let crl = sequence(&[&crl_tbs, &signature[0], &signature[1]]);
        assert!(matches!(classify(&crl), DerKind::Other(text) if text.contains("CRL")));

        let csr_info = sequence(&[&int(0), &sequence(&[]), &sequence(&[]), &tlv(0xA0, &[])]);
        let csr = sequence(&[&csr_info, &signature[0], &signature[1]]);
        assert!(matches!(classify(&csr), DerKind::Other(text) if text.contains("CSR")));

        let spki = sequence(&[&sequence(&[]), &signature[1]]);
        assert!(matches!(classify(&spki), DerKind::Other(text) if text.contains("public key")));
    }

    #[test]
    fn leaves_certificates_to_the_parser() {
        let tbs = sequence(&[&tlv(0xA0, &int(2)), &int(1), &sequence(&[])]);
        let cert = sequence(&[&tbs, &sequence(&[]), &tlv(tag::BIT_STRING, &[0])]);
        assert_eq!(classify(&cert), DerKind::Certificate);
    }
}
