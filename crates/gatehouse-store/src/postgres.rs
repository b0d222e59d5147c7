//! The cluster back-end: one PostgreSQL database shared by every gateway node.
//!
//! Writes notify the channel [`CHANNEL`] with the new generation, so the other nodes reload
//! and serve the same configuration within moments of the write.

use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::types::Json;
use sqlx::{Postgres, Transaction};

use crate::{Change, Loaded, StoreError, generation_from};

/// The notification channel configuration writes are announced on.
pub(crate) const CHANNEL: &str = "gatehouse_config";

/// A store in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    description: String,
}

/// Other writers' changes, as they commit.
#[derive(Debug)]
pub struct ChangeFeed {
    listener: PgListener,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:port/database`) and brings its
    /// schema up to date.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the database cannot be reached, [`StoreError::Migration`]
    /// when the schema cannot be updated.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url.parse()?;
        let description = format!(
            "postgres {}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default()
        );
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;

        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        tracing::debug!(store = %description, "store opened");
        Ok(Self { pool, description })
    }

    /// Host, port and database, without credentials.
    pub fn describe(&self) -> String {
        self.description.clone()
    }

    pub(crate) async fn load(&self) -> Result<Loaded, StoreError> {
        // One snapshot of the database for the generation and the rows that belong to it.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let generation: i64 = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'generation'")
            .fetch_one(&mut *tx)
            .await?;
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT path, properties::text FROM resources ORDER BY path")
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;

        Loaded::decode(rows, generation)
    }

    pub(crate) async fn apply(&self, changes: &[Change], expected: u64) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let generation = bump_generation(&mut tx, expected).await?;
        for change in changes {
            write(&mut tx, change).await?;
        }
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(generation.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(generation)
    }

    pub(crate) async fn changes(&self) -> Result<ChangeFeed, StoreError> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANNEL).await?;
        Ok(ChangeFeed { listener })
    }
}

impl ChangeFeed {
    /// Waits for the next committed write and returns its generation. After a lost
    /// connection the feed reconnects by itself; callers should reload then, since
    /// notifications sent while it was away are gone (a generation of 0 says so).
    ///
    /// # Errors
    /// [`StoreError::Database`] when the feed is closed for good.
    pub async fn next(&mut self) -> Result<u64, StoreError> {
        match self.listener.try_recv().await? {
            Some(notification) => Ok(notification.payload().parse().unwrap_or_default()),
            None => Ok(0),
        }
    }
}

/// Takes the row lock on the generation: concurrent writers queue here, and the second finds
/// the generation it checked against gone.
async fn bump_generation(
    tx: &mut Transaction<'_, Postgres>,
    expected: u64,
) -> Result<u64, StoreError> {
    let expected_value = i64::try_from(expected).unwrap_or(i64::MAX);
    let bumped: Option<i64> = sqlx::query_scalar(
        "UPDATE meta SET value = value + 1 WHERE key = 'generation' AND value = $1 RETURNING value",
    )
    .bind(expected_value)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(generation) = bumped {
        return Ok(generation_from(generation));
    }
    let actual: i64 = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'generation'")
        .fetch_one(&mut **tx)
        .await?;
    Err(StoreError::Stale {
        expected,
        actual: generation_from(actual),
    })
}

async fn write(tx: &mut Transaction<'_, Postgres>, change: &Change) -> Result<(), StoreError> {
    match change {
        Change::Put(path, properties) => {
            sqlx::query(
                "INSERT INTO resources (path, kind, properties, updated_at) VALUES ($1, $2, $3, now()) \
                 ON CONFLICT (path) DO UPDATE SET properties = EXCLUDED.properties, updated_at = now()",
            )
            .bind(path.to_string())
            .bind(path.type_name())
            .bind(Json(properties))
            .execute(&mut **tx)
            .await?;
        }
        Change::Delete(path) => {
            sqlx::query("DELETE FROM resources WHERE path = $1")
                .bind(path.to_string())
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}
