//! Where Gatehouse keeps its configuration.
//!
//! The store is a durable map from resource path to JSON properties; it knows the model's
//! paths but none of the rules, which `gatehouse-model` enforces before anything is written.
//! Changes are applied in one transaction: a batch is written whole or not at all. The data
//! plane never reads the store; it serves from a snapshot built from [`Store::load`].

mod error;
mod sqlite;

use gatehouse_model::ResourcePath;
use serde_json::Value;

pub use error::StoreError;
pub use sqlite::SqliteStore;

/// One write in a batch.
#[derive(Clone, Debug)]
pub enum Change {
    /// Create or replace the resource at the path.
    Put(ResourcePath, Value),
    /// Remove the resource at the path (no error when it is absent).
    Delete(ResourcePath),
}

/// The configured back-end. An enum rather than a trait object: the set of back-ends is
/// closed and small, and async methods stay plain.
#[derive(Debug, Clone)]
pub enum Store {
    /// The embedded default: one SQLite file in the data directory.
    Sqlite(SqliteStore),
}

impl Store {
    /// Every stored resource, ordered by path.
    ///
    /// # Errors
    /// [`StoreError`] when the back-end cannot be read or a row is corrupt.
    pub async fn load(&self) -> Result<Vec<(ResourcePath, Value)>, StoreError> {
        match self {
            Self::Sqlite(store) => store.load().await,
        }
    }

    /// Applies a batch of changes atomically.
    ///
    /// # Errors
    /// [`StoreError`] when the back-end refuses the write; nothing of the batch is kept then.
    pub async fn apply(&self, changes: &[Change]) -> Result<(), StoreError> {
        match self {
            Self::Sqlite(store) => store.apply(changes).await,
        }
    }

    /// A short description for logs and the start-up banner (never includes credentials).
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(store) => format!("sqlite {}", store.path().display()),
        }
    }
}
