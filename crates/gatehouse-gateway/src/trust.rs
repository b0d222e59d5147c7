//! The CA store and CRLs behind `Verify()`, `VerifyNoRevocation()` and
//! `validate-client-certificate`, and the verdicts kept per connection.
//!
//! The store is built into every snapshot from `certificateAuthorities` (uploaded
//! certificates named as roots or intermediates) and `certificateRevocationLists`; a CRL whose
//! issuer is not in the store makes the configuration unservable, so it is refused when
//! uploaded. A chain check costs about 100 µs, so a connection keeps its verdicts, one per
//! kind of check, for the snapshot generation they were reached under: a configuration
//! change re-evaluates without closing connections. A verdict is also re-evaluated after
//! [`VERDICT_TTL`] and once a certificate of its chain expires, so a long-lived connection
//! notices expiry and expired CRLs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine;
use gatehouse_cert::{Certificate, Crl, TrustConfig, VerifiedChain, VerifyError, verify_chain};
use gatehouse_expr::context::DeploymentInfo;
use gatehouse_model::Config;
use gatehouse_policy::runtime::{CertificateTrust, TrustCheck};
use time::{Duration, OffsetDateTime};

use crate::SnapshotError;

/// How long a verdict is reused before it is reached again.
pub const VERDICT_TTL: Duration = Duration::seconds(60);

/// Numbers snapshots, so verdicts reached under an older configuration are not reused.
static GENERATION: AtomicU64 = AtomicU64::new(1);

/// How strict chain checks are beyond the configuration: gateway settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrustSettings {
    /// Accept certificates no uploaded CRL covers (default: refuse, as `Verify()` fails
    /// when no revocation data is reachable). Weakens `Verify()` and `validate-revocation`.
    pub allow_unknown_revocation_status: bool,
}

/// One snapshot's CA store and CRLs.
#[derive(Debug)]
pub struct SnapshotTrust {
    config: TrustConfig,
    generation: u64,
}

impl Default for SnapshotTrust {
    fn default() -> Self {
        Self {
            config: TrustConfig::default(),
            generation: next_generation(),
        }
    }
}

fn next_generation() -> u64 {
    GENERATION.fetch_add(1, Ordering::Relaxed)
}

impl SnapshotTrust {
    /// Builds the store from the CA entries and CRLs of `config`; `deployment` holds the
    /// uploaded certificates, already parsed.
    ///
    /// # Errors
    /// [`SnapshotError::CertificateAuthority`] for a certificate that cannot be a CA of the
    /// store, [`SnapshotError::Crl`] for a CRL that cannot be read or whose issuer is not in
    /// the store (with the reason).
    pub fn build(config: &Config, deployment: &DeploymentInfo) -> Result<Self, SnapshotError> {
        let mut trust = TrustConfig::default();
        for (id, entry) in &config.certificate_authorities {
            let failed = |reason: String| SnapshotError::CertificateAuthority {
                id: id.clone(),
                reason,
            };
            let certificate = uploaded(deployment, id)
                .ok_or_else(|| failed("the certificate is not uploaded".to_owned()))?;
            let added = match entry.is_trusted {
                true => trust.store.add_root(certificate),
                false => trust.store.add_intermediate(certificate),
            };
            added.map_err(|e| failed(e.to_string()))?;
        }
        for (id, properties) in &config.crls {
            trust.crls.push(read_crl(id, &properties.data, &trust)?);
        }
        Ok(Self {
            config: trust,
            generation: next_generation(),
        })
    }

    /// The generation verdicts are cached under.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The CA certificates of the store, roots first.
    pub fn authorities(&self) -> impl Iterator<Item = &Certificate> {
        let store = &self.config.store;
        store.roots().iter().chain(store.intermediates())
    }

    /// Checks `certificate` with the intermediates `presented` by the caller.
    ///
    /// # Errors
    /// Why the chain does not verify.
    pub fn verify(
        &self,
        certificate: &Certificate,
        presented: &[Certificate],
        check: TrustCheck,
        settings: TrustSettings,
        now: OffsetDateTime,
    ) -> Result<VerifiedChain, VerifyError> {
        let mut options = self
            .config
            .options
            .with_revocation_check(check.revocation)
            .with_required_usage(check.required_usage());
        if settings.allow_unknown_revocation_status {
            options = options.allowing_unknown_revocation_status();
        }
        let time = check.time_for(certificate, now);
        let store = &self.config.store;
        verify_chain(
            certificate,
            presented,
            store,
            &self.config.crls,
            time,
            &options,
        )
    }
}

fn uploaded(deployment: &DeploymentInfo, id: &str) -> Option<Certificate> {
    let mut certificates = deployment.certificates.iter();
    certificates
        .find(|(name, _)| &**name == id)
        .map(|(_, c)| c.clone())
}

/// A stored CRL (base64 DER), which must have been issued by a CA of the store.
fn read_crl(id: &str, data: &str, trust: &TrustConfig) -> Result<Crl, SnapshotError> {
    let failed = |reason: String| SnapshotError::Crl {
        id: id.to_owned(),
        reason,
    };
    let der = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| failed(format!("not base64: {e}")))?;
    let crl = Crl::from_der(&der).map_err(|e| failed(e.to_string()))?;
    trust
        .store
        .crl_issuer(&crl)
        .map_err(|e| failed(e.to_string()))?;
    Ok(crl)
}

