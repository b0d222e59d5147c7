//! Two gateway nodes sharing one PostgreSQL store: one configuration, changes seen by both.
//!
//! Needs the PostgreSQL server on 127.0.0.1:5432 (trust authentication) and `psql`; without
//! them the test says so and skips, except under CI=true, where that is a failure.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Result;
use gatehouse_testkit::{GatewayProcess, write_secrets_key};
use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

/// A database of its own for the test, dropped at the end.
struct Database(String);

impl Database {
    /// Creates `gatehouse_<tag>_<pid>`: unique per test and per test process.
    fn create(tag: &str) -> Option<Self> {
        let name = format!("gatehouse_{tag}_{}", std::process::id());
        let created = psql(&format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE); CREATE DATABASE {name}"
        ));
        if let Err(error) = created {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but PostgreSQL is unusable: {error}"
            );
            eprintln!("skipping: PostgreSQL is not reachable on 127.0.0.1:5432: {error}");
            return None;
        }
        Some(Self(name))
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.0)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = psql(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.0));
    }
}

fn psql(sql: &str) -> Result<()> {
    for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        query("postgres", statement)?;
    }
    Ok(())
}

/// Runs one statement in `database` and returns what it printed, unaligned, without headers.
fn query(database: &str, statement: &str) -> Result<String> {
    let output = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", database])
        .args(["-v", "ON_ERROR_STOP=1", "-A", "-t", "-c", statement])
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Two nodes started one after the other on one fresh database.
struct Cluster {
    a: GatewayProcess,
    b: GatewayProcess,
    _dir: tempfile::TempDir,
    database: Database,
}

impl Cluster {
    fn start(tag: &str) -> Result<Option<Self>> {
        let Some(database) = Database::create(tag) else {
            return Ok(None);
        };
        let dir = tempfile::tempdir()?;
        let store = database.url();
        // Every node seals and opens the shared store's secrets with one key.
        let key = dir.path().join("secrets.key");
        write_secrets_key(&key)?;
        let key = key.to_string_lossy().into_owned();
        let node = |name: &str| {
            GatewayProcess::start_with(
                Path::new(BINARY),
                &dir.path().join(name),
                &["--store", &store, "--secrets-key-file", &key],
            )
        };
        let (a, b) = (node("a")?, node("b")?);
        Ok(Some(Self {
            a,
            b,
            _dir: dir,
            database,
        }))
    }
}

#[test]
fn two_nodes_on_one_store_serve_one_configuration() -> Result<()> {
    let Some(cluster) = Cluster::start("cluster")? else {
        return Ok(());
    };
    let (a, b) = (&cluster.a, &cluster.b);

    assert!(
        a.banner.contains("first start"),
        "node a provisions the empty store"
    );
    assert!(
        !b.banner.contains("first start"),
        "node b joins it as it is"
    );
    assert_eq!(a.demo_key, b.demo_key, "one demo subscription for both");
    let key = format!(
        "Ocp-Apim-Subscription-Key: {}",
        a.demo_key.as_deref().unwrap_or_default()
    );
    assert_eq!(b.call("/echo/resource").header(&key).send()?.status, 200);

    let teapot = r#"<policies><inbound><return-response><set-status code="418" reason="Changed on node a" /></return-response></inbound></policies>"#;
    let saved = a.admin(
        "PUT",
        "/apis/echo-api/policies/policy",
        Some(&json!({ "properties": { "value": teapot } })),
    )?;
    assert_eq!(saved.status, 201, "{}", saved.body);

    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = b.call("/echo/resource").header(&key).send()?.status;
        if status == 418 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "node b still answers {status}:\n{}",
            b.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

#[test]
fn a_write_checked_against_an_old_configuration_is_checked_again() -> Result<()> {
    let Some(cluster) = Cluster::start("race")? else {
        return Ok(());
    };
    let (a, b) = (&cluster.a, &cluster.b);

    let api =
        |path: &str| json!({ "properties": { "path": path, "serviceUrl": "gatehouse://echo" } });
    assert_eq!(
        a.admin("PUT", "/apis/one", Some(&api("shared")))?.status,
        201
    );
    let conflict = b.admin("PUT", "/apis/two", Some(&api("shared")))?;

    assert_eq!(
        conflict.status, 409,
        "node b sees node a's API even if it had not reloaded yet: {}",
        conflict.body
    );
    Ok(())
}

#[test]
fn a_secret_written_on_one_node_is_sealed_in_the_database_and_read_on_the_other() -> Result<()> {
    let Some(cluster) = Cluster::start("sealed")? else {
        return Ok(());
    };
    let (a, b) = (&cluster.a, &cluster.b);
    let secret = "cluster-secret-5b2e9f0a";

    let saved = a.admin(
        "PUT",
        "/namedValues/backend-password",
        Some(&json!({ "properties": { "displayName": "backend-password", "value": secret, "secret": true } })),
    )?;
    assert_eq!(saved.status, 201, "{}", saved.body);

    let stored = query(
        &cluster.database.0,
        "SELECT properties->>'value' FROM resources WHERE path = 'namedValues/backend-password'",
    )?;
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
    let keys = query(
        &cluster.database.0,
        "SELECT properties::text FROM resources WHERE path = 'subscriptions/demo'",
    )?;
    assert!(
        !keys.contains(a.demo_key.as_deref().unwrap_or("-")),
        "subscription keys are sealed too: {keys}"
    );

    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let listed = b.admin("POST", "/namedValues/backend-password/listValue", None)?;
        if listed.status == 200 {
            assert_eq!(listed.json()?["value"], secret);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "node b: {} {}\n{}",
            listed.status,
            listed.body,
            b.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}
