//! X.509 certificates as APIM policies see them.
//!
//! A [`Certificate`] is parsed once (per TLS connection, or per upload) and then answers the
//! members a policy expression reads from `context.Request.Certificate`: `Thumbprint`,
//! `Subject`, `Issuer`, `SerialNumber`, `NotBefore`, `NotAfter` and friends, formatted the way
//! .NET's `X509Certificate2` formats them, so thumbprints copied from Windows dialogs and
//! distinguished names written for APIM compare equal.
//!
//! Around that model:
//!
//! - [`import`]: reads what users upload (PFX/PKCS#12 modern and legacy, BER or DER; PEM with
//!   or without a key; DER; base64) into an [`Imported`] leaf, chain and checked private key,
//!   with errors that tell a wrong password from a damaged file.
//! - [`ca`]: the gateway's local CA, which issues its server certificate and test client
//!   certificates; [`write_pfx`] packs them for curl, Postman and browsers.
//! - [`verify`]: chain and CRL checks against uploaded CA certificates, with .NET's rules
//!   for `Verify()` and `VerifyNoRevocation()`.
//!
//! This crate does no network I/O (no OCSP, no CRL download) and knows nothing of HTTP.
//! Passwords and private keys never appear in errors or `Debug` output.

pub mod ca;
mod certificate;
mod der;
mod dn;
mod dotnet_string;
mod error;
mod extensions;
pub mod import;
mod key;
mod name_info;
mod oids;
mod pem;
mod pfx_writer;
mod public_key;
pub mod verify;

pub use ca::{CaError, CaPem, IssuedCertificate, LocalCa};
pub use certificate::{Certificate, thumbprint_of};
pub use dn::dotnet_distinguished_name;
pub use dotnet_string::{en_us_date_time, local_offset};
pub use error::CertificateError;
pub use extensions::AltName;
pub use import::{ImportError, ImportFormat, Imported, import_certificate};
pub use key::{KeyError, KeyKind, PrivateKey};
pub use name_info::X509NameType;
pub use oids::friendly_name;
pub use pfx_writer::{PfxEncryption, PfxWriteError, write_pfx, write_pfx_with};
pub use public_key::{Oid, PublicKeyInfo};
pub use verify::{
    Crl, RequiredUsage, RevocationMode, TrustStore, VerifyError, VerifyOptions, verify_chain,
};
