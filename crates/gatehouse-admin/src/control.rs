//! Applying configuration changes: check everything, store, then publish.

use std::sync::Arc;

use gatehouse_gateway::{Gateway, Snapshot, SnapshotError};
use gatehouse_model::{Config, ModelError, Resource, ResourceKind, ResourcePath};
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
    /// Other nodes kept changing the configuration while this change was being checked.
    #[error("the configuration is changing too often to apply this change; try again")]
    Busy,
}

/// How often a write is retried after another node changed the configuration first.
const MAX_ATTEMPTS: usize = 5;

/// The one place configuration changes go through.
///
/// Changes are serialised by a lock and checked against the configuration as the previous
/// change left it. With a shared store the check also covers other nodes' writes: a write is
/// stored only if the store's generation is still the one it was checked against, otherwise
/// the configuration is reloaded and the change checked again.
#[derive(Debug)]
pub struct Control {
    store: Store,
    state: Mutex<State>,
    gateway: Arc<Gateway>,
}

/// The configuration and the store generation it was loaded or written at.
#[derive(Debug)]
struct State {
    config: Config,
    generation: u64,
}

impl Control {
    /// Loads the stored configuration, builds its snapshot and publishes it.
    ///
    /// # Errors
    /// When the store cannot be read or holds a configuration that cannot be served.
    pub async fn load(store: Store, gateway: Arc<Gateway>) -> Result<Self, ControlError> {
        let loaded = store.load().await?;
        let config = Config::from_documents(loaded.documents)?;
        gateway.publish(Snapshot::build(&config)?);
        crate::trust_resources::log_expiry(&config);
        let state = State {
            config,
            generation: loaded.generation,
        };
        Ok(Self {
            store,
            state: Mutex::new(state),
            gateway,
        })
    }

    /// The gateway this control publishes to: the console reads its recent requests.
    pub fn gateway(&self) -> &Arc<Gateway> {
        &self.gateway
    }

    /// Runs `read` on the current configuration.
    pub async fn read<T>(&self, read: impl FnOnce(&Config) -> T) -> T {
        read(&self.state.lock().await.config)
    }

    /// Creates or replaces resources, all or nothing. Returns whether the first was new.
    ///
    /// # Errors
    /// [`ControlError`] naming the first problem; nothing is changed then.
    pub async fn put(
        &self,
        resources: Vec<(ResourcePath, Resource)>,
    ) -> Result<bool, ControlError> {
        let edit = |config: &mut Config| {
            let created = resources
                .first()
                .is_some_and(|(path, _)| !config.contains(path));
            for (path, resource) in &resources {
                config.set(path, resource.clone())?;
            }
            let changes = resources
                .iter()
                .map(|(path, _)| Change::Put(path.clone(), config.get(path).unwrap_or(Value::Null)))
                .collect();
            Ok((changes, created))
        };
        let created = self.change(edit).await?;
        log_changes("put", resources.iter().map(|(p, _)| p));
        Ok(created)
    }

    /// Deletes the resource at `path` and what belongs to it. Returns what was removed.
    ///
    /// # Errors
    /// [`ControlError`] when something else still refers to it; nothing is changed then.
    pub async fn delete(&self, path: &ResourcePath) -> Result<Vec<ResourcePath>, ControlError> {
        let edit = |config: &mut Config| {
            let removed = config.remove(path)?;
            Ok((
                removed.iter().cloned().map(Change::Delete).collect(),
                removed,
            ))
        };
        let removed = self.change(edit).await?;
        log_changes("delete", removed.iter());
        Ok(removed)
    }

