//! Applying configuration changes: check everything, store, then publish.

use std::sync::Arc;

use gatehouse_gateway::{Gateway, Snapshot, SnapshotError};
use gatehouse_model::{Config, ModelError, Resource, ResourcePath};
use gatehouse_store::{Change, Store, StoreError};
use serde_json::Value;
use thiserror::Error;
use tokio::sync::Mutex;

/// Why a change was not applied. In every case the configuration is unchanged.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ControlError {
    /// The change breaks a model rule (bad value, dangling reference, conflict).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The resulting configuration cannot be served (a policy does not compile, ...).
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// The store did not take the change.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The one place configuration changes go through.
///
/// Changes are serialised by a lock: each is checked against the configuration as the
/// previous change left it, so two concurrent writes can never produce a combination that
/// was not checked.
#[derive(Debug)]
pub struct Control {
    store: Store,
    config: Mutex<Config>,
    gateway: Arc<Gateway>,
}

impl Control {
    /// Loads the stored configuration, builds its snapshot and publishes it.
    ///
    /// # Errors
    /// When the store cannot be read or holds a configuration that cannot be served.
    pub async fn load(store: Store, gateway: Arc<Gateway>) -> Result<Self, ControlError> {
        let config = Config::from_documents(store.load().await?)?;
        gateway.publish(Snapshot::build(&config)?);
        Ok(Self {
            store,
            config: Mutex::new(config),
            gateway,
        })
    }

    /// Runs `read` on the current configuration.
    pub async fn read<T>(&self, read: impl FnOnce(&Config) -> T) -> T {
        read(&*self.config.lock().await)
    }

    /// Creates or replaces resources, all or nothing. Returns whether the first was new.
    ///
    /// # Errors
    /// [`ControlError`] naming the first problem; nothing is changed then.
    pub async fn put(
        &self,
        resources: Vec<(ResourcePath, Resource)>,
    ) -> Result<bool, ControlError> {
        let mut config = self.config.lock().await;
        let created = resources
            .first()
            .is_some_and(|(path, _)| !config.contains(path));

        let mut candidate = config.clone();
        for (path, resource) in &resources {
            candidate.set(path, resource.clone())?;
        }
        let snapshot = Snapshot::build(&candidate)?;
        let changes: Vec<Change> = resources
            .iter()
            .map(|(path, _)| Change::Put(path.clone(), candidate.get(path).unwrap_or(Value::Null)))
            .collect();
        self.store.apply(&changes).await?;

        *config = candidate;
        self.gateway.publish(snapshot);
        log_changes("put", resources.iter().map(|(p, _)| p));
        Ok(created)
    }

    /// Deletes the resource at `path` and what belongs to it. Returns what was removed.
    ///
    /// # Errors
    /// [`ControlError`] when something else still refers to it; nothing is changed then.
    pub async fn delete(&self, path: &ResourcePath) -> Result<Vec<ResourcePath>, ControlError> {
        let mut config = self.config.lock().await;
        let mut candidate = config.clone();
        let removed = candidate.remove(path)?;
        if removed.is_empty() {
            return Ok(removed);
        }
        let snapshot = Snapshot::build(&candidate)?;
        let changes: Vec<Change> = removed.iter().cloned().map(Change::Delete).collect();
        self.store.apply(&changes).await?;

        *config = candidate;
        self.gateway.publish(snapshot);
        log_changes("delete", removed.iter());
        Ok(removed)
    }
}

fn log_changes<'p>(action: &'static str, paths: impl Iterator<Item = &'p ResourcePath>) {
    for path in paths {
        tracing::info!(action, resource = %path, "configuration changed");
    }
}
