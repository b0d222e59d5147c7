//! Whether a certificate is valid for a name: a backend's host name or address (backend TLS),
//! or a caller's email address.

use std::net::IpAddr;

use rustls_pki_types::{CertificateDer, ServerName};
use webpki::EndEntityCert;

use crate::verify::VerifyError;
use crate::{AltName, Certificate};

/// A name a certificate must be valid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerName<'a> {
    /// A DNS host name; wildcards in the certificate match one label, as browsers do.
    Dns(&'a str),
    /// An IP address, matched against iPAddress alternative names only.
    Ip(IpAddr),
    /// An email address, matched against rfc822Name alternative names: the mailbox exactly,
    /// the domain without regard to ASCII case.
    Email(&'a str),
}

/// Checks that `leaf` is valid for `name`, by its subject alternative names (the subject's
/// common name is not consulted, as RFC 6125 and current browsers require).
///
/// # Errors
/// [`VerifyError::NameMismatch`] when no alternative name matches or `name` is not a valid
/// name of its kind; [`VerifyError::Malformed`] when the certificate cannot be read.
pub fn verify_peer_name(leaf: &Certificate, name: &PeerName<'_>) -> Result<(), VerifyError> {
    match name {
        PeerName::Dns(host) => {
            let server = ServerName::try_from(*host).map_err(|_| VerifyError::NameMismatch)?;
            verify_server_name(leaf, &server)
        }
        PeerName::Ip(ip) => verify_server_name(leaf, &ServerName::IpAddress((*ip).into())),
        PeerName::Email(address) => verify_email(leaf, address),
    }
}

fn verify_server_name(leaf: &Certificate, name: &ServerName<'_>) -> Result<(), VerifyError> {
    let der = CertificateDer::from(leaf.der());
    let end_entity = EndEntityCert::try_from(&der).map_err(|e| VerifyError::from_webpki(&e))?;
    end_entity
        .verify_is_valid_for_subject_name(name)
        .map_err(|e| VerifyError::from_webpki(&e))
}

fn verify_email(leaf: &Certificate, address: &str) -> Result<(), VerifyError> {
    let wanted = split_email(address).ok_or(VerifyError::NameMismatch)?;
    let matches = |presented: &str| {
        split_email(presented).is_some_and(|(mailbox, domain)| {
            mailbox == wanted.0 && domain.eq_ignore_ascii_case(wanted.1)
        })
    };

    let found = leaf
        .subject_alternative_names()
        .iter()
        .any(|name| matches!(name, AltName::Email(email) if matches(email)));
    if found {
        Ok(())
    } else {
        Err(VerifyError::NameMismatch)
    }
}

/// `(mailbox, domain)` of an address with exactly one `@` and neither part empty.
fn split_email(address: &str) -> Option<(&str, &str)> {
    let (mailbox, domain) = address.split_once('@')?;
    let well_formed = !mailbox.is_empty() && !domain.is_empty() && !domain.contains('@');
    well_formed.then_some((mailbox, domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_email_addresses() {
        assert_eq!(split_email("a@example.com"), Some(("a", "example.com")));
        assert_eq!(split_email("a@b@example.com"), None);
        assert_eq!(split_email("@example.com"), None);
        assert_eq!(split_email("a@"), None);
        assert_eq!(split_email("example.com"), None);
    }
}
