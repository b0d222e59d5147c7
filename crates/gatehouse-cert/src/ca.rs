//! The gateway's local certificate authority.
//!
//! On first start the gateway creates a CA, issues its own server certificate from it and
//! tells users to trust the CA (`curl --cacert ca.pem`), so nobody needs insecure flags. The
//! same CA issues client certificates for trying mTLS (`gatehouse cert issue-client`). Keys
//! are ECDSA P-256: fast to make and accepted by every TLS stack, browser and Postman.
//!
//! Not a production PKI: no CRLs or OCSP for issued certificates, no name constraints.

use std::fmt;
use std::net::IpAddr;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType, SerialNumber,
};
use thiserror::Error;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::key::PrivateKey;
use crate::{Certificate, PfxWriteError, pem};

/// CA lifetime: ten years.
const CA_VALIDITY: Duration = Duration::days(3650);
/// Server certificate lifetime: 397 days, the most Apple platforms and browsers accept.
const SERVER_VALIDITY: Duration = Duration::days(397);
/// Certificates start an hour in the past so clients with a slow clock accept them.
const BACKDATE: Duration = Duration::hours(1);
/// The longest validity `issue_client` gives: 100 years, far inside what X.509 dates carry.
pub const MAX_CLIENT_VALIDITY_DAYS: u32 = 36_500;

/// Why the CA could not be created, loaded or used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CaError {
    /// The certificate given to `from_pem` is not a CA certificate.
    #[error(
        "the certificate {subject} is not a certificate authority (basicConstraints CA is not set)"
    )]
    NotACertificateAuthority {
        /// Its subject.
        subject: String,
    },
    /// The PEM given to `from_pem` does not hold a usable certificate or key.
    #[error("the CA {what} could not be read: {reason}")]
    InvalidPem {
        /// `certificate` or `private key`.
        what: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The CA key does not belong to the CA certificate.
    #[error("the CA private key does not belong to the CA certificate {subject}")]
    KeyMismatch {
        /// The CA certificate's subject.
        subject: String,
    },
    /// A name to put in a certificate is not a valid host name or IP address.
    #[error("{name:?} is not a valid host name or IP address")]
    InvalidName {
        /// The offending name.
        name: String,
    },
    /// A client certificate needs a subject name.
    #[error("the common name is empty: give the client a name (--cn)")]
    EmptyCommonName,
    /// A validity outside what a client certificate may have.
    #[error("{days} days is not a usable validity: give 1 to {max} days", max = MAX_CLIENT_VALIDITY_DAYS)]
    InvalidValidity {
        /// The days asked for.
        days: u32,
    },
    /// Key generation or signing failed.
    #[error("could not create the certificate: {reason}")]
    Signing {
        /// What rcgen reported.
        reason: String,
    },
}

/// A certificate issued by the local CA, with its new private key.
#[derive(Debug, Clone)]
pub struct IssuedCertificate {
    certificate: Certificate,
    certificate_pem: String,
    private_key: PrivateKey,
}

impl IssuedCertificate {
    /// The parsed certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The certificate in PEM.
    pub fn cert_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The private key (PKCS#8).
    pub fn private_key(&self) -> &PrivateKey {
        &self.private_key
    }

    /// The private key in PEM, in a buffer wiped on drop.
    pub fn key_pem(&self) -> Zeroizing<String> {
        self.private_key.to_pem()
    }
}

/// Packs an issued certificate, its key and `chain` (usually the CA certificate) into a PFX
/// file with modern encryption; see [`crate::write_pfx`].
///
/// # Errors
/// [`PfxWriteError::Encoding`] when encoding fails.
pub fn write_pfx(
    issued: &IssuedCertificate,
    chain: &[&Certificate],
    password: &str,
) -> Result<Vec<u8>, PfxWriteError> {
    let chain: Vec<Certificate> = chain.iter().map(|&c| c.clone()).collect();
    crate::write_pfx(&issued.certificate, &chain, &issued.private_key, password)
}

/// The CA certificate and key as PEM text, ready to store.
#[derive(Clone)]
pub struct CaPem {
    /// The CA certificate (`-----BEGIN CERTIFICATE-----`); this is what clients trust.
    pub certificate: String,
    /// The CA private key (`-----BEGIN PRIVATE KEY-----`); keep it private.
    pub private_key: Zeroizing<String>,
}

impl fmt::Debug for CaPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaPem")
            .field("certificate", &self.certificate)
            .finish_non_exhaustive()
    }
}

