//! `<validate-client-certificate validate-revocation="true" validate-trust="true"
//! validate-not-before="true" validate-not-after="true" ignore-error="false">` with up to ten
//! `<identity .../>` in `<identities>`: refuses callers whose certificate is missing, outside
//! its validity period, not chained to the CA store, revoked, or none of the identities.
//!
//! Checks run in that order and the first failure decides the reason, as APIM reports one
//! (`ClientCertificateNotFound`, `...NotYetValid`, `...Expired`, `...NotTrusted`,
//! `...Revoked`, `...IdentityNotMatched`). The caller gets 401 with APIM's body; with
//! `ignore-error="true"` the failure is traced and the pipeline goes on.
//!
//! The chain check is the gateway's ([`CertificateTrust`](crate::runtime::CertificateTrust)):
//! the CA store, uploaded CRLs, clientAuth required of every certificate with an EKU
//! extension. When `validate-trust` is false the chain is still built for
//! `validate-revocation`, and only a revoked (or, with a chain to the store, unknown)
//! status refuses; a chain that cannot be built has no CA whose CRL could apply.

mod dn;
mod identity;

use gatehouse_cert::{Certificate, VerifiedChain, VerifyError};
use gatehouse_expr::Host;
use serde_json::json;

use crate::compile::Compiler;
use crate::reader::{Code, Element};
use crate::runtime::{Exchange, Failure, TrustCheck};
use identity::{Identity, Presented};

/// The policy's name: `context.LastError.Source`.
const SOURCE: &str = "validate-client-certificate";
/// APIM's limit on identities.
const MAX_IDENTITIES: usize = 10;
/// The caller's body for every refusal but a missing certificate.
const INVALID_BODY: &str = "Invalid client certificate";
/// The caller's body (and message) when no certificate came.
const MISSING: &str = "Client certificate missing";

#[derive(Clone, Debug)]
pub(crate) struct ValidateClientCertificate {
    revocation: bool,
    trust: bool,
    not_before: bool,
    not_after: bool,
    ignore_error: bool,
    identities: Vec<Identity>,
}

/// Why a certificate was refused: `LastError.Reason`, `LastError.Message` and, for the
/// trace, the chain check's own words.
#[derive(Debug)]
struct Refusal {
    reason: &'static str,
    message: &'static str,
    detail: Option<String>,
}

pub(crate) fn compile(
    element: &Element,
    cx: &mut Compiler<'_>,
) -> Option<ValidateClientCertificate> {
    let mut flag = |name: &str, default: bool| cx.flag(element, name).unwrap_or(default);
    let mut policy = ValidateClientCertificate {
        revocation: flag("validate-revocation", true),
        trust: flag("validate-trust", true),
        not_before: flag("validate-not-before", true),
        not_after: flag("validate-not-after", true),
        ignore_error: flag("ignore-error", false),
        identities: Vec::new(),
    };
    let written: Vec<&Element> = element
        .elements()
        .filter(|e| e.name == "identities")
        .flat_map(Element::elements)
        .filter(|e| e.name == "identity")
        .collect();
    if written.len() > MAX_IDENTITIES {
        let message = format!("<identities> holds at most {MAX_IDENTITIES} <identity> elements");
        cx.error(element.position, Code::ChildCount, message);
        return None;
    }
    let compiled: Vec<Option<Identity>> =
        written.iter().map(|e| identity::compile(e, cx)).collect();
    policy.identities = compiled.into_iter().collect::<Option<_>>()?;
    Some(policy)
}

