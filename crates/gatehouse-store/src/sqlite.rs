//! The embedded back-end: one SQLite database file.

use std::path::{Path, PathBuf};

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::{Change, Loaded, StoreError, generation_from};

/// A store in one SQLite file, written with full durability: configuration changes are rare
/// and losing one that the API acknowledged is not acceptable.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the file cannot be opened, [`StoreError::Migration`] when
    /// the schema cannot be updated.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;

        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        tracing::debug!(path = %path.display(), "store opened");
        Ok(Self {
            pool,
            path: path.to_owned(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) async fn load(&self) -> Result<Loaded, StoreError> {
        let mut tx = self.pool.begin().await?;
        let generation: i64 = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'generation'")
            .fetch_one(&mut *tx)
            .await?;
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT path, properties FROM resources ORDER BY path")
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;

        Loaded::decode(rows, generation)
    }

    pub(crate) async fn apply(&self, changes: &[Change], expected: u64) -> Result<u64, StoreError> {
        // BEGIN IMMEDIATE takes the write lock up front, so the generation check and the
        // writes cannot interleave with another writer's.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let generation = bump_generation(&mut tx, expected).await?;
        let now = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        for change in changes {
            write(&mut tx, change, &now).await?;
        }
        tx.commit().await?;
        Ok(generation)
    }

    /// Checkpoints the write-ahead log into the file and rebuilds the file (`VACUUM`), so
    /// that rows rewritten since (secrets sealed after an upgrade) leave no old copy behind in
    /// free pages or in the log.
    ///
    /// # Errors
    /// [`StoreError::Database`] when SQLite refuses; the data is unchanged either way.
    pub(crate) async fn compact(&self) -> Result<(), StoreError> {
        let mut connection = self.pool.acquire().await?;
        for statement in [
            "PRAGMA wal_checkpoint(TRUNCATE)",
            "VACUUM",
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ] {
            sqlx::query(statement).execute(&mut *connection).await?;
        }
        tracing::debug!(path = %self.path.display(), "store compacted");
        Ok(())
    }
}

async fn bump_generation(
    tx: &mut Transaction<'_, Sqlite>,
    expected: u64,
) -> Result<u64, StoreError> {
    let actual: i64 = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'generation'")
        .fetch_one(&mut **tx)
        .await?;
    if generation_from(actual) != expected {
        return Err(StoreError::Stale {
            expected,
            actual: generation_from(actual),
        });
    }
    sqlx::query("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
        .execute(&mut **tx)
        .await?;
    Ok(expected + 1)
}

async fn write(
    tx: &mut Transaction<'_, Sqlite>,
    change: &Change,
    now: &str,
) -> Result<(), StoreError> {
    match change {
        Change::Put(path, properties) => {
            sqlx::query(
                "INSERT INTO resources (path, kind, properties, updated_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT(path) DO UPDATE SET properties = excluded.properties, \
                 updated_at = excluded.updated_at",
            )
            .bind(path.to_string())
            .bind(path.type_name())
            .bind(properties.to_string())
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        Change::Delete(path) => {
            sqlx::query("DELETE FROM resources WHERE path = ?")
                .bind(path.to_string())
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use gatehouse_model::ResourcePath;
    use serde_json::json;

    use super::*;
    use crate::{Database, SecretsKey, Store};

    fn path(text: &str) -> ResourcePath {
        text.parse().unwrap()
    }

    async fn open(file: &Path) -> Store {
        let database = Database::Sqlite(SqliteStore::open(file).await.unwrap());
        Store::open(database, SecretsKey::from_bytes(&[3; 32]).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn changes_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gatehouse.db");

        let store = open(&file).await;
        let first = vec![
            Change::Put(path("apis/echo-api"), json!({"path": "echo"})),
            Change::Put(path("subscriptions/demo"), json!({"scope": "/apis"})),
        ];
        assert_eq!(store.apply(&first, 0).await.unwrap(), 1);
        assert_eq!(
            store
                .apply(&[Change::Delete(path("subscriptions/demo"))], 1)
                .await
                .unwrap(),
            2
        );
        drop(store);

        let reopened = open(&file).await;
        let loaded = reopened.load().await.unwrap();
        assert_eq!(
            loaded.documents,
            vec![(path("apis/echo-api"), json!({"path": "echo"}))]
        );
        assert_eq!(loaded.generation, 2);
    }

    #[tokio::test]
    async fn a_write_against_an_old_generation_is_refused_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir.path().join("g.db")).await;
        store
            .apply(&[Change::Put(path("apis/a"), json!({"path": "a"}))], 0)
            .await
            .unwrap();

        let stale = store
            .apply(&[Change::Put(path("apis/b"), json!({"path": "b"}))], 0)
            .await;

        assert!(
            matches!(
                stale,
                Err(StoreError::Stale {
                    expected: 0,
                    actual: 1
                })
            ),
            "{stale:?}"
        );
        assert_eq!(store.load().await.unwrap().documents.len(), 1);
    }

    #[tokio::test]
    async fn a_corrupt_row_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("g.db")).await.unwrap();
        sqlx::query("INSERT INTO resources VALUES ('apis/x', 'apis', '{not json', 'now')")
            .execute(&store.pool)
            .await
            .unwrap();

        let error = store.load().await.unwrap_err();

        assert!(error.to_string().contains("apis/x"), "{error}");
    }
}
