//! The data directory and first-start provisioning.
//!
//! A first start creates what a new user needs to make a call right away: a local CA and a
//! server certificate for localhost, an admin token, the Echo API, the `starter` and
//! `unlimited` products and a `demo` subscription that may trace. Later starts reuse all of
//! it; nothing is regenerated while its file exists.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use gatehouse_admin::{AdminToken, Control};
use gatehouse_cert::ca::LocalCa;
use gatehouse_model::{Resource, ResourcePath};
use serde_json::{Value, json};

/// The names of the local CA and the server certificate it issues.
const CA_NAME: &str = "Gatehouse Local CA";

/// The files under `--data-dir`.
#[derive(Debug, Clone)]
pub(crate) struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The data directory at `root` (not created yet).
    pub(crate) fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// The directory itself.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The SQLite store.
    pub(crate) fn database(&self) -> PathBuf {
        self.root.join("gatehouse.db")
    }

    /// Takes the directory for this process: an exclusive lock on `serve.lock`, held while the
    /// returned file is open (the system releases it when the process ends, however it ends).
    /// Two gateways on one embedded store would each keep their own copy of the configuration
    /// and answer with it, so the second is refused.
    ///
    /// # Errors
    /// When another process holds the lock, or the lock file cannot be opened.
    pub(crate) fn lock_for_serving(&self) -> Result<fs::File> {
        let path = self.root.join("serve.lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(fs::TryLockError::WouldBlock) => Err(anyhow!(
                "another gatehouse is already serving {}: stop it first, or give this one its own --data-dir",
                self.root.display()
            )),
            Err(fs::TryLockError::Error(error)) => {
                Err(error).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }

    /// The local CA's certificate, which clients trust to verify the gateway.
    pub(crate) fn ca_cert(&self) -> PathBuf {
        self.root.join("tls/ca.pem")
    }

    /// The local CA's private key.
    pub(crate) fn ca_key(&self) -> PathBuf {
        self.root.join("tls/ca-key.pem")
    }

    /// The listeners' certificate chain.
    pub(crate) fn server_cert(&self) -> PathBuf {
        self.root.join("tls/server.pem")
    }

    /// The listeners' private key.
    pub(crate) fn server_key(&self) -> PathBuf {
        self.root.join("tls/server-key.pem")
    }

    /// The key secrets are sealed with in the store, unless `--secrets-key-file` names
    /// another (see `secrets_key`).
    pub(crate) fn secrets_key(&self) -> PathBuf {
        self.root.join("secrets.key")
    }

    /// The admin token.
    pub(crate) fn admin_token(&self) -> PathBuf {
        self.root.join("admin-token")
    }

    /// Creates the data directory readable by its owner only: the database, the secrets key
    /// and the TLS keys live there, whatever the umask. An existing directory is left as the
    /// operator made it, with a warning when others may read it.
    fn create_private_root(&self) -> Result<()> {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};

        if let Ok(metadata) = fs::metadata(&self.root) {
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(
                    data_dir = %self.root.display(),
                    mode = format!("{mode:o}"),
                    "the data directory is open to other users; `chmod 700` it"
                );
            }
            return Ok(());
        }
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.root)
            .with_context(|| format!("cannot create {}", self.root.display()))
    }

    /// Marks that the default resources were created once; deleting them later is respected.
    fn provisioned_marker(&self) -> PathBuf {
        self.root.join(".provisioned")
    }

    /// Creates the directory, the CA, the server certificate and the admin token when missing.
    ///
    /// # Errors
    /// When a file cannot be read or written, or an existing CA is damaged.
    pub(crate) fn prepare(&self) -> Result<()> {
        self.create_private_root()?;
        fs::create_dir_all(self.root.join("tls"))
            .with_context(|| format!("cannot create {}", self.root.display()))?;
        let ca = self.local_ca_or_create()?;
        if !self.server_cert().exists() || !self.server_key().exists() {
            let issued =
                ca.issue_server(&["localhost"], &["127.0.0.1".parse()?, "::1".parse()?])?;
            write_file(
                &self.server_cert(),
                format!("{}{}", issued.cert_pem(), ca.cert_pem()).as_bytes(),
                false,
            )?;
            write_file(&self.server_key(), issued.key_pem().as_bytes(), true)?;
        }
        if !self.admin_token().exists() {
            write_file(
                &self.admin_token(),
                gatehouse_admin::generate_token().as_bytes(),
                true,
            )?;
        }
        Ok(())
    }

    /// The local CA, loaded from the data directory.
    ///
    /// # Errors
    /// When there is no CA yet or its files are damaged.
    pub(crate) fn local_ca(&self) -> Result<LocalCa> {
        let read = |path: PathBuf| {
            fs::read_to_string(&path).with_context(|| {
                format!("cannot read {}: run `gatehouse serve --data-dir {}` once to create the local CA", path.display(), self.root.display())
            })
        };
        let ca = LocalCa::from_pem(&read(self.ca_cert())?, &read(self.ca_key())?)
            .with_context(|| format!("the local CA in {} is damaged", self.root.display()))?;
        Ok(ca)
    }

    /// The admin token, refused when it is too short to be a secret: an emptied token file
    /// must stop the start, not open the management API.
    ///
    /// # Errors
    /// When the token file cannot be read or does not hold a usable token.
    pub(crate) fn read_token(&self) -> Result<AdminToken> {
        let path = self.admin_token();
        let text = fs::read_to_string(&path)
            .with_context(|| format!("cannot read the admin token {}", path.display()))?;
        AdminToken::parse(&text).map_err(|error| {
            anyhow!(
                "the admin token in {} cannot be used: {error}. Delete the file to have a new one made at the next start, or write a longer token into it",
                path.display()
            )
        })
    }

    fn local_ca_or_create(&self) -> Result<LocalCa> {
        if self.ca_cert().exists() {
            return self.local_ca();
        }
        let ca = LocalCa::generate(CA_NAME)?;
        write_file(&self.ca_key(), ca.key_pem().as_bytes(), true)?;
        write_file(&self.ca_cert(), ca.cert_pem().as_bytes(), false)?;
        Ok(ca)
    }
}

