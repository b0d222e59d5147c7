//! Uploaded certificates, the CA store and revocation lists, as stored.
//!
//! Parsing the uploaded bytes is the certificate crate's job; what is stored here is the
//! result: the DER of the certificate and its chain, the private key when one came with it,
//! and the identity facts the API shows.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `properties` of `certificates/{certificateId}`, as stored after import.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateProperties {
    /// SHA-1 thumbprint, uppercase hex.
    pub thumbprint: String,
    /// Subject distinguished name, .NET format.
    pub subject: String,
    /// Issuer distinguished name, .NET format.
    #[serde(default)]
    pub issuer: String,
    /// End of validity, RFC 3339.
    pub expiration_date: String,
    /// Start of validity, RFC 3339.
    #[serde(default)]
    pub not_before: String,
    /// The certificate, base64 DER.
    pub certificate: String,
    /// Further certificates that came with it (a PFX's chain), base64 DER.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<String>,
    /// The private key, base64 PKCS#8 DER, when one came with the upload. A secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
}

impl CertificateProperties {
    /// Whether a private key was uploaded with the certificate.
    pub fn has_private_key(&self) -> bool {
        self.private_key.is_some()
    }
}

impl fmt::Debug for CertificateProperties {
    /// The private key never reaches logs through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateProperties")
            .field("thumbprint", &self.thumbprint)
            .field("subject", &self.subject)
            .field("expiration_date", &self.expiration_date)
            .field("has_private_key", &self.has_private_key())
            .finish_non_exhaustive()
    }
}

/// `properties` of `certificateAuthorities/{certificateId}`: puts an uploaded certificate into
/// the CA store, as a trusted root (`isTrusted: true`) or an intermediate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertificateAuthorityProperties {
    /// True for a root of trust, false for an intermediate used to build chains.
    pub is_trusted: bool,
}

/// `properties` of `certificateRevocationLists/{id}`, as stored: the CRL and, for people
/// reading it back, what was read from it when it was uploaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CrlProperties {
    /// The CRL, base64 DER.
    pub data: String,
    /// The issuer, .NET distinguished name (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// thisUpdate, RFC 3339 (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub this_update: Option<String>,
    /// nextUpdate, RFC 3339, when the CRL names one (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_update: Option<String>,
    /// How many serial numbers it lists (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_count: Option<usize>,
}
