//! The secrets key: the 32 bytes the store seals private keys and secret values with.
//!
//! The embedded store keeps it next to the database, as `secrets.key` in the data directory,
//! created on the first start. The nodes of a cluster must share one key, so with `--store`
//! the key file has to be named (`--secrets-key-file`): a key made up by each node would seal
//! secrets the other nodes cannot open. The key's bytes are never printed or logged; errors
//! name the file only.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use gatehouse_store::SecretsKey;
use gatehouse_store::seal::KEY_LEN;
use zeroize::Zeroizing;

use crate::provision::DataDir;

/// How to make a key by hand, for error messages.
const HOW_TO_CREATE: &str = "head -c 32 /dev/urandom > FILE && chmod 600 FILE";

/// Where this start reads the secrets key from.
#[derive(Debug)]
pub(crate) struct KeyFile {
    path: PathBuf,
    /// The data directory's default file is created when missing; a named file must exist.
    create_if_missing: bool,
}

impl KeyFile {
    /// The key file to use: the one named by `--secrets-key-file`, else the data directory's.
    ///
    /// # Errors
    /// With a shared store and no file named: each node would otherwise make its own key.
    pub(crate) fn choose(named: Option<&Path>, shared_store: bool, data: &DataDir) -> Result<Self> {
        match named {
            Some(path) => Ok(Self {
                path: path.to_owned(),
                create_if_missing: false,
            }),
            None if shared_store => bail!(
                "--store needs --secrets-key-file PATH (or GATEHOUSE_SECRETS_KEY_FILE): every node \
                 of a cluster must seal and open secrets with the same key. Create one with \
                 `{HOW_TO_CREATE}` and give each node a copy"
            ),
            None => Ok(Self {
                path: data.secrets_key(),
                create_if_missing: true,
            }),
        }
    }

    /// The file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the key, creating the data directory's file first when it is missing. Returns
    /// the key and whether this call created its file.
    ///
    /// # Errors
    /// When the file is missing (and may not be created), readable by group or others, or
    /// not exactly 32 bytes long.
    pub(crate) fn load(&self) -> Result<(SecretsKey, bool)> {
        let created = self.create_if_missing && !self.path.exists() && create(&self.path)?;
        let key = read(&self.path)?;
        tracing::info!(path = %self.path.display(), created, "secrets key ready");
        Ok((key, created))
    }

    /// Removes the file [`KeyFile::load`] just created, after the store refused the key
    /// without sealing anything with it (its data was sealed with a key that is now
    /// missing): the next start then fails the same way instead of trusting the new key.
    pub(crate) fn remove_created(&self) {
        if let Err(error) = fs::remove_file(&self.path) {
            tracing::warn!(path = %self.path.display(), %error, "cannot remove the secrets key created by this start");
        }
    }
}

/// Writes 32 new random bytes to `path`, private from the start, durably, and never over an
/// existing file. Returns false when another process created it first.
fn create(path: &Path) -> Result<bool> {
    let bytes = SecretsKey::generate_bytes().context("cannot make a secrets key")?;
    let temporary = path.with_extension("key.tmp");
    let _ = fs::remove_file(&temporary);
    write_private(&temporary, &*bytes)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    // A hard link, unlike a rename, fails when the key exists: a key others may already
    // have sealed secrets with is never replaced.
    let linked = fs::hard_link(&temporary, path);
    let _ = fs::remove_file(&temporary);
    match linked {
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::AlreadyExists => return Ok(false),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot create {}", path.display()));
        }
    }
    sync_directory(path)?;
    Ok(true)
}

/// Creates `path` with mode 0600 and writes `bytes` to stable storage.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the new file's name durable before anything is sealed with the key it holds.
fn sync_directory(path: &Path) -> Result<()> {
    let directory = path.parent().unwrap_or(Path::new("."));
    File::open(directory)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", directory.display()))
}

/// Reads and checks the key file.
fn read(path: &Path) -> Result<SecretsKey> {
    let metadata = fs::metadata(path).with_context(|| {
        format!(
            "cannot read the secrets key {}; create one with `{HOW_TO_CREATE}`",
            path.display()
        )
    })?;
    if !metadata.is_file() {
        bail!("the secrets key {} is not a file", path.display());
    }
    check_private(path, &metadata)?;
    let bytes = Zeroizing::new(
        fs::read(path)
            .with_context(|| format!("cannot read the secrets key {}", path.display()))?,
    );
    if bytes.len() != KEY_LEN {
        bail!(
            "the secrets key {} holds {} bytes; a secrets key is exactly {KEY_LEN} random bytes \
             (`{HOW_TO_CREATE}`)",
            path.display(),
            bytes.len()
        );
    }
    SecretsKey::from_bytes(&bytes).context("cannot use the secrets key")
}

/// Refuses a key file that group or others may read or write: whoever reads it opens every
/// private key in the store.
#[cfg(unix)]
fn check_private(path: &Path, metadata: &Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;

    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "the secrets key {} is open to group or others (mode {mode:03o}); make it private \
             with `chmod 600 {}`",
            path.display(),
            path.display()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _metadata: &Metadata) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn default_in(dir: &Path) -> KeyFile {
        KeyFile::choose(None, false, &DataDir::new(dir.to_owned())).unwrap()
    }

    #[test]
    fn the_default_key_is_created_private_once_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let file = default_in(dir.path());

        let (_, created) = file.load().unwrap();
        let bytes = fs::read(file.path()).unwrap();
        let (_, again) = file.load().unwrap();

        assert!(created && !again);
        assert_eq!(bytes.len(), KEY_LEN);
        assert_eq!(fs::read(file.path()).unwrap(), bytes, "never replaced");
        let mode = fs::metadata(file.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_key_others_can_read_or_of_the_wrong_length_is_refused_without_showing_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        fs::write(&path, [b'z'; KEY_LEN]).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let named = KeyFile::choose(Some(&path), true, &DataDir::new(dir.path().into())).unwrap();

        let open = named.load().unwrap_err().to_string();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&path, [b'z'; 44]).unwrap();
        let long = named.load().unwrap_err().to_string();

        assert!(open.contains("chmod 600") && open.contains("640"), "{open}");
        assert!(long.contains("holds 44 bytes"), "{long}");
        assert!(!open.contains("zzzz") && !long.contains("zzzz"));
    }

    #[test]
    fn a_named_key_file_is_never_created_and_a_shared_store_needs_one() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path().to_owned());
        let missing = dir.path().join("missing.key");

        let named = KeyFile::choose(Some(&missing), false, &data).unwrap();
        assert!(named.load().is_err());
        assert!(!missing.exists());
        let shared = KeyFile::choose(None, true, &data).unwrap_err().to_string();
        assert!(shared.contains("--secrets-key-file"), "{shared}");
    }
}
