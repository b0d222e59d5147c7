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

mod error;
mod postgres;
mod sqlite;

use gatehouse_model::ResourcePath;
use serde_json::Value;

pub use error::StoreError;
pub use postgres::{ChangeFeed, PostgresStore};
pub use sqlite::SqliteStore;

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
pub enum Store {
    /// The embedded default: one SQLite file in the data directory.
    Sqlite(SqliteStore),
    /// A PostgreSQL database shared by the nodes of a cluster.
    Postgres(PostgresStore),
}

impl Store {
    /// Every stored resource, ordered by path, with the current generation.
    ///
    /// # Errors
    /// [`StoreError`] when the back-end cannot be read or a row is corrupt.
    pub async fn load(&self) -> Result<Loaded, StoreError> {
        match self {
            Self::Sqlite(store) => store.load().await,
            Self::Postgres(store) => store.load().await,
        }
    }

    /// Applies a batch of changes atomically if the stored generation is still `expected`,
    /// and returns the new generation.
    ///
    /// # Errors
    /// [`StoreError::Stale`] when another write came first; other [`StoreError`]s when the
    /// back-end refuses the write. Nothing of the batch is kept then.
    pub async fn apply(&self, changes: &[Change], expected: u64) -> Result<u64, StoreError> {
        match self {
            Self::Sqlite(store) => store.apply(changes, expected).await,
            Self::Postgres(store) => store.apply(changes, expected).await,
        }
    }

    /// A feed of other writers' changes, for back-ends shared between nodes.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the feed cannot be opened.
    pub async fn changes(&self) -> Result<Option<ChangeFeed>, StoreError> {
        match self {
            Self::Sqlite(_) => Ok(None),
            Self::Postgres(store) => store.changes().await.map(Some),
        }
    }

    /// A short description for logs and the start-up banner (never includes credentials).
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(store) => format!("sqlite {}", store.path().display()),
            Self::Postgres(store) => store.describe(),
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