/// Verdicts about one caller certificate, one per kind of check.
#[derive(Debug, Default)]
pub struct VerdictCache {
    entries: Mutex<Vec<Cached>>,
}

#[derive(Debug)]
struct Cached {
    generation: u64,
    check: TrustCheck,
    verdict: Result<VerifiedChain, VerifyError>,
    fresh_until: OffsetDateTime,
}

impl VerdictCache {
    /// The verdict for `check` under `generation`, reached with `reach` when none is fresh.
    fn get_or_reach(
        &self,
        generation: u64,
        check: TrustCheck,
        now: OffsetDateTime,
        reach: impl FnOnce() -> Result<VerifiedChain, VerifyError>,
    ) -> Result<VerifiedChain, VerifyError> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|e| e.generation == generation && e.fresh_until > now);
        if let Some(cached) = entries.iter().find(|e| e.check == check) {
            return cached.verdict.clone();
        }
        let verdict = reach();
        entries.push(Cached {
            generation,
            check,
            verdict: verdict.clone(),
            fresh_until: fresh_until(&verdict, now),
        });
        verdict
    }
}

/// A verdict is reused for [`VERDICT_TTL`], and a positive one no longer than its chain is
/// valid.
fn fresh_until(
    verdict: &Result<VerifiedChain, VerifyError>,
    now: OffsetDateTime,
) -> OffsetDateTime {
    let limit = now + VERDICT_TTL;
    let Ok(chain) = verdict else {
        return limit;
    };
    let expiries = chain.certificates().iter().map(Certificate::not_after);
    expiries.fold(limit, OffsetDateTime::min)
}

/// One request's view: the snapshot's store, the caller's certificate and chain, and the
/// cache of the connection (or of the request, for a certificate a proxy forwarded).
#[derive(Debug)]
pub struct RequestTrust {
    trust: Arc<SnapshotTrust>,
    settings: TrustSettings,
    leaf: Certificate,
    chain: Arc<[Certificate]>,
    cache: Arc<VerdictCache>,
}

impl RequestTrust {
    /// The trust decisions about `leaf`, presented with `chain`.
    pub fn new(
        trust: Arc<SnapshotTrust>,
        settings: TrustSettings,
        leaf: Certificate,
        chain: Arc<[Certificate]>,
        cache: Arc<VerdictCache>,
    ) -> Self {
        Self {
            trust,
            settings,
            leaf,
            chain,
            cache,
        }
    }
}

impl CertificateTrust for RequestTrust {
    fn verify(
        &self,
        certificate: &Certificate,
        check: TrustCheck,
    ) -> Result<VerifiedChain, VerifyError> {
        let now = OffsetDateTime::now_utc();
        if *certificate != self.leaf {
            return self
                .trust
                .verify(certificate, &[], check, self.settings, now);
        }
        let generation = self.trust.generation();
        self.cache.get_or_reach(generation, check, now, || {
            let verdict = self
                .trust
                .verify(&self.leaf, &self.chain, check, self.settings, now);
            log_verdict(&self.leaf, check, &verdict);
            verdict
        })
    }

    fn presented_chain(&self) -> &[Certificate] {
        &self.chain
    }
}

fn log_verdict(
    leaf: &Certificate,
    check: TrustCheck,
    verdict: &Result<VerifiedChain, VerifyError>,
) {
    let reason = verdict.as_ref().err().map(ToString::to_string);
    tracing::debug!(
        client.cert.thumbprint = &**leaf.thumbprint(),
        revocation = check.revocation,
        client_auth = check.client_auth,
        decision = if verdict.is_ok() {
            "trusted"
        } else {
            "untrusted"
        },
        reason,
        "client certificate chain checked"
    );
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn reach(
        cache: &VerdictCache,
        generation: u64,
        check: TrustCheck,
        at: OffsetDateTime,
        calls: &Cell<u32>,
    ) {
        let verdict = cache.get_or_reach(generation, check, at, || {
            calls.set(calls.get() + 1);
            Err(VerifyError::Untrusted)
        });
        assert_eq!(verdict, Err(VerifyError::Untrusted));
    }

    #[test]
    fn a_verdict_is_kept_per_check_and_generation_for_a_while() {
        let (cache, calls) = (VerdictCache::default(), Cell::new(0));
        let now = OffsetDateTime::now_utc();

        reach(&cache, 1, TrustCheck::VERIFY, now, &calls);
        reach(&cache, 1, TrustCheck::VERIFY, now, &calls);
        assert_eq!(calls.get(), 1, "reused");

        reach(&cache, 1, TrustCheck::VERIFY_NO_REVOCATION, now, &calls);
        assert_eq!(calls.get(), 2, "another kind of check");

        reach(&cache, 2, TrustCheck::VERIFY, now, &calls);
        assert_eq!(calls.get(), 3, "another configuration");

        reach(&cache, 2, TrustCheck::VERIFY, now + VERDICT_TTL, &calls);
        assert_eq!(calls.get(), 4, "too old");
    }
}
