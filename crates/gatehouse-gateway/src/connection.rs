//! What the gateway knows about one caller connection: its address, the client certificate
//! it proved it holds and the intermediates it sent (parsed once and shared by every request
//! on it), the hostname settings its handshake used, and the trust verdicts reached so far.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use gatehouse_cert::{Certificate, ForwardedCertificate};
use gatehouse_expr::context::Str;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use crate::hostnames::ClientCertificateMode;
use crate::trust::VerdictCache;

/// A caller's TLS connection, or the view of one request forwarded by a trusted proxy.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The caller's IP address, as text (`context.Request.IpAddress`).
    pub peer_ip: Str,
    /// The TLS peer's address: what trusted proxies are matched against.
    pub peer: IpAddr,
    /// The client certificate whose key the caller proved it holds, if it sent one (or the
    /// one a trusted proxy forwarded).
    pub certificate: Option<Certificate>,
    /// The intermediates sent with it, for chain building.
    pub chain: Arc<[Certificate]>,
    /// What the handshake did about client certificates.
    pub mode: ClientCertificateMode,
    /// The trusted proxy that forwarded the certificate, if one did.
    pub forwarded_by: Option<Arc<str>>,
    /// Trust verdicts about `certificate`.
    pub(crate) verdicts: Arc<VerdictCache>,
}

impl Connection {
    /// A connection from `peer` that presented `certificate` and `chain` in a handshake made
    /// with `mode`.
    pub fn new(
        peer: SocketAddr,
        certificate: Option<Certificate>,
        chain: Vec<Certificate>,
        mode: ClientCertificateMode,
    ) -> Self {
        let ip = peer.ip().to_canonical();
        Self {
            peer_ip: ip.to_string().into(),
            peer: ip,
            certificate,
            chain: chain.into(),
            mode,
            forwarded_by: None,
            verdicts: Arc::default(),
        }
    }

    /// The view of one request whose certificate trusted proxy `proxy` forwarded: that
    /// certificate replaces the proxy's own, with verdicts of its own (the proxy's
    /// connection carries many callers).
    pub fn forwarded(&self, proxy: Arc<str>, forwarded: Option<ForwardedCertificate>) -> Self {
        let (certificate, chain) = match forwarded.map(ForwardedCertificate::into_parts) {
            Some((leaf, chain)) => (Some(leaf), chain),
            None => (None, Vec::new()),
        };
        Self {
            certificate,
            chain: chain.into(),
            forwarded_by: Some(proxy),
            verdicts: Arc::default(),
            ..self.clone()
        }
    }

    /// The certificate's thumbprint, for log fields.
    pub fn thumbprint(&self) -> Option<&str> {
        self.certificate.as_ref().map(|c| &**c.thumbprint())
    }

    /// The trace entry describing the presented certificate, or its absence.
    pub fn certificate_json(&self) -> Value {
        let Some(certificate) = &self.certificate else {
            return json!({ "message": "No client certificate was presented.", "forwardedBy": self.forwarded_by.as_deref() });
        };
        let date = |d: time::OffsetDateTime| d.format(&Rfc3339).unwrap_or_default();
        json!({
            "message": "Client certificate was presented.",
            "thumbprint": &**certificate.thumbprint(),
            "subject": &**certificate.subject(),
            "issuer": &**certificate.issuer(),
            "serialNumber": &**certificate.serial_number(),
            "notBefore": date(certificate.not_before()),
            "notAfter": date(certificate.not_after()),
            "chain": self.chain.iter().map(|c| &**c.thumbprint()).collect::<Vec<_>>(),
            "forwardedBy": self.forwarded_by.as_deref(),
        })
    }
}
