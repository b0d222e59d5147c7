//! The PostgreSQL back-end against the server on 127.0.0.1:5432: the same behaviour as the
//! embedded store, plus generations across writers and change notifications.
//!
//! Each test makes its own database and drops it afterwards. Without a server the tests say
//! so and skip, except under CI=true, where a missing server is a failure.

use std::time::Duration;

use gatehouse_model::ResourcePath;
use gatehouse_store::{Change, Database, PostgresStore, SecretsKey, Store, StoreError};
use serde_json::json;
use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The server's maintenance database, reachable with trust authentication.
fn admin_url() -> String {
    std::env::var("GATEHOUSE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A fresh database, dropped when the guard goes.
struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    async fn create() -> Option<Self> {
        let mut admin = match PgConnection::connect(&admin_url()).await {
            Ok(connection) => connection,
            Err(error) => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "CI=true but PostgreSQL is unreachable: {error}"
                );
                eprintln!(
                    "skipping: PostgreSQL is not reachable at {}: {error}",
                    admin_url()
                );
                return None;
            }
        };
        let name = format!("gatehouse_test_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .ok()?;
        let url = format!(
            "{}/{name}",
            admin_url().rsplit_once('/').map_or("", |(base, _)| base)
        );
        Some(Self { name, url })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async {
                    if let Ok(mut admin) = PgConnection::connect(&admin_url()).await {
                        let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = sqlx::query(sqlx::AssertSqlSafe(drop))
                            .execute(&mut admin)
                            .await;
                    }
                });
            }
        })
        .join()
        .ok();
    }
}

fn path(text: &str) -> ResourcePath {
    text.parse().unwrap()
}

/// The store at `url` with a fixed test key: every node of a cluster shares one.
async fn open(url: &str) -> Store {
    let database = Database::Postgres(PostgresStore::open(url).await.unwrap());
    Store::open(database, SecretsKey::from_bytes(&[9; 32]).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn writes_are_versioned_and_survive_reconnecting() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let store = open(&db.url).await;

    let generation = store
        .apply(
            &[Change::Put(
                path("apis/echo-api"),
                json!({"path": "echo", "n": 1}),
            )],
            0,
        )
        .await
        .unwrap();
    store
        .apply(
            &[Change::Put(
                path("subscriptions/demo"),
                json!({"scope": "/apis"}),
            )],
            generation,
        )
        .await
        .unwrap();
    store
        .apply(
            &[Change::Delete(path("subscriptions/demo"))],
            generation + 1,
        )
        .await
        .unwrap();
    drop(store);

    let reopened = open(&db.url).await;
    let loaded = reopened.load().await.unwrap();
    assert_eq!(
        loaded.documents,
        vec![(path("apis/echo-api"), json!({"path": "echo", "n": 1}))]
    );
    assert_eq!(loaded.generation, 3);
    assert!(
        !reopened.describe().contains('@'),
        "no credentials in descriptions"
    );
}

#[tokio::test]
async fn of_two_writers_checked_against_one_generation_only_the_first_wins() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let (a, b) = (open(&db.url).await, open(&db.url).await);

    let first = a
        .apply(&[Change::Put(path("apis/a"), json!({"path": "a"}))], 0)
        .await;
    let second = b
        .apply(&[Change::Put(path("apis/b"), json!({"path": "b"}))], 0)
        .await;

    assert_eq!(first.unwrap(), 1);
    assert!(
        matches!(
            second,
            Err(StoreError::Stale {
                expected: 0,
                actual: 1
            })
        ),
        "{second:?}"
    );
    assert_eq!(
        b.load().await.unwrap().documents.len(),
        1,
        "the refused batch left nothing"
    );
}

#[tokio::test]
async fn other_nodes_hear_about_each_write() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let writer = open(&db.url).await;
    let reader = open(&db.url).await;
    let mut feed = reader
        .changes()
        .await
        .unwrap()
        .expect("postgres has a change feed");

    writer
        .apply(&[Change::Put(path("apis/a"), json!({"path": "a"}))], 0)
        .await
        .unwrap();

    let heard = tokio::time::timeout(Duration::from_secs(10), feed.next())
        .await
        .expect("a notification")
        .unwrap();
    assert_eq!(heard, 1);
}

#[tokio::test]
async fn secrets_are_sealed_in_the_shared_database_and_open_only_with_the_shared_key() {
    let Some(db) = TestDatabase::create().await else {
        return;
    };
    let secret = json!({"displayName": "pw", "value": "s3cret-value-0c4e", "secret": true});
    let writer = open(&db.url).await;
    writer
        .apply(&[Change::Put(path("namedValues/pw"), secret.clone())], 0)
        .await
        .unwrap();

    let mut raw = PgConnection::connect(&db.url).await.unwrap();
    let stored: String =
        sqlx::query_scalar("SELECT properties::text FROM resources WHERE path = 'namedValues/pw'")
            .fetch_one(&mut raw)
            .await
            .unwrap();
    assert!(stored.contains("sealed:v1:"), "{stored}");
    assert!(!stored.contains("s3cret-value-0c4e"), "{stored}");

    let node = open(&db.url).await;
    assert_eq!(
        node.load().await.unwrap().documents,
        vec![(path("namedValues/pw"), secret)]
    );
    let stranger = Store::open(
        Database::Postgres(PostgresStore::open(&db.url).await.unwrap()),
        SecretsKey::from_bytes(&[8; 32]).unwrap(),
    )
    .await;
    assert!(
        matches!(&stranger, Err(StoreError::Unseal { path, .. }) if path == "namedValues/pw"),
        "{stranger:?}"
    );
}
