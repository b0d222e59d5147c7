//! Certificates expiring soon: what the gateway logs at start-up and on each configuration
//! change, and what the management API shows, ahead of the day callers start failing.
//!
//! APIM says nothing until a certificate has expired; operators of a gateway that
//! authenticates by certificate need the warning weeks before. The threshold is the
//! caller's; [`DEFAULT_WARNING`] is the usual thirty days.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::Certificate;

/// How long before expiry a certificate counts as expiring soon, unless configured.
pub const DEFAULT_WARNING: Duration = Duration::days(30);

/// Where a certificate stands against its validity period at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// notBefore is still ahead.
    NotYetValid {
        /// Until notBefore.
        starts_in: Duration,
    },
    /// Valid, and not expiring within the warning period.
    Valid {
        /// Until notAfter.
        remaining: Duration,
    },
    /// Valid, but notAfter is within the warning period.
    ExpiringSoon {
        /// Until notAfter.
        remaining: Duration,
    },
    /// notAfter has passed.
    Expired {
        /// Since notAfter.
        since: Duration,
    },
}

impl Validity {
    /// A stable word for structured logs and the API: `not_yet_valid`, `valid`,
    /// `expiring_soon` or `expired`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::Valid { .. } => "valid",
            Self::ExpiringSoon { .. } => "expiring_soon",
            Self::Expired { .. } => "expired",
        }
    }

    /// True when the certificate is within its validity period.
    pub fn is_current(&self) -> bool {
        matches!(self, Self::Valid { .. } | Self::ExpiringSoon { .. })
    }

    /// True when an operator should act: expiring soon, expired, or not valid yet.
    pub fn needs_attention(&self) -> bool {
        !matches!(self, Self::Valid { .. })
    }
}

impl Certificate {
    /// True when notAfter falls before `now + duration`; an expired certificate expires
    /// within any duration.
    pub fn expires_within(&self, duration: Duration, now: OffsetDateTime) -> bool {
        self.not_after() < now + duration
    }

    /// Where the certificate stands at `now`, counting as expiring soon within `warning`.
    pub fn validity_at(&self, now: OffsetDateTime, warning: Duration) -> Validity {
        if now < self.not_before() {
            return Validity::NotYetValid {
                starts_in: self.not_before() - now,
            };
        }
        let remaining = self.not_after() - now;
        if remaining.is_negative() {
            Validity::Expired { since: -remaining }
        } else if remaining < warning {
            Validity::ExpiringSoon { remaining }
        } else {
            Validity::Valid { remaining }
        }
    }
}

/// A certificate that needs attention, with the name it is known by (the certificate
/// resource's id, `ca:<id>` for a CA, ...). Its `Display` is a log line.
#[derive(Debug, Clone)]
pub struct ExpiryNotice<'a> {
    /// The name the operator knows the certificate by.
    pub name: &'a str,
    /// The certificate.
    pub certificate: &'a Certificate,
    /// Where it stands.
    pub validity: Validity,
}

/// The certificates among `certificates` that expire within `warning` of `now` (expired
/// ones included) or are not valid yet, soonest notAfter first.
pub fn needing_attention<'a>(
    certificates: impl IntoIterator<Item = (&'a str, &'a Certificate)>,
    now: OffsetDateTime,
    warning: Duration,
) -> Vec<ExpiryNotice<'a>> {
    let mut notices: Vec<ExpiryNotice<'a>> = certificates
        .into_iter()
        .map(|(name, certificate)| ExpiryNotice {
            name,
            certificate,
            validity: certificate.validity_at(now, warning),
        })
        .filter(|notice| notice.validity.needs_attention())
        .collect();
    notices.sort_by_key(|notice| notice.certificate.not_after());
    notices
}

impl fmt::Display for ExpiryNotice<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let certificate = self.certificate;
        write!(
            f,
            "certificate {} ({}, thumbprint {}) ",
            self.name,
            certificate.subject(),
            certificate.thumbprint()
        )?;
        let date = |at: OffsetDateTime| at.format(&Rfc3339).unwrap_or_default();
        match self.validity {
            Validity::NotYetValid { starts_in } => {
                let (n, unit) = rounded(starts_in);
                write!(
                    f,
                    "is not valid until {} (in {n} {unit})",
                    date(certificate.not_before())
                )
            }
            Validity::Valid { remaining } | Validity::ExpiringSoon { remaining } => {
                let (n, unit) = rounded(remaining);
                write!(
                    f,
                    "expires on {} (in {n} {unit})",
                    date(certificate.not_after())
                )
            }
            Validity::Expired { since } => {
                let (n, unit) = rounded(since);
                write!(
                    f,
                    "expired on {} ({n} {unit} ago)",
                    date(certificate.not_after())
                )
            }
        }
    }
}

/// Whole days, or whole hours under two days.
fn rounded(duration: Duration) -> (i64, &'static str) {
    match duration.whole_days() {
        2.. => (duration.whole_days(), "days"),
        _ => match duration.whole_hours() {
            1 => (1, "hour"),
            hours => (hours, "hours"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ca::LocalCa;

    fn client(days: u32) -> Certificate {
        let ca = LocalCa::generate("Expiry CA").unwrap();
        ca.issue_client("client", days)
            .unwrap()
            .certificate()
            .clone()
    }

    #[test]
    fn expires_within_counts_from_now() {
        let certificate = client(10);
        let now = certificate.not_before();
        assert!(certificate.expires_within(Duration::days(11), now));
        assert!(!certificate.expires_within(Duration::days(9), now));
        let later = certificate.not_after() + Duration::days(1);
        assert!(
            certificate.expires_within(Duration::ZERO, later),
            "already expired"
        );
    }

    #[test]
    fn validity_at_every_stage() {
        let certificate = client(10);
        let (start, end) = (certificate.not_before(), certificate.not_after());
        let validity = |at: OffsetDateTime| certificate.validity_at(at, DEFAULT_WARNING);

        assert_eq!(
            validity(start - Duration::hours(1)),
            Validity::NotYetValid {
                starts_in: Duration::hours(1)
            }
        );
        assert_eq!(
            validity(end - Duration::days(9)),
            Validity::ExpiringSoon {
                remaining: Duration::days(9)
            }
        );
        assert_eq!(
            validity(end + Duration::days(1)),
            Validity::Expired {
                since: Duration::days(1)
            }
        );
        let short_warning = certificate.validity_at(start, Duration::days(5));
        assert_eq!(short_warning.label(), "valid");
        assert!(short_warning.is_current() && !short_warning.needs_attention());
    }

    #[test]
    fn notices_list_what_needs_attention_soonest_first() {
        let soon = client(3);
        let later = client(20);
        let fine = client(365);
        let now = soon.not_after() - Duration::days(2) - Duration::hours(5);

        let entries = [("later", &later), ("fine", &fine), ("soon", &soon)];
        let notices = needing_attention(entries, now, DEFAULT_WARNING);
        let names: Vec<&str> = notices.iter().map(|notice| notice.name).collect();
        assert_eq!(names, ["soon", "later"]);

        let line = notices[0].to_string();
        assert!(
            line.starts_with("certificate soon (CN=client, thumbprint "),
            "{line}"
        );
        assert!(line.ends_with("(in 2 days)"), "{line}");
    }
}
