//! Where Gatehouse keeps its configuration.
//!
//! The store is a durable map from resource path to JSON properties; it knows the model's
//! paths but none of the rules, which `gatehouse-model` enforces before anything is written.
//! Changes are applied in one transaction: a batch is written whole or not at all.
//!
//! Every write bumps a **generation**. A writer names the generation it checked its change
//! against; when another writer got there first the write is refused ([`StoreError::Stale`]),
//! so the writer reloads and checks again. With several gateway nodes on one PostgreSQL
//! database, this keeps every stored configuration one that some node checked in full, and
//! [`Store::changes`] tells the other nodes to reload. The data plane never reads the store;
//! it serves from a snapshot built from [`Store::load`].
//!
//! Secrets (private keys, secret named values, subscription keys) are **sealed** with the
//! [`SecretsKey`] on their way to the database and opened on their way out ([`seal`]), so a
//! copy of the database alone gives none of them away. Above the store everything is plain.

mod error;
mod postgres;
pub mod seal;
mod secrets;
mod sqlite;

use std::sync::Arc;

use gatehouse_model::ResourcePath;
use serde_json::Value;

pub use error::StoreError;
pub use postgres::{ChangeFeed, PostgresStore};
pub use seal::{SealError, SecretsKey};
pub use sqlite::SqliteStore;

/// How often opening retries sealing old clear secrets when other nodes write meanwhile.
const SEAL_ATTEMPTS: usize = 5;

/// One write in a batch.
#[derive(Clone, Debug)]
pub enum Change {
    /// Create or replace the resource at the path.
    Put(ResourcePath, Value),
    /// Remove the resource at the path (no error when it is absent).
    Delete(ResourcePath),
}

/// Everything stored, and the generation it belongs to.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// Every resource, ordered by path.
    pub documents: Vec<(ResourcePath, Value)>,
    /// The generation of this configuration.
    pub generation: u64,
}

/// The configured back-end. An enum rather than a trait object: the set of back-ends is
/// closed and small, and async methods stay plain.
#[derive(Debug, Clone)]
pub enum Database {
    /// The embedded default: one SQLite file in the data directory.
    Sqlite(SqliteStore),
    /// A PostgreSQL database shared by the nodes of a cluster.
    Postgres(PostgresStore),
}

/// A back-end with the key its secrets are sealed with: the only way to the database, so
/// nothing writes a secret in the clear or reads one still sealed.
#[derive(Debug, Clone)]
pub struct Store {
    database: Database,
    key: Arc<SecretsKey>,
}

impl Store {
    /// Opens `database` with `key`: checks that every stored secret opens with it, and seals
    /// the secrets stored in the clear before sealing existed (one rewrite, logged with a
    /// count, after which the SQLite file is compacted so the clear text leaves it too).
    ///
    /// # Errors
    /// [`StoreError::Unseal`] naming the resource when a stored secret does not open with
    /// `key`; nothing is changed then. Other [`StoreError`]s when the database fails.
    pub async fn open(database: Database, key: SecretsKey) -> Result<Self, StoreError> {
        let store = Self {
            database,
            key: Arc::new(key),
        };
        store.seal_clear_secrets().await?;
        Ok(store)
    }

    /// Every stored resource, ordered by path, with the current generation; secrets opened.
    ///
    /// # Errors
    /// [`StoreError`] when the back-end cannot be read, a row is corrupt or a secret does not
    /// open.
    pub async fn load(&self) -> Result<Loaded, StoreError> {
        let (loaded, _rewrites) = self.load_and_find_clear().await?;
        Ok(loaded)
    }

    /// Applies a batch of changes atomically if the stored generation is still `expected`,
    /// and returns the new generation. Secrets are sealed before they are written.
    ///
    /// # Errors
    /// [`StoreError::Stale`] when another write came first; other [`StoreError`]s when the
    /// back-end refuses the write. Nothing of the batch is kept then.
    pub async fn apply(&self, changes: &[Change], expected: u64) -> Result<u64, StoreError> {
        let sealed = changes
            .iter()
            .map(|change| self.seal_change(change))
            .collect::<Result<Vec<_>, _>>()?;
        match &self.database {
            Database::Sqlite(store) => store.apply(&sealed, expected).await,
            Database::Postgres(store) => store.apply(&sealed, expected).await,
        }
    }

