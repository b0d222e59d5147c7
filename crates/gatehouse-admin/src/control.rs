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
    /// The thread checking the change stopped before it finished (a bug; nothing changed).
    #[error("checking the change failed unexpectedly: {0}")]
    Interrupted(String),
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

/// The configuration and the store generation it was loaded or written at. The configuration
/// is shared so a change can be checked on a blocking thread without copying it first.
#[derive(Debug)]
struct State {
    config: Arc<Config>,
    generation: u64,
}

/// What an edit of a configuration made: the changes to store, and its result.
type Edited<T> = Result<(Vec<Change>, T), ControlError>;

/// A change checked against a copy of the configuration, ready to store and publish.
struct Checked<T> {
    candidate: Config,
    changes: Vec<Change>,
    result: T,
    /// `None` when the edit changed nothing.
    snapshot: Option<Snapshot>,
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
            config: Arc::new(config),
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
        let paths: Vec<ResourcePath> = resources.iter().map(|(path, _)| path.clone()).collect();
        let edit = move |config: &mut Config| {
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
        log_changes("put", paths.iter());
        Ok(created)
    }

    /// Deletes the resource at `path` and what belongs to it. Returns what was removed.
    ///
    /// # Errors
    /// [`ControlError`] when something else still refers to it; nothing is changed then.
    pub async fn delete(&self, path: &ResourcePath) -> Result<Vec<ResourcePath>, ControlError> {
        let path = path.clone();
        let edit = move |config: &mut Config| {
            let removed = config.remove(&path)?;
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
    ///
    /// Copying the configuration and building its snapshot take seconds with a million
    /// subscriptions, so they run on a blocking thread: on the request runtime they would
    /// hold up every request meanwhile (all of them with `--worker-threads 1`).
    async fn change<T, E>(&self, edit: E) -> Result<T, ControlError>
    where
        T: Send + 'static,
        E: Fn(&mut Config) -> Edited<T> + Send + Sync + 'static,
    {
        let edit = Arc::new(edit);
        let mut state = self.state.lock().await;
        for _ in 0..MAX_ATTEMPTS {
            let (base, edit) = (Arc::clone(&state.config), Arc::clone(&edit));
            let checked = off_runtime(move || check(&base, &*edit)).await??;
            let Some(snapshot) = checked.snapshot else {
                return Ok(checked.result);
            };
            match self.store.apply(&checked.changes, state.generation).await {
                Ok(generation) => {
                    let previous = self.gateway.publish(snapshot);
                    if touches_certificates(&checked.changes) {
                        crate::trust_resources::log_expiry(&checked.candidate);
                    }
                    let replaced = std::mem::replace(
                        &mut *state,
                        State {
                            config: Arc::new(checked.candidate),
                            generation,
                        },
                    );
                    drop_off_runtime((previous, replaced));
                    return Ok(checked.result);
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
        let documents = loaded.documents;
        let (config, built) = off_runtime(move || {
            let config = Config::from_documents(documents)?;
            let built = Snapshot::build(&config);
            Ok::<_, ControlError>((config, built))
        })
        .await??;
        match built {
            Ok(snapshot) => {
                drop_off_runtime(self.gateway.publish(snapshot));
                crate::trust_resources::log_expiry(&config);
            }
            Err(error) => {
                tracing::error!(%error, "the stored configuration cannot be served; keeping the current one")
            }
        }
        tracing::info!(generation = loaded.generation, "configuration reloaded");
        let replaced = std::mem::replace(
            state,
            State {
                config: Arc::new(config),
                generation: loaded.generation,
            },
        );
        drop_off_runtime(replaced);
        Ok(())
    }
}

/// Applies `edit` to a copy of `base` and, when it changed something, builds the snapshot
/// of the result.
fn check<T>(
    base: &Config,
    edit: &dyn Fn(&mut Config) -> Edited<T>,
) -> Result<Checked<T>, ControlError> {
    let mut candidate = base.clone();
    let (changes, result) = edit(&mut candidate)?;
    let snapshot = if changes.is_empty() {
        None
    } else {
        Some(Snapshot::build(&candidate)?)
    };
    Ok(Checked {
        candidate,
        changes,
        result,
        snapshot,
    })
}

/// Drops what a change replaced (a snapshot, a configuration) on a blocking thread: freeing
/// a million entries takes long enough to hold up requests.
fn drop_off_runtime<T: Send + 'static>(replaced: T) {
    drop(tokio::task::spawn_blocking(move || drop(replaced)));
}

/// Runs `work` on tokio's blocking threads, so the request runtime goes on meanwhile.
async fn off_runtime<R: Send + 'static>(
    work: impl FnOnce() -> R + Send + 'static,
) -> Result<R, ControlError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ControlError::Interrupted(e.to_string()))
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