/// The local certificate authority.
pub struct LocalCa {
    certificate: Certificate,
    certificate_pem: String,
    private_key: PrivateKey,
    issuer: Issuer<'static, KeyPair>,
}

impl LocalCa {
    /// Creates a new CA with an ECDSA P-256 key, valid for ten years.
    ///
    /// # Errors
    /// [`CaError::Signing`] when key generation or signing fails.
    pub fn generate(common_name: &str) -> Result<Self, CaError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(signing)?;
        let mut params = base_params(common_name, CA_VALIDITY)?;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];

        let certificate_pem = params.self_signed(&key).map_err(signing)?.pem();
        let private_key = private_key_of(&key)?;
        let certificate = crate::import_certificate(certificate_pem.as_bytes(), None)
            .map_err(|e| signing(&e))?
            .into_parts()
            .0;
        Ok(Self {
            certificate,
            certificate_pem,
            private_key,
            issuer: Issuer::new(params, key),
        })
    }

    /// Loads a CA saved with [`LocalCa::to_pem`] (or any CA certificate and key in PEM).
    ///
    /// # Errors
    /// [`CaError::InvalidPem`] for unreadable input, [`CaError::NotACertificateAuthority`]
    /// for a certificate that cannot issue, [`CaError::KeyMismatch`] for a foreign key.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, CaError> {
        let certificate = crate::import_certificate(cert_pem.as_bytes(), None)
            .map_err(|e| invalid("certificate", &e))?
            .into_parts()
            .0;
        ensure_ca(&certificate)?;

        let key = KeyPair::from_pem(key_pem).map_err(|e| invalid("private key", &e))?;
        let private_key = private_key_of(&key)?;
        if !private_key
            .matches(&certificate)
            .map_err(|e| invalid("private key", &e))?
        {
            return Err(CaError::KeyMismatch {
                subject: certificate.subject().to_string(),
            });
        }

        let issuer =
            Issuer::from_ca_cert_pem(cert_pem, key).map_err(|e| invalid("certificate", &e))?;
        let certificate_pem = pem::encode("CERTIFICATE", certificate.der());
        Ok(Self {
            certificate,
            certificate_pem,
            private_key,
            issuer,
        })
    }

    /// The CA certificate and key in PEM.
    pub fn to_pem(&self) -> CaPem {
        CaPem {
            certificate: self.certificate_pem.clone(),
            private_key: self.private_key.to_pem(),
        }
    }

    /// The CA certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The CA certificate in PEM: the file clients pass to `--cacert`.
    pub fn cert_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The CA private key in PEM, in a buffer wiped on drop.
    pub fn key_pem(&self) -> Zeroizing<String> {
        self.private_key.to_pem()
    }

    /// Issues a TLS server certificate (EKU serverAuth) for host names and IP addresses,
    /// valid for 397 days; for example `(&["localhost"], &[127.0.0.1, ::1])`. The first host
    /// name (else the first address) is also the subject CN.
    ///
    /// # Errors
    /// [`CaError::InvalidName`] when there is no name at all or a host name is not a valid
    /// DNS name; [`CaError::Signing`] when signing fails.
    pub fn issue_server(
        &self,
        dns_names: &[&str],
        ips: &[IpAddr],
    ) -> Result<IssuedCertificate, CaError> {
        let mut subject_alt_names = Vec::with_capacity(dns_names.len() + ips.len());
        for name in dns_names {
            subject_alt_names.push(dns_san(name)?);
        }
        subject_alt_names.extend(ips.iter().map(|ip| SanType::IpAddress(*ip)));

        let common_name = match (dns_names.first(), ips.first()) {
            (Some(name), _) => (*name).to_owned(),
            (None, Some(ip)) => ip.to_string(),
            (None, None) => {
                return Err(CaError::InvalidName {
                    name: String::new(),
                });
            }
        };
        let mut params = base_params(&common_name, SERVER_VALIDITY)?;
        params.subject_alt_names = subject_alt_names;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        self.issue(params)
    }

    /// Issues a client certificate (EKU clientAuth) for `common_name`.
    ///
    /// # Errors
    /// [`CaError::Signing`] when signing fails.
    pub fn issue_client(
        &self,
        common_name: &str,
        validity_days: u32,
    ) -> Result<IssuedCertificate, CaError> {
        if !(1..=MAX_CLIENT_VALIDITY_DAYS).contains(&validity_days) {
            return Err(CaError::InvalidValidity {
                days: validity_days,
            });
        }
        if common_name.trim().is_empty() {
            return Err(CaError::EmptyCommonName);
        }
        let mut params = base_params(common_name, Duration::days(i64::from(validity_days)))?;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        self.issue(params)
    }

    fn issue(&self, mut params: CertificateParams) -> Result<IssuedCertificate, CaError> {
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(signing)?;
        let certificate_pem = params.signed_by(&key, &self.issuer).map_err(signing)?.pem();

        let certificate = crate::import_certificate(certificate_pem.as_bytes(), None)
            .map_err(|e| signing(&e))?
            .into_parts()
            .0;
        Ok(IssuedCertificate {
            certificate,
            certificate_pem,
            private_key: private_key_of(&key)?,
        })
    }
}