impl ValidateClientCertificate {
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let refusal = match self.check(ex) {
            Ok(matched) => {
                record_success(ex, matched);
                return Ok(());
            }
            Err(refusal) => refusal,
        };
        ex.record(SOURCE, || {
            json!({
                "message": refusal.message,
                "reason": refusal.reason,
                "detail": refusal.detail,
                "ignored": self.ignore_error,
            })
        });
        if self.ignore_error {
            return Ok(());
        }
        Err(refusal.into_failure())
    }

    /// Every rule, in APIM's order; `Ok` with the index of the identity that matched.
    fn check(&self, ex: &Exchange) -> Result<Option<usize>, Refusal> {
        let certificate = ex
            .caller()
            .certificate
            .as_ref()
            .ok_or_else(Refusal::missing)?;
        self.check_dates(certificate, Host::now(ex))?;
        let chain = self.check_chain(ex, certificate)?;
        self.match_identity(ex, certificate, chain.as_ref())
    }

    fn check_dates(
        &self,
        certificate: &Certificate,
        now: time::OffsetDateTime,
    ) -> Result<(), Refusal> {
        if self.not_before && now < certificate.not_before() {
            return Err(Refusal::new(
                "ClientCertificateNotYetValid",
                "Certificate is not yet valid.",
            ));
        }
        if self.not_after && now > certificate.not_after() {
            return Err(Refusal::new(
                "ClientCertificateExpired",
                "Certificate has expired.",
            ));
        }
        Ok(())
    }

    /// The verified chain, when one was asked for and built.
    fn check_chain(
        &self,
        ex: &Exchange,
        certificate: &Certificate,
    ) -> Result<Option<VerifiedChain>, Refusal> {
        if !self.trust && !self.revocation {
            return Ok(None);
        }
        let check = TrustCheck {
            revocation: self.revocation,
            client_auth: true,
            leaf_not_before: self.not_before,
            leaf_not_after: self.not_after,
        };
        let verdict = match ex.trust() {
            Some(trust) => trust.verify(certificate, check),
            None => Err(VerifyError::Untrusted),
        };
        match verdict {
            Ok(chain) => Ok(Some(chain)),
            Err(VerifyError::Revoked) => Err(Refusal::revoked()),
            Err(error @ (VerifyError::RevocationStatusUnknown | VerifyError::CrlExpired)) => {
                Err(Refusal::not_trusted(error))
            }
            Err(error) if self.trust => Err(Refusal::not_trusted(error)),
            Err(_) => Ok(None),
        }
    }

    fn match_identity(
        &self,
        ex: &Exchange,
        certificate: &Certificate,
        chain: Option<&VerifiedChain>,
    ) -> Result<Option<usize>, Refusal> {
        if self.identities.is_empty() {
            return Ok(None);
        }
        let presented = Presented {
            certificate,
            issuer_candidates: self.issuer_candidates(ex, chain),
        };
        let matched = self.identities.iter().position(|i| i.matches(&presented));
        matched.map(Some).ok_or_else(|| {
            Refusal::new(
                "ClientCertificateIdentityNotMatched",
                "Certificate does not match any of allowed identities.",
            )
        })
    }

    /// Certificates that may have signed the caller's: collected only when a claim needs
    /// them (each is checked by signature when compared).
    fn issuer_candidates<'a>(
        &self,
        ex: &'a Exchange,
        chain: Option<&'a VerifiedChain>,
    ) -> Vec<&'a Certificate> {
        if !self
            .identities
            .iter()
            .any(Identity::needs_issuer_candidates)
        {
            return Vec::new();
        }
        let verified = chain.map(VerifiedChain::issuer);
        let presented = ex.trust().map(|t| t.presented_chain()).unwrap_or_default();
        let uploaded = ex.resolved().deployment.certificates.iter().map(|(_, c)| c);
        verified
            .into_iter()
            .chain(presented)
            .chain(uploaded)
            .collect()
    }
}

fn record_success(ex: &Exchange, matched: Option<usize>) {
    let thumbprint = ex
        .caller()
        .certificate
        .as_ref()
        .map(|c| c.thumbprint().clone());
    ex.record(SOURCE, || {
        json!({
            "message": "Client certificate was validated.",
            "thumbprint": thumbprint.as_deref(),
            "identity": matched.map(|i| i + 1),
        })
    });
}

impl Refusal {
    fn new(reason: &'static str, message: &'static str) -> Self {
        Self {
            reason,
            message,
            detail: None,
        }
    }

    fn missing() -> Self {
        Self::new("ClientCertificateNotFound", MISSING)
    }

    fn revoked() -> Self {
        Self::new("ClientCertificateRevoked", "Certificate has been revoked.")
    }

    fn not_trusted(error: VerifyError) -> Self {
        Self {
            detail: Some(error.to_string()),
            ..Self::new(
                "ClientCertificateNotTrusted",
                "A certificate chain could not be built to a trusted root authority.",
            )
        }
    }

    fn into_failure(self) -> Failure {
        let body = if self.reason == "ClientCertificateNotFound" {
            MISSING
        } else {
            INVALID_BODY
        };
        Failure::denied(SOURCE, self.reason, self.message, 401)
            .with_response_message(body.to_owned())
    }
}
