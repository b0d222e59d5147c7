use thiserror::Error;

use crate::Certificate;

/// Why an upload could not be read as a certificate.
///
/// Each variant is one situation an operator can act on. Messages never contain passwords
/// or key material.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The data is a PFX file whose structure is damaged (truncated, edited, not PKCS#12).
    #[error("the PFX file is damaged: {reason}")]
    CorruptPfx {
        /// Which part could not be decoded.
        reason: String,
    },
    /// The PEM private key is encrypted and no password was given.
    #[error("the private key is encrypted; supply its password")]
    EncryptedKeyPasswordRequired,
    /// A certificate was found but its encoding is broken.
    #[error("the certificate is malformed: {reason}")]
    InvalidCertificate {
        /// What the parser reported.
        reason: String,
    },
    /// PEM text that cannot be decoded (missing END line, bad base64).
    #[error("the PEM text is malformed: {reason}")]
    InvalidPem {
        /// What was wrong.
        reason: String,
    },
    /// A private key was found but its encoding is broken.
    #[error("the private key is malformed: {reason}")]
    InvalidPrivateKey {
        /// What was wrong (never key material).
        reason: String,
    },
    /// The private key belongs to a different certificate.
    #[error(
        "the private key does not belong to the certificate {subject} (thumbprint {thumbprint})"
    )]
    KeyMismatch {
        /// The certificate's subject, as .NET prints it.
        subject: String,
        /// The certificate's thumbprint.
        thumbprint: String,
    },
    /// PEM text with more than one private key: which one belongs to the certificate is
    /// ambiguous.
    #[error("the PEM text holds more than one private key; keep only the certificate's key")]
    MultiplePrivateKeys,
    /// The data is readable but holds something other than a certificate.
    #[error("not a certificate: {found}")]
    NotACertificate {
        /// What was found instead.
        found: String,
    },
    /// A PFX file that needs a password, and none was given.
    #[error("the PFX file is password-protected; supply its password")]
    PasswordRequired,
    /// PEM text without a `CERTIFICATE` block.
    #[error("the PEM text contains no certificate (found: {found})")]
    PemWithoutCertificate {
        /// The labels of the blocks that were found.
        found: String,
    },
    /// A PFX file that holds no certificate (only keys, or nothing).
    #[error("the PFX file contains no certificate")]
    PfxWithoutCertificate,
    /// The encrypted PEM private key uses an encryption this crate cannot undo.
    #[error(
        "the private key uses an unsupported encryption ({scheme}); re-export it as PKCS#8 with AES (openssl pkcs8 -topk8 -v2 aes-256-cbc) or unencrypted"
    )]
    UnsupportedKeyEncryption {
        /// The scheme that was found.
        scheme: String,
    },
    /// A well-formed private key of a type the gateway cannot use.
    #[error(
        "unsupported private key type {algorithm}; use RSA, ECDSA (P-256, P-384, P-521) or Ed25519"
    )]
    UnsupportedKeyType {
        /// The key algorithm, by name where known, else its OID.
        algorithm: String,
    },
    /// A well-formed PFX file that uses a feature this crate does not implement.
    #[error("the PFX file cannot be read: {reason}")]
    UnsupportedPfx {
        /// The feature.
        reason: String,
    },
    /// The password given for an encrypted PEM private key is wrong.
    #[error("wrong password for the encrypted private key")]
    WrongKeyPassword,
    /// The password given for the PFX file is wrong. (PKCS#12 cannot tell a wrong password
    /// from an edited file: both fail the integrity check. A file damaged in its structure
    /// is [`ImportError::CorruptPfx`].)
    #[error("wrong password for the PFX file")]
    WrongPassword,
}

impl ImportError {
    pub(crate) fn key_mismatch(certificate: &Certificate) -> Self {
        Self::KeyMismatch {
            subject: certificate.subject().to_string(),
            thumbprint: certificate.thumbprint().to_string(),
        }
    }

    /// True for the password errors, which a client may answer by asking for a password.
    pub fn is_password_problem(&self) -> bool {
        matches!(
            self,
            Self::PasswordRequired
                | Self::WrongPassword
                | Self::EncryptedKeyPasswordRequired
                | Self::WrongKeyPassword
        )
    }
}
