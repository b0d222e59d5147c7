//! Which certificates a CRL speaks for: the issuingDistributionPoint extension of the CRL,
//! matched against the cRLDistributionPoints extension of the certificate (RFC 5280 5.2.5,
//! 4.2.1.13 and 6.3.3 (b)).
//!
//! A CRL without issuingDistributionPoint is complete: it covers every certificate of its
//! issuer for every reason. One with it may be limited to CA or end-entity certificates, to
//! some revocation reasons, or to the certificates that name its distribution point.
//! Distribution point names are compared as encoded `GeneralName`s.

use crate::Certificate;
use crate::crl::CrlError;
use crate::der::{self, DerError, Tlv, tag};

/// Revocation reasons as ReasonFlags bits (RFC 5280 4.2.1.13): bit 1 keyCompromise up to
/// bit 8 aACompromise. Bit 0 is `unused`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reasons(u16);

impl Reasons {
    /// Every reason a status can be known for.
    pub(crate) const ALL: Self = Self(0b1_1111_1110);
    pub(crate) const NONE: Self = Self(0);

    pub(crate) fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub(crate) fn covers_all(self) -> bool {
        self.0 & Self::ALL.0 == Self::ALL.0
    }

    fn from_bit_string(value: &[u8]) -> Result<Self, DerError> {
        let (_unused, bytes) = value.split_first().ok_or(DerError("empty reason flags"))?;
        let first = u16::from(bytes.first().copied().unwrap_or(0));
        let second = u16::from(bytes.get(1).copied().unwrap_or(0));
        // Bit n of the BIT STRING is bit (7 - n) of its byte; flip into Reasons order.
        let mut flags = 0u16;
        for bit in 0..9u16 {
            let byte = if bit < 8 { first } else { second };
            if byte & (0x80 >> (bit % 8)) != 0 {
                flags |= 1 << bit;
            }
        }
        Ok(Self(flags))
    }
}

/// A distribution point's name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PointName {
    /// `fullName`: encoded `GeneralName`s.
    Full(Vec<Vec<u8>>),
    /// `nameRelativeToCRLIssuer`: an encoded RDN (SET) appended to the issuer's name.
    Relative(Vec<u8>),
}

impl PointName {
    /// The names as encoded `GeneralName`s, a relative name resolved against `issuer_der`.
    fn resolve(&self, issuer_der: &[u8]) -> Vec<Vec<u8>> {
        match self {
            Self::Full(names) => names.clone(),
            Self::Relative(rdn) => vec![directory_name(issuer_der, rdn)],
        }
    }
}

/// The scope of a CRL, from its issuingDistributionPoint extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scope {
    point: Option<PointName>,
    only_user_certs: bool,
    only_ca_certs: bool,
    reasons: Reasons,
}

impl Scope {
    /// A complete CRL: every certificate, every reason.
    pub(crate) fn complete() -> Self {
        Self {
            point: None,
            only_user_certs: false,
            only_ca_certs: false,
            reasons: Reasons::ALL,
        }
    }

    /// Decodes an issuingDistributionPoint extension value.
    pub(crate) fn from_extension(value: &[u8]) -> Result<Self, CrlError> {
        let point = der::read_single(value, tag::SEQUENCE).map_err(CrlError::malformed)?;
        let mut fields = point.children();
        let mut scope = Self::complete();

        while let Some(field) = fields.next_tlv().map_err(CrlError::malformed)? {
            scope.apply_field(field)?;
        }
        if scope.only_user_certs && scope.only_ca_certs {
            return Err(CrlError::malformed(
                "the distribution point is limited to both CA and user certificates",
            ));
        }
        Ok(scope)
    }