/// Writes a file atomically (temporary file, then rename), private when it holds a secret.
pub(crate) fn write_file(path: &Path, contents: &[u8], secret: bool) -> Result<()> {
    let temporary = path.with_extension("tmp");
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&temporary)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    fs::rename(&temporary, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Creates the default resources on the very first start: when this data directory has not
/// provisioned before and the store is empty (a node joining a cluster whose shared store
/// already holds a configuration leaves it alone).
///
/// # Errors
/// When the resources cannot be stored.
pub(crate) async fn first_start(data: &DataDir, control: &Control) -> Result<bool> {
    if data.provisioned_marker().exists() {
        return Ok(false);
    }
    let empty = control.read(|config| config.paths().is_empty()).await;
    if empty {
        let resources = default_resources()?;
        control
            .put(resources)
            .await
            .context("cannot create the default resources")?;
    }
    write_file(
        &data.provisioned_marker(),
        b"default resources created\n",
        false,
    )?;
    Ok(empty)
}

/// The Echo API, the built-in products and the demo subscription, as APIM ships them.
fn default_resources() -> Result<Vec<(ResourcePath, Resource)>> {
    let echo = json!({
        "displayName": "Echo API",
        "path": "echo",
        "serviceUrl": "gatehouse://echo",
        "protocols": ["https"],
        "subscriptionRequired": true,
        "apiRevision": "1",
    });
    let mut resources: Vec<(String, Value)> = vec![("apis/echo-api".to_owned(), echo)];
    for (id, name, method) in [
        ("retrieve-resource", "Retrieve resource", "GET"),
        ("create-resource", "Create resource", "POST"),
        ("modify-resource", "Modify Resource", "PUT"),
        ("remove-resource", "Remove resource", "DELETE"),
        ("retrieve-header-only", "Retrieve header only", "HEAD"),
    ] {
        let operation =
            json!({ "displayName": name, "method": method, "urlTemplate": "/resource" });
        resources.push((format!("apis/echo-api/operations/{id}"), operation));
    }
    for (id, name, description) in [
        (
            "starter",
            "Starter",
            "Subscribers can run 5 calls per minute up to a maximum of 100 calls per week.",
        ),
        (
            "unlimited",
            "Unlimited",
            "Subscribers have completely unlimited access to the API.",
        ),
    ] {
        let product = json!({ "displayName": name, "description": description, "state": "published", "subscriptionRequired": true });
        resources.push((format!("products/{id}"), product));
        resources.push((format!("products/{id}/apis/echo-api"), json!({})));
    }
    let demo = json!({
        "scope": "/products/starter",
        "displayName": "Demo",
        "state": "active",
        "allowTracing": true,
        "primaryKey": gatehouse_admin::generate_key(),
        "secondaryKey": gatehouse_admin::generate_key(),
    });
    resources.push(("subscriptions/demo".to_owned(), demo));
    resources
        .into_iter()
        .map(|(path, body)| parse(&path, body))
        .collect()
}

fn parse(path: &str, body: Value) -> Result<(ResourcePath, Resource)> {
    let path: ResourcePath = path.parse()?;
    let resource = Resource::parse(&path, body)?;
    Ok((path, resource))
}
