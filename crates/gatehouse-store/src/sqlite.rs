//! The embedded back-end: one SQLite database file.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use gatehouse_model::ResourcePath;
use serde_json::Value;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::{Change, StoreError};

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

    pub(crate) async fn load(&self) -> Result<Vec<(ResourcePath, Value)>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT path, properties FROM resources ORDER BY path")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(path, json)| decode_row(path, &json))
            .collect()
    }

    pub(crate) async fn apply(&self, changes: &[Change]) -> Result<(), StoreError> {
        let now = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        let mut tx = self.pool.begin().await?;
        for change in changes {
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
                    .bind(&now)
                    .execute(&mut *tx)
                    .await?;
                }
                Change::Delete(path) => {
                    sqlx::query("DELETE FROM resources WHERE path = ?")
                        .bind(path.to_string())
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

fn decode_row(path: String, json: &str) -> Result<(ResourcePath, Value), StoreError> {
    let corrupt = |reason: String| StoreError::Corrupt {
        path: path.clone(),
        reason,
    };
    let parsed = ResourcePath::from_str(&path).map_err(|e| corrupt(e.to_string()))?;
    let properties = serde_json::from_str(json).map_err(|e| corrupt(e.to_string()))?;
    Ok((parsed, properties))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Store;

    fn path(text: &str) -> ResourcePath {
        text.parse().unwrap()
    }

    #[tokio::test]
    async fn changes_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("gatehouse.db");

        let store = Store::Sqlite(SqliteStore::open(&file).await.unwrap());
        store
            .apply(&[
                Change::Put(path("apis/echo-api"), json!({"path": "echo"})),
                Change::Put(path("subscriptions/demo"), json!({"scope": "/apis"})),
            ])
            .await
            .unwrap();
        store
            .apply(&[Change::Delete(path("subscriptions/demo"))])
            .await
            .unwrap();
        drop(store);

        let reopened = Store::Sqlite(SqliteStore::open(&file).await.unwrap());
        let rows = reopened.load().await.unwrap();
        assert_eq!(rows, vec![(path("apis/echo-api"), json!({"path": "echo"}))]);
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
