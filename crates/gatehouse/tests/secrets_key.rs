//! The secrets key at start: created private in the data directory and kept; refused when
//! group or others may read it or it is not 32 bytes; required with a shared store; and a
//! store sealed with another key refuses to start, naming the resource, and is left as it
//! was. The real binary, as an operator runs it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::Result;
use gatehouse_testkit::{GatewayProcess, write_secrets_key};
use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_gatehouse");

const SECRET: &str = "backend-password-77d1c0";

fn start(data: &Path) -> Result<GatewayProcess> {
    GatewayProcess::start(Path::new(BINARY), data)
}

/// Starts the gateway expecting it to refuse, and returns the error line it printed.
fn refused(data: &Path, extra: &[&str]) -> String {
    GatewayProcess::refused(Path::new(BINARY), data, extra)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777)
}

#[test]
fn the_first_start_creates_a_private_key_file_and_later_starts_keep_it() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let key = data.join("secrets.key");

    start(&data)?.stop()?;
    let created = std::fs::read(&key)?;
    start(&data)?.stop()?;

    assert_eq!(created.len(), 32);
    assert_eq!(mode(&key), 0o600);
    assert_eq!(std::fs::read(&key)?, created, "kept, never replaced");
    Ok(())
}

#[test]
fn a_key_file_others_may_read_or_of_the_wrong_length_is_refused_at_start() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let key = data.join("secrets.key");
    start(&data)?.stop()?;

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644))?;
    let open = refused(&data, &[]);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))?;
    std::fs::write(&key, [b'k'; 31])?;
    let short = refused(&data, &[]);

    assert!(open.contains(&key.display().to_string()), "{open}");
    assert!(
        open.contains("mode 644") && open.contains("chmod 600"),
        "{open}"
    );
    assert!(short.contains("holds 31 bytes"), "{short}");
    assert!(!short.contains("kkkk"), "the key is never shown: {short}");
    Ok(())
}

#[test]
fn a_shared_store_without_a_named_key_file_is_refused_naming_the_option() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");

    // Refused before any connection: nothing listens on port 1.
    let error = refused(&data, &["--store", "postgres://postgres@127.0.0.1:1/none"]);
    let missing = dir.path().join("missing.key");
    let named = refused(&data, &["--secrets-key-file", &missing.to_string_lossy()]);

    assert!(error.contains("--secrets-key-file"), "{error}");
    assert!(
        !data.join("secrets.key").exists(),
        "no key made up per node"
    );
    assert!(named.contains("missing.key"), "{named}");
    assert!(!missing.exists(), "a named key file is never created");
    Ok(())
}

/// A gateway whose store holds a secret named value, stopped; returns the demo key.
fn sealed_store(data: &Path) -> Result<Option<String>> {
    let gateway = start(data)?;
    let saved = gateway.admin(
        "PUT",
        "/namedValues/backend-password",
        Some(&json!({ "properties": { "displayName": "backend-password", "value": SECRET, "secret": true } })),
    )?;
    assert_eq!(saved.status, 201, "{}", saved.body);
    let demo_key = gateway.demo_key.clone();
    gateway.stop()?;
    Ok(demo_key)
}

#[test]
fn a_store_sealed_with_another_key_refuses_to_start_naming_the_resource_and_is_kept() -> Result<()>
{
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let demo_key = sealed_store(&data)?;
    let key = data.join("secrets.key");
    let original = dir.path().join("original.key");
    std::fs::rename(&key, &original)?;
    write_secrets_key(&key)?;

    let error = refused(&data, &[]);

    assert!(error.contains("'namedValues/backend-password'"), "{error}");
    assert!(error.contains("secrets.key"), "{error}");
    std::fs::rename(&original, &key)?;
    let gateway = start(&data)?;
    let listed = gateway.admin("POST", "/namedValues/backend-password/listValue", None)?;
    assert_eq!(listed.json()?["value"], SECRET, "{}", listed.body);
    assert_eq!(gateway.demo_key, demo_key, "subscription keys open too");
    let call = gateway
        .call("/echo/resource")
        .header(&format!(
            "Ocp-Apim-Subscription-Key: {}",
            demo_key.unwrap_or_default()
        ))
        .send()?;
    assert_eq!(call.status, 200, "{}", call.body);
    Ok(())
}

#[test]
fn a_lost_key_file_is_not_silently_replaced_for_a_sealed_store() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    sealed_store(&data)?;
    std::fs::remove_file(data.join("secrets.key"))?;

    let error = refused(&data, &[]);
    let again = refused(&data, &[]);

    assert!(error.contains("restore it from your backup"), "{error}");
    assert_eq!(error, again, "the next start fails the same way");
    assert!(
        !data.join("secrets.key").exists(),
        "the key made by the failed start is gone again"
    );
    Ok(())
}
