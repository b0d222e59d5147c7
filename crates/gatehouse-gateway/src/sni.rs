//! The gateway listener's TLS settings, chosen per connection from the ClientHello's server
//! name and the current snapshot's hostname configurations.
//!
//! rustls decides whether to ask for a client certificate per `ServerConfig`, not per
//! server name, so each combination of served certificate and client-certificate mode gets
//! its own configuration, built on first use and kept while it is in use. Each has its own
//! session cache: a session resumed under another configuration would skip that
//! configuration's certificate requirement (rustls does not re-check it on resumption).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::NoServerSessionStorage;
use rustls::sign::{CertifiedKey, SingleCertAndKey};

use crate::GatewayError;
use crate::hostnames::{ClientCertificateMode, Site};
use crate::tls::{ALPN, AnyClientCertificate};

/// How many configurations are kept before the cache starts over (each is a served
/// certificate and a mode; a handful in practice).
const MAX_CONFIGS: usize = 64;

/// Which configuration: the served certificate's thumbprint (`None`: the listener's own)
/// and the mode.
type ConfigKey = (Option<Arc<str>>, ClientCertificateMode);

/// The gateway listener's TLS: its own certificate and the configurations made so far.
#[derive(Debug)]
pub struct GatewayTls {
    own: Arc<CertifiedKey>,
    resumption: bool,
    provider: Arc<CryptoProvider>,
    configs: Mutex<HashMap<ConfigKey, Arc<ServerConfig>>>,
}

impl GatewayTls {
    /// The listener's own certificate and key from PEM files: what connections get when no
    /// hostname configuration names another certificate.
    ///
    /// # Errors
    /// [`GatewayError::Tls`] when the files cannot be read or do not fit together.
    pub fn from_pem_files(cert_pem: &Path, key_pem: &Path) -> Result<Self, GatewayError> {
        let tls = |reason: String| GatewayError::Tls(reason);
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_pem)
            .and_then(|certs| certs.collect())
            .map_err(|e| tls(format!("{}: {e}", cert_pem.display())))?;
        let key = PrivateKeyDer::from_pem_file(key_pem)
            .map_err(|e| tls(format!("{}: {e}", key_pem.display())))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let own = CertifiedKey::from_der(chain, key, &provider)
            .map_err(|e| tls(format!("server certificate and key do not fit: {e}")))?;
        Ok(Self {
            own: Arc::new(own),
            resumption: true,
            provider,
            configs: Mutex::default(),
        })
    }

    /// No session cache and no tickets, so every connection costs a full handshake (for
    /// handshake benchmarks).
    pub fn without_resumption(mut self) -> Self {
        self.resumption = false;
        self
    }

    /// The configuration for connections to `site`.
    ///
    /// # Errors
    /// [`GatewayError::Tls`] when rustls refuses the combination (it does not in practice).
    pub fn config_for(&self, site: &Site) -> Result<Arc<ServerConfig>, GatewayError> {
        let thumbprint = site.certificate.as_ref().map(|(t, _)| t.clone());
        let key: ConfigKey = (thumbprint, site.mode);
        let mut configs = self.configs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(config) = configs.get(&key) {
            return Ok(config.clone());
        }
        let served = site.certificate.as_ref().map_or(&self.own, |(_, k)| k);
        let config = Arc::new(self.build(served.clone(), site.mode)?);
        if configs.len() >= MAX_CONFIGS {
            configs.clear();
        }
        configs.insert(key, config.clone());
        Ok(config)
    }

    fn build(
        &self,
        served: Arc<CertifiedKey>,
        mode: ClientCertificateMode,
    ) -> Result<ServerConfig, GatewayError> {
        let builder = ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| GatewayError::Tls(e.to_string()))?;
        let builder = match mode {
            ClientCertificateMode::Off => builder.with_no_client_auth(),
            ClientCertificateMode::Request => builder
                .with_client_cert_verifier(Arc::new(AnyClientCertificate::new(&self.provider))),
            ClientCertificateMode::Require => builder.with_client_cert_verifier(Arc::new(
                AnyClientCertificate::new(&self.provider).mandatory(),
            )),
        };
        let mut config = builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(served)));
        config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
        if !self.resumption {
            config.session_storage = Arc::new(NoServerSessionStorage {});
            config.send_tls13_tickets = 0;
        }
        Ok(config)
    }
}
