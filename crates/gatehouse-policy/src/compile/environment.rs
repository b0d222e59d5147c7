//! What a policy may refer to outside its own text: named values, policy fragments, backends
//! and uploaded certificates.
//!
//! APIM resolves these references when a policy is saved, and so does Gatehouse: a
//! `{{name}}` that is not defined, an `include-fragment` of a missing fragment or a
//! `backend-id` of a missing backend is a compile error, not a run-time surprise. The gateway
//! builds one environment per configuration snapshot.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use gatehouse_cert::Certificate;

use crate::runtime::{BackendTls, ClientIdentity, Url};

/// One named value, as `{{name}}` references see it.
#[derive(Clone)]
pub struct NamedValue {
    /// The text substituted for the reference.
    pub value: Arc<str>,
    /// Whether the value is a secret: it never appears in traces or error messages.
    pub secret: bool,
}

impl fmt::Debug for NamedValue {
    /// Secret values stay out of `{:?}` output too.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = if self.secret { "********" } else { &self.value };
        f.debug_struct("NamedValue")
            .field("value", &value)
            .field("secret", &self.secret)
            .finish()
    }
}

/// A backend entity (`backends/{id}`), as `set-backend-service backend-id` uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendEntity {
    /// The backend's base URL.
    pub url: Url,
    /// How its TLS certificate is checked.
    pub tls: BackendTls,
}

/// The resources policies refer to. Cheap to clone: the maps are shared.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    named_values: Arc<HashMap<String, NamedValue>>,
    fragments: Arc<HashMap<String, Arc<str>>>,
    backends: Arc<HashMap<String, BackendEntity>>,
    certificates: Arc<HashMap<String, Certificate>>,
    identities: Arc<HashMap<String, Arc<ClientIdentity>>>,
}

impl Environment {
    /// An environment with nothing defined: every reference is an error.
    pub fn new() -> Self {
        Self::default()
    }

    /// Defines the named value `{{name}}` (APIM references named values by display name).
    pub fn with_named_value(mut self, name: &str, value: &str, secret: bool) -> Self {
        let named = NamedValue {
            value: value.into(),
            secret,
        };
        Arc::make_mut(&mut self.named_values).insert(name.to_owned(), named);
        self
    }

    /// Defines the policy fragment `id` with its document text (`<fragment>...</fragment>`).
    pub fn with_fragment(mut self, id: &str, source: &str) -> Self {
        Arc::make_mut(&mut self.fragments).insert(id.to_owned(), source.into());
        self
    }

    /// Defines the backend entity `id`, whose TLS certificate is checked in full.
    pub fn with_backend(self, id: &str, url: Url) -> Self {
        self.with_backend_entity(id, url, BackendTls::default())
    }

    /// Defines the backend entity `id` with its TLS settings.
    pub fn with_backend_entity(mut self, id: &str, url: Url, tls: BackendTls) -> Self {
        Arc::make_mut(&mut self.backends).insert(id.to_owned(), BackendEntity { url, tls });
        self
    }

    /// Defines the uploaded certificate `id` (for `validate-jwt` keys given by certificate).
    pub fn with_certificate(mut self, id: &str, certificate: Certificate) -> Self {
        Arc::make_mut(&mut self.certificates).insert(id.to_owned(), certificate);
        self
    }

    /// Defines the private key of uploaded certificate `id`, for `authentication-certificate`.
    pub fn with_client_identity(mut self, id: &str, identity: ClientIdentity) -> Self {
        Arc::make_mut(&mut self.identities).insert(id.to_owned(), Arc::new(identity));
        self
    }

    /// The certificate `id` with its private key, if it has one.
    pub fn client_identity(&self, id: &str) -> Option<&Arc<ClientIdentity>> {
        self.identities.get(id)
    }

    /// Every certificate with a private key, by id.
    pub fn client_identities(&self) -> &Arc<HashMap<String, Arc<ClientIdentity>>> {
        &self.identities
    }

    /// The named value `name`, if defined.
    pub fn named_value(&self, name: &str) -> Option<&NamedValue> {
        self.named_values.get(name)
    }

    /// The text of fragment `id`, if defined.
    pub fn fragment(&self, id: &str) -> Option<&Arc<str>> {
        self.fragments.get(id)
    }

    /// The backend entity `id`, if defined.
    pub fn backend(&self, id: &str) -> Option<&BackendEntity> {
        self.backends.get(id)
    }

    /// Every backend entity, for `backend-id` values computed per request.
    pub fn backends(&self) -> &Arc<HashMap<String, BackendEntity>> {
        &self.backends
    }

    /// The uploaded certificate `id`, if defined.
    pub fn certificate(&self, id: &str) -> Option<&Certificate> {
        self.certificates.get(id)
    }
}
