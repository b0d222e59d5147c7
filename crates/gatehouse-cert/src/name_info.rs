//! `X509Certificate2.GetNameInfo(X509NameType, bool forIssuer)`.
//!
//! The lookup order follows .NET's managed implementation (dotnet/runtime `CertificateData`),
//! which mirrors Windows `CertGetNameString`. For the issuer, read "issuer" for "subject" and
//! the issuer alternative name for the subject alternative name:
//!
//! | kind | result |
//! |---|---|
//! | `SimpleName` | CN, else OU, else O, else E, else the first other attribute (RDNs read most specific first), else the first SAN email |
//! | `EmailName` | the first SAN email, else the subject E |
//! | `UpnName` | the first SAN UPN |
//! | `DnsName` | the first SAN DNS name, else the subject CN |
//! | `DnsFromAlternativeName` | the first SAN DNS name |
//! | `UrlName` | the first SAN URI |
//!
//! Nothing found yields `""`, as in .NET.

use crate::dn::Rdn;
use crate::extensions::AltName;
use crate::oids::known;

/// The kind of name `get_name_info` returns (.NET `X509NameType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum X509NameType {
    /// A display name: the common name, or the closest substitute.
    SimpleName,
    /// An email address.
    EmailName,
    /// A Windows User Principal Name.
    UpnName,
    /// A DNS name, falling back to the common name.
    DnsName,
    /// A DNS name from the alternative name extension only.
    DnsFromAlternativeName,
    /// A URL.
    UrlName,
}

/// Resolves `kind` against one side (subject or issuer) of a certificate.
pub(crate) fn name_info(kind: X509NameType, rdns: &[Rdn], alt_names: &[AltName]) -> String {
    if kind == X509NameType::SimpleName
        && let Some(simple) = simple_name(rdns)
    {
        return simple.to_owned();
    }

    if let Some(found) = alt_names.iter().find_map(|name| alt_name_match(kind, name)) {
        return found.to_owned();
    }

    let fallback = match kind {
        X509NameType::EmailName => Some(known::EMAIL_ADDRESS),
        X509NameType::DnsName => Some(known::COMMON_NAME),
        _ => None,
    };
    fallback
        .and_then(|oid| crate::dn::most_specific(rdns, oid))
        .unwrap_or_default()
        .to_owned()
}

/// Which alternative-name entry answers `kind`.
fn alt_name_match(kind: X509NameType, name: &AltName) -> Option<&str> {
    match (kind, name) {
        (X509NameType::SimpleName | X509NameType::EmailName, AltName::Email(email)) => Some(email),
        (X509NameType::DnsName | X509NameType::DnsFromAlternativeName, AltName::Dns(dns)) => {
            Some(dns)
        }
        (X509NameType::UpnName, AltName::Upn(upn)) => Some(upn),
        (X509NameType::UrlName, AltName::Uri(uri)) => Some(uri),
        _ => None,
    }
}

/// The first CN, reading RDNs most specific first. While scanning, .NET overwrites its OU,
/// O and E candidates on every match, so when there is no CN the *least* specific of each
/// wins; the same quirk is kept here.
fn simple_name(rdns: &[Rdn]) -> Option<&str> {
    let mut unit = None;
    let mut organization = None;
    let mut email = None;
    let mut first_other = None;

    for attribute in rdns.iter().rev().flatten() {
        let value = attribute.value.as_str();
        match attribute.oid.as_str() {
            known::COMMON_NAME => return Some(value),
            known::ORGANIZATIONAL_UNIT => unit = Some(value),
            known::ORGANIZATION => organization = Some(value),
            known::EMAIL_ADDRESS => email = Some(value),
            _ => first_other = first_other.or(Some(value)),
        }
    }
    unit.or(organization).or(email).or(first_other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dn::Attribute;

    fn rdns(pairs: &[(&str, &str)]) -> Vec<Rdn> {
        let attribute = |(oid, value): &(&str, &str)| Attribute {
            oid: (*oid).to_owned(),
            value: (*value).to_owned(),
            binary: false,
        };
        pairs.iter().map(|pair| vec![attribute(pair)]).collect()
    }

    const C: &str = "2.5.4.6";

    #[test]
    fn simple_name_prefers_cn_then_ou_o_e() {
        let no_alt: &[AltName] = &[];
        let full = rdns(&[
            (C, "US"),
            (known::ORGANIZATION, "Contoso"),
            (known::COMMON_NAME, "Ada"),
        ]);
        assert_eq!(name_info(X509NameType::SimpleName, &full, no_alt), "Ada");

        let units = rdns(&[
            (known::ORGANIZATIONAL_UNIT, "outer"),
            (known::ORGANIZATION, "Contoso"),
            (known::ORGANIZATIONAL_UNIT, "inner"),
        ]);
        assert_eq!(name_info(X509NameType::SimpleName, &units, no_alt), "outer");

        let only_country = rdns(&[(C, "US")]);
        assert_eq!(
            name_info(X509NameType::SimpleName, &only_country, no_alt),
            "US"
        );
    }

    #[test]
    fn simple_name_falls_back_to_san_email() {
        let alt = [AltName::Email("ops@contoso.com".into())];
        assert_eq!(
            name_info(X509NameType::SimpleName, &[], &alt),
            "ops@contoso.com"
        );
    }

    #[test]
    fn dns_name_prefers_san_then_cn() {
        let subject = rdns(&[(known::COMMON_NAME, "cn.contoso.com")]);
        let alt = [
            AltName::Email("x@y".into()),
            AltName::Dns("san.contoso.com".into()),
        ];
        assert_eq!(
            name_info(X509NameType::DnsName, &subject, &alt),
            "san.contoso.com"
        );
        assert_eq!(
            name_info(X509NameType::DnsName, &subject, &[]),
            "cn.contoso.com"
        );
        assert_eq!(
            name_info(X509NameType::DnsFromAlternativeName, &subject, &[]),
            ""
        );
    }

    #[test]
    fn email_upn_and_url_names() {
        let subject = rdns(&[(known::EMAIL_ADDRESS, "subject@contoso.com")]);
        let alt = [
            AltName::Uri("https://contoso.com".into()),
            AltName::Upn("ada@contoso.local".into()),
        ];
        assert_eq!(
            name_info(X509NameType::EmailName, &subject, &alt),
            "subject@contoso.com"
        );
        assert_eq!(
            name_info(X509NameType::UpnName, &subject, &alt),
            "ada@contoso.local"
        );
        assert_eq!(
            name_info(X509NameType::UrlName, &subject, &alt),
            "https://contoso.com"
        );
        assert_eq!(name_info(X509NameType::UrlName, &subject, &[]), "");
    }
}
