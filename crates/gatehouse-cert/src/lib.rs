//! X.509 certificates as APIM policies see them.
//!
//! A [`Certificate`] is parsed once (per TLS connection, or per upload) and then answers the
//! members a policy expression reads from `context.Request.Certificate`: `Thumbprint`,
//! `Subject`, `Issuer`, `SerialNumber`, `NotBefore`, `NotAfter` and friends, formatted the way
//! .NET's `X509Certificate2` formats them, so thumbprints copied from Windows dialogs and
//! distinguished names written for APIM compare equal.
//!
//! This crate does no network I/O and knows nothing of HTTP.

mod certificate;
mod error;

pub use certificate::Certificate;
pub use error::CertificateError;
