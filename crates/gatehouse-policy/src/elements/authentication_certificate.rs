//! `<authentication-certificate certificate-id="id"/>` (or `thumbprint="..."`, or
//! `body="@(bytes)" password="..."`): the client certificate presented to the backend when it
//! asks for one, in inbound for `forward-request` and inside `send-request` for that request.
//!
//! An uploaded certificate must come with its private key. Literal ids and thumbprints are
//! checked when the policy is saved; computed ones, and certificates given as bytes, per
//! request.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use gatehouse_expr::Value;
use serde_json::json;

use crate::compile::{Compiler, Text};
use crate::reader::{Code, Element};
use crate::runtime::{ClientIdentity, Exchange, Failure};

type Identities = Arc<HashMap<String, Arc<ClientIdentity>>>;

#[derive(Clone, Debug)]
pub(crate) struct AuthenticationCertificate {
    source: Source,
}

#[derive(Clone, Debug)]
enum Source {
    Fixed(Arc<ClientIdentity>),
    ById(Text, Identities),
    ByThumbprint(Text, Identities),
    Body(Text, Option<Text>),
}

pub(crate) fn compile(
    element: &Element,
    cx: &mut Compiler<'_>,
) -> Option<AuthenticationCertificate> {
    let identities = cx.env.client_identities().clone();
    let source = if let Some(id) = cx.text(element, "certificate-id") {
        match id.literal().map(str::trim) {
            Some(id) => Source::Fixed(fixed(cx, element, id, find_by_id(&identities, id))?),
            None => Source::ById(id, identities),
        }
    } else if let Some(thumbprint) = cx.text(element, "thumbprint") {
        match thumbprint.literal().map(str::trim) {
            Some(t) => Source::Fixed(fixed(cx, element, t, find_by_thumbprint(&identities, t))?),
            None => Source::ByThumbprint(thumbprint, identities),
        }
    } else if let Some(body) = cx.text(element, "body") {
        Source::Body(body, cx.text(element, "password"))
    } else {
        let message = "<authentication-certificate> needs 'certificate-id', 'thumbprint' or 'body'";
        cx.error(element.position, Code::MissingAttribute, message);
        return None;
    };
    Some(AuthenticationCertificate { source })
}

fn fixed(
    cx: &mut Compiler<'_>,
    element: &Element,
    name: &str,
    found: Option<Arc<ClientIdentity>>,
) -> Option<Arc<ClientIdentity>> {
    if found.is_none() {
        let message = format!(
            "certificate '{name}' is not an uploaded certificate with a private key (upload a PFX to /certificates/{{id}})"
        );
        cx.error(element.position, Code::InvalidValue, message);
    }
    found
}

fn find_by_id(identities: &Identities, id: &str) -> Option<Arc<ClientIdentity>> {
    identities.get(id).cloned()
}

fn find_by_thumbprint(identities: &Identities, thumbprint: &str) -> Option<Arc<ClientIdentity>> {
    identities
        .values()
        .find(|i| i.thumbprint.eq_ignore_ascii_case(thumbprint))
        .cloned()
}

impl AuthenticationCertificate {
    pub(crate) fn texts<'a>(&'a self, out: &mut Vec<&'a Text>) {
        match &self.source {
            Source::Fixed(_) => {}
            Source::ById(text, _) | Source::ByThumbprint(text, _) => out.push(text),
            Source::Body(body, password) => {
                out.push(body);
                out.extend(password);
            }
        }
    }

    /// Chooses the certificate for the requests the section forwards.
    pub(crate) fn run(&self, ex: &mut Exchange) -> Result<(), Failure> {
        let identity = self.resolve(ex)?;
        ex.record("authentication-certificate", || {
            json!({ "message": "A client certificate was set for the backend.", "thumbprint": &*identity.thumbprint })
        });
        ex.client_identity = Some(identity);
        Ok(())
    }

    /// The certificate, evaluated against `ex`.
    pub(crate) fn resolve(&self, ex: &Exchange) -> Result<Arc<ClientIdentity>, Failure> {
        let source = "authentication-certificate";
        let text = |t: &Text| t.string(ex).map_err(|e| Failure::expression(source, &e));
        let missing = |name: &str| {
            let message = format!("Certificate '{name}' with a private key was not found.");
            Failure::internal(source, "CertificateNotFound", message)
        };
        match &self.source {
            Source::Fixed(identity) => Ok(identity.clone()),
            Source::ById(id, identities) => {
                let id = text(id)?;
                find_by_id(identities, id.trim()).ok_or_else(|| missing(&id))
            }
            Source::ByThumbprint(thumbprint, identities) => {
                let thumbprint = text(thumbprint)?;
                find_by_thumbprint(identities, thumbprint.trim())
                    .ok_or_else(|| missing(&thumbprint))
            }
            Source::Body(body, password) => {
                let password = password.as_ref().map(text).transpose()?;
                from_body(
                    body.value(ex)
                        .map_err(|e| Failure::expression(source, &e))?,
                    password.as_deref(),
                )
            }
        }
    }
}

/// A certificate given as bytes (PFX, or PEM with its key): `byte[]`, or base64 text.
fn from_body(value: Value, password: Option<&str>) -> Result<Arc<ClientIdentity>, Failure> {
    let source = "authentication-certificate";
    let invalid = |what: String| Failure::internal(source, "CertificateInvalid", what);
    let bytes: Vec<u8> = match value {
        Value::Bytes(bytes) => bytes.to_vec(),
        Value::Str(text) => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| invalid(format!("The certificate body is not base64: {e}")))?,
        other => {
            return Err(invalid(format!(
                "The certificate body is a {}, not bytes.",
                other.type_name()
            )));
        }
    };
    let imported = gatehouse_cert::import_certificate(&bytes, password)
        .map_err(|e| invalid(format!("The certificate body cannot be read: {e}")))?;
    let (certificate, chain, key) = imported.into_parts();
    let key = key.ok_or_else(|| invalid("The certificate body has no private key.".to_owned()))?;
    let mut ders = vec![certificate.der().to_vec()];
    ders.extend(chain.iter().map(|c| c.der().to_vec()));
    Ok(Arc::new(ClientIdentity {
        thumbprint: certificate.thumbprint().clone(),
        chain: ders,
        key: Arc::from(key.pkcs8_der()),
    }))
}
