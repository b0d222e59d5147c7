//! PFX / PKCS#12 files.
//!
//! The flow: re-encode BER to DER, split the file into its parts, check the MAC ourselves
//! (see `mac`), then hand a MAC-less DER copy to p12-keystore, which decrypts the bags
//! (PBES2 with AES, and the legacy RC2-40 / 3DES schemes). The leaf certificate is chosen the
//! way .NET's `X509Certificate2(byte[], string)` chooses it: the certificate that goes with
//! the first private key, otherwise the first certificate in the file.

use p12_keystore::Pkcs12Archive;
use p12_keystore::error::Error as P12Error;

use super::{ImportError, ber, mac, null_password};
use crate::der::{self, DerError, Tlv, tag};
use crate::key::PrivateKey;
use crate::{Certificate, KeyError};

const DATA_OID: &str = "1.2.840.113549.1.7.1";
const ENCRYPTED_DATA_OID: &str = "1.2.840.113549.1.7.6";
const SIGNED_DATA_OID: &str = "1.2.840.113549.1.7.2";

/// What a PFX file holds.
pub(crate) struct PfxContents {
    pub(crate) leaf: Certificate,
    pub(crate) chain: Vec<Certificate>,
    pub(crate) key: Option<PrivateKey>,
}

/// Opens a PFX file with an optional password.
pub(crate) fn read(bytes: &[u8], password: Option<&str>) -> Result<PfxContents, ImportError> {
    let (outer, used) = ber::to_der_prefix(bytes).map_err(corrupt)?;
    if !super::is_padding(&bytes[used..]) {
        return Err(corrupt(DerError("unexpected data after the PFX structure")));
    }
    let parts = split(&outer).map_err(corrupt)?;
    let mac = check_mac(&parts, password)?;
    let inner = normalise_auth_safe(parts.auth_safe).map_err(corrupt)?;

    if mac == MacState::VerifiedWithAbsentPassword {
        return open_with_null_password(&inner).map_err(|e| archive_error(&e, mac, password));
    }
    match open(&inner, password.unwrap_or("")) {
        Ok(archive) => contents(archive),
        // Without a MAC, a NULL password can only be told from an empty one by trying.
        Err(error) if mac == MacState::Absent && password.unwrap_or("").is_empty() => {
            open_with_null_password(&inner).map_err(|_| archive_error(&error, mac, password))
        }
        Err(error) => Err(archive_error(&error, mac, password)),
    }
}

fn open(auth_safe: &[u8], password: &str) -> Result<Pkcs12Archive, P12Error> {
    Pkcs12Archive::from_pkcs12(&rebuild_without_mac(auth_safe), password)
}

fn open_with_null_password(auth_safe: &[u8]) -> Result<PfxContents, P12Error> {
    let decrypted =
        null_password::decrypt_legacy_parts(auth_safe).map_err(|_| P12Error::UnpadError)?;
    let archive = open(&decrypted, "")?;
    contents(archive).map_err(|_| P12Error::InvalidData)
}

/// The pieces of `PFX ::= SEQUENCE { version, authSafe ContentInfo, macData MacData OPTIONAL }`.
struct PfxParts<'a> {
    /// Content of the authSafe data OCTET STRING: the bytes the MAC covers.
    auth_safe: &'a [u8],
    mac_data: Option<Tlv<'a>>,
}

fn split(pfx: &[u8]) -> Result<PfxParts<'_>, DerError> {
    let outer = der::read_single(pfx, tag::SEQUENCE)?;
    let mut fields = outer.children();
    let version = fields.read(tag::INTEGER)?;
    if version.value != [3] {
        return Err(DerError("PFX version is not 3"));
    }

    let content_info = fields.read(tag::SEQUENCE)?;
    let mac_data = fields.optional(tag::SEQUENCE)?;
    fields.finish()?;
    Ok(PfxParts {
        auth_safe: data_content(content_info)?,
        mac_data,
    })
}

/// The OCTET STRING inside `ContentInfo { data, [0] EXPLICIT OCTET STRING }`.
fn data_content(content_info: Tlv<'_>) -> Result<&[u8], DerError> {
    let mut fields = content_info.children();
    let content_type = der::oid_to_string(fields.read(tag::OID)?.value)?;
    if content_type == SIGNED_DATA_OID {
        return Err(DerError(
            "public-key integrity mode (signedData) is not supported",
        ));
    }
    if content_type != DATA_OID {
        return Err(DerError("the PFX content is not of type data"));
    }

    let explicit = fields.read(tag::CONTEXT | tag::CONSTRUCTED)?;
    Ok(der::read_single(explicit.value, tag::OCTET_STRING)?.value)
}