impl fmt::Debug for LocalCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalCa")
            .field("certificate", &self.certificate)
            .finish_non_exhaustive()
    }
}

/// Subject CN, a random serial and a validity window starting an hour ago.
fn base_params(common_name: &str, validity: Duration) -> Result<CertificateParams, CaError> {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    params.distinguished_name = name;

    let now = OffsetDateTime::now_utc();
    params.not_before = now - BACKDATE;
    params.not_after = now + validity;
    params.serial_number = Some(random_serial()?);
    Ok(params)
}

/// 16 random bytes with the top bit clear, so the serial is positive and exactly as long.
fn random_serial() -> Result<SerialNumber, CaError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| CaError::Signing {
        reason: "no system randomness".to_owned(),
    })?;
    bytes[0] = (bytes[0] & 0x7F) | 0x40;
    Ok(SerialNumber::from_slice(&bytes))
}

fn dns_san(name: &str) -> Result<SanType, CaError> {
    let invalid = || CaError::InvalidName {
        name: name.to_owned(),
    };
    let valid_host = !name.is_empty() && name.split('.').all(is_dns_label);
    if !valid_host {
        return Err(invalid());
    }
    Ok(SanType::DnsName(
        name.to_owned().try_into().map_err(|_| invalid())?,
    ))
}

/// Letters, digits and hyphens (and a leading `*` label for wildcards), at most 63 long.
fn is_dns_label(label: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    label == "*" || (!label.is_empty() && label.len() <= 63 && label.chars().all(allowed))
}

fn ensure_ca(certificate: &Certificate) -> Result<(), CaError> {
    let parsed = x509_parser::parse_x509_certificate(certificate.der())
        .map_err(|e| invalid("certificate", &e))?
        .1;
    let is_ca = parsed
        .basic_constraints()
        .ok()
        .flatten()
        .is_some_and(|bc| bc.value.ca);
    if is_ca {
        Ok(())
    } else {
        Err(CaError::NotACertificateAuthority {
            subject: certificate.subject().to_string(),
        })
    }
}

fn private_key_of(key: &KeyPair) -> Result<PrivateKey, CaError> {
    let der = Zeroizing::new(key.serialize_der());
    PrivateKey::from_pkcs8_der(&der).map_err(|e| signing(&e))
}

fn signing(error: impl fmt::Display) -> CaError {
    CaError::Signing {
        reason: error.to_string(),
    }
}