    /// A feed of other writers' changes, for back-ends shared between nodes.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the feed cannot be opened.
    pub async fn changes(&self) -> Result<Option<ChangeFeed>, StoreError> {
        match &self.database {
            Database::Sqlite(_) => Ok(None),
            Database::Postgres(store) => store.changes().await.map(Some),
        }
    }

    /// A short description for logs and the start-up banner (never includes credentials).
    pub fn describe(&self) -> String {
        match &self.database {
            Database::Sqlite(store) => format!("sqlite {}", store.path().display()),
            Database::Postgres(store) => store.describe(),
        }
    }

    /// Loads every row and opens its secrets; also returns, as rewrites, the resources whose
    /// secrets were still stored in the clear.
    async fn load_and_find_clear(&self) -> Result<(Loaded, Vec<Change>), StoreError> {
        let mut loaded = match &self.database {
            Database::Sqlite(store) => store.load().await?,
            Database::Postgres(store) => store.load().await?,
        };
        let mut rewrites = Vec::new();
        for (path, properties) in &mut loaded.documents {
            if secrets::open_document(&self.key, path, properties)? {
                rewrites.push(Change::Put(path.clone(), properties.clone()));
            }
        }
        Ok((loaded, rewrites))
    }

    fn seal_change(&self, change: &Change) -> Result<Change, StoreError> {
        Ok(match change {
            Change::Put(path, properties) => Change::Put(
                path.clone(),
                secrets::seal_document(&self.key, path, properties)?,
            ),
            Change::Delete(path) => Change::Delete(path.clone()),
        })
    }

    /// Rewrites, sealed, the resources whose secrets a version before sealing stored in the
    /// clear. Every stored secret is opened first, so a wrong key fails before anything is
    /// written. Another node doing the same at the same time makes this one's write stale;
    /// it then reloads and finds less (or nothing) to do.
    async fn seal_clear_secrets(&self) -> Result<(), StoreError> {
        for _ in 0..SEAL_ATTEMPTS {
            let (loaded, rewrites) = self.load_and_find_clear().await?;
            if rewrites.is_empty() {
                return Ok(());
            }
            match self.apply(&rewrites, loaded.generation).await {
                Ok(generation) => {
                    tracing::info!(
                        resources = rewrites.len(),
                        generation,
                        store = %self.describe(),
                        "sealed secrets stored in the clear by an earlier version"
                    );
                    self.compact().await;
                    return Ok(());
                }
                Err(StoreError::Stale { .. }) => continue,
                Err(error) => return Err(error),
            }
        }
        tracing::warn!(
            "other nodes kept writing while clear secrets were being sealed; the next start seals the rest"
        );
        Ok(())
    }

    /// Removes the clear text that rewritten rows leave behind in the database files, where
    /// the back-end allows it (see [`SqliteStore::compact`]).
    async fn compact(&self) {
        if let Database::Sqlite(store) = &self.database
            && let Err(error) = store.compact().await
        {
            tracing::warn!(%error, store = %self.describe(), "cannot compact the database after sealing; old clear values may linger in free pages until it is vacuumed");
        }
    }
}

impl Loaded {
    /// Decodes stored `(path, JSON)` rows read at `generation`, naming a damaged row.
    fn decode(rows: Vec<(String, String)>, generation: i64) -> Result<Self, StoreError> {
        let documents = rows
            .into_iter()
            .map(|(path, json)| decode_row(path, &json))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            documents,
            generation: generation_from(generation),
        })
    }
}

/// Decodes one stored row, naming the row when it is damaged.
fn decode_row(path: String, json: &str) -> Result<(ResourcePath, Value), StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        path: path.clone(),
        reason,
    };
    let parsed: ResourcePath = path
        .parse()
        .map_err(|e: gatehouse_model::ModelError| corrupt(e.to_string()))?;
    let properties = serde_json::from_str(json).map_err(|e| corrupt(e.to_string()))?;
    Ok((parsed, properties))
}

/// A generation as the databases store it (a signed 64-bit integer).
fn generation_from(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}