    fn apply_field(&mut self, field: Tlv<'_>) -> Result<(), CrlError> {
        const POINT: u8 = tag::CONTEXT | tag::CONSTRUCTED;
        const ONLY_USER: u8 = tag::CONTEXT | 1;
        const ONLY_CA: u8 = tag::CONTEXT | 2;
        const SOME_REASONS: u8 = tag::CONTEXT | 3;
        const INDIRECT: u8 = tag::CONTEXT | 4;
        const ONLY_ATTRIBUTE: u8 = tag::CONTEXT | 5;

        match field.tag {
            POINT => self.point = Some(point_name(field).map_err(CrlError::malformed)?),
            ONLY_USER => self.only_user_certs = flag(field)?,
            ONLY_CA => self.only_ca_certs = flag(field)?,
            SOME_REASONS => {
                self.reasons =
                    Reasons::from_bit_string(field.value).map_err(CrlError::malformed)?;
            }
            INDIRECT if flag(field)? => return Err(CrlError::IndirectCrl),
            ONLY_ATTRIBUTE if flag(field)? => return Err(CrlError::AttributeCertificatesOnly),
            INDIRECT | ONLY_ATTRIBUTE => {}
            _ => {
                return Err(CrlError::malformed(
                    "unknown issuing distribution point field",
                ));
            }
        }
        Ok(())
    }

    /// The reasons this CRL gives a status for, when it speaks for `certificate`; `None`
    /// when it does not speak for it at all.
    pub(crate) fn reasons_for(&self, certificate: &Certificate) -> Option<Reasons> {
        if self.only_user_certs && certificate.is_ca() {
            return None;
        }
        if self.only_ca_certs && !certificate.is_ca() {
            return None;
        }
        let Some(point) = &self.point else {
            return Some(self.reasons);
        };

        let issuer = certificate.issuer_der();
        let wanted = point.resolve(issuer);
        let named = certificate_points(certificate)
            .iter()
            .flat_map(|name| name.resolve(issuer))
            .any(|name| wanted.contains(&name));
        named.then_some(self.reasons)
    }
}

/// A DER BOOLEAN's content: exactly one octet, `FF` or `00`.
fn flag(field: Tlv<'_>) -> Result<bool, CrlError> {
    match field.value {
        [0xFF] => Ok(true),
        [0x00] => Ok(false),
        _ => Err(CrlError::malformed(
            "an issuing distribution point flag is not a DER boolean",
        )),
    }
}

/// The distribution point names of a certificate's cRLDistributionPoints extension. Points
/// that name a separate CRL issuer (indirect CRLs) are left out; a malformed extension
/// names nothing, so no scoped CRL can speak for the certificate.
fn certificate_points(certificate: &Certificate) -> Vec<PointName> {
    let Some(value) = certificate.crl_distribution_points_der() else {
        return Vec::new();
    };
    read_certificate_points(value).unwrap_or_default()
}

fn read_certificate_points(value: &[u8]) -> Result<Vec<PointName>, DerError> {
    const POINT: u8 = tag::CONTEXT | tag::CONSTRUCTED;
    const CRL_ISSUER: u8 = tag::CONTEXT | tag::CONSTRUCTED | 2;

    let points = der::read_single(value, tag::SEQUENCE)?;
    let mut reader = points.children();
    let mut names = Vec::new();

    while let Some(point) = reader.next_tlv()? {
        let mut fields = point.children();
        let mut name = None;
        let mut indirect = false;
        while let Some(field) = fields.next_tlv()? {
            match field.tag {
                POINT => name = Some(point_name(field)?),
                CRL_ISSUER => indirect = true,
                _ => {}
            }
        }
        if !indirect {
            names.extend(name);
        }
    }
    Ok(names)
}