fn invalid(what: &'static str, error: impl fmt::Display) -> CaError {
    CaError::InvalidPem {
        what,
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ca_round_trips_through_pem() {
        let ca = LocalCa::generate("Gatehouse Local CA").unwrap();
        assert_eq!(&**ca.certificate().subject(), "CN=Gatehouse Local CA");
        assert_eq!(
            ca.certificate()
                .public_key()
                .curve()
                .and_then(|c| c.friendly_name()),
            Some("ECDSA_P256")
        );
        let lifetime = ca.certificate().not_after() - ca.certificate().not_before();
        assert_eq!(lifetime, CA_VALIDITY + BACKDATE);

        let saved = ca.to_pem();
        assert!(!format!("{saved:?}").contains("PRIVATE KEY"));
        let loaded = LocalCa::from_pem(&saved.certificate, &saved.private_key).unwrap();
        assert_eq!(loaded.certificate(), ca.certificate());
        let client = loaded.issue_client("after reload", 1).unwrap();
        assert_eq!(client.certificate().issuer(), ca.certificate().subject());
    }

    #[test]
    fn client_certificates_need_a_name_and_a_validity_of_1_day_to_100_years() {
        let ca = LocalCa::generate("Test CA").unwrap();

        for days in [0, MAX_CLIENT_VALIDITY_DAYS + 1, 3_000_000, u32::MAX] {
            let refused = ca.issue_client("client", days).unwrap_err();
            assert!(
                matches!(refused, CaError::InvalidValidity { .. }),
                "{days}: {refused}"
            );
            assert!(refused.to_string().contains("1 to 36500"), "{refused}");
        }
        for name in ["", "   "] {
            let refused = ca.issue_client(name, 30).unwrap_err();
            assert!(
                matches!(refused, CaError::EmptyCommonName),
                "{name:?}: {refused}"
            );
        }
        assert!(ca.issue_client("client", MAX_CLIENT_VALIDITY_DAYS).is_ok());
    }

    #[test]
    fn issues_server_and_client_certificates() {
        let ca = LocalCa::generate("Test CA").unwrap();
        let ips = ["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
        let server = ca.issue_server(&["localhost"], &ips).unwrap();
        let cert = server.certificate();
        assert_eq!(&**cert.subject(), "CN=localhost");
        let dns: Vec<&str> = cert.dns_names().iter().map(|d| &**d).collect();
        assert_eq!(dns, ["localhost"]);
        assert_eq!(cert.subject_alternative_names().len(), 3);
        assert_eq!(cert.extended_key_usages().map(<[_]>::len), Some(1));
        assert!(!cert.allows_client_auth());
        assert!(server.private_key().matches(cert).unwrap());

        let client = ca.issue_client("Client 01", 30).unwrap();
        let pfx = write_pfx(&client, &[ca.certificate()], "pw").unwrap();
        let imported = crate::import_certificate(&pfx, Some("pw")).unwrap();
        assert_eq!(imported.certificate(), client.certificate());
        assert!(client.certificate().has_client_auth_eku());
        assert_eq!(&**client.certificate().issuer(), "CN=Test CA");
        assert!(client.key_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_ne!(
            client.certificate().serial_number(),
            server.certificate().serial_number()
        );
    }

    #[test]
    fn refuses_bad_input() {
        let ca = LocalCa::generate("Test CA").unwrap();
        let error = ca.issue_server(&["not a host"], &[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"not a host\" is not a valid host name or IP address"
        );
        assert!(ca.issue_server(&[], &[]).is_err());
        let ip_only = ca
            .issue_server(&[], &["10.0.0.1".parse().unwrap()])
            .unwrap();
        assert_eq!(&**ip_only.certificate().subject(), "CN=10.0.0.1");

        let leaf = ca.issue_client("leaf", 1).unwrap();
        let not_ca = LocalCa::from_pem(leaf.cert_pem(), &leaf.key_pem()).unwrap_err();
        assert!(matches!(not_ca, CaError::NotACertificateAuthority { .. }));

        let other = LocalCa::generate("Other CA").unwrap();
        let mismatch = LocalCa::from_pem(ca.cert_pem(), &other.key_pem()).unwrap_err();
        assert_eq!(
            mismatch.to_string(),
            "the CA private key does not belong to the CA certificate CN=Test CA"
        );
    }
}
