//! Two gateway nodes sharing one PostgreSQL store: one configuration, changes seen by both.
//!
//! Needs the PostgreSQL server on 127.0.0.1:5432 (trust authentication) and `psql`; without
//! them the test says so and skips, except under CI=true, where that is a failure.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Result;
use gatehouse_testkit::GatewayProcess;
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
        let output = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                statement,
            ])
            .output()?;
        anyhow::ensure!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Two nodes started one after the other on one fresh database.
struct Cluster {
    a: GatewayProcess,
    b: GatewayProcess,
    _dir: tempfile::TempDir,
    _database: Database,
}

impl Cluster {
    fn start(tag: &str) -> Result<Option<Self>> {
        let Some(database) = Database::create(tag) else {
            return Ok(None);
        };
        let dir = tempfile::tempdir()?;
        let store = database.url();
        let node = |name: &str| {
            GatewayProcess::start_with(
                Path::new(BINARY),
                &dir.path().join(name),
                &["--store", &store],
            )
        };
        let (a, b) = (node("a")?, node("b")?);
        Ok(Some(Self {
            a,
            b,
            _dir: dir,
            _database: database,
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
