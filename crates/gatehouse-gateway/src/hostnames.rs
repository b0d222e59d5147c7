//! Hostname configurations: which server certificate a server name (SNI) gets, and whether
//! its handshake asks for a client certificate, requires one, or does neither.
//!
//! The table is part of the snapshot, so the listener picks the settings of the current
//! configuration for every new connection, and existing connections keep the settings they
//! were made with. Because TLS settings are chosen before the request's Host is known, a
//! request whose Host names a hostname with other client-certificate settings than the one
//! its connection was made for is refused with 421 ([`check_host`]): nobody can reach a
//! hostname that requires a certificate through a connection made to one that does not.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use gatehouse_model::{CertificateProperties, Config, HostnameConfigurationProperties};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;

use crate::SnapshotError;

/// What the handshake does about client certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientCertificateMode {
    /// Never ask (`negotiateClientCertificate: false`): `context.Request.Certificate` is null.
    Off,
    /// Ask, accept any certificate or none, verify possession: the default.
    Request,
    /// Ask and fail the handshake without a certificate (`requireClientCertificate`).
    Require,
}

impl ClientCertificateMode {
    /// A word for logs.
    pub fn label(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Request => "request",
            Self::Require => "require",
        }
    }
}

/// The settings one server name gets.
#[derive(Debug)]
pub struct Site {
    /// The hostname configuration's id; `None` for the built-in default.
    pub id: Option<Arc<str>>,
    /// The certificate served, with its thumbprint; `None` for the listener's own.
    pub certificate: Option<(Arc<str>, Arc<CertifiedKey>)>,
    /// Client-certificate negotiation.
    pub mode: ClientCertificateMode,
}

impl Site {
    /// The listener's own certificate, asking for a client certificate.
    fn built_in() -> Self {
        Self {
            id: None,
            certificate: None,
            mode: ClientCertificateMode::Request,
        }
    }
}

/// Every hostname configuration, by name.
#[derive(Debug)]
pub struct Hostnames {
    exact: HashMap<String, Arc<Site>>,
    /// `*.example.com` under `example.com`.
    wildcard: HashMap<String, Arc<Site>>,
    default: Arc<Site>,
}

impl Default for Hostnames {
    fn default() -> Self {
        Self {
            exact: HashMap::new(),
            wildcard: HashMap::new(),
            default: Arc::new(Site::built_in()),
        }
    }
}

impl Hostnames {
    /// Builds the table; certificates must be uploaded with their private key.
    ///
    /// # Errors
    /// [`SnapshotError::Hostname`] when a configuration's certificate cannot be served.
    pub fn build(config: &Config) -> Result<Self, SnapshotError> {
        let mut table = Self::default();
        for (id, properties) in &config.hostname_configurations {
            let site = Arc::new(site(config, id, properties)?);
            if properties.default_ssl_binding {
                table.default = site.clone();
            }
            match properties.host_name.strip_prefix("*.") {
                Some(parent) => table.wildcard.insert(parent.to_owned(), site),
                None => table.exact.insert(properties.host_name.clone(), site),
            };
        }
        Ok(table)
    }

    /// The settings for a server name (SNI or Host without port); the default for none or
    /// an unknown one.
    pub fn resolve(&self, name: Option<&str>) -> &Arc<Site> {
        // Without configurations every name gets the default: skip reading it.
        if self.exact.is_empty() && self.wildcard.is_empty() {
            return &self.default;
        }
        let Some(name) = name.map(|n| n.trim_end_matches('.').to_ascii_lowercase()) else {
            return &self.default;
        };
        if let Some(site) = self.exact.get(&name) {
            return site;
        }
        let parent = name.split_once('.').map(|(_, parent)| parent);
        parent
            .and_then(|p| self.wildcard.get(p))
            .unwrap_or(&self.default)
    }
}

fn site(
    config: &Config,
    id: &str,
    properties: &HostnameConfigurationProperties,
) -> Result<Site, SnapshotError> {
    let mode = match (
        properties.negotiate_client_certificate,
        properties.require_client_certificate,
    ) {
        (false, _) => ClientCertificateMode::Off,
        (true, false) => ClientCertificateMode::Request,
        (true, true) => ClientCertificateMode::Require,
    };
    let certificate = match &properties.certificate_id {
        Some(certificate_id) => Some(served(config, id, certificate_id)?),
        None => None,
    };
    Ok(Site {
        id: Some(id.into()),
        certificate,
        mode,
    })
}

/// The uploaded certificate `certificate_id` with its key, ready to serve.
fn served(
    config: &Config,
    id: &str,
    certificate_id: &str,
) -> Result<(Arc<str>, Arc<CertifiedKey>), SnapshotError> {
    let failed = |reason: String| SnapshotError::Hostname {
        id: id.to_owned(),
        reason,
    };
    let properties = config
        .certificates
        .get(certificate_id)
        .ok_or_else(|| failed(format!("certificate '{certificate_id}' is not uploaded")))?;
    let key = certified_key(properties).map_err(|reason| {
        failed(format!(
            "certificate '{certificate_id}' cannot be served: {reason}"
        ))
    })?;
    Ok((properties.thumbprint.as_str().into(), Arc::new(key)))
}

