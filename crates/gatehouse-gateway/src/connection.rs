//! What the gateway knows about one caller connection: its address and the client
//! certificate it proved it holds, parsed once and shared by every request on it.

use std::net::SocketAddr;

use gatehouse_cert::Certificate;
use gatehouse_expr::context::Str;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

/// A caller's TLS connection.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The caller's IP address, as text (`context.Request.IpAddress`).
    pub peer_ip: Str,
    /// The client certificate whose key the caller proved it holds, if it sent one.
    pub certificate: Option<Certificate>,
}

impl Connection {
    /// A connection from `peer` that presented `certificate`.
    pub fn new(peer: SocketAddr, certificate: Option<Certificate>) -> Self {
        Self {
            peer_ip: peer.ip().to_canonical().to_string().into(),
            certificate,
        }
    }

    /// The certificate's thumbprint, for log fields.
    pub fn thumbprint(&self) -> Option<&str> {
        self.certificate.as_ref().map(|c| &**c.thumbprint())
    }

    /// The trace entry describing the presented certificate, or its absence.
    pub fn certificate_json(&self) -> Value {
        let Some(certificate) = &self.certificate else {
            return json!({ "message": "No client certificate was presented." });
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
        })
    }
}
