//! The revocation status of one certificate of a verified path; the rules are in the module
//! documentation of [`crate::crl`].

use time::OffsetDateTime;

use crate::crl::parse::minimal_integer;
use crate::crl::scope::Reasons;
use crate::crl::{Crl, RevocationReason, may_sign_crls};
use crate::{Certificate, KeyUsage};

/// The issuer of the certificate being checked, as the verified path has it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Issuer<'a> {
    /// Its DER SubjectPublicKeyInfo.
    pub(crate) spki_der: &'a [u8],
    /// Its keyUsage extension, when it has one.
    pub(crate) key_usage: Option<KeyUsage>,
}

/// What the CRLs say about one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Covered for every reason, and not listed.
    Good,
    /// Listed by a CRL of its issuer.
    Revoked(Option<RevocationReason>),
    /// The only CRLs that would cover it are past their nextUpdate.
    Expired { next_update: OffsetDateTime },
    /// No usable CRL covers it (for every reason).
    Unknown,
}

/// Looks the certificate up in the CRLs of its issuer.
pub(crate) fn status(
    certificate: &Certificate,
    issuer: Issuer<'_>,
    crls: &[Crl],
    now: OffsetDateTime,
    accept_expired: bool,
) -> Status {
    if !may_sign_crls(issuer.key_usage) {
        return Status::Unknown;
    }
    let serial = minimal_integer(certificate.serial_number_bytes());
    let mut tally = Tally::default();

    for crl in crls
        .iter()
        .filter(|crl| crl.issuer_der() == certificate.issuer_der())
    {
        let Some(reasons) = counting_reasons(crl, certificate, issuer, now) else {
            continue;
        };
        if let Some(reason) = listed(crl, serial) {
            return Status::Revoked(reason);
        }
        tally.add(crl, reasons, now, accept_expired);
    }
    tally.verdict()
}

/// The reasons `crl` gives a status for about `certificate`, when it counts at all: in scope,
/// signed by the issuer's key, and already issued.
fn counting_reasons(
    crl: &Crl,
    certificate: &Certificate,
    issuer: Issuer<'_>,
    now: OffsetDateTime,
) -> Option<Reasons> {
    let reasons = crl.parsed().scope.reasons_for(certificate)?;
    let usable = crl.this_update() <= now && crl.signed_by(issuer.spki_der);
    usable.then_some(reasons)
}

/// What the counting CRLs that do not list the certificate add up to.
#[derive(Default)]
struct Tally {
    covered: Option<Reasons>,
    expired: Option<OffsetDateTime>,
}

impl Tally {
    fn add(&mut self, crl: &Crl, reasons: Reasons, now: OffsetDateTime, accept_expired: bool) {
        if crl.is_expired(now) && !accept_expired {
            self.expired = self.expired.or(crl.next_update());
            return;
        }
        let covered = self.covered.unwrap_or(Reasons::NONE);
        self.covered = Some(covered.union(reasons));
    }

    fn verdict(self) -> Status {
        let complete = self.covered.is_some_and(Reasons::covers_all);
        match self.expired {
            _ if complete => Status::Good,
            Some(next_update) => Status::Expired { next_update },
            None => Status::Unknown,
        }
    }
}

/// `Some(reason)` when the CRL revokes `serial`; a `removeFromCRL` entry revokes nothing.
fn listed(crl: &Crl, serial: &[u8]) -> Option<Option<RevocationReason>> {
    let entries = &crl.parsed().entries;
    let index = entries
        .binary_search_by(|entry| entry.serial.as_slice().cmp(serial))
        .ok()?;
    let reason = entries.get(index)?.reason;
    (reason != Some(RevocationReason::RemoveFromCrl)).then_some(reason)
}