/// Decodes `[0] DistributionPointName` (explicitly tagged, as it is a CHOICE).
fn point_name(field: Tlv<'_>) -> Result<PointName, DerError> {
    const FULL_NAME: u8 = tag::CONTEXT | tag::CONSTRUCTED;
    const RELATIVE: u8 = tag::CONTEXT | tag::CONSTRUCTED | 1;

    let (choice, rest) = der::read_tlv(field.value)?;
    if !rest.is_empty() {
        return Err(DerError("trailing bytes after the distribution point name"));
    }
    match choice.tag {
        FULL_NAME => {
            let mut reader = choice.children();
            let mut names = Vec::new();
            while let Some(name) = reader.next_tlv()? {
                names.push(name.encoded.to_vec());
            }
            Ok(PointName::Full(names))
        }
        RELATIVE => Ok(PointName::Relative(der::tlv(tag::SET, choice.value))),
        _ => Err(DerError("unknown distribution point name form")),
    }
}

/// `directoryName [4] EXPLICIT Name` for the issuer's name followed by one more RDN.
fn directory_name(issuer_der: &[u8], rdn: &[u8]) -> Vec<u8> {
    const DIRECTORY_NAME: u8 = tag::CONTEXT | tag::CONSTRUCTED | 4;

    let rdns = der::read_single(issuer_der, tag::SEQUENCE).map_or(&[][..], |name| name.value);
    let name = der::tlv(tag::SEQUENCE, &[rdns, rdn].concat());
    der::tlv(DIRECTORY_NAME, &name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der::{sequence, tlv};

    const URI: u8 = tag::CONTEXT | 6;

    fn full_name(uri: &[u8]) -> Vec<u8> {
        // [0] { [0] { uri } }
        tlv(0xA0, &tlv(0xA0, &tlv(URI, uri)))
    }

    #[test]
    fn reads_scope_flags_and_reasons() {
        let idp = sequence(&[&tlv(0x81, &[0xFF]), &tlv(0x83, &[0x07, 0x40])]);
        let scope = Scope::from_extension(&idp).unwrap();
        assert!(scope.only_user_certs && !scope.only_ca_certs);
        // 0x40 is bit 1 (keyCompromise) of the first byte.
        assert_eq!(scope.reasons, Reasons(0b10));
        assert!(!scope.reasons.covers_all());
        assert!(Reasons::NONE.union(Reasons::ALL).covers_all());
    }

    #[test]
    fn refuses_indirect_and_attribute_only_crls() {
        let indirect = sequence(&[&tlv(0x84, &[0xFF])]);
        assert_eq!(Scope::from_extension(&indirect), Err(CrlError::IndirectCrl));
        let attributes = sequence(&[&tlv(0x85, &[0xFF])]);
        assert_eq!(
            Scope::from_extension(&attributes),
            Err(CrlError::AttributeCertificatesOnly)
        );
        let both = sequence(&[&tlv(0x81, &[0xFF]), &tlv(0x82, &[0xFF])]);
        assert!(Scope::from_extension(&both).is_err());
    }

    #[test]
    fn reads_certificate_distribution_points() {
        let plain = sequence(&[&full_name(b"http://a/crl")]);
        let indirect = sequence(&[&full_name(b"http://b/crl"), &tlv(0xA2, &[])]);
        let points = read_certificate_points(&sequence(&[&plain, &indirect])).unwrap();
        assert_eq!(
            points,
            vec![PointName::Full(vec![tlv(URI, b"http://a/crl")])]
        );
    }

    #[test]
    fn resolves_relative_names_against_the_issuer() {
        let cn = sequence(&[&tlv(tag::OID, &[0x55, 0x04, 0x03]), &tlv(0x0C, b"CA")]);
        let issuer = sequence(&[&tlv(tag::SET, &cn)]);
        let ou = sequence(&[&tlv(tag::OID, &[0x55, 0x04, 0x0B]), &tlv(0x0C, b"crl1")]);
        let relative = PointName::Relative(tlv(tag::SET, &ou));

        let expected = tlv(0xA4, &sequence(&[&tlv(tag::SET, &cn), &tlv(tag::SET, &ou)]));
        assert_eq!(relative.resolve(&issuer), vec![expected]);
    }
}