fn certified_key(properties: &CertificateProperties) -> Result<CertifiedKey, String> {
    let decode = |b64: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| e.to_string())
    };
    let key = properties
        .private_key
        .as_deref()
        .ok_or("it was uploaded without a private key (upload a PFX)")?;
    let mut chain = vec![CertificateDer::from(decode(&properties.certificate)?)];
    for der in &properties.chain {
        chain.push(CertificateDer::from(decode(der)?));
    }
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(decode(key)?));
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    CertifiedKey::from_der(chain, key, &provider).map_err(|e| e.to_string())
}

/// The server name a request's Host (or HTTP/2 `:authority`) names, without port.
pub fn request_host(parts: &http::request::Parts) -> Option<&str> {
    let authority = match parts.uri.authority() {
        Some(authority) => authority.as_str(),
        None => parts.headers.get(http::header::HOST)?.to_str().ok()?,
    };
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    Some(host)
}

/// Whether the request may be served on a connection made with `connected` settings: its
/// Host must name a hostname with the same client-certificate settings.
///
/// # Errors
/// The Host's settings, when they differ.
pub fn check_host<'h>(
    hostnames: &'h Hostnames,
    connected: ClientCertificateMode,
    parts: &http::request::Parts,
) -> Result<(), &'h Site> {
    let wanted = hostnames.resolve(request_host(parts));
    if wanted.mode == connected {
        Ok(())
    } else {
        Err(wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(entries: &[(&str, bool, bool)]) -> Hostnames {
        let mut config = Config::default();
        for (i, (name, negotiate, require)) in entries.iter().enumerate() {
            let properties = HostnameConfigurationProperties {
                host_name: (*name).to_owned(),
                certificate_id: None,
                negotiate_client_certificate: *negotiate,
                require_client_certificate: *require,
                default_ssl_binding: false,
            };
            config
                .hostname_configurations
                .insert(format!("h{i}"), properties);
        }
        Hostnames::build(&config).unwrap()
    }

    fn parts(uri: &str, host: Option<&str>) -> http::request::Parts {
        let mut request = http::Request::builder().uri(uri);
        if let Some(host) = host {
            request = request.header("host", host);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn names_resolve_exactly_then_by_wildcard_then_to_the_default() {
        let hostnames = table(&[
            ("api.example.com", true, true),
            ("*.open.example.com", false, false),
        ]);
        let mode = |name: Option<&str>| hostnames.resolve(name).mode;

        assert_eq!(
            mode(Some("API.example.com.")),
            ClientCertificateMode::Require
        );
        assert_eq!(mode(Some("a.open.example.com")), ClientCertificateMode::Off);
        assert_eq!(
            mode(Some("a.b.open.example.com")),
            ClientCertificateMode::Request
        );
        assert_eq!(
            mode(Some("other.example.com")),
            ClientCertificateMode::Request
        );
        assert_eq!(mode(None), ClientCertificateMode::Request);
    }

    #[test]
    fn the_default_ssl_binding_answers_unknown_names_and_no_name() {
        let mut config = Config::default();
        let properties = HostnameConfigurationProperties {
            host_name: "api.example.com".to_owned(),
            certificate_id: None,
            negotiate_client_certificate: true,
            require_client_certificate: true,
            default_ssl_binding: true,
        };
        config
            .hostname_configurations
            .insert("api".into(), properties);
        let hostnames = Hostnames::build(&config).unwrap();

        assert_eq!(hostnames.resolve(None).mode, ClientCertificateMode::Require);
        let unknown = hostnames.resolve(Some("other.example.com"));
        assert_eq!(unknown.id.as_deref(), Some("api"));
    }

    #[test]
    fn a_certificate_without_its_key_cannot_be_served() {
        let mut config = Config::default();
        config.hostname_configurations.insert(
            "api".into(),
            HostnameConfigurationProperties {
                host_name: "api.example.com".to_owned(),
                certificate_id: Some("missing".into()),
                negotiate_client_certificate: true,
                require_client_certificate: false,
                default_ssl_binding: false,
            },
        );
        let error = Hostnames::build(&config).unwrap_err();
        assert!(error.to_string().contains("not uploaded"), "{error}");
    }

    #[test]
    fn the_host_is_read_without_its_port_from_host_or_authority() {
        assert_eq!(
            request_host(&parts("/", Some("Api.Example.com:8443"))),
            Some("Api.Example.com")
        );
        assert_eq!(
            request_host(&parts("https://[::1]:8443/x", None)),
            Some("::1")
        );
        assert_eq!(
            request_host(&parts("/", Some("127.0.0.1"))),
            Some("127.0.0.1")
        );
        assert_eq!(request_host(&parts("/", None)), None);
    }

    #[test]
    fn a_host_with_other_certificate_settings_than_the_connection_is_refused() {
        let hostnames = table(&[("secure.example.com", true, true)]);
        let request = parts("/", Some("secure.example.com"));

        let fronted = check_host(&hostnames, ClientCertificateMode::Request, &request);
        assert!(fronted.is_err());
        assert!(check_host(&hostnames, ClientCertificateMode::Require, &request).is_ok());
        let other = parts("/", Some("localhost"));
        assert!(check_host(&hostnames, ClientCertificateMode::Request, &other).is_ok());
    }
}