/// What the integrity check established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MacState {
    /// The file has no MAC.
    Absent,
    /// The MAC matched the password given.
    Verified,
    /// The MAC matched only the NULL password.
    VerifiedWithAbsentPassword,
}

/// Checks the MAC when there is one.
fn check_mac(parts: &PfxParts<'_>, password: Option<&str>) -> Result<MacState, ImportError> {
    let Some(mac_data) = parts.mac_data else {
        return Ok(MacState::Absent);
    };

    match mac::verify(mac_data.encoded, parts.auth_safe, password) {
        Ok(mac::MacOutcome::Verified) => Ok(MacState::Verified),
        Ok(mac::MacOutcome::VerifiedWithAbsentPassword) => Ok(MacState::VerifiedWithAbsentPassword),
        Ok(mac::MacOutcome::Mismatch) => Err(password_error(password)),
        Err(mac::MacError::Unsupported(reason)) => Err(ImportError::UnsupportedPfx { reason }),
        Err(mac::MacError::Malformed(error)) => Err(corrupt(error)),
    }
}

fn password_error(password: Option<&str>) -> ImportError {
    match password {
        None => ImportError::PasswordRequired,
        Some(_) => ImportError::WrongPassword,
    }
}

/// Re-encodes the `AuthenticatedSafe` and the plain `SafeContents` inside it as DER.
fn normalise_auth_safe(auth_safe: &[u8]) -> Result<Vec<u8>, DerError> {
    let der_form = ber::to_der(auth_safe)?;
    let safes = der::read_single(&der_form, tag::SEQUENCE)?;
    let mut reader = safes.children();
    let mut out = Vec::new();

    while let Some(content_info) = reader.next_tlv()? {
        out.push(normalise_content_info(content_info)?);
    }
    Ok(der::tlv(tag::SEQUENCE, &out.concat()))
}

fn normalise_content_info(content_info: Tlv<'_>) -> Result<Vec<u8>, DerError> {
    let mut fields = content_info.children();
    let oid = fields.read(tag::OID)?;
    let explicit = fields.read(tag::CONTEXT | tag::CONSTRUCTED)?;
    let content_type = der::oid_to_string(oid.value)?;

    let content = match content_type.as_str() {
        DATA_OID => {
            let safe_contents = der::read_single(explicit.value, tag::OCTET_STRING)?.value;
            der::tlv(tag::OCTET_STRING, &ber::to_der(safe_contents)?)
        }
        ENCRYPTED_DATA_OID => normalise_encrypted_data(explicit.value)?,
        _ => explicit.value.to_vec(),
    };
    let explicit = der::tlv(tag::CONTEXT | tag::CONSTRUCTED, &content);
    Ok(der::sequence(&[oid.encoded, &explicit]))
}

/// `EncryptedData { version, EncryptedContentInfo { type, algorithm, [0] IMPLICIT OCTET STRING } }`:
/// the encrypted content may arrive chunked, which generic re-encoding cannot flatten.
fn normalise_encrypted_data(encrypted_data: &[u8]) -> Result<Vec<u8>, DerError> {
    let outer = der::read_single(encrypted_data, tag::SEQUENCE)?;
    let mut fields = outer.children();
    let version = fields.read(tag::INTEGER)?;
    let info = fields.read(tag::SEQUENCE)?;

    let mut info_fields = info.children();
    let content_type = info_fields.read(tag::OID)?;
    let algorithm = info_fields.read(tag::SEQUENCE)?;
    let encrypted = match info_fields.next_tlv()? {
        Some(content) => ber::flatten_implicit_octets(content.encoded)?,
        None => Vec::new(),
    };

    let info = der::sequence(&[content_type.encoded, algorithm.encoded, &encrypted]);
    Ok(der::sequence(&[version.encoded, &info]))
}

fn rebuild_without_mac(auth_safe: &[u8]) -> Vec<u8> {
    let data = der::tlv(tag::OCTET_STRING, auth_safe);
    let content_info = der::sequence(&[
        &der::tlv(tag::OID, &der::encode_oid(DATA_OID)),
        &der::tlv(tag::CONTEXT | tag::CONSTRUCTED, &data),
    ]);
    der::sequence(&[&der::tlv(tag::INTEGER, &[3]), &content_info])
}

