//! Certificates made at test time with the `openssl` command line.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// A directory of test certificates.
#[derive(Debug)]
pub struct Pki {
    dir: tempfile::TempDir,
}

/// One client identity: certificate, key, PFX and the thumbprint openssl computed.
#[derive(Debug, Clone)]
pub struct ClientCert {
    /// Certificate, PEM.
    pub cert: PathBuf,
    /// Private key, PEM.
    pub key: PathBuf,
    /// PKCS#12 file holding both, protected by `password`.
    pub pfx: PathBuf,
    /// The PFX password.
    pub password: String,
    /// SHA-1 fingerprint as openssl prints it, without colons (uppercase hex).
    pub thumbprint: String,
}

impl Pki {
    /// An empty directory for certificates.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn new() -> Result<Self> {
        Ok(Self {
            dir: tempfile::tempdir()?,
        })
    }

    /// The directory the files are in.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A self-signed client certificate (ECDSA P-256, clientAuth) named `name`.
    ///
    /// # Errors
    /// When openssl fails.
    pub fn self_signed_client(&self, name: &str) -> Result<ClientCert> {
        let (cert, key) = (self.path(name, "pem"), self.path(name, "key"));
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(&key)?,
            "-out",
            str(&cert)?,
            "-days",
            "30",
            "-subj",
            &format!("/CN={name}/O=Gatehouse Tests"),
            "-addext",
            "extendedKeyUsage=clientAuth",
        ])?;
        self.finish(name, cert, key)
    }

    /// A client certificate that expired before the test ran.
    ///
    /// # Errors
    /// When openssl fails.
    pub fn expired_client(&self, name: &str) -> Result<ClientCert> {
        let (cert, key, csr) = (
            self.path(name, "pem"),
            self.path(name, "key"),
            self.path(name, "csr"),
        );
        request(&key, &csr, &format!("/CN={name}"))?;
        self_sign_in_the_past(&csr, &key, &cert)?;
        self.finish(name, cert, key)
    }

    /// A CA and a server certificate for `localhost` and 127.0.0.1 signed by it:
    /// (CA certificate, server certificate, server key).
    ///
    /// # Errors
    /// When openssl fails.
    pub fn server(&self) -> Result<(PathBuf, PathBuf, PathBuf)> {
        let (ca, ca_key) = (self.path("server-ca", "pem"), self.path("server-ca", "key"));
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(&ca_key)?,
            "-out",
            str(&ca)?,
            "-days",
            "30",
            "-subj",
            "/CN=Test Server CA",
        ])?;
        let (cert, key, csr) = (
            self.path("server", "pem"),
            self.path("server", "key"),
            self.path("server", "csr"),
        );
        request(&key, &csr, "/CN=localhost")?;
        let extensions = self.path("server", "ext");
        std::fs::write(
            &extensions,
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )?;
        openssl(&[
            "x509",
            "-req",
            "-in",
            str(&csr)?,
            "-CA",
            str(&ca)?,
            "-CAkey",
            str(&ca_key)?,
            "-CAcreateserial",
            "-out",
            str(&cert)?,
            "-days",
            "30",
            "-extfile",
            str(&extensions)?,
        ])?;
        Ok((ca, cert, key))
    }

    fn finish(&self, name: &str, cert: PathBuf, key: PathBuf) -> Result<ClientCert> {
        client_cert(name, self.dir.path(), cert, key)
    }

    fn path(&self, name: &str, extension: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.{extension}"))
    }
}

/// A [`ClientCert`] for `cert` and `key`, with a PFX written beside them in `dir`.
///
/// # Errors
/// When openssl fails.
pub(crate) fn client_cert(
    name: &str,
    dir: &Path,
    cert: PathBuf,
    key: PathBuf,
) -> Result<ClientCert> {
    let pfx = dir.join(format!("{name}.pfx"));
    let password = format!("{name}-password");
    openssl(&[
        "pkcs12",
        "-export",
        "-inkey",
        str(&key)?,
        "-in",
        str(&cert)?,
        "-out",
        str(&pfx)?,
        "-passout",
        &format!("pass:{password}"),
        "-name",
        name,
    ])?;
    let thumbprint = thumbprint(&cert)?;
    Ok(ClientCert {
        cert,
        key,
        pfx,
        password,
        thumbprint,
    })
}

/// The SHA-1 fingerprint openssl computes, uppercase hex without colons.
///
/// # Errors
/// When openssl fails.
pub(crate) fn thumbprint(cert: &Path) -> Result<String> {
    let output = openssl(&["x509", "-in", str(cert)?, "-noout", "-fingerprint", "-sha1"])?;
    let value = output.trim().rsplit('=').next().unwrap_or_default();
    Ok(value.replace(':', "").to_uppercase())
}

/// Signs `csr` with its own key into a certificate valid only in January 2020, with
/// `openssl ca -selfsign`, the one openssl 3.0 command that takes explicit validity dates.
fn self_sign_in_the_past(csr: &Path, key: &Path, cert: &Path) -> Result<()> {
    let config = csr.with_extension("cnf");
    let dir = csr.parent().unwrap_or(Path::new("."));
    std::fs::write(
        &config,
        format!(
            "[ca]\ndefault_ca=t\n[t]\ndir={d}\ndatabase={d}/index.txt\nnew_certs_dir={d}\nserial={d}/serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n",
            d = dir.display()
        ),
    )?;
    std::fs::write(dir.join("index.txt"), "")?;
    std::fs::write(dir.join("serial"), "01\n")?;
    openssl(&[
        "ca",
        "-batch",
        "-config",
        str(&config)?,
        "-selfsign",
        "-keyfile",
        str(key)?,
        "-in",
        str(csr)?,
        "-out",
        str(cert)?,
        "-startdate",
        "20200101000000Z",
        "-enddate",
        "20200201000000Z",
        "-notext",
    ])?;
    Ok(())
}

/// Runs openssl and returns its standard output.
///
/// # Errors
/// When openssl is missing or fails; the message includes its standard error.
pub(crate) fn openssl(args: &[&str]) -> Result<String> {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .context("the openssl command line is needed")?;
    if !output.status.success() {
        bail!(
            "openssl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

pub(crate) fn str(path: &Path) -> Result<&str> {
    path.to_str().context("temporary path is not UTF-8")
}

/// A new EC P-256 key and a certificate request for `subject`.
pub(crate) fn request(key: &Path, csr: &Path, subject: &str) -> Result<()> {
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-utf8",
        "-keyout",
        str(key)?,
        "-out",
        str(csr)?,
        "-subj",
        subject,
    ])?;
    Ok(())
}
