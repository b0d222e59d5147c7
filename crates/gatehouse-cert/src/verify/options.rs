//! What a chain check checks: the .NET `X509ChainPolicy` settings Gatehouse honours.

/// How far revocation is checked (.NET `X509RevocationMode` and `X509RevocationFlag`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationMode {
    /// No revocation check (`VerifyNoRevocation()`).
    NoCheck,
    /// The leaf only.
    EndCertificateOnly,
    /// The leaf and every intermediate, not the root (.NET's default, `ExcludeRoot`).
    ExcludeRoot,
}

/// The extended key usage a chain must allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequiredUsage {
    /// None (`Verify()` asks for none).
    Any,
    /// TLS client authentication.
    ClientAuth,
    /// TLS server authentication.
    ServerAuth,
}

/// Options for [`verify_chain`](super::verify_chain).
///
/// Every field defaults to the strict choice; the methods that relax one say so in their
/// name (`allowing_...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// Which certificates are checked against the CRLs.
    pub revocation: RevocationMode,
    /// Accept certificates for which no CRL gives a status (default: refuse, like .NET).
    pub allow_unknown_revocation_status: bool,
    /// Accept CRLs past their nextUpdate time (default: refuse).
    pub allow_expired_crls: bool,
    /// The usage every certificate of the chain must allow.
    pub required_usage: RequiredUsage,
    /// The most CA certificates allowed between the leaf and the root, self-issued ones
    /// (key rollover) not counted; `None` for no limit beyond the verifier's own (six).
    pub max_intermediates: Option<u8>,
}

impl VerifyOptions {
    /// What `X509Certificate2.Verify()` checks: full chain, revocation of leaf and
    /// intermediates, any usage.
    pub fn verify() -> Self {
        Self {
            revocation: RevocationMode::ExcludeRoot,
            allow_unknown_revocation_status: false,
            allow_expired_crls: false,
            required_usage: RequiredUsage::Any,
            max_intermediates: None,
        }
    }

    /// What APIM's `VerifyNoRevocation()` checks.
    pub fn verify_no_revocation() -> Self {
        Self {
            revocation: RevocationMode::NoCheck,
            ..Self::verify()
        }
    }

    /// The same options with another revocation depth.
    pub fn with_revocation(self, revocation: RevocationMode) -> Self {
        Self { revocation, ..self }
    }

    /// The same options for `Verify()` (`check` true: the configured depth, or the leaf and
    /// intermediates when none is) or `VerifyNoRevocation()` (`check` false). Lets one
    /// configured value serve both calls.
    pub fn with_revocation_check(self, check: bool) -> Self {
        let revocation = match (check, self.revocation) {
            (false, _) => RevocationMode::NoCheck,
            (true, RevocationMode::NoCheck) => RevocationMode::ExcludeRoot,
            (true, configured) => configured,
        };
        Self { revocation, ..self }
    }

    /// The same options requiring an extended key usage.
    pub fn with_required_usage(self, required_usage: RequiredUsage) -> Self {
        Self {
            required_usage,
            ..self
        }
    }

    /// The same options with a limit on intermediate CAs.
    pub fn with_max_intermediates(self, max: u8) -> Self {
        Self {
            max_intermediates: Some(max),
            ..self
        }
    }

    /// The same options, accepting certificates no CRL covers. Weakens the check.
    pub fn allowing_unknown_revocation_status(self) -> Self {
        Self {
            allow_unknown_revocation_status: true,
            ..self
        }
    }

    /// The same options, accepting CRLs past their nextUpdate time. Weakens the check.
    pub fn allowing_expired_crls(self) -> Self {
        Self {
            allow_expired_crls: true,
            ..self
        }
    }
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self::verify()
    }
}
