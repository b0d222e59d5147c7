//! Writing PFX files: how issued client certificates reach curl, Postman and browsers.
//!
//! The default is what OpenSSL 3 writes: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) for the
//! key and certificates, and an HMAC-SHA256 integrity MAC. Windows Server 2016 and older,
//! and macOS Keychain before Ventura, only read the legacy 3DES/SHA-1 form, which is
//! available as an option.

use p12_keystore::{EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKeyChain};
use thiserror::Error;

use crate::key::PrivateKey;
use crate::{Certificate, KeyError};

/// Key derivation rounds for encryption and MAC; the same as OpenSSL 3's default.
const ITERATIONS: u32 = 2048;

/// The encryption of a written PFX file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PfxEncryption {
    /// AES-256-CBC with PBKDF2-HMAC-SHA256, HMAC-SHA256 MAC (OpenSSL 3 default).
    #[default]
    Modern,
    /// pbeWithSHAAnd3-KeyTripleDES-CBC with an HMAC-SHA1 MAC, for old Windows and macOS.
    Legacy3Des,
}

/// Why a PFX file could not be written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PfxWriteError {
    /// The private key does not belong to the certificate.
    #[error("the private key does not belong to the certificate {subject}")]
    KeyMismatch {
        /// The certificate's subject.
        subject: String,
    },
    /// The key could not be decoded.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The PKCS#12 encoder failed.
    #[error("could not encode the PFX file: {reason}")]
    Encoding {
        /// What the encoder reported.
        reason: String,
    },
}

/// Writes a PFX with the certificate, its chain (intermediates, then root) and private key,
/// protected by `password`, with modern encryption.
///
/// # Errors
/// [`PfxWriteError::KeyMismatch`] when the key does not belong to `certificate`;
/// [`PfxWriteError::Encoding`] when encoding fails.
pub fn write_pfx(
    certificate: &Certificate,
    chain: &[Certificate],
    key: &PrivateKey,
    password: &str,
) -> Result<Vec<u8>, PfxWriteError> {
    write_pfx_with(certificate, chain, key, password, PfxEncryption::Modern)
}

/// [`write_pfx`] with a choice of encryption.
///
/// # Errors
/// As [`write_pfx`].
pub fn write_pfx_with(
    certificate: &Certificate,
    chain: &[Certificate],
    key: &PrivateKey,
    password: &str,
    encryption: PfxEncryption,
) -> Result<Vec<u8>, PfxWriteError> {
    if !key.matches(certificate)? {
        return Err(PfxWriteError::KeyMismatch {
            subject: certificate.subject().to_string(),
        });
    }

    let keystore = keystore(certificate, chain, key)?;
    let (algorithm, mac) = match encryption {
        PfxEncryption::Modern => (
            EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
            MacAlgorithm::HmacSha256,
        ),
        PfxEncryption::Legacy3Des => (
            EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
            MacAlgorithm::HmacSha1,
        ),
    };
    keystore
        .writer(password)
        .encryption_algorithm(algorithm)
        .encryption_iterations(ITERATIONS)
        .mac_algorithm(mac)
        .mac_iterations(ITERATIONS)
        .write()
        .map_err(|e| PfxWriteError::Encoding {
            reason: e.to_string(),
        })
}

/// One key entry, linked to the leaf by a local key ID (the leaf's SHA-1, as OpenSSL does)
/// and named after the leaf's common name (the "friendly name" Windows shows).
fn keystore(
    certificate: &Certificate,
    chain: &[Certificate],
    key: &PrivateKey,
) -> Result<KeyStore, PfxWriteError> {
    let encoding = |e: p12_keystore::error::Error| PfxWriteError::Encoding {
        reason: e.to_string(),
    };
    let mut certificates = Vec::with_capacity(chain.len() + 1);
    for cert in std::iter::once(certificate).chain(chain) {
        certificates.push(p12_keystore::Certificate::from_der(cert.der()).map_err(encoding)?);
    }

    let p12_key = p12_keystore::PrivateKey::from_der(key.pkcs8_der()).map_err(encoding)?;
    let local_key_id = hex::decode(&**certificate.thumbprint()).unwrap_or_default();
    let alias = certificate
        .subject_common_name()
        .map_or("gatehouse", |cn| &**cn);

    let mut keystore = KeyStore::new();
    let entry = PrivateKeyChain::new(local_key_id, p12_key, certificates);
    keystore.add_entry(alias, KeyStoreEntry::PrivateKeyChain(entry));
    Ok(keystore)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ca::LocalCa;
    use crate::{ImportError, import_certificate};

    #[test]
    fn written_files_import_again() {
        let ca = LocalCa::generate("Writer CA").unwrap();
        let client = ca.issue_client("Client 01", 30).unwrap();
        for encryption in [PfxEncryption::Modern, PfxEncryption::Legacy3Des] {
            let pfx = write_pfx_with(
                client.certificate(),
                &[ca.certificate().clone()],
                client.private_key(),
                "pw",
                encryption,
            )
            .unwrap();
            let imported = import_certificate(&pfx, Some("pw")).unwrap();
            assert_eq!(imported.certificate(), client.certificate());
            assert_eq!(imported.chain(), &[ca.certificate().clone()]);
            assert_eq!(
                imported.private_key().unwrap().pkcs8_der(),
                client.private_key().pkcs8_der()
            );
            assert_eq!(
                import_certificate(&pfx, Some("nope")).unwrap_err(),
                ImportError::WrongPassword
            );
        }
    }

    #[test]
    fn refuses_a_foreign_key() {
        let ca = LocalCa::generate("Writer CA").unwrap();
        let one = ca.issue_client("one", 1).unwrap();
        let two = ca.issue_client("two", 1).unwrap();
        let error = write_pfx(one.certificate(), &[], two.private_key(), "pw").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the private key does not belong to the certificate CN=one"
        );
    }
}
