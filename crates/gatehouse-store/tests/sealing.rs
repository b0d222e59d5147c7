//! Secrets at rest in the embedded store: what reaches the SQLite file is sealed, what loads
//! is plain, clear rows of earlier versions are sealed at open, and a wrong key changes
//! nothing. The file is read behind the store's back, with SQL and as bytes.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use gatehouse_model::ResourcePath;
use gatehouse_store::{Change, Database, SecretsKey, SqliteStore, Store, StoreError};
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

/// A private key as the management API stores it (base64 PKCS#8); the bytes are made up but
/// distinctive, so finding them in a file means they were stored in the clear.
fn private_key() -> String {
    let der: Vec<u8> = (0u16..138).map(|i| (i * 37 + 11) as u8).collect();
    BASE64.encode(der)
}

const PASSWORD: &str = "backend-password-3f9c1d7e";

/// A value that is not secret, stored in the clear.
const REGIONS: &str = "westeurope-and-northeurope-regions";

fn key(byte: u8) -> SecretsKey {
    SecretsKey::from_bytes(&[byte; 32]).unwrap()
}

fn path(text: &str) -> ResourcePath {
    text.parse().unwrap()
}

fn certificate() -> Value {
    json!({
        "thumbprint": "0A1B", "subject": "CN=client", "expirationDate": "2030-01-01T00:00:00Z",
        "certificate": "MIIBcertificate", "privateKey": private_key(),
    })
}

fn secret_named_value() -> Value {
    json!({"displayName": "backend-password", "value": PASSWORD, "secret": true})
}

async fn open(file: &Path, key: SecretsKey) -> Result<Store, StoreError> {
    Store::open(Database::Sqlite(SqliteStore::open(file).await?), key).await
}

/// A connection of its own to the file: what anyone copying the file would read.
async fn raw(file: &Path) -> SqlitePool {
    SqlitePool::connect_with(SqliteConnectOptions::new().filename(file))
        .await
        .unwrap()
}

async fn raw_properties(file: &Path, at: &str) -> Value {
    let pool = raw(file).await;
    let text: String = sqlx::query_scalar("SELECT properties FROM resources WHERE path = ?")
        .bind(at)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    serde_json::from_str(&text).unwrap()
}

/// Whether any file of `dir` (the database, its log, ...) holds a 24-character piece of
/// `secret`: pieces, because SQLite may split a long value across pages.
fn files_hold(dir: &Path, secret: &str) -> Vec<PathBuf> {
    let pieces: Vec<&str> = secret
        .as_bytes()
        .chunks(24)
        .filter(|piece| piece.len() == 24)
        .filter_map(|piece| std::str::from_utf8(piece).ok())
        .collect();
    assert!(!pieces.is_empty());
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|file| {
            let text =
                String::from_utf8_lossy(&std::fs::read(file).unwrap_or_default()).into_owned();
            pieces.iter().any(|piece| text.contains(piece))
        })
        .collect()
}

#[tokio::test]
async fn secrets_reach_the_file_sealed_and_load_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gatehouse.db");
    let store = open(&file, key(1)).await.unwrap();
    let plain_named = json!({"displayName": "region", "value": REGIONS, "secret": false});
    let changes = [
        Change::Put(path("certificates/client"), certificate()),
        Change::Put(path("namedValues/password"), secret_named_value()),
        Change::Put(path("namedValues/region"), plain_named.clone()),
    ];
    store.apply(&changes, 0).await.unwrap();

    let stored = raw_properties(&file, "certificates/client").await;
    let stored_key = stored["privateKey"].as_str().unwrap();
    assert!(stored_key.starts_with("sealed:v1:"), "{stored_key}");
    assert_eq!(stored["thumbprint"], "0A1B", "only secrets are sealed");
    let stored_value = raw_properties(&file, "namedValues/password").await["value"].clone();
    assert!(stored_value.as_str().unwrap().starts_with("sealed:v1:"));
    assert_eq!(
        raw_properties(&file, "namedValues/region").await,
        plain_named
    );
    assert_eq!(
        files_hold(dir.path(), &private_key()),
        Vec::<PathBuf>::new()
    );
    assert_eq!(files_hold(dir.path(), PASSWORD), Vec::<PathBuf>::new());
    assert!(
        !files_hold(dir.path(), REGIONS).is_empty(),
        "the file scan finds what is stored in the clear"
    );
    drop(store);

    let loaded = open(&file, key(1)).await.unwrap().load().await.unwrap();
    assert_eq!(
        loaded.documents,
        vec![
            (path("certificates/client"), certificate()),
            (path("namedValues/password"), secret_named_value()),
            (path("namedValues/region"), plain_named),
        ]
    );
}

/// Rows as a version before sealing wrote them.
async fn write_clear_rows(file: &Path) {
    SqliteStore::open(file).await.unwrap();
    let pool = raw(file).await;
    for (at, kind, properties) in [
        ("certificates/client", "certificates", certificate()),
        ("namedValues/password", "namedValues", secret_named_value()),
    ] {
        sqlx::query("INSERT INTO resources VALUES (?, ?, ?, '2025-01-01T00:00:00Z')")
            .bind(at)
            .bind(kind)
            .bind(properties.to_string())
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::query("UPDATE meta SET value = 1 WHERE key = 'generation'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn clear_secrets_of_an_earlier_version_are_sealed_at_open_and_leave_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gatehouse.db");
    write_clear_rows(&file).await;
    assert!(
        !files_hold(dir.path(), &private_key()).is_empty(),
        "the scan finds clear keys"
    );

    let store = open(&file, key(1)).await.unwrap();

    let stored = raw_properties(&file, "certificates/client").await;
    assert!(
        stored["privateKey"]
            .as_str()
            .unwrap()
            .starts_with("sealed:v1:")
    );
    assert_eq!(
        files_hold(dir.path(), &private_key()),
        Vec::<PathBuf>::new()
    );
    assert_eq!(files_hold(dir.path(), PASSWORD), Vec::<PathBuf>::new());
    let loaded = store.load().await.unwrap();
    assert_eq!(loaded.generation, 2, "the rewrite is one write");
    assert_eq!(
        loaded.documents[0],
        (path("certificates/client"), certificate())
    );
    assert_eq!(
        loaded.documents[1],
        (path("namedValues/password"), secret_named_value())
    );
}

#[tokio::test]
async fn a_store_sealed_with_another_key_refuses_to_open_and_is_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gatehouse.db");
    let store = open(&file, key(1)).await.unwrap();
    store
        .apply(
            &[Change::Put(path("certificates/client"), certificate())],
            0,
        )
        .await
        .unwrap();
    drop(store);
    let pool = raw(&file).await;
    sqlx::query("INSERT INTO resources VALUES ('namedValues/password', 'namedValues', ?, 'then')")
        .bind(secret_named_value().to_string())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let before = (
        raw_properties(&file, "certificates/client").await,
        raw_properties(&file, "namedValues/password").await,
    );

    let error = open(&file, key(2)).await.unwrap_err();

    assert!(
        matches!(&error, StoreError::Unseal { path, property: "privateKey", .. } if path == "certificates/client"),
        "{error:?}"
    );
    assert!(error.to_string().contains("certificates/client"), "{error}");
    let after = (
        raw_properties(&file, "certificates/client").await,
        raw_properties(&file, "namedValues/password").await,
    );
    assert_eq!(
        before, after,
        "nothing was rewritten, not even the clear row"
    );
    assert_eq!(after.1["value"], PASSWORD);
    let reopened = open(&file, key(1)).await.unwrap().load().await.unwrap();
    assert_eq!(reopened.documents[0].1, certificate());
}
