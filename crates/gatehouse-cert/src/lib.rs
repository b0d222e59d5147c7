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
//! - [`verify`]: chain checks against uploaded CA certificates with .NET's rules for
//!   `Verify()` and `VerifyNoRevocation()`; [`TrustConfig`] is what the gateway holds.
//! - [`crl`]: revocation lists, version 1 and 2, read once at upload and refused there with
//!   the reason when they could never be honoured.
//! - [`forwarded`]: certificates a trusted TLS-terminating proxy forwards in headers
//!   (RFC 9440, Envoy, IIS ARR, URL-encoded PEM).
//! - [`expiry`]: certificates expiring soon, for logs and the management API.
//!
//! What is validated, how it differs from .NET's `X509Chain`, and the conformance numbers
//! (x509-limbo, NIST PKITS) are in `docs/trust.md` at the root of the repository.
//!
//! This crate does no network I/O (no OCSP, no CRL or AIA download) and knows nothing of HTTP
//! beyond header values. Passwords and private keys never appear in errors or `Debug` output.

pub mod ca;
mod certificate;
pub mod crl;
mod der;
mod dn;
mod dotnet_string;
mod error;
pub mod expiry;
mod extensions;
pub mod forwarded;
pub mod import;
mod issued_by;
mod key;
mod key_usage;
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
pub use expiry::{ExpiryNotice, Validity};
pub use extensions::AltName;
pub use forwarded::{ForwardedCertificate, ForwardedError, ForwardedFormat};
pub use import::{ImportError, ImportFormat, Imported, import_certificate};
pub use key::{KeyError, KeyKind, PrivateKey};
pub use key_usage::KeyUsage;
pub use name_info::X509NameType;
pub use oids::friendly_name;
pub use pfx_writer::{PfxEncryption, PfxWriteError, write_pfx, write_pfx_with};
pub use public_key::{Oid, PublicKeyInfo};
pub use verify::{
    Crl, CrlError, PeerName, RequiredUsage, RevocationMode, RevocationReason, TrustConfig,
    TrustStore, VerifiedChain, VerifyError, VerifyOptions, verify_chain, verify_peer_name,
};
