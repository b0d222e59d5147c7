//! `<identity>` claims of `validate-client-certificate`: compiled once, matched per request.
//!
//! A certificate matches an identity when it matches every claim the identity makes. How
//! each claim compares (APIM leaves most of it unsaid; Gatehouse never matches more than
//! what was written):
//!
//! | claim | compares |
//! | --- | --- |
//! | `thumbprint` | SHA-1 thumbprint, 40 hex digits, letter case ignored (hex is hex) |
//! | `serial-number` | hex digits, letter case and leading zeros ignored |
//! | `common-name` | the subject's CN, exactly |
//! | `subject` | the subject, as a distinguished name (see `dn.rs`) |
//! | `dns-name` | one of the DNS subject alternative names, ASCII case ignored (DNS is) |
//! | `issuer-subject` | the issuer name, as a distinguished name |
//! | `issuer-thumbprint` | the thumbprint of a CA certificate whose key signed this one |
//! | `issuer-certificate-id` | that uploaded certificate's key signed this one |
//!
//! Issuer claims check the signature, not just the name: a CA certificate counts as the
//! issuer only when its key verifies the client certificate (see
//! [`Certificate::is_issued_by`]). Candidates are the verified chain's issuer, the
//! intermediates the caller presented and the uploaded certificates.

use gatehouse_cert::Certificate;

use super::dn::DistinguishedName;
use crate::compile::Compiler;
use crate::reader::{Code, Element};

/// The XML names of the claims, in the order they are checked.
const CLAIMS: [&str; 8] = [
    "thumbprint",
    "serial-number",
    "common-name",
    "subject",
    "dns-name",
    "issuer-subject",
    "issuer-thumbprint",
    "issuer-certificate-id",
];

/// One `<identity>`: every claim it makes.
#[derive(Clone, Debug, Default)]
pub(super) struct Identity {
    thumbprint: Option<String>,
    serial_number: Option<String>,
    common_name: Option<String>,
    subject: Option<DistinguishedName>,
    dns_name: Option<String>,
    issuer_subject: Option<DistinguishedName>,
    issuer_thumbprint: Option<String>,
    issuer_certificate: Option<Certificate>,
}

/// What a request offers to match claims against.
pub(super) struct Presented<'a> {
    /// The caller's certificate.
    pub(super) certificate: &'a Certificate,
    /// Certificates that may have issued it: verified issuer, presented chain, uploads.
    pub(super) issuer_candidates: Vec<&'a Certificate>,
}

/// Compiles one `<identity>`; `None` after reporting its problems.
pub(super) fn compile(element: &Element, cx: &mut Compiler<'_>) -> Option<Identity> {
    let mut identity = Identity::default();
    let mut ok = true;
    for claim in CLAIMS {
        let Some(value) = cx.literal::<String>(element, claim, "text") else {
            ok &= element.attribute(claim).is_none();
            continue;
        };
        if let Err(message) = identity.set(claim, &value, cx) {
            report(cx, element, claim, message);
            ok = false;
        }
    }
    ok &= check_shape(&identity, element, cx);
    ok.then_some(identity)
}

fn report(cx: &mut Compiler<'_>, element: &Element, claim: &str, message: String) {
    let position = element
        .attribute(claim)
        .map_or(element.position, |a| a.value.position);
    let message = format!("attribute '{claim}' of <identity> {message}");
    cx.error(position, Code::InvalidValue, message);
}

/// An identity without claims would match every certificate; `issuer-certificate-id`
/// excludes the other issuer claims (APIM's rule).
fn check_shape(identity: &Identity, element: &Element, cx: &mut Compiler<'_>) -> bool {
    if CLAIMS
        .iter()
        .all(|claim| element.attribute(claim).is_none())
    {
        let message = "<identity> needs at least one claim: an identity without claims would match every certificate";
        cx.error(element.position, Code::MissingAttribute, message);
        return false;
    }
    let other_issuer_claims =
        identity.issuer_subject.is_some() || identity.issuer_thumbprint.is_some();
    if element.attribute("issuer-certificate-id").is_some() && other_issuer_claims {
        let message = "'issuer-certificate-id' excludes 'issuer-subject' and 'issuer-thumbprint'";
        cx.error(element.position, Code::InvalidValue, message);
        return false;
    }
    true
}

