//! The extensions whose exact content the .NET members expose: alternative names and
//! extended key usages.
//!
//! x509-parser decodes both, but its EKU type folds well-known purposes into flags and loses
//! their order, and its alternative-name type hides the UPN encoding. Reading the extension
//! bytes directly keeps the encoded order, which `GetNameInfo` ("the first DNS name") needs.

use std::net::IpAddr;
use std::sync::Arc;

use crate::der::{self, DerError, Tlv, tag};
use crate::oids::known;

/// One entry of a subject or issuer alternative name extension.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AltName {
    /// `dNSName`.
    Dns(Arc<str>),
    /// `rfc822Name`, an email address.
    Email(Arc<str>),
    /// `uniformResourceIdentifier`.
    Uri(Arc<str>),
    /// `iPAddress`.
    Ip(IpAddr),
    /// `otherName` of type User Principal Name (Windows logon name).
    Upn(Arc<str>),
    /// Any other kind (directory names, registered IDs, other `otherName` types).
    Other,
}

/// Decodes the value of a subjectAltName or issuerAltName extension (`GeneralNames`).
pub(crate) fn parse_general_names(ext_value: &[u8]) -> Result<Vec<AltName>, DerError> {
    let names = der::read_single(ext_value, tag::SEQUENCE)?;
    let mut reader = names.children();
    let mut out = Vec::new();

    while let Some(name) = reader.next_tlv()? {
        out.push(parse_general_name(name)?);
    }
    Ok(out)
}

fn parse_general_name(name: Tlv<'_>) -> Result<AltName, DerError> {
    const OTHER_NAME: u8 = tag::CONTEXT | tag::CONSTRUCTED;
    const RFC822: u8 = tag::CONTEXT | 1;
    const DNS: u8 = tag::CONTEXT | 2;
    const URI: u8 = tag::CONTEXT | 6;
    const IP: u8 = tag::CONTEXT | 7;

    let name = match name.tag {
        RFC822 => AltName::Email(ia5(name.value)),
        DNS => AltName::Dns(ia5(name.value)),
        URI => AltName::Uri(ia5(name.value)),
        IP => ip_address(name.value).map_or(AltName::Other, AltName::Ip),
        OTHER_NAME => parse_other_name(name)?,
        _ => AltName::Other,
    };
    Ok(name)
}

/// IA5String content; non-ASCII bytes are kept as ISO 8859-1 rather than rejected.
fn ia5(bytes: &[u8]) -> Arc<str> {
    bytes
        .iter()
        .map(|&b| char::from(b))
        .collect::<String>()
        .into()
}

fn ip_address(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// `otherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY }`; only the UPN is decoded.
fn parse_other_name(name: Tlv<'_>) -> Result<AltName, DerError> {
    let mut fields = name.children();
    let type_id = der::oid_to_string(fields.read(tag::OID)?.value)?;
    if type_id != known::USER_PRINCIPAL_NAME {
        return Ok(AltName::Other);
    }

    let explicit = fields.read(tag::CONTEXT | tag::CONSTRUCTED)?;
    let value = der::read_single(explicit.value, tag::UTF8_STRING)?;
    Ok(AltName::Upn(String::from_utf8_lossy(value.value).into()))
}

/// Decodes the value of an extendedKeyUsage extension into dotted OIDs, in encoded order.
pub(crate) fn parse_extended_key_usage(ext_value: &[u8]) -> Result<Vec<Arc<str>>, DerError> {
    let usages = der::read_single(ext_value, tag::SEQUENCE)?;
    let mut reader = usages.children();
    let mut out = Vec::new();

    while !reader.is_empty() {
        let oid = reader.read(tag::OID)?;
        out.push(der::oid_to_string(oid.value)?.into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der::{sequence, tlv};

    #[test]
    fn decodes_general_names_in_order() {
        // otherName UPN: OID 1.3.6.1.4.1.311.20.2.3, [0] { UTF8String "ada@contoso" }
        let upn_oid = tlv(
            tag::OID,
            &[0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x14, 0x02, 0x03],
        );
        let upn_value = tlv(0xA0, &tlv(tag::UTF8_STRING, b"ada@contoso"));
        let names = sequence(&[
            &tlv(0x82, b"a.contoso.com"),
            &tlv(0x81, b"ops@contoso.com"),
            &tlv(0x87, &[127, 0, 0, 1]),
            &tlv(0x86, b"spiffe://contoso/client"),
            &tlv(0xA0, &[upn_oid, upn_value].concat()),
            &tlv(0x82, b"b.contoso.com"),
        ]);

        let parsed = parse_general_names(&names).unwrap();
        assert_eq!(
            parsed,
            vec![
                AltName::Dns("a.contoso.com".into()),
                AltName::Email("ops@contoso.com".into()),
                AltName::Ip(IpAddr::from([127, 0, 0, 1])),
                AltName::Uri("spiffe://contoso/client".into()),
                AltName::Upn("ada@contoso".into()),
                AltName::Dns("b.contoso.com".into()),
            ]
        );
    }

    #[test]
    fn decodes_extended_key_usages_in_order() {
        let client = tlv(tag::OID, &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02]);
        let server = tlv(tag::OID, &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01]);
        let value = sequence(&[&client, &server]);
        let parsed = parse_extended_key_usage(&value).unwrap();
        assert_eq!(
            parsed,
            vec![
                Arc::from(known::CLIENT_AUTH),
                Arc::from("1.3.6.1.5.5.7.3.1")
            ]
        );
    }

    #[test]
    fn rejects_malformed_values() {
        assert!(parse_general_names(&[0x30, 0x03, 0x82, 0x05]).is_err());
        assert!(parse_extended_key_usage(&sequence(&[&tlv(tag::INTEGER, &[1])])).is_err());
    }
}
