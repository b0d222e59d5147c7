//! Who is calling, decided before routing: the Host must fit the connection's hostname
//! settings, a trusted proxy's forwarded certificate replaces the proxy's own, certificate
//! headers from anyone else are removed, and a key bound to certificates must meet one.

use std::borrow::Cow;
use std::sync::Arc;

use gatehouse_policy::runtime::CertificateTrust;

use crate::binding;
use crate::connection::Connection;
use crate::forwarded::Source;
use crate::handler::Refusal;
use crate::hostnames;
use crate::snapshot::Snapshot;
use crate::subscription::Granted;
use crate::trust::{RequestTrust, TrustSettings};

/// The connection as this request's pipeline sees it.
///
/// # Errors
/// [`Refusal::Misdirected`] when the Host names a hostname with other client-certificate
/// settings than the connection's; [`Refusal::ForwardedCertificateInvalid`] when a trusted
/// proxy's certificate header cannot be read.
pub(crate) fn admit<'c>(
    snapshot: &Snapshot,
    connection: &'c Connection,
    parts: &mut http::request::Parts,
) -> Result<Cow<'c, Connection>, Refusal> {
    if let Err(wanted) = hostnames::check_host(snapshot.hostnames(), connection.mode, parts) {
        tracing::info!(
            host = hostnames::request_host(parts),
            connection.mode = connection.mode.label(),
            host.mode = wanted.mode.label(),
            client.ip = &*connection.peer_ip,
            decision = "misdirected",
            "the Host names a hostname with other client-certificate settings than the connection"
        );
        return Err(Refusal::Misdirected);
    }
    match snapshot.proxies().take(connection.peer, &mut parts.headers) {
        Ok(Source::Connection) => Ok(Cow::Borrowed(connection)),
        Ok(Source::Forwarded { proxy, certificate }) => {
            Ok(Cow::Owned(connection.forwarded(proxy, certificate)))
        }
        Err((proxy, error)) => {
            tracing::warn!(
                proxy.id = &*proxy,
                client.ip = &*connection.peer_ip,
                %error,
                decision = "forwarded_certificate_invalid",
                "a trusted proxy forwarded a certificate header that cannot be read"
            );
            Err(Refusal::ForwardedCertificateInvalid)
        }
    }
}

/// Whether the key's subscription, if bound to certificates, admits this certificate.
///
/// # Errors
/// [`Refusal::KeyInvalid`], with the reason logged.
pub(crate) fn check_binding(
    snapshot: &Snapshot,
    granted: Option<&Granted>,
    connection: &Connection,
) -> Result<(), Refusal> {
    let Some(granted) = granted else {
        return Ok(());
    };
    let Some(binding) = &granted.subscription.certificates else {
        return Ok(());
    };
    binding::admits(binding, connection, snapshot).map_err(|unbound| {
        tracing::info!(
            subscription.id = &*granted.subscription.id,
            client.cert.thumbprint = connection.thumbprint(),
            client.ip = &*connection.peer_ip,
            reason = unbound.label(),
            decision = "key_invalid",
            "the subscription's keys are bound to other client certificates"
        );
        Refusal::KeyInvalid
    })
}

/// The trust decisions policies may ask for; `None` without a certificate.
pub(crate) fn trust(
    snapshot: &Snapshot,
    connection: &Connection,
    settings: TrustSettings,
) -> Option<Arc<dyn CertificateTrust>> {
    let leaf = connection.certificate.clone()?;
    Some(Arc::new(RequestTrust::new(
        snapshot.trust().clone(),
        settings,
        leaf,
        connection.chain.clone(),
        connection.verdicts.clone(),
    )))
}
