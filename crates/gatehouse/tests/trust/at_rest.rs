//! Uploaded private keys at rest: after a PFX upload, no file of the stopped gateway's data
//! directory (database, write-ahead log, logs) holds the key, and after a restart the gateway
//! still presents the certificate to a backend that requires it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use gatehouse_testkit::ClientCert;

use crate::Setup;
use crate::backend_mtls::{assert_backend_sees_the_client_certificate, client_identity};

/// The private key and the certificate of `client`'s PFX as the management API stores them:
/// base64 of the PKCS#8 and of the certificate's DER.
fn stored_forms(client: &ClientCert) -> Result<(String, String)> {
    let pfx = std::fs::read(&client.pfx)?;
    let (certificate, _, key) =
        gatehouse_cert::import_certificate(&pfx, Some(&client.password))?.into_parts();
    let key = key.context("the PFX holds a private key")?;
    Ok((
        BASE64.encode(key.pkcs8_der()),
        BASE64.encode(certificate.der()),
    ))
}

/// The files under `dir` holding a 48-character piece of `text`. Pieces, because SQLite may
/// split a long value across pages; every piece but the one crossing a page boundary would
/// still be found. The first 48 characters are left out: they encode the algorithm, which
/// every key of the kind shares (the local CA's key among them).
fn files_holding(dir: &Path, text: &str) -> Result<Vec<PathBuf>> {
    let pieces: Vec<&str> = text
        .as_bytes()
        .chunks(48)
        .skip(1)
        .filter(|piece| piece.len() == 48)
        .filter_map(|piece| std::str::from_utf8(piece).ok())
        .collect();
    anyhow::ensure!(pieces.len() >= 2, "too short to search for: {text}");
    let mut found = Vec::new();
    for file in files_under(dir)? {
        let bytes = std::fs::read(&file)?;
        let contents = String::from_utf8_lossy(&bytes);
        if pieces.iter().any(|piece| contents.contains(piece)) {
            found.push(file);
        }
    }
    Ok(found)
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(files_under(&path)?);
        } else {
            files.push(path);
        }
    }
    Ok(files)
}

#[test]
fn an_uploaded_private_key_is_sealed_on_disk_and_still_presented_after_a_restart() -> Result<()> {
    let setup = Setup::start()?;
    let client = client_identity(&setup)?;
    let (key, certificate) = stored_forms(&client)?;

    let setup = setup.restart(|data| {
        assert!(data.join("gatehouse.db").exists());
        assert_eq!(
            files_holding(data, &key)?,
            Vec::<PathBuf>::new(),
            "files holding the private key in the clear"
        );
        assert!(
            !files_holding(data, &certificate)?.is_empty(),
            "the search finds what is stored in the clear (the certificate)"
        );
        Ok(())
    })?;

    assert_backend_sees_the_client_certificate(&setup, &client)?;
    Ok(())
}