impl Identity {
    fn set(&mut self, claim: &str, value: &str, cx: &Compiler<'_>) -> Result<(), String> {
        if value.is_empty() {
            return Err("must not be empty".to_owned());
        }
        match claim {
            "thumbprint" => self.thumbprint = Some(thumbprint(value)?),
            "serial-number" => self.serial_number = Some(serial_number(value)?),
            "common-name" => self.common_name = Some(value.to_owned()),
            "subject" => self.subject = Some(name(value)?),
            "dns-name" => self.dns_name = Some(value.to_owned()),
            "issuer-subject" => self.issuer_subject = Some(name(value)?),
            "issuer-thumbprint" => self.issuer_thumbprint = Some(thumbprint(value)?),
            _ => self.issuer_certificate = Some(uploaded(value, cx)?),
        }
        Ok(())
    }

    /// Whether `presented` matches every claim.
    pub(super) fn matches(&self, presented: &Presented<'_>) -> bool {
        let certificate = presented.certificate;
        self.matches_subject(certificate)
            && self.matches_issuer(certificate, &presented.issuer_candidates)
    }

    /// The claims about the certificate itself.
    fn matches_subject(&self, certificate: &Certificate) -> bool {
        let common_name = certificate.subject_common_name();
        let dns_names = certificate.dns_names();
        holds(&self.thumbprint, |t| {
            certificate.thumbprint().eq_ignore_ascii_case(t)
        }) && holds(&self.serial_number, |s| {
            canonical_serial(certificate.serial_number()) == *s
        }) && holds(&self.common_name, |cn| {
            common_name.is_some_and(|a| **a == **cn)
        }) && holds(&self.subject, |dn| same_name(dn, certificate.subject()))
            && holds(&self.dns_name, |d| {
                dns_names.iter().any(|n| n.eq_ignore_ascii_case(d))
            })
    }

    /// The claims about its issuer; the thumbprint and certificate claims by signature.
    fn matches_issuer(&self, certificate: &Certificate, candidates: &[&Certificate]) -> bool {
        let signed_by = |wanted: &str| {
            let listed = candidates
                .iter()
                .filter(|c| c.thumbprint().eq_ignore_ascii_case(wanted));
            listed
                .into_iter()
                .any(|issuer| certificate.is_issued_by(issuer))
        };
        holds(&self.issuer_subject, |dn| {
            same_name(dn, certificate.issuer())
        }) && holds(&self.issuer_thumbprint, |t| signed_by(t))
            && holds(&self.issuer_certificate, |issuer| {
                certificate.is_issued_by(issuer)
            })
    }

    /// Whether matching needs the candidates for the issuer.
    pub(super) fn needs_issuer_candidates(&self) -> bool {
        self.issuer_thumbprint.is_some()
    }
}

/// True when the identity makes no such claim, or the claim holds.
fn holds<T>(claim: &Option<T>, check: impl FnOnce(&T) -> bool) -> bool {
    claim.as_ref().is_none_or(check)
}

/// Whether the printed name `actual` is the claimed name.
fn same_name(claimed: &DistinguishedName, actual: &str) -> bool {
    DistinguishedName::parse(actual).is_ok_and(|parsed| parsed == *claimed)
}

/// A thumbprint claim, upper case. Spaces and colons (as Windows and openssl show them) are
/// refused rather than removed, so what is written is what is compared.
fn thumbprint(value: &str) -> Result<String, String> {
    let hex = value.len() == 40 && value.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex {
        return Err(
            "must be a SHA-1 thumbprint: 40 hexadecimal digits without spaces or colons".to_owned(),
        );
    }
    Ok(value.to_ascii_uppercase())
}

fn serial_number(value: &str) -> Result<String, String> {
    if !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("must be the serial number in hexadecimal digits".to_owned());
    }
    Ok(canonical_serial(value))
}

/// Hex digits in upper case without leading zeros: `00A1` (as .NET prints a serial whose
/// first byte has the high bit set) and `a1` are the same number.
fn canonical_serial(hex: &str) -> String {
    let trimmed = hex.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_ascii_uppercase()
    }
}

fn name(value: &str) -> Result<DistinguishedName, String> {
    DistinguishedName::parse(value).map_err(|e| {
        format!(
            "is not a distinguished name as .NET prints it ({e}); write it the way context.Request.Certificate.Subject shows it, e.g. CN=client, O=Contoso, C=US"
        )
    })
}

fn uploaded(id: &str, cx: &Compiler<'_>) -> Result<Certificate, String> {
    cx.env.certificate(id).cloned().ok_or_else(|| {
        format!("names no uploaded certificate '{id}' (PUT /certificates/{id} first)")
    })
}