/// Maps a p12-keystore failure. Without a MAC, a wrong password surfaces as a decryption
/// or decoding failure, so those mean "wrong password"; after a good MAC they mean damage.
fn archive_error(error: &P12Error, mac: MacState, password: Option<&str>) -> ImportError {
    match error {
        P12Error::UnsupportedEncryptionScheme => {
            unsupported("its encryption scheme is not supported")
        }
        P12Error::UnsupportedCertificateType => unsupported("it holds a non-X.509 certificate bag"),
        P12Error::UnsupportedMacAlgorithm => unsupported("its MAC algorithm is not supported"),
        P12Error::InvalidParameters => unsupported("its encryption parameters are out of range"),
        P12Error::X509Error(e) => ImportError::InvalidCertificate {
            reason: e.to_string(),
        },
        _ if mac == MacState::Absent => password_error(password),
        // p12-keystore passes PKCS#5 errors on as text.
        P12Error::Pkcs5Error(text) if text.contains("unsupported") => ImportError::UnsupportedPfx {
            reason: text.clone(),
        },
        other => ImportError::CorruptPfx {
            reason: other.to_string(),
        },
    }
}

fn unsupported(reason: &str) -> ImportError {
    ImportError::UnsupportedPfx {
        reason: reason.to_owned(),
    }
}

fn corrupt(error: DerError) -> ImportError {
    ImportError::CorruptPfx {
        reason: error.0.to_owned(),
    }
}

/// Picks the leaf and the key from the decoded bags.
fn contents(archive: Pkcs12Archive) -> Result<PfxContents, ImportError> {
    let mut certificates = Vec::with_capacity(archive.certs.len());
    for bag in &archive.certs {
        let certificate = Certificate::from_der(bag.cert.as_der()).map_err(|e| {
            ImportError::InvalidCertificate {
                reason: e.to_string(),
            }
        })?;
        let duplicate = certificates.iter().any(|(known, _)| *known == certificate);
        if !duplicate {
            certificates.push((certificate, bag.local_key_id.clone()));
        }
    }
    if certificates.is_empty() {
        return Err(ImportError::PfxWithoutCertificate);
    }

    let Some(key_bag) = archive.keys.first() else {
        let mut certificates = certificates.into_iter().map(|(c, _)| c);
        let leaf = certificates
            .next()
            .ok_or(ImportError::PfxWithoutCertificate)?;
        return Ok(PfxContents {
            leaf,
            chain: certificates.collect(),
            key: None,
        });
    };

    let key = PrivateKey::from_pkcs8_der(key_bag.key.as_der()).map_err(key_error)?;
    let key_id = key_bag.local_key_id.as_ref().map(|id| id.as_ref().to_vec());
    let leaf_index = leaf_for_key(&certificates, key_id.as_deref(), &key)?;
    let (leaf, _) = certificates.remove(leaf_index);
    let chain = certificates.into_iter().map(|(c, _)| c).collect();
    Ok(PfxContents {
        leaf,
        chain,
        key: Some(key),
    })
}

/// The certificate linked to the key by local key ID, else the one whose public key
/// matches; either way the key must match it.
fn leaf_for_key(
    certificates: &[(Certificate, Option<Vec<u8>>)],
    key_id: Option<&[u8]>,
    key: &PrivateKey,
) -> Result<usize, ImportError> {
    let linked = key_id.and_then(|id| {
        certificates
            .iter()
            .position(|(_, cid)| cid.as_deref() == Some(id))
    });
    if let Some(index) = linked {
        let certificate = &certificates[index].0;
        return match key.matches(certificate).map_err(key_error)? {
            true => Ok(index),
            false => Err(ImportError::key_mismatch(certificate)),
        };
    }

    for (index, (certificate, _)) in certificates.iter().enumerate() {
        if key.matches(certificate).map_err(key_error)? {
            return Ok(index);
        }
    }
    Err(ImportError::key_mismatch(&certificates[0].0))
}

pub(crate) fn key_error(error: KeyError) -> ImportError {
    match error {
        KeyError::Malformed { reason } => ImportError::InvalidPrivateKey { reason },
        KeyError::UnsupportedType { algorithm } => ImportError::UnsupportedKeyType { algorithm },
    }
}