    /// Reloads the configuration from the store when another node changed it, and publishes
    /// it. A configuration this node cannot serve is logged and the current one kept.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub async fn reload(&self) -> Result<(), ControlError> {
        let mut state = self.state.lock().await;
        self.reload_locked(&mut state).await
    }

    /// Follows other nodes' writes for as long as the process runs (shared stores only).
    pub fn follow_changes(self: &Arc<Self>) {
        let control = Arc::clone(self);
        tokio::spawn(async move { control.follow().await });
    }

    /// Logs the certificates needing attention once a day, so a gateway nobody reconfigures
    /// still warns before a certificate expires (start and changes log them too).
    pub fn warn_of_expiry_daily(self: &Arc<Self>) {
        let control = Arc::clone(self);
        tokio::spawn(async move {
            let mut daily = tokio::time::interval(EXPIRY_CHECK);
            daily.tick().await;
            loop {
                daily.tick().await;
                control.read(crate::trust_resources::log_expiry).await;
            }
        });
    }

    async fn follow(&self) {
        loop {
            let mut feed = match self.store.changes().await {
                Ok(Some(feed)) => feed,
                Ok(None) => return,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for configuration changes; retrying");
                    tokio::time::sleep(FEED_RETRY).await;
                    continue;
                }
            };
            while feed.next().await.is_ok() {
                if let Err(error) = self.reload().await {
                    tracing::warn!(%error, "cannot reload the configuration");
                }
            }
            tokio::time::sleep(FEED_RETRY).await;
        }
    }

    /// Checks `edit` on a copy of the configuration, stores its changes and publishes the
    /// result; on a write conflict with another node, reloads and checks again.
    async fn change<T>(
        &self,
        edit: impl Fn(&mut Config) -> Result<(Vec<Change>, T), ControlError>,
    ) -> Result<T, ControlError> {
        let mut state = self.state.lock().await;
        for _ in 0..MAX_ATTEMPTS {
            let mut candidate = state.config.clone();
            let (changes, result) = edit(&mut candidate)?;
            if changes.is_empty() {
                return Ok(result);
            }
            let snapshot = Snapshot::build(&candidate)?;
            match self.store.apply(&changes, state.generation).await {
                Ok(generation) => {
                    self.gateway.publish(snapshot);
                    if touches_certificates(&changes) {
                        crate::trust_resources::log_expiry(&candidate);
                    }
                    *state = State {
                        config: candidate,
                        generation,
                    };
                    return Ok(result);
                }
                Err(StoreError::Stale { .. }) => self.reload_locked(&mut state).await?,
                Err(error) => return Err(error.into()),
            }
        }
        Err(ControlError::Busy)
    }

    async fn reload_locked(&self, state: &mut State) -> Result<(), ControlError> {
        let loaded = self.store.load().await?;
        if loaded.generation == state.generation {
            return Ok(());
        }
        let config = Config::from_documents(loaded.documents)?;
        match Snapshot::build(&config) {
            Ok(snapshot) => {
                self.gateway.publish(snapshot);
                crate::trust_resources::log_expiry(&config);
            }
            Err(error) => {
                tracing::error!(%error, "the stored configuration cannot be served; keeping the current one")
            }
        }
        tracing::info!(generation = loaded.generation, "configuration reloaded");
        *state = State {
            config,
            generation: loaded.generation,
        };
        Ok(())
    }
}

/// How often certificates needing attention are logged without a configuration change.
const EXPIRY_CHECK: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// How long to wait before listening again after the change feed broke.
const FEED_RETRY: std::time::Duration = std::time::Duration::from_secs(2);

fn log_changes<'p>(action: &'static str, paths: impl Iterator<Item = &'p ResourcePath>) {
    for path in paths {
        tracing::info!(action, resource = %path, "configuration changed");
    }
}

/// Whether a change adds, replaces or removes a certificate or a CA entry: only then can the
/// expiry warnings differ from the ones already logged.
fn touches_certificates(changes: &[Change]) -> bool {
    changes.iter().any(|change| {
        let path = match change {
            Change::Put(path, _) | Change::Delete(path) => path,
        };
        matches!(
            path.kind(),
            ResourceKind::Certificate | ResourceKind::CertificateAuthority
        )
    })
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn put(path: &str) -> Change {
        Change::Put(ResourcePath::from_str(path).unwrap(), Value::Null)
    }

    #[test]
    fn only_certificate_and_ca_changes_log_expiry_again() {
        assert!(touches_certificates(&[put("certificates/client-a")]));
        assert!(touches_certificates(&[
            put("apis/echo-api"),
            Change::Delete(ResourcePath::from_str("certificateAuthorities/root").unwrap()),
        ]));
        assert!(!touches_certificates(&[
            put("apis/echo-api"),
            put("namedValues/x")
        ]));
    }
}
